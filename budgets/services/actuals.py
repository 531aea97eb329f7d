"""Actual costs: manual cost entries (GL imports and accruals are added by their areas)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from core.domain import check_same_program, create

from ..models import BudgetLine, CostEntry, CostSource
from .checks import check_month, parse_amount


@transaction.atomic
def cost_entry_create(
    *, actor, line: BudgetLine, month: dt.date, amount, posted_on: dt.date | None = None,
    source: str = CostSource.MANUAL, **fields: Any,
) -> CostEntry:  # fmt: skip
    """Book `amount` (negative for a credit) to `line` in `month`."""
    program = line.program
    check_same_program(program, fields.get("vendor"), "vendor")
    return create(
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
