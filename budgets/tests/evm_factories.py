"""A small program with a budget, actuals and a schedule for the earned value tests.

Workstream A has one budget line: 2,200 planned in January 2026 (22 working days) and 2,000 in
February 2026 (20 working days); actuals of 1,000 (January), 500 (February) and 300 (March).
Its leaf WBS items: a 10-day task costing 3,000 at 100 %, a 20-day task costing 1,000 at 50 %
and a milestone at 0 % (no cost), under a summary. At the status date Friday 13 February
2026 (10 of February's 20 working days):
  BAC = 4,200; PV = 2,200 + 2,000 x 10/20 = 3,200; AC = 1,000 + 500 = 1,500;
  percent complete (by cost) = (3,000 x 100 + 1,000 x 50) / 4,000 = 87.5 %; EV = 3,675.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from budgets.tests.factories import actual, make_line, plan
from programs.tests.factories import WorkstreamFactory
from schedules.models import ItemKind
from schedules.tests.factories import ItemFactory, days

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
STATUS = dt.date(2026, 2, 13)


def make_items(program, workstream, *, costs=("3000", "1000"), count_extra: int = 0) -> dict:
    summary = ItemFactory(program=program, name="Build", kind=ItemKind.SUMMARY)
    done = ItemFactory(
        program=program, parent=summary, workstream=workstream, duration_minutes=days(10),
        cost=Decimal(costs[0]), percent_complete=100,
    )  # fmt: skip
    half = ItemFactory(
        program=program, parent=summary, workstream=workstream, duration_minutes=days(20),
        cost=Decimal(costs[1]), percent_complete=50,
    )  # fmt: skip
    gate = ItemFactory(
        program=program, parent=summary, workstream=workstream, kind=ItemKind.MILESTONE,
        duration_minutes=0,
    )  # fmt: skip
    for _ in range(count_extra):  # not started, no cost, no duration: weigh nothing
        ItemFactory(
            program=program, parent=summary, workstream=workstream, kind=ItemKind.MILESTONE,
            duration_minutes=0,
        )  # fmt: skip
    return {"summary": summary, "done": done, "half": half, "gate": gate}


def make_budget(program, workstream=None, *, lines: int = 1):
    workstream = workstream or WorkstreamFactory(program=program, name="Workstream A")
    first = make_line(program, workstream=workstream, name="Line 1")
    plan(first, JAN, "2200.00")
    plan(first, FEB, "2000.00")
    actual(first, JAN, "1000.00")
    actual(first, FEB, "500.00")
    actual(first, MAR, "300.00")
    for n in range(2, lines + 1):  # further lines move nothing: zero plan is no row
        make_line(program, workstream=workstream, name=f"Line {n}")
    return workstream, first
