"""The budget variance report: one row per budget line x month with the ledger's figures.

Rows come from `budgets.selectors.ledger` (the figures every page shows), read in batches of
LINE_BATCH lines: each batch is the ledger's four aggregate queries over those lines, grouped by
line and month in the database, so memory follows lines x months of one batch, never the number
of cost entries. Filters are the variance page's: workstream, category, vendor and a month range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Min, Q, QuerySet

from programs.models import Program, Workstream
from vendors.models import Vendor

from ..models import (
    BudgetLine,
    ChangeOrderAmount,
    CostCategory,
    CostEntry,
    ExpenseType,
    ForecastEntry,
    PlanAmount,
)
from ..months import month_label, month_range, parse_month
from ..selectors.ledger import ZERO, Cell, ledger
from ..services.checks import program_months

LINE_BATCH = 100
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})
EXPENSE_LABEL = dict(ExpenseType.choices)


@dataclass(frozen=True)
class Column:
    """One column of the report: header, cell kind (text | date | money | percent), width."""

    label: str
    kind: str = "text"
    width: int = 14


COLUMNS: tuple[Column, ...] = (
    Column("Program", width=10),
    Column("Line key", width=9),
    Column("Line", width=34),
    Column("Workstream", width=28),
    Column("Category", width=22),
    Column("Expense type", width=12),
    Column("Vendor", width=22),
    Column("Month", "date", 11),
    Column("Currency", width=9),
    Column("Plan", "money", 15),
    Column("Forecast", "money", 15),
    Column("Actual", "money", 15),
    Column("Variance", "money", 15),
    Column("Variance %", "percent", 11),
    Column("Accrued", "money", 14),
    Column("Outturn", "money", 15),
)
HEADER = tuple(c.label for c in COLUMNS)
TEXT_COLUMNS = tuple(i for i, c in enumerate(COLUMNS) if c.kind == "text")
NUMBER_COLUMNS = tuple(i for i, c in enumerate(COLUMNS) if c.kind in ("money", "percent"))
RULES = (
    "Plan = the current budget: original plan + approved change orders.",
    "Forecast = the line's latest forecast for the month (empty when none was made).",
    "Actual = every cost entry of the month: approved invoices, manual entries, GL imports, "
    "accruals and their reversals; Accrued is the accrual part of it.",
    "Variance = Actual - Plan (positive = overspent) of a closed month (before the as-of month; "
    "empty for open months, as on the variance page); Variance % = Variance / Plan x 100, empty "
    "when nothing was planned. The totals' variance is the variance to date.",
    "Outturn = the actual of a closed month (before the as-of month), else the forecast, else "
    "the plan; the sum of Outturn is the estimate at completion (EAC).",
)


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


class ExportFilterError(ValueError):
    """A filter or option of the export was not valid; `errors` maps parameter -> reasons."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


@dataclass
class ReportFilters:
    workstream: Workstream | None = None
    category: CostCategory | None = None
    vendor: Vendor | None = None
    first_month: dt.date | None = None
    last_month: dt.date | None = None

    def as_params(self) -> dict[str, str]:
        """The query parameters that give these filters back (for links and the About sheet)."""
        params = {}
        if self.workstream:
            params["workstream"] = self.workstream.key
        if self.category:
            params["category"] = str(self.category.pk)
        if self.vendor:
            params["vendor"] = self.vendor.key
        if self.first_month:
            params["from"] = month_label(self.first_month)
        if self.last_month:
            params["to"] = month_label(self.last_month)
        return params

    def describe(self) -> str:
        parts = []
        if self.workstream:
            parts.append(f"workstream {self.workstream.name}")
        if self.category:
            parts.append(f"category {self.category.name}")
        if self.vendor:
            parts.append(f"vendor {self.vendor.name}")
        if self.first_month or self.last_month:
            first = month_label(self.first_month) if self.first_month else "the start"
            last = month_label(self.last_month) if self.last_month else "the end"
            parts.append(f"months {first} to {last}")
        return "; ".join(parts) or "none: every line and month"


def _one(params: Mapping, name: str) -> str:
    value = params.get(name)
    return "" if value is None else str(value).strip()


def _by_key_or_id(model, program: Program, value: str, what: str):
    lookup = Q(pk=int(value)) if value.isdigit() else Q(key__iexact=value)
    found = model.objects.filter(lookup, program=program).first()
    if found is None:
        raise ValueError(f"{program.code} has no {what} {value!r}.")
    return found


def parse_filters(program: Program, params: Mapping) -> ReportFilters:
    """The report filters in `params` (a QueryDict or dict): `workstream` (key such as WS-2, or
    id), `category` (id), `vendor` (key such as VND-3, or id), `from` and `to` (YYYY-MM).
    Every bad value is reported at once (ExportFilterError); unknown parameters are ignored."""
    errors: dict[str, list[str]] = {}
    filters = ReportFilters()
    value = _one(params, "workstream")
    if value:
        try:
            filters.workstream = _by_key_or_id(Workstream, program, value, "workstream")
        except ValueError as exc:
            errors["workstream"] = [str(exc)]
    value = _one(params, "category")
    if value:
        found = (
            CostCategory.objects.filter(program=program, pk=int(value)).first()
            if value.isdigit()
            else CostCategory.objects.filter(program=program, name__iexact=value).first()
        )
        if found is None:
            errors["category"] = [f"{program.code} has no cost category {value!r}."]
        filters.category = found
    value = _one(params, "vendor")
    if value:
        try:
            filters.vendor = _by_key_or_id(Vendor, program, value, "vendor")
        except ValueError as exc:
            errors["vendor"] = [str(exc)]
    for name, attr in (("from", "first_month"), ("to", "last_month")):
        value = _one(params, name)
        if value:
            try:
                setattr(filters, attr, parse_month(value))
            except ValueError as exc:
                errors[name] = [str(exc)]
    if filters.first_month and filters.last_month and filters.last_month < filters.first_month:
        errors["to"] = [
            f"{month_label(filters.last_month)} is before {month_label(filters.first_month)}."
        ]
    if errors:
        raise ExportFilterError(errors)
    return filters


def parse_bom(params: Mapping, default: bool) -> bool:
    """`?bom=1` / `?bom=0`; the program's setting when absent."""
    if "bom" not in params:
        return default
    value = _one(params, "bom").lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    reason = f"{value!r}: write bom=1 for a byte-order mark, bom=0 for none."
    raise ExportFilterError({"bom": [reason]})


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line x month of the report, with the ledger's cell."""

    line: BudgetLine
    month: dt.date
    cell: Cell
    closed: bool
    currency: str
    program_code: str

    @property
    def outturn(self) -> Decimal:
        return self.cell.outturn(self.closed)

    def values(self) -> tuple:
        """The cells in COLUMNS order: text, a date, Decimals (None where there is no figure)."""
        line, cell = self.line, self.cell
        return (
            self.program_code,
            line.key,
            line.name,
            line.workstream.name,
            line.category.name,
            str(EXPENSE_LABEL.get(line.category.expense_type, line.category.expense_type)),
            line.vendor.name if line.vendor_id else "",
            self.month,
            self.currency,
            cell.plan,
            cell.forecast,
            cell.actual,
            cell.variance if self.closed else None,
            cell.variance_percent if self.closed else None,
            cell.accrued,
            self.outturn,
        )


@dataclass
class Totals:
    """Running totals of the rows written (the XLSX totals row, the e-mail's summary)."""

    cell: Cell = field(default_factory=Cell)
    closed: Cell = field(default_factory=Cell)
    outturn: Decimal = ZERO
    rows: int = 0

    def add(self, row: Row) -> None:
        self.cell.add(row.cell)
        if row.closed:
            self.closed.add(row.cell)
        self.outturn += row.outturn
        self.rows += 1

    def values(self, currency: str) -> tuple:
        """The totals row in COLUMNS order (no month); its variance is to date (closed months),
        as the variance page's."""
        cell = self.cell
        return (
            "Total", "", "", "", "", "", "", None, currency, cell.plan, cell.forecast,
            cell.actual, self.closed.variance, self.closed.variance_percent, cell.accrued,
            self.outturn,
        )  # fmt: skip


def report_lines(program: Program, filters: ReportFilters) -> QuerySet[BudgetLine]:
    lines = BudgetLine.objects.filter(program=program)
    if filters.workstream:
        lines = lines.filter(workstream=filters.workstream)
    if filters.category:
        lines = lines.filter(category=filters.category)
    if filters.vendor:
        lines = lines.filter(vendor=filters.vendor)
    return lines


def report_months(program: Program, filters: ReportFilters) -> tuple[dt.date, dt.date]:
    """The report's months: the filter's range, else the program's months widened to any month
    that holds an amount (so the report's totals are always the ledger's)."""
    first, last = program_months(program)
    if filters.first_month is None or filters.last_month is None:
        for model, extra in (
            (PlanAmount, Q()), (ChangeOrderAmount, Q()),
            (ForecastEntry, Q(is_latest=True)), (CostEntry, Q()),
        ):  # fmt: skip
            bounds = model.objects.filter(extra, program=program).aggregate(
                low=Min("month"), high=Max("month")
            )
            if bounds["low"] is not None:
                first, last = min(first, bounds["low"]), max(last, bounds["high"])
    return filters.first_month or first, filters.last_month or last


def iter_rows(
    program: Program,
    filters: ReportFilters | None = None,
    *,
    as_of: dt.date | None = None,
    batch: int = LINE_BATCH,
) -> Iterator[Row]:
    """Every line x month of the report, in the ledger's line order then month order. A
    generator: the database is read one batch of lines at a time."""
    filters = filters or ReportFilters()
    first, last = report_months(program, filters)
    months = month_range(first, last)
    lines = report_lines(program, filters)
    ordered = list(
        lines.order_by("workstream__key", "category__position", "number").values_list(
            "pk", flat=True
        )
    )
    for start in range(0, len(ordered), batch):
        ids = ordered[start : start + batch]
        book = ledger(
            program,
            as_of=as_of,
            lines=BudgetLine.objects.filter(pk__in=ids),
            first_month=first,
            last_month=last,
        )
        for line in book.lines:
            for month in months:
                yield Row(
                    line=line,
                    month=month,
                    cell=book.cell(line.pk, month),
                    closed=book.closed(month),
                    currency=program.currency,
                    program_code=program.code,
                )
