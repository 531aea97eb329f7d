"""The monthly actuals (budgets.models.ActualMonth) every write of cost entries refreshes.

`refresh(pairs)` recomputes the named (line id, month) sums from the cost entries themselves
in one aggregate query and writes them in one upsert, deleting the months left without
entries. Call it in the same transaction as the write, with every (line, month) the write
touched (both the old and the new one when an entry moves).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q, Sum

from ..models import ActualMonth, CostEntry
from ..selectors.ledger import ACCRUAL_SOURCES

ZERO = Decimal("0.00")


def refresh(program_id: int, pairs: Iterable[tuple[int, dt.date]]) -> None:
    pairs = set(pairs)
    if not pairs:
        return
    lines = {line for line, _month in pairs}
    months = {month for _line, month in pairs}
    sums = {
        (line, month): (total, accrued or ZERO)
        for line, month, total, accrued in CostEntry.objects.filter(
            program_id=program_id, line_id__in=lines, month__in=months
        )
        .values_list("line_id", "month")
        .annotate(total=Sum("amount"), accrued=Sum("amount", filter=Q(source__in=ACCRUAL_SOURCES)))
        .order_by()
        if (line, month) in pairs
    }
    rows = [
        ActualMonth(program_id=program_id, line_id=line, month=month, amount=total,
                    accrued=accrued)
        for (line, month), (total, accrued) in sums.items()
    ]  # fmt: skip
    if rows:
        ActualMonth.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["line", "month"],
            update_fields=["amount", "accrued"],
        )
    gone = pairs - set(sums)
    if gone:
        stale = Q()
        for line, month in gone:
            stale |= Q(line_id=line, month=month)
        ActualMonth.objects.filter(stale, program_id=program_id).delete()


def rebuild(program_id: int) -> int:
    """Recompute every monthly actual of a program (after a bulk load, or to check)."""
    ActualMonth.objects.filter(program_id=program_id).delete()
    pairs = CostEntry.objects.filter(program_id=program_id).values_list("line_id", "month")
    refresh(program_id, pairs.distinct())
    return ActualMonth.objects.filter(program_id=program_id).count()
