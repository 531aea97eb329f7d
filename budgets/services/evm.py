"""Earned value snapshots: the month's PV, EV and AC kept so the S-curve can show EV history.

`evm_snapshot_take` measures the program and each workstream at a date (today in the program's
time zone by default) with the progress the schedule holds now, and records them as that
month's snapshot. Taking it again in the same month updates the month's rows (idempotent per
month: the last taking of a month stands), so a scheduled run may call it daily or monthly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core import domain
from programs.models import Program, Workstream

from .. import evm
from ..models import EarnedValueSnapshot
from ..months import month_of
from ..selectors import evm as selectors


def _percent(value: Decimal | None) -> Decimal | None:
    return evm.index(value)


@transaction.atomic
def evm_snapshot_record(
    *,
    actor,
    program: Program,
    workstream: Workstream | None,
    as_of: dt.date,
    value: evm.EarnedValue,
    percent_complete: Decimal | None,
    taken_at: dt.datetime | None = None,
) -> EarnedValueSnapshot:
    """Create or update the snapshot of `as_of`'s month for the workstream (None: the program),
    with the figures rounded to the cent."""
    fields = {
        "as_of": as_of,
        "bac": evm.money(value.bac),
        "pv": evm.money(value.pv),
        "ev": evm.money(value.ev),
        "ac": evm.money(value.ac),
        "percent_complete": _percent(percent_complete),
        "taken_at": taken_at or timezone.now(),
    }
    existing = (
        EarnedValueSnapshot.objects.select_for_update()
        .filter(program=program, workstream=workstream, month=month_of(as_of))
        .first()
    )
    if existing is not None:
        return domain.update(existing, actor=actor, expected_version=None, **fields)
    return domain.create(
        EarnedValueSnapshot,
        actor=actor,
        program=program,
        workstream=workstream,
        month=month_of(as_of),
        **fields,
    )


@transaction.atomic
def evm_snapshot_take(
    *, actor=None, program: Program, as_of: dt.date | None = None
) -> list[EarnedValueSnapshot]:
    """The month's snapshots of the program and of each budgeted workstream at `as_of`, with
    today's progress. Nothing is recorded for a program without a budget."""
    as_of = as_of or selectors.program_today(program)
    inputs = selectors.evm_inputs(program, status_date=as_of)
    if not inputs.workstreams:
        return []
    progress = selectors.workstream_progress(inputs)
    values = selectors.earned_values_at(inputs, as_of, progress)
    return evm_snapshots_record(
        actor=actor,
        program=program,
        as_of=as_of,
        workstreams=inputs.workstreams,
        values=values,
        progress=progress,
    )


@transaction.atomic
def evm_snapshots_record(
    *,
    actor,
    program: Program,
    as_of: dt.date,
    workstreams: list[Workstream],
    values: dict[int, evm.EarnedValue],
    progress: dict[int, selectors.Progress],
    taken_at: dt.datetime | None = None,
) -> list[EarnedValueSnapshot]:
    """Record one month's rows: the program's (the workstreams' sums) and each workstream's."""
    total = evm.total(values.values())
    rows = [
        evm_snapshot_record(
            actor=actor, program=program, workstream=None, as_of=as_of, value=total,
            percent_complete=total.percent_complete, taken_at=taken_at,
        )
    ]  # fmt: skip
    for ws in workstreams:
        rows.append(
            evm_snapshot_record(
                actor=actor,
                program=program,
                workstream=ws,
                as_of=as_of,
                value=values[ws.pk],
                percent_complete=progress.get(ws.pk, selectors.Progress()).percent,
                taken_at=taken_at,
            )
        )
    return rows
