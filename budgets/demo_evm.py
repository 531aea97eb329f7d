"""The ERP demo's earned value history: one snapshot per closed month (March to October 2026),
as a monthly run would have recorded it, so the EVM page's S-curve has EV before today.

Percent complete is only stored as it is now, so each month's is reconstructed from the
schedule's progress (`percent_at`): an item finished by the month's end is 100 % complete; one
not started by then is at 0 %; one under way is interpolated linearly over working days from
0 % at its actual start to 100 % at its actual finish (finished items) or to its reported
percent complete at the schedule's status date (items still in progress). PV and AC come
from the budget and the ledger exactly as on the page (the current budget time-phased to the
month's end; actual costs booked to that month and before); EV is BAC x the reconstructed
weighted percent complete, through the same selectors the page uses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from programs.models import Program

from . import evm
from .months import add_months, month_range
from .selectors import evm as selectors
from .services.evm import evm_snapshots_record


def percent_at(row: dict[str, Any], day: dt.date, status_date: dt.date, is_working_day) -> Decimal:
    """An item's percent complete at the end of `day`, reconstructed from its actual dates."""
    reported = Decimal(row["percent_complete"])
    start, finish = row["actual_start"], row["actual_finish"]
    if finish is not None and finish <= day:
        return evm.HUNDRED
    if start is None or start > day:
        return Decimal(0)
    target_day, target = (finish, evm.HUNDRED) if finish else (status_date, reported)
    if target_day <= start:
        return target
    return target * evm.share_to(start, target_day, day, is_working_day)


def build(program: Program, ctx: dict) -> dict:
    inputs = selectors.evm_inputs(program, status_date=selectors.program_today(program))
    status_date = inputs.schedule_status_date or selectors.program_today(program)
    if not inputs.workstreams or not inputs.items:
        return {"earned value snapshots": 0}
    first = program.start_date.replace(day=1)
    last = add_months(status_date.replace(day=1), -1)
    tz = ZoneInfo(program.time_zone)
    count = 0
    for month in month_range(first, last):
        day = evm.month_end(month)
        progress = selectors.workstream_progress(
            inputs, lambda row, day=day: percent_at(row, day, status_date, inputs.is_working_day)
        )
        values = selectors.earned_values_at(inputs, day, progress)
        rows = evm_snapshots_record(
            actor=ctx.get("finance"),
            program=program,
            as_of=day,
            workstreams=inputs.workstreams,
            values=values,
            progress=progress,
            taken_at=dt.datetime.combine(day, dt.time(18, 0), tzinfo=tz),
        )
        count += len(rows)
    return {"earned value snapshots": count}
