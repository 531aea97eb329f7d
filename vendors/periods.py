"""Periods for SLAs and scorecards, and the scorecard's colour rules: plain dates, no Django.

SLA measurement periods are calendar-aligned: weekly = Monday to Sunday (ISO weeks), monthly =
the 1st to the last day of a month, quarterly = Jan/Apr/Jul/Oct 1st to the quarter's last day.
Scorecards report a calendar month (default) or a quarter, named `2026-03` or `2026-Q1`.

Colours (documented on the scorecard pages): a percentage is green at 95 % or more, amber at
85 % or more, red below; open escalations are green at 0, amber at 1, red at 2 or more. A measure
with nothing to count in the period has no value and no colour (shown as "—").
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

WEEKLY, MONTHLY, QUARTERLY = "weekly", "monthly", "quarterly"
MONTH, QUARTER = "month", "quarter"

GREEN_AT = Decimal("95")
AMBER_AT = Decimal("85")


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


# --- SLA measurement periods ----------------------------------------------------------------


def sla_period_containing(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The (start, end) of the `kind` period (weekly/monthly/quarterly) that contains `day`."""
    if kind == WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if kind == MONTHLY:
        return day.replace(day=1), _month_end(day.year, day.month)
    if kind == QUARTERLY:
        first = 3 * ((day.month - 1) // 3) + 1
        return dt.date(day.year, first, 1), _month_end(day.year, first + 2)
    raise ValueError(f"Unknown SLA period {kind!r}")


def sla_period_rule(kind: str) -> str:
    """How a `kind` period is aligned, for error messages and help texts."""
    return {
        WEEKLY: "a week from Monday to Sunday",
        MONTHLY: "a calendar month, from the 1st to its last day",
        QUARTERLY: "a calendar quarter, from 1 Jan/Apr/Jul/Oct to the quarter's last day",
    }[kind]


def sla_period_label(kind: str, start: dt.date) -> str:
    """`Week 12, 2026 (16-22 Mar)`, `March 2026`, `Q1 2026`."""
    if kind == WEEKLY:
        end = start + dt.timedelta(days=6)
        year, week, _ = start.isocalendar()
        span = (
            f"{start.day}-{end.day} {end:%b}"
            if start.month == end.month
            else f"{start.day} {start:%b} - {end.day} {end:%b}"
        )
        return f"Week {week}, {year} ({span})"
    if kind == QUARTERLY:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return f"{start:%B %Y}"


def sla_period_short(kind: str, start: dt.date) -> str:
    """`16 Mar`, `Mar 2026`, `Q1 2026`: chart labels."""
    if kind == WEEKLY:
        return f"{start.day} {start:%b}"
    if kind == QUARTERLY:
        return sla_period_label(kind, start)
    return f"{start:%b %Y}"


def check_sla_period(
    kind: str, start: dt.date, end: dt.date | None
) -> tuple[dt.date, dt.date] | None:
    """The aligned (start, end) when `start` (and `end`, if given) match a `kind` period;
    None when they do not."""
    aligned = sla_period_containing(kind, start)
    if aligned[0] != start or (end is not None and end != aligned[1]):
        return None
    return aligned


# --- scorecard periods ----------------------------------------------------------------------

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-[Qq]([1-4])$")


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter a scorecard reports on."""

    kind: str  # MONTH or QUARTER
    start: dt.date
    end: dt.date

    @classmethod
    def containing(cls, day: dt.date, kind: str = MONTH) -> Period:
        if kind == QUARTER:
            start, end = sla_period_containing(QUARTERLY, day)
        else:
            start, end = sla_period_containing(MONTHLY, day)
        return cls(kind if kind == QUARTER else MONTH, start, end)

    @classmethod
    def parse(cls, text: str | None) -> Period | None:
        """`2026-03` or `2026-Q1`; None for anything else."""
        text = (text or "").strip()
        if match := _MONTH_RE.match(text):
            year, month = int(match[1]), int(match[2])
            if 1 <= month <= 12 and 2000 <= year <= 2100:
                return cls.containing(dt.date(year, month, 1), MONTH)
        if match := _QUARTER_RE.match(text):
            year, quarter = int(match[1]), int(match[2])
            if 2000 <= year <= 2100:
                return cls.containing(dt.date(year, 3 * quarter - 2, 1), QUARTER)
        return None

    @classmethod
    def default(cls, today: dt.date, kind: str = MONTH) -> Period:
        """The last complete month (or quarter) before `today`."""
        return cls.containing(today, kind).shift(-1)

    @property
    def months(self) -> int:
        return 3 if self.kind == QUARTER else 1

    def shift(self, count: int) -> Period:
        return Period.containing(_add_months(self.start, count * self.months), self.kind)

    def previous(self) -> Period:
        return self.shift(-1)

    def trailing(self, count: int) -> list[Period]:
        """The `count` periods ending with this one, oldest first."""
        return [self.shift(-n) for n in range(count - 1, -1, -1)]

    @property
    def slug(self) -> str:
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        if self.kind == QUARTER:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return f"{self.start:%B %Y}"

    @property
    def short_label(self) -> str:
        if self.kind == QUARTER:
            return self.label
        return f"{self.start:%b %Y}"

    def __str__(self) -> str:
        return self.slug


# --- colours and arrows ---------------------------------------------------------------------


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal (half-even); None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_EVEN)


def percent_colour(value: Decimal | None) -> str | None:
    if value is None:
        return None
    if value >= GREEN_AT:
        return "green"
    return "yellow" if value >= AMBER_AT else "red"


def escalation_colour(count: int | None) -> str | None:
    if count is None:
        return None
    return "green" if count == 0 else "yellow" if count == 1 else "red"


def change(
    current: Decimal | int | None, previous: Decimal | int | None, *, higher_is_better: bool
) -> dict | None:
    """The movement since the previous period: direction up/down/flat and whether it is good."""
    if current is None or previous is None:
        return None
    delta = current - previous
    direction = "up" if delta > 0 else "down" if delta < 0 else "flat"
    good = None if delta == 0 else (delta > 0) == higher_is_better
    return {"direction": direction, "delta": delta, "good": good, "previous": previous}
