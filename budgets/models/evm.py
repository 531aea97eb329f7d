"""Earned value history: what PV, EV and AC were in a past month.

Percent complete is only stored as it is now, so a past month's earned value cannot be worked
out later. `EarnedValueSnapshot` keeps it: one row per program and month for the whole program
(`workstream` empty) and one per workstream, taken by `services.evm.evm_snapshot_take` (a
monthly scheduled run; taking it again in the same month updates the month's row).
"""

from __future__ import annotations

from django.db import models

from core.fields import money_field
from programs.models import Program, ProgramOwnedModel, Workstream

from .common import first_of_month, month_field

__all__ = ["EarnedValueSnapshot"]


class EarnedValueSnapshot(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    workstream = models.ForeignKey(
        Workstream,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the whole program.",
    )
    month = month_field()
    as_of = models.DateField(help_text="The status date the figures are measured at.")
    bac = money_field("budget at completion", signed=True)
    pv = money_field("planned value", signed=True)
    ev = money_field("earned value", signed=True)
    ac = money_field("actual cost", signed=True)
    percent_complete = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True,
        help_text="The weighted percent complete EV was earned from (empty when unmeasured).",
    )  # fmt: skip
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["program_id", "month", "workstream_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "month"],
                condition=models.Q(workstream__isnull=True),
                name="ev_snapshot_program_month_unique",
            ),
            models.UniqueConstraint(
                fields=["program", "workstream", "month"],
                condition=models.Q(workstream__isnull=False),
                name="ev_snapshot_workstream_month_unique",
            ),
            first_of_month("ev_snapshot"),
        ]

    def __str__(self) -> str:
        scope = self.workstream_id or "program"
        return f"EV {self.program_id}/{scope} {self.month:%Y-%m}"
