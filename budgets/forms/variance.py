"""Forms of the variance pages: the view's filters, writing and reviewing an explanation, and
the program's budget settings."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from core.fields import MAX_MONEY
from core.forms import VersionedForm
from programs.models import Program, Workstream
from vendors.models import Vendor

from ..models import CostCategory, ExplanationStatus
from ..selectors.variance import GROUPS


class VarianceFilterForm(forms.Form):
    """The variance view's filters (GET): every choice is one of this program's rows."""

    group = forms.ChoiceField(label="Group by", choices=list(GROUPS.items()), required=False)
    workstream = forms.ChoiceField(required=False)
    category = forms.ChoiceField(required=False)
    vendor = forms.ChoiceField(required=False)

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        # `from` and `to` (YYYY-MM) are the query's names, which a class attribute cannot be
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.CharField(
                label=label, required=False,
                widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
            )  # fmt: skip
        self.fields["workstream"].choices = [("", "All workstreams")] + [
            (str(pk), f"{key} {name}")
            for pk, key, name in Workstream.objects.filter(program=program)
            .order_by("key")
            .values_list("pk", "key", "name")
        ]
        self.fields["category"].choices = [("", "All categories")] + [
            (str(pk), name)
            for pk, name in CostCategory.objects.filter(program=program)
            .order_by("position", "name")
            .values_list("pk", "name")
        ]
        self.fields["vendor"].choices = [("", "All vendors")] + [
            (str(pk), name)
            for pk, name in Vendor.objects.filter(program=program)
            .order_by("name")
            .values_list("pk", "name")
        ]


class ExplanationWriteForm(VersionedForm):
    text = forms.CharField(
        label="What caused the variance?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="Say what happened, whether it recurs, and what it does to the forecast.",
    )


class ExplanationReviewForm(VersionedForm):
    decision = forms.ChoiceField(
        choices=[
            (ExplanationStatus.APPROVED, "Approve"),
            (ExplanationStatus.RETURNED, "Return for more detail"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note to the writer",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Needed when you return it: say what is missing.",
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("decision") == ExplanationStatus.RETURNED
            and not (data.get("note") or "").strip()
        ):
            self.add_error("note", "Say what is missing, so the owner can complete it.")
        return data


def _money_input() -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})


class BudgetSettingsForm(VersionedForm):
    variance_percent = forms.DecimalField(
        label="Variance threshold (%)",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("999.99"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        help_text="As a share of the month's plan.",
    )
    variance_amount = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), max_value=MAX_MONEY,
        widget=_money_input(),
    )  # fmt: skip
    invoice_approval_limit = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), max_value=MAX_MONEY,
        widget=_money_input(),
    )  # fmt: skip
    monthly_export = forms.BooleanField(
        label="E-mail the variance report every month",
        required=False,
        help_text="On the 1st, as CSV and XLSX, to the program's finance members.",
    )
    export_bom = forms.BooleanField(
        label="Start CSV exports with a byte-order mark",
        required=False,
        help_text="Lets Excel on Windows open the UTF-8 file with accents intact; "
        "leave off for tools that read plain UTF-8.",
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        currency = program.currency
        amount = self.fields["variance_amount"]
        amount.label = f"Variance threshold ({currency})"
        amount.help_text = "A variance needs an explanation once it reaches both thresholds."
        limit = self.fields["invoice_approval_limit"]
        limit.label = f"Finance approves invoices up to ({currency})"
        self.fields[
            "invoice_approval_limit"
        ].help_text = "Larger invoices need a program manager's approval."
