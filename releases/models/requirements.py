"""Requirements (REQ-n): what the program must deliver, where it comes from, how it is accepted.

An approved requirement is baselined: its title, statement and acceptance criteria change only
through a change request (where governance is used), and every baselined wording is kept as a
`RequirementRevision`, so the record shows what was agreed, when, and which change moved it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.fields import KeyedMixin, key_constraints
from programs.models import Program, ProgramOwnedModel, Workstream

__all__ = [
    "BASELINED_FIELDS",
    "MoSCoW",
    "QualityAttribute",
    "Requirement",
    "RequirementRevision",
    "RequirementSource",
    "RequirementStatus",
    "RequirementType",
]

# the wording a baseline freezes: changing any of these on an approved requirement needs a CR
BASELINED_FIELDS = ("title", "statement", "acceptance_criteria")


class RequirementType(models.TextChoices):
    FUNCTIONAL = "functional", "Functional"
    NON_FUNCTIONAL = "non_functional", "Non-functional"


class QualityAttribute(models.TextChoices):
    """ISO/IEC 25010 quality characteristics, for non-functional requirements."""

    PERFORMANCE = "performance", "Performance efficiency"
    SECURITY = "security", "Security"
    RELIABILITY = "reliability", "Reliability"
    AVAILABILITY = "availability", "Availability"
    USABILITY = "usability", "Usability"
    MAINTAINABILITY = "maintainability", "Maintainability"
    COMPATIBILITY = "compatibility", "Compatibility"
    PORTABILITY = "portability", "Portability"
    COMPLIANCE = "compliance", "Compliance"


class MoSCoW(models.TextChoices):
    MUST = "must", "Must"
    SHOULD = "should", "Should"
    COULD = "could", "Could"
    WONT = "wont", "Won't (this time)"


class RequirementSource(models.TextChoices):
    STAKEHOLDER = "stakeholder", "Stakeholder"
    REGULATION = "regulation", "Regulation"
    CONTRACT = "contract", "Contract"


class RequirementStatus(models.TextChoices):
    """proposed -> approved (baselined) -> in delivery -> verified -> accepted; a proposed or
    approved requirement can be rejected or deferred, and a deferred one proposed again. The
    transitions live in services/requirements.py."""

    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    IN_DELIVERY = "in_delivery", "In delivery"
    VERIFIED = "verified", "Verified"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    DEFERRED = "deferred", "Deferred"


# statuses in which the wording is under the baseline
BASELINED_STATUSES = (
    RequirementStatus.APPROVED,
    RequirementStatus.IN_DELIVERY,
    RequirementStatus.VERIFIED,
    RequirementStatus.ACCEPTED,
)


class Requirement(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "REQ"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="requirements")
    workstream = models.ForeignKey(
        Workstream, null=True, blank=True, on_delete=models.PROTECT, related_name="requirements"
    )
    title = models.CharField(max_length=300)
    statement = models.TextField(help_text="The need, in one testable sentence or a few.")
    type = models.CharField(
        max_length=16, choices=RequirementType.choices, default=RequirementType.FUNCTIONAL
    )
    quality_attribute = models.CharField(
        max_length=16,
        choices=QualityAttribute.choices,
        blank=True,
        help_text="Required for a non-functional requirement.",
    )
    priority = models.CharField(max_length=6, choices=MoSCoW.choices, default=MoSCoW.SHOULD)
    source = models.CharField(
        max_length=12, choices=RequirementSource.choices, default=RequirementSource.STAKEHOLDER
    )
    source_detail = models.CharField(
        max_length=300,
        blank=True,
        help_text="Who or what asked for it: a stakeholder, a regulation's article, a clause.",
    )
    acceptance_criteria = models.TextField(
        blank=True, help_text="One criterion per line; how the business will accept it."
    )
    status = models.CharField(
        max_length=12,
        choices=RequirementStatus.choices,
        default=RequirementStatus.PROPOSED,
        editable=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deliverables = models.ManyToManyField(
        "schedules.Item",
        blank=True,
        related_name="requirements",
        help_text="The WBS deliverables that build it.",
    )
    change_requests = models.ManyToManyField(
        "governance.ChangeRequest",
        blank=True,
        related_name="requirements",
        help_text="The change requests that added or changed it.",
    )
    baseline_revision = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="The number of the baselined wording in force (0: never baselined).",
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_reason = models.TextField(
        blank=True, editable=False, help_text="Why it was rejected or deferred."
    )

    class Meta:
        ordering = ["program_id", "number"]
        constraints = [*key_constraints("requirement")]
        indexes = [models.Index(fields=["program", "status"], name="requirement_status_idx")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def is_baselined(self) -> bool:
        return self.status in BASELINED_STATUSES

    @property
    def criteria_list(self) -> list[str]:
        return [line.strip() for line in self.acceptance_criteria.splitlines() if line.strip()]

    def get_absolute_url(self) -> str:
        return reverse(
            "releases:requirement_detail", kwargs={"code": self.program.code, "key": self.key}
        )


class RequirementRevision(ProgramOwnedModel):
    """One baselined wording of a requirement (revision 1 at approval, then one per change
    request that changed it). Written by the services, never edited."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    statement = models.TextField()
    acceptance_criteria = models.TextField(blank=True)
    change_request = models.ForeignKey(
        "governance.ChangeRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requirement_revisions",
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["requirement_id", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "revision"], name="requirement_revision_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id} r{self.revision}"
