"""Vendors (VND-n): who they are, who to call, what they supply, and their on/offboarding.

A vendor belongs to one program. Its portal users are program members with the vendor role,
each bound to exactly one vendor through `PortalUser`: everything the portal shows is filtered by
that binding.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from programs.models import Program, ProgramMembership, ProgramOwnedModel

from .common import KeyedMixin, key_constraints

__all__ = [
    "ChecklistItem",
    "ChecklistKind",
    "PortalUser",
    "Vendor",
    "VendorCategory",
    "VendorContact",
    "VendorStatus",
]


class VendorStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    OFFBOARDED = "offboarded", "Offboarded"


STATUS_COLOURS = {
    VendorStatus.PROSPECT: "secondary",
    VendorStatus.ONBOARDING: "azure",
    VendorStatus.ACTIVE: "green",
    VendorStatus.SUSPENDED: "orange",
    VendorStatus.OFFBOARDED: "dark",
}
STATUS_ICONS = {
    VendorStatus.PROSPECT: "ti-user-search",
    VendorStatus.ONBOARDING: "ti-door-enter",
    VendorStatus.ACTIVE: "ti-circle-check",
    VendorStatus.SUSPENDED: "ti-player-pause",
    VendorStatus.OFFBOARDED: "ti-door-exit",
}


class ChecklistKind(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    OFFBOARDING = "offboarding", "Offboarding"


class VendorCategory(ProgramOwnedModel):
    """What a vendor supplies (systems integration, staffing, licences, hosting ...)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "vendor categories"
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="vendor_category_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Vendor(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "VND"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="vendors")
    name = models.CharField(max_length=200, help_text="The name people use, e.g. Northwind.")
    legal_entity = models.CharField(
        max_length=300, blank=True, help_text="As on the contract, e.g. Northwind Consulting GmbH."
    )
    registration_number = models.CharField(
        max_length=60, blank=True, help_text="Company or tax registration number."
    )
    status = models.CharField(
        max_length=12, choices=VendorStatus.choices, default=VendorStatus.PROSPECT
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_reason = models.TextField(
        blank=True,
        help_text="Why it is in this status (a suspension's cause, an override of open items).",
    )
    categories = models.ManyToManyField(VendorCategory, blank=True, related_name="vendors")
    relationship_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who manages this vendor for the program.",
    )
    website = models.URLField(blank=True)
    address = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = key_constraints("vendor")
        indexes = [models.Index(fields=["program", "status"], name="vendor_status")]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("vendors:vendor_detail", kwargs={"code": self.program.code, "key": self.key})

    @property
    def status_since(self):
        """When the status last changed, or None while it is the status it was recorded with
        (the register does not know since when that has been true)."""
        changed, created = self.status_changed_at, self.created_at
        if changed is None or created is None or (changed - created).total_seconds() < 60:
            return None
        return changed

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "secondary")

    @property
    def status_icon(self) -> str:
        return STATUS_ICONS.get(self.status, "ti-circle")


class VendorContact(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=120, blank=True, help_text="e.g. Account manager.")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField("primary contact", default=False)

    class Meta:
        ordering = ["-is_primary", "name", "id"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(ProgramOwnedModel):
    """One step of a vendor's onboarding (NDA, security review ...) or offboarding (access
    removed ...), with an owner, a due date and the evidence that it was done."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="checklist")
    kind = models.CharField(max_length=12, choices=ChecklistKind.choices)
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evidence = models.TextField(
        blank=True, help_text="What shows it was done, e.g. 'NDA signed 3 Mar, DMS ref 4411'."
    )

    class Meta:
        ordering = ["vendor_id", "kind", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(completed_on__isnull=True) | ~models.Q(evidence=""),
                name="checklist_done_needs_evidence",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.completed_on is not None


class PortalUser(ProgramOwnedModel):
    """Binds a vendor-role member of the program to the one vendor whose portal they see."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    membership = models.OneToOneField(
        ProgramMembership, on_delete=models.CASCADE, related_name="vendor_binding"
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="portal_users")

    class Meta:
        ordering = ["vendor_id", "id"]

    def __str__(self) -> str:
        return f"{self.membership.user} → {self.vendor}"
