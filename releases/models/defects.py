"""Defects (DEF-n): what a test (or anyone) found, how bad it is, who fixes it, which release it
must be fixed for, and the trail of its workflow.

new -> triaged -> in progress -> fixed -> ready for retest -> closed; a retest that fails reopens
it (reopened -> in progress); a defect can be rejected (not a defect, duplicate) or deferred to a
later release. The transitions live in services/defects.py.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from core.fields import KeyedMixin, key_constraints
from programs.models import Program, ProgramOwnedModel, Workstream

from .requirements import Requirement
from .testing import TestCase, TestCycle, TestRun

__all__ = [
    "CLOSED_DEFECT_STATUSES",
    "OPEN_DEFECT_STATUSES",
    "Defect",
    "DefectPriority",
    "DefectStatus",
    "DefectTransition",
    "RejectionReason",
    "Severity",
]


class Severity(models.IntegerChoices):
    CRITICAL = 1, "1 · Critical"
    MAJOR = 2, "2 · Major"
    MINOR = 3, "3 · Minor"
    TRIVIAL = 4, "4 · Cosmetic"


class DefectPriority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class DefectStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    IN_PROGRESS = "in_progress", "In progress"
    FIXED = "fixed", "Fixed"
    RETEST = "retest", "Ready for retest"
    REOPENED = "reopened", "Reopened"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    DEFERRED = "deferred", "Deferred"


class RejectionReason(models.TextChoices):
    NOT_A_DEFECT = "not_a_defect", "Not a defect (works as designed)"
    DUPLICATE = "duplicate", "Duplicate of another defect"
    CANNOT_REPRODUCE = "cannot_reproduce", "Cannot reproduce"


OPEN_DEFECT_STATUSES = (
    DefectStatus.NEW,
    DefectStatus.TRIAGED,
    DefectStatus.IN_PROGRESS,
    DefectStatus.FIXED,
    DefectStatus.RETEST,
    DefectStatus.REOPENED,
)
CLOSED_DEFECT_STATUSES = (DefectStatus.CLOSED, DefectStatus.REJECTED, DefectStatus.DEFERRED)


class Defect(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "DEF"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="defects")
    workstream = models.ForeignKey(
        Workstream, null=True, blank=True, on_delete=models.PROTECT, related_name="defects"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, help_text="Steps to reproduce, expected, actual.")
    severity = models.PositiveSmallIntegerField(
        choices=Severity.choices,
        default=Severity.MAJOR,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    priority = models.CharField(
        max_length=6, choices=DefectPriority.choices, default=DefectPriority.MEDIUM
    )
    status = models.CharField(
        max_length=12, choices=DefectStatus.choices, default=DefectStatus.NEW, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    found_in_cycle = models.ForeignKey(
        TestCycle, null=True, blank=True, on_delete=models.PROTECT, related_name="defects"
    )
    test_case = models.ForeignKey(
        TestCase, null=True, blank=True, on_delete=models.PROTECT, related_name="defects"
    )
    test_run = models.ForeignKey(
        TestRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="defects",
        help_text="The failed run that raised it.",
    )
    requirement = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="defects"
    )
    target_release = models.ForeignKey(
        "releases.Release",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="defects",
    )
    resolution = models.TextField(blank=True, editable=False)
    resolved_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it was fixed (or last fixed)."
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # set by the workflow (services/defects.py): the build that carries the fix, and why a
    # defect was rejected (with the defect it duplicates)
    fixed_in_build = models.CharField(
        max_length=80, blank=True, editable=False, help_text="The build that carries the fix."
    )
    rejection_reason = models.CharField(
        max_length=16, choices=RejectionReason.choices, blank=True, editable=False
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        editable=False,
    )

    class Meta:
        ordering = ["program_id", "number"]
        constraints = [*key_constraints("defect")]
        indexes = [
            models.Index(fields=["program", "status", "severity"], name="defect_open_idx"),
            models.Index(fields=["requirement", "status"], name="defect_requirement_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DEFECT_STATUSES

    def get_absolute_url(self) -> str:
        return reverse(
            "releases:defect_detail", kwargs={"code": self.program.code, "key": self.key}
        )


class DefectTransition(models.Model):
    """One step of a defect's workflow, with who, when and why. Inserted only."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    defect = models.ForeignKey(Defect, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=DefectStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=DefectStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["defect_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.defect_id}: {self.from_status} -> {self.to_status}"
