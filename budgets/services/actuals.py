"""Actual costs: manual cost entries, and accruals with their automatic reversal.

Only manual entries are edited or deleted here; the others come from somewhere that owns them
(an approved invoice, a general-ledger import, an accrual) and change there.

Accruals (ACR-n): posting one books its cost entry in the accrual month (dated that month's last
day) and the reversal, the same amount negative, on the 1st of the following month, in one
transaction. Cancelling never deletes what was booked: it books two offsetting entries (the
accrual's amount negative in the accrual month, positive in the reversal month, dated the
cancellation day), so a month finance already reported keeps its trail and each month nets to
what it would have been without the accrual. It is allowed until the reversal month closes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.domain import check_same_program, create, delete, update
from core.errors import Refused
from core.versioning import lock_current
from programs.models import Program

from ..models import Accrual, AccrualStatus, BudgetLine, CostEntry, CostSource
from ..months import add_months, month_label, month_of
from . import actual_months
from .checks import check_month, next_month, parse_amount

READ_ONLY_REASONS = {
    CostSource.INVOICE: "it comes from an approved invoice; correct the invoice (or book a "
    "credit note) instead",
    CostSource.GL_IMPORT: "it was imported from the general ledger; correct it in the ledger "
    "and import the correction",
    CostSource.ACCRUAL: "it was booked by an accrual; cancel the accrual instead",
    CostSource.ACCRUAL_REVERSAL: "it is an accrual's automatic reversal; cancel the accrual "
    "instead",
}


def read_only_reason(entry: CostEntry) -> str:
    """Why `entry` cannot be edited here ("" for a manual entry)."""
    reason = READ_ONLY_REASONS.get(entry.source, "")
    return f"This cost entry is read-only: {reason}." if reason else ""


def _check_editable(entry: CostEntry) -> None:
    reason = read_only_reason(entry)
    if reason:
        raise Refused(reason)


@transaction.atomic
def cost_entry_create(
    *, actor, line: BudgetLine, month: dt.date, amount, posted_on: dt.date | None = None,
    source: str = CostSource.MANUAL, **fields: Any,
) -> CostEntry:  # fmt: skip
    """Book `amount` (negative for a credit) to `line` in `month`."""
    program = line.program
    check_same_program(program, fields.get("vendor"), "vendor")
    entry = create(
        CostEntry,
        actor=actor,
        program=program,
        line=line,
        month=check_month(program, month),
        amount=parse_amount(amount, "amount", signed=True),
        source=source,
        posted_on=posted_on or dt.date.today(),
        created_by=actor,
        **fields,
    )
    actual_months.refresh(program.pk, [(entry.line_id, entry.month)])
    return entry


@transaction.atomic
def cost_entry_update(
    *, actor, entry: CostEntry, expected_version: int | None, **changes: Any
) -> CostEntry:
    """Change a manual entry (line, month, amount, posting date, description, reference,
    vendor); any other source is refused with the reason."""
    current = lock_current(CostEntry, pk=entry.pk, expected_version=expected_version)
    _check_editable(current)
    program = current.program
    if "line" in changes:
        check_same_program(program, changes["line"], "line")
    check_same_program(program, changes.get("vendor"), "vendor")
    if "month" in changes:
        changes["month"] = check_month(program, changes["month"])
    if "amount" in changes:
        changes["amount"] = parse_amount(changes["amount"], "amount", signed=True)
    before = (current.line_id, current.month)
    entry = update(current, actor=actor, expected_version=None, **changes)
    actual_months.refresh(program.pk, [before, (entry.line_id, entry.month)])
    return entry


@transaction.atomic
def cost_entry_delete(*, actor, entry: CostEntry, expected_version: int | None) -> None:
    current = lock_current(CostEntry, pk=entry.pk, expected_version=expected_version)
    _check_editable(current)
    delete(current, actor=actor, expected_version=None)
    actual_months.refresh(current.program_id, [(current.line_id, current.month)])


# --- accruals -----------------------------------------------------------------------------------


def _last_day(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def _entry(accrual: Accrual, *, actor, month, amount, source, posted_on, description) -> CostEntry:
    vendor = accrual.contract.vendor if accrual.contract_id else accrual.line.vendor
    entry = create(
        CostEntry, actor=actor, program=accrual.program, line=accrual.line, month=month,
        amount=amount, source=source, posted_on=posted_on, description=description[:300],
        reference=accrual.key, vendor=vendor, accrual=accrual, created_by=actor,
    )  # fmt: skip
    actual_months.refresh(accrual.program_id, [(entry.line_id, entry.month)])
    return entry


@transaction.atomic
def accrual_create(
    *, actor, program: Program, line: BudgetLine, month: dt.date, amount, description: str,
    contract=None,
) -> Accrual:  # fmt: skip
    """Post an accrual: its cost entry in `month` and the reversal on the next month's 1st."""
    check_same_program(program, line, "line")
    check_same_program(program, contract, "contract")
    month = check_month(program, month)
    try:
        reversal_month = check_month(program, next_month(month))
    except ValidationError:
        raise ValidationError(
            {"month": f"{month_label(month)} is the program's last month: its reversal would "
                      "fall after the program ends. Book a manual entry instead."}
        ) from None  # fmt: skip
    amount = parse_amount(amount, "amount")
    if not amount:
        raise ValidationError({"amount": "An accrual needs an amount above zero."})
    if contract is not None and line.vendor_id and contract.vendor_id != line.vendor_id:
        raise ValidationError({"contract": "That contract is with another vendor than the line's."})
    accrual = create(
        Accrual, actor=actor, program=program, line=line, month=month, amount=amount,
        description=description, contract=contract, created_by=actor,
    )  # fmt: skip
    _entry(
        accrual, actor=actor, month=month, amount=amount, source=CostSource.ACCRUAL,
        posted_on=_last_day(month), description=f"Accrual: {description}",
    )  # fmt: skip
    _entry(
        accrual, actor=actor, month=reversal_month, amount=-amount,
        source=CostSource.ACCRUAL_REVERSAL, posted_on=reversal_month,
        description=f"Reversal of {accrual.key}: {description}",
    )  # fmt: skip
    return accrual


def cancel_deadline(accrual: Accrual) -> dt.date:
    """The last day an accrual can be cancelled: the end of its reversal month."""
    return _last_day(next_month(accrual.month))


def cancel_problem(accrual: Accrual, today: dt.date | None = None) -> str:
    """Why `accrual` cannot be cancelled now ("" when it can)."""
    if accrual.status == AccrualStatus.CANCELLED:
        return f"{accrual.key} is already cancelled."
    today = today or dt.date.today()
    reversal = next_month(accrual.month)
    if month_of(today) > reversal:
        return (
            f"{accrual.key} can no longer be cancelled: its reversal month "
            f"{month_label(reversal)} has closed. Book a manual correction instead."
        )
    return ""


@transaction.atomic
def accrual_cancel(
    *, actor, accrual: Accrual, expected_version: int | None, reason: str,
    today: dt.date | None = None,
) -> Accrual:  # fmt: skip
    """Cancel a posted accrual by booking offsetting entries (see the module's docstring)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the accrual is cancelled."})
    current = lock_current(Accrual, pk=accrual.pk, expected_version=expected_version)
    problem = cancel_problem(current, today)
    if problem:
        raise Refused(problem)
    today = today or dt.date.today()
    amount: Decimal = current.amount
    text = f"Cancellation of {current.key}: {reason}"
    _entry(
        current, actor=actor, month=current.month, amount=-amount, source=CostSource.ACCRUAL,
        posted_on=today, description=text,
    )  # fmt: skip
    _entry(
        current, actor=actor, month=next_month(current.month), amount=amount,
        source=CostSource.ACCRUAL_REVERSAL, posted_on=today, description=text,
    )  # fmt: skip
    return update(current, actor=actor, expected_version=None, status=AccrualStatus.CANCELLED)
