"""Variance explanations: a closed month's variance beyond the program threshold on a line
needs a written explanation from the line's owner, which finance requests, reads and approves."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.fields import money_field
from programs.models import Program, ProgramOwnedModel

from .common import first_of_month, month_field
from .structure import BudgetLine

__all__ = ["ExplanationStatus", "VarianceExplanation"]


class ExplanationStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SUBMITTED = "submitted", "Explained, awaiting approval"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned for more detail"


class VarianceExplanation(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="explanations")
    month = month_field()
    status = models.CharField(
        max_length=10, choices=ExplanationStatus.choices, default=ExplanationStatus.REQUESTED
    )
    plan = money_field("plan when requested", default=0)
    actual = money_field("actual when requested", signed=True, default=0)
    text = models.TextField("explanation", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    explained_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["program_id", "-month", "line_id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "month"], name="variance_explanation_unique"),
            first_of_month("variance_explanation"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.month:%Y-%m}: {self.get_status_display()}"
