"""The budget ledger: plan, change orders, forecast and actuals of every line and month.

Every figure of the budgets app (overview tiles, the time-phased grid, variance, EAC, the
exports, earned value's AC) is read from here, so they agree to the cent. Four queries whatever
the number of lines, months or entries: planned amounts, approved change-order amounts and
latest forecasts, each grouped by line and month in the database, and the monthly actuals.

Rules (shown to users on the pages that use them):
- current budget = original plan + approved change orders, per line and month;
- actual = the sum of the line's cost entries in the month (invoices, manual, GL import,
  accruals and their reversals); `accrued` is the accrual part of it, shown separately. The
  sums are kept per line and month in ActualMonth by the services that write entries, so a
  page reads a few thousand rows however many entries there are;
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
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet, Sum

from programs.models import Program

from ..models import (
    ActualMonth,
    BudgetLine,
    ChangeOrderAmount,
    ChangeOrderStatus,
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
        return self._by_line.get(line_id, (Cell(), ZERO))[0]

    def month_outturn(self, month: dt.date) -> Decimal:
        """The outturn of every line in `month`."""
        return self._by_month.get(month, (Cell(), ZERO))[1]

    def eac(self, line_ids: Iterable[int] | None = None) -> Decimal:
        """Estimate at completion of the given lines (all by default)."""
        by_line = self._by_line
        ids = by_line if line_ids is None else line_ids
        return sum((by_line[i][1] for i in ids if i in by_line), ZERO)

    def total(
        self, line_ids: Iterable[int] | None = None, months: Iterable[dt.date] | None = None
    ) -> Cell:
        """The sum of the cells of `line_ids` (all lines by default) in `months` (all)."""
        if months is None or line_ids is None:
            index, keys = (
                (self._by_month, months) if line_ids is None else (self._by_line, line_ids)
            )
            total = Cell()
            for key in index if keys is None else keys:
                if key in index:
                    total.add(index[key][0])
            return total
        ids, wanted = set(line_ids), set(months)
        total = Cell()
        for (line_id, month), cell in self.cells.items():
            if line_id in ids and month in wanted:
                total.add(cell)
        return total

    @cached_property
    def _by_line(self) -> dict[int, tuple[Cell, Decimal]]:
        """Each line's total and EAC, summed once (pages ask for many groups of lines)."""
        return self._index(0)

    @cached_property
    def _by_month(self) -> dict[dt.date, tuple[Cell, Decimal]]:
        """Each month's total and outturn over every line, summed once."""
        return self._index(1)

    def _index(self, part: int) -> dict:
        totals: dict = {}
        as_of = self.as_of_month
        for key, cell in self.cells.items():
            entry = totals.get(key[part])
            if entry is None:
                entry = totals[key[part]] = [Cell(), ZERO]
            entry[0].add(cell)
            entry[1] += cell.outturn(key[1] < as_of)
        return {key: (total, outturn) for key, (total, outturn) in totals.items()}


def _cents(value) -> Decimal:
    """A database sum as Decimal cents: SQLite (the embedded dev database) sums decimals in
    binary floating point, so 0.1 + 0.2 comes back as 0.30000000000000004 there."""
    return ZERO if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _rows(queryset: QuerySet) -> list[tuple]:
    """(line id, month, sums...) of a grouped aggregate. PostgreSQL's rows are read straight
    from the cursor (its numeric sums already are Decimal cents, its months dates), which saves
    Django's per-value converters on thousands of cells; other databases go through them."""
    if connection.vendor == "postgresql":
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # e.g. no lines at all: nothing to ask
            return []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    return [(line, month, *(_cents(v) for v in sums)) for line, month, *sums in queryset]


def _grouped(queryset: QuerySet, value: str = "amount") -> list[tuple]:
    return _rows(queryset.values_list("line_id", "month").annotate(total=Sum(value)).order_by())


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
    scope = Q(program=program) & month_filter
    if lines is not None:
        scope &= Q(line_id__in=ids)

    cells: dict[tuple[int, dt.date], Cell] = defaultdict(Cell)
    for line_id, month, total in _grouped(PlanAmount.objects.filter(scope)):
        cells[line_id, month].original = total
    approved = ChangeOrderAmount.objects.filter(
        scope, change_order__status=ChangeOrderStatus.APPROVED
    )
    for line_id, month, total in _grouped(approved):
        cells[line_id, month].change_orders = total
    for line_id, month, total in _grouped(ForecastEntry.objects.filter(scope, is_latest=True)):
        cells[line_id, month].forecast = total
    # actuals: the monthly sums kept beside the entries (budgets.services.actual_months)
    for line_id, month, total, accrued in _rows(
        ActualMonth.objects.filter(scope).values_list("line_id", "month", "amount", "accrued")
    ):
        cell = cells[line_id, month]
        cell.actual = total
        cell.accrued = accrued

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
