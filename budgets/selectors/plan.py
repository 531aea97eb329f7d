"""Reads for the budget structure pages: the time-phased plan grid (from the ledger, so its
figures agree with every other budget page), categories and lines with their use, change orders
with their totals, and the reserves with their balances."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from programs.models import Program, Workstream

from ..models import (
    BudgetLine,
    ChangeOrder,
    ChangeOrderAmount,
    ChangeOrderStatus,
    CostCategory,
    Reserve,
    ReserveKind,
    ReserveMovement,
)
from ..months import month_range
from ..services.checks import program_months
from .ledger import ZERO, Cell, Ledger, ledger

MONEY = DecimalField(max_digits=16, decimal_places=2)

# --- the grid -----------------------------------------------------------------------------------


@dataclass
class GridRow:
    line: BudgetLine
    amounts: list[Decimal]  # one per month: original, or current when the grid shows current
    changed: list[bool]  # per month: an approved change order moved it
    total: Decimal

    @property
    def cells(self) -> list[tuple[Decimal, bool]]:
        return list(zip(self.amounts, self.changed, strict=True))


@dataclass
class GridGroup:
    workstream: Workstream
    rows: list[GridRow] = field(default_factory=list)
    totals: list[Decimal] = field(default_factory=list)
    total: Decimal = ZERO


@dataclass
class PlanGrid:
    program: Program
    months: list[dt.date]
    current: bool  # False: the original plan (editable); True: original + approved COs
    groups: list[GridGroup]
    totals: list[Decimal]
    total: Decimal
    capex: Decimal
    opex: Decimal

    @property
    def line_count(self) -> int:
        return sum(len(g.rows) for g in self.groups)


def _value(cell: Cell, current: bool) -> Decimal:
    return cell.plan if current else cell.original


def grid_row(book: Ledger, line: BudgetLine, *, current: bool) -> GridRow:
    cells = [book.cell(line.pk, month) for month in book.months]
    amounts = [_value(c, current) for c in cells]
    return GridRow(
        line=line,
        amounts=amounts,
        changed=[bool(c.change_orders) for c in cells],
        total=sum(amounts, ZERO),
    )


def plan_ledger(program: Program, lines: QuerySet[BudgetLine] | None = None) -> Ledger:
    """The ledger over every month of the program (months without amounts included)."""
    first, last = program_months(program)
    return ledger(program, lines=lines, first_month=first, last_month=last)


def plan_grid(
    program: Program,
    *,
    current: bool = False,
    workstream: int | None = None,
    category: int | None = None,
) -> PlanGrid:
    """Lines grouped by workstream, a column per program month, totals per line, workstream and
    month. Five queries whatever the number of lines and months (the ledger's)."""
    lines = BudgetLine.objects.filter(program=program)
    if workstream:
        lines = lines.filter(workstream_id=workstream)
    if category:
        lines = lines.filter(category_id=category)
    book = plan_ledger(program, lines)
    months = book.months
    groups: dict[int, GridGroup] = {}
    totals = [ZERO] * len(months)
    capex = opex = ZERO
    for line in book.lines:
        row = grid_row(book, line, current=current)
        group = groups.get(line.workstream_id)
        if group is None:
            group = groups[line.workstream_id] = GridGroup(
                workstream=line.workstream, totals=[ZERO] * len(months)
            )
        group.rows.append(row)
        group.total += row.total
        for index, amount in enumerate(row.amounts):
            group.totals[index] += amount
            totals[index] += amount
        if line.category.expense_type == "capex":
            capex += row.total
        else:
            opex += row.total
    return PlanGrid(
        program=program,
        months=months,
        current=current,
        groups=list(groups.values()),
        totals=totals,
        total=sum(totals, ZERO),
        capex=capex,
        opex=opex,
    )


def plan_line_row(program: Program, line: BudgetLine, *, current: bool = False) -> GridRow:
    """One line of the grid (after an edit), from the same ledger."""
    book = plan_ledger(program, BudgetLine.objects.filter(pk=line.pk))
    row = grid_row(book, book.lines[0], current=current)
    return row


def program_month_list(program: Program) -> list[dt.date]:
    return month_range(*program_months(program))


# --- categories and lines -----------------------------------------------------------------------


def category_list(*, program: Program) -> QuerySet[CostCategory]:
    return (
        CostCategory.objects.filter(program=program)
        .annotate(line_count=Count("lines"))
        .order_by("position", "name")
    )


def category_get(*, program: Program, pk: int) -> CostCategory:
    category = CostCategory.objects.filter(program=program, pk=pk).first()
    if category is None:
        raise Http404("No such cost category in this program.")
    return category


def line_get(*, program: Program, key: str) -> BudgetLine:
    line = (
        BudgetLine.objects.filter(program=program, key=key.upper())
        .select_related("workstream", "category", "owner", "vendor", "contract")
        .first()
    )
    if line is None:
        raise Http404("No such budget line in this program.")
    return line


def line_list(
    *, program: Program, workstream: int | None = None, category: int | None = None
) -> tuple[list[BudgetLine], Ledger]:
    """The program's lines (filtered) with the ledger their totals come from."""
    lines = BudgetLine.objects.filter(program=program)
    if workstream:
        lines = lines.filter(workstream_id=workstream)
    if category:
        lines = lines.filter(category_id=category)
    book = plan_ledger(program, lines)
    for line in book.lines:
        line.totals = book.line_total(line.pk)
    return book.lines, book


@dataclass
class LineMonth:
    month: dt.date
    original: Decimal
    change_orders: Decimal
    current: Decimal


def line_months(program: Program, line: BudgetLine) -> tuple[list[LineMonth], Cell]:
    """Each month of a line: original plan, approved change orders, current plan; and totals."""
    book = plan_ledger(program, BudgetLine.objects.filter(pk=line.pk))
    months = []
    for month in book.months:
        cell = book.cell(line.pk, month)
        months.append(LineMonth(month, cell.original, cell.change_orders, cell.plan))
    return months, book.line_total(line.pk)


def line_change_orders(*, line: BudgetLine) -> list[dict]:
    """Change orders with amounts on `line`: key, title, status, its total on the line."""
    return list(
        ChangeOrderAmount.objects.filter(line=line)
        .values("change_order__key", "change_order__title", "change_order__status")
        .annotate(total=Sum("amount"))
        .order_by("-change_order__number")
    )


# --- change orders ------------------------------------------------------------------------------


def change_order_list(*, program: Program, status: str = "") -> QuerySet[ChangeOrder]:
    rows = (
        ChangeOrder.objects.filter(program=program)
        .select_related("change_request", "created_by", "decided_by")
        .annotate(
            total=Coalesce(Sum("amounts__amount"), Value(ZERO), output_field=MONEY),
            row_count=Count("amounts"),
        )
        .order_by("-number")
    )
    if status:
        rows = rows.filter(status=status)
    return rows


def change_order_totals(*, program: Program) -> dict[str, dict]:
    """Per status: how many change orders and their net amount (one query)."""
    totals = {s: {"count": 0, "total": ZERO} for s in ChangeOrderStatus.values}
    rows = (
        ChangeOrder.objects.filter(program=program)
        .values("status")
        .annotate(count=Count("id", distinct=True), total=Sum("amounts__amount"))
        .order_by()
    )
    for row in rows:
        totals[row["status"]] = {"count": row["count"], "total": row["total"] or ZERO}
    return totals


def change_order_get(*, program: Program, key: str) -> ChangeOrder:
    order = (
        ChangeOrder.objects.filter(program=program, key=key.upper())
        .select_related("change_request", "created_by", "decided_by", "program")
        .first()
    )
    if order is None:
        raise Http404("No such change order in this program.")
    return order


def change_order_amounts(*, change_order: ChangeOrder) -> list[ChangeOrderAmount]:
    return list(
        change_order.amounts.select_related("line", "line__workstream", "line__category").order_by(
            "line__number", "month"
        )
    )


def change_order_movements(*, change_order: ChangeOrder) -> list[ReserveMovement]:
    return list(
        ReserveMovement.objects.filter(change_order=change_order)
        .select_related("reserve", "recorded_by")
        .order_by("on", "id")
    )


def change_order_change_requests(*, program: Program):
    """Change requests a change order may cite: approved or implemented ones of the program."""
    from governance.models import ChangeRequest

    from ..services.structure import CR_STATUSES_FOR_CHANGE_ORDERS

    return ChangeRequest.objects.filter(
        program=program, status__in=CR_STATUSES_FOR_CHANGE_ORDERS
    ).order_by("-id")


# --- reserves -----------------------------------------------------------------------------------


def reserve_balances(program: Program) -> list[dict]:
    """Each reserve of the program (both kinds, a missing one as zero): kind, label, amount set
    aside, movements total and balance = amount + movements. One query."""
    rows = {
        r["kind"]: r
        for r in Reserve.objects.filter(program=program)
        .annotate(
            movements_total=Coalesce(Sum("movements__amount"), Value(ZERO), output_field=MONEY),
            movement_count=Count("movements"),
        )
        .values("id", "kind", "amount", "note", "version", "movements_total", "movement_count")
    }
    result = []
    for kind, label in ReserveKind.choices:
        row = rows.get(kind)
        amount = row["amount"] if row else ZERO
        moved = row["movements_total"] if row else ZERO
        result.append(
            {
                "kind": kind,
                "label": label,
                "id": row["id"] if row else None,
                "amount": amount,
                "movements_total": moved,
                "movement_count": row["movement_count"] if row else 0,
                "balance": amount + moved,
                "note": row["note"] if row else "",
                "version": row["version"] if row else None,
            }
        )
    return result


def reserve_get(*, program: Program, kind: str) -> Reserve | None:
    if kind not in ReserveKind.values:
        raise Http404("No such reserve.")
    return Reserve.objects.filter(program=program, kind=kind).first()


def reserve_movements(*, program: Program, kind: str | None = None) -> QuerySet[ReserveMovement]:
    rows = ReserveMovement.objects.filter(program=program).select_related(
        "reserve", "change_order", "recorded_by"
    )
    if kind:
        rows = rows.filter(reserve__kind=kind)
    return rows.order_by("-on", "-id")


def change_orders_for_reserves(*, program: Program) -> QuerySet[ChangeOrder]:
    return (
        ChangeOrder.objects.filter(program=program)
        .filter(~Q(status=ChangeOrderStatus.REJECTED))
        .order_by("-number")
    )
