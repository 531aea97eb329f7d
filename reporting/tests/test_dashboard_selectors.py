"""The program dashboard's figures against each domain's own selector (the figure on its page),
on the demo program and on factory data; the sparkline's geometry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from budgets.selectors.evm import evm_report, program_today
from budgets.selectors.overview import budget_overview
from programs.models import Program
from programs.tests.factories import ProgramFactory, member
from reporting.collect import collect
from reporting.periods import period_of
from reporting.selectors.common import thresholds_of
from reporting.selectors.dashboard import program_dashboard, sparkline_points
from reporting.tests.factories import make_report
from risks.choices import RaidType, score_band
from risks.selectors import overdue_and_escalated, risk_heatmap
from risks.tests.factories import make_action, make_risk
from schedules.selectors.baselines import slipped_milestones
from schedules.selectors.gantt import milestone_chart

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def erp(seeded, db) -> Program:
    return Program.objects.get(code="ERP")


def test_the_demo_dashboard_agrees_with_every_domain_page(erp):
    today = program_today(erp)
    board = program_dashboard(erp)
    assert board.today == today and board.period == period_of(today)
    # budget: the budget overview's tiles and the earned-value page's indices
    overview = budget_overview(erp)
    figures = overview.figures
    burn = board.budget
    assert burn is not None
    assert (burn.budget, burn.actual_to_date, burn.forecast_at_completion) == (
        figures.budget,
        figures.actual,
        figures.eac,
    )
    assert board.variance == figures.variance  # EAC - budget, as the overview shows it
    assert board.variance_percent == figures.variance_percent
    evm = evm_report(erp, status_date=today).total.value
    assert (burn.spi, burn.cpi) == (evm.spi, evm.cpi)
    # the chart is the overview's chart, month by month
    assert board.burn_chart["labels"] == overview.chart["labels"]
    assert board.burn_chart["plan"] == overview.chart["plan"]
    assert board.burn_chart["actual"] == overview.chart["actual"]
    assert board.burn_chart["forecast"] == overview.chart["forecast"]
    assert [row["month"] for row in board.burn_rows] == overview.chart["labels"]
    # the heat map: every cell the RAID log's, in its score band
    heat = risk_heatmap(program=erp)
    theirs = [[cell.count for cell in row] for row in heat.current.rows]
    ours = [[c["cell"]["count"] for c in row["cells"]] for row in board.heat_rows]
    assert ours == theirs
    assert all(
        c["cell"]["band"] == score_band(c["cell"]["probability"] * c["cell"]["impact"])
        for row in board.heat_rows
        for c in row["cells"]
    )
    assert (board.exposure, board.open_risks) == (heat.figures["exposure"], heat.figures["open"])
    # milestones: the milestone chart's open ones due in the next 30 days, slip in working days
    horizon = today + dt.timedelta(days=30)
    chart = {m["key"]: m for m in milestone_chart(erp)["milestones"]}
    due = {k for k, m in chart.items() if not m["complete"] and today <= m["finish"] <= horizon}
    assert {m.key for m in board.milestones_due} == due
    assert all(m.slip_days == (chart[m.key]["slip_days"] or 0) for m in board.milestones_due)
    assert board.slipped_count == len(slipped_milestones(erp))
    # overdue actions: the RAID log's "overdue and escalated" page, overdue ones
    section = next(
        s for s in overdue_and_escalated(program=erp, today=today) if s.raid_type == RaidType.ACTION
    )
    overdue = [row["key"] for row in section.rows if row["overdue"]]
    assert [a.key for a in board.overdue_actions] == overdue
    assert board.overdue_actions, "the demo has overdue actions"
    assert all(a.owner for a in board.overdue_actions)
    # RAG: the same ratings and reasons a report composed now gets (with ERP's own thresholds)
    snap = collect(erp, period=board.period, thresholds=thresholds_of(erp))
    assert [(t.dimension, t.rag, t.reason) for t in (board.overall, *board.tiles)] == [
        (line.dimension, line.rag, line.reason)
        for line in sorted(snap.rag, key=lambda line: line.dimension != "overall")
    ]
    assert board.activity and len(board.activity) <= 8


def test_a_program_without_baseline_budget_or_risks_gets_an_honest_dashboard():
    program = ProgramFactory(name="Greenfield")
    board = program_dashboard(program)
    tiles = {t.dimension: t for t in board.tiles}
    assert tiles["schedule"].rag == "grey" and "No baseline" in tiles["schedule"].reason
    assert tiles["cost"].rag == "grey" and "No budget" in tiles["cost"].reason
    assert board.budget is None and board.burn_chart is None and board.burn_rows == []
    assert board.variance is None
    assert board.milestones_due == [] and board.overdue_actions == []
    assert board.exposure == 0 and board.open_risks == 0
    assert len(board.heat_rows) == 5 and all(len(r["cells"]) == 5 for r in board.heat_rows)
    assert board.latest_report is None


def test_overdue_actions_are_the_open_ones_past_due_oldest_first_with_owners():
    program = ProgramFactory()
    owner = member(program, full_name="Ana Souza").user
    today = program_today(program)
    late = make_action(program, title="Late", owner=owner, due_date=today - dt.timedelta(days=3))
    later = make_action(program, title="Later", due_date=today - dt.timedelta(days=9))
    make_action(program, title="Due today", due_date=today)
    make_action(program, title="No date")
    rows = program_dashboard(program).overdue_actions
    assert [(a.key, a.days_late) for a in rows] == [(later.key, 9), (late.key, 3)]
    assert rows[1].owner == "Ana Souza" and rows[0].owner == ""


def test_the_heat_map_places_each_open_risk_in_its_cell():
    program = ProgramFactory()
    make_risk(program, probability=4, impact_cost=5)
    make_risk(program, probability=4, impact_cost=5)
    make_risk(
        program, probability=1, impact_schedule=2, impact_cost=1, impact_scope=1, impact_quality=1
    )
    board = program_dashboard(program)
    counts = {
        (c["cell"]["probability"], c["cell"]["impact"]): c["cell"]["count"]
        for row in board.heat_rows
        for c in row["cells"]
    }
    assert counts[(4, 5)] == 2 and counts[(1, 2)] == 1 and sum(counts.values()) == 3
    assert board.exposure == 2 * 20 + 2
    assert board.heat_rows[0]["probability"] == 5  # drawn with probability 5 at the top
    cell = board.heat_rows[1]["cells"][4]
    assert cell["cell"]["band"] == "critical" and "probability=4" in cell["url"]


def test_the_latest_published_report_is_shown_not_a_draft():
    program = ProgramFactory()
    make_report(program, period="2026-W45", status="published")
    make_report(program, period="2026-W46", status="draft")
    latest = program_dashboard(program).latest_report
    assert latest is not None and latest.period == "2026-W45"


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ([("W1", Decimal("1")), ("W2", Decimal("3"))], "2.0,30.0 118.0,2.0"),
        ([("W1", Decimal("5")), ("W2", None), ("W3", Decimal("5"))], "2.0,16.0 118.0,16.0"),
        ([("W1", Decimal("5")), ("W2", None)], ""),
        ([], ""),
    ],
)
def test_a_sparkline_scales_the_values_into_its_box(series, expected):
    assert sparkline_points(series) == expected
