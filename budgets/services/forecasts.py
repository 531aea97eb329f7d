"""Forecasts: a new estimate for a line and month, kept beside the earlier ones."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from core.audit import audit_create, audit_update, snapshot

from ..models import BudgetLine, ForecastEntry
from .checks import check_month, parse_amount


@transaction.atomic
def forecast_set(
    *, actor, line: BudgetLine, month: dt.date, amount, as_of: dt.date | None = None,
    note: str = "",
) -> ForecastEntry:  # fmt: skip
    """Record the forecast of `line` in `month` as of `as_of` (today by default). It becomes the
    latest unless a later estimate exists; the same as-of date again replaces that estimate."""
    program = line.program
    month = check_month(program, month)
    amount = parse_amount(amount, "amount")
    as_of = as_of or dt.date.today()
    rows = list(
        ForecastEntry.objects.select_for_update().filter(line=line, month=month).order_by("as_of")
    )
    same = next((row for row in rows if row.as_of == as_of), None)
    if same is not None:
        before = snapshot(same)
        same.amount, same.note, same.recorded_by = amount, note, actor
        same.version += 1
        same.save()
        audit_update(actor=actor, instance=same, before=before)
        return same
    latest = next((row for row in reversed(rows) if row.is_latest), None)
    becomes_latest = latest is None or latest.as_of < as_of
    if becomes_latest and latest is not None:
        before = snapshot(latest)
        latest.is_latest = False
        latest.save(update_fields=["is_latest", "updated_at"])
        audit_update(actor=actor, instance=latest, before=before)
    entry = ForecastEntry(
        program=program, line=line, month=month, as_of=as_of, amount=amount, note=note,
        is_latest=becomes_latest, recorded_by=actor,
    )  # fmt: skip
    entry.full_clean(validate_constraints=False)
    entry.save()
    audit_create(actor=actor, instance=entry)
    return entry
