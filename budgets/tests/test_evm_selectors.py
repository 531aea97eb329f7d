"""Earned value selectors and snapshot services: the program's figures from the ledger and the
schedule (see budgets/tests/evm_factories.py for the worked numbers), history, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine

from budgets import evm
from budgets.demo_evm import percent_at
from budgets.models import EarnedValueSnapshot
from budgets.selectors.evm import evm_report, index_status
from budgets.services import structure
from budgets.services.evm import evm_snapshot_take
from budgets.tests.evm_factories import FEB, JAN, STATUS, make_budget, make_items
from budgets.tests.factories import make_line, plan
from core.models import AuditEntry
from core.permissions import Role
from programs.tests.factories import WorkstreamFactory, member
from schedules import services as schedule_services
from schedules.tests.factories import ItemFactory, days

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(program):
    workstream, line = make_budget(program)
    items = make_items(program, workstream)
    return {"workstream": workstream, "line": line, **items}


def test_report_figures_at_a_mid_month_status_date(program, setup):
    report = evm_report(program, status_date=STATUS)
    [row] = report.rows
    assert row.value == evm.EarnedValue(
        bac=D("4200.00"), pv=D("3200"), ev=D("3675"), ac=D("1500.00")
    )
    assert row.progress.percent == D("87.5")
    assert row.progress.basis == "cost" and row.progress.items == 3
    assert report.total.value == row.value
    shown = report.total.shown
    assert shown["spi"] == D("1.15")  # 3,675 / 3,200 = 1.1484...
    assert shown["cpi"] == D("2.45")  # 3,675 / 1,500
    assert shown["eac"]["cpi"]["eac"] == D("1714.29")  # 4,200 / 2.45 = 1,714.2857...
    assert report.has_budget and report.has_schedule
    assert report.status_date == STATUS


def test_weights_come_from_the_current_baseline(program, setup, manager):
    schedule_services.baseline_create(actor=manager, program=program, name="Plan")
    half = setup["half"]
    half.refresh_from_db()
    schedule_services.item_update(
        actor=manager, item=half, expected_version=half.version, cost=D("9000")
    )
    # the baseline still weighs the half-done task at 1,000; an item added since weighs its own
    later = ItemFactory(
        program=program, parent=setup["summary"], workstream=setup["workstream"],
        duration_minutes=days(5), cost=D("4000"),
    )  # fmt: skip
    report = evm_report(program, status_date=STATUS)
    [row] = report.rows
    # (3,000 x 100 + 1,000 x 50 + 4,000 x 0) / 8,000 = 43.75 %
    assert row.progress.percent == D("43.75")
    assert row.progress.baselined == 3 and row.progress.items == 4
    assert report.baseline.name == "Plan"
    assert later.pk


def test_duration_weights_when_no_item_carries_a_cost(program):
    workstream, _line = make_budget(program)
    make_items(program, workstream, costs=("0", "0"))
    [row] = evm_report(program, status_date=STATUS).rows
    # (10 days x 100 + 20 days x 50 + 0) / 30 days = 66.666...
    assert row.progress.basis == "duration"
    assert evm.index(row.progress.percent) == D("66.67")
    assert row.value.ev == D("4200.00") * row.progress.percent / 100


def test_workstream_without_items_claims_nothing(program, setup):
    other = WorkstreamFactory(program=program, name="Workstream B")
    line = make_line(program, workstream=other, name="B line")
    plan(line, JAN, "100.00")
    report = evm_report(program, status_date=STATUS)
    row_b = next(r for r in report.rows if r.name == "Workstream B")
    assert row_b.value.ev == 0 and row_b.progress.items == 0
    assert any("Workstream B" in note for note in report.notes)
    assert report.total.value.bac == D("4300.00")


def test_approved_change_orders_move_bac_and_pv(program, setup, manager):
    executive = member(program, Role.EXECUTIVE).user
    order = structure.change_order_create(
        actor=manager, program=program, title="More testing", reason="Scope",
        amounts=[(setup["line"], FEB, "1000.00")],
    )  # fmt: skip
    assert evm_report(program, status_date=STATUS).total.value.bac == D("4200.00")
    structure.change_order_decide(actor=executive, change_order=order, approve=True)
    value = evm_report(program, status_date=STATUS).total.value
    assert value.bac == D("5200.00")
    assert value.pv == D("2200") + D("3000") * D(10) / D(20)


def test_curve_has_pv_to_the_end_and_ev_ac_to_the_status_date(program, setup):
    report = evm_report(program, status_date=STATUS)
    days_ = [p.day for p in report.points]
    assert days_ == sorted(days_)
    first = report.points[0]
    assert (first.day, first.pv, first.ev, first.ac) == (dt.date(2025, 12, 31), 0, 0, 0)
    status = next(p for p in report.points if p.is_status)
    assert (status.day, status.pv, status.ev, status.ac) == (STATUS, D("3200"), D("3675"), D(1500))
    for point in report.points:
        if point.day > STATUS:
            assert point.ev is None and point.ac is None and point.pv is not None
    assert report.points[-1].pv == D("4200.00")  # the whole budget by the horizon's end
    january = next(p for p in report.points if p.day == dt.date(2026, 1, 31))
    assert january.ac == D("1000.00") and january.ev is None  # no snapshot for January
    chart = report.chart_data()
    assert chart["status"]["x"] == (STATUS - dt.date(2026, 1, 1)).days + 1
    assert chart["bac"] == 4200.0
    assert chart["eac"][0] == {"x": chart["status"]["x"], "y": 1500.0}
    assert chart["ticks"][0] == {"x": 0, "label": "Jan 2026"}


def test_snapshot_take_is_idempotent_per_month(program, setup, manager):
    first = evm_snapshot_take(actor=manager, program=program, as_of=STATUS)
    assert len(first) == 2  # the program and its one workstream
    program_row = EarnedValueSnapshot.objects.get(program=program, workstream=None)
    assert (program_row.month, program_row.pv, program_row.ev, program_row.ac) == (
        FEB, D("3200.00"), D("3675.00"), D("1500.00"),
    )  # fmt: skip
    assert program_row.percent_complete == D("87.50")
    half = setup["half"]
    half.refresh_from_db()
    schedule_services.item_update(
        actor=manager, item=half, expected_version=half.version, percent_complete=100
    )
    evm_snapshot_take(actor=manager, program=program, as_of=dt.date(2026, 2, 27))
    assert EarnedValueSnapshot.objects.filter(program=program).count() == 2
    program_row.refresh_from_db()
    assert program_row.ev == D("4200.00") and program_row.as_of == dt.date(2026, 2, 27)
    assert program_row.version == 2
    assert (
        AuditEntry.objects.filter(
            content_type__model="earnedvaluesnapshot", object_id=str(program_row.pk)
        ).count()
        == 2
    )


def test_snapshot_take_records_nothing_without_a_budget(program):
    assert evm_snapshot_take(program=program, as_of=STATUS) == []
    assert not EarnedValueSnapshot.objects.exists()


@time_machine.travel(dt.datetime(2026, 2, 13, 12, 0, tzinfo=dt.UTC))
def test_past_status_date_takes_ev_from_the_months_snapshot(program, setup, manager):
    evm_snapshot_take(actor=manager, program=program, as_of=dt.date(2026, 1, 30))
    # January: PV = 2,200, AC = 1,000, EV then (87.5 %) = 3,675
    half = setup["half"]
    half.refresh_from_db()
    schedule_services.item_update(
        actor=manager, item=half, expected_version=half.version, percent_complete=100
    )
    past = evm_report(program, status_date=dt.date(2026, 1, 30))
    assert past.total.value.ev == D("3675.00") and past.total.from_snapshot
    assert "snapshot" in past.notes[0]
    today = evm_report(program)
    assert today.status_date == STATUS and today.total.value.ev == D("4200.00")
    snap_point = next(p for p in today.points if p.day == dt.date(2026, 1, 30))
    assert snap_point.ev == D("3675.00")


@time_machine.travel(dt.datetime(2026, 3, 13, 12, 0, tzinfo=dt.UTC))
def test_past_status_date_without_a_snapshot_is_flagged(program, setup):
    report = evm_report(program, status_date=STATUS)
    assert report.total.value.ev == D("3675")
    assert "No earned value snapshot" in report.notes[0]


def test_empty_program_has_no_budget_and_no_curve(program):
    report = evm_report(program, status_date=STATUS)
    assert not report.has_budget and not report.has_schedule
    assert report.rows == [] and report.points == [] and report.chart_data() == {}


def test_index_status_thresholds_apply_to_the_shown_value():
    assert index_status(None) == "secondary"
    assert index_status(D("0.944")) == "red"
    assert index_status(D("0.945")) == "red"  # shown as 0.94 (half-even)
    assert index_status(D("0.9451")) == "yellow"  # shown as 0.95
    assert index_status(D("0.995")) == "green"  # shown as 1.00
    assert index_status(D("0.9949")) == "yellow"
    assert index_status(D("1.2")) == "green"


@pytest.mark.parametrize("baselined", [False, True])
@pytest.mark.parametrize("count", [1, 4])
def test_report_query_count_does_not_grow_with_items_or_lines(
    program, manager, count, baselined, django_assert_num_queries
):
    workstream, _line = make_budget(program, lines=count)
    make_items(program, workstream, count_extra=count * 3)
    if count > 1:
        second = WorkstreamFactory(program=program)
        make_budget(program, second, lines=count)
        make_items(program, second, count_extra=count)
    if baselined:
        schedule_services.baseline_create(actor=manager, program=program, name="Plan")
    # ledger 5, schedule 1, holidays 1, baseline 1 (+ its items 1), leaf items 1, snapshots 1
    with django_assert_num_queries(11 if baselined else 10):
        evm_report(program, status_date=STATUS)


def test_demo_reconstruction_of_percent_complete():
    row = {"percent_complete": 40, "actual_start": dt.date(2026, 3, 2), "actual_finish": None}
    status = dt.date(2026, 3, 13)  # ten working days after the start: 40 % reported
    assert percent_at(row, dt.date(2026, 2, 27), status, evm.weekdays) == 0
    assert percent_at(row, dt.date(2026, 3, 6), status, evm.weekdays) == D(20)  # 5 of 10 days
    assert percent_at(row, status, status, evm.weekdays) == D(40)
    done = {**row, "percent_complete": 100, "actual_finish": dt.date(2026, 3, 6)}
    assert percent_at(done, dt.date(2026, 3, 4), status, evm.weekdays) == D(60)  # 3 of 5
    assert percent_at(done, dt.date(2026, 3, 6), status, evm.weekdays) == 100


@time_machine.travel(dt.datetime(2026, 2, 13, 12, 0, tzinfo=dt.UTC))
def test_the_daily_task_snapshots_active_programs_with_a_budget(program, setup):
    from budgets.tasks import evm_snapshots_take_task
    from programs.tests.factories import ProgramFactory

    ProgramFactory(code="NOBUD")  # active, but nothing budgeted: no snapshot
    assert evm_snapshots_take_task.apply().get() == 2  # the program and its one workstream
    row = EarnedValueSnapshot.objects.get(program=program, workstream=None)
    assert (row.month, row.ev) == (FEB, D("3675.00"))
    assert evm_snapshots_take_task.apply().get() == 2  # again: the month's rows are replaced
    assert EarnedValueSnapshot.objects.filter(program=program).count() == 2
