"""Contracts and statements of work (CTR-n), their payment milestones, rate cards and amendments.

A contract's value is never overwritten once it is active: a change to its value or dates is a
new `Amendment` (optionally caused by a change request). `current_value` (value plus every
amendment) and `current_end_date` are stored and kept in step by the services in the same
transaction, so lists filter, sort and sum on columns. What has been invoiced comes from the
budgets app (`vendors.invoicing`); remaining value = current value - invoiced.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from programs.models import Program, ProgramOwnedModel

from .common import KeyedMixin, key_constraints, money_field
from .vendors import Vendor

__all__ = [
    "Amendment",
    "Contract",
    "ContractKind",
    "ContractStatus",
    "ContractType",
    "PaymentMilestone",
    "PaymentMilestoneStatus",
    "RateCardEntry",
    "RateUnit",
]


class ContractKind(models.TextChoices):
    MASTER = "master", "Master agreement"
    SOW = "sow", "Statement of work"
    ORDER = "order", "Purchase order / order form"


class ContractType(models.TextChoices):
    FIXED_PRICE = "fixed_price", "Fixed price"
    TIME_AND_MATERIALS = "time_materials", "Time and materials"
    RETAINER = "retainer", "Retainer"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    TERMINATED = "terminated", "Terminated"


class RateUnit(models.TextChoices):
    HOUR = "hour", "per hour"
    DAY = "day", "per day"
    MONTH = "month", "per month"
    UNIT = "unit", "per unit"


class PaymentMilestoneStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DUE = "due", "Due"
    INVOICED = "invoiced", "Invoiced"
    PAID = "paid", "Paid"


class Contract(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "CTR"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="contracts")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="contracts")
    kind = models.CharField(max_length=8, choices=ContractKind.choices, default=ContractKind.SOW)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="under master agreement",
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    contract_type = models.CharField(
        "type", max_length=16, choices=ContractType.choices, default=ContractType.FIXED_PRICE
    )
    value = money_field("original value")
    currency = models.CharField(max_length=3)
    current_value = money_field(
        "current value", editable=False, help_text="Original value plus every amendment."
    )
    start_date = models.DateField()
    end_date = models.DateField()
    current_end_date = models.DateField(editable=False, help_text="The end after amendments.")
    po_number = models.CharField("purchase order", max_length=60, blank=True)
    status = models.CharField(
        max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who manages this contract for the program.",
    )
    signed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            *key_constraints("contract"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(current_value__gte=0), name="contract_value_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "vendor", "status"], name="contract_vendor_status"),
            models.Index(fields=["program", "status", "-number"], name="contract_status"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            "vendors:contract_detail", kwargs={"code": self.program.code, "key": self.key}
        )


class PaymentMilestone(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    amount = money_field("amount")
    status = models.CharField(
        max_length=10,
        choices=PaymentMilestoneStatus.choices,
        default=PaymentMilestoneStatus.PLANNED,
    )
    deliverable = models.ForeignKey(
        "vendors.Deliverable",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payment_milestones",
        help_text="Paid on acceptance of this deliverable.",
    )

    class Meta:
        ordering = ["contract_id", "due_date", "id"]

    def __str__(self) -> str:
        return self.title


class RateCardEntry(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="rates")
    role = models.CharField(max_length=120, help_text="e.g. Senior SAP FI consultant.")
    rate = money_field("rate")
    unit = models.CharField(max_length=6, choices=RateUnit.choices, default=RateUnit.DAY)

    class Meta:
        ordering = ["contract_id", "role", "unit"]
        verbose_name_plural = "rate card entries"
        constraints = [
            models.UniqueConstraint(fields=["contract", "role", "unit"], name="rate_card_unique")
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.rate} {self.get_unit_display()}"


class Amendment(ProgramOwnedModel):
    """A recorded change to a contract's value or dates: never edited, never deleted."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="amendments")
    sequence = models.PositiveIntegerField(editable=False, help_text="1, 2, 3 within the contract.")
    title = models.CharField(max_length=200)
    reason = models.TextField()
    value_change = money_field(
        "value change", signed=True, default=0, help_text="Negative to reduce the value."
    )
    new_end_date = models.DateField(null=True, blank=True)
    effective_on = models.DateField()
    change_request = models.ForeignKey(
        "governance.ChangeRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The approved change request that caused it, if any.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["contract_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="amendment_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.contract.key}/A{self.sequence} {self.title}"

    @property
    def label(self) -> str:
        return f"A{self.sequence}"
