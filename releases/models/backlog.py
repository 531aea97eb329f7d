"""The delivery backlog: items (PBI-n) per workstream, prioritised by MoSCoW and WSJF, ranked by
their lead and planned into iterations (sprints). Dependencies between items of different
workstreams are cross-team dependencies and are flagged.

WSJF (SAFe's weighted shortest job first) = cost of delay / job size, where cost of delay =
business value + time criticality + risk reduction (or opportunity enablement), each scored on the
modified Fibonacci scale 1, 2, 3, 5, 8, 13, 20.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from core.fields import KeyedMixin, key_constraints
from programs.models import Program, ProgramOwnedModel, Workstream

from .requirements import MoSCoW, Requirement

__all__ = [
    "FIBONACCI",
    "BacklogItem",
    "BacklogKind",
    "BacklogStatus",
    "Iteration",
    "IterationStatus",
    "wsjf",
]

FIBONACCI = (1, 2, 3, 5, 8, 13, 20)
WSJF_INPUTS = ("business_value", "time_criticality", "risk_reduction", "job_size")
MAX_SCORE = 100  # Jira imports and other teams' scales go beyond 20; we only bound them


def wsjf(
    business_value: int | None,
    time_criticality: int | None,
    risk_reduction: int | None,
    job_size: int | None,
) -> Decimal | None:
    """Cost of delay / job size to two places; None until all four are scored."""
    parts = (business_value, time_criticality, risk_reduction, job_size)
    if any(part is None for part in parts) or not job_size:
        return None
    cost_of_delay = Decimal(business_value + time_criticality + risk_reduction)
    return (cost_of_delay / Decimal(job_size)).quantize(Decimal("0.01"))


class IterationStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Iteration(ProgramOwnedModel):
    """A sprint or iteration: a time box of one workstream (or of the whole program)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="iterations")
    workstream = models.ForeignKey(
        Workstream, null=True, blank=True, on_delete=models.PROTECT, related_name="iterations"
    )
    name = models.CharField(max_length=120, help_text="e.g. Sprint 14, PI 3.2")
    start_date = models.DateField()
    end_date = models.DateField()
    goal = models.TextField(blank=True)
    capacity = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Story points the team expects to finish.",
    )
    status = models.CharField(
        max_length=8, choices=IterationStatus.choices, default=IterationStatus.PLANNED
    )

    class Meta:
        ordering = ["program_id", "start_date", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"],
                name="iteration_name_unique",
                violation_error_message="This program already has an iteration with that name.",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="iteration_dates_ordered",
                violation_error_message="The end date must be on or after the start date.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BacklogKind(models.TextChoices):
    EPIC = "epic", "Epic"
    STORY = "story", "Story"
    TASK = "task", "Task"
    BUG = "bug", "Bug"
    SPIKE = "spike", "Spike"


class BacklogStatus(models.TextChoices):
    NEW = "new", "New"
    READY = "ready", "Ready"
    IN_PROGRESS = "in_progress", "In progress"
    IN_REVIEW = "in_review", "In review"
    DONE = "done", "Done"
    REMOVED = "removed", "Removed"


OPEN_BACKLOG_STATUSES = (
    BacklogStatus.NEW,
    BacklogStatus.READY,
    BacklogStatus.IN_PROGRESS,
    BacklogStatus.IN_REVIEW,
)


def _score(name: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        name,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SCORE)],
    )


class BacklogItem(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "PBI"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="backlog_items")
    workstream = models.ForeignKey(
        Workstream, on_delete=models.PROTECT, related_name="backlog_items"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=6, choices=BacklogKind.choices, default=BacklogKind.STORY)
    status = models.CharField(
        max_length=12, choices=BacklogStatus.choices, default=BacklogStatus.NEW
    )
    priority = models.CharField(max_length=6, choices=MoSCoW.choices, default=MoSCoW.SHOULD)
    business_value = _score("business value")
    time_criticality = _score("time criticality")
    risk_reduction = _score("risk reduction / opportunity enablement")
    job_size = _score("job size")
    wsjf = models.DecimalField(
        "WSJF",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
        help_text="Kept by the services: (value + criticality + risk reduction) / job size.",
    )
    estimate = models.DecimalField(
        "estimate (story points)",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("9999"))],
    )
    iteration = models.ForeignKey(
        Iteration, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    rank = models.PositiveIntegerField(
        default=0, editable=False, help_text="The lead's order within the workstream (1 first)."
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="backlog_items")
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="blocks",
        help_text="Items that must be done first; another workstream's is a cross-team dependency.",
    )
    external_key = models.CharField(
        max_length=40, blank=True, help_text="The item's key in Jira or another tracker."
    )
    labels = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["program_id", "workstream_id", "rank", "number"]
        constraints = [
            *key_constraints("backlog_item"),
            models.UniqueConstraint(
                fields=["program", "external_key"],
                condition=~models.Q(external_key=""),
                name="backlog_external_key_unique",
                violation_error_message="An item with this tracker key is already in the backlog.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def save(self, *args, **kwargs):
        self.wsjf = wsjf(
            self.business_value, self.time_criticality, self.risk_reduction, self.job_size
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(WSJF_INPUTS):
            kwargs["update_fields"] = {*update_fields, "wsjf"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "releases:backlog_detail", kwargs={"code": self.program.code, "key": self.key}
        )
