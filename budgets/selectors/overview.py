"""The budget overview: the tile figures, reserves, the cumulative chart, the tables by
workstream, by category and by expense type, and how many variances wait for an explanation.

One ledger (five queries) feeds every figure on the page; committed is one aggregate over the
program's contracts, the reserves one more, so the page costs the same for 1 or 1,000 lines.

Tiles (all in the program currency):
- budget (BAC) = original plan + approved change orders, every month;
- committed = the current value (value + amendments) of the contracts that are active, on hold
  or completed, in the program currency;
- actual = every cost entry booked (invoices, manual, GL import, accruals and reversals);
- forecast = the outturn of the open months (latest forecast, else plan);
- EAC = actuals of the closed months + the outturn of the open months (the ledger's rule);
- variance = EAC - budget (positive = overspend expected).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from programs.models import Program
from vendors.models import Contract, ContractStatus

from ..models import BudgetLine, ExpenseType
from ..months import month_label, month_range
from ..services.checks import program_months
from .ledger import ZERO, Ledger, ledger
from .plan import reserve_balances
from .variance import unexplained_variances

COMMITTED_STATUSES = (ContractStatus.ACTIVE, ContractStatus.ON_HOLD, ContractStatus.COMPLETED)


@dataclass
class OverviewFigures:
    """The overview's tiles, Decimal to the cent in `currency`."""

    currency: str
    budget: Decimal
    original: Decimal
    change_orders: Decimal
    committed: Decimal
    actual: Decimal
    accrued: Decimal
    forecast: Decimal
    eac: Decimal
    variance: Decimal
    committed_contracts: int = 0
    other_currency_contracts: int = 0

    @property
    def variance_percent(self) -> Decimal | None:
        if not self.budget:
            return None
        return (self.variance / self.budget * 100).quantize(Decimal("0.01"))

    @property
    def spent_percent(self) -> Decimal | None:
        if not self.budget:
            return None
        return (self.actual / self.budget * 100).quantize(Decimal("0.1"))


def _committed(program: Program) -> tuple[Decimal, int, int]:
    """(current value of the committed contracts in the program currency, their count, the
    count of committed contracts in another currency, left out of the sum)."""
    same = Q(currency=program.currency)
    row = Contract.objects.filter(program=program, status__in=COMMITTED_STATUSES).aggregate(
        total=Coalesce(Sum("current_value", filter=same), ZERO),
        count=Count("pk", filter=same),
        other=Count("pk", filter=~same),
    )
    return row["total"], row["count"], row["other"]


def _program_ledger(program: Program, as_of: dt.date | None) -> Ledger:
    first, last = program_months(program)
    return ledger(program, as_of=as_of, first_month=first, last_month=last)


def overview_figures(
    program: Program, as_of: dt.date | None = None, *, book: Ledger | None = None
) -> OverviewFigures:
    """The tile figures of the program (see the module's rules); `book` reuses a ledger of
    every line over the program's months."""
    book = book or _program_ledger(program, as_of)
    total = book.total()
    eac = book.eac()
    closed_actual = book.total(months=[m for m in book.months if book.closed(m)]).actual
    committed, count, other = _committed(program)
    return OverviewFigures(
        currency=program.currency,
        budget=total.plan,
        original=total.original,
        change_orders=total.change_orders,
        committed=committed,
        actual=total.actual,
        accrued=total.accrued,
        forecast=eac - closed_actual,
        eac=eac,
        variance=eac - total.plan,
        committed_contracts=count,
        other_currency_contracts=other,
    )


@dataclass
class BreakdownRow:
    label: str
    detail: str = ""
    budget: Decimal = ZERO
    actual: Decimal = ZERO
    eac: Decimal = ZERO
    url_query: str = ""

    @property
    def variance(self) -> Decimal:
        return self.eac - self.budget


@dataclass
class BudgetOverview:
    figures: OverviewFigures
    reserves: list[dict]  # budgets.selectors.plan.reserve_balances
    chart: dict
    by_workstream: list[BreakdownRow]
    by_category: list[BreakdownRow]
    by_expense_type: list[BreakdownRow]
    unexplained: int
    line_count: int
    as_of_month: dt.date
    months: list[dt.date] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.line_count


def _breakdown(
    book: Ledger, key: Callable[[BudgetLine], tuple[tuple, str, str, str]]
) -> list[BreakdownRow]:
    groups: dict[tuple, tuple[BreakdownRow, list[int]]] = {}
    for line in book.lines:
        sort, label, detail, query = key(line)
        groups.setdefault(sort, (BreakdownRow(label, detail, url_query=query), []))[1].append(
            line.pk
        )
    rows = []
    for sort in sorted(groups):
        row, ids = groups[sort]
        total = book.total(line_ids=ids)
        row.budget, row.actual, row.eac = total.plan, total.actual, book.eac(ids)
        rows.append(row)
    return rows


def _outturn(book: Ledger, month: dt.date) -> Decimal:
    return book.month_outturn(month)


def _chart(book: Ledger, months: list[dt.date]) -> dict:
    """Cumulative plan, actual (closed months and the current one) and outturn by month; the
    forecast line starts at the last closed month so that it continues the actuals."""
    plan, actual, forecast = [], [], []
    run_plan = run_actual = run_outturn = ZERO
    last_closed = max((i for i, m in enumerate(months) if book.closed(m)), default=None)
    for index, month in enumerate(months):
        cell = book.total(months=[month])
        run_plan += cell.plan
        run_actual += cell.actual
        run_outturn += _outturn(book, month)
        plan.append(f"{run_plan:.2f}")
        actual.append(f"{run_actual:.2f}" if month <= book.as_of_month else None)
        forecast.append(
            f"{run_outturn:.2f}" if last_closed is None or index >= last_closed else None
        )
    today = next((i for i, m in enumerate(months) if m == book.as_of_month), None)
    return {
        "months": [month_label(m) for m in months],
        "labels": [f"{m:%b %y}" for m in months],
        "plan": plan,
        "actual": actual,
        "forecast": forecast,
        "today": today,
        "currency": book.program.currency,
    }


def budget_overview(program: Program, as_of: dt.date | None = None) -> BudgetOverview:
    """Everything the overview page shows, from one ledger of every line."""
    book = _program_ledger(program, as_of)
    figures = overview_figures(program, as_of, book=book)
    expense = dict(ExpenseType.choices)

    def by_workstream(line: BudgetLine):
        ws = line.workstream
        return (ws.key, ws.pk), ws.name, ws.key, f"workstream={ws.pk}"

    def by_category(line: BudgetLine):
        c = line.category
        return (c.position, c.name), c.name, expense[c.expense_type], f"category={c.pk}"

    def by_expense(line: BudgetLine):
        kind = line.category.expense_type
        return (kind,), expense[kind], "", ""

    first, last = program_months(program)
    return BudgetOverview(
        figures=figures,
        reserves=reserve_balances(program),
        chart=_chart(book, month_range(first, last)),
        by_workstream=_breakdown(book, by_workstream),
        by_category=_breakdown(book, by_category),
        by_expense_type=_breakdown(book, by_expense),
        unexplained=len(unexplained_variances(program, book=book)),
        line_count=len(book.lines),
        as_of_month=book.as_of_month,
        months=book.months,
    )
