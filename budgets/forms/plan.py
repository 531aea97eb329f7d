"""Forms of the budget structure: cost categories, budget lines, a row of the plan grid, change
orders with their amounts, reserves and reserve movements. Choice querysets are scoped to the
program; every amount is read by `budgets.services.checks.parse_amount`, so the page, the API
and the services refuse the same input with the same words."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from core.forms import VersionedForm
from programs.models import Program, Workstream
from programs.selectors import member_users
from vendors.models import Contract, Vendor

from ..models import BudgetLine, CategoryKind, CostCategory, ExpenseType, ReserveKind
from ..months import month_label, parse_month
from ..selectors.plan import (
    change_order_change_requests,
    change_orders_for_reserves,
    program_month_list,
)
from ..services.checks import parse_amount

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AmountField(forms.CharField):
    """Money typed as text (`1250.50`), read by parse_amount: to the cent, unsigned unless
    `signed`, never through a float."""

    def __init__(self, *args, signed: bool = False, **kwargs):
        self.signed = signed
        kwargs.setdefault("max_length", 24)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update(inputmode="decimal", autocomplete="off")

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            return parse_amount(value.replace(",", ""), "amount", signed=self.signed)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["amount"]) from None


def _without_version(form: forms.Form, creating: bool) -> None:
    if creating:
        del form.fields["version"]


class CategoryForm(VersionedForm):
    name = forms.CharField(max_length=120, help_text="e.g. Vendor services, Internal labour.")
    kind = forms.ChoiceField(choices=CategoryKind.choices, initial=CategoryKind.OTHER)
    expense_type = forms.ChoiceField(
        choices=ExpenseType.choices, initial=ExpenseType.OPEX, label="Capex / opex"
    )
    gl_account = forms.CharField(
        max_length=30, required=False, label="GL account", help_text="e.g. 620100."
    )
    position = forms.IntegerField(
        min_value=0, max_value=32000, initial=0, required=False, help_text="Sort order."
    )

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _without_version(self, creating)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Name the category.")
        return name

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        data["position"] = data.get("position") or 0
        data["gl_account"] = data.get("gl_account", "").strip()
        return data


class LineForm(VersionedForm):
    workstream = forms.ModelChoiceField(queryset=Workstream.objects.none())
    category = forms.ModelChoiceField(queryset=CostCategory.objects.none())
    name = forms.CharField(max_length=200, help_text="e.g. Northwind SOW 1, Internal FTEs.")
    owner = forms.ModelChoiceField(
        queryset=None, required=False, help_text="Explains this line's variances."
    )
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.none(), required=False)
    contract = forms.ModelChoiceField(
        queryset=Contract.objects.none(),
        required=False,
        label="Contract / SOW",
        help_text="Its vendor is taken when no vendor is chosen.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, program: Program, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _without_version(self, creating)
        self.fields["workstream"].queryset = Workstream.objects.filter(program=program)
        self.fields["category"].queryset = CostCategory.objects.filter(program=program)
        self.fields["owner"].queryset = member_users(program=program)
        self.fields["owner"].label_from_instance = lambda u: u.full_name or u.email
        self.fields["vendor"].queryset = Vendor.objects.filter(program=program).order_by("name")
        contracts = Contract.objects.filter(program=program).select_related("vendor")
        self.fields["contract"].queryset = contracts.order_by("number")
        self.fields["contract"].label_from_instance = lambda c: f"{c.key} {c.title}"
        for name in ("owner", "vendor", "contract"):
            self.fields[name].empty_label = "None"

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Name the line.")
        return name

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class PlanRowForm(VersionedForm):
    """A row of the grid: one amount per program month (`m-2026-03`), empty meaning zero."""

    def __init__(self, *args, months: list[dt.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.months = months
        for month in months:
            self.fields[self.field_name(month)] = AmountField(
                required=False, label=f"{month:%b %Y}"
            )

    @staticmethod
    def field_name(month: dt.date) -> str:
        return f"m-{month_label(month)}"

    def amounts(self) -> dict[dt.date, object]:
        return {m: self.cleaned_data.get(self.field_name(m)) for m in self.months}

    def cells(self) -> list[forms.BoundField]:
        return [self[self.field_name(m)] for m in self.months]

    @property
    def first_error_index(self) -> int:
        names = [self.field_name(m) for m in self.months]
        return next((i for i, name in enumerate(names) if name in self.errors), -1)

    @property
    def cell_error_count(self) -> int:
        return sum(1 for m in self.months if self.field_name(m) in self.errors)


class ChangeOrderForm(VersionedForm):
    title = forms.CharField(max_length=200, help_text="e.g. Second SIT team for cycle 1.")
    change_request = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Caused by change request",
        help_text="Approved or implemented change requests of this program.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the budget changes."
    )

    def __init__(self, *args, program: Program, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _without_version(self, creating)
        field = self.fields["change_request"]
        field.queryset = change_order_change_requests(program=program)
        field.label_from_instance = lambda cr: f"{cr.key} {cr.title} ({cr.get_status_display()})"
        field.empty_label = "None"


class ChangeOrderAmountForm(forms.Form):
    line = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), required=False)
    month = forms.ChoiceField(required=False)
    amount = AmountField(signed=True, required=False, help_text="Negative takes budget away.")

    def __init__(self, *args, program: Program, lines, months: list[dt.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["class"] = "plan-amount-input"
        self.fields["line"].queryset = lines
        self.fields["line"].label_from_instance = lambda line: f"{line.key} {line.name}"
        self.fields["line"].empty_label = "—"
        self.fields["month"].choices = [("", "—")] + [
            (month_label(m), f"{m:%b %Y}") for m in months
        ]

    def clean(self):
        data = super().clean()
        filled = [data.get("line"), data.get("month"), data.get("amount")]
        if any(v not in (None, "") for v in filled) and not all(
            v not in (None, "") for v in filled
        ):
            raise ValidationError("Give the line, the month and the amount (or leave all three).")
        if data.get("month"):
            data["month"] = parse_month(data["month"])
        return data

    def is_filled(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("line"))


class BaseAmountFormSet(forms.BaseFormSet):
    def rows(self) -> list[tuple]:
        return [
            (f.cleaned_data["line"], f.cleaned_data["month"], f.cleaned_data["amount"])
            for f in self.forms
            if f.is_filled()
        ]


def amount_formset(data=None, *, program: Program, initial=None, extra: int = 4):
    lines = BudgetLine.objects.filter(program=program).order_by("number")
    months = program_month_list(program)
    formset_class = forms.formset_factory(
        ChangeOrderAmountForm, formset=BaseAmountFormSet, extra=extra, max_num=200,
        validate_max=True,
    )  # fmt: skip
    return formset_class(
        data,
        initial=initial,
        prefix="amounts",
        form_kwargs={"program": program, "lines": lines, "months": months},
    )


class DecisionForm(VersionedForm):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])


class ReserveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    amount = AmountField(label="Amount set aside")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class MovementForm(forms.Form):
    reserve = forms.ChoiceField(choices=ReserveKind.choices)
    on = forms.DateField(widget=DATE, label="Date")
    amount = AmountField(
        signed=True, help_text="Negative for a draw on the reserve, positive for a top-up."
    )
    change_order = forms.ModelChoiceField(queryset=None, required=False, label="For change order")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["change_order"]
        field.queryset = change_orders_for_reserves(program=program)
        field.label_from_instance = lambda co: f"{co.key} {co.title} ({co.get_status_display()})"
        field.empty_label = "None"
