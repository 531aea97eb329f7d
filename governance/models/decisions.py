"""The decision log: what was decided (DEC-n), on what grounds, by whom, and what it links to.

A decided entry is superseded, never deleted, when a later decision replaces it: both stay in
the log, linked through `superseded_by`. Links to other items (change requests, WBS items, RAID
items...) are generic, by content type and id.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from core.audit_guard import AuditedQuerySet
from programs.models import Program, ProgramOwnedModel

from ..choices import DecisionStatus

__all__ = ["MAX_OPTIONS", "Decision", "DecisionLink", "validate_options"]

MAX_OPTIONS = 12
OPTION_TEXT_LIMITS = {"option": 300, "pros": 2000, "cons": 2000}


def validate_options(value) -> None:
    """Options considered: a list of `{"option": text, "pros": text, "cons": text}`."""
    if not isinstance(value, list):
        raise ValidationError("Options must be a list.")
    if len(value) > MAX_OPTIONS:
        raise ValidationError(f"List at most {MAX_OPTIONS} options.")
    for n, entry in enumerate(value, start=1):
        if not isinstance(entry, dict) or set(entry) - set(OPTION_TEXT_LIMITS):
            raise ValidationError(f"Option {n}: give option, pros and cons only.")
        for name, limit in OPTION_TEXT_LIMITS.items():
            text = entry.get(name, "")
            if not isinstance(text, str):
                raise ValidationError(f"Option {n}: {name} must be text.")
            if len(text) > limit:
                raise ValidationError(f"Option {n}: {name} is longer than {limit} characters.")
        if not entry.get("option", "").strip():
            raise ValidationError(f"Option {n} needs a name.")


class Decision(ProgramOwnedModel):
    KEY_PREFIX = "DEC"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="decisions")
    key = models.CharField(max_length=16, editable=False)
    title = models.CharField(max_length=300)
    statement = models.TextField(
        "decision", blank=True, help_text="What was (or is proposed to be) decided."
    )
    context = models.TextField(blank=True, help_text="The situation that called for a decision.")
    options = models.JSONField(
        "options considered", default=list, blank=True, validators=[validate_options]
    )
    rationale = models.TextField(blank=True, help_text="Why this option over the others.")
    status = models.CharField(
        max_length=12,
        choices=DecisionStatus.choices,
        default=DecisionStatus.PROPOSED,
        editable=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions_made",
    )
    forum = models.CharField(
        "decided in",
        max_length=200,
        blank=True,
        help_text="The meeting or body that decided, e.g. Steering committee 11 Aug 2026.",
    )
    decided_on = models.DateField(null=True, blank=True)
    needed_by = models.DateField(
        "decision needed by",
        null=True,
        blank=True,
        help_text="For a proposed decision: the date by which it must be taken.",
    )
    superseded_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
        editable=False,
    )

    class Meta:
        ordering = ["program_id", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="decision_key_unique"),
            models.CheckConstraint(
                condition=~models.Q(superseded_by=models.F("id")),
                name="decision_not_superseded_by_itself",
                violation_error_message="A decision cannot supersede itself.",
            ),
        ]
        indexes = [models.Index(fields=["program", "status"], name="decision_status")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            "governance:decision_detail", kwargs={"code": self.program.code, "key": self.key}
        )

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[-1]) if self.key else 0

    def clean(self) -> None:
        super().clean()
        if self.status != DecisionStatus.PROPOSED and not self.decided_on:
            raise ValidationError({"decided_on": "A decision needs the date it was taken."})
        if self.status == DecisionStatus.SUPERSEDED and not self.superseded_by_id:
            raise ValidationError("A superseded decision names the decision that replaced it.")


class DecisionLink(models.Model):
    """A decision's link to any keyed item of the same program (CR-3, TSK-12, RSK-4...)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="links")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["decision_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "content_type", "object_id"], name="decision_link_unique"
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="decision_link_target")]

    def __str__(self) -> str:
        return f"{self.decision_id} -> {self.content_type_id}:{self.object_id}"
