"""Budget structure: cost categories, budget lines, the planned amount per line and month (the
original budget), change orders (the current budget = original + approved change orders) and the
management and contingency reserves with their movements.

Every function is one atomic, audited step. A line's `version` moves whenever its plan changes
(`line_plan_set`), so two people editing the same row of the grid conflict instead of one
silently overwriting the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import _record, audit_create, audit_delete, audit_update, snapshot
from core.domain import check_member, check_same_program, create
from core.errors import Refused
from core.models import AuditAction
from core.versioning import apply_changes, lock_current
from programs.models import Program

from ..models import (
    BudgetLine,
    ChangeOrder,
    ChangeOrderAmount,
    ChangeOrderStatus,
    CostCategory,
    PlanAmount,
    Reserve,
    ReserveKind,
    ReserveMovement,
)
from ..months import month_label
from .checks import check_month, parse_amount

CR_STATUSES_FOR_CHANGE_ORDERS = ("approved", "implemented")
ZERO = Decimal("0.00")

# --- cost categories ----------------------------------------------------------------------------


@transaction.atomic
def category_create(*, actor, program: Program, **fields: Any) -> CostCategory:
    return create(CostCategory, actor=actor, program=program, **fields)


@transaction.atomic
def category_update(
    *, actor, category: CostCategory, expected_version: int | None, **changes: Any
) -> CostCategory:
    return apply_changes(category, actor=actor, changes=changes, expected_version=expected_version)


@transaction.atomic
def category_delete(*, actor, category: CostCategory, expected_version: int | None) -> None:
    """Delete a category no budget line uses (refused, naming the lines, otherwise)."""
    current = lock_current(CostCategory, pk=category.pk, expected_version=expected_version)
    keys = list(BudgetLine.objects.filter(category=current).values_list("key", flat=True)[:6])
    if keys:
        count = BudgetLine.objects.filter(category=current).count()
        shown = ", ".join(keys[:5]) + (" …" if count > 5 else "")
        raise Refused(
            f"“{current.name}” is used by {count} budget line{'s' if count != 1 else ''} "
            f"({shown}); move {'them' if count != 1 else 'it'} to another category first."
        )
    audit_delete(actor=actor, instance=current)
    current.delete()


# --- budget lines -------------------------------------------------------------------------------


def _check_line_fields(program: Program, fields: dict[str, Any], line: BudgetLine | None) -> None:
    for name in ("workstream", "category", "vendor", "contract"):
        if name in fields:
            check_same_program(program, fields[name], name)
    if "owner" in fields:
        check_member(program, fields["owner"], "owner")
    contract = fields["contract"] if "contract" in fields else getattr(line, "contract", None)
    vendor = fields["vendor"] if "vendor" in fields else getattr(line, "vendor", None)
    if contract is not None and vendor is None:
        fields["vendor"] = contract.vendor
    elif contract is not None and contract.vendor_id != vendor.pk:
        raise ValidationError({"contract": "That contract is with another vendor."})


@transaction.atomic
def line_create(*, actor, program: Program, **fields: Any) -> BudgetLine:
    _check_line_fields(program, fields, None)
    return create(BudgetLine, actor=actor, program=program, **fields)


@transaction.atomic
def line_update(
    *, actor, line: BudgetLine, expected_version: int | None, **changes: Any
) -> BudgetLine:
    current = lock_current(BudgetLine, pk=line.pk, expected_version=expected_version)
    _check_line_fields(current.program, changes, current)
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


def line_dependants(line: BudgetLine) -> list[str]:
    """What keeps a line from being deleted, in words (empty when nothing does)."""
    checks = (
        (line.cost_entries, "actual cost entry", "actual cost entries"),
        (line.invoice_lines, "invoice line", "invoice lines"),
        (line.accruals, "accrual", "accruals"),
        (line.forecasts, "forecast", "forecasts"),
        (line.change_amounts, "change-order amount", "change-order amounts"),
        (line.explanations, "variance explanation", "variance explanations"),
    )
    found = []
    for manager, one, many in checks:
        count = manager.count()
        if count:
            found.append(f"{count} {one if count == 1 else many}")
    return found


@transaction.atomic
def line_delete(*, actor, line: BudgetLine, expected_version: int | None) -> None:
    """Delete a line with nothing booked against it; its planned months go with it."""
    current = lock_current(BudgetLine, pk=line.pk, expected_version=expected_version)
    found = line_dependants(current)
    if found:
        raise Refused(
            f"{current.key} cannot be deleted: it has {', '.join(found)}. A line with money "
            "booked, forecast or changed against it stays on record; set its plan to zero instead."
        )
    for cell in PlanAmount.objects.filter(line=current).select_related("line"):
        audit_delete(actor=actor, instance=cell)
        cell.delete()
    audit_delete(actor=actor, instance=current)
    current.delete()


# --- the plan -----------------------------------------------------------------------------------


def _set_cell(*, actor, line: BudgetLine, month: dt.date, amount: Decimal, cell):
    """Write one validated cell (`cell` is its locked row or None): (the cell or None, whether
    it changed)."""
    if cell is None:
        if not amount:
            return None, False
        cell = PlanAmount(program_id=line.program_id, line=line, month=month, amount=amount)
        cell.save()
        audit_create(actor=actor, instance=cell)
        return cell, True
    if not amount:
        audit_delete(actor=actor, instance=cell)
        cell.delete()
        return None, True
    if cell.amount == amount:
        return cell, False
    before = snapshot(cell)
    cell.amount = amount
    cell.version += 1
    cell.save(update_fields=["amount", "version", "updated_at"])
    audit_update(actor=actor, instance=cell, before=before)
    return cell, True


@transaction.atomic
def plan_set(*, actor, line: BudgetLine, month: dt.date, amount) -> PlanAmount | None:
    """Set the original plan of `line` in `month` (0 removes the cell). Audited per cell; the
    line's version moves on when the amount changes."""
    program = line.program
    month = check_month(program, month)
    amount = parse_amount(amount, "amount")
    current = BudgetLine.objects.select_for_update().get(pk=line.pk)  # the line, then its cells
    cell = PlanAmount.objects.select_for_update().filter(line=current, month=month).first()
    before = cell.amount if cell is not None else ZERO
    cell, changed = _set_cell(actor=actor, line=current, month=month, amount=amount, cell=cell)
    if changed:
        _bump_line(actor=actor, line=current, changes={month: (before, amount)})
        line.version = current.version
    return cell


def _bump_line(*, actor, line: BudgetLine, changes: Mapping[dt.date, tuple[Decimal, Decimal]]):
    """Move the (locked) line's version on with an audit entry naming each month that changed,
    so a stale editor is told who changed which month meanwhile."""
    line.version += 1
    line.save(update_fields=["version", "updated_at"])
    _record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=line,
        changes={
            f"plan {month_label(month)}": [str(was), str(now)]
            for month, (was, now) in sorted(changes.items())
        },
    )


@transaction.atomic
def line_plan_set(
    *, actor, line: BudgetLine, amounts: Mapping[dt.date, Any], expected_version: int | None
) -> BudgetLine:
    """Set several months of a line's original plan at once (a row of the grid).

    Every amount is checked first: one bad cell (negative, not a number, more than two decimals,
    a month outside the program) refuses the whole row with an error per month (`2026-03`), and
    nothing is saved. A version that moved on raises StaleVersionError."""
    current = lock_current(BudgetLine, pk=line.pk, expected_version=expected_version)
    program = current.program
    errors: dict[str, list[str]] = {}
    checked: dict[dt.date, Decimal] = {}
    for month, value in amounts.items():
        label = month_label(month) if isinstance(month, dt.date) else str(month)
        try:
            month = check_month(program, month, label)
            checked[month] = parse_amount(ZERO if value in (None, "") else value, label)
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                errors.setdefault(label, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    cells = {
        c.month: c
        for c in PlanAmount.objects.select_for_update().filter(line=current, month__in=checked)
    }
    changed: dict[dt.date, tuple[Decimal, Decimal]] = {}
    for month, amount in sorted(checked.items()):
        cell = cells.get(month)
        before = cell.amount if cell is not None else ZERO
        _cell, moved = _set_cell(actor=actor, line=current, month=month, amount=amount, cell=cell)
        if moved:
            changed[month] = (before, amount)
    if changed:
        _bump_line(actor=actor, line=current, changes=changed)
    return current


# --- change orders ------------------------------------------------------------------------------


def _check_change_request(program: Program, change_request) -> None:
    if change_request is None:
        return
    if change_request.program_id != program.pk:
        raise ValidationError({"change_request": "That change request belongs to another program."})
    if change_request.status not in CR_STATUSES_FOR_CHANGE_ORDERS:
        raise ValidationError(
            {
                "change_request": f"{change_request.key} is "
                f"{change_request.get_status_display().lower()}; only an approved or implemented "
                "change request can cause a change order."
            }
        )


def _checked_amounts(
    program: Program, amounts: Iterable[tuple[BudgetLine, dt.date, Any]]
) -> list[tuple[BudgetLine, dt.date, Decimal]]:
    """(line, month, signed amount) rows, checked: lines of the program, months inside it, one
    row per line and month, no zero amounts; errors under `amounts` numbered from 1."""
    rows, errors, seen = [], [], set()
    for index, (line, month, value) in enumerate(amounts, start=1):
        try:
            check_same_program(program, line, "line")
            month = check_month(program, month)
            amount = parse_amount(value, "amount", signed=True)
        except ValidationError as exc:
            errors.extend(f"Row {index}: {m}" for ms in exc.message_dict.values() for m in ms)
            continue
        if not amount:
            errors.append(f"Row {index}: the amount is zero; leave the row out instead.")
        elif (line.pk, month) in seen:
            errors.append(
                f"Row {index}: {line.key} {month_label(month)} appears twice; put the whole "
                "change for a line and month in one row."
            )
        seen.add((line.pk, month))
        rows.append((line, month, amount))
    if errors:
        raise ValidationError({"amounts": errors})
    if not rows:
        raise ValidationError({"amounts": "Give at least one line, month and amount."})
    return rows


def _write_amounts(*, actor, order: ChangeOrder, rows) -> None:
    for line, month, amount in rows:
        row = ChangeOrderAmount(
            program_id=order.program_id, change_order=order, line=line, month=month, amount=amount
        )
        row.save()
        audit_create(actor=actor, instance=row)


def _require_draft(order: ChangeOrder, doing: str) -> None:
    if order.status != ChangeOrderStatus.DRAFT:
        raise Refused(
            f"{order.key} is {order.get_status_display().lower()}; only a draft change order can "
            f"be {doing}. Record a new change order to move the budget again."
        )


@transaction.atomic
def change_order_create(
    *, actor, program: Program, title: str, reason: str, amounts, change_request=None
) -> ChangeOrder:
    """A draft change order (CO-n) with its amounts per line and month (signed)."""
    _check_change_request(program, change_request)
    rows = _checked_amounts(program, amounts)
    order = create(
        ChangeOrder, actor=actor, program=program, title=title, reason=reason,
        change_request=change_request, created_by=actor,
    )  # fmt: skip
    _write_amounts(actor=actor, order=order, rows=rows)
    return order


@transaction.atomic
def change_order_update(
    *, actor, change_order: ChangeOrder, expected_version: int | None, amounts=None, **changes
) -> ChangeOrder:
    """Change a draft: its title, reason, change request and (when given) all its amounts."""
    current = lock_current(ChangeOrder, pk=change_order.pk, expected_version=expected_version)
    _require_draft(current, "edited")
    program = current.program
    if "change_request" in changes:
        _check_change_request(program, changes["change_request"])
    rows = _checked_amounts(program, amounts) if amounts is not None else None
    version = current.version
    current = apply_changes(
        current, actor=actor, changes=changes, expected_version=None, locked=True
    )
    if rows is None:
        return current
    existing = {(a.line_id, a.month): a for a in current.amounts.select_related("line")}
    wanted = {(line.pk, month): (line, amount) for line, month, amount in rows}
    before_total = sum((a.amount for a in existing.values()), ZERO)
    moved = False
    for key, row in existing.items():
        if key not in wanted:
            audit_delete(actor=actor, instance=row)
            row.delete()
            moved = True
        elif row.amount != wanted[key][1]:
            before = snapshot(row)
            row.amount = wanted[key][1]
            row.version += 1
            row.save(update_fields=["amount", "version", "updated_at"])
            audit_update(actor=actor, instance=row, before=before)
            moved = True
    new = [(line, month, amount) for (pk, month), (line, amount) in wanted.items()
           if (pk, month) not in existing]  # fmt: skip
    _write_amounts(actor=actor, order=current, rows=new)
    if (moved or new) and current.version == version:
        # Only the amounts moved: the order's version moves too, so a stale editor is told.
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
        after_total = sum((amount for _line, amount in wanted.values()), ZERO)
        _record(
            actor=actor, action=AuditAction.UPDATE, instance=current,
            changes={"amounts": [f"{len(existing)} rows, {before_total}",
                                 f"{len(wanted)} rows, {after_total}"]},
        )  # fmt: skip
    return current


@transaction.atomic
def change_order_delete(*, actor, change_order: ChangeOrder, expected_version: int | None) -> None:
    current = lock_current(ChangeOrder, pk=change_order.pk, expected_version=expected_version)
    _require_draft(current, "deleted")
    if ReserveMovement.objects.filter(change_order=current).exists():
        raise Refused(f"{current.key} is cited by a reserve movement; it stays on record.")
    for row in current.amounts.select_related("line"):
        audit_delete(actor=actor, instance=row)
        row.delete()
    audit_delete(actor=actor, instance=current)
    current.delete()


@transaction.atomic
def change_order_decide(
    *, actor, change_order: ChangeOrder, approve: bool, expected_version: int | None = None,
    on: dt.date | None = None,
) -> ChangeOrder:  # fmt: skip
    """Approve (its amounts join the current budget) or reject a draft. Not by its author."""
    current = lock_current(ChangeOrder, pk=change_order.pk, expected_version=expected_version)
    _require_draft(current, "approved or rejected")
    if actor is not None and current.created_by_id == actor.pk:
        raise Refused(
            f"You created {current.key}; another manager or executive approves or rejects it "
            "(four eyes on every budget change)."
        )
    status = ChangeOrderStatus.APPROVED if approve else ChangeOrderStatus.REJECTED
    return apply_changes(
        current, actor=actor, locked=True, expected_version=None,
        changes={"status": status, "decided_by": actor, "decided_on": on or dt.date.today()},
    )  # fmt: skip


# --- reserves -----------------------------------------------------------------------------------


@transaction.atomic
def reserve_set(
    *, actor, program: Program, kind: str, amount, note: str | None = None,
    expected_version: int | None = None,
) -> Reserve:  # fmt: skip
    """Set the amount set aside in the program's management or contingency reserve (created the
    first time). Movements are recorded separately and never change this amount."""
    if kind not in ReserveKind.values:
        raise ValidationError(
            {"kind": f"{kind!r} is not a reserve; use management or contingency."}
        )
    amount = parse_amount(amount, "amount")
    reserve = Reserve.objects.filter(program=program, kind=kind).first()
    if reserve is None:
        return create(Reserve, actor=actor, program=program, kind=kind, amount=amount,
                      note=note or "")  # fmt: skip
    changes: dict[str, Any] = {"amount": amount}
    if note is not None:
        changes["note"] = note
    return apply_changes(reserve, actor=actor, changes=changes, expected_version=expected_version)


@transaction.atomic
def reserve_movement_create(
    *, actor, reserve: Reserve, amount, on: dt.date, reason: str, change_order=None
) -> ReserveMovement:
    """A draw (negative) on or top-up (positive) of a reserve, with its reason. Never edited."""
    amount = parse_amount(amount, "amount", signed=True)
    if not amount:
        raise ValidationError({"amount": "A movement of zero moves nothing."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the reserve moves."})
    check_same_program(reserve.program, change_order, "change_order")
    locked = Reserve.objects.select_for_update().get(pk=reserve.pk)
    return create(
        ReserveMovement, actor=actor, program=locked.program, reserve=locked, amount=amount,
        on=on, reason=reason.strip(), change_order=change_order, recorded_by=actor,
    )  # fmt: skip
