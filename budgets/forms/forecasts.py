"""Forms of the forecast pages: one line's open months (a row of the grid) and copying the
remaining plan into the forecast. Amounts are checked by the services (to the cent, not
negative); the forms keep what was typed."""

from __future__ import annotations

import datetime as dt

from django import forms

from core.forms import VersionedForm

from ..months import month_label


def month_field_name(month: dt.date) -> str:
    return f"m_{month_label(month)}"


class ForecastLineForm(VersionedForm):
    """An amount per open month; a blank one leaves that month's forecast as it is."""

    note = forms.CharField(
        max_length=300, required=False, label="Why it moved",
        help_text="Kept with each month's new estimate, e.g. 'Go-live moved to May'.",
    )  # fmt: skip

    def __init__(self, *args, months: list[dt.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.months = months
        for month in months:
            self.fields[month_field_name(month)] = forms.CharField(
                required=False,
                max_length=20,
                label=f"{month:%b %Y}",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def amounts(self) -> dict[dt.date, str]:
        """The months given a value (the service checks each amount)."""
        found = {}
        for month in self.months:
            value = (self.cleaned_data.get(month_field_name(month)) or "").strip()
            if value:
                found[month] = value.replace(",", "") if "." in value else value
        return found

    def aliases(self) -> dict[str, str]:
        """Service error keys (`2026-11`) -> this form's field names."""
        return {month_label(m): month_field_name(m) for m in self.months}


class CopyPlanForm(VersionedForm):
    pass
