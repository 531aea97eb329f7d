"""The pure earned value module (budgets/evm.py): worked examples from the literature reproduced
to the cent (indices to two decimals), zero denominators, time-phasing, and properties.

Each example states its source, its inputs and the expected outputs; every expected output is
worked out by hand in a comment so a reader can check the arithmetic. Where the source prints a
figure computed from a rounded index, both are shown: our module keeps full precision and rounds
only for presentation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from budgets import evm
from budgets.evm import EarnedValue

# --- Example 1 --------------------------------------------------------------------------------
# Rita Mulcahy, "PMP Exam Prep", chapter "Cost Management", the earned value exercise of the
# four-sided fence (p. 210 of the edition reproduced at studylib.net/doc/5898152):
# "Each side is to take one day to build and is budgeted for $1,000 per side. The sides are
# planned to be completed one after the other. Today is the end of day three."
#   side 1: complete, spent $1,000; side 2: complete, spent $1,200;
#   side 3: 50 % done, spent $600;   side 4: not yet started.
# The book's answers: PV 3,000; EV 2,500; AC 2,800; BAC 4,000; CV -300; CPI .893; SV -500;
# SPI .833; EAC 4,479 (= 4,000 / .893); ETC 1,679; VAC -479.
FENCE = EarnedValue(
    bac=D("4000"),  # 1,000 x 4 sides
    pv=D("3000"),  # 1,000 + 1,000 + 1,000 (three days planned)
    ev=D("2500"),  # 1,000 + 1,000 + 50 % x 1,000
    ac=D("2800"),  # 1,000 + 1,200 + 600
)


def test_fence_variances_and_indices():
    shown = FENCE.presented()
    assert shown["cv"] == D("-300.00")  # 2,500 - 2,800
    assert shown["sv"] == D("-500.00")  # 2,500 - 3,000
    assert shown["cpi"] == D("0.89")  # 2,500 / 2,800 = 0.892857... (book: .893)
    assert shown["spi"] == D("0.83")  # 2,500 / 3,000 = 0.833333... (book: .833)


def test_fence_eac_at_full_precision():
    # EAC = BAC / CPI = 4,000 / (2,500 / 2,800) = 4,000 x 2,800 / 2,500 = 4,480 exactly;
    # ETC = 4,480 - 2,800 = 1,680; VAC = 4,000 - 4,480 = -480.
    shown = FENCE.presented()["eac"]["cpi"]
    assert shown["eac"] == D("4480.00")
    assert shown["etc"] == D("1680.00")
    assert shown["vac"] == D("-480.00")


def test_fence_eac_with_the_books_rounded_cpi():
    # The book divides by CPI rounded to .893: 4,000 / .893 = 4,479.2833... -> $4,479, and
    # derives ETC 4,479 - 2,800 = 1,679 and VAC 4,000 - 4,479 = -479 from it.
    eac = evm.eac_cpi(D("4000"), D("0.893"))
    assert evm.money(eac) == D("4479.28")
    assert eac.quantize(D("1")) == D("4479")
    assert evm.etc(eac, D("2800")).quantize(D("1")) == D("1679")
    assert evm.vac(D("4000"), eac).quantize(D("1")) == D("-479")


def test_fence_other_formulas_worked_by_hand():
    # Not asked in the exercise; from its inputs:
    # EAC(budget) = AC + (BAC - EV) = 2,800 + 1,500 = 4,300
    # EAC(CPI x SPI) = 2,800 + 1,500 / ((2,500/2,800) x (2,500/3,000))
    #                = 2,800 + 1,500 x (2,800 x 3,000) / (2,500 x 2,500) = 2,800 + 1,500 x 1.344
    #                = 2,800 + 2,016 = 4,816
    # TCPI(BAC) = (4,000 - 2,500) / (4,000 - 2,800) = 1,500 / 1,200 = 1.25
    # TCPI(EAC by CPI) = 1,500 / (4,480 - 2,800) = 1,500 / 1,680 = 0.892857... = CPI
    # % complete = 2,500 / 4,000 = 62.5 %; % spent = 2,800 / 4,000 = 70 %
    shown = FENCE.presented()
    assert shown["eac"]["budget"]["eac"] == D("4300.00")
    assert shown["eac"]["budget"]["vac"] == D("-300.00")
    assert shown["eac"]["cpi_spi"]["eac"] == D("4816.00")
    assert shown["eac"]["cpi_spi"]["etc"] == D("2016.00")
    assert shown["tcpi_bac"] == D("1.25")
    assert shown["eac"]["cpi"]["tcpi"] == D("0.89")
    assert shown["percent_complete"] == D("62.50")
    assert shown["percent_spent"] == D("70.00")


def test_fence_planned_value_from_working_days():
    # The plan spreads 4,000 over four working days (one side a day); at the end of day three
    # 3/4 of it is planned: 3,000. Monday 2 March 2026 to Thursday 5 March 2026.
    monday, wednesday, thursday = dt.date(2026, 3, 2), dt.date(2026, 3, 4), dt.date(2026, 3, 5)
    assert D("4000") * evm.share_to(monday, thursday, wednesday) == D("3000")
    assert evm.spread(D("4000"), monday, thursday) == {dt.date(2026, 3, 1): D("4000")}


# --- Example 2 --------------------------------------------------------------------------------
# Paul Govan, "PRA: Project Risk Analysis" (R package on CRAN), vignette "Earned Value
# Management" (vignettes/evm.Rmd), section "Examples", and its tests (tests/testthat): a toy
# project, BAC = 100,000, cumulative planned share per period 0.1, 0.2, 0.4, 0.7, 1.0, status
# at period 3, actual 35 % complete, cumulative actual cost per period 9,000, 18,000, 36,000.
# The vignette prints: PV 40000, EV 35000, AC 36000, SV -5000, CV -1000, SPI 0.88, CPI 0.97,
# EAC 102857.1 (R prints seven significant digits of 102,857.142857...).
PRA = EarnedValue(bac=D("100000"), pv=D("40000"), ev=D("35000"), ac=D("36000"))


def test_pra_planned_value_from_the_time_phased_budget():
    # per-period budget = differences of the cumulative shares x BAC:
    # 10,000; 10,000; 20,000; 30,000; 30,000 -> cumulative 10,000; 20,000; 40,000; 70,000; 100,000
    per_period = [D("10000"), D("10000"), D("20000"), D("30000"), D("30000")]
    curve = evm.cumulative(per_period)
    assert curve == [D("10000"), D("20000"), D("40000"), D("70000"), D("100000")]
    assert curve[2] == PRA.pv  # period 3
    assert PRA.ev == D("100000") * D("0.35")


def test_pra_variances_indices_and_eac():
    shown = PRA.presented()
    assert shown["sv"] == D("-5000.00")  # 35,000 - 40,000
    assert shown["cv"] == D("-1000.00")  # 35,000 - 36,000
    assert shown["spi"] == D("0.88")  # 35,000 / 40,000 = 0.875 -> half-even to 0.88
    assert shown["cpi"] == D("0.97")  # 35,000 / 36,000 = 0.97222...
    # EAC = 100,000 / (35,000 / 36,000) = 100,000 x 36 / 35 = 102,857.142857... -> 102,857.14
    assert shown["eac"]["cpi"]["eac"] == D("102857.14")
    assert shown["eac"]["cpi"]["etc"] == D("66857.14")  # 102,857.142857 - 36,000
    assert shown["eac"]["cpi"]["vac"] == D("-2857.14")  # 100,000 - 102,857.142857


def test_pra_other_formulas_worked_by_hand():
    # EAC(budget) = 36,000 + (100,000 - 35,000) = 101,000
    # EAC(CPI x SPI) = 36,000 + 65,000 / ((35/36) x (35/40)) = 36,000 + 65,000 x 1,440 / 1,225
    #                = 36,000 + 76,408.163265... = 112,408.163265... -> 112,408.16
    # TCPI(BAC) = 65,000 / (100,000 - 36,000) = 65,000 / 64,000 = 1.015625 -> 1.02
    shown = PRA.presented()
    assert shown["eac"]["budget"]["eac"] == D("101000.00")
    assert shown["eac"]["cpi_spi"]["eac"] == D("112408.16")
    assert shown["eac"]["cpi_spi"]["vac"] == D("-12408.16")
    assert shown["tcpi_bac"] == D("1.02")
    assert shown["percent_scheduled"] == D("40.00")


# --- Example 3 --------------------------------------------------------------------------------
# Kathy Schwalbe, "Information Technology Project Management", chapter 7 "Project Cost
# Management", end-of-chapter exercise 1: "Given the following information for a one-year
# project ...: PV = $23,000, EV = $20,000, AC = $25,000, BAC = $120,000" - find CV, SV, CPI,
# SPI and the EAC (inputs as reproduced at studylib.net/doc/9750501; answers worked by hand).
SCHWALBE = EarnedValue(bac=D("120000"), pv=D("23000"), ev=D("20000"), ac=D("25000"))


def test_schwalbe_exercise():
    shown = SCHWALBE.presented()
    assert shown["cv"] == D("-5000.00")  # 20,000 - 25,000
    assert shown["sv"] == D("-3000.00")  # 20,000 - 23,000
    assert shown["cpi"] == D("0.80")  # 20,000 / 25,000
    assert shown["spi"] == D("0.87")  # 20,000 / 23,000 = 0.869565...
    assert shown["eac"]["cpi"]["eac"] == D("150000.00")  # 120,000 / 0.8
    assert shown["eac"]["cpi"]["etc"] == D("125000.00")  # 150,000 - 25,000
    assert shown["eac"]["cpi"]["vac"] == D("-30000.00")  # 120,000 - 150,000
    # EAC(CPI x SPI) = 25,000 + 100,000 / (0.8 x 20/23) = 25,000 + 100,000 x 23 / 16
    #                = 25,000 + 143,750 = 168,750
    assert shown["eac"]["cpi_spi"]["eac"] == D("168750.00")
    assert shown["eac"]["budget"]["eac"] == D("125000.00")  # 25,000 + 100,000
    assert shown["tcpi_bac"] == D("1.05")  # 100,000 / 95,000 = 1.0526...
    assert shown["eac"]["cpi"]["tcpi"] == D("0.80")  # 100,000 / 125,000 = CPI
    assert shown["cv_percent"] == D("-25.00")  # -5,000 / 20,000
    assert shown["sv_percent"] == D("-13.04")  # -3,000 / 23,000 = -13.043...


# --- zero denominators ------------------------------------------------------------------------


def test_nothing_planned_spent_or_earned_gives_none_not_errors():
    value = EarnedValue(bac=D("0"), pv=D("0"), ev=D("0"), ac=D("0"))
    shown = value.presented()
    assert shown["spi"] is None and shown["cpi"] is None
    assert shown["eac"]["cpi"] == {
        "eac": None, "etc": None, "vac": None, "tcpi": None,
        "formula": "BAC \u00f7 CPI", "label": "Cost efficiency continues",
    }  # fmt: skip
    assert shown["eac"]["cpi_spi"]["eac"] is None
    assert shown["eac"]["budget"]["eac"] == D("0.00")
    assert shown["tcpi_bac"] is None
    assert shown["percent_complete"] is None and shown["percent_spent"] is None


def test_spent_but_nothing_earned_has_no_cpi_based_eac():
    value = EarnedValue(bac=D("1000"), pv=D("200"), ev=D("0"), ac=D("150"))
    assert value.cpi == D("0")
    assert value.eac("cpi") is None and value.etc("cpi") is None and value.vac("cpi") is None
    assert value.eac("cpi_spi") is None
    assert value.eac("budget") == D("1150")
    assert value.tcpi_bac == D("1000") / D("850")


def test_budget_spent_gives_no_tcpi_to_bac():
    assert evm.tcpi_to_bac(D("1000"), D("600"), D("1000")) is None  # BAC - AC = 0
    assert evm.tcpi_to_bac(D("1000"), D("600"), D("1200")) is None  # overrun: negative
    assert evm.tcpi_to_eac(D("1000"), D("600"), D("1200"), D("1200")) is None
    assert evm.tcpi_to_eac(D("1000"), D("600"), D("1200"), None) is None
    assert evm.tcpi_to_eac(D("1000"), D("600"), D("1200"), D("1600")) == D("1")


def test_unknown_eac_method_is_refused():
    with pytest.raises(ValueError, match="Unknown EAC method"):
        FENCE.eac("guess")


def test_presentation_rounds_half_even():
    assert evm.money(D("0.125")) == D("0.12")
    assert evm.money(D("0.135")) == D("0.14")
    assert evm.index(D("0.875")) == D("0.88")
    assert evm.index(D("0.865")) == D("0.86")
    assert evm.money(None) is None and evm.index(None) is None


def test_total_adds_scopes_and_indices_follow_the_sums():
    both = evm.total([FENCE, SCHWALBE])
    assert both == EarnedValue(bac=D("124000"), pv=D("26000"), ev=D("22500"), ac=D("27800"))
    assert both.cpi == D("22500") / D("27800")
    assert evm.total([]) == evm.EMPTY


def test_weighted_percent():
    # 10 days at 100 %, 30 days at 50 %, a milestone (weight 0) at 0 % -> (1,000 + 1,500) / 40
    assert evm.weighted_percent([(D(10), D(100)), (D(30), D(50)), (D(0), D(0))]) == D("62.5")
    assert evm.weighted_percent([(D(0), D(100))]) is None
    assert evm.weighted_percent([]) is None


# --- time-phasing -----------------------------------------------------------------------------


def test_spread_over_working_days_into_months():
    # 30 Jan 2026 (Fri) to 3 Feb 2026 (Tue): Fri 30 Jan in January, Mon 2 and Tue 3 Feb in
    # February: 3 working days, 900 -> January 300, February 600.
    parts = evm.spread(D("900"), dt.date(2026, 1, 30), dt.date(2026, 2, 3))
    assert parts == {dt.date(2026, 1, 1): D("300"), dt.date(2026, 2, 1): D("600")}


def test_spread_honours_the_calendar_and_adds_up_exactly():
    holiday = dt.date(2026, 2, 2)

    def working(day):
        return day.weekday() < 5 and day != holiday

    parts = evm.spread(D("100"), dt.date(2026, 1, 30), dt.date(2026, 2, 3), working)
    # two working days left (30 Jan, 3 Feb): 50 / 50
    assert parts == {dt.date(2026, 1, 1): D("50"), dt.date(2026, 2, 1): D("50")}
    thirds = evm.spread(D("100"), dt.date(2026, 3, 30), dt.date(2026, 4, 1))  # Mon-Wed
    assert sum(thirds.values()) == D("100")
    assert thirds == {  # March holds two of the three days, held to 1e-12
        dt.date(2026, 3, 1): D("66.666666666667"),
        dt.date(2026, 4, 1): D("33.333333333333"),
    }


def test_spread_without_working_days_uses_calendar_days():
    weekend = evm.spread(D("10"), dt.date(2026, 2, 28), dt.date(2026, 3, 1))  # Sat, Sun
    assert weekend == {dt.date(2026, 2, 1): D("5"), dt.date(2026, 3, 1): D("5")}
    with pytest.raises(ValueError):
        evm.spread(D("10"), dt.date(2026, 3, 2), dt.date(2026, 3, 1))


def test_phased_to_takes_the_status_month_pro_rata():
    plan = {dt.date(2026, 3, 1): D("2200"), dt.date(2026, 4, 1): D("4400")}
    # March 2026 has 22 working days; April 2026 has 22; 10 April (Fri) is the 8th.
    assert evm.working_days(dt.date(2026, 4, 1), dt.date(2026, 4, 30)) == 22
    assert evm.phased_to(plan, dt.date(2026, 2, 27)) == D("0")
    assert evm.phased_to(plan, dt.date(2026, 3, 31)) == D("2200")
    assert evm.phased_to(plan, dt.date(2026, 4, 10)) == D("2200") + D("4400") * D(8) / D(22)
    assert evm.phased_to(plan, dt.date(2026, 4, 11)) == evm.phased_to(plan, dt.date(2026, 4, 10))
    assert evm.phased_to(plan, dt.date(2026, 12, 31)) == D("6600")


def test_curve_points_are_month_ends_with_running_totals():
    plan = {dt.date(2026, 1, 1): D("1"), dt.date(2026, 3, 1): D("2")}
    months = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert evm.curve_points(plan, months) == [
        (dt.date(2026, 1, 31), D("1")),
        (dt.date(2026, 2, 28), D("1")),
        (dt.date(2026, 3, 31), D("3")),
    ]


# --- properties -------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)
positive = st.decimals(min_value=D("0.01"), max_value=10**9, places=2, allow_nan=False)


def _close(a: D, b: D) -> bool:
    return abs(a - b) <= D("1e-15") * max(D(1), abs(b))


@given(bac=amounts, pv=amounts, ev=amounts, ac=amounts)
def test_variance_identities(bac, pv, ev, ac):
    value = EarnedValue(bac=bac, pv=pv, ev=ev, ac=ac)
    assert value.cv == ev - ac
    assert value.sv == ev - pv
    assert value.eac("budget") - value.ac == bac - ev
    for method in evm.EAC_METHODS:
        eac = value.eac(method)
        if eac is not None:
            assert value.etc(method) == eac - ac
            assert value.vac(method) == bac - eac


@given(bac=positive, done=positive)
def test_eac_formulas_agree_when_cpi_and_spi_are_one(bac, done):
    assume(done <= bac)
    value = EarnedValue(bac=bac, pv=done, ev=done, ac=done)
    assert value.cpi == 1 and value.spi == 1
    assert value.eac("cpi") == value.eac("cpi_spi") == value.eac("budget") == bac
    assert value.vac("cpi") == 0
    assert value.etc("cpi") == bac - done


@given(bac=positive, ev=positive, ac=positive)
def test_vac_sign_follows_cpi(bac, ev, ac):
    value = EarnedValue(bac=bac, pv=ev, ev=ev, ac=ac)
    vac = value.vac("cpi")
    if ev < ac:
        assert vac < 0
    elif ev > ac:
        assert vac > 0
    else:
        assert vac == 0


@given(bac=positive, ev=positive, ac=positive)
def test_tcpi_to_the_cpi_estimate_is_the_cpi(bac, ev, ac):
    # (BAC - EV) / (BAC x AC / EV - AC) = EV / AC whenever work remains
    assume(ev < bac)
    value = EarnedValue(bac=bac, pv=ev, ev=ev, ac=ac)
    assert _close(value.tcpi_eac("cpi"), value.cpi)


@given(
    amount=amounts,
    start=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2028, 12, 31)),
    days=st.integers(min_value=0, max_value=500),
)
def test_spread_parts_add_up_exactly_and_never_go_negative(amount, start, days):
    parts = evm.spread(amount, start, start + dt.timedelta(days=days))
    assert sum(parts.values()) == amount
    assert all(part >= 0 for part in parts.values())
    assert all(month.day == 1 for month in parts)


@given(
    plan=st.dictionaries(
        st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 1)).map(evm.month_of),
        amounts,
        max_size=12,
    ),
    first=st.dates(min_value=dt.date(2025, 12, 1), max_value=dt.date(2028, 1, 31)),
    later=st.integers(min_value=0, max_value=120),
)
def test_phased_to_grows_with_the_date_up_to_the_total(plan, first, later):
    before = evm.phased_to(plan, first)
    after = evm.phased_to(plan, first + dt.timedelta(days=later))
    assert D(0) <= before <= after <= sum(plan.values(), D(0))
    assert evm.phased_to(plan, dt.date(2028, 1, 31)) == sum(plan.values(), D(0))
