"""Contract deliverables (DLV-n): what a vendor owes, submitted in rounds, reviewed against
written acceptance criteria.

Each round is a `Submission` (note and files) by the vendor; the program answers it with one
`Review` holding a decision on every criterion (met, or not met with a reason). A review whose
every criterion is met accepts the deliverable; any criterion not met rejects the round and the
vendor resubmits. Submissions, files, reviews and criterion results are never edited or deleted:
together they are the acceptance record.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse

from programs.models import Program, ProgramOwnedModel

from .common import KeyedMixin, key_constraints
from .contracts import Contract
from .vendors import Vendor

__all__ = [
    "AcceptanceCriterion",
    "AcceptanceRecordError",
    "CriterionResult",
    "Deliverable",
    "DeliverableStatus",
    "Review",
    "ReviewOutcome",
    "Submission",
    "SubmissionFile",
]


class AcceptanceRecordError(RuntimeError):
    """A submission, file, review or criterion result was about to be changed or deleted."""


class AppendOnlyMixin(models.Model):
    """Rows of the acceptance record: written once by the services, never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AcceptanceRecordError(
                f"{type(self).__name__} rows are part of the acceptance record and never change."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AcceptanceRecordError(
            f"{type(self).__name__} rows are part of the acceptance record and are never deleted."
        )


class DeliverableStatus(models.TextChoices):
    PLANNED = "planned", "Not yet submitted"
    SUBMITTED = "submitted", "Submitted, awaiting review"
    REJECTED = "rejected", "Rejected, awaiting resubmission"
    ACCEPTED = "accepted", "Accepted"
    WITHDRAWN = "withdrawn", "Withdrawn"


STATUS_COLOURS = {
    DeliverableStatus.PLANNED: "secondary",
    DeliverableStatus.SUBMITTED: "blue",
    DeliverableStatus.REJECTED: "orange",
    DeliverableStatus.ACCEPTED: "green",
    DeliverableStatus.WITHDRAWN: "dark",
}
STATUS_SHORT = {  # for badges and counts where the full label does not fit
    DeliverableStatus.PLANNED: "Not submitted",
    DeliverableStatus.SUBMITTED: "Awaiting review",
    DeliverableStatus.REJECTED: "Rejected",
    DeliverableStatus.ACCEPTED: "Accepted",
    DeliverableStatus.WITHDRAWN: "Withdrawn",
}
STATUS_ICONS = {
    DeliverableStatus.PLANNED: "ti-calendar-due",
    DeliverableStatus.SUBMITTED: "ti-inbox",
    DeliverableStatus.REJECTED: "ti-arrow-back-up",
    DeliverableStatus.ACCEPTED: "ti-circle-check",
    DeliverableStatus.WITHDRAWN: "ti-circle-minus",
}


class ReviewOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Deliverable(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "DLV"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="deliverables")
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="deliverables", editable=False
    )  # the contract's vendor, kept here so the portal filters on one column
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    due_date = models.DateField()
    status = models.CharField(
        max_length=10,
        choices=DeliverableStatus.choices,
        default=DeliverableStatus.PLANNED,
        editable=False,
    )
    wbs_item = models.ForeignKey(
        "schedules.Item",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="WBS deliverable",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who reviews submissions for the program.",
    )
    rounds = models.PositiveSmallIntegerField(default=0, editable=False)
    first_submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_reason = models.TextField(
        blank=True, editable=False, help_text="Why the program no longer needs it."
    )

    class Meta:
        ordering = ["due_date", "number"]
        constraints = key_constraints("deliverable")
        indexes = [
            models.Index(fields=["program", "vendor", "status"], name="deliverable_vendor"),
            models.Index(fields=["contract", "due_date"], name="deliverable_contract"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS[self.status]

    @property
    def status_short(self) -> str:
        return STATUS_SHORT[self.status]

    @property
    def status_icon(self) -> str:
        return STATUS_ICONS[self.status]

    def get_absolute_url(self) -> str:
        return reverse(
            "vendors:deliverable_detail", kwargs={"code": self.program.code, "key": self.key}
        )


class AcceptanceCriterion(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(help_text="A testable statement, e.g. 'All 14 interfaces documented'.")

    class Meta:
        ordering = ["deliverable_id", "position", "id"]
        verbose_name_plural = "acceptance criteria"

    def __str__(self) -> str:
        return self.text[:80]


class Submission(AppendOnlyMixin, ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    deliverable = models.ForeignKey(
        Deliverable, on_delete=models.PROTECT, related_name="submissions"
    )
    round = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["deliverable_id", "round"]
        constraints = [
            models.UniqueConstraint(fields=["deliverable", "round"], name="submission_round")
        ]

    def __str__(self) -> str:
        return f"{self.deliverable.key} round {self.round}"

    @property
    def submitted_at(self):
        return self.created_at


def submission_path(instance: SubmissionFile, filename: str) -> str:
    """deliverables/<program id>/<submission id>/<random>/<name>: never served directly."""
    name = PurePath(filename).name or "file"
    return f"deliverables/{instance.program_id}/{instance.submission_id}/{uuid.uuid4().hex}/{name}"


class SubmissionFile(AppendOnlyMixin, ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to=submission_path, max_length=400)
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    AUDIT_EXCLUDE = ("file",)

    class Meta:
        ordering = ["submission_id", "id"]

    def __str__(self) -> str:
        return self.file_name


class Review(AppendOnlyMixin, ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    submission = models.OneToOneField(Submission, on_delete=models.PROTECT, related_name="review")
    outcome = models.CharField(max_length=10, choices=ReviewOutcome.choices)
    summary = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["submission_id"]

    def __str__(self) -> str:
        return f"{self.submission}: {self.get_outcome_display()}"


class CriterionResult(AppendOnlyMixin, ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="results")
    criterion = models.ForeignKey(
        AcceptanceCriterion, on_delete=models.PROTECT, related_name="results"
    )
    met = models.BooleanField()
    reason = models.TextField(blank=True, help_text="Why it is not met (required then).")

    class Meta:
        ordering = ["review_id", "criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="criterion_result_unique"),
            models.CheckConstraint(
                condition=models.Q(met=True) | ~models.Q(reason=""),
                name="criterion_not_met_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{'met' if self.met else 'not met'}: {self.criterion}"
