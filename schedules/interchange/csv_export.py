"""The WBS as CSV, one row per item in outline order, streamed.

Safe for spreadsheets (see DESIGN.md, "Exports are safe"): UTF-8 with a header row, ISO dates,
`.` decimals without thousands separators, an explicit currency column, and any cell that
starts with `= + - @`, a tab or a carriage return prefixed with `'` so Excel shows it as text
instead of running it as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from core.exports import neutralise
from programs.models import Program

from ..models import MINUTES_PER_DAY, BaselineItem, Constraint, Item, ItemKind, ItemStatus

HEADER = [
    "key", "wbs", "name", "kind", "workstream", "owner", "owner_email", "start", "finish",
    "duration_days", "percent_complete", "status", "constraint", "constraint_date", "deadline",
    "total_float_days", "critical", "baseline_start", "baseline_finish", "cost", "currency",
]  # fmt: skip
_KIND = dict(ItemKind.choices)
_STATUS = dict(ItemStatus.choices)
_CONSTRAINT = dict(Constraint.choices)


def csv_filename(program: Program) -> str:
    return f"{program.code}-wbs-{timezone.localdate():%Y-%m-%d}.csv"


def _days(minutes: int | None) -> str:
    if minutes is None:
        return ""
    value = Decimal(minutes) / MINUTES_PER_DAY
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


class _Line:
    """A file-like whose `write` hands the line back (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


_FIELDS = (
    "key", "wbs", "name", "kind", "workstream__name", "owner__full_name", "owner__email",
    "start", "finish", "duration_minutes", "percent_complete", "status", "constraint",
    "constraint_date", "deadline", "total_float_minutes", "critical", "baseline_start",
    "baseline_finish", "cost",
)  # fmt: skip


def _iso(day) -> str:
    return day.isoformat() if day else ""


def wbs_csv_rows(program: Program) -> Iterator[str]:
    """CSV lines (header first) for the program's WBS; the items are read in chunks."""
    current = BaselineItem.objects.filter(
        item=OuterRef("pk"), baseline__program=program, baseline__is_current=True
    )
    items = (
        Item.objects.filter(program=program)
        .order_by("outline_path")
        .annotate(
            baseline_start=Subquery(current.values("start")[:1]),
            baseline_finish=Subquery(current.values("finish")[:1]),
        )
        .values(*_FIELDS)
    )
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(HEADER)
    currency = program.currency
    for r in items.iterator(chunk_size=2000):
        milestone = r["kind"] == ItemKind.MILESTONE
        yield writer.writerow(
            [
                r["key"],
                r["wbs"],
                neutralise(r["name"]),
                _KIND.get(r["kind"], r["kind"]),
                neutralise(r["workstream__name"] or ""),
                neutralise(r["owner__full_name"] or ""),
                neutralise(r["owner__email"] or ""),
                _iso(r["start"]),
                _iso(r["finish"]),
                _days(0 if milestone else r["duration_minutes"]),
                r["percent_complete"],
                _STATUS.get(r["status"], r["status"]),
                _CONSTRAINT.get(r["constraint"], r["constraint"]),
                _iso(r["constraint_date"]),
                _iso(r["deadline"]),
                _days(r["total_float_minutes"]),
                "yes" if r["critical"] else "no",
                _iso(r["baseline_start"]),
                _iso(r["baseline_finish"]),
                format(r["cost"], "f"),
                currency,
            ]
        )
