"""Defect numbers: open by severity and status, ageing buckets, average and oldest age, mean time
to fix, and the readiness helper's open_defects_summary; each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from programs.tests.factories import ProgramFactory
from releases.selectors import defects as selectors
from releases.services import defects as services
from releases.tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def raised(program, manager, days_ago: float, severity: int = 2, **fields):
    """A defect raised `days_ago` days before NOW (the clock travels there)."""
    return services.defect_create(
        actor=manager, program=program, title=f"Sev {severity}, {days_ago} d", severity=severity,
        **fields,
    )  # fmt: skip


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def at(clock, days_ago: float):
    clock.move_to(NOW - dt.timedelta(days=days_ago), tick=False)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "d0_7"), (7, "d0_7"), (8, "d8_14"), (14, "d8_14"), (15, "d15_30"), (30, "d15_30"),
     (31, "d31"), (400, "d31")],
)  # fmt: skip
def test_bucket_edges(days, bucket):
    assert selectors.bucket_of(days).key == bucket


def test_ageing_counts_open_defects_by_severity_and_days_open(program, manager, clock):
    # (days ago, severity): bucket edges on both sides
    for days, severity in [(0.5, 1), (7.9, 1), (8.1, 1), (14.5, 2), (15.2, 2), (30.9, 3),
                           (31.0, 3), (60, 4), (3, 2)]:  # fmt: skip
        at(clock, days)
        raised(program, manager, days, severity)
    at(clock, 20)
    closed = raised(program, manager, 20, 1, owner=manager)
    services.defect_transition(
        actor=manager, defect=closed, to="rejected", rejection_reason="cannot_reproduce"
    )
    clock.move_to(NOW, tick=False)

    summary = selectors.defect_summary(program=program)

    rows = {row["severity"]: row["cells"] for row in summary["ageing"]}
    assert rows == {1: [2, 1, 0, 0], 2: [1, 1, 1, 0], 3: [0, 0, 1, 1], 4: [0, 0, 0, 1]}
    assert summary["bucket_totals"] == [3, 2, 2, 2]
    assert summary["open_total"] == 9
    assert [s["count"] for s in summary["open_by_severity"]] == [3, 3, 2, 1]
    expected_average = (0.5 + 7.9 + 8.1 + 14.5 + 15.2 + 30.9 + 31.0 + 60 + 3) / 9
    assert summary["average_age_days"] == round(expected_average, 1)
    assert summary["oldest"] == {"key": "DEF-8", "title": "Sev 4, 60 d", "days": 60}
    by_status = {row["status"]: row["count"] for row in summary["by_status"]}
    assert (by_status["new"], by_status["rejected"], by_status["closed"]) == (9, 1, 0)


def test_mean_time_to_fix_is_raised_to_resolved(program, manager, clock):
    at(clock, 10)
    first = raised(program, manager, 10, owner=manager)
    second = raised(program, manager, 10, owner=manager)
    for defect in (first, second):
        services.defect_transition(actor=manager, defect=defect, to="triaged")
        services.defect_transition(actor=manager, defect=defect, to="in_progress")
    at(clock, 8)  # first fixed after 2 days
    services.defect_transition(actor=manager, defect=first, to="fixed", resolution="Done.")
    at(clock, 4)  # second after 6 days
    services.defect_transition(actor=manager, defect=second, to="fixed", resolution="Done.")
    clock.move_to(NOW, tick=False)

    summary = selectors.defect_summary(program=program)

    assert summary["mean_time_to_fix_days"] == 4.0
    assert summary["fixed_count"] == 2


def test_an_empty_program_has_no_averages(program):
    summary = selectors.defect_summary(program=program)

    assert (summary["open_total"], summary["average_age_days"], summary["oldest"]) == (
        0,
        None,
        None,
    )
    assert summary["mean_time_to_fix_days"] is None


def test_days_open_runs_to_closed_at(program, manager, clock):
    at(clock, 12)
    defect = raised(program, manager, 12, owner=manager)
    at(clock, 2)
    defect = services.defect_transition(actor=manager, defect=defect, to="deferred", comment="x")
    clock.move_to(NOW, tick=False)

    assert selectors.days_open(defect) == 10


def test_the_summary_takes_three_queries_whatever_the_rows(
    program, manager, django_assert_num_queries
):
    raised(program, manager, 0)
    with django_assert_num_queries(3):
        selectors.defect_summary(program=program)
    for _ in range(5):
        raised(program, manager, 0, severity=1)
    with django_assert_num_queries(3):
        selectors.defect_summary(program=program)


def test_open_defects_summary_for_a_release(program, manager):
    release = factories.make_release(program)
    later = factories.make_release(program)
    in_scope = factories.make_requirement(program)
    out_of_scope = factories.make_requirement(program)
    release.requirements.add(in_scope)
    raised(program, manager, 0, 1, target_release=release)  # targeted
    raised(program, manager, 0, 1, requirement=in_scope, target_release=release)  # both: once
    raised(program, manager, 0, 2, requirement=in_scope)  # in scope
    raised(program, manager, 0, 3, requirement=out_of_scope)  # elsewhere
    raised(program, manager, 0, 4, target_release=later)  # another release
    deferred = raised(program, manager, 0, 1, target_release=release)
    services.defect_transition(actor=manager, defect=deferred, to="deferred", comment="Later")
    factories.make_defect(ProgramFactory(), severity=1)  # another program

    summary = selectors.open_defects_summary(program=program, release=release)

    assert summary["by_severity"] == {1: 2, 2: 1, 3: 0, 4: 0}
    assert summary["total"] == 3
    assert summary["keys"] == {1: ["DEF-1", "DEF-2"], 2: ["DEF-3"], 3: [], 4: []}
    everything = selectors.open_defects_summary(program=program)
    assert everything["by_severity"] == {1: 2, 2: 1, 3: 1, 4: 1}


def test_open_defects_summary_is_one_query(program, manager, django_assert_num_queries):
    release = factories.make_release(program)
    for _ in range(4):
        raised(program, manager, 0, target_release=release)

    with django_assert_num_queries(1):
        selectors.open_defects_summary(program=program, release=release)
