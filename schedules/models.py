"""The schedule of a program: WBS items, dependencies, the working calendar and baselines.

Plan dates are `DateField`s in working days of the program calendar. Durations and lags are
kept in working *minutes* (480 per working day, MS Project's default) so that files
from MS Project, whose durations can be fractions of a day, survive a round trip exactly;
forms and the API show and take them in working days.

The computed columns (early/late dates, floats, critical) are written by the engine
(`services.recompute`) in bulk and are not versioned or audited: they are derived data, and
recomputing must never make someone's open edit stale.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse

from core.audit_guard import AuditedQuerySet
from programs.models import Program, ProgramOwnedModel, Workstream

DEFAULT_WEEKDAYS = [0, 1, 2, 3, 4]  # Monday..Friday (date.weekday())
MINUTES_PER_DAY = 480


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class ItemKind(models.TextChoices):
    SUMMARY = "summary", "Summary"
    TASK = "task", "Task"
    MILESTONE = "milestone", "Milestone"
    DELIVERABLE = "deliverable", "Deliverable"


class ItemStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    COMPLETE = "complete", "Complete"


class Constraint(models.TextChoices):
    """The values are MS Project's names; `CODES` maps them to its ConstraintType numbers."""

    ASAP = "asap", "As soon as possible"
    ALAP = "alap", "As late as possible"
    SNET = "snet", "Start no earlier than"
    SNLT = "snlt", "Start no later than"
    FNET = "fnet", "Finish no earlier than"
    FNLT = "fnlt", "Finish no later than"
    MSO = "mso", "Must start on"
    MFO = "mfo", "Must finish on"


CONSTRAINT_CODES = {
    "asap": 0,
    "alap": 1,
    "mso": 2,
    "mfo": 3,
    "snet": 4,
    "snlt": 5,
    "fnet": 6,
    "fnlt": 7,
}
CONSTRAINT_OF_CODE = {v: k for k, v in CONSTRAINT_CODES.items()}


class LinkType(models.TextChoices):
    """The values are what people say; `LINK_CODES` maps them to MS Project's Type codes."""

    FS = "FS", "Finish-to-start"
    SS = "SS", "Start-to-start"
    FF = "FF", "Finish-to-finish"
    SF = "SF", "Start-to-finish"


LINK_CODES = {"FF": 0, "FS": 1, "SF": 2, "SS": 3}
LINK_OF_CODE = {v: k for k, v in LINK_CODES.items()}


class Schedule(ProgramOwnedModel):
    """One per program: the working calendar, the status date and schedule settings."""

    program = models.OneToOneField(Program, on_delete=models.PROTECT, related_name="schedule")
    weekdays = models.JSONField(
        default=list,
        help_text="Working weekdays, 0 = Monday .. 6 = Sunday.",
    )
    project_start = models.DateField(
        null=True,
        blank=True,
        help_text="Tasks without predecessors start here. Empty: the program's start date.",
    )
    status_date = models.DateField(
        null=True,
        blank=True,
        help_text="Remaining work of started tasks runs from this date. Empty: no status date.",
    )
    slip_threshold_days = models.PositiveIntegerField(
        default=5,
        help_text="Milestones forecast later than their baseline by more than this many working "
        "days are reported as slipped.",
    )
    feed_token = models.CharField(max_length=64, default=new_feed_token, unique=True)
    # written by recompute (not versioned)
    computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    project_finish = models.DateField(null=True, blank=True, editable=False)
    AUDIT_EXCLUDE = ("computed_at", "project_finish", "feed_token")

    def __str__(self) -> str:
        return f"Schedule of {self.program.code}"

    @property
    def audit_program_id(self) -> int:
        return self.program_id

    def clean(self) -> None:
        super().clean()
        days = self.weekdays
        if not isinstance(days, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
            raise ValidationError({"weekdays": "Working weekdays are numbers from 0 to 6."})
        if not days:
            raise ValidationError({"weekdays": "At least one weekday must be a working day."})
        self.weekdays = sorted(set(days))


class Holiday(ProgramOwnedModel):
    """A range of non-working days (inclusive) in the program calendar."""

    name = models.CharField(max_length=200)
    start = models.DateField()
    finish = models.DateField()
    uid = models.CharField(max_length=255, blank=True, help_text="UID of the imported iCal event.")

    class Meta:
        ordering = ["program_id", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(finish__gte=models.F("start")),
                name="holiday_finish_after_start",
                violation_error_message="A holiday cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        if self.start == self.finish:
            return f"{self.name} ({self.start:%Y-%m-%d})"
        return f"{self.name} ({self.start:%Y-%m-%d} to {self.finish:%Y-%m-%d})"

    def clean(self) -> None:
        super().clean()
        if self.start and self.finish and self.finish < self.start:
            raise ValidationError({"finish": "A holiday cannot end before it starts."})


class Item(ProgramOwnedModel):
    """One element of the WBS: a summary, task, milestone or deliverable."""

    KEY_PREFIX = "TSK"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="schedule_items")
    key = models.CharField(max_length=16, editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(default=0, help_text="Order among its siblings.")
    wbs = models.CharField("WBS", max_length=200, editable=False, default="")
    outline_path = models.CharField(
        max_length=1000, editable=False, default="",
        help_text="Zero-padded positions from the root: sorts the whole outline in one query.",
    )  # fmt: skip
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    kind = models.CharField(max_length=12, choices=ItemKind.choices, default=ItemKind.TASK)
    name = models.CharField(max_length=300)
    workstream = models.ForeignKey(
        Workstream, null=True, blank=True, on_delete=models.PROTECT, related_name="schedule_items"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_schedule_items",
    )
    description = models.TextField(blank=True)
    duration_minutes = models.IntegerField(
        default=MINUTES_PER_DAY, help_text="Working minutes (480 per working day)."
    )
    manual = models.BooleanField(
        default=False, help_text="Manually scheduled: keeps its own dates whatever the links say."
    )
    manual_start = models.DateField(null=True, blank=True)
    manual_finish = models.DateField(null=True, blank=True)
    percent_complete = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    actual_start = models.DateField(null=True, blank=True)
    actual_finish = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=ItemStatus.choices, default=ItemStatus.NOT_STARTED
    )
    constraint = models.CharField(max_length=4, choices=Constraint.choices, default=Constraint.ASAP)
    constraint_date = models.DateField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # milestones and deliverables
    acceptance_criteria = models.TextField(blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accepted_schedule_items",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    acceptance_evidence = models.TextField(blank=True)
    remediation_plan = models.TextField(
        blank=True, help_text="What is being done about a slipped milestone."
    )
    # computed by the engine (services.recompute): not versioned, not audited
    start = models.DateField(null=True, blank=True, editable=False)
    finish = models.DateField(null=True, blank=True, editable=False)
    early_start = models.DateField(null=True, blank=True, editable=False)
    early_finish = models.DateField(null=True, blank=True, editable=False)
    late_start = models.DateField(null=True, blank=True, editable=False)
    late_finish = models.DateField(null=True, blank=True, editable=False)
    total_float_minutes = models.IntegerField(null=True, blank=True, editable=False)
    free_float_minutes = models.IntegerField(null=True, blank=True, editable=False)
    critical = models.BooleanField(default=False, editable=False)

    COMPUTED_FIELDS = (
        "start", "finish", "early_start", "early_finish", "late_start", "late_finish",
        "total_float_minutes", "free_float_minutes", "critical",
    )  # fmt: skip
    AUDIT_EXCLUDE = (*COMPUTED_FIELDS, "wbs", "outline_path", "depth")

    class Meta:
        ordering = ["program_id", "outline_path"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="schedule_item_key_unique"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=0),
                name="schedule_item_duration_not_negative",
                violation_error_message="A duration cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(percent_complete__lte=100),
                name="schedule_item_percent_max_100",
                violation_error_message="Percent complete is at most 100.",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "parent", "position"], name="item_siblings"),
            models.Index(fields=["program", "outline_path"], name="item_outline"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("schedules:item_detail", kwargs={"code": self.program.code, "key": self.key})

    @property
    def is_summary(self) -> bool:
        return self.kind == ItemKind.SUMMARY

    @property
    def is_milestone(self) -> bool:
        return self.kind == ItemKind.MILESTONE

    @property
    def accepts_signoff(self) -> bool:
        return self.kind in (ItemKind.MILESTONE, ItemKind.DELIVERABLE)

    @property
    def effective_status(self) -> str:
        """The status people see: a summary's follows the work below it."""
        if self.kind != ItemKind.SUMMARY:
            return self.status
        if self.percent_complete == 100:
            return ItemStatus.COMPLETE
        return ItemStatus.IN_PROGRESS if self.percent_complete else ItemStatus.NOT_STARTED

    @property
    def effective_status_label(self) -> str:
        return ItemStatus(self.effective_status).label

    @property
    def duration_days(self) -> float:
        return self.duration_minutes / MINUTES_PER_DAY

    @property
    def total_float_days(self) -> float | None:
        m = self.total_float_minutes
        return None if m is None else m / MINUTES_PER_DAY

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.duration_minutes is not None and self.duration_minutes < 0:
            errors["duration_minutes"] = "A duration cannot be negative."
        if self.kind == ItemKind.MILESTONE and self.duration_minutes:
            errors["duration_minutes"] = "A milestone has no duration."
        if self.actual_start and self.actual_finish and self.actual_finish < self.actual_start:
            errors["actual_finish"] = "The actual finish cannot be before the actual start."
        if self.manual_start and self.manual_finish and self.manual_finish < self.manual_start:
            errors["manual_finish"] = "The finish cannot be before the start."
        if self.constraint not in (Constraint.ASAP, Constraint.ALAP) and not self.constraint_date:
            errors["constraint_date"] = "This constraint needs a date."
        if self.workstream_id and self.program_id and self.workstream.program_id != self.program_id:
            errors["workstream"] = "That workstream belongs to another program."
        if self.parent_id and self.program_id and self.parent.program_id != self.program_id:
            errors["parent"] = "The parent belongs to another program."
        if errors:
            raise ValidationError(errors)


class Dependency(ProgramOwnedModel):
    """`predecessor` -> `successor` of a link type, with a lag (negative: a lead)."""

    predecessor = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="predecessor_links")
    type = models.CharField(max_length=2, choices=LinkType.choices, default=LinkType.FS)
    lag_minutes = models.IntegerField(
        default=0, help_text="Working minutes; negative is a lead (480 per working day)."
    )
    lag_percent = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A lag as a percentage of the predecessor's duration (replaces lag_minutes).",
    )

    class Meta:
        ordering = ["program_id", "successor_id", "predecessor_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"],
                name="dependency_unique",
                violation_error_message="These two items are already linked.",
            ),
            models.CheckConstraint(
                condition=~models.Q(predecessor=models.F("successor")),
                name="dependency_not_self",
                violation_error_message="An item cannot depend on itself.",
            ),
        ]

    def __str__(self) -> str:
        lag = self.lag_days
        suffix = f"{lag:+g}d" if lag else ""
        return f"{self.predecessor.key} → {self.successor.key} ({self.type}{suffix})"

    @property
    def lag_days(self) -> float:
        return self.lag_minutes / MINUTES_PER_DAY


class Baseline(ProgramOwnedModel):
    """A named snapshot of every item's dates, duration and cost."""

    name = models.CharField(max_length=200)
    number = models.PositiveSmallIntegerField(
        default=0, help_text="MS Project baseline number (0 = Baseline, 1..10 = Baseline1..10)."
    )
    is_current = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["program_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"],
                name="baseline_name_unique",
                violation_error_message="This program already has a baseline with that name.",
            ),
            models.UniqueConstraint(
                fields=["program"],
                condition=models.Q(is_current=True),
                name="baseline_one_current",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BaselineItem(models.Model):
    """One item as it stood when the baseline was taken. Written once, never edited."""

    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="items")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="baseline_items")
    start = models.DateField(null=True)
    finish = models.DateField(null=True)
    duration_minutes = models.IntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["baseline", "item"], name="baseline_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.baseline} · {self.item_id}"


class ForecastSnapshot(models.Model):
    """A milestone's forecast finish as of a date: the points of the milestone trend chart."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="forecasts")
    as_of = models.DateField()
    finish = models.DateField()

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["item_id", "as_of"]
        constraints = [
            models.UniqueConstraint(fields=["item", "as_of"], name="forecast_item_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} on {self.as_of}: {self.finish}"
