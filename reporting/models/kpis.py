"""KPIs: a registry of definitions per program and one value per KPI and week.

A KPI's `source` names a computation in reporting/kpis.py's registry (schedule variance,
milestone hit rate, budget burn, ...) whose values the system records every week; "manual" is
for a measure no source holds, and its values are typed in and marked as such.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.fields import KeyedMixin, key_constraints
from programs.models import Program, ProgramOwnedModel

from .reports import validate_period

__all__ = ["MANUAL", "KpiCategory", "KpiDefinition", "KpiDirection", "KpiUnit", "KpiValue"]

MANUAL = "manual"


class KpiCategory(models.TextChoices):
    OUTCOME = "outcome", "Outcome"
    DELIVERY = "delivery", "Delivery"
    QUALITY = "quality", "Quality"


class KpiUnit(models.TextChoices):
    PERCENT = "percent", "%"
    RATIO = "ratio", "ratio"
    DAYS = "days", "days"
    COUNT = "count", "count"
    MONEY = "money", "amount (program currency)"


class KpiDirection(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class KpiDefinition(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "KPI"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="kpis")
    name = models.CharField(max_length=120)
    category = models.CharField(
        max_length=10, choices=KpiCategory.choices, default=KpiCategory.DELIVERY
    )
    description = models.TextField(blank=True, help_text="What it tells and why it matters.")
    formula = models.TextField(help_text="How it is computed, in words.")
    unit = models.CharField(max_length=8, choices=KpiUnit.choices, default=KpiUnit.PERCENT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(
        max_length=40,
        default=MANUAL,
        help_text="The computation that records it weekly, or manual when no source holds it.",
    )
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    amber_threshold = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True,
        help_text="Amber beyond this value (on the bad side of the direction).",
    )  # fmt: skip
    red_threshold = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True,
        help_text="Red beyond this value (on the bad side of the direction).",
    )  # fmt: skip
    direction = models.CharField(
        max_length=6, choices=KpiDirection.choices, default=KpiDirection.HIGHER
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["program", "number"]
        constraints = key_constraints("kpi_definition")

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    @property
    def is_manual(self) -> bool:
        return self.source == MANUAL

    def get_absolute_url(self) -> str:
        return reverse("reporting:kpi_detail", kwargs={"code": self.program.code, "key": self.key})


class KpiValue(ProgramOwnedModel):
    """The KPI's value for one ISO week: computed by the system or, for manual KPIs, typed in."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    definition = models.ForeignKey(KpiDefinition, on_delete=models.CASCADE, related_name="values")
    period = models.CharField(max_length=8, validators=[validate_period])
    value = models.DecimalField(
        max_digits=16, decimal_places=4, null=True, blank=True,
        help_text="Empty when the source had nothing to measure that week.",
    )  # fmt: skip
    manual = models.BooleanField(default=False, editable=False)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )  # fmt: skip
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["definition", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "period"], name="kpi_value_period_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.key} {self.period}: {self.value}"
