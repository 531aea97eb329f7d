"""Requests for proposal (RFP-n) and their evaluation.

An RFP has weighted criteria and a scoring scale. Vendors (usually prospects) respond; each
assigned evaluator scores every response on every criterion in their own `Evaluation`, which
nobody else sees until it is submitted (and which cannot be changed afterwards). The comparison
matrix, ranking and spread between evaluators are computed from submitted evaluations only.
Selecting a response records the rationale as a decision in the governance decision log.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from programs.models import Program, ProgramOwnedModel

from .common import KeyedMixin, key_constraints, money_field
from .vendors import Vendor

__all__ = [
    "Evaluation",
    "EvaluationStatus",
    "Rfp",
    "RfpCriterion",
    "RfpEvaluator",
    "RfpResponse",
    "RfpStatus",
    "Score",
]


class RfpStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for responses"
    EVALUATION = "evaluation", "In evaluation"
    DECIDED = "decided", "Vendor selected"
    CANCELLED = "cancelled", "Cancelled"


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Rfp(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "RFP"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="rfps")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=RfpStatus.choices, default=RfpStatus.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_on = models.DateField(null=True, blank=True)
    responses_due = models.DateField(null=True, blank=True)
    scale_max = models.PositiveSmallIntegerField(
        "scoring scale (0 to)",
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text="Evaluators score each criterion from 0 to this number.",
    )
    selected_response = models.ForeignKey(
        "vendors.RfpResponse", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    selection_rationale = models.TextField(blank=True)
    decision = models.ForeignKey(
        "governance.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = key_constraints("rfp")

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("vendors:rfp_detail", kwargs={"code": self.program.code, "key": self.key})


class RfpCriterion(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    rfp = models.ForeignKey(Rfp, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
        help_text="Relative weight; weights are normalised to 100%.",
    )

    class Meta:
        ordering = ["rfp_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["rfp", "name"], name="rfp_criterion_name")]

    def __str__(self) -> str:
        return self.name


class RfpEvaluator(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    rfp = models.ForeignKey(Rfp, on_delete=models.CASCADE, related_name="evaluators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["rfp_id", "id"]
        constraints = [models.UniqueConstraint(fields=["rfp", "user"], name="rfp_evaluator")]

    def __str__(self) -> str:
        return str(self.user)


class RfpResponse(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    rfp = models.ForeignKey(Rfp, on_delete=models.PROTECT, related_name="responses")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="rfp_responses")
    received_on = models.DateField()
    price = money_field("proposed price", null=True, blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["rfp_id", "vendor__name"]
        constraints = [models.UniqueConstraint(fields=["rfp", "vendor"], name="rfp_response")]

    def __str__(self) -> str:
        return f"{self.vendor.name} · {self.rfp.key}"


class Evaluation(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    response = models.ForeignKey(RfpResponse, on_delete=models.PROTECT, related_name="evaluations")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["response_id", "evaluator_id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "evaluator"], name="evaluation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} on {self.response}"


class Score(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(RfpCriterion, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["evaluation_id", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "criterion"], name="score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"
