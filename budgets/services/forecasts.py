"""Forecasts: a new estimate for a line and month, kept beside the earlier ones; a line's open
months re-forecast in one step (the forecast grid's row), or copied from the remaining plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_create, audit_update, snapshot
from core.versioning import lock_current

from ..models import BudgetLine, ForecastEntry
from ..months import month_label, month_of
from .checks import check_month, parse_amount, program_months


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


def _bump_line(line: BudgetLine) -> BudgetLine:
    """A forecast save moves the line's version: it is the row lock of the forecast grid."""
    line.version += 1
    line.save(update_fields=["version", "updated_at"])
    return line


@transaction.atomic
def forecast_line_save(
    *, actor, line: BudgetLine, amounts: dict[dt.date, object], expected_version: int | None,
    as_of: dt.date | None = None, note: str = "",
) -> tuple[BudgetLine, list[ForecastEntry]]:  # fmt: skip
    """Re-forecast the open months of `line` in one step: every month whose amount differs from
    its latest forecast gets a new ForecastEntry as of `as_of` (today by default). A closed month
    (before the as-of month) is refused: its actuals stand. The line's version is the row lock:
    a stale one raises StaleVersionError and nothing is saved."""
    current = lock_current(BudgetLine, pk=line.pk, expected_version=expected_version)
    as_of = as_of or dt.date.today()
    open_from = month_of(as_of)
    errors: dict[str, list[str]] = {}
    cleaned: dict[dt.date, Decimal] = {}
    for month, amount in sorted(amounts.items()):
        field = month_label(month)
        try:
            month = check_month(current.program, month, field)
            if month < open_from:
                raise ValidationError(
                    {field: f"{field} is closed (before {month_label(open_from)}): its actuals "
                            "stand and it takes no forecast."}
                )  # fmt: skip
            cleaned[month] = parse_amount(amount, field)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    latest = dict(
        ForecastEntry.objects.filter(line=current, month__in=list(cleaned), is_latest=True)
        .values_list("month", "amount")
        .order_by()
    )
    saved = [
        forecast_set(actor=actor, line=current, month=month, amount=amount, as_of=as_of,
                     note=note)
        for month, amount in cleaned.items()
        if latest.get(month) != amount
    ]  # fmt: skip
    if saved:
        _bump_line(current)
    return current, saved


@transaction.atomic
def forecast_copy_plan(
    *, actor, line: BudgetLine, expected_version: int | None, as_of: dt.date | None = None
) -> tuple[BudgetLine, list[ForecastEntry]]:
    """Forecast every open month of `line` at its current budget (plan + approved change
    orders): "copy the remaining plan into the forecast"."""
    from ..selectors.ledger import ledger

    as_of = as_of or dt.date.today()
    first, last = program_months(line.program)
    open_from = max(first, month_of(as_of))
    book = ledger(
        line.program,
        as_of=as_of,
        lines=BudgetLine.objects.filter(pk=line.pk),
        first_month=open_from,
        last_month=last,
    )
    amounts = {month: book.cell(line.pk, month).plan for month in book.months}
    return forecast_line_save(
        actor=actor, line=line, amounts=amounts, expected_version=expected_version, as_of=as_of,
        note="Copied from the remaining plan.",
    )  # fmt: skip
