"""Report periods are ISO weeks ("2026-W48"): Monday to Sunday, in the program's time zone."""

from __future__ import annotations

import datetime as dt

from .collect import period_bounds

__all__ = ["briefing_period", "period_bounds", "period_of", "shift"]


def period_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def shift(period: str, weeks: int) -> str:
    """The period `weeks` later (earlier when negative)."""
    monday, _ = period_bounds(period)
    return period_of(monday + dt.timedelta(weeks=weeks))


def briefing_period(send_day: dt.date) -> str:
    """The week a briefing sent on `send_day` reports: the week of the day before, so a Monday
    briefing tells last week and a Friday one this week."""
    return period_of(send_day - dt.timedelta(days=1))
