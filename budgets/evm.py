"""Earned value management as plain math: no Django, plain data in and out, Decimal throughout.

The measures (PMI's PMBOK Guide, 6th ed., section 7.4.2.2 and table 7-1; PMI's Practice
Standard for Earned Value Management, 2nd ed.):

    PV  planned value: the time-phased budget of the work scheduled to the status date
    EV  earned value: the budget of the work performed (BAC x percent complete)
    AC  actual cost of the work performed to the status date
    BAC budget at completion
    SV  = EV - PV          schedule variance (negative = behind)
    CV  = EV - AC          cost variance (negative = over budget)
    SPI = EV / PV          schedule performance index
    CPI = EV / AC          cost performance index
    EAC(CPI)      = BAC / CPI                      current cost efficiency continues
    EAC(CPI x SPI) = AC + (BAC - EV) / (CPI x SPI)  cost and schedule pressure both continue
    EAC(budget)   = AC + (BAC - EV)                the rest is done at the budgeted rate
    ETC = EAC - AC         estimate to complete (one per EAC formula)
    VAC = BAC - EAC        variance at completion (negative = overrun)
    TCPI(BAC) = (BAC - EV) / (BAC - AC)   efficiency needed on the rest to finish on budget
    TCPI(EAC) = (BAC - EV) / (EAC - AC)   ... to finish at the estimate

Precision: every figure is kept at full Decimal precision (28 significant digits); money is
rounded to the cent (half-even) and indices to two decimals (half-even) only when presented
(`money`, `index`, `EarnedValue.presented`). Zero denominators give None, never an exception
or an infinity:

- SPI is None when PV = 0 (nothing was planned yet), CPI when AC = 0 (nothing spent yet);
- EAC(CPI) is None when CPI is None or 0 (nothing earned yet), EAC(CPI x SPI) when CPI x SPI
  is None or 0; EAC(budget) is always defined; ETC and VAC are None when their EAC is;
- TCPI(BAC) is None when BAC - AC <= 0: the budget is spent, so no efficiency can finish the
  remaining work within it (the ratio would be infinite or negative); TCPI(EAC) is None when
  EAC - AC <= 0 for the same reason;
- percent complete (EV / BAC) and percent spent (AC / BAC) are None when BAC = 0.

Time-phasing: `spread` divides an amount over the working days between two dates into calendar
months (each month gets its working days' share; the parts add up to the amount exactly);
`phased_to` is the cumulative amount of a month-by-month plan at a date, with the date's month
taken pro rata by working days; `cumulative` and `curve_points` build S-curve series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
FINE = Decimal("1e-12")  # spread's cumulative shares: fixed-point, so their parts add up exactly

WorkingDay = Callable[[dt.date], bool]


def weekdays(day: dt.date) -> bool:
    """The default working-day rule: Monday to Friday."""
    return day.weekday() < 5


# --- presentation -----------------------------------------------------------------------------


def money(value: Decimal | None) -> Decimal | None:
    """To the cent, half-even (None stays None)."""
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def index(value: Decimal | None) -> Decimal | None:
    """An index or percentage to two decimals, half-even (None stays None)."""
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _ratio(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    if denominator is None or denominator == 0:
        return None
    return numerator / denominator


# --- the measures -----------------------------------------------------------------------------


def schedule_variance(ev: Decimal, pv: Decimal) -> Decimal:
    return ev - pv


def cost_variance(ev: Decimal, ac: Decimal) -> Decimal:
    return ev - ac


def spi(ev: Decimal, pv: Decimal) -> Decimal | None:
    """EV / PV; None when PV = 0."""
    return _ratio(ev, pv)


def cpi(ev: Decimal, ac: Decimal) -> Decimal | None:
    """EV / AC; None when AC = 0."""
    return _ratio(ev, ac)


def eac_cpi(bac: Decimal, cpi_value: Decimal | None) -> Decimal | None:
    """BAC / CPI; None when CPI is None or 0."""
    return _ratio(bac, cpi_value)


def eac_cpi_spi(
    bac: Decimal, ev: Decimal, ac: Decimal, cpi_value: Decimal | None, spi_value: Decimal | None
) -> Decimal | None:
    """AC + (BAC - EV) / (CPI x SPI); None when either index is None or their product is 0."""
    if cpi_value is None or spi_value is None:
        return None
    share = _ratio(bac - ev, cpi_value * spi_value)
    return None if share is None else ac + share


def eac_remaining_at_budget(bac: Decimal, ev: Decimal, ac: Decimal) -> Decimal:
    """AC + (BAC - EV): the remaining work at the budgeted rate."""
    return ac + (bac - ev)


def etc(eac: Decimal | None, ac: Decimal) -> Decimal | None:
    """EAC - AC; None when EAC is None."""
    return None if eac is None else eac - ac


def vac(bac: Decimal, eac: Decimal | None) -> Decimal | None:
    """BAC - EAC; None when EAC is None."""
    return None if eac is None else bac - eac


def _tcpi(work_left: Decimal, funds_left: Decimal) -> Decimal | None:
    if funds_left <= 0:
        return None
    return work_left / funds_left


def tcpi_to_bac(bac: Decimal, ev: Decimal, ac: Decimal) -> Decimal | None:
    """(BAC - EV) / (BAC - AC); None when BAC - AC <= 0 (the budget is spent)."""
    return _tcpi(bac - ev, bac - ac)


def tcpi_to_eac(bac: Decimal, ev: Decimal, ac: Decimal, eac: Decimal | None) -> Decimal | None:
    """(BAC - EV) / (EAC - AC); None when EAC is None or EAC - AC <= 0."""
    return None if eac is None else _tcpi(bac - ev, eac - ac)


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole x 100; None when whole = 0."""
    share = _ratio(part, whole)
    return None if share is None else share * HUNDRED


EAC_METHODS = ("cpi", "cpi_spi", "budget")
EAC_FORMULAS = {
    "cpi": "BAC \u00f7 CPI",
    "cpi_spi": "AC + (BAC \u2212 EV) \u00f7 (CPI \u00d7 SPI)",
    "budget": "AC + (BAC \u2212 EV)",
}
EAC_LABELS = {
    "cpi": "Cost efficiency continues",
    "cpi_spi": "Cost and schedule pressure continue",
    "budget": "Remaining work at budget",
}


@dataclass(frozen=True)
class EarnedValue:
    """Every measure of one scope (a workstream, the program) at one status date."""

    bac: Decimal
    pv: Decimal
    ev: Decimal
    ac: Decimal

    @property
    def sv(self) -> Decimal:
        return schedule_variance(self.ev, self.pv)

    @property
    def cv(self) -> Decimal:
        return cost_variance(self.ev, self.ac)

    @property
    def spi(self) -> Decimal | None:
        return spi(self.ev, self.pv)

    @property
    def cpi(self) -> Decimal | None:
        return cpi(self.ev, self.ac)

    @property
    def sv_percent(self) -> Decimal | None:
        """SV / PV x 100."""
        return percent_of(self.sv, self.pv)

    @property
    def cv_percent(self) -> Decimal | None:
        """CV / EV x 100."""
        return percent_of(self.cv, self.ev)

    def eac(self, method: str = "cpi") -> Decimal | None:
        if method == "cpi":
            return eac_cpi(self.bac, self.cpi)
        if method == "cpi_spi":
            return eac_cpi_spi(self.bac, self.ev, self.ac, self.cpi, self.spi)
        if method == "budget":
            return eac_remaining_at_budget(self.bac, self.ev, self.ac)
        raise ValueError(f"Unknown EAC method {method!r}; use one of {', '.join(EAC_METHODS)}.")

    def etc(self, method: str = "cpi") -> Decimal | None:
        return etc(self.eac(method), self.ac)

    def vac(self, method: str = "cpi") -> Decimal | None:
        return vac(self.bac, self.eac(method))

    @property
    def tcpi_bac(self) -> Decimal | None:
        return tcpi_to_bac(self.bac, self.ev, self.ac)

    def tcpi_eac(self, method: str = "cpi") -> Decimal | None:
        return tcpi_to_eac(self.bac, self.ev, self.ac, self.eac(method))

    @property
    def percent_complete(self) -> Decimal | None:
        """EV / BAC x 100."""
        return percent_of(self.ev, self.bac)

    @property
    def percent_spent(self) -> Decimal | None:
        """AC / BAC x 100."""
        return percent_of(self.ac, self.bac)

    @property
    def percent_scheduled(self) -> Decimal | None:
        """PV / BAC x 100: how far along the plan says the work should be."""
        return percent_of(self.pv, self.bac)

    def __add__(self, other: EarnedValue) -> EarnedValue:
        return EarnedValue(
            bac=self.bac + other.bac,
            pv=self.pv + other.pv,
            ev=self.ev + other.ev,
            ac=self.ac + other.ac,
        )

    def presented(self) -> dict:
        """Every measure rounded for people: money to the cent, indices and percentages to two
        decimals; EAC, ETC, VAC and TCPI(EAC) per formula."""
        eac = {
            method: {
                "eac": money(self.eac(method)),
                "etc": money(self.etc(method)),
                "vac": money(self.vac(method)),
                "tcpi": index(self.tcpi_eac(method)),
                "formula": EAC_FORMULAS[method],
                "label": EAC_LABELS[method],
            }
            for method in EAC_METHODS
        }
        return {
            "bac": money(self.bac),
            "pv": money(self.pv),
            "ev": money(self.ev),
            "ac": money(self.ac),
            "sv": money(self.sv),
            "cv": money(self.cv),
            "sv_percent": index(self.sv_percent),
            "cv_percent": index(self.cv_percent),
            "spi": index(self.spi),
            "cpi": index(self.cpi),
            "eac": eac,
            "tcpi_bac": index(self.tcpi_bac),
            "percent_complete": index(self.percent_complete),
            "percent_spent": index(self.percent_spent),
            "percent_scheduled": index(self.percent_scheduled),
        }


EMPTY = EarnedValue(bac=ZERO, pv=ZERO, ev=ZERO, ac=ZERO)


def total(values: Iterable[EarnedValue]) -> EarnedValue:
    """The sum of several scopes' BAC, PV, EV and AC (indices then follow from the sums)."""
    result = EMPTY
    for value in values:
        result = result + value
    return result


# --- weighted percent complete ----------------------------------------------------------------


def weighted_percent(parts: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Σ(weight x percent) / Σ weight for (weight, percent) pairs; None when the weights are 0."""
    weight_sum = ZERO
    weighted = ZERO
    for weight, percent in parts:
        weight_sum += weight
        weighted += weight * percent
    return _ratio(weighted, weight_sum)


# --- time-phasing -----------------------------------------------------------------------------


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def working_days(first: dt.date, last: dt.date, is_working_day: WorkingDay = weekdays) -> int:
    """Working days from `first` to `last`, both included (0 when last is before first)."""
    return sum(1 for day in _days(first, last) if is_working_day(day))


def share_to(
    first: dt.date, last: dt.date, as_of: dt.date, is_working_day: WorkingDay = weekdays
) -> Decimal:
    """The share (0..1) of the span first..last elapsed at the end of `as_of`, by working days.

    A span without working days counts calendar days instead (its amount is not lost)."""
    if as_of < first:
        return ZERO
    if as_of >= last:
        return ONE
    span = working_days(first, last, is_working_day)
    if span == 0:
        return Decimal((as_of - first).days + 1) / Decimal((last - first).days + 1)
    return Decimal(working_days(first, as_of, is_working_day)) / Decimal(span)


def spread(
    amount: Decimal, first: dt.date, last: dt.date, is_working_day: WorkingDay = weekdays
) -> dict[dt.date, Decimal]:
    """`amount` spread evenly over the working days first..last, summed per calendar month
    (keys: months' first days). The months' parts add up to `amount` exactly: each month gets
    the difference of the cumulative share at its end and at the previous month's end, the
    cumulative shares held to 1e-12 of a currency unit.

    Raises ValueError when last is before first."""
    if last < first:
        raise ValueError("The span ends before it starts.")
    parts: dict[dt.date, Decimal] = {}
    done = ZERO
    month = month_of(first)
    while month <= last:
        end = min(month_end(month), last)
        cumulative_amount = (
            amount
            if end >= last
            else (amount * share_to(first, last, end, is_working_day)).quantize(FINE)
        )
        parts[month] = cumulative_amount - done
        done = cumulative_amount
        month = month_of(month_end(month) + dt.timedelta(days=1))
    return parts


def phased_to(
    monthly: Mapping[dt.date, Decimal], as_of: dt.date, is_working_day: WorkingDay = weekdays
) -> Decimal:
    """The cumulative amount of a month-by-month plan at the end of `as_of`: every month before
    `as_of`'s in full, and `as_of`'s month pro rata by its working days to that date."""
    current = month_of(as_of)
    result = ZERO
    for month, amount in monthly.items():
        if month < current:
            result += amount
        elif month == current:
            result += amount * share_to(month, month_end(month), as_of, is_working_day)
    return result


def cumulative(values: Iterable[Decimal]) -> list[Decimal]:
    """Running totals: [a, a+b, a+b+c, ...]."""
    result: list[Decimal] = []
    running = ZERO
    for value in values:
        running += value
        result.append(running)
    return result


def curve_points(
    monthly: Mapping[dt.date, Decimal], months: Iterable[dt.date]
) -> list[tuple[dt.date, Decimal]]:
    """(month end, cumulative amount at that month's end) for each of `months`, in order."""
    ordered = list(months)
    totals = cumulative(monthly.get(month, ZERO) for month in ordered)
    return [(month_end(month), value) for month, value in zip(ordered, totals, strict=True)]
