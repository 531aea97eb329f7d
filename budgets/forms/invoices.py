"""Forms of invoices: the invoice (program side and vendor portal) with its lines as a small
formset, rejection and payment. Contract and budget-line choices are scoped to the program (and
to the vendor's own active contracts in the portal); amounts and quantities are checked with the
services' own rules, so a form and the API refuse the same things with the same words."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from core.forms import VersionedForm
from programs.models import Program
from vendors.models import Contract, ContractStatus, RateUnit, Vendor

from ..models import BudgetLine, Invoice
from ..months import month_label, month_range, parse_month
from ..services.checks import parse_amount, program_months
from ..services.invoice_checks import (
    INVOICE_UPLOADS,
    MAX_LINES,
    default_budget_line,
    parse_quantity,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMBER = {"inputmode": "decimal", "autocomplete": "off"}
HEADER_FIELDS = (
    "invoice_number", "invoice_date", "received_on", "due_date", "period_start", "period_end",
    "currency", "note",
)  # fmt: skip


def _first_message(error: ValidationError) -> str:
    return error.messages[0] if error.messages else str(error)


class InvoiceLineForm(forms.Form):
    """One line: what it charges, the rate-card role and unit, quantity x rate = amount, the
    month it is booked to and (program side) its budget line. A line left empty is ignored."""

    description = forms.CharField(max_length=300, required=False)
    role = forms.CharField(
        max_length=120,
        required=False,
        label="Rate-card role",
        widget=forms.TextInput(attrs={"list": "invoice-roles", "autocomplete": "off"}),
    )
    quantity = forms.CharField(required=False, widget=forms.TextInput(attrs=NUMBER))
    unit = forms.ChoiceField(
        choices=[("", "—"), *[(v, v) for v in RateUnit.values]], required=False
    )
    rate = forms.CharField(required=False, widget=forms.TextInput(attrs=NUMBER))
    amount = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs=NUMBER),
        help_text="Left empty: quantity x rate.",
    )
    month = forms.ChoiceField(choices=[], required=False)
    budget_line = forms.ModelChoiceField(
        queryset=BudgetLine.objects.none(), required=False, label="Budget line"
    )

    FIELDS = ("description", "role", "quantity", "unit", "rate", "amount", "month", "budget_line")

    def __init__(self, *args, program: Program, portal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        first, last = program_months(program)
        self.fields["month"].choices = [("", "Period's first month")] + [
            (month_label(m), f"{m:%b %Y}") for m in month_range(first, last)
        ]
        if portal:
            del self.fields["budget_line"]
        else:
            self.fields["budget_line"].queryset = (
                BudgetLine.objects.filter(program=program)
                .select_related("workstream")
                .order_by("number")
            )
            self.fields["budget_line"].label_from_instance = lambda line: (
                f"{line.key} {line.name} ({line.workstream.name})"
            )
            self.fields["budget_line"].empty_label = "Not mapped"

    # what the user types; a month or budget line alone (defaults shown on empty rows) is blank
    TYPED = ("description", "role", "quantity", "unit", "rate", "amount")

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(data.get(name) not in (None, "") for name in self.TYPED)

    def clean_quantity(self):
        try:
            return parse_quantity(self.cleaned_data["quantity"])
        except ValidationError as exc:
            raise ValidationError(_first_message(exc).capitalize() + ".") from None

    def _money(self, name: str):
        value = (self.cleaned_data[name] or "").strip().replace(",", "")
        if not value:
            return None
        try:
            return parse_amount(value, name)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict[name]) from None

    def clean_rate(self):
        return self._money("rate")

    def clean_amount(self):
        return self._money("amount")

    def clean_month(self):
        value = self.cleaned_data["month"]
        return parse_month(value) if value else None

    def clean(self):
        data = super().clean()
        if self.is_blank:
            return data
        if not (data.get("description") or "").strip() and "description" not in self.errors:
            self.add_error("description", "Describe what this line charges for.")
        if (
            data.get("amount") is None
            and "amount" not in self.errors
            and (data.get("quantity") is None or data.get("rate") is None)
        ):
            self.add_error("amount", "Give the amount, or the quantity and the rate.")
        return data

    def line(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.FIELDS if name in self.fields}
        data["description"] = (data["description"] or "").strip()
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, program: Program, portal: bool = False, **kwargs):
        self.program, self.portal = program, portal
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"program": self.program, "portal": self.portal}

    @property
    def empty_form(self):
        return self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            program=self.program,
            portal=self.portal,
        )

    def clean(self):
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError("Give at least one line: what the invoice charges for.")

    def lines(self) -> list[dict]:
        return [f.line() for f in self.forms if f.is_valid() and not f.is_blank]

    def total(self) -> Decimal | None:
        """The sum of the lines as typed (None when a line is invalid), shown on the form."""
        if any(self.errors):
            return None
        total = Decimal("0.00")
        for line in self.lines():
            amount = line["amount"]
            if amount is None:
                amount = (line["quantity"] * line["rate"]).quantize(Decimal("0.01"))
            total += amount
        return total


LineFormSet = forms.formset_factory(
    InvoiceLineForm,
    formset=BaseLineFormSet,
    extra=0,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)


def _line_initial(line) -> dict:
    return {
        "description": line.description,
        "role": line.role,
        "quantity": "" if line.quantity is None else f"{line.quantity:f}",
        "unit": line.unit,
        "rate": "" if line.rate is None else f"{line.rate:f}",
        "amount": f"{line.amount:f}",
        "month": month_label(line.month),
        "budget_line": line.budget_line_id,
    }


def line_formset(
    data=None, *, program: Program, portal: bool = False, invoice: Invoice | None = None,
    add_rows: int = 0, suggested_line: BudgetLine | None = None,
) -> BaseLineFormSet:  # fmt: skip
    """The lines as a formset with room for more: the invoice's lines (unmapped ones suggest
    `suggested_line`) plus one empty row, or three empty rows for a new invoice; `add_rows`
    more when the user asked for them."""
    if data is not None:
        if add_rows:
            data = data.copy()
            total = int(data.get("lines-TOTAL_FORMS") or 0)
            data["lines-TOTAL_FORMS"] = str(min(total + add_rows, MAX_LINES))
        return LineFormSet(data, prefix="lines", program=program, portal=portal)
    initial = []
    if invoice is not None:
        for line in invoice.lines.order_by("id"):
            row = _line_initial(line)
            if row["budget_line"] is None and suggested_line is not None:
                row["budget_line"] = suggested_line.pk
            initial.append(row)
    blank = {"budget_line": suggested_line.pk} if suggested_line and not portal else {}
    rows = max(3, len(initial) + 1) if invoice is None else len(initial) + 1
    initial += [dict(blank) for _ in range(rows - len(initial))]
    return LineFormSet(initial=initial, prefix="lines", program=program, portal=portal)


def _contract_choices(contracts) -> list:
    """Contracts grouped by vendor, for a select with one group per vendor."""
    groups: dict[str, list] = {}
    for contract in contracts:
        title = contract.title if len(contract.title) <= 60 else contract.title[:59] + "…"
        groups.setdefault(contract.vendor.name, []).append(
            (str(contract.pk), f"{contract.key} {title}")
        )
    return [("", "Choose the contract or SOW"), *groups.items()]


class InvoiceForm(VersionedForm):
    """An invoice's header: contract (its vendor follows), numbers, dates, period, currency,
    a note and the PDF."""

    contract = forms.ChoiceField(
        choices=[], label="Vendor and contract / SOW", help_text="Signed contracts, by vendor."
    )
    invoice_number = forms.CharField(max_length=60, label="Vendor's invoice number")
    invoice_date = forms.DateField(widget=DATE)
    received_on = forms.DateField(widget=DATE, label="Received on")
    due_date = forms.DateField(widget=DATE, required=False)
    period_start = forms.DateField(widget=DATE, label="Period from")
    period_end = forms.DateField(widget=DATE, label="Period to")
    currency = forms.CharField(max_length=3, min_length=3, help_text="ISO 4217, e.g. EUR.")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="For finance only."
    )
    document = forms.FileField(
        required=False,
        label="Invoice PDF",
        widget=forms.ClearableFileInput(attrs={"accept": INVOICE_UPLOADS.accept_attribute()}),
        help_text=INVOICE_UPLOADS.help_text(),
    )

    portal = False

    def __init__(
        self, *args, program: Program, invoice: Invoice | None = None,
        vendor: Vendor | None = None, **kwargs,
    ):  # fmt: skip
        super().__init__(*args, **kwargs)
        self.program, self.invoice, self.vendor = program, invoice, vendor
        self.contracts = {c.pk: c for c in self.contract_queryset()}
        self.fields["contract"].choices = _contract_choices(self.contracts.values())
        self.fields["currency"].initial = program.currency
        if invoice is None:
            del self.fields["version"]
        else:
            self.fields[
                "document"
            ].help_text = f"{INVOICE_UPLOADS.help_text()} Leave empty to keep the current PDF."
            for name in HEADER_FIELDS:
                self.initial.setdefault(name, getattr(invoice, name))
            self.initial.setdefault("contract", str(invoice.contract_id))
            self.initial.setdefault("version", invoice.version)

    def contract_queryset(self):
        contracts = Contract.objects.filter(program=self.program).exclude(
            status=ContractStatus.DRAFT
        )
        if self.invoice is not None:  # a correction stays with the invoice's vendor
            contracts = contracts.filter(vendor_id=self.invoice.vendor_id)
        return contracts.select_related("vendor").order_by("vendor__name", "number")

    def clean_contract(self):
        value = self.cleaned_data["contract"]
        try:
            return self.contracts[int(value)]
        except (KeyError, TypeError, ValueError):
            raise ValidationError("Choose one of the contracts listed.") from None

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

    def suggested_line(self) -> BudgetLine | None:
        """The default budget line of the chosen (or the invoice's) contract."""
        if self.portal:
            return None
        contract = None
        if self.is_bound and hasattr(self, "cleaned_data"):
            contract = self.cleaned_data.get("contract")
        elif self.invoice is not None:
            contract = self.invoice.contract
        return default_budget_line(contract)

    def fields_for_service(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in HEADER_FIELDS if name in self.fields}
        data["contract"] = self.cleaned_data["contract"]
        if data.get("note") is not None:
            data["note"] = data["note"].strip()
        return data

    def changes(self) -> dict:
        """What the correction changes (the service re-checks everything)."""
        data = self.fields_for_service()
        return {k: v for k, v in data.items() if getattr(self.invoice, k) != v}


class PortalInvoiceForm(InvoiceForm):
    """The vendor's submission: its own active contracts, the PDF required; received today."""

    portal = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["received_on"]
        del self.fields["note"]
        self.fields["contract"].label = "Contract / SOW"
        self.fields["contract"].help_text = "Your company's active contracts."
        self.fields["document"].required = True
        self.fields["document"].help_text = INVOICE_UPLOADS.help_text()
        if len(self.contracts) == 1 and not self.is_bound:
            only = next(iter(self.contracts.values()))
            self.initial.setdefault("contract", str(only.pk))
            self.initial.setdefault("currency", only.currency)

    def contract_queryset(self):
        return (
            Contract.objects.filter(
                program=self.program, vendor=self.vendor, status=ContractStatus.ACTIVE
            )
            .select_related("vendor")
            .order_by("number")
        )


class RejectForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The vendor sees this reason in its portal and by e-mail.",
    )


class PayForm(VersionedForm):
    paid_on = forms.DateField(widget=DATE, label="Paid on")
    payment_reference = forms.CharField(
        max_length=60, help_text="The bank transfer or payment-run reference."
    )
