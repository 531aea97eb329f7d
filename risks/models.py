"""The RAID log of a program: risks, assumptions, issues, dependencies and actions.

Every item has a per-program human key (RSK-12, ASM-3, ISS-4, DEP-2, ACT-31) whose number is also
kept as an integer (`number`) so the log sorts RSK-2 before RSK-10. Derived columns of a risk
(`impact`, `score`, `residual_score`, `emv`) are stored so filters, sorting and the heat map run
on indexes; `services` keeps them in step with the ratings (`Risk.refresh_derived`), and check
constraints refuse rows where they disagree. The scales and the EMV mapping are in `choices`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Greatest
from django.urls import reverse

from core.audit_guard import AuditedQuerySet
from programs.models import Program, ProgramOwnedModel, Workstream

from .choices import (
    ACTION_ACTIVE_STATUSES,
    ASSUMPTION_ACTIVE_STATUSES,
    DEPENDENCY_ACTIVE_STATUSES,
    IMPACT_LABELS,
    ISSUE_ACTIVE_STATUSES,
    PROBABILITY_LABELS,
    RATING_MAX,
    RATING_MIN,
    RISK_ACTIVE_STATUSES,
    ActionStatus,
    AssumptionStatus,
    DependencyDirection,
    DependencyStatus,
    EscalationLevel,
    IssueStatus,
    Priority,
    RaidType,
    ResponseStrategy,
    RiskCategory,
    RiskStatus,
    Severity,
    expected_monetary_value,
    risk_score,
    score_band,
)

RATING_VALIDATORS = [MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)]
RATING_HELP = "1 (lowest) to 5 (highest)."


def rating_field(verbose_name: str, *, null: bool = False, help_text: str = RATING_HELP):
    return models.PositiveSmallIntegerField(
        verbose_name,
        null=null,
        blank=null,
        default=None if null else 3,
        validators=RATING_VALIDATORS,
        help_text=help_text,
    )


_HIGHEST_IMPACT = Greatest("impact_schedule", "impact_cost", "impact_scope", "impact_quality")


def _in_range(field: str) -> models.Q:
    return models.Q(**{f"{field}__gte": RATING_MIN, f"{field}__lte": RATING_MAX})


class RaidItem(ProgramOwnedModel):
    """Fields every RAID item has. Concrete classes add `program`, `status` and `wbs_items`."""

    AUDIT_EXCLUDE: tuple[str, ...] = ("number",)  # the key says it already
    KEY_PREFIX = ""
    RAID_TYPE = ""  # the tab and URL segment: "risks", "issues"...
    URL_NAME = ""  # URL names are "risks:<URL_NAME>_detail", "api_v1:raid_<URL_NAME>_list"...
    ACTIVE_STATUSES: tuple = ()

    key = models.CharField(max_length=16, editable=False)
    number = models.PositiveIntegerField(
        editable=False, help_text="The number of the key (RSK-12 -> 12): sorts keys numerically."
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    workstream = models.ForeignKey(
        Workstream, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    if TYPE_CHECKING:  # declared by each concrete class
        status: str
        wbs_items: Any

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            f"risks:{self.URL_NAME}_detail", kwargs={"code": self.program.code, "key": self.key}
        )

    @property
    def raid_type(self) -> str:
        return self.RAID_TYPE

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES  # type: ignore[attr-defined]

    def clean(self) -> None:
        super().clean()
        ws = self.workstream if self.workstream_id else None
        if ws is not None and self.program_id and ws.program_id != self.program_id:
            raise ValidationError({"workstream": "That workstream belongs to another program."})


def _key_constraints(prefix: str) -> list:
    return [
        models.UniqueConstraint(fields=["program", "key"], name=f"{prefix}_key_unique"),
        models.UniqueConstraint(fields=["program", "number"], name=f"{prefix}_number_unique"),
    ]


class Risk(RaidItem):
    KEY_PREFIX = "RSK"
    RAID_TYPE = RaidType.RISK
    URL_NAME = "risk"
    ACTIVE_STATUSES = RISK_ACTIVE_STATUSES

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="risks")
    status = models.CharField(max_length=12, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    category = models.CharField(
        max_length=16, choices=RiskCategory.choices, default=RiskCategory.TECHNICAL
    )
    cause = models.TextField(blank=True, help_text="Because of … (the fact or condition).")
    event = models.TextField(
        blank=True, help_text="… there is a risk that … (the uncertain event)."
    )
    effect = models.TextField(blank=True, help_text="… which would lead to … (the consequence).")
    probability = rating_field("probability", help_text="1 rare … 5 almost certain.")
    impact_schedule = rating_field("schedule impact")
    impact_cost = rating_field("cost impact")
    impact_scope = rating_field("scope impact")
    impact_quality = rating_field("quality impact")
    proximity_date = models.DateField(
        null=True, blank=True, help_text="When the risk could occur at the earliest."
    )
    response_strategy = models.CharField(
        max_length=10, choices=ResponseStrategy.choices, default=ResponseStrategy.MITIGATE
    )
    mitigation_plan = models.TextField(blank=True)
    contingency_plan = models.TextField(blank=True)
    trigger = models.TextField(blank=True, help_text="The sign that the risk is occurring.")
    residual_probability = rating_field(
        "residual probability", null=True, help_text="After mitigation; empty until assessed."
    )
    residual_impact = rating_field(
        "residual impact", null=True, help_text="After mitigation; empty until assessed."
    )
    cost_impact_amount = models.DecimalField(
        "cost impact amount",
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="What it would cost if it occurred, in the program currency.",
    )
    review_date = models.DateField(null=True, blank=True)
    last_reviewed_on = models.DateField(null=True, blank=True)
    review_reminded_for = models.DateField(
        null=True, blank=True, editable=False, help_text="The review date a reminder was sent for."
    )
    wbs_items = models.ManyToManyField(
        "schedules.Item", blank=True, related_name="raid_risks", verbose_name="WBS items"
    )
    # derived from the ratings by refresh_derived(); never edited directly
    impact = models.PositiveSmallIntegerField(default=3, editable=False)
    score = models.PositiveSmallIntegerField(default=9, editable=False)
    residual_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    emv = models.DecimalField(
        "EMV", max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False
    )

    DERIVED_FIELDS = ("impact", "score", "residual_score", "emv")
    RATING_FIELDS = (
        "probability", "impact_schedule", "impact_cost", "impact_scope", "impact_quality",
    )  # fmt: skip
    AUDIT_EXCLUDE = ("number", "review_reminded_for")

    class Meta:
        ordering = ["program_id", "-score", "number"]
        constraints = [
            *_key_constraints("risk"),
            models.CheckConstraint(
                condition=_in_range("probability")
                & _in_range("impact_schedule")
                & _in_range("impact_cost")
                & _in_range("impact_scope")
                & _in_range("impact_quality"),
                name="risk_ratings_1_to_5",
                violation_error_message="Probability and impacts are rated from 1 to 5.",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(residual_probability__isnull=True) | _in_range("residual_probability")
                )
                & (models.Q(residual_impact__isnull=True) | _in_range("residual_impact")),
                name="risk_residual_1_to_5",
                violation_error_message="Residual probability and impact are rated from 1 to 5.",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    impact=_HIGHEST_IMPACT, score=models.F("probability") * _HIGHEST_IMPACT
                ),
                name="risk_score_is_probability_x_impact",
                violation_error_message="The score must be probability x the highest impact.",
            ),
            models.CheckConstraint(
                condition=models.Q(cost_impact_amount__gte=0),
                name="risk_cost_impact_not_negative",
                violation_error_message="The cost impact cannot be negative.",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "-score", "number"], name="risk_score"),
            models.Index(fields=["program", "status", "-score"], name="risk_status_score"),
            models.Index(fields=["program", "owner"], name="risk_owner"),
            models.Index(fields=["program", "workstream"], name="risk_workstream"),
            models.Index(fields=["program", "category"], name="risk_category"),
            models.Index(fields=["program", "probability", "impact"], name="risk_cell"),
            models.Index(fields=["program", "review_date"], name="risk_review_date"),
            models.Index(fields=["program", "proximity_date"], name="risk_proximity"),
        ]

    @property
    def band(self) -> str | None:
        return score_band(self.score)

    @property
    def residual_band(self) -> str | None:
        return score_band(self.residual_score)

    @property
    def probability_label(self) -> str:
        return PROBABILITY_LABELS.get(self.probability, "")

    @property
    def impact_label(self) -> str:
        return IMPACT_LABELS.get(self.impact, "")

    def refresh_derived(self) -> list[str]:
        """Recompute impact, score, residual score and EMV; return the names that changed."""
        ratings = [self.impact_schedule, self.impact_cost, self.impact_scope, self.impact_quality]
        values: dict[str, Any] = {
            "impact": max((r for r in ratings if r), default=0) or None,
            "residual_score": risk_score(self.residual_probability, self.residual_impact),
            "emv": expected_monetary_value(self.probability, self.cost_impact_amount),
        }
        values["score"] = risk_score(self.probability, values["impact"])
        changed = []
        for name, value in values.items():
            if name in ("impact", "score") and value is None:
                continue  # invalid ratings: full_clean reports them
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed.append(name)
        return changed

    def clean(self) -> None:
        super().clean()
        if (self.residual_probability is None) != (self.residual_impact is None):
            missing = "residual_impact" if self.residual_impact is None else "residual_probability"
            raise ValidationError(
                {missing: "Give both residual probability and residual impact, or neither."}
            )


class Issue(RaidItem):
    KEY_PREFIX = "ISS"
    RAID_TYPE = RaidType.ISSUE
    URL_NAME = "issue"
    ACTIVE_STATUSES = ISSUE_ACTIVE_STATUSES

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="issues")
    status = models.CharField(max_length=12, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    due_date = models.DateField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    raised_from_risk = models.ForeignKey(
        Risk,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issues",
        help_text="The risk that occurred and became this issue.",
    )
    wbs_items = models.ManyToManyField(
        "schedules.Item", blank=True, related_name="raid_issues", verbose_name="WBS items"
    )

    class Meta:
        ordering = ["program_id", "number"]
        constraints = [
            *_key_constraints("issue"),
            models.CheckConstraint(
                condition=models.Q(escalation_level__gte=0, escalation_level__lte=4),
                name="issue_escalation_level_0_to_4",
                violation_error_message="The escalation level is 0 to 4.",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "due_date"], name="issue_status_due"),
            models.Index(fields=["program", "owner"], name="issue_owner"),
            models.Index(fields=["program", "workstream"], name="issue_workstream"),
            models.Index(fields=["program", "-severity", "number"], name="issue_severity"),
            models.Index(fields=["program", "due_date"], name="issue_due"),
            models.Index(fields=["program", "escalation_level"], name="issue_escalation"),
        ]

    def clean(self) -> None:
        super().clean()
        risk = self.raised_from_risk
        if risk is not None and self.program_id and risk.program_id != self.program_id:
            raise ValidationError({"raised_from_risk": "That risk belongs to another program."})


class Assumption(RaidItem):
    KEY_PREFIX = "ASM"
    RAID_TYPE = RaidType.ASSUMPTION
    URL_NAME = "assumption"
    ACTIVE_STATUSES = ASSUMPTION_ACTIVE_STATUSES

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="assumptions")
    status = models.CharField(
        max_length=12, choices=AssumptionStatus.choices, default=AssumptionStatus.OPEN
    )
    validate_by = models.DateField("validate by", null=True, blank=True)
    consequence_if_false = models.TextField(
        "consequence if false", blank=True, help_text="What breaks if this assumption is wrong."
    )
    validated_on = models.DateField(null=True, blank=True)
    wbs_items = models.ManyToManyField(
        "schedules.Item", blank=True, related_name="raid_assumptions", verbose_name="WBS items"
    )

    class Meta:
        ordering = ["program_id", "number"]
        constraints = _key_constraints("assumption")
        indexes = [
            models.Index(fields=["program", "status", "validate_by"], name="assumption_status"),
            models.Index(fields=["program", "owner"], name="assumption_owner"),
            models.Index(fields=["program", "workstream"], name="assumption_workstream"),
        ]


def _one_party(side: str) -> models.Q:
    prog = models.Q(**{f"{side}_program__isnull": False})
    ws = models.Q(**{f"{side}_workstream__isnull": False})
    ext = ~models.Q(**{f"{side}_external": ""})
    return (prog & ~ws & ~ext) | (~prog & ws & ~ext) | (~prog & ~ws & ext)


class Dependency(RaidItem):
    """A RAID dependency between parties (not a schedule link): who gives what to whom, by when.

    Each side (giver, receiver) is exactly one of: another program, a workstream of this program,
    or an external party named in text.
    """

    KEY_PREFIX = "DEP"
    RAID_TYPE = RaidType.DEPENDENCY
    URL_NAME = "dependency"
    ACTIVE_STATUSES = DEPENDENCY_ACTIVE_STATUSES
    SIDES = ("giver", "receiver")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="raid_dependencies")
    status = models.CharField(
        max_length=12, choices=DependencyStatus.choices, default=DependencyStatus.OPEN
    )
    direction = models.CharField(
        max_length=10, choices=DependencyDirection.choices, default=DependencyDirection.INBOUND
    )
    giver_program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    giver_workstream = models.ForeignKey(
        Workstream, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    giver_external = models.CharField("giver (external party)", max_length=200, blank=True)
    receiver_program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receiver_workstream = models.ForeignKey(
        Workstream, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receiver_external = models.CharField("receiver (external party)", max_length=200, blank=True)
    needed_by = models.DateField("needed by", null=True, blank=True)
    wbs_items = models.ManyToManyField(
        "schedules.Item", blank=True, related_name="raid_dependencies", verbose_name="WBS items"
    )

    class Meta:
        ordering = ["program_id", "number"]
        verbose_name_plural = "dependencies"
        constraints = [
            *_key_constraints("raid_dependency"),
            models.CheckConstraint(
                condition=_one_party("giver"),
                name="raid_dependency_one_giver",
                violation_error_message="Name exactly one giver: a program, a workstream or an "
                "external party.",
            ),
            models.CheckConstraint(
                condition=_one_party("receiver"),
                name="raid_dependency_one_receiver",
                violation_error_message="Name exactly one receiver: a program, a workstream or an "
                "external party.",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "needed_by"], name="raid_dep_status"),
            models.Index(fields=["program", "owner"], name="raid_dep_owner"),
            models.Index(fields=["program", "workstream"], name="raid_dep_workstream"),
        ]

    def party(self, side: str) -> str:
        program = getattr(self, f"{side}_program")
        if program is not None:
            return str(program)
        workstream = getattr(self, f"{side}_workstream")
        if workstream is not None:
            return str(workstream)
        return getattr(self, f"{side}_external")

    @property
    def giver(self) -> str:
        return self.party("giver")

    @property
    def receiver(self) -> str:
        return self.party("receiver")

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        for side in self.SIDES:
            set_ = [
                getattr(self, f"{side}_program_id") is not None,
                getattr(self, f"{side}_workstream_id") is not None,
                bool((getattr(self, f"{side}_external") or "").strip()),
            ]
            if sum(set_) != 1:
                errors[f"{side}_program"] = (
                    f"Name exactly one {side}: another program, a workstream or an external party."
                )
                continue
            other = getattr(self, f"{side}_program_id")
            if other is not None and other == self.program_id:
                errors[f"{side}_program"] = (
                    "For this program itself, choose one of its workstreams instead."
                )
            ws = getattr(self, f"{side}_workstream")
            if ws is not None and self.program_id and ws.program_id != self.program_id:
                errors[f"{side}_workstream"] = "That workstream belongs to another program."
        if errors:
            raise ValidationError(errors)


class Action(RaidItem):
    """Something someone must do by a date, attached to any RAID item, decision or change request.

    The subject is a generic relation so other apps (governance) can attach actions to their own
    objects without this app importing them; `subject_key` keeps the subject's key (or name) so
    lists show it without a query per row. An action may also stand alone (no subject).
    """

    KEY_PREFIX = "ACT"
    RAID_TYPE = RaidType.ACTION
    URL_NAME = "action"
    ACTIVE_STATUSES = ACTION_ACTIVE_STATUSES

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="raid_actions")
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    due_date = models.DateField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    subject_key = models.CharField(
        max_length=40, blank=True, editable=False, help_text="The subject's key, e.g. RSK-12."
    )
    wbs_items = models.ManyToManyField(
        "schedules.Item", blank=True, related_name="raid_actions", verbose_name="WBS items"
    )

    class Meta:
        ordering = ["program_id", "number"]
        constraints = [
            *_key_constraints("action"),
            models.CheckConstraint(
                condition=models.Q(content_type__isnull=True, object_id__isnull=True)
                | models.Q(content_type__isnull=False, object_id__isnull=False),
                name="action_subject_complete",
                violation_error_message="An action's subject needs both its type and its id.",
            ),
            models.CheckConstraint(
                condition=models.Q(escalation_level__gte=0, escalation_level__lte=4),
                name="action_escalation_level_0_to_4",
                violation_error_message="The escalation level is 0 to 4.",
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="action_subject"),
            models.Index(fields=["program", "status", "due_date"], name="action_status_due"),
            models.Index(fields=["program", "owner"], name="action_owner"),
            models.Index(fields=["program", "workstream"], name="action_workstream"),
            models.Index(fields=["program", "due_date"], name="action_due"),
            models.Index(fields=["program", "escalation_level"], name="action_escalation"),
        ]


RAID_MODELS: dict[str, Any] = {  # raid type -> model class
    RaidType.RISK: Risk,
    RaidType.ISSUE: Issue,
    RaidType.ASSUMPTION: Assumption,
    RaidType.DEPENDENCY: Dependency,
    RaidType.ACTION: Action,
}


class RiskSnapshot(models.Model):
    """A program's risk exposure in one week: the points of the exposure trend.

    Derived data, taken by `services.risk_snapshot_take` (once per week, idempotent: a second
    take in the same week refreshes the figures) and never edited by people.
    """

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="risk_snapshots")
    week_start = models.DateField(help_text="The Monday of the week.")
    open_count = models.PositiveIntegerField(default=0)
    low_count = models.PositiveIntegerField(default=0)
    medium_count = models.PositiveIntegerField(default=0)
    high_count = models.PositiveIntegerField(default=0)
    critical_count = models.PositiveIntegerField(default=0)
    total_exposure = models.PositiveIntegerField(
        default=0, help_text="Sum of the scores of the open risks."
    )
    residual_exposure = models.PositiveIntegerField(
        default=0, help_text="Sum of residual scores (current score where not assessed)."
    )
    total_emv = models.DecimalField(
        "total EMV", max_digits=16, decimal_places=2, default=Decimal("0.00")
    )
    taken_at = models.DateTimeField()

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["program", "week_start"], name="risk_snapshot_week"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} week of {self.week_start}: {self.total_exposure}"
