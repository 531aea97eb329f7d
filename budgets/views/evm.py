"""The earned value page: tiles, the S-curve with its table, and a table per workstream.

`?status_date=YYYY-MM-DD` picks the status date (default: today in the program's time zone);
a date that is not one, or lies outside the program, re-renders the page at the default date
with the reason (400).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.views.generic import TemplateView

from programs.mixins import ProgramViewMixin

from .. import evm
from ..selectors.evm import evm_report


class StatusDateForm(forms.Form):
    status_date = forms.DateField(
        label="Status date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Give a date as YYYY-MM-DD, e.g. 2026-11-27."},
    )

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program

    def clean_status_date(self) -> dt.date:
        day = self.cleaned_data["status_date"]
        start, end = self.program.start_date, self.program.end_date
        if not start <= day <= end:
            raise forms.ValidationError(
                f"Pick a date within the program ({start:%Y-%m-%d} to {end:%Y-%m-%d})."
            )
        return day


def status_date_from(params, program) -> tuple[StatusDateForm, dt.date | None, bool]:
    """The form, the chosen date (None: the default) and whether the input was refused."""
    if not params.get("status_date"):
        return StatusDateForm(program=program), None, False
    form = StatusDateForm(params, program=program)
    if form.is_valid():
        return form, form.cleaned_data["status_date"], False
    return form, None, True


class EarnedValueView(ProgramViewMixin, TemplateView):
    """Earned value of the program and its workstreams at a status date."""

    permission_action = "budget.view"
    nav_section = "budgets:evm"
    template_name = "budgets/evm/evm.html"

    def get(self, request, *args, **kwargs):
        form, status_date, refused = status_date_from(request.GET, self.program)
        report = evm_report(self.program, status_date=status_date)
        if not form.is_bound:
            form = StatusDateForm(initial={"status_date": report.status_date}, program=self.program)
        context = self.get_context_data(report=report, form=form)
        return self.render_to_response(context, status=400 if refused else 200)

    def get_context_data(self, **kwargs):
        report = kwargs["report"]
        total = report.total
        shown = total.shown
        eac_cards = [{"method": method, **shown["eac"][method]} for method in evm.EAC_METHODS]
        return super().get_context_data(
            currency=self.program.currency,
            total=total,
            shown=shown,
            eac_cards=eac_cards,
            chart=report.chart_data(),
            points=report.points,
            empty=not report.has_budget or not report.has_schedule,
            thresholds={"red": "0.95", "amber": "1.00"},
            **kwargs,
        )
