"""Status reports: one per program and period (an ISO week, "2026-W48").

draft -> in review -> published. While a report is a draft or in review its figures are
recomputed on demand (`snapshot` holds the latest computation); publishing freezes them: a
published report's `snapshot` is never recomputed, and its PDFs, page and API answer from it.
The program manager may override a dimension's computed RAG with a written reason
(`RagOverride`); workstream leads write their commentary (`WorkstreamCommentary`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from programs.models import Program, ProgramOwnedModel, Workstream

from ..rag import Rag

__all__ = [
    "DIMENSION_CHOICES",
    "RAG_CHOICES",
    "RagOverride",
    "ReportStatus",
    "StatusReport",
    "WorkstreamCommentary",
    "validate_period",
]

validate_period = RegexValidator(
    r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$", "Give an ISO week such as 2026-W48."
)

RAG_CHOICES = [(r.value, r.label) for r in Rag]
DIMENSION_CHOICES = [
    ("schedule", "Schedule"),
    ("cost", "Cost"),
    ("scope", "Scope"),
    ("risk", "Risk"),
    ("quality", "Quality"),
    ("overall", "Overall"),
]


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"


class StatusReport(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="status_reports")
    period = models.CharField(max_length=8, validators=[validate_period], editable=False)
    period_start = models.DateField(editable=False)
    period_end = models.DateField(editable=False)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT, editable=False
    )
    # the narrative, one point per line
    headline = models.CharField(
        max_length=300, blank=True, help_text="One sentence an executive reads first."
    )
    achievements = models.TextField(blank=True, help_text="One per line.")
    next_steps = models.TextField(blank=True, help_text="One per line.")
    decisions = models.TextField(
        "decisions taken", blank=True, help_text="Decisions taken this period, one per line."
    )
    help_needed = models.TextField(blank=True, help_text="What you ask of the executives.")
    # the figures: reporting.snapshot.to_json(...) of the last computation; frozen once published
    snapshot = models.JSONField(default=dict, editable=False)
    computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    overall_rag = models.CharField(max_length=5, choices=RAG_CHOICES, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )  # fmt: skip
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )  # fmt: skip

    AUDIT_EXCLUDE = ("snapshot",)

    class Meta:
        ordering = ["program", "-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "period"], name="status_report_period_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} status report {self.period}"

    @property
    def key(self) -> str:  # the human key in links, lists and the audit trail
        return self.period

    @property
    def is_published(self) -> bool:
        return self.status == ReportStatus.PUBLISHED

    def get_absolute_url(self) -> str:
        return reverse(
            "reporting:report_detail", kwargs={"code": self.program.code, "period": self.period}
        )


class RagOverride(ProgramOwnedModel):
    """The program manager's rating of one dimension instead of the computed one, and why."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(StatusReport, on_delete=models.CASCADE, related_name="overrides")
    dimension = models.CharField(max_length=8, choices=DIMENSION_CHOICES)
    rag = models.CharField(max_length=5, choices=RAG_CHOICES)
    reason = models.TextField(
        help_text="Required: why the computed rating does not tell the truth."
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["report", "dimension"]
        constraints = [
            models.UniqueConstraint(fields=["report", "dimension"], name="rag_override_unique"),
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="rag_override_reason_required",
                violation_error_message="Give the reason for the override.",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.report} {self.dimension} → {self.rag}"


class WorkstreamCommentary(ProgramOwnedModel):
    """A workstream's paragraph in the report, with the lead's own RAG."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(StatusReport, on_delete=models.CASCADE, related_name="commentary")
    workstream = models.ForeignKey(Workstream, on_delete=models.PROTECT, related_name="+")
    rag = models.CharField(max_length=5, choices=RAG_CHOICES, default=Rag.GREY)
    text = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )  # fmt: skip

    class Meta:
        ordering = ["report", "workstream__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "workstream"], name="workstream_commentary_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.workstream}"
