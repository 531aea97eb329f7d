"""Forecasts: what a line is expected to cost in a month, as estimated on an as-of date.

Every re-forecast adds rows; none is overwritten, so a forecast's movement can be shown. The
row with `is_latest` (one per line and month, kept by the service in the same transaction) is
the current forecast, so aggregates filter on one indexed column.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.fields import money_field
from programs.models import Program, ProgramOwnedModel

from .common import first_of_month, month_field
from .structure import BudgetLine

__all__ = ["ForecastEntry"]


class ForecastEntry(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="forecasts")
    month = month_field()
    as_of = models.DateField(help_text="When this estimate was made.")
    amount = money_field("forecast")
    note = models.CharField(max_length=300, blank=True)
    is_latest = models.BooleanField(default=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["line_id", "month", "as_of"]
        verbose_name_plural = "forecast entries"
        constraints = [
            models.UniqueConstraint(
                fields=["line", "month", "as_of"],
                name="forecast_line_month_as_of_unique",
                violation_error_message=(
                    "This line already has a forecast for that month as of that date."
                ),
            ),
            models.UniqueConstraint(
                fields=["line", "month"],
                condition=models.Q(is_latest=True),
                name="forecast_one_latest",
            ),
            first_of_month("forecast"),
        ]
        indexes = [
            models.Index(
                fields=["program", "line", "month"],
                condition=models.Q(is_latest=True),
                name="forecast_latest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.month:%Y-%m} as of {self.as_of}: {self.amount}"
