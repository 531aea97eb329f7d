"""Reads of contracts: the list with remaining values and its totals, one contract's page, the
amendment change-request picker, and the vendor portal's contracts.

Everything a list row shows is an annotation of the one contracts query (remaining value from
`vendors.invoicing`, amendment and milestone sums as correlated subqueries), so a page costs the
same number of queries for 1 or 500 contracts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.http import Http404

from programs.models import Program

from ..invoicing import with_remaining
from ..models import (
    Amendment,
    Contract,
    ContractKind,
    ContractStatus,
    ContractType,
    Deliverable,
    PaymentMilestone,
    RateCardEntry,
    Vendor,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")


def _sum_of(model, field: str, *, link: str = "contract") -> Coalesce:
    """The sum of `model.field` over the rows of the contract in the outer query (0 when none)."""
    rows = (
        model.objects.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _count_of(model, *, link: str = "contract") -> Coalesce:
    rows = (
        model.objects.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


@functools.cache
def _contract_annotations() -> dict:
    """The amendment and milestone sums and the burn percentage, built once per process:
    `annotate()` resolves a copy of each expression, so the same ones serve every query (building
    the three subqueries anew cost a third of a list page's query construction)."""
    return {
        "amendment_count": _count_of(Amendment),
        "amendment_total": _sum_of(Amendment, "value_change"),
        "milestone_total": _sum_of(PaymentMilestone, "amount"),
        "burn_pct": Case(
            When(
                current_value__gt=0,
                then=Round(
                    ExpressionWrapper(F("invoiced") * 100 / F("current_value"), output_field=MONEY)
                ),
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
    }


def annotate_contracts(queryset: QuerySet) -> QuerySet:
    """Contracts with `invoiced`, `remaining`, `amendment_count`, `amendment_total`,
    `milestone_total` and `burn_pct` (invoiced as a whole percentage of the current value)."""
    annotations = _contract_annotations()
    queryset = with_remaining(queryset).annotate(
        amendment_count=annotations["amendment_count"],
        amendment_total=annotations["amendment_total"],
        milestone_total=annotations["milestone_total"],
    )
    return queryset.annotate(burn_pct=annotations["burn_pct"])


def contract_list(*, program: Program, filters: dict | None = None) -> QuerySet:
    """The program's contracts with what a list row shows; `filters` (vendor, status,
    contract_type, kind, q) narrow it the way `ContractFilterSet` does for pages and the API."""
    queryset = Contract.objects.filter(program=program).select_related("vendor", "parent", "owner")
    queryset = annotate_contracts(queryset).order_by("-number")
    for name, value in (filters or {}).items():
        if value in (None, ""):
            continue
        if name == "q":
            queryset = queryset.filter(contract_search(str(value)))
        elif name in ("vendor", "status", "contract_type", "kind"):
            queryset = queryset.filter(**{name: value})
    return queryset


# What a row of the list page shows (plus the version), read as plain values: building 200
# model instances (contract, vendor, parent, owner) per page cost more than rendering the rows.
ROW_FIELDS = (
    "pk", "version", "key", "title", "kind", "contract_type", "status", "po_number", "currency",
    "value", "current_value", "end_date", "current_end_date", "invoiced", "amendment_count",
    "burn_pct",
)  # fmt: skip
KIND_LABELS = dict(ContractKind.choices)
TYPE_LABELS = dict(ContractType.choices)
STATUS_LABELS = dict(ContractStatus.choices)


class ContractRow(dict):
    """A list row: a dict (the fastest template lookup) whose keys also read as attributes."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def contract_rows(queryset: QuerySet) -> QuerySet:
    """`queryset` (from `contract_list`, filtered and sorted) as the list page's row values,
    with the vendor's name and the master agreement's key; see `contract_row`."""
    return queryset.values(*ROW_FIELDS, vendor_name=F("vendor__name"), parent_key=F("parent__key"))


def contract_page_rows(queryset: QuerySet, first: int, last: int) -> list[ContractRow]:
    """Rows `first`..`last` (1-based, inclusive) of `queryset` (from `contract_list`, filtered
    and sorted) as `ContractRow`s, in one query. After the first page the page's ids are picked
    in a subquery with the same order, so the money subqueries run for the page's rows only (with
    a plain OFFSET they ran for every row before the page too: page 3 computed 150 rows)."""
    if first < 1 or last < first:  # an empty page (start_index() is 0 then)
        return []
    if first == 1:
        rows = contract_rows(queryset)[:last]
    else:
        rows = contract_rows(queryset.filter(pk__in=queryset.values("pk")[first - 1 : last]))
    return [contract_row(r) for r in rows]


def contract_row(values: dict) -> ContractRow:
    """One row of `contract_rows` with its remaining value (current value - invoiced, as the
    `remaining` annotation: computed here, the invoiced subquery runs once per row) and the
    labels of its kind, type and status."""
    row = ContractRow(values)
    row["remaining"] = row["current_value"] - row["invoiced"]
    row["kind_label"] = KIND_LABELS.get(row["kind"], row["kind"])
    row["type_label"] = TYPE_LABELS.get(row["contract_type"], row["contract_type"])
    row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
    return row


def contract_search(value: str) -> Q:
    value = value.strip()
    return (
        Q(key__iexact=value)
        | Q(title__icontains=value)
        | Q(po_number__icontains=value)
        | Q(vendor__name__icontains=value)
    )


def contract_totals(*, queryset: QuerySet) -> list[dict]:
    """One row per currency: count, original value, amendments, current value, invoiced and
    remaining of the contracts in `queryset` (one aggregate query)."""
    rows = (
        queryset.order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            value_total=Sum("value"),
            amendments_total=Sum("amendment_total"),
            current_total=Sum("current_value"),
            invoiced_total=Sum("invoiced"),
        )
        .order_by("currency")
    )
    # remaining = current value - invoiced, row by row, so the sums subtract the same way; summing
    # `remaining` in SQL would run the invoiced subquery a second time for every contract.
    return [{**r, "remaining_total": r["current_total"] - r["invoiced_total"]} for r in rows]


def contract_get(*, program: Program, key: str) -> Contract:
    """One contract of the program with its remaining value, or 404."""
    contract = (
        annotate_contracts(
            Contract.objects.filter(program=program, key=key.upper()).select_related(
                "vendor", "parent", "owner", "program"
            )
        )
        .order_by()
        .first()
    )
    if contract is None:
        raise Http404(f"No contract {key} in {program.code}")
    return contract


def contract_for_update(*, program: Program, key: str) -> Contract:
    """The plain row (no annotations) for services and forms; 404 when not in the program."""
    contract = (
        Contract.objects.filter(program=program, key=key.upper())
        .select_related("vendor", "parent", "owner", "program")
        .first()
    )
    if contract is None:
        raise Http404(f"No contract {key} in {program.code}")
    return contract


def amendment_list(*, contract: Contract) -> QuerySet:
    return contract.amendments.select_related("change_request", "created_by").order_by("sequence")


def milestone_list(*, contract: Contract) -> QuerySet:
    return contract.milestones.select_related("deliverable").order_by("due_date", "id")


def rate_list(*, contract: Contract) -> QuerySet:
    return contract.rates.order_by("role", "unit")


@dataclass
class Breakdown:
    """Remaining value = original value + amendments - invoiced, as the header explains it."""

    currency: str
    value: Decimal
    amendments: Decimal
    current: Decimal
    invoiced: Decimal
    remaining: Decimal
    milestones: Decimal
    burn_pct: int

    @property
    def unplanned(self) -> Decimal:
        """Current value not yet covered by a payment milestone."""
        return self.current - self.milestones


def contract_breakdown(contract: Contract) -> Breakdown:
    """From a contract read with `contract_get` (annotated): no further query."""
    return Breakdown(
        currency=contract.currency,
        value=contract.value,
        amendments=contract.amendment_total,
        current=contract.current_value,
        invoiced=contract.invoiced,
        remaining=contract.remaining,
        milestones=contract.milestone_total,
        burn_pct=contract.burn_pct,
    )


def contract_detail(*, contract: Contract, internal: bool = True) -> dict:
    """What a contract's page shows besides the contract: amendments, milestones, rate card,
    the SOWs under a master agreement and (internal pages) the deliverables."""
    data = {
        "breakdown": contract_breakdown(contract),
        "amendments": list(amendment_list(contract=contract)),
        "milestones": list(milestone_list(contract=contract)),
        "rates": list(rate_list(contract=contract)),
        "children": list(
            annotate_contracts(contract.children.select_related("vendor")).order_by("number")
        ),
    }
    if internal:
        data["deliverables"] = list(
            Deliverable.objects.filter(contract=contract).order_by("due_date", "number")
        )
    else:
        data["children"] = [c for c in data["children"] if c.status != ContractStatus.DRAFT]
    return data


def amendment_change_requests(*, program: Program) -> QuerySet:
    """Change requests an amendment may cite: approved or implemented ones of the program."""
    from governance.models import ChangeRequest

    from ..services.contracts import CR_STATUSES_FOR_AMENDMENTS

    return ChangeRequest.objects.filter(
        program=program, status__in=CR_STATUSES_FOR_AMENDMENTS
    ).order_by("-id")


def milestone_get(*, contract: Contract, pk: int) -> PaymentMilestone:
    row = contract.milestones.select_related("contract", "deliverable").filter(pk=pk).first()
    if row is None:
        raise Http404("No such payment milestone")
    return row


def rate_get(*, contract: Contract, pk: int) -> RateCardEntry:
    row = contract.rates.select_related("contract").filter(pk=pk).first()
    if row is None:
        raise Http404("No such rate")
    return row


# --- the vendor portal --------------------------------------------------------------------------

PORTAL_STATUSES = (
    ContractStatus.ACTIVE,
    ContractStatus.ON_HOLD,
    ContractStatus.COMPLETED,
    ContractStatus.TERMINATED,
)


def contracts_for_vendor(*, vendor: Vendor) -> QuerySet:
    """The vendor's signed contracts (drafts are internal until signed), annotated like the list."""
    queryset = Contract.objects.filter(
        program_id=vendor.program_id, vendor=vendor, status__in=PORTAL_STATUSES
    ).select_related("parent")
    return annotate_contracts(queryset).order_by("-number")


def portal_contract_get(*, vendor: Vendor, key: str) -> Contract:
    """One of the vendor's contracts; another vendor's key answers 404 like an unknown one."""
    contract = contracts_for_vendor(vendor=vendor).filter(key=key.upper()).first()
    if contract is None:
        raise Http404(f"No contract {key}")
    return contract
