"""Forms of SLAs, measurements, escalations and their steps, and the scorecard period picker.
Choice querysets are scoped to the program (contracts, vendors, members)."""

from __future__ import annotations

import datetime as dt

from django import forms

from core.forms import VersionedForm
from core.models import User
from programs.models import Program
from programs.selectors import member_users

from .. import periods as P
from ..models import (
    Contract,
    ContractStatus,
    EscalationLevel,
    EscalationStatus,
    SLADirection,
    SLAPeriod,
    Vendor,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 3}


def _number(label: str, **kwargs) -> forms.DecimalField:
    field = forms.DecimalField(label=label, max_digits=12, decimal_places=3, **kwargs)
    field.widget.attrs.update(inputmode="decimal", step="any")
    return field


def running_contracts(program: Program):
    return (
        Contract.objects.filter(program=program)
        .exclude(status__in=[ContractStatus.COMPLETED, ContractStatus.TERMINATED])
        .select_related("vendor")
        .order_by("vendor__name", "number")
    )


class ContractChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contract) -> str:
        return f"{obj.key} · {obj.vendor.name} · {obj.title}"


class ServiceLevelForm(VersionedForm):
    contract = ContractChoiceField(queryset=Contract.objects.none())
    metric = forms.CharField(
        max_length=200, help_text="What is measured, e.g. Availability of the production system."
    )
    direction = forms.ChoiceField(
        choices=SLADirection.choices, initial=SLADirection.AT_LEAST, label="Target is"
    )
    target = _number("Target", min_value=0)
    unit = forms.CharField(max_length=20, help_text="e.g. %, hours, days, tickets.")
    period = forms.ChoiceField(
        choices=SLAPeriod.choices,
        initial=SLAPeriod.MONTHLY,
        label="Measured",
        help_text="Weekly: Monday to Sunday. Monthly: calendar months. Quarterly: calendar "
        "quarters.",
    )

    def __init__(self, *args, program: Program, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = running_contracts(program)
        if creating:
            del self.fields["version"]


def measurable_periods(service_level, today: dt.date, taken=()) -> list[tuple[dt.date, dt.date]]:
    """The SLA's periods that can be recorded, newest first: started by `today`, inside the
    contract's term, not yet measured (`taken`: period starts already recorded)."""
    contract = service_level.contract
    count = {SLAPeriod.WEEKLY: 26, SLAPeriod.MONTHLY: 24, SLAPeriod.QUARTERLY: 12}
    found = []
    start, end = P.sla_period_containing(service_level.period, today)
    for _ in range(count.get(service_level.period, 24)):
        if end < contract.start_date:
            break
        if start <= contract.current_end_date and start not in taken:
            found.append((start, end))
        start, end = P.sla_period_containing(service_level.period, start - dt.timedelta(days=1))
    return found


class MeasurementForm(VersionedForm):
    """Record one period's value (the period picked from the SLA's recordable periods), or
    correct a recorded value and its note (the period stays)."""

    period_start = forms.TypedChoiceField(
        label="Period",
        coerce=dt.date.fromisoformat,
        choices=(),
    )
    value = _number("Measured value")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="How it was measured, or what explains a breach (internal: the vendor portal "
        "does not show it).",
    )

    def __init__(self, *args, service_level, today=None, taken=(), creating=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_level = service_level
        self.fields["value"].label = f"Measured value ({service_level.unit})"
        if creating:
            del self.fields["version"]
            options = measurable_periods(service_level, today, taken)
            self.fields["period_start"].choices = [
                (start.isoformat(), P.sla_period_label(service_level.period, start))
                for start, _end in options
            ]
            complete = [start for start, end in options if end < today]
            if complete and not self.is_bound:
                self.initial.setdefault("period_start", complete[0].isoformat())
            rule = P.sla_period_rule(service_level.period)
            self.fields[
                "period_start"
            ].help_text = (
                f"Each measurement covers {rule}. Periods already measured are not offered."
            )
        else:
            del self.fields["period_start"]


class EscalationForm(VersionedForm):
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.none())
    contract = ContractChoiceField(
        queryset=Contract.objects.none(),
        required=False,
        help_text="The contract whose escalation clause applies, if any.",
    )
    title = forms.CharField(max_length=300)
    level = forms.TypedChoiceField(
        choices=EscalationLevel.choices, coerce=int, initial=EscalationLevel.OPERATIONAL
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="Who drives it for the program.",
    )
    raised_on = forms.DateField(widget=DATE, required=False, help_text="Empty: today.")
    respond_by = forms.DateField(
        widget=DATE, required=False, help_text="When the vendor's response is due."
    )

    def __init__(self, *args, program: Program, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = Vendor.objects.filter(program=program).order_by("name")
        self.fields["contract"].queryset = Contract.objects.filter(program=program).select_related(
            "vendor"
        )
        self.fields["owner"].queryset = member_users(program=program)
        if creating:
            del self.fields["version"]
        else:
            del self.fields["vendor"]
            del self.fields["level"]

    def clean(self):
        data = super().clean()
        vendor = data.get("vendor")
        contract = data.get("contract")
        if vendor and contract and contract.vendor_id != vendor.pk:
            self.add_error("contract", f"{contract.key} is not a contract of {vendor.name}.")
        return data


class EscalateForm(VersionedForm):
    note = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        label="Why it goes up a level",
        help_text="Recorded in the escalation's history.",
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, help_text="Empty: keep the current owner."
    )
    respond_by = forms.DateField(
        widget=DATE, required=False, label="New response date", help_text="Empty: keep it."
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_users(program=program)


class FinishForm(VersionedForm):
    """Resolve or close: the outcome is required."""

    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    resolved_on = forms.DateField(
        widget=DATE, required=False, label="On", help_text="Empty: today."
    )

    def __init__(self, *args, closing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].label = "Why it is closed" if closing else "Outcome"
        self.fields["outcome"].help_text = (
            "E.g. withdrawn, overtaken by the contract's termination."
            if closing
            else "What was agreed, e.g. service credits of 5 % and a remediation plan by 30 June."
        )


class ReopenForm(VersionedForm):
    note = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        label="Why it is reopened",
        help_text="The previous outcome stays in the history.",
    )


class ScorecardPeriodForm(forms.Form):
    """`?period=2026-03` or `?period=2026-Q1`; months by default."""

    period = forms.CharField(required=False)
    kind = forms.ChoiceField(choices=[(P.MONTH, "Months"), (P.QUARTER, "Quarters")], required=False)

    def period_for(self, today: dt.date) -> P.Period:
        if self.is_valid():
            chosen = P.Period.parse(self.cleaned_data.get("period"))
            kind = self.cleaned_data.get("kind") or (chosen.kind if chosen else P.MONTH)
            if chosen is not None and chosen.kind != kind:
                chosen = P.Period.containing(chosen.end, kind)
            latest = P.Period.containing(today, kind)
            if chosen is not None and chosen.start <= latest.start:
                return chosen
            return P.Period.default(today, kind)
        return P.Period.default(today)


def period_choices(today: dt.date, kind: str, count: int = 24) -> list[P.Period]:
    """The periods a scorecard offers, newest first (the current one included)."""
    latest = P.Period.containing(today, kind)
    return [latest.shift(-n) for n in range(count)]


ESCALATION_STATUS_COLOURS = {
    EscalationStatus.OPEN: "orange",
    EscalationStatus.RESOLVED: "green",
    EscalationStatus.CLOSED: "secondary",
}
