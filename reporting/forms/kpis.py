"""Forms of the KPI registry: a KPI definition, and a manual KPI's value for a week. The owner
choices are the program's members; the source choices the registry's sources and manual."""

from __future__ import annotations

from django import forms

from core.forms import VersionedForm
from programs.models import Program
from programs.selectors import member_users

from ..collect import period_bounds
from ..kpis import source_choices
from ..models import KpiCategory, KpiDirection, KpiUnit
from ..selectors.kpis import periods_back

TEXT = {"rows": 3}


def _number(label: str, **kwargs) -> forms.DecimalField:
    field = forms.DecimalField(
        label=label, max_digits=14, decimal_places=2, required=False, **kwargs
    )
    field.widget.attrs.update(inputmode="decimal", step="any")
    return field


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name or obj.email


class KpiForm(VersionedForm):
    name = forms.CharField(max_length=120)
    category = forms.ChoiceField(choices=KpiCategory.choices, initial=KpiCategory.DELIVERY)
    source = forms.ChoiceField(
        initial="manual",
        help_text="What the system computes every week (in the source's own unit), or manual "
        "when no source holds the measure (its values are then typed in).",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        help_text="What it tells and why it matters.",
    )
    formula = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        help_text="How it is computed, in words. Left empty for a computed KPI, the source's "
        "own formula is used.",
    )
    unit = forms.ChoiceField(choices=KpiUnit.choices, initial=KpiUnit.PERCENT)
    direction = forms.ChoiceField(choices=KpiDirection.choices, initial=KpiDirection.HIGHER)
    target = _number("Target")
    amber_threshold = _number(
        "Amber beyond", help_text="Amber past this value, on the bad side of the direction."
    )
    red_threshold = _number(
        "Red beyond", help_text="Red past this value, on the bad side of the direction."
    )
    owner = OwnerField(queryset=None, required=False, empty_label="(no owner)")
    active = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Inactive KPIs keep their history but are no longer recorded or shown on "
        "dashboards.",
    )

    FIELDS = (
        "name", "category", "source", "description", "formula", "unit", "direction", "target",
        "amber_threshold", "red_threshold", "owner", "active",
    )  # fmt: skip

    def __init__(self, *args, program: Program, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["owner"].queryset = member_users(program=program)
        self.fields["source"].choices = source_choices()
        if creating:
            self.fields["version"].required = False

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source == "manual" and not (data.get("formula") or "").strip():
            self.add_error("formula", "Say how a manual KPI is measured (e.g. the survey asked).")
        return data

    def changes(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.FIELDS}


def period_label(period: str) -> str:
    start, end = period_bounds(period)
    return f"{period} ({start:%-d %b} \u2013 {end:%-d %b %Y})"


class KpiValueForm(forms.Form):
    """A manual KPI's value for one of the last weeks (a week already entered is corrected)."""

    period = forms.ChoiceField(label="Week")
    value = forms.DecimalField(max_digits=16, decimal_places=4)
    note = forms.CharField(
        max_length=300,
        help_text="Where the figure comes from, e.g. 'Quarterly stakeholder survey, 42 replies'.",
    )

    def __init__(self, *args, program: Program, weeks: int = 12, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].widget.attrs.update(inputmode="decimal", step="any")
        choices = [(p, period_label(p)) for p in reversed(periods_back(program, weeks))]
        self.fields["period"].choices = choices
        if not self.is_bound and "period" not in self.initial:
            self.initial["period"] = choices[0][0]
