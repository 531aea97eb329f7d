"""Reads for the forecast pages and API: the grid (lines by workstream, closed months' actuals,
open months' forecasts, EAC and variance at completion from the ledger) and the forecast's
movement, line by line or for the program, by as-of date.

Movement: for each as-of date on which a forecast was recorded, what the forecast said then:
every month takes the forecast known on that date (the latest one recorded on or before it),
else the current budget. `eac` at that date adds the actuals of the months closed then (as
booked now) and the forecast of the open ones; `forecast_total` is the open months' part.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from programs.models import Program

from ..models import BudgetLine, ForecastEntry
from ..months import month_of, month_range
from ..services.checks import program_months
from .ledger import ZERO, Cell, Ledger, ledger


@dataclass
class GridRow:
    line: BudgetLine
    cells: list[dict]
    actual_to_date: Decimal
    budget: Decimal
    eac: Decimal
    forecast_open: Decimal

    @property
    def vac(self) -> Decimal:
        """Variance at completion: EAC - current budget (positive = overspend)."""
        return self.eac - self.budget


@dataclass
class GridGroup:
    workstream: object
    rows: list[GridRow] = field(default_factory=list)

    @property
    def budget(self) -> Decimal:
        return sum((r.budget for r in self.rows), ZERO)

    @property
    def eac(self) -> Decimal:
        return sum((r.eac for r in self.rows), ZERO)

    @property
    def actual_to_date(self) -> Decimal:
        return sum((r.actual_to_date for r in self.rows), ZERO)

    @property
    def vac(self) -> Decimal:
        return self.eac - self.budget


@dataclass
class Grid:
    book: Ledger
    months: list[dt.date]  # the months shown as columns
    open_months: list[dt.date]
    groups: list[GridGroup]
    month_totals: list[dict]

    @property
    def budget(self) -> Decimal:
        return sum((g.budget for g in self.groups), ZERO)

    @property
    def eac(self) -> Decimal:
        return sum((g.eac for g in self.groups), ZERO)

    @property
    def actual_to_date(self) -> Decimal:
        return sum((g.actual_to_date for g in self.groups), ZERO)

    @property
    def vac(self) -> Decimal:
        return self.eac - self.budget


def program_ledger(
    program: Program, *, as_of: dt.date | None = None, lines: QuerySet | None = None
) -> Ledger:
    first, last = program_months(program)
    return ledger(program, as_of=as_of, lines=lines, first_month=first, last_month=last)


def _cell(book: Ledger, line_id: int, month: dt.date) -> dict:
    cell: Cell = book.cell(line_id, month)
    closed = book.closed(month)
    return {
        "month": month,
        "closed": closed,
        "plan": cell.plan,
        "actual": cell.actual,
        "accrued": cell.accrued,
        "forecast": cell.forecast,
        "outturn": cell.outturn(closed),
    }


def forecast_grid(
    program: Program, *, as_of: dt.date | None = None, show_closed: bool = False,
    lines: QuerySet | None = None,
) -> Grid:  # fmt: skip
    """The forecast grid: four aggregate queries (the ledger) whatever the number of lines."""
    book = program_ledger(program, as_of=as_of, lines=lines)
    open_months = [m for m in book.months if not book.closed(m)]
    shown = book.months if show_closed else open_months
    groups: dict[int, GridGroup] = {}
    for line in book.lines:
        group = groups.setdefault(line.workstream_id, GridGroup(workstream=line.workstream))
        total = book.line_total(line.pk)
        closed = [m for m in book.months if book.closed(m)]
        group.rows.append(
            GridRow(
                line=line,
                cells=[_cell(book, line.pk, m) for m in shown],
                actual_to_date=book.total([line.pk], closed).actual,
                budget=total.plan,
                eac=book.eac([line.pk]),
                forecast_open=sum(
                    (book.cell(line.pk, m).outturn(False) for m in open_months), ZERO
                ),
            )
        )
    # Each line's outturn, summed: a summed Cell would mix one line's forecast with another's
    # missing one.
    month_totals = [
        {"month": month, "closed": book.closed(month),
         "value": sum((book.cell(line.pk, month).outturn(book.closed(month))
                       for line in book.lines), ZERO)}
        for month in shown
    ]  # fmt: skip
    return Grid(
        book=book, months=shown, open_months=open_months, groups=list(groups.values()),
        month_totals=month_totals,
    )  # fmt: skip


def line_for_forecast(*, program: Program, key: str) -> BudgetLine:
    return get_object_or_404(
        BudgetLine.objects.select_related("workstream", "category", "owner", "vendor"),
        program=program,
        key=key.upper(),
    )


def line_forecast(program: Program, line: BudgetLine, *, as_of: dt.date | None = None) -> dict:
    """One line's months (plan, actual, latest forecast, closed or open) and its totals."""
    book = program_ledger(program, as_of=as_of, lines=BudgetLine.objects.filter(pk=line.pk))
    total = book.line_total(line.pk)
    eac = book.eac([line.pk])
    return {
        "book": book,
        "months": [_cell(book, line.pk, m) for m in book.months],
        "budget": total.plan,
        "actual": total.actual,
        "eac": eac,
        "vac": eac - total.plan,
        "open_from": book.as_of_month,
    }


def forecast_history(
    program: Program, *, line: BudgetLine | None = None, as_of: dt.date | None = None
) -> list[dict]:
    """The movement of the forecast: one point per as-of date (oldest first), with what the
    forecast and the EAC were then and the change from the point before. Five queries."""
    lines = BudgetLine.objects.filter(pk=line.pk) if line is not None else None
    book = program_ledger(program, as_of=as_of, lines=lines)
    ids = [ln.pk for ln in book.lines]
    entries = (
        ForecastEntry.objects.filter(program=program, line_id__in=ids)
        .order_by("as_of")
        .values_list("line_id", "month", "as_of", "amount")
    )
    by_date: dict[dt.date, list[tuple[int, dt.date, Decimal]]] = defaultdict(list)
    for line_id, month, as_of_date, amount in entries:
        by_date[as_of_date].append((line_id, month, amount))
    known: dict[tuple[int, dt.date], Decimal] = {}
    points: list[dict] = []
    previous: dict | None = None
    for as_of_date in sorted(by_date):
        for line_id, month, amount in by_date[as_of_date]:
            known[line_id, month] = amount
        open_from = month_of(as_of_date)
        actual = forecast = ZERO
        for line_id in ids:
            for month in book.months:
                cell = book.cell(line_id, month)
                if month < open_from:
                    actual += cell.actual
                else:
                    forecast += known.get((line_id, month), cell.plan)
        point = {
            "as_of": as_of_date,
            "actual": actual,
            "forecast_total": forecast,
            "eac": actual + forecast,
            "entries": len(by_date[as_of_date]),
        }
        point["change"] = None if previous is None else point["eac"] - previous["eac"]
        points.append(point)
        previous = point
    return points


def history_chart(points: list[dict], budget: Decimal) -> dict:
    """The movement as Chart.js reads it (strings: money never goes through a float here)."""
    return {
        "labels": [p["as_of"].isoformat() for p in points],
        "eac": [f"{p['eac']:.2f}" for p in points],
        "forecast": [f"{p['forecast_total']:.2f}" for p in points],
        "budget": f"{budget:.2f}",
    }


def open_months(program: Program, as_of: dt.date | None = None) -> list[dt.date]:
    first, last = program_months(program)
    return month_range(max(first, month_of(as_of or dt.date.today())), last)
