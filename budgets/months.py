"""Budget months: every amount is booked to a calendar month, stored as its first day.

Plain dates, no Django. `month_of(day)` is the month containing `day`; `add_months` steps whole
months; `month_range` lists the months from one to another inclusive; `parse_month` reads the
`2026-03` form people type and exports write.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-01)?\s*$")


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + (month.month - 1) + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from `first`'s to `last`'s, inclusive (empty when last is before first)."""
    months, current, end = [], month_of(first), month_of(last)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def month_label(month: dt.date) -> str:
    """`2026-03`: the form exports write and people type."""
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(text: str) -> dt.date:
    """`2026-03` (or `2026-03-01`) as the month's first day; ValueError with a reason otherwise."""
    match = _MONTH.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-03.")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)
