"""Reads of invoices: the list with its filters (one FilterSet for the page and the API), its
totals and status tiles, one invoice with its lines, what it booked to actuals and its
contract's remaining value, and the vendor portal's own invoices.

A list page costs the same number of queries for 1 or 500 invoices: rows come with their vendor
and contract in one query, the line count is an annotation, and totals are one aggregate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import django_filters
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from programs.models import Program
from vendors.invoicing import with_remaining
from vendors.models import Contract, RateCardEntry, Vendor

from ..models import CostEntry, Invoice, InvoiceLine, InvoiceStatus
from ..months import add_months, month_label, month_range, parse_month
from ..services.checks import program_months

S = InvoiceStatus
ZERO = Decimal("0.00")
STATUS_COLOURS = {
    S.RECEIVED: "yellow",
    S.VALIDATED: "azure",
    S.APPROVED: "green",
    S.REJECTED: "red",
    S.PAID: "teal",
}
STATUS_ICONS = {
    S.RECEIVED: "ti-inbox",
    S.VALIDATED: "ti-checklist",
    S.APPROVED: "ti-circle-check",
    S.REJECTED: "ti-circle-x",
    S.PAID: "ti-cash",
}


def _month_choices(program: Program) -> list[tuple[str, str]]:
    first, last = program_months(program)
    return [(month_label(m), f"{m:%b %Y}") for m in month_range(first, last)]


class InvoiceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=S.choices, empty_label="All statuses")
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.none(), empty_label="All vendors"
    )
    contract = django_filters.ModelChoiceFilter(
        queryset=Contract.objects.none(), empty_label="All contracts"
    )
    month = django_filters.ChoiceFilter(
        choices=[],
        method="by_month",
        empty_label="Any month",
        label="Period covers",
        help_text="YYYY-MM: invoices whose period covers a day of that month.",
    )
    sort = django_filters.OrderingFilter(
        fields=(("number", "key"), ("invoice_date", "date"), ("due_date", "due"),
                ("total", "total"), ("vendor__name", "vendor"), ("status", "status"),
                ("received_on", "received")),
        label="Sort",
        empty_label="Sort: newest first",
    )  # fmt: skip

    class Meta:
        model = Invoice
        fields = ["q", "status", "vendor", "contract", "month"]

    def __init__(self, *args, program: Program, vendor: Vendor | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        vendors = Vendor.objects.filter(program=program).order_by("name")
        contracts = Contract.objects.filter(program=program).select_related("vendor")
        if vendor is not None:
            vendors = vendors.filter(pk=vendor.pk)
            contracts = contracts.filter(vendor=vendor)
        self.filters["vendor"].queryset = vendors
        self.filters["contract"].queryset = contracts.order_by("number")
        self.filters["month"].extra["choices"] = _month_choices(program)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(key__iexact=value)
            | Q(invoice_number__icontains=value)
            | Q(contract__key__iexact=value)
            | Q(vendor__name__icontains=value)
            | Q(note__icontains=value)
        )

    def by_month(self, queryset, name, value):
        try:
            month = parse_month(value)
        except ValueError:
            return queryset.none()
        next_month = add_months(month, 1)
        return queryset.filter(period_start__lt=next_month, period_end__gte=month)


def invoice_list(*, program: Program, vendor: Vendor | None = None) -> QuerySet:
    """The program's invoices (a vendor's only, for the portal), newest first, each with its
    vendor, contract and line count."""
    queryset = Invoice.objects.filter(program=program)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    return queryset.select_related("vendor", "contract").order_by("-number")


def with_row_figures(queryset: QuerySet) -> QuerySet:
    """A list row's figures: `line_count`, and `unmapped` (a line without a budget line)."""
    lines = InvoiceLine.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice")
    return queryset.annotate(
        line_count=Coalesce(
            Subquery(lines.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
            Value(0),
        ),
        unmapped=Exists(
            InvoiceLine.objects.filter(invoice=OuterRef("pk"), budget_line__isnull=True)
        ),
    )


def invoice_totals(queryset: QuerySet) -> dict:
    """Count and total of the (filtered) invoices, and the part not rejected: one query."""
    row = queryset.order_by().aggregate(
        n=Count("pk"),
        all_sum=Sum("total"),
        counted_sum=Sum("total", filter=~Q(status=S.REJECTED)),
    )
    return {
        "count": row["n"],
        "total": row["all_sum"] or ZERO,
        "counted": row["counted_sum"] or ZERO,
    }


def status_counts(*, program: Program, vendor: Vendor | None = None) -> list[dict]:
    """Per status in life order: value, label, colour, icon, count and amount (one query)."""
    queryset = Invoice.objects.filter(program=program)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    aggregates = {}
    for value in S.values:
        aggregates[f"{value}_n"] = Count("pk", filter=Q(status=value))
        aggregates[f"{value}_sum"] = Sum("total", filter=Q(status=value))
    row = queryset.aggregate(**aggregates)
    return [
        {
            "value": value,
            "label": label,
            "colour": STATUS_COLOURS[value],
            "icon": STATUS_ICONS[value],
            "count": row[f"{value}_n"],
            "amount": row[f"{value}_sum"] or ZERO,
        }
        for value, label in S.choices
    ]


def invoice_get(*, program: Program, key: str, vendor: Vendor | None = None) -> Invoice:
    """One invoice of the program (of `vendor`, for the portal); 404 otherwise, alike."""
    queryset = Invoice.objects.filter(program=program, key=str(key).upper())
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    invoice = queryset.select_related(
        "program", "vendor", "contract", "submitted_by", "decided_by"
    ).first()
    if invoice is None:
        raise Http404(f"No invoice {key}")
    return invoice


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The lines in order, each with its budget line (and that line's workstream)."""
    return list(
        invoice.lines.select_related("budget_line__workstream", "budget_line__category").order_by(
            "id"
        )
    )


def booked_entries(invoice: Invoice) -> list[CostEntry]:
    """The cost entries its approval booked (empty until approved)."""
    return list(
        CostEntry.objects.filter(invoice_line__invoice=invoice)
        .select_related("line")
        .order_by("invoice_line_id", "id")
    )


def contract_position(invoice: Invoice) -> Contract:
    """The invoice's contract with `invoiced` and `remaining` (vendors' figures)."""
    return with_remaining(Contract.objects.filter(pk=invoice.contract_id)).get()


def rate_card(contract: Contract) -> list[RateCardEntry]:
    return list(contract.rates.order_by("role", "unit"))


def rate_cards(*, program: Program, vendor: Vendor | None = None) -> dict[int, list[dict]]:
    """{contract id: [{role, unit, rate}]} of the program's (or the vendor's) contracts, for the
    invoice form's role picker: one query."""
    rows = RateCardEntry.objects.filter(program=program).order_by("contract_id", "role", "unit")
    if vendor is not None:
        rows = rows.filter(contract__vendor=vendor)
    cards: dict[int, list[dict]] = {}
    for row in rows.values("contract_id", "role", "unit", "rate"):
        cards.setdefault(row["contract_id"], []).append(row)
    return cards


def overdue(invoice: Invoice, today: dt.date) -> bool:
    """Approved, not paid, past its due date."""
    return bool(
        invoice.status == S.APPROVED and invoice.due_date is not None and invoice.due_date < today
    )
