"""Rows for the variance, overview and settings tests: a worked example with hand-computed
figures, approved change orders, accruals and the people of the explanation workflow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from budgets.models import BudgetLine
from budgets.services import actuals, structure
from core.permissions import Role
from programs.tests.factories import manager_of, member

from .factories import actual, forecast, make_category, make_line, plan

JAN, FEB, MAR, APR, MAY, JUN = (dt.date(2026, m, 1) for m in range(1, 7))
AS_OF = dt.date(2026, 5, 12)  # Jan-Apr 2026 are closed
D = Decimal


def approved_change_order(program, line, month, amount) -> None:
    """A change order moving `line` in `month` by `amount`, approved by a second manager."""
    author = manager_of(program)
    order = structure.change_order_create(
        actor=author, program=program, title="Scope change", reason="More reports.",
        amounts=[(line, month, D(amount))],
    )  # fmt: skip
    approver = member(program, Role.MANAGER).user
    structure.change_order_decide(actor=approver, change_order=order, approve=True)


def accrue(line, month, amount) -> None:
    actuals.accrual_create(
        actor=manager_of(line.program), program=line.program, line=line, month=month,
        amount=D(amount), description="Work done, not invoiced yet",
    )  # fmt: skip


@dataclass
class Example:
    """Line A (owner: a contributor) planned 1,000.00 a month Jan-Jun 2026, +200.00 in Feb by
    an approved change order; actuals Jan 1,100, Feb 900 + a 300 accrual (reversed in Mar),
    Mar 500, Apr 700; forecast May 1,500. Line B (another category) planned 500.00 in Jan
    with an actual of 8,000.00 (a variance beyond any threshold)."""

    a: BudgetLine
    b: BudgetLine
    owner: object


def worked_example(program) -> Example:
    owner = member(program, Role.CONTRIBUTOR).user
    a = make_line(
        program,
        name="Line A",
        owner=owner,
        category=make_category(program, name="Labour", expense_type="opex"),
    )
    b = make_line(
        program, name="Line B", owner=owner, category=make_category(program, name="Vendor")
    )
    for month in (JAN, FEB, MAR, APR, MAY, JUN):
        plan(a, month, "1000.00")
    approved_change_order(program, a, FEB, "200.00")
    actual(a, JAN, "1100.00")
    actual(a, FEB, "900.00")
    accrue(a, FEB, "300.00")
    actual(a, MAR, "500.00")
    actual(a, APR, "700.00")
    forecast(a, MAY, "1500.00", as_of=dt.date(2026, 4, 30))
    plan(b, JAN, "500.00")
    actual(b, JAN, "8000.00")
    return Example(a=a, b=b, owner=owner)
