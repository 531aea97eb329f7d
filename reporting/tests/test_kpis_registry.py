"""The computed KPI sources: each equals the owning domain's own figure (its selector, the number
on its page), on small factory data and on the demo program; a program with nothing to measure
gets None rather than a made-up zero."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from budgets.selectors.evm import evm_report, program_today
from budgets.selectors.overview import overview_figures
from governance.models import ChangeRequest
from governance.tests.factories_changes import make_cast, make_cr
from programs.models import Program
from programs.tests.factories import ProgramFactory
from releases.models import CycleStatus, RunResult
from releases.models import TestCycle as Cycle
from releases.selectors.testing import cycle_stats
from releases.tests import factories as rf
from reporting.kpis import SOURCES, Measure, measure_all
from reporting.periods import period_of
from risks.models import Action, Risk
from risks.selectors import raid_items_overdue, risk_exposure
from risks.tests.factories import make_action, make_risk
from schedules.selectors.baselines import baseline_comparison, baseline_current
from schedules.selectors.gantt import milestone_chart

pytestmark = pytest.mark.django_db


def _week(program) -> str:
    return period_of(program_today(program))


def test_every_source_has_a_complete_standard_definition():
    assert len(SOURCES) == 13
    for code, source in SOURCES.items():
        fields = source.definition_fields()
        assert fields["source"] == code and fields["formula"] and fields["name"]
        limits = [v for v in (source.target, source.amber, source.red) if v is not None]
        # the defaults agree with the direction, as the services require of every definition
        assert limits == sorted(limits, reverse=source.direction == "higher"), code


def test_a_program_with_nothing_to_measure_gets_none_not_zero():
    program = ProgramFactory()
    values = measure_all(program, _week(program), SOURCES)
    assert values["schedule_variance"] is None  # no baseline
    assert values["spi"] is None and values["cpi"] is None  # no budget
    assert values["budget_burn"] is None and values["burn_vs_plan"] is None
    assert values["milestone_hit_rate"] is None  # no milestone due
    assert values["defect_escape_rate"] is None and values["test_pass_rate"] is None
    assert values["change_cycle_time"] is None and values["action_cycle_time"] is None
    # counts are genuinely zero
    assert values["risk_exposure"] == 0 and values["open_high_risks"] == 0
    assert values["overdue_actions"] == 0


def test_risk_sources_equal_the_raid_logs_figures():
    program = ProgramFactory()
    make_risk(program, probability=5, impact_cost=4)  # critical
    make_risk(program, probability=3, impact_cost=4)  # high
    make_risk(program, probability=1, impact_cost=2)  # low
    closed = make_risk(program, probability=5, impact_cost=5)
    rf.set_state(closed, status="closed")
    week = _week(program)
    figures = risk_exposure(program=program)
    scores = Risk.objects.filter(program=program, status__in=Risk.ACTIVE_STATUSES)
    assert scores.count() == 3
    total = sum(scores.values_list("score", flat=True))
    assert SOURCES["risk_exposure"].compute(program, week) == figures["total_exposure"] == total
    high = Risk.objects.filter(program=program, status__in=Risk.ACTIVE_STATUSES, score__gte=10)
    assert SOURCES["open_high_risks"].compute(program, week) == high.count() == 2


def test_action_sources_count_overdue_and_time_raised_to_completed():
    program = ProgramFactory()
    today = program_today(program)
    make_action(program, due_date=today - dt.timedelta(days=3))
    make_action(program, due_date=today - dt.timedelta(days=1))
    make_action(program, due_date=today)  # due today: not overdue
    done = make_action(program, due_date=today - dt.timedelta(days=9))
    raised = timezone.now() - dt.timedelta(days=12)
    rf.set_state(done, status="done", completed_on=today - dt.timedelta(days=2), created_at=raised)
    other = make_action(program)
    rf.set_state(other, status="done", completed_on=today, created_at=raised)
    old = make_action(program)  # completed before the 90-day window: left out
    rf.set_state(old, status="done", completed_on=today - dt.timedelta(days=120))
    week = _week(program)
    overdue = [i for i in raid_items_overdue(program=program, today=today) if isinstance(i, Action)]
    assert SOURCES["overdue_actions"].compute(program, week) == len(overdue) == 2
    local_raised = raised.astimezone(Measure(program, week).zone).date()
    expected = (
        (today - dt.timedelta(days=2) - local_raised).days + (today - local_raised).days
    ) / 2
    assert SOURCES["action_cycle_time"].compute(program, week) == Decimal(str(expected))


def test_change_cycle_time_is_the_mean_of_submitted_to_decided():
    cast = make_cast("KPC")
    program = cast.program
    first = make_cr(program, cast.contributor, status="approved", actor_for=cast)
    second = make_cr(program, cast.contributor, status="rejected", actor_for=cast)
    make_cr(program, cast.contributor, status="submitted", actor_for=cast)  # not decided
    now = timezone.now()
    rf.set_state(first, submitted_at=now - dt.timedelta(days=10), decided_at=now)
    rf.set_state(second, submitted_at=now - dt.timedelta(days=5, hours=12), decided_at=now)
    decided = ChangeRequest.objects.filter(program=program, decided_at__isnull=False)
    spans = [(c.decided_at - c.submitted_at).total_seconds() / 86400 for c in decided]
    assert len(spans) == 2
    value = SOURCES["change_cycle_time"].compute(program, _week(program))
    assert value == Decimal(str(sum(spans) / 2)).quantize(Decimal("0.1")) == Decimal("7.8")


def test_defect_escape_rate_is_the_share_not_found_by_a_test_cycle():
    program = ProgramFactory()
    cycle = rf.make_cycle(program)
    for _ in range(3):
        rf.make_defect(program, found_in_cycle=cycle)
    rf.make_defect(program)  # found outside testing: escaped
    rejected = rf.make_defect(program)
    rf.set_state(rejected, status="rejected")  # not a defect: left out
    assert SOURCES["defect_escape_rate"].compute(program, _week(program)) == Decimal("25.0")


def test_pass_rate_is_the_running_cycles_latest_results():
    program = ProgramFactory()
    running = rf.make_cycle(program, status=CycleStatus.ACTIVE)
    results = [RunResult.PASS, RunResult.PASS, RunResult.FAIL, RunResult.BLOCKED]
    for result in [*results, None]:
        planned = rf.plan_case(running, rf.make_case(program))
        if result:
            rf.record_run(planned, result)
    closed = rf.make_cycle(program, status=CycleStatus.CLOSED)
    rf.record_run(rf.plan_case(closed, rf.make_case(program)), RunResult.FAIL)  # not counted
    stats = cycle_stats(Cycle.objects.filter(pk=running.pk))[running.pk]
    value = SOURCES["test_pass_rate"].compute(program, _week(program))
    assert value == Decimal(str(stats.pass_rate)) == Decimal("50.0")
    # with no cycle running, the most recently closed one counts
    rf.set_state(running, status=CycleStatus.PLANNED)
    assert SOURCES["test_pass_rate"].compute(program, _week(program)) == Decimal("0.0")


# --- on the demo program: every source equals the domain page's figure -------------------------


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def erp(seeded, db) -> Program:
    return Program.objects.get(code="ERP")


def test_the_demo_programs_sources_equal_the_domain_pages(erp):
    today = program_today(erp)
    week = _week(erp)
    values = measure_all(erp, week, SOURCES)
    baseline = baseline_current(program=erp)
    summary = baseline_comparison(program=erp, baseline=baseline).summary
    assert values["schedule_variance"] == summary.finish_variance_days
    total = evm_report(erp, status_date=today).total.value
    cents = Decimal("0.01")
    assert (values["spi"], values["cpi"]) == (total.spi.quantize(cents), total.cpi.quantize(cents))
    assert values["burn_vs_plan"] == (total.ac / total.pv * 100).quantize(Decimal("0.1"))
    figures = overview_figures(erp, today)
    assert values["budget_burn"] == figures.spent_percent
    assert values["risk_exposure"] == risk_exposure(program=erp)["total_exposure"]
    due = [
        m for m in milestone_chart(erp)["milestones"]
        if m["baseline_finish"] and m["baseline_finish"] <= today
    ]  # fmt: skip
    kept = [m for m in due if m["complete"] and m["finish"] <= m["baseline_finish"]]
    assert due and values["milestone_hit_rate"] == (Decimal(len(kept)) / len(due) * 100).quantize(
        Decimal("0.1")
    )
    running = Cycle.objects.filter(program=erp, status=CycleStatus.ACTIVE)
    stats = cycle_stats(running).values()
    passed, executed = sum(s.passed for s in stats), sum(s.executed for s in stats)
    assert values["test_pass_rate"] == (Decimal(passed) / executed * 100).quantize(Decimal("0.1"))
    overdue = [i for i in raid_items_overdue(program=erp, today=today) if isinstance(i, Action)]
    assert values["overdue_actions"] == len(overdue) > 0
    # every value fits a KpiValue (four decimal places)
    assert all(v is None or -v.as_tuple().exponent <= 4 for v in values.values())
