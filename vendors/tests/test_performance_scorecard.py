"""Scorecard maths on a hand-built example, the trend, and query counts that do not grow.

The program runs on New York time, so a submission at 02:00 UTC on 11 March is still 10 March
there: on time for a deliverable due on the 10th.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from programs.tests.factories import ProgramFactory
from vendors.periods import Period
from vendors.selectors import performance as selectors
from vendors.services import performance as services
from vendors.tests.factories import make_contract, make_vendor
from vendors.tests.performance_factories import (
    make_deliverable,
    make_escalation,
    make_sla,
    measure,
    review,
    submit,
    utc,
)

pytestmark = pytest.mark.django_db

MARCH = Period.parse("2026-03")
TODAY = dt.date(2026, 4, 10)


@pytest.fixture
def example():
    program = ProgramFactory(code="SC", time_zone="America/New_York")
    vendor = make_vendor(program, name="Alpha")
    other = make_vendor(program, name="Beta")
    contract = make_contract(program, vendor)
    other_contract = make_contract(program, other, title="Beta SOW")

    # On-time delivery, March: d1 and d2 on time (d2 by New York date), d3 late, d4 overdue,
    # d5 withdrawn (not counted), d6 due in April (not counted). February: one on time.
    d1 = make_deliverable(contract, dt.date(2026, 3, 5), title="d1")
    d2 = make_deliverable(contract, dt.date(2026, 3, 10), title="d2")
    d3 = make_deliverable(contract, dt.date(2026, 3, 20), title="d3")
    make_deliverable(contract, dt.date(2026, 3, 25), title="d4")
    make_deliverable(contract, dt.date(2026, 3, 31), title="d5", status="withdrawn")
    make_deliverable(contract, dt.date(2026, 4, 2), title="d6")
    feb = make_deliverable(contract, dt.date(2026, 2, 10), title="feb")
    s1 = submit(d1, utc(2026, 3, 4, 15))
    s2 = submit(d2, utc(2026, 3, 11, 2))  # 10 March, 22:00 in New York
    s3 = submit(d3, utc(2026, 3, 25, 12))
    submit(feb, utc(2026, 2, 9, 12))

    # First-pass acceptance, March: d1 accepted in round 1, d2 rejected then accepted in round
    # 2 (round 2 not counted), d3 accepted on 31 March New York time (1 April UTC).
    review(s1, utc(2026, 3, 6, 12), accepted=True)
    review(s2, utc(2026, 3, 12, 12), accepted=False)
    review(submit(d2, utc(2026, 3, 14, 12), round=2), utc(2026, 3, 15, 12), accepted=True)
    review(s3, utc(2026, 4, 1, 3), accepted=True)

    # SLA attainment, March (measured periods ending in March): 8 measurements, 3 breached.
    monthly = make_sla(program, contract)
    hours = make_sla(
        program, contract, metric="P1 response", target=4, unit="hours", direction="at_most"
    )
    weekly = make_sla(program, contract, metric="Tickets in SLA", target=95, period="weekly")
    quarterly = make_sla(program, contract, metric="Backups", target=98, period="quarterly")
    measure(monthly, dt.date(2026, 3, 1), "99.7")
    measure(monthly, dt.date(2026, 2, 1), "99.9")  # February: 1 of 1 met
    measure(hours, dt.date(2026, 3, 1), "5")  # breached (at most 4)
    for start, value in [
        (dt.date(2026, 2, 23), 99),  # ends 1 March: counts in March
        (dt.date(2026, 3, 2), 96),
        (dt.date(2026, 3, 9), 90),  # breached
        (dt.date(2026, 3, 16), 97),
        (dt.date(2026, 3, 23), 95),  # exactly on target: met
        (dt.date(2026, 3, 30), 80),  # ends 5 April: not March
    ]:
        measure(weekly, start, value)
    measure(quarterly, dt.date(2026, 1, 1), 97)  # Q1 ends in March; breached

    # Open escalations at 31 March: e1 and e3. At 28 February: e2.
    make_escalation(program, vendor, raised_on=dt.date(2026, 3, 3), title="e1")
    e2 = make_escalation(program, vendor, raised_on=dt.date(2026, 2, 1), title="e2")
    services.escalation_resolve(
        actor=None, escalation=e2, expected_version=1, outcome="Plan agreed",
        resolved_on=dt.date(2026, 3, 20),
    )  # fmt: skip
    e3 = make_escalation(program, vendor, raised_on=dt.date(2026, 3, 15), title="e3")
    services.escalation_close(
        actor=None, escalation=e3, expected_version=1, outcome="Withdrawn",
        resolved_on=dt.date(2026, 4, 2),
    )  # fmt: skip
    make_escalation(program, vendor, raised_on=dt.date(2026, 4, 1), title="e4")

    # Beta: one deliverable on time, one measurement met.
    b1 = make_deliverable(other_contract, dt.date(2026, 3, 12), title="b1")
    submit(b1, utc(2026, 3, 12, 9))
    measure(make_sla(program, other_contract), dt.date(2026, 3, 1), 100)
    return program, vendor, other


def test_scorecard_of_the_example_gives_the_hand_computed_percentages(example):
    program, vendor, _ = example
    card = selectors.scorecard(program=program, vendor=vendor, period=MARCH, today=TODAY)
    # on time: d1, d2 of d1-d4 = 2/4; first pass: d1, d3 of d1-d3 = 2/3; SLA: 5 of 8 met
    assert (card.on_time.part, card.on_time.whole, card.on_time.value) == (2, 4, Decimal("50.0"))
    assert (card.first_pass.part, card.first_pass.whole) == (2, 3)
    assert card.first_pass.value == Decimal("66.7")
    assert (card.sla.part, card.sla.whole, card.sla.value) == (5, 8, Decimal("62.5"))
    assert card.escalations.value == 2
    assert [m.colour for m in card.measures] == ["red", "red", "red", "red"]
    # against February: on time 1/1 = 100, no round-1 review, SLA 1/1 = 100, 1 open (e2)
    assert card.on_time.change == {
        "direction": "down", "delta": Decimal("-50.0"), "good": False, "previous": Decimal("100.0")
    }  # fmt: skip
    assert card.first_pass.change is None
    assert card.sla.change["direction"] == "down"
    assert card.escalations.change == {"direction": "up", "delta": 1, "good": False, "previous": 1}


def test_overdue_counts_only_once_the_due_date_has_passed(example):
    program, vendor, _ = example
    # On 21 March, d4 (due 25 March) is not due yet and d3 (due 20th) is not submitted yet.
    card = selectors.scorecard(
        program=program, vendor=vendor, period=MARCH, today=dt.date(2026, 3, 21)
    )
    assert (card.on_time.part, card.on_time.whole) == (2, 3)  # d3 submitted later anyway


def test_scorecards_list_every_vendor_with_its_own_figures(example):
    program, _vendor, _other = example
    cards = selectors.scorecards(program=program, period=MARCH, today=TODAY)
    assert [c.vendor.name for c in cards] == ["Alpha", "Beta"]
    beta = cards[1]
    assert (beta.on_time.value, beta.first_pass.value, beta.sla.value, beta.escalations.value) == (
        Decimal("100.0"), None, Decimal("100.0"), 0
    )  # fmt: skip
    assert [m.colour for m in beta.measures] == ["green", None, "green", "green"]
    assert cards[0].on_time.value == Decimal("50.0")


def test_quarter_scorecard_adds_up_the_quarter(example):
    program, vendor, _ = example
    q1 = Period.parse("2026-Q1")
    card = selectors.scorecard(program=program, vendor=vendor, period=q1, today=TODAY)
    assert (card.on_time.part, card.on_time.whole) == (3, 5)  # feb + d1 + d2 of feb, d1-d4
    assert (card.sla.part, card.sla.whole) == (6, 9)  # + February's monthly
    assert card.escalations.value == 2


def test_trend_has_one_row_per_month_with_the_same_figures(example):
    program, vendor, _ = example
    trend = selectors.scorecard_trend(
        program=program, vendor=vendor, period=Period.parse("2026-04"), today=TODAY, count=3
    )
    assert [p.slug for p in trend.periods] == ["2026-02", "2026-03", "2026-04"]
    data = trend.chart_data()
    assert data["on_time"] == [100.0, 50.0, 0.0]  # April: d6, due 2 April, overdue
    assert data["first_pass"] == [None, 66.7, None]
    assert data["sla"] == [100.0, 62.5, 0.0]  # April: the week 30 Mar-5 Apr, breached
    assert data["escalations"] == [1, 2, 2]  # April: e1 and e4 open (e3 closed 2 April)


def _scorecard_queries(program, vendor, count_queries) -> list[int]:
    counts = []
    for call in (
        lambda: selectors.scorecards(program=program, period=MARCH, today=TODAY),
        lambda: selectors.scorecard(program=program, vendor=vendor, period=MARCH, today=TODAY),
        lambda: selectors.scorecard_trend(
            program=program, vendor=vendor, period=MARCH, today=TODAY
        ),
        lambda: list(selectors.service_level_list(program=program, today=TODAY)),
    ):
        with count_queries() as ctx:
            call()
        counts.append(len(ctx.captured_queries))
    return counts


def test_query_counts_do_not_grow_with_vendors_deliverables_or_measurements(example, count_queries):
    program, vendor, _other = example
    before = _scorecard_queries(program, vendor, count_queries)
    assert before == [5, 4, 4, 1]
    # many more rows of every kind, and more vendors
    for n in range(3):
        extra = make_vendor(program, name=f"Gamma {n}")
        contract = make_contract(program, extra, title=f"Gamma SOW {n}")
        sla = make_sla(program, contract, period="weekly")
        for week in range(6):
            measure(sla, dt.date(2026, 3, 2) + dt.timedelta(weeks=week), 90 + week)
        for day in range(1, 6):
            d = make_deliverable(contract, dt.date(2026, 3, day))
            review(submit(d, utc(2026, 3, day, 8)), utc(2026, 3, day + 1, 8), accepted=day % 2)
        make_escalation(program, extra, raised_on=dt.date(2026, 3, 1))
    assert _scorecard_queries(program, vendor, count_queries) == before
