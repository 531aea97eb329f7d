"""The RAG rules (reporting/rag.py): each rule at its boundaries, the reasons an executive reads,
grey when there is nothing to rate, and overall = the worst rated dimension."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting import rag
from reporting.rag import (
    CostFacts,
    QualityFacts,
    Rag,
    RiskFacts,
    ScheduleFacts,
    ScopeFacts,
    Thresholds,
)

T = Thresholds()


@pytest.mark.parametrize(
    ("spi", "expected"),
    [
        (D("1.02"), Rag.GREEN),
        (D("0.95"), Rag.GREEN),  # at the amber threshold: not below it
        (D("0.949"), Rag.AMBER),
        (D("0.90"), Rag.AMBER),
        (D("0.899"), Rag.RED),
        (None, Rag.GREEN),  # nothing planned to date yet
    ],
)
def test_schedule_spi_boundaries(spi, expected):
    assert rag.schedule(ScheduleFacts(has_baseline=True, spi=spi)).rag is expected


def test_schedule_reason_names_the_spi_and_the_slipped_milestones():
    result = rag.schedule(
        ScheduleFacts(
            has_baseline=True,
            spi=D("0.87"),
            slipped_milestones=("Wave 1 go-live", "UAT exit", "SIT exit", "Mock load 3"),
        )
    )
    assert result.rag is Rag.RED
    assert result.reason == (
        "SPI 0.87 is below 0.90 and 4 milestones slipped against the baseline "
        "(Wave 1 go-live, UAT exit, SIT exit, …)."
    )


def test_schedule_slipped_milestones_alone():
    one = rag.schedule(ScheduleFacts(True, D("1.00"), ("UAT exit",)))
    assert (one.rag, one.reason) == (
        Rag.AMBER,
        "1 milestone slipped against the baseline (UAT exit).",
    )
    assert rag.schedule(ScheduleFacts(True, D("1.00"), ("a", "b", "c"))).rag is Rag.RED


def test_no_baseline_is_not_rated_and_says_so():
    result = rag.schedule(ScheduleFacts(has_baseline=False))
    assert result.rag is Rag.GREY
    assert "No baseline" in result.reason


def test_green_schedule_reason():
    assert rag.schedule(ScheduleFacts(True, D("1.04"))).reason == (
        "SPI 1.04; no milestone slipped against the baseline."
    )


@pytest.mark.parametrize(
    ("cpi", "overrun", "expected"),
    [
        (D("1.00"), D("0"), Rag.GREEN),
        (D("0.95"), D("4.9"), Rag.GREEN),
        (D("0.94"), D("0"), Rag.AMBER),
        (D("1.00"), D("5"), Rag.AMBER),  # 5 % over budget is amber
        (D("1.00"), D("10"), Rag.RED),
        (D("0.89"), D("-3"), Rag.RED),
        (None, None, Rag.GREEN),
    ],
)
def test_cost_boundaries(cpi, overrun, expected):
    assert rag.cost(CostFacts(True, cpi, overrun)).rag is expected


def test_cost_reasons():
    red = rag.cost(CostFacts(True, D("0.85"), D("12.34")))
    assert red.reason == "CPI 0.85 is below 0.90 and the forecast is 12.3 % over budget."
    green = rag.cost(CostFacts(True, D("1.10"), D("-2")))
    assert green.reason == "CPI 1.10, forecast 2.0 % under budget."
    assert rag.cost(CostFacts(has_budget=False)).rag is Rag.GREY
    assert rag.cost(CostFacts(True)).reason == "Nothing spent yet."


def test_scope_open_and_overdue_change_requests():
    assert rag.scope(ScopeFacts(open_changes=4)).rag is Rag.GREEN
    assert rag.scope(ScopeFacts(open_changes=5)).rag is Rag.AMBER
    overdue = rag.scope(ScopeFacts(open_changes=2, overdue_changes=("CR-3",)))
    assert (overdue.rag, overdue.reason) == (
        Rag.AMBER,
        "1 change request past its decision date (CR-3).",
    )
    red = rag.scope(ScopeFacts(open_changes=11, overdue_changes=("CR-1", "CR-2")))
    assert red.rag is Rag.RED
    assert red.reason == (
        "11 change requests open and 2 change requests past their decision date (CR-1, CR-2)."
    )


def test_risk_exposure_and_new_high_risks():
    assert rag.risk(RiskFacts(D("59"))).rag is Rag.GREEN
    assert rag.risk(RiskFacts(D("60"))).rag is Rag.AMBER
    result = rag.risk(RiskFacts(D("130"), ("RSK-4",)))
    assert result.rag is Rag.RED
    assert result.reason == "Risk exposure 130 is at or above 120 and 1 new high risk (RSK-4)."


def test_quality_one_severity_one_defect_is_red():
    result = rag.quality(QualityFacts(open_sev1=("DEF-3",)))
    assert (result.rag, result.reason) == (Rag.RED, "1 open severity-1 defect (DEF-3).")
    assert rag.quality(QualityFacts(open_sev2=("DEF-1",))).rag is Rag.AMBER
    assert rag.quality(QualityFacts(open_sev2=tuple(f"DEF-{n}" for n in range(5)))).rag is Rag.RED
    assert rag.quality(QualityFacts()).rag is Rag.GREEN


def test_thresholds_are_per_program():
    strict = Thresholds(sev2_amber=1, sev2_red=1, spi_amber=D("0.99"))
    assert rag.quality(QualityFacts(open_sev2=("DEF-1",)), strict).rag is Rag.RED
    assert rag.schedule(ScheduleFacts(True, D("0.98")), strict).rag is Rag.AMBER


def test_overall_is_the_worst_rated_dimension_and_names_it():
    ratings = rag.assess(
        ScheduleFacts(True, D("0.93")),
        CostFacts(True, D("0.80")),
        ScopeFacts(),
        RiskFacts(D("10")),
        QualityFacts(open_sev1=("DEF-1",)),
    )
    assert ratings["overall"] == rag.Assessment(Rag.RED, "Cost and quality are red.")
    assert list(ratings) == [*rag.DIMENSIONS, "overall"]


def test_overall_ignores_grey_unless_nothing_is_rated():
    ratings = rag.assess(
        ScheduleFacts(False), CostFacts(False), ScopeFacts(), RiskFacts(), QualityFacts()
    )
    assert ratings["overall"].rag is Rag.GREEN
    only_grey = rag.overall([("schedule", rag.schedule(ScheduleFacts(False)))])
    assert only_grey.rag is Rag.GREY


indices = st.decimals(min_value=D("0"), max_value=D("3"), places=3)


@given(indices, indices)
def test_a_worse_spi_never_rates_better(a, b):
    low, high = sorted((a, b))
    worse = rag.schedule(ScheduleFacts(True, low)).rag.severity
    better = rag.schedule(ScheduleFacts(True, high)).rag.severity
    assert worse >= better


@given(st.integers(0, 30), st.integers(0, 30))
def test_more_severe_defects_never_rate_better(a, b):
    few, many = sorted((a, b))

    def rating(n):
        return rag.quality(QualityFacts(open_sev2=tuple(f"DEF-{i}" for i in range(n)))).rag

    assert rating(many).severity >= rating(few).severity


@given(st.lists(st.sampled_from([Rag.GREEN, Rag.AMBER, Rag.RED, Rag.GREY]), min_size=1, max_size=5))
def test_overall_equals_the_worst_rated(levels):
    result = rag.overall([(f"d{i}", rag.Assessment(level, "x")) for i, level in enumerate(levels)])
    rated = [level for level in levels if level is not Rag.GREY]
    assert result.rag is (max(rated, key=lambda r: r.severity) if rated else Rag.GREY)
