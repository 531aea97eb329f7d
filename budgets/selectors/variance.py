"""Variance reads: the plan vs actual vs forecast matrix by month, category, workstream, vendor or
line, the burn rate, which closed months need a written explanation, and the explanations.

Every figure comes from `budgets.selectors.ledger` (five queries whatever the size of the
program), plus one query for the explanations and one for the settings.

Rules shown on the pages:
- a month's variance is actual - current plan, shown for closed months only (an open month's
  actual is still coming in); a row's total variance is the variance to date (closed months);
- a closed month's variance needs an explanation when it is at or beyond BOTH thresholds of the
  budget settings: |variance| >= the amount, and |variance %| >= the percent (a month with no
  plan counts as beyond any percent);
- burn rate = the average actual per closed month, over the last three closed months and since
  the start; months of budget left = (budget - actual to date) / the last three months' rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404

from programs.models import Program

from ..models import BudgetLine, BudgetSettings, ExplanationStatus, VarianceExplanation
from ..months import month_label, month_range, parse_month
from ..services.checks import program_months
from .ledger import ZERO, Cell, Ledger, ledger, variance_percent
from .settings import budget_settings

__all__ = [
    "GROUPS",
    "BurnRate",
    "Figures",
    "UnexplainedRow",
    "VarianceFilters",
    "VarianceRow",
    "VarianceView",
    "beyond_threshold",
    "budget_settings",
    "burn_rate",
    "explanation_get",
    "explanation_list",
    "unexplained_variances",
    "variance_view",
]

GROUPS = {
    "month": "Month",
    "category": "Category",
    "workstream": "Workstream",
    "vendor": "Vendor",
    "line": "Budget line",
}
ONE_DECIMAL = Decimal("0.1")


# --- filters -------------------------------------------------------------------------------------


@dataclass
class VarianceFilters:
    """What narrows the variance view (and its exports): ids and a month range."""

    workstream: int | None = None
    category: int | None = None
    vendor: int | None = None
    first_month: dt.date | None = None
    last_month: dt.date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> VarianceFilters:
        """Read `workstream`, `category`, `vendor` (ids) and `from`/`to` (YYYY-MM); what does
        not parse is left out and named in `errors`."""
        filters = cls()
        for name in ("workstream", "category", "vendor"):
            raw = (params.get(name) or "").strip()
            if raw:
                if raw.isdigit():
                    setattr(filters, name, int(raw))
                else:
                    filters.errors[name] = f"{raw!r} is not one of the choices."
        for name, attr in (("from", "first_month"), ("to", "last_month")):
            raw = (params.get(name) or "").strip()
            if raw:
                try:
                    setattr(filters, attr, parse_month(raw))
                except ValueError as exc:
                    filters.errors[name] = str(exc)
        if filters.first_month and filters.last_month and filters.first_month > filters.last_month:
            filters.errors["to"] = "The last month is before the first."
            filters.last_month = None
        return filters

    def as_query(self) -> dict[str, str]:
        query = {
            name: str(getattr(self, name))
            for name in ("workstream", "category", "vendor")
            if getattr(self, name) is not None
        }
        if self.first_month:
            query["from"] = month_label(self.first_month)
        if self.last_month:
            query["to"] = month_label(self.last_month)
        return query

    @property
    def active(self) -> bool:
        return bool(self.as_query())

    def lines(self, program: Program) -> QuerySet[BudgetLine]:
        lines = BudgetLine.objects.filter(program=program)
        for name in ("workstream", "category", "vendor"):
            value = getattr(self, name)
            if value is not None:
                lines = lines.filter(**{f"{name}_id": value})
        return lines

    def months(self, program: Program) -> tuple[dt.date, dt.date]:
        first, last = program_months(program)
        first = max(first, self.first_month) if self.first_month else first
        last = min(last, self.last_month) if self.last_month else last
        return first, last


# --- thresholds ----------------------------------------------------------------------------------


def beyond_threshold(variance: Decimal, plan: Decimal, settings: BudgetSettings) -> bool:
    """At or beyond BOTH thresholds: |variance| >= the amount and |variance %| >= the percent
    (as shown, to two decimals; no plan = beyond any percent). A zero variance never is."""
    if not variance or abs(variance) < settings.variance_amount:
        return False
    percent = variance_percent(variance, plan)
    return percent is None or abs(percent) >= settings.variance_percent


# --- the matrix ----------------------------------------------------------------------------------


@dataclass
class Figures:
    """A cell (one month) or a total (several months) of the variance view."""

    plan: Decimal = ZERO
    original: Decimal = ZERO
    actual: Decimal = ZERO
    accrued: Decimal = ZERO
    forecast: Decimal | None = None  # the latest forecasts of the open months
    outturn: Decimal = ZERO  # closed: actual; open: forecast, else plan
    plan_closed: Decimal = ZERO
    actual_closed: Decimal = ZERO
    closed_months: int = 0
    open_months: int = 0
    flagged: bool = False
    explanation: VarianceExplanation | None = None

    def add(self, cell: Cell, closed: bool) -> None:
        self.plan += cell.plan
        self.original += cell.original
        self.actual += cell.actual
        self.accrued += cell.accrued
        self.outturn += cell.outturn(closed)
        if closed:
            self.plan_closed += cell.plan
            self.actual_closed += cell.actual
            self.closed_months += 1
        else:
            self.open_months += 1
            if cell.forecast is not None:
                self.forecast = (self.forecast or ZERO) + cell.forecast

    @property
    def closed(self) -> bool:
        return self.closed_months > 0 and self.open_months == 0

    @property
    def variance(self) -> Decimal | None:
        """actual - plan over the closed months (None when none is closed)."""
        return self.actual_closed - self.plan_closed if self.closed_months else None

    @property
    def variance_percent(self) -> Decimal | None:
        variance = self.variance
        return None if variance is None else variance_percent(variance, self.plan_closed)

    @property
    def variance_at_completion(self) -> Decimal:
        return self.outturn - self.plan


@dataclass
class VarianceRow:
    key: str
    label: str
    detail: str = ""
    line: BudgetLine | None = None
    cells: list[Figures] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)

    @property
    def has_accruals(self) -> bool:
        return any(cell.accrued for cell in self.cells)

    @property
    def flagged_count(self) -> int:
        return sum(1 for cell in self.cells if cell.flagged)


@dataclass
class BurnRate:
    last_three: Decimal | None  # average actual per closed month, last three closed months
    since_start: Decimal | None  # ... over every closed month
    last_three_months: list[dt.date]
    closed_months: int
    budget: Decimal
    actual: Decimal
    remaining: Decimal  # budget - actual to date
    months_left: Decimal | None  # remaining / last_three, to one decimal
    open_months: int  # months of the range not closed yet

    @property
    def runs_out_early(self) -> bool:
        return self.months_left is not None and self.months_left < self.open_months


@dataclass
class VarianceView:
    program: Program
    settings: BudgetSettings
    group_by: str
    filters: VarianceFilters
    months: list[dt.date]
    closed: list[bool]
    rows: list[VarianceRow]
    totals: VarianceRow
    burn: BurnRate
    line_count: int

    @property
    def month_columns(self) -> list[tuple[dt.date, bool]]:
        return list(zip(self.months, self.closed, strict=True))

    @property
    def has_accruals(self) -> bool:
        return bool(self.totals.total.accrued) or self.totals.has_accruals


def _group_key(line: BudgetLine, group_by: str) -> tuple[tuple, str, str]:
    """(sort key, label, detail) of the group a line falls in."""
    if group_by == "category":
        c = line.category
        return (c.position, c.name, c.pk), c.name, c.get_expense_type_display()
    if group_by == "workstream":
        ws = line.workstream
        return (ws.key, ws.pk), f"{ws.key} {ws.name}", ""
    if group_by == "vendor":
        vendor = line.vendor
        if vendor is None:
            return ((1, ""),), "No vendor", "Internal and other costs"
        return ((0, vendor.name.lower(), vendor.pk),), vendor.name, vendor.key
    return (
        (line.workstream.key, line.category.position, line.number),
        f"{line.key} {line.name}",
        f"{line.workstream.name} · {line.category.name}",
    )


def _explanations(
    program: Program, line_ids: Iterable[int], months: list[dt.date]
) -> dict[tuple[int, dt.date], VarianceExplanation]:
    if not months:
        return {}
    rows = VarianceExplanation.objects.filter(
        program=program, line_id__in=list(line_ids), month__gte=months[0], month__lte=months[-1]
    ).select_related("line", "explained_by", "reviewed_by")
    return {(row.line_id, row.month): row for row in rows}


def burn_rate(book: Ledger, months: list[dt.date]) -> BurnRate:
    """The burn rate of the ledger's lines over `months` (see the module's rules)."""
    total = book.total(months=months)
    closed = [m for m in months if book.closed(m)]
    actual_by_month = {m: book.total(months=[m]).actual for m in closed}
    last = closed[-3:]
    last_three = sum((actual_by_month[m] for m in last), ZERO) / len(last) if last else None
    since = sum(actual_by_month.values(), ZERO) / len(closed) if closed else None
    remaining = total.plan - total.actual
    months_left = None
    if last_three is not None and last_three > 0:
        months_left = (max(remaining, ZERO) / last_three).quantize(ONE_DECIMAL)
    cent = Decimal("0.01")
    return BurnRate(
        last_three=last_three.quantize(cent) if last_three is not None else None,
        since_start=since.quantize(cent) if since is not None else None,
        last_three_months=last,
        closed_months=len(closed),
        budget=total.plan,
        actual=total.actual,
        remaining=remaining,
        months_left=months_left,
        open_months=len(months) - len(closed),
    )


def variance_view(
    program: Program,
    *,
    group_by: str = "month",
    filters: VarianceFilters | None = None,
    as_of: dt.date | None = None,
) -> VarianceView:
    """The variance view of the program's lines narrowed by `filters`, grouped by `group_by`
    (one of GROUPS): rows x months of Figures, the totals row and the burn rate."""
    if group_by not in GROUPS:
        group_by = "month"
    filters = filters or VarianceFilters()
    settings = budget_settings(program)
    first, last = filters.months(program)
    book = ledger(
        program, as_of=as_of, lines=filters.lines(program), first_month=first, last_month=last
    )
    months = month_range(first, last)
    closed = [book.closed(m) for m in months]
    explanations = _explanations(program, (line.pk for line in book.lines), months)

    groups: dict[tuple, VarianceRow] = {}
    totals = VarianceRow(key="total", label="Total", cells=[Figures() for _ in months])
    for line in book.lines:
        sort, label, detail = _group_key(line, group_by)
        row = groups.get(sort)
        if row is None:
            row = groups[sort] = VarianceRow(
                key=str(sort), label=label, detail=detail, cells=[Figures() for _ in months]
            )
            if group_by == "line":
                row.line = line
        for index, month in enumerate(months):
            cell = book.cell(line.pk, month)
            row.cells[index].add(cell, closed[index])
            row.total.add(cell, closed[index])
            totals.cells[index].add(cell, closed[index])
            totals.total.add(cell, closed[index])
            if group_by == "line":
                row.cells[index].explanation = explanations.get((line.pk, month))
    rows = [groups[key] for key in sorted(groups)]
    for row in [*rows, totals]:
        for figures in row.cells:
            variance = figures.variance
            figures.flagged = variance is not None and beyond_threshold(
                variance, figures.plan_closed, settings
            )
    if group_by == "month":
        # one row per month: the months are the rows, the totals row is the same
        rows = []
        for index, month in enumerate(months):
            row = VarianceRow(key=month_label(month), label=f"{month:%b %Y}")
            row.total = totals.cells[index]
            rows.append(row)
    return VarianceView(
        program=program,
        settings=settings,
        group_by=group_by,
        filters=filters,
        months=months,
        closed=closed,
        rows=rows,
        totals=totals,
        burn=burn_rate(book, months),
        line_count=len(book.lines),
    )


# --- what needs an explanation -------------------------------------------------------------------

UNEXPLAINED_STATES = {
    "not_requested": "Not requested",
    ExplanationStatus.REQUESTED: "Requested",
    ExplanationStatus.SUBMITTED: "Awaiting approval",
    ExplanationStatus.RETURNED: "Returned",
}


@dataclass
class UnexplainedRow:
    line: BudgetLine
    month: dt.date
    plan: Decimal
    actual: Decimal
    accrued: Decimal
    explanation: VarianceExplanation | None

    @property
    def variance(self) -> Decimal:
        return self.actual - self.plan

    @property
    def variance_percent(self) -> Decimal | None:
        return variance_percent(self.variance, self.plan)

    @property
    def state(self) -> str:
        return "not_requested" if self.explanation is None else self.explanation.status

    @property
    def state_label(self) -> str:
        return UNEXPLAINED_STATES[self.state]


def unexplained_variances(
    program: Program,
    *,
    as_of: dt.date | None = None,
    book: Ledger | None = None,
    state: str | None = None,
    line: BudgetLine | None = None,
    month: dt.date | None = None,
) -> list[UnexplainedRow]:
    """Closed months of lines whose variance is beyond both thresholds and has no approved
    explanation, latest month first (then by line); `state` narrows to one of
    UNEXPLAINED_STATES. Pass `book` (a ledger of every line) to reuse one already read."""
    settings = budget_settings(program)
    if book is None:
        lines = BudgetLine.objects.filter(program=program)
        if line is not None:
            lines = lines.filter(pk=line.pk)
        book = ledger(program, as_of=as_of, lines=lines)
    closed = [m for m in book.months if book.closed(m) and (month is None or m == month)]
    candidates = []
    for budget_line in book.lines:
        if line is not None and budget_line.pk != line.pk:
            continue
        for m in closed:
            cell = book.cell(budget_line.pk, m)
            if beyond_threshold(cell.variance, cell.plan, settings):
                candidates.append((budget_line, m, cell))
    explanations = (
        _explanations(program, {c[0].pk for c in candidates}, sorted({c[1] for c in candidates}))
        if candidates
        else {}
    )
    rows = []
    for budget_line, m, cell in candidates:
        explanation = explanations.get((budget_line.pk, m))
        if explanation is not None and explanation.status == ExplanationStatus.APPROVED:
            continue
        row = UnexplainedRow(
            line=budget_line, month=m, plan=cell.plan, actual=cell.actual,
            accrued=cell.accrued, explanation=explanation,
        )  # fmt: skip
        if state is None or row.state == state:
            rows.append(row)
    rows.sort(key=lambda r: (-r.month.toordinal(), r.line.number))
    return rows


# --- explanations --------------------------------------------------------------------------------


def explanation_list(*, program: Program, status: str | None = None) -> QuerySet:
    rows = VarianceExplanation.objects.filter(program=program).select_related(
        "line", "line__workstream", "line__category", "line__owner", "requested_by",
        "explained_by", "reviewed_by",
    )  # fmt: skip
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-month", "line__number")


def explanation_get(*, program: Program, pk: int) -> VarianceExplanation:
    """One explanation of the program, or 404."""
    row = explanation_list(program=program).filter(pk=pk).first()
    if row is None:
        raise Http404("No such variance explanation.")
    return row
