"""Change control: change requests (CR-n), their workflow transitions and each program's policy.

Status changes only through the transition services in `governance/services/changes.py`; the
model keeps the invariants of one row.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from core.audit import audit_update, snapshot
from core.audit_guard import AuditedQuerySet
from programs.models import Program, ProgramOwnedModel, Workstream

from ..choices import ChangeKind, ChangeStatus

__all__ = ["ChangeControlPolicy", "ChangeRequest", "ChangeRequestTransition", "unlink_audited"]

MAX_IMPACT_DAYS = 5000  # about twenty years of working days: anything larger is a typo
MAX_MONEY = Decimal("999999999999.99")


def unlink_audited(collector, field, sub_objs, using):
    """`on_delete` for links to rows another app may delete (a baseline, a proposed decision):
    each referencing request drops the link with a version bump and an audit entry.

    Django's SET_NULL would run `QuerySet.update()`, which the audit guard refuses (and which
    would leave no trace); this saves row by row inside the deleting service's transaction.
    """
    model = field.model
    for row in model._base_manager.using(using).filter(pk__in=[o.pk for o in sub_objs]):
        before = snapshot(row)
        setattr(row, field.attname, None)
        row.version += 1
        row.save(update_fields=[field.attname, "version", "updated_at"])
        audit_update(actor=None, instance=row, before=before)


class ChangeControlPolicy(ProgramOwnedModel):
    """Who approves what in one program: above either threshold the sponsor decides, otherwise a
    program manager (the sponsor may always decide). Created with defaults on first use."""

    program = models.OneToOneField(Program, on_delete=models.PROTECT, related_name="change_policy")
    sponsor_cost_threshold = models.DecimalField(
        "sponsor approval above (cost)",
        max_digits=14,
        decimal_places=2,
        default=Decimal("50000.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_MONEY)],
        help_text="A cost impact larger than this, up or down, needs the sponsor's approval "
        "(in the program currency).",
    )
    sponsor_schedule_threshold_days = models.PositiveIntegerField(
        "sponsor approval above (working days)",
        default=10,
        validators=[MaxValueValidator(MAX_IMPACT_DAYS)],
        help_text="A schedule impact of more working days than this, later or earlier, needs "
        "the sponsor's approval.",
    )
    allow_self_approval = models.BooleanField(
        "requesters may decide on their own requests",
        default=False,
        help_text="Off (recommended): whoever raised a request cannot approve, reject or defer "
        "it; another approver must.",
    )

    class Meta:
        verbose_name = "change control policy"
        verbose_name_plural = "change control policies"

    def __str__(self) -> str:
        return f"Change control policy of {self.program.code}"

    @property
    def audit_program_id(self) -> int:
        return self.program_id


class ChangeRequest(ProgramOwnedModel):
    """A proposed change to scope, schedule, cost or quality, its impact and its outcome."""

    KEY_PREFIX = "CR"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="change_requests")
    key = models.CharField(max_length=16, editable=False)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, help_text="What would change.")
    reason = models.TextField(blank=True, help_text="Why the change is needed now.")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices, default=ChangeKind.SCOPE)
    status = models.CharField(
        max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT, editable=False
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_changes"
    )
    workstream = models.ForeignKey(
        Workstream,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change_requests",
    )
    needed_by = models.DateField(
        null=True, blank=True, help_text="When a decision is needed to keep the option open."
    )
    # the impact assessment
    schedule_impact_days = models.IntegerField(
        "schedule impact (working days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(-MAX_IMPACT_DAYS), MaxValueValidator(MAX_IMPACT_DAYS)],
        help_text="Working days the plan moves: positive later, negative earlier, 0 none.",
    )
    cost_impact = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(-MAX_MONEY), MaxValueValidator(MAX_MONEY)],
        help_text="In the program currency: positive costs more, negative saves.",
    )
    scope_impact = models.TextField(blank=True)
    risk_impact = models.TextField(blank=True)
    affected_items = models.ManyToManyField(
        "schedules.Item", blank=True, related_name="change_requests", verbose_name="affected items"
    )
    # the workflow's record (written by the transition services)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decision = models.ForeignKey(
        "governance.Decision",
        null=True,
        blank=True,
        on_delete=unlink_audited,
        related_name="change_requests",
        help_text="The decision-log entry recorded when the request was approved or rejected.",
    )
    # the outcome
    baseline = models.ForeignKey(
        "schedules.Baseline",
        null=True,
        blank=True,
        on_delete=unlink_audited,
        related_name="change_requests",
        help_text="The schedule baseline this change caused.",
    )
    # The budgets app does not exist yet: its budget change (change order) is referenced as text
    # until it does, then a nullable foreign key to it joins this field.
    budget_reference = models.CharField(
        max_length=200,
        blank=True,
        help_text="The budget change this caused, e.g. a change order or contingency draw.",
    )

    # Workflow timestamps: the timeline records each step with its time and comment.
    AUDIT_EXCLUDE = ("submitted_at", "decided_at")

    class Meta:
        ordering = ["program_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="change_request_key_unique"),
        ]
        indexes = [
            models.Index(fields=["program", "status"], name="change_request_status"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            "governance:change_detail", kwargs={"code": self.program.code, "key": self.key}
        )

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[-1]) if self.key else 0

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.workstream_id and self.program_id and self.workstream.program_id != self.program_id:
            errors["workstream"] = "That workstream belongs to another program."
        if self.baseline_id and self.program_id and self.baseline.program_id != self.program_id:
            errors["baseline"] = "That baseline belongs to another program."
        if errors:
            raise ValidationError(errors)


class ChangeRequestTransition(models.Model):
    """One step of a request's workflow: who moved it from which status to which, and why.
    Written once by the transition services, never edited: the request's timeline."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(
        max_length=12, choices=ChangeStatus.choices, blank=True, help_text="Empty: created."
    )
    to_status = models.CharField(max_length=12, choices=ChangeStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(db_index=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["change_request_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.change_request_id}: {self.from_status or 'new'} -> {self.to_status}"

    @property
    def from_label(self) -> str:
        return ChangeStatus(self.from_status).label if self.from_status else ""

    @property
    def to_label(self) -> str:
        return ChangeStatus(self.to_status).label
