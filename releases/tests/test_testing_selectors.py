"""Testing selectors: the stats math, cycle_stats in one query, per requirement and tester."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from releases.models import TestCycle as Cycle
from releases.selectors import testing as selectors
from releases.selectors.testing import Stats
from releases.tests import factories
from releases.tests.testing_factories import contributor, planned

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stats", "executed", "not_run", "pct", "rate"),
    [
        (Stats(), 0, 0, 0.0, None),
        (Stats(planned=4), 0, 4, 0.0, None),
        (Stats(planned=3, passed=1, failed=1), 2, 1, 66.7, 50.0),
        (Stats(planned=20, passed=18, failed=1, blocked=1), 20, 0, 100.0, 90.0),
        (Stats(planned=40, passed=37, failed=2), 39, 1, 97.5, 94.9),
    ],
)
def test_stats_math(stats, executed, not_run, pct, rate):
    assert (stats.executed, stats.not_run, stats.pct_executed, stats.pass_rate) == (
        executed,
        not_run,
        pct,
        rate,
    )


def test_cycle_stats_in_one_query_with_empty_cycles(program):
    cc = planned(program)
    planned(program, cycle=cc.cycle)
    third = planned(program, cycle=cc.cycle)
    factories.record_run(cc, "pass")
    factories.record_run(third, "blocked")
    empty = factories.make_cycle(program)
    with CaptureQueriesContext(connection) as ctx:
        stats = selectors.cycle_stats(Cycle.objects.filter(program=program))
    assert len(ctx.captured_queries) == 1
    assert stats[cc.cycle_id].as_dict() == {
        "planned": 3,
        "not_run": 1,
        "passed": 1,
        "failed": 0,
        "blocked": 1,
        "executed": 2,
        "pct_executed": 66.7,
        "pass_rate": 50.0,
    }
    assert stats[empty.pk] == Stats()


def test_cycle_stats_count_the_latest_result_only(program):
    cc = planned(program)
    factories.record_run(cc, "fail")
    factories.record_run(cc, "pass")  # the retest
    assert selectors.stats_of(cc.cycle) == Stats(planned=1, passed=1)


def test_requirement_stats_per_requirement_and_unlinked(program):
    r1, r2 = factories.make_requirement(program), factories.make_requirement(program)
    a = planned(program, requirements=[r1, r2])
    b = planned(program, cycle=a.cycle, requirements=[r2])
    planned(program, cycle=a.cycle)  # verifies no requirement
    factories.record_run(a, "pass")
    factories.record_run(b, "fail")
    rows = selectors.requirement_stats(program=program, cycles=Cycle.objects.filter(pk=a.cycle_id))
    assert [(r["key"], r["stats"]) for r in rows] == [
        (r1.key, Stats(planned=1, passed=1)),
        (r2.key, Stats(planned=2, passed=1, failed=1)),
        (None, Stats(planned=1)),
    ]


def test_tester_stats(program):
    tester = contributor(program)
    a = planned(program, tester=tester)
    planned(program, cycle=a.cycle)
    factories.record_run(a, "pass")
    rows = selectors.tester_stats(cycle=a.cycle)
    assert [(r["id"], r["stats"]) for r in rows] == [
        (tester.pk, Stats(planned=1, passed=1)),
        (None, Stats(planned=1)),
    ]
