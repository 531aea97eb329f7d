"""Service levels, their measurements, and contractual escalations (ESC-n).

An SLA belongs to a contract: a metric with a target, a unit, a direction (at least / at most)
and a measurement period. Each recorded measurement stores whether it breached the target
(`breached`, computed by the service from the SLA at the time), so attainment is a database
aggregate. Scorecards are computed from these rows and from deliverables (see `selectors`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from programs.models import Program, ProgramOwnedModel

from .common import KeyedMixin, key_constraints
from .contracts import Contract
from .vendors import Vendor

__all__ = [
    "Escalation",
    "EscalationLevel",
    "EscalationStatus",
    "SLADirection",
    "SLAMeasurement",
    "SLAPeriod",
    "ServiceLevel",
]


class SLADirection(models.TextChoices):
    AT_LEAST = "at_least", "at least (higher is better)"
    AT_MOST = "at_most", "at most (lower is better)"


class SLAPeriod(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class ServiceLevel(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="service_levels")
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="service_levels", editable=False
    )  # the contract's vendor
    metric = models.CharField(max_length=200, help_text="e.g. Availability of the test system.")
    target = models.DecimalField(max_digits=12, decimal_places=3)
    unit = models.CharField(max_length=20, help_text="e.g. %, hours, tickets.")
    direction = models.CharField(
        max_length=8, choices=SLADirection.choices, default=SLADirection.AT_LEAST
    )
    period = models.CharField(max_length=10, choices=SLAPeriod.choices, default=SLAPeriod.MONTHLY)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["contract_id", "metric", "id"]
        verbose_name = "SLA"
        verbose_name_plural = "SLAs"

    def __str__(self) -> str:
        return (
            f"{self.metric} {self.get_direction_display().split(' ')[0]} {self.target} {self.unit}"
        )

    def is_breach(self, value) -> bool:
        if self.direction == SLADirection.AT_LEAST:
            return value < self.target
        return value > self.target


class SLAMeasurement(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    service_level = models.ForeignKey(
        ServiceLevel, on_delete=models.PROTECT, related_name="measurements"
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="+", editable=False
    )  # the SLA's vendor: scorecards aggregate on it
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=12, decimal_places=3)
    breached = models.BooleanField(editable=False)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["service_level_id", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_level", "period_start"], name="sla_measurement_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="sla_measurement_period_order",
            ),
        ]
        indexes = [models.Index(fields=["vendor", "period_start"], name="sla_measurement_vendor")]

    def __str__(self) -> str:
        return f"{self.service_level.metric} {self.period_start}: {self.value}"


class EscalationLevel(models.IntegerChoices):
    OPERATIONAL = 1, "1 · Operational (contract managers)"
    MANAGEMENT = 2, "2 · Management (program manager and account executive)"
    EXECUTIVE = 3, "3 · Executive (sponsor and vendor executive)"
    FORMAL = 4, "4 · Formal dispute (per contract clause)"


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed without resolution"


class Escalation(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "ESC"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="escalations")
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    title = models.CharField(max_length=300)
    level = models.PositiveSmallIntegerField(
        choices=EscalationLevel.choices, default=EscalationLevel.OPERATIONAL
    )
    reason = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_on = models.DateField()
    respond_by = models.DateField(null=True, blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.OPEN
    )
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            *key_constraints("escalation"),
            models.CheckConstraint(
                condition=models.Q(status="open") | ~models.Q(outcome=""),
                name="escalation_closed_needs_outcome",
            ),
        ]
        indexes = [models.Index(fields=["vendor", "status"], name="escalation_vendor")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            "vendors:escalation_detail", kwargs={"code": self.program.code, "key": self.key}
        )
