"""Vendor invoices (INV-n) and their lines, each mapped to a budget line.

received -> validated -> approved -> paid, or rejected. Validation records what it found in
`problems` (a list of {code, message}); approval turns every line into a cost entry (actuals).
What a contract has been invoiced (everything not rejected) feeds vendors' remaining value
through `vendors.invoicing.register_invoiced_source`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.fields import KeyedMixin, key_constraints, money_field
from programs.models import Program, ProgramOwnedModel

from .common import first_of_month, month_field
from .structure import BudgetLine

__all__ = ["Invoice", "InvoiceLine", "InvoiceStatus"]


class InvoiceStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    VALIDATED = "validated", "Validated"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"


class Invoice(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "INV"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="invoices")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(
        "vendors.Contract", on_delete=models.PROTECT, related_name="invoices"
    )
    invoice_number = models.CharField("vendor's invoice number", max_length=60)
    invoice_date = models.DateField()
    received_on = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    period_start = models.DateField(help_text="First day of the work invoiced.")
    period_end = models.DateField(help_text="Last day of the work invoiced.")
    currency = models.CharField(max_length=3)
    total = money_field("total", default=0, editable=False, help_text="The sum of its lines.")
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.RECEIVED
    )
    problems = models.JSONField(
        default=list, blank=True, editable=False,
        help_text="What the last validation found: [{code, message}].",
    )  # fmt: skip
    validated_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    paid_on = models.DateField(null=True, blank=True)
    payment_reference = models.CharField(max_length=60, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who entered it: a finance member, or the vendor through its portal.",
    )
    note = models.TextField(blank=True)
    document = models.FileField(upload_to="invoices/%Y/%m/", blank=True)

    class Meta:
        ordering = ["program_id", "-number"]
        constraints = [
            *key_constraints("invoice"),
            models.UniqueConstraint(
                fields=["vendor", "invoice_number"],
                name="invoice_vendor_number_unique",
                violation_error_message="This vendor already sent an invoice with that number.",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="invoice_period_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "-number"], name="invoice_status"),
            models.Index(fields=["contract", "status"], name="invoice_contract_status"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.invoice_number}"

    def get_absolute_url(self) -> str:
        return reverse(
            "budgets:invoice_detail", kwargs={"code": self.program.code, "key": self.key}
        )


class InvoiceLine(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    budget_line = models.ForeignKey(
        BudgetLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
        help_text="Mapped by finance (a vendor submitting through its portal does not know it).",
    )
    month = month_field(help_text="The month the cost belongs to (actuals are booked there).")
    description = models.CharField(max_length=300)
    role = models.CharField(
        max_length=120, blank=True, help_text="The rate-card role, for time and materials."
    )
    quantity = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=6, blank=True, help_text="hour, day, month or unit.")
    rate = money_field("rate", null=True, blank=True)
    amount = money_field("amount")

    class Meta:
        ordering = ["invoice_id", "id"]
        constraints = [first_of_month("invoice_line")]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.description} {self.amount}"
