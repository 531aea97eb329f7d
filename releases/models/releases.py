"""Releases (REL-n): a version with a scope (requirements and backlog items), a planned date,
readiness criteria evaluated from the data, sign-offs, a go/no-go review with votes and a recorded
decision (an override by the program manager when a criterion fails), a rollback plan, a log of
what happened (deployments, incidents, rollbacks) and release notes generated from the scope.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from core.fields import KeyedMixin, key_constraints
from programs.models import Program, ProgramOwnedModel

from .backlog import BacklogItem
from .requirements import MoSCoW, Requirement
from .testing import CycleKind

__all__ = [
    "CriterionKind",
    "Decision",
    "GoNoGoReview",
    "GoNoGoVote",
    "LogKind",
    "ReadinessCriterion",
    "Release",
    "ReleaseLogEntry",
    "ReleaseSignoff",
    "ReleaseStatus",
    "RollbackPlan",
    "RollbackPlanStatus",
    "RollbackStep",
    "Vote",
]


class ReleaseStatus(models.TextChoices):
    """planned -> go (a go decision recorded) -> released; a no-go keeps it planned; a released
    version can be rolled back; a planned one cancelled."""

    PLANNED = "planned", "Planned"
    GO = "go", "Go decided"
    RELEASED = "released", "Released"
    ROLLED_BACK = "rolled_back", "Rolled back"
    CANCELLED = "cancelled", "Cancelled"


class Release(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "REL"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="releases")
    # `version` is the row's optimistic-locking counter (VersionedModel)
    version_label = models.CharField("version", max_length=40, help_text="e.g. 1.0, 2026.3, Wave 2")
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    planned_date = models.DateField()
    released_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(
        max_length=12, choices=ReleaseStatus.choices, default=ReleaseStatus.PLANNED, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="releases")
    backlog_items = models.ManyToManyField(BacklogItem, blank=True, related_name="releases")

    class Meta:
        ordering = ["program_id", "planned_date", "number"]
        constraints = [
            *key_constraints("release"),
            models.UniqueConstraint(
                fields=["program", "version_label"],
                name="release_version_unique",
                violation_error_message="This program already has a release with that version.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_label} {self.name}".strip()

    def get_absolute_url(self) -> str:
        return reverse(
            "releases:release_detail", kwargs={"code": self.program.code, "key": self.key}
        )


class CriterionKind(models.TextChoices):
    """Each kind is evaluated from the data by releases/readiness.py; `manual` is checked by a
    person with the evidence written down."""

    NO_OPEN_DEFECTS = "no_open_defects", "No open defects of a severity or worse"
    PASS_RATE = "pass_rate", "Test pass rate of a cycle kind at least a threshold"
    REQUIREMENTS_VERIFIED = "requirements_verified", "Requirements of a priority verified"
    TESTS_EXECUTED = "tests_executed", "Every planned test executed"
    BACKLOG_DONE = "backlog_done", "Every backlog item in scope done"
    SIGNOFFS = "signoffs", "Sign-offs collected"
    ROLLBACK_APPROVED = "rollback_approved", "Rollback plan approved"
    MANUAL = "manual", "Checked by a person"


class ReadinessCriterion(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="criteria")
    kind = models.CharField(max_length=24, choices=CriterionKind.choices)
    label = models.CharField(
        max_length=200, blank=True, help_text="Shown instead of the generated wording."
    )
    position = models.PositiveSmallIntegerField(default=0)
    # parameters (each kind reads the ones it needs)
    severity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="No open defects of this severity or worse (1 = critical only).",
    )
    threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Pass rate in percent.",
    )
    cycle_kind = models.CharField(max_length=12, choices=CycleKind.choices, blank=True)
    priority = models.CharField(max_length=6, choices=MoSCoW.choices, blank=True)
    # a manual criterion's check
    manual_met = models.BooleanField(default=False, editable=False)
    manual_evidence = models.TextField(blank=True, editable=False)
    manual_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    manual_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["release_id", "position", "id"]

    def __str__(self) -> str:
        return self.label or self.get_kind_display()


class ReleaseSignoff(ProgramOwnedModel):
    """A sign-off the release needs (a role and the person who gives it) and whether it was
    given. Signing records who and when; it cannot be taken back, only declined before."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="signoffs")
    role = models.CharField(max_length=120, help_text="e.g. Business owner, Security, Operations")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    comment = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["release_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "role"],
                name="release_signoff_role_unique",
                violation_error_message="This release already asks for that sign-off.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.signer}"


class Decision(models.TextChoices):
    GO = "go", "Go"
    NO_GO = "no_go", "No go"


class Vote(models.TextChoices):
    GO = "go", "Go"
    NO_GO = "no_go", "No go"
    ABSTAIN = "abstain", "Abstain"


class GoNoGoReview(ProgramOwnedModel):
    """A go/no-go meeting: who attended, how each voted, the decision with its conditions, and the
    readiness checklist as it stood when decided. A go while a criterion fails is an override by
    the program manager with a written reason."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="reviews")
    held_at = models.DateTimeField()
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    notes = models.TextField(blank=True)
    decision = models.CharField(max_length=6, choices=Decision.choices, blank=True, editable=False)
    conditions = models.TextField(blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    readiness = models.JSONField(
        default=list, blank=True, editable=False, help_text="The checklist when decided."
    )
    override = models.BooleanField(default=False, editable=False)
    override_reason = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["release_id", "-held_at", "-id"]

    def __str__(self) -> str:
        return f"Go/no-go {self.held_at:%Y-%m-%d}"


class GoNoGoVote(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(GoNoGoReview, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    vote = models.CharField(max_length=8, choices=Vote.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["review_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "voter"],
                name="gonogo_vote_unique",
                violation_error_message="This person has already voted in this review.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.voter}: {self.vote}"


class LogKind(models.TextChoices):
    DEPLOYMENT = "deployment", "Deployment"
    INCIDENT = "incident", "Incident"
    ROLLBACK = "rollback", "Rollback"
    NOTE = "note", "Note"


class ReleaseLogEntry(ProgramOwnedModel):
    """What happened during the release, with when it happened. Inserted only."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=10, choices=LogKind.choices)
    occurred_at = models.DateTimeField()
    environment = models.CharField(max_length=80, blank=True, help_text="e.g. Production")
    summary = models.CharField(max_length=300)
    details = models.TextField(blank=True)
    succeeded = models.BooleanField(
        null=True, blank=True, help_text="For a deployment or rollback: did it succeed?"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["release_id", "-occurred_at", "-id"]
        verbose_name_plural = "release log entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


class RollbackPlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"


class RollbackPlan(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    release = models.OneToOneField(Release, on_delete=models.CASCADE, related_name="rollback_plan")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    trigger = models.TextField(
        blank=True, help_text="When to roll back: the conditions that trigger it."
    )
    status = models.CharField(
        max_length=8,
        choices=RollbackPlanStatus.choices,
        default=RollbackPlanStatus.DRAFT,
        editable=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["release_id"]

    def __str__(self) -> str:
        return f"Rollback plan of {self.release_id}"


class RollbackStep(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(RollbackPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    action = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    duration_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10080)]
    )

    class Meta:
        ordering = ["plan_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "position"], name="rollback_step_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.action[:60]}"
