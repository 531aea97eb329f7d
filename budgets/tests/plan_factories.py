"""Change orders and reserves for tests, made through the services (so they are audited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from budgets.models import ChangeOrder, Reserve
from budgets.services import structure
from programs.tests.factories import manager_of


def make_order(program, rows, actor=None, **fields) -> ChangeOrder:
    """A draft change order; `rows` = [(line, month, amount), ...]."""
    fields.setdefault("title", "Second SIT team")
    fields.setdefault("reason", "SIT cycle 1 is behind.")
    return structure.change_order_create(
        actor=actor or manager_of(program),
        program=program,
        amounts=[(line, month, Decimal(amount)) for line, month, amount in rows],
        **fields,
    )


def decide(order, actor, approve: bool = True) -> ChangeOrder:
    return structure.change_order_decide(actor=actor, change_order=order, approve=approve)


def make_reserve(program, kind="contingency", amount="100000.00", actor=None) -> Reserve:
    return structure.reserve_set(
        actor=actor or manager_of(program), program=program, kind=kind, amount=Decimal(amount)
    )


def move(reserve, amount, actor=None, on=dt.date(2026, 5, 4), **fields):
    fields.setdefault("reason", "Draw for the second SIT team.")
    return structure.reserve_movement_create(
        actor=actor or manager_of(reserve.program), reserve=reserve, amount=Decimal(amount),
        on=on, **fields,
    )  # fmt: skip
