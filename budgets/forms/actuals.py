"""Forms of the actuals pages: manual cost entries (a cost or an explicit credit), accruals
and their cancellation, and the general-ledger upload. Choice querysets are scoped to the
program; amounts are checked to the cent by the services, months against the program."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from core.forms import VersionedForm
from core.uploads import check_upload
from programs.models import Program
from vendors.models import Contract, Vendor

from ..models import BudgetLine
from ..selectors.actuals import MonthField
from ..services.checks import CENT, check_month
from ..services.gl_import import UPLOAD

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"})
COST, CREDIT = "cost", "credit"


def _lines(program: Program):
    return (
        BudgetLine.objects.filter(program=program).select_related("workstream").order_by("number")
    )


def line_label(line: BudgetLine) -> str:
    return f"{line.key} {line.name} ({line.workstream.name})"


def amount_text(value: str, *, allow_zero: bool = False) -> Decimal:
    """A positive amount to the cent, with clear reasons; the sign is chosen separately."""
    text = (value or "").strip().replace(" ", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"“{value}” is not an amount; write e.g. 1250.50.") from None
    if not amount.is_finite():
        raise ValidationError(f"“{value}” is not an amount; write e.g. 1250.50.")
    if amount < 0:
        raise ValidationError(
            "Enter the amount without a sign: choose “Credit” to book a negative amount."
        )
    if amount != amount.quantize(CENT):
        raise ValidationError(f"{value} has more than two decimals; amounts are to the cent.")
    if not amount and not allow_zero:
        raise ValidationError("Enter an amount above zero.")
    return amount.quantize(CENT)


def program_month(program: Program, month):
    """The month, refused on the field when outside the program (so it shows with the others)."""
    try:
        return check_month(program, month)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["month"]) from None


class CostEntryForm(forms.Form):
    line = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), label="Budget line")
    month = MonthField(
        widget=MONTH, help_text="The month the cost belongs to (YYYY-MM), inside the program."
    )
    kind = forms.ChoiceField(
        choices=[(COST, "Cost"), (CREDIT, "Credit (books a negative amount)")],
        initial=COST, widget=forms.RadioSelect, label="Type",
    )  # fmt: skip
    amount = forms.CharField(
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    posted_on = forms.DateField(widget=DATE, label="Booked on", required=False,
                                help_text="Today when blank.")  # fmt: skip
    description = forms.CharField(max_length=300)
    reference = forms.CharField(
        max_length=60, required=False, help_text="A receipt, expense claim or journal number."
    )
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.none(), required=False)

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["line"].queryset = _lines(program)
        self.fields["line"].label_from_instance = line_label
        self.fields["vendor"].queryset = Vendor.objects.filter(program=program).order_by("name")
        self.fields["amount"].help_text = f"In {program.currency}, to the cent (e.g. 1250.50)."

    def clean_amount(self):
        return amount_text(self.cleaned_data["amount"])

    def clean_month(self):
        return program_month(self.program, self.cleaned_data["month"])

    def service_fields(self) -> dict:
        data = self.cleaned_data
        amount = data["amount"]
        return {
            "line": data["line"],
            "month": data["month"],
            "amount": -amount if data["kind"] == CREDIT else amount,
            "posted_on": data["posted_on"],
            "description": data["description"],
            "reference": data["reference"],
            "vendor": data["vendor"],
        }


class CostEntryEditForm(CostEntryForm, VersionedForm):
    pass


def cost_entry_initial(entry) -> dict:
    return {
        "version": entry.version, "line": entry.line_id, "month": f"{entry.month:%Y-%m}",
        "kind": CREDIT if entry.amount < 0 else COST, "amount": f"{abs(entry.amount):.2f}",
        "posted_on": entry.posted_on, "description": entry.description,
        "reference": entry.reference, "vendor": entry.vendor_id,
    }  # fmt: skip


class AccrualForm(forms.Form):
    line = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), label="Budget line")
    month = MonthField(
        widget=MONTH, help_text="The month the work was done; it reverses on the next month's 1st."
    )
    amount = forms.CharField(
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(
        max_length=300, help_text="The work done and not yet invoiced, e.g. 'October build sprint'."
    )
    contract = forms.ModelChoiceField(
        queryset=Contract.objects.none(), required=False,
        help_text="The contract the invoice will come under, where there is one.",
    )  # fmt: skip

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = _lines(program)
        self.fields["line"].label_from_instance = line_label
        self.fields["contract"].queryset = (
            Contract.objects.filter(program=program).select_related("vendor").order_by("key")
        )
        self.fields["contract"].label_from_instance = lambda c: f"{c.key} {c.title}"
        self.fields["amount"].help_text = f"In {program.currency}, to the cent."
        self.program = program

    def clean_amount(self):
        return amount_text(self.cleaned_data["amount"])

    def clean_month(self):
        return program_month(self.program, self.cleaned_data["month"])


class AccrualCancelForm(VersionedForm):
    reason = forms.CharField(
        max_length=250, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept on the offsetting entries, e.g. 'Invoice arrived before month end'.",
    )  # fmt: skip


class GLUploadForm(forms.Form):
    file = forms.FileField(
        label="General-ledger extract",
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD.accept_attribute()}),
        help_text=UPLOAD.help_text(),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_upload(upload, UPLOAD)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["file"]) from None
        return upload
