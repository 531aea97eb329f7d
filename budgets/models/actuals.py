"""Actual costs: one ledger of cost entries, whatever their source.

A `CostEntry` books an amount to a budget line and month. It comes from an approved invoice
line, a manual entry, a general-ledger import, or an accrual and its automatic reversal in the
following month (the reversal is booked when the accrual is posted, dated the next month's 1st,
as finance systems do). Actual of a line in a month = the sum of its entries, so every figure is
one aggregate query over this table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.fields import KeyedMixin, key_constraints, money_field
from programs.models import Program, ProgramOwnedModel

from .common import first_of_month, month_field
from .structure import BudgetLine

__all__ = ["Accrual", "AccrualStatus", "ActualMonth", "CostEntry", "CostSource", "GLImport"]


class CostSource(models.TextChoices):
    INVOICE = "invoice", "Approved invoice"
    MANUAL = "manual", "Manual entry"
    GL_IMPORT = "gl_import", "General-ledger import"
    ACCRUAL = "accrual", "Accrual"
    ACCRUAL_REVERSAL = "reversal", "Accrual reversal"


class GLImport(ProgramOwnedModel):
    """One general-ledger extract imported in full (imports are all or nothing)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    rows = models.PositiveIntegerField(default=0)
    total = money_field("total", signed=True, default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["program_id", "-created_at"]
        verbose_name = "GL import"

    def __str__(self) -> str:
        return self.filename


class AccrualStatus(models.TextChoices):
    POSTED = "posted", "Posted (reverses next month)"
    CANCELLED = "cancelled", "Cancelled"


class Accrual(KeyedMixin, ProgramOwnedModel):
    """Work done in `month`, not yet invoiced (ACR-n): booked in `month`, reversed the next."""

    KEY_PREFIX = "ACR"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="accruals")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="accruals")
    month = month_field()
    amount = money_field("amount")
    description = models.CharField(max_length=300)
    contract = models.ForeignKey(
        "vendors.Contract", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=AccrualStatus.choices, default=AccrualStatus.POSTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["program_id", "-month", "-number"]
        constraints = [*key_constraints("accrual"), first_of_month("accrual")]

    def __str__(self) -> str:
        return f"{self.key} {self.description}"

    def get_absolute_url(self) -> str:
        return reverse(
            "budgets:accrual_detail", kwargs={"code": self.program.code, "key": self.key}
        )


class CostEntry(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="cost_entries")
    month = month_field()
    amount = money_field("amount", signed=True)
    source = models.CharField(max_length=10, choices=CostSource.choices)
    posted_on = models.DateField(help_text="The booking date.")
    description = models.CharField(max_length=300, blank=True)
    reference = models.CharField(
        max_length=60, blank=True, help_text="The GL document, invoice or receipt number."
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invoice_line = models.ForeignKey(
        "budgets.InvoiceLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cost_entries",
    )
    accrual = models.ForeignKey(
        Accrual, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    gl_import = models.ForeignKey(
        GLImport, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["program_id", "-month", "-id"]
        verbose_name_plural = "cost entries"
        constraints = [first_of_month("cost_entry")]
        indexes = [
            models.Index(fields=["program", "line", "month"], name="cost_entry_line_month"),
            models.Index(fields=["program", "month"], name="cost_entry_month"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.month:%Y-%m}: {self.amount} ({self.source})"


class ActualMonth(models.Model):
    """The sum of a line's cost entries in a month (and of its accruals and reversals), kept in
    step by every service that writes cost entries (budgets.services.actual_months), in the
    same transaction. The ledger reads these few thousand rows instead of aggregating every
    entry on every page; `refresh` recomputes them from the entries, so they cannot drift from
    what the entries say. Derived data: not versioned and not audited (the entries are)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="+")
    month = month_field()
    amount = money_field("actual", signed=True, default=0)
    accrued = money_field("of which accruals and reversals", signed=True, default=0)

    class Meta:
        ordering = ["line_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["line", "month"], name="actual_month_unique"),
            first_of_month("actual_month"),
        ]
        indexes = [models.Index(fields=["program", "month"], name="actual_month_program")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.month:%Y-%m}: {self.amount}"
