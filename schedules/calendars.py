"""The program calendar as the engine sees it, and conversions between plan dates and offsets.

Plan dates are whole working days. On the engine's axis of working minutes a start date is
the beginning of that day's work and a finish date the end of it, so a one-day task that
starts and finishes on the same date lasts exactly one working day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from . import cpm
from .models import MINUTES_PER_DAY

DAY_START = dt.time(0, 0)
DAY_END = dt.time(23, 59)
STANDARD_DAY = cpm.STANDARD_DAY  # 08:00-12:00, 13:00-17:00: 480 minutes


class ProgramCalendar:
    """A `cpm.WorkCalendar` plus plan-date helpers. Build one per recompute, then reuse it."""

    def __init__(
        self,
        *,
        project_start: dt.date,
        weekdays: Iterable[int],
        holidays: Iterable[tuple[dt.date, dt.date]] = (),
        span_years: int = 12,
    ) -> None:
        self.project_start = project_start
        self.weekdays = sorted(set(weekdays))
        self.holidays = [(a, b) for a, b in holidays]
        self.work = cpm.WorkCalendar(
            dt.datetime.combine(project_start, dt.time(8, 0)),
            weekdays=dict.fromkeys(self.weekdays, STANDARD_DAY),
            holidays=self.holidays,
            minutes_per_day=MINUTES_PER_DAY,
            span_days=366 * (span_years + 3),
            days_before=366 * 3,  # leads and SF links may reach before the project start
        )
        self._starts: dict[int, dt.date] = {}
        self._finishes: dict[int, dt.date] = {}

    # dates -> engine offsets
    def start_offset(self, day: dt.date) -> int:
        return self.work.to_offset(dt.datetime.combine(day, DAY_START))

    def finish_offset(self, day: dt.date) -> int:
        return self.work.to_offset(dt.datetime.combine(day, DAY_END))

    # engine offsets -> dates (memoised: a schedule's dates repeat across thousands of items)
    def start_date(self, offset: int) -> dt.date:
        day = self._starts.get(offset)
        if day is None:
            day = self._starts[offset] = self.work.to_datetime(offset).date()
        return day

    def finish_date(self, offset: int) -> dt.date:
        day = self._finishes.get(offset)
        if day is None:
            day = self._finishes[offset] = self.work.to_datetime(offset, finish=True).date()
        return day

    def is_working_day(self, day: dt.date) -> bool:
        return self.work.is_working_day(day)

    def working_days(self, first: dt.date, last: dt.date) -> int:
        """Working days from `first` to `last`, both included (0 if last < first)."""
        if last < first:
            return 0
        return self.work.working_days_between(first, last + dt.timedelta(days=1))

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        return self.work.add_working_days(day, n)

    def variance_days(self, planned: dt.date | None, actual: dt.date | None) -> int | None:
        """Working days `actual` is later (+) or earlier (-) than `planned`."""
        if planned is None or actual is None:
            return None
        if actual >= planned:
            return self.work.working_days_between(planned, actual)
        return -self.work.working_days_between(actual, planned)


_CACHE: dict[tuple, ProgramCalendar] = {}
_CACHE_SIZE = 32


def calendar_for(schedule, holidays: Iterable[tuple[dt.date, dt.date]]) -> ProgramCalendar:
    """The program's calendar; built calendars are reused (building one walks 15 years of days).

    A calendar is immutable once built, and the key holds everything it is built from.
    """
    key = (
        schedule.project_start or schedule.program.start_date,
        tuple(sorted(set(schedule.weekdays or [0, 1, 2, 3, 4]))),
        tuple(sorted(holidays)),
    )
    cal = _CACHE.get(key)
    if cal is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        cal = _CACHE[key] = ProgramCalendar(project_start=key[0], weekdays=key[1], holidays=key[2])
    return cal
