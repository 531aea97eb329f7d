"""The compliance register: obligations (CMP-n) with their control, owner, review date and status,
and the evidence files that show the control works.

An obligation that becomes non-compliant is escalated to the program manager at once, and again
after a number of days if it stays non-compliant (`escalation_level` counts the steps of the
current non-compliance; `last_escalation` says what was done, so each step is in the history).
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from programs.models import Program, ProgramOwnedModel


class ObligationKind(models.TextChoices):
    REGULATION = "regulation", "Regulation"
    POLICY = "policy", "Policy"
    CONTRACT = "contract", "Contract clause"


class ComplianceStatus(models.TextChoices):
    COMPLIANT = "compliant", "Compliant"
    AT_RISK = "at_risk", "At risk"
    NON_COMPLIANT = "non_compliant", "Non-compliant"
    NOT_ASSESSED = "not_assessed", "Not assessed"


# Tabler light badge colour and icon per status, so every page and e-mail agrees.
STATUS_COLOURS = {
    ComplianceStatus.COMPLIANT: "green",
    ComplianceStatus.AT_RISK: "yellow",
    ComplianceStatus.NON_COMPLIANT: "red",
    ComplianceStatus.NOT_ASSESSED: "secondary",
}
STATUS_ICONS = {
    ComplianceStatus.COMPLIANT: "ti-circle-check",
    ComplianceStatus.AT_RISK: "ti-alert-triangle",
    ComplianceStatus.NON_COMPLIANT: "ti-circle-x",
    ComplianceStatus.NOT_ASSESSED: "ti-help-circle",
}


class Obligation(ProgramOwnedModel):
    KEY_PREFIX = "CMP"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="obligations")
    key = models.CharField(max_length=16, editable=False)
    title = models.CharField(max_length=200, help_text="A short name people recognise.")
    kind = models.CharField(
        max_length=10, choices=ObligationKind.choices, default=ObligationKind.REGULATION
    )
    reference = models.CharField(
        max_length=120, help_text='Where it comes from, e.g. "GDPR Art. 32" or "MSA §14.2".'
    )
    text = models.TextField("obligation", blank=True, help_text="What it requires, in its words.")
    control = models.TextField(
        "control", blank=True, help_text="How the program meets it and how that is checked."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_obligations",
    )
    review_date = models.DateField(help_text="When the control is next reviewed.")
    status = models.CharField(
        max_length=14, choices=ComplianceStatus.choices, default=ComplianceStatus.NOT_ASSESSED
    )
    notes = models.TextField(blank=True, help_text="Findings of the last assessment.")
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    escalation_level = models.PositiveSmallIntegerField(
        default=0,
        editable=False,
        help_text="Escalation steps taken since it became non-compliant (0: none).",
    )
    last_escalation = models.CharField(max_length=300, blank=True, editable=False)
    AUDIT_EXCLUDE = ("status_changed_at",)

    class Meta:
        ordering = ["program_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="obligation_key_unique"),
        ]
        indexes = [
            models.Index(fields=["program", "status"], name="obligation_status"),
            models.Index(fields=["program", "review_date"], name="obligation_review"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            "governance:compliance_detail", kwargs={"code": self.program.code, "key": self.key}
        )

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "secondary")

    @property
    def status_icon(self) -> str:
        return STATUS_ICONS.get(self.status, "ti-point")

    @property
    def is_non_compliant(self) -> bool:
        return self.status == ComplianceStatus.NON_COMPLIANT

    def review_overdue(self, today=None) -> bool:
        return self.review_date < (today or timezone.localdate())


def evidence_path(instance: Evidence, filename: str) -> str:
    """evidence/<program id>/<obligation id>/<random>/<name>: unguessable, never served directly
    (downloads go through a view that checks membership)."""
    name = PurePath(filename).name or "evidence"
    return f"evidence/{instance.program_id}/{instance.obligation_id}/{uuid.uuid4().hex}/{name}"


class Evidence(ProgramOwnedModel):
    """A file showing a control works, with a note. Files are kept as uploaded (never edited)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=400)
    file_name = models.CharField(max_length=255, help_text="The name it was uploaded with.")
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    note = models.TextField(blank=True, help_text="What it shows, e.g. which control run.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    AUDIT_EXCLUDE = ("file",)

    class Meta:
        ordering = ["obligation_id", "-created_at", "-id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        key = getattr(self.obligation, "key", "") if self.obligation_id else ""
        return f"{key} · {self.file_name}" if key else self.file_name

    @property
    def uploaded_at(self):
        return self.created_at
