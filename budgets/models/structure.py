"""The budget's structure: cost categories, budget lines (workstream x category), the planned
amount of each line per month (the original budget), change orders that move it (the current
budget = original + approved change orders) and the management and contingency reserves, which
sit outside the lines and are shown separately.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.fields import KeyedMixin, key_constraints, money_field
from programs.models import Program, ProgramOwnedModel, Workstream

from .common import first_of_month, month_field

__all__ = [
    "BudgetLine",
    "CategoryKind",
    "ChangeOrder",
    "ChangeOrderAmount",
    "ChangeOrderStatus",
    "CostCategory",
    "ExpenseType",
    "PlanAmount",
    "Reserve",
    "ReserveKind",
    "ReserveMovement",
]


class ExpenseType(models.TextChoices):
    CAPEX = "capex", "Capex"
    OPEX = "opex", "Opex"


class CategoryKind(models.TextChoices):
    LABOUR = "labour", "Labour"
    VENDOR = "vendor", "Vendor services"
    SOFTWARE = "software", "Software"
    HARDWARE = "hardware", "Hardware"
    TRAVEL = "travel", "Travel"
    CONTINGENCY = "contingency", "Contingency"
    OTHER = "other", "Other"


class CostCategory(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cost_categories")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=CategoryKind.choices, default=CategoryKind.OTHER)
    expense_type = models.CharField(
        max_length=5, choices=ExpenseType.choices, default=ExpenseType.OPEX
    )
    gl_account = models.CharField(
        "GL account", max_length=30, blank=True,
        help_text="The general-ledger account finance books it to (used by the GL import).",
    )  # fmt: skip
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["program_id", "position", "name"]
        verbose_name_plural = "cost categories"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"],
                name="cost_category_name_unique",
                violation_error_message="This program already has a category with that name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class BudgetLine(KeyedMixin, ProgramOwnedModel):
    """Where money is planned and spent: one workstream x one category (BL-n)."""

    KEY_PREFIX = "BL"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="budget_lines")
    workstream = models.ForeignKey(
        Workstream, on_delete=models.PROTECT, related_name="budget_lines"
    )
    category = models.ForeignKey(CostCategory, on_delete=models.PROTECT, related_name="lines")
    name = models.CharField(max_length=200, help_text="e.g. Northwind SOW 1, internal FTEs.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Explains this line's variances.",
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contract = models.ForeignKey(
        "vendors.Contract", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["program_id", "number"]
        constraints = [
            *key_constraints("budget_line"),
            models.UniqueConstraint(
                fields=["program", "workstream", "category", "name"],
                name="budget_line_unique",
                violation_error_message=(
                    "This workstream already has a line with that category and name."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("budgets:line_detail", kwargs={"code": self.program.code, "key": self.key})


class PlanAmount(ProgramOwnedModel):
    """The original budget of one line in one month (the time-phased grid's cells)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="plan_amounts")
    month = month_field()
    amount = money_field("planned amount")

    class Meta:
        ordering = ["line_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["line", "month"], name="plan_amount_unique"),
            first_of_month("plan_amount"),
        ]
        indexes = [models.Index(fields=["program", "month"], name="plan_amount_month")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.month:%Y-%m}: {self.amount}"


class ChangeOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ChangeOrder(KeyedMixin, ProgramOwnedModel):
    """A budget change (CO-n): amounts per line and month; approved ones make the current budget."""

    KEY_PREFIX = "CO"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="change_orders")
    title = models.CharField(max_length=200)
    reason = models.TextField()
    change_request = models.ForeignKey(
        "governance.ChangeRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The change request that caused it, where there is one.",
    )
    status = models.CharField(
        max_length=10, choices=ChangeOrderStatus.choices, default=ChangeOrderStatus.DRAFT
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["program_id", "-number"]
        constraints = key_constraints("change_order")

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            "budgets:change_order_detail", kwargs={"code": self.program.code, "key": self.key}
        )


class ChangeOrderAmount(ProgramOwnedModel):
    """How much a change order adds to (or, negative, takes from) one line in one month."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    change_order = models.ForeignKey(ChangeOrder, on_delete=models.CASCADE, related_name="amounts")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="change_amounts")
    month = month_field()
    amount = money_field("amount", signed=True)

    class Meta:
        ordering = ["change_order_id", "line_id", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_order", "line", "month"], name="change_order_amount_unique"
            ),
            first_of_month("change_order_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.change_order_id} {self.line_id} {self.month:%Y-%m}: {self.amount}"


class ReserveKind(models.TextChoices):
    MANAGEMENT = "management", "Management reserve"
    CONTINGENCY = "contingency", "Contingency reserve"


class Reserve(ProgramOwnedModel):
    """A reserve held outside the budget lines; its balance = amount + movements."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="reserves")
    kind = models.CharField(max_length=12, choices=ReserveKind.choices)
    amount = money_field("amount set aside")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["program_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["program", "kind"], name="reserve_kind_unique")
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class ReserveMovement(ProgramOwnedModel):
    """A draw on (negative) or top-up of (positive) a reserve, with its reason. Never edited."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    reserve = models.ForeignKey(Reserve, on_delete=models.PROTECT, related_name="movements")
    amount = money_field("amount", signed=True)
    on = models.DateField()
    reason = models.TextField()
    change_order = models.ForeignKey(
        ChangeOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["reserve_id", "on", "id"]

    def __str__(self) -> str:
        return f"{self.reserve_id} {self.on}: {self.amount}"
