"""The budget ledger: plan, change orders, forecast and actuals of every line and month.

Every figure of the budgets app (overview tiles, the time-phased grid, variance, EAC, the
exports, earned value's AC) is read from here, so they agree to the cent. Four aggregate queries
whatever the number of lines, months or entries: planned amounts, approved change-order
amounts, latest forecasts, and cost entries (accruals apart), each grouped by line and month in
the database.

Rules (shown to users on the pages that use them):
- current budget = original plan + approved change orders, per line and month;
- actual = the sum of the line's cost entries in the month (invoices, manual, GL import,
  accruals and their reversals); `accrued` is the accrual part of it, shown separately;
- a month is *closed* when it is before the as-of month (today's month by default);
- outturn of a month = its actual when closed, else its latest forecast, else its current plan;
- EAC (estimate at completion) = the sum of the outturn over every month;
- variance = actual - current plan (positive = overspent); variance % = variance / plan x 100,
  none when the plan is zero; variance at completion = EAC - current budget.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from programs.models import Program

from ..models import (
    BudgetLine,
    ChangeOrderAmount,
    ChangeOrderStatus,
    CostEntry,
    CostSource,
    ForecastEntry,
    PlanAmount,
)
from ..months import month_of, month_range

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
ACCRUAL_SOURCES = (CostSource.ACCRUAL, CostSource.ACCRUAL_REVERSAL)


@dataclass
class Cell:
    """One line in one month."""

    original: Decimal = ZERO
    change_orders: Decimal = ZERO
    forecast: Decimal | None = None
    actual: Decimal = ZERO
    accrued: Decimal = ZERO

    @property
    def plan(self) -> Decimal:
        """The current budget: original + approved change orders."""
        return self.original + self.change_orders

    @property
    def variance(self) -> Decimal:
        return self.actual - self.plan

    @property
    def variance_percent(self) -> Decimal | None:
        return variance_percent(self.variance, self.plan)

    def outturn(self, closed: bool) -> Decimal:
        if closed:
            return self.actual
        return self.forecast if self.forecast is not None else self.plan

    def add(self, other: Cell) -> None:
        self.original += other.original
        self.change_orders += other.change_orders
        if other.forecast is not None:
            self.forecast = (self.forecast or ZERO) + other.forecast
        self.actual += other.actual
        self.accrued += other.accrued


def variance_percent(variance: Decimal, plan: Decimal) -> Decimal | None:
    """variance / plan x 100 to two decimals (half-even), None when nothing was planned."""
    if not plan:
        return None
    return (variance / plan * HUNDRED).quantize(Decimal("0.01"))


@dataclass
class Ledger:
    program: Program
    as_of_month: dt.date
    lines: list[BudgetLine]
    months: list[dt.date]
    cells: dict[tuple[int, dt.date], Cell] = field(default_factory=dict)

    def cell(self, line_id: int, month: dt.date) -> Cell:
        return self.cells.get((line_id, month)) or Cell()

    def closed(self, month: dt.date) -> bool:
        return month < self.as_of_month

    def line_total(self, line_id: int) -> Cell:
        total = Cell()
        for month in self.months:
            total.add(self.cell(line_id, month))
        return total

    def eac(self, line_ids: Iterable[int] | None = None) -> Decimal:
        """Estimate at completion of the given lines (all by default)."""
        ids = [line.pk for line in self.lines] if line_ids is None else list(line_ids)
        return sum(
            (self.cell(i, m).outturn(self.closed(m)) for i in ids for m in self.months), ZERO
        )

    def total(
        self, line_ids: Iterable[int] | None = None, months: Iterable[dt.date] | None = None
    ) -> Cell:
        ids = [line.pk for line in self.lines] if line_ids is None else list(line_ids)
        total = Cell()
        for month in self.months if months is None else months:
            for line_id in ids:
                total.add(self.cell(line_id, month))
        return total


def _cents(value) -> Decimal:
    """A database sum as Decimal cents: SQLite (the embedded dev database) sums decimals in
    binary floating point, so 0.1 + 0.2 comes back as 0.30000000000000004 there."""
    return ZERO if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _grouped(queryset: QuerySet, value: str = "amount") -> Iterable[tuple[int, dt.date, Decimal]]:
    return queryset.values_list("line_id", "month").annotate(total=Sum(value)).order_by()


def ledger(
    program: Program,
    *,
    as_of: dt.date | None = None,
    lines: QuerySet[BudgetLine] | None = None,
    first_month: dt.date | None = None,
    last_month: dt.date | None = None,
) -> Ledger:
    """The ledger of `lines` (all of the program's by default) over the months that hold any
    amount, or `first_month`..`last_month` when given (both first days of months)."""
    line_qs = (
        lines if lines is not None else BudgetLine.objects.filter(program=program)
    ).select_related("workstream", "category", "owner", "vendor")
    line_list = list(line_qs.order_by("workstream__key", "category__position", "number"))
    ids = [line.pk for line in line_list]
    month_filter = Q()
    if first_month is not None:
        month_filter &= Q(month__gte=first_month)
    if last_month is not None:
        month_filter &= Q(month__lte=last_month)
    scope = Q(program=program, line_id__in=ids) & month_filter

    cells: dict[tuple[int, dt.date], Cell] = defaultdict(Cell)
    for line_id, month, total in _grouped(PlanAmount.objects.filter(scope)):
        cells[line_id, month].original = _cents(total)
    approved = ChangeOrderAmount.objects.filter(
        scope, change_order__status=ChangeOrderStatus.APPROVED
    )
    for line_id, month, total in _grouped(approved):
        cells[line_id, month].change_orders = _cents(total)
    for line_id, month, total in _grouped(ForecastEntry.objects.filter(scope, is_latest=True)):
        cells[line_id, month].forecast = _cents(total)
    entries = (
        CostEntry.objects.filter(scope)
        .values_list("line_id", "month")
        .annotate(
            total=Sum("amount"),
            accrued=Sum("amount", filter=Q(source__in=ACCRUAL_SOURCES)),
        )
        .order_by()
    )
    for line_id, month, total, accrued in entries:
        cell = cells[line_id, month]
        cell.actual = _cents(total)
        cell.accrued = _cents(accrued)

    months = sorted({month for _line, month in cells})
    if first_month is not None and last_month is not None:
        months = month_range(first_month, last_month)
    today = as_of or dt.date.today()
    return Ledger(
        program=program,
        as_of_month=month_of(today),
        lines=line_list,
        months=months,
        cells=dict(cells),
    )
