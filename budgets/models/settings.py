"""Each program's finance settings: the variance threshold and the monthly export."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.fields import money_field
from programs.models import Program, ProgramOwnedModel

__all__ = ["BudgetSettings"]


class BudgetSettings(ProgramOwnedModel):
    """One row per program, created on first use with these defaults.

    A closed month's variance (actual - plan) on a budget line needs a written explanation when
    it is beyond BOTH thresholds: at least `variance_percent` of the plan and at least
    `variance_amount` in the program currency (so small lines do not drown finance in notes).
    """

    program = models.OneToOneField(
        Program, on_delete=models.PROTECT, related_name="budget_settings"
    )
    variance_percent = models.DecimalField(
        "variance threshold (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("999.99"))],
    )
    variance_amount = money_field("variance threshold (amount)", default=Decimal("5000.00"))
    invoice_approval_limit = money_field(
        "finance approves invoices up to",
        default=Decimal("50000.00"),
        help_text="Larger invoices need a program manager's approval.",
    )
    monthly_export = models.BooleanField(
        "e-mail the variance report monthly",
        default=True,
        help_text="On the 1st of each month, to the program's finance members.",
    )
    export_bom = models.BooleanField(
        "byte-order mark in CSV exports",
        default=False,
        help_text="Lets Excel on Windows open the UTF-8 file with accents intact.",
    )

    class Meta:
        verbose_name_plural = "budget settings"

    def __str__(self) -> str:
        return f"Budget settings of {self.program_id}"
