"""Baseline selectors: variances in working days, and milestones slipped past a threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from programs.tests.factories import WorkstreamFactory
from schedules import services
from schedules.models import Item
from schedules.selectors.baselines import (
    baseline_comparison,
    baseline_list,
    comparison_rows,
    slipped_milestones,
)
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

D = dt.date
CONTRACT_KEYS = {
    "id", "key", "name", "wbs", "depth", "kind", "workstream", "baseline_start",
    "baseline_finish", "start", "finish", "start_variance_days", "finish_variance_days",
    "duration_variance_days", "baseline_cost", "cost", "cost_variance",
}  # fmt: skip
SLIPPED_KEYS = {
    "id", "key", "name", "workstream", "baseline_finish", "forecast_finish", "days_late",
    "remediation_plan", "version",
}  # fmt: skip


def refreshed(item: Item) -> Item:
    item.refresh_from_db()
    return item


@pytest.fixture
def plan(program, manager):
    """Build (Mon 5 Jan .. Fri 9 Jan, cost 1000) -> Go-live (milestone), under a phase."""
    ws = WorkstreamFactory(program=program, name="Finance", actor=manager)
    phase = ItemFactory(program=program, name="Phase 1", actor=manager)
    build = ItemFactory(
        program=program,
        name="Build",
        parent=phase,
        duration_minutes=days(5),
        cost=Decimal("1000.00"),
        workstream=ws,
        actor=manager,
    )
    golive = ItemFactory(program=program, name="Go-live", kind="milestone", actor=manager)
    link(build, golive, actor=manager)
    return {"phase": phase, "build": build, "golive": golive, "ws": ws}


def test_comparison_rows_are_in_outline_order_with_the_contract_keys(program, manager, plan):
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    rows = comparison_rows(program, baseline)
    assert [r["key"] for r in rows] == [plan["phase"].key, plan["build"].key, plan["golive"].key]
    assert [r["wbs"] for r in rows] == ["1", "1.1", "2"]
    assert [r["depth"] for r in rows] == [0, 1, 0]
    assert set(rows[0]) >= CONTRACT_KEYS
    build = rows[1]
    assert build["workstream"] == "Finance"
    assert rows[0]["workstream"] is None
    assert (build["baseline_start"], build["baseline_finish"]) == (D(2026, 1, 5), D(2026, 1, 9))
    assert (build["start_variance_days"], build["finish_variance_days"]) == (0, 0)
    assert build["duration_variance_days"] == 0
    assert build["cost_variance"] == Decimal("0.00")


def test_comparison_counts_variances_in_working_days_over_weekends_and_holidays(
    program, manager, plan
):
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    build = refreshed(plan["build"])
    services.holiday_create(
        actor=manager, program=program, name="Closure", start=D(2026, 1, 12), finish=D(2026, 1, 12)
    )
    services.item_update(
        actor=manager,
        item=build,
        expected_version=build.version,
        duration_minutes=days(7),
        cost=Decimal("1250.50"),
    )
    rows = {r["key"]: r for r in comparison_rows(program, baseline)}
    b = rows[plan["build"].key]
    # 7 working days from Mon 5 Jan, skipping the weekend and Mon 12 Jan: Wed 14 Jan
    assert b["finish"] == D(2026, 1, 14)
    assert b["finish_variance_days"] == 2  # Fri 9 -> Wed 14 is two working days later
    assert b["start_variance_days"] == 0
    assert b["duration_variance_days"] == 2
    assert b["baseline_cost"] == Decimal("1000.00")
    assert b["cost_variance"] == Decimal("250.50")
    assert isinstance(b["cost_variance"], Decimal)
    g = rows[plan["golive"].key]
    assert (g["baseline_finish"], g["finish"], g["finish_variance_days"]) == (
        D(2026, 1, 9),
        D(2026, 1, 14),
        2,
    )
    phase = rows[plan["phase"].key]
    assert phase["duration_variance_days"] == 2  # a summary compares its spans


def test_comparison_shows_early_items_as_negative(program, manager, plan):
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    build = refreshed(plan["build"])
    services.item_update(
        actor=manager, item=build, expected_version=build.version, duration_minutes=days(2)
    )
    row = next(r for r in comparison_rows(program, baseline) if r["key"] == build.key)
    assert (row["finish"], row["finish_variance_days"], row["duration_variance_days"]) == (
        D(2026, 1, 6),
        -3,
        -3,
    )


def test_items_added_after_the_baseline_have_no_baseline_values(program, manager, plan):
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    extra = ItemFactory(program=program, name="Late addition", cost=Decimal("50"), actor=manager)
    row = next(r for r in comparison_rows(program, baseline) if r["key"] == extra.key)
    for key in (
        "baseline_start", "baseline_finish", "baseline_cost", "start_variance_days",
        "finish_variance_days", "duration_variance_days", "cost_variance",
    ):  # fmt: skip
        assert row[key] is None, key
    assert row["start"] == D(2026, 1, 5)
    summary = baseline_comparison(program=program, baseline=baseline).summary
    assert (summary.items, summary.compared, summary.added) == (4, 3, 1)


def test_comparison_summary_names_the_worst_slip_and_the_project_finish(program, manager, plan):
    baseline = services.baseline_create(actor=manager, program=program, name="Original")
    build = refreshed(plan["build"])
    services.item_update(
        actor=manager, item=build, expected_version=build.version, duration_minutes=days(8)
    )
    summary = baseline_comparison(program=program, baseline=baseline).summary
    # Build, Go-live and the phase above Build all finish three working days later
    assert summary.slipped == 3
    assert summary.worst_slip_days == 3
    assert summary.worst_slip_key == plan["phase"].key  # first in outline order among equals
    assert (summary.baseline_finish, summary.finish) == (D(2026, 1, 9), D(2026, 1, 14))
    assert summary.finish_variance_days == 3
    assert summary.cost_variance == Decimal("0.00")


def test_comparison_against_an_older_baseline(program, manager, plan):
    first = services.baseline_create(actor=manager, program=program, name="Original")
    build = refreshed(plan["build"])
    services.item_update(
        actor=manager, item=build, expected_version=build.version, duration_minutes=days(6)
    )
    services.baseline_create(actor=manager, program=program, name="Re-plan")
    by_first = {r["key"]: r for r in comparison_rows(program, first)}
    assert by_first[build.key]["finish_variance_days"] == 1
    current = baseline_list(program=program).get(is_current=True)
    assert current.name == "Re-plan"
    assert current.item_count == 3
    by_current = {r["key"]: r for r in comparison_rows(program, current)}
    assert by_current[build.key]["finish_variance_days"] == 0


@pytest.mark.parametrize("n", [1, 3])
def test_comparison_rows_run_a_constant_number_of_queries(program, manager, count_queries, n):
    for i in range(n):
        ItemFactory(program=program, name=f"Task {i}", actor=manager)
        ItemFactory(program=program, name=f"Gate {i}", kind="milestone", actor=manager)
    baseline = services.baseline_create(actor=manager, program=program, name="B")
    with count_queries() as ctx:
        rows = comparison_rows(program, baseline)
    assert len(rows) == 2 * n
    assert len(ctx.captured_queries) == 4  # schedule, holidays, items, baseline items


# --- slipped milestones -----------------------------------------------------------------------


def _slip(manager, build: Item, extra_days: int) -> None:
    build = refreshed(build)
    services.item_update(
        actor=manager,
        item=build,
        expected_version=build.version,
        duration_minutes=build.duration_minutes + days(extra_days),
    )


def test_slipped_milestones_beyond_the_program_threshold(program, manager, plan):
    services.baseline_create(actor=manager, program=program, name="Original")
    _slip(manager, plan["build"], 5)
    assert services.schedule_for(program).slip_threshold_days == 5
    assert slipped_milestones(program) == []  # exactly at the threshold is not "beyond" it
    _slip(manager, plan["build"], 1)
    golive = refreshed(plan["golive"])
    assert slipped_milestones(program) == [
        {
            "id": golive.pk,
            "key": golive.key,
            "name": "Go-live",
            "workstream": None,
            "baseline_finish": D(2026, 1, 9),
            "forecast_finish": D(2026, 1, 19),
            "days_late": 6,
            "remediation_plan": "",
            "version": golive.version,
        }
    ]


def test_slipped_milestones_take_an_explicit_threshold_and_baseline(program, manager, plan):
    original = services.baseline_create(actor=manager, program=program, name="Original")
    _slip(manager, plan["build"], 2)
    services.baseline_create(actor=manager, program=program, name="Re-plan")
    assert slipped_milestones(program, threshold_days=0) == []  # against the re-plan: on time
    rows = slipped_milestones(program, baseline=original, threshold_days=1)
    assert [(r["key"], r["days_late"]) for r in rows] == [(plan["golive"].key, 2)]
    assert set(rows[0]) == SLIPPED_KEYS
    assert slipped_milestones(program, baseline=original, threshold_days=2) == []


def test_slipped_milestones_follow_the_schedule_threshold_setting(program, manager, plan):
    services.baseline_create(actor=manager, program=program, name="Original")
    _slip(manager, plan["build"], 2)
    schedule = services.schedule_for(program)
    services.schedule_update(
        actor=manager, program=program, expected_version=schedule.version, slip_threshold_days=1
    )
    assert [r["days_late"] for r in slipped_milestones(program)] == [2]


def test_no_current_baseline_means_nothing_slipped(program, manager, plan):
    _slip(manager, plan["build"], 10)
    assert slipped_milestones(program, threshold_days=0) == []


def test_slipped_milestones_are_worst_first_and_ignore_tasks_and_early_ones(program, manager):
    a = ItemFactory(program=program, name="A", duration_minutes=days(2), actor=manager)
    b = ItemFactory(program=program, name="B", duration_minutes=days(2), actor=manager)
    m1 = ItemFactory(program=program, name="M1", kind="milestone", actor=manager)
    m2 = ItemFactory(program=program, name="M2", kind="milestone", actor=manager)
    m3 = ItemFactory(program=program, name="M3", kind="milestone", actor=manager)
    link(a, m1, actor=manager)
    link(b, m2, actor=manager)
    link(a, m3, actor=manager)
    services.baseline_create(actor=manager, program=program, name="Original")
    _slip(manager, a, 1)  # m1 and m3 one day late, the task A too (tasks are not listed)
    _slip(manager, b, 3)  # m2 three days late
    rows = slipped_milestones(program, threshold_days=0)
    assert [(r["name"], r["days_late"]) for r in rows] == [("M2", 3), ("M1", 1), ("M3", 1)]
    b = refreshed(b)
    services.item_update(
        actor=manager, item=b, expected_version=b.version, duration_minutes=days(1)
    )  # M2 now a day early: not slipped
    assert [r["name"] for r in slipped_milestones(program, threshold_days=0)] == ["M1", "M3"]


@pytest.mark.parametrize("n", [1, 3])
def test_slipped_milestones_run_a_constant_number_of_queries(program, manager, count_queries, n):
    task = ItemFactory(program=program, name="Work", duration_minutes=days(2), actor=manager)
    for i in range(n):
        link(task, ItemFactory(program=program, name=f"M{i}", kind="milestone", actor=manager))
    services.baseline_create(actor=manager, program=program, name="Original")
    _slip(manager, task, 2)
    with count_queries() as ctx:
        rows = slipped_milestones(program, threshold_days=0)
    assert len(rows) == n
    assert len(ctx.captured_queries) == 4  # schedule, current baseline, milestones, holidays
