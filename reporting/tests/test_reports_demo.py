"""The demo status reports: eight published weeks ending last week, and this week's draft; their
figures tell one story and each report's ratings follow from its own figures and overrides."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from budgets.selectors.evm import program_today
from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, manager_of, member
from reporting import demo_reports, rag
from reporting.collect import collect
from reporting.models import ReportStatus, StatusReport
from reporting.periods import period_of, shift
from reporting.selectors.common import thresholds_of
from reporting.selectors.reports import report_history, report_trend
from reporting.snapshot import from_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    program = ProgramFactory(code="DEMO", name="Demo story", time_zone="Europe/Berlin")
    lead = member(program, Role.CONTRIBUTOR).user
    member(program, Role.COORDINATOR)
    WorkstreamFactory(program=program, name="Finance & Controlling", lead=lead)
    WorkstreamFactory(program=program, name="Data Migration")
    return program


def test_eight_published_weeks_and_this_weeks_draft_tell_a_consistent_story(program):
    counts = demo_reports.build(program, {"story_reports": True})
    assert counts["published status reports"] == 8 and counts["draft status reports"] == 1
    this_week = period_of(program_today(program))
    history = report_history(program, weeks=10)
    assert [r.period for r in history] == [shift(this_week, -n) for n in range(1, 9)]
    draft = StatusReport.objects.get(program=program, period=this_week)
    assert draft.status == ReportStatus.DRAFT
    zone = ZoneInfo(program.time_zone)
    overall = []
    for report in reversed(history):
        snap = from_json(report.snapshot)
        friday = report.period_start + dt.timedelta(days=4)
        assert report.published_at.astimezone(zone).date() == friday
        assert snap.published_at == report.published_at and snap.status == "published"
        assert report.created_at.astimezone(zone).date() == report.period_start
        # a rating's reason names the week's figure that made it amber or red
        if snap.risk_exposure >= 60:
            assert f"Risk exposure {snap.risk_exposure}" in snap.rag_of("risk").reason.replace(
                "risk exposure", "Risk exposure"
            )
        # overall is the worst dimension (after overrides) unless overridden itself
        worst = rag.overall(
            (line.dimension, rag.Assessment(rag.Rag(line.rag), line.reason))
            for line in snap.rag
            if line.dimension != "overall"
        )
        assert snap.rag_of("overall").rag == worst.rag.value == report.overall_rag
        assert snap.achievements and len(snap.commentary) == 2
        overall.append(report.overall_rag)
    # the ratings move over the weeks; the last published week is the program's own figures
    assert len(set(overall)) > 1
    last = history[0]
    computed = collect(
        program, period=last.period, thresholds=thresholds_of(program),
        now=dt.datetime.combine(last.period_start + dt.timedelta(days=4), dt.time(16), zone),
    )  # fmt: skip
    stored = from_json(last.snapshot)
    assert [(r.dimension, r.rag, r.reason) for r in stored.rag] == [
        (r.dimension, r.rag, r.reason) for r in computed.rag
    ]
    assert stored.risk_exposure == computed.risk_exposure and stored.budget == computed.budget
    overridden = [r for r in history if r.overrides.exists()]
    assert len(overridden) == 1
    risk = from_json(overridden[0].snapshot).rag_of("risk")
    assert (risk.rag, risk.computed_rag) == ("red", "amber") and "RSK-1" in risk.override_reason


def test_the_trend_drifts_as_the_story_says(program):
    demo_reports.build(program, {"story_reports": True})
    trend = report_trend(program)
    # the story's exposure (92 .. 152 .. 104) moved to end at the program's own (0 here)
    assert trend["exposure"] == [0, 0, 14, 33, 48, 37, 12, 0]
    assert max(trend["exposure"]) == trend["exposure"][4]  # rises, then falls
    # a program without a budget has no indices: the trend says so with None
    assert trend["spi"] == [None] * 8


def test_with_a_budget_the_indices_drift_down_to_the_programs_own(program, monkeypatch):
    from reporting.tests.snapshots import sample

    burn = sample().budget
    real_collect = demo_reports.collect

    def with_budget(*args, **kwargs):
        import dataclasses

        return dataclasses.replace(real_collect(*args, **kwargs), budget=burn, has_budget=True)

    monkeypatch.setattr(demo_reports, "collect", with_budget)
    demo_reports.build(program, {"story_reports": True})
    trend = report_trend(program)
    # the story's SPI drift (0.98 .. 0.91) and CPI (1.02 .. 0.95) end at the program's own
    spi, cpi = float(burn.spi), float(burn.cpi)
    assert trend["spi"] == [
        round(spi + d, 2) for d in (0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01, 0)
    ]
    assert trend["cpi"][0] == round(cpi + 0.07, 2) and trend["cpi"][-1] == cpi
    last = from_json(report_history(program, weeks=1)[0].snapshot)
    assert last.budget == burn  # the last week is the computed figures, unchanged
    second = from_json(report_history(program, weeks=2)[1].snapshot)
    assert second.budget.variance_at_completion == (
        burn.budget - second.budget.forecast_at_completion
    )
    assert second.rag_of("cost").reason.startswith(f"CPI {cpi + 0.01:.2f}")


def test_a_program_without_a_story_gets_three_published_weeks(program):
    program.code = "OTHER"
    counts = demo_reports.build(program, {})
    assert counts["published status reports"] == 3
    assert "draft status reports" not in counts
    assert StatusReport.objects.filter(program=program, status="published").count() == 3
    assert manager_of(program) is not None
