"""Gantt data and milestone chart selectors: shape, values, baselines, constant query counts."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
import time_machine

from core.audit_guard import bulk_writes_allowed
from programs.tests.factories import ProgramFactory, WorkstreamFactory
from schedules import services
from schedules.models import ForecastSnapshot, ItemKind
from schedules.selectors.gantt import GANTT_COLUMNS, gantt_data, milestone_chart, milestone_trend
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

D = dt.date


def rows_by_key(data: dict) -> dict[str, dict]:
    cols = data["columns"]
    return {r[cols.index("key")]: dict(zip(cols, r, strict=True)) for r in data["rows"]}


@pytest.fixture
def plan(program, manager):
    """Phase > A(3d) -FS-> B(2d) -FS-> Go-live; C(1d) floats. Program starts Mon 5 Jan 2026."""
    ws = WorkstreamFactory(program=program, name="Finance", actor=manager)
    phase = ItemFactory(program=program, name="Phase 1")
    a = ItemFactory(
        program=program, parent=phase, name="A", duration_minutes=days(3), workstream=ws,
        owner=manager,
    )  # fmt: skip
    b = ItemFactory(program=program, parent=phase, name="B", duration_minutes=days(2))
    c = ItemFactory(program=program, parent=phase, name="C", duration_minutes=days(1))
    m = ItemFactory(
        program=program, name="Go-live", kind=ItemKind.MILESTONE, deadline=D(2026, 1, 12)
    )
    link(a, b)
    link(b, m, "FS", 1)
    return {"phase": phase, "a": a, "b": b, "c": c, "m": m, "ws": ws}


def test_gantt_data_lists_items_in_outline_order_with_computed_dates(plan, program, manager):
    data = gantt_data(program)

    assert data["columns"] == list(GANTT_COLUMNS)
    assert [r[1] for r in data["rows"]] == [plan[k].key for k in ("phase", "a", "b", "c", "m")]
    rows = rows_by_key(data)
    a, b, c, m = (rows[plan[k].key] for k in "abcm")
    assert (a["start"], a["finish"], a["depth"], a["wbs"]) == (
        D(2026, 1, 5),
        D(2026, 1, 7),
        1,
        "1.1",
    )
    assert (b["start"], b["finish"]) == (D(2026, 1, 8), D(2026, 1, 9))
    assert m["finish"] == D(2026, 1, 12)  # FS + 1 day lag over the weekend
    assert m["kind"] == "milestone" and m["deadline"] == D(2026, 1, 12)
    assert a["parent"] == plan["phase"].pk and rows[plan["phase"].key]["kind"] == "summary"
    assert (a["critical"], b["critical"], m["critical"], c["critical"]) == (True, True, True, False)
    assert c["total_float_days"] == 5.0 and a["total_float_days"] == 0.0
    assert a["workstream"] == plan["ws"].pk and a["owner"] == manager.pk
    assert data["workstreams"] == {plan["ws"].pk: {"key": plan["ws"].key, "name": "Finance"}}
    assert data["owners"] == {manager.pk: manager.full_name}
    assert a["version"] == plan["a"].version
    assert data["baseline"] is None and a["baseline_start"] is None
    assert sorted(data["links"]) == sorted(
        [[plan["a"].pk, plan["b"].pk, "FS", 0.0], [plan["b"].pk, plan["m"].pk, "FS", 1.0]]
    )
    assert data["project_start"] == D(2026, 1, 5)
    assert data["project_finish"] == D(2026, 1, 12)


def test_gantt_data_carries_the_current_baseline_or_the_one_asked_for(plan, program, manager):
    original = services.baseline_create(actor=manager, program=program, name="Original")
    a = services.item_update(
        actor=manager, item=plan["a"], expected_version=plan["a"].version,
        duration_minutes=days(5),
    )  # fmt: skip
    replan = services.baseline_create(actor=manager, program=program, name="Re-plan")

    current = rows_by_key(gantt_data(program))
    asked = rows_by_key(gantt_data(program, baseline=original))

    b = plan["b"].key
    assert current[b]["start"] == D(2026, 1, 12)  # B moved with A's longer duration
    assert (current[b]["baseline_start"], current[b]["baseline_finish"]) == (
        D(2026, 1, 12),
        D(2026, 1, 13),
    )
    assert (asked[b]["baseline_start"], asked[b]["baseline_finish"]) == (
        D(2026, 1, 8),
        D(2026, 1, 9),
    )
    assert asked[a.key]["baseline_finish"] == D(2026, 1, 7)
    assert gantt_data(program)["baseline"] == {
        "id": replan.pk, "name": "Re-plan", "is_current": True,
    }  # fmt: skip
    assert gantt_data(program, baseline=original)["baseline"]["name"] == "Original"


def test_gantt_data_items_added_after_a_baseline_have_no_baseline_dates(plan, program, manager):
    services.baseline_create(actor=manager, program=program, name="Original")
    late = ItemFactory(program=program, name="Added later")

    row = rows_by_key(gantt_data(program))[late.key]

    assert (row["baseline_start"], row["baseline_finish"]) == (None, None)
    assert row["start"] is not None


def test_gantt_data_of_an_empty_program():
    program = ProgramFactory()

    data = gantt_data(program)

    assert data["rows"] == [] and data["links"] == [] and data["owners"] == {}
    assert data["project_finish"] is None


def test_gantt_data_serialises_compactly_with_orjson(plan, program):
    body = orjson.dumps(gantt_data(program), option=orjson.OPT_NON_STR_KEYS)
    decoded = orjson.loads(body)

    assert decoded["rows"][1][GANTT_COLUMNS.index("start")] == "2026-01-05"
    assert isinstance(decoded["rows"][0], list)


@pytest.mark.parametrize("n", [1, 4])
def test_gantt_data_query_count_does_not_grow_with_items(n, program, manager, count_queries):
    ws = WorkstreamFactory(program=program, name="Stream", actor=manager)
    parent = ItemFactory(program=program, name="Phase")
    prev = None
    for i in range(n):
        item = ItemFactory(
            program=program, parent=parent, name=f"T{i}", workstream=ws, owner=manager
        )
        if prev:
            link(prev, item)
        prev = item
    services.baseline_create(actor=manager, program=program, name="B1")
    services.schedule_for(program)

    with count_queries() as ctx:
        data = gantt_data(program)

    assert len(data["rows"]) == n + 1
    assert len(ctx.captured_queries) == 6


# --------------------------------------------------------------------------------------------
# Milestone chart and trend
# --------------------------------------------------------------------------------------------


def test_milestone_chart_groups_by_workstream_and_marks_late_ones(plan, program, manager):
    other = WorkstreamFactory(program=program, name="Apps", actor=manager)
    design = ItemFactory(
        program=program, name="Design sign-off", kind=ItemKind.MILESTONE, workstream=other
    )
    services.baseline_create(actor=manager, program=program, name="Original")
    services.item_update(
        actor=manager, item=plan["a"], expected_version=plan["a"].version,
        duration_minutes=days(5),
    )  # fmt: skip

    chart = milestone_chart(program)

    assert chart["lanes"] == ["Apps", "No workstream"]
    by_key = {m["key"]: m for m in chart["milestones"]}
    golive = by_key[plan["m"].key]
    assert (golive["finish"], golive["baseline_finish"]) == (D(2026, 1, 14), D(2026, 1, 12))
    assert golive["slip_days"] == 2 and golive["late"] is True
    assert by_key[design.key]["late"] is False and by_key[design.key]["slip_days"] == 0
    assert chart["baseline"]["name"] == "Original"


@time_machine.travel(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC), tick=False)
def test_milestone_trend_carries_the_last_forecast_forward(plan, program):
    m = plan["m"]
    with bulk_writes_allowed():
        ForecastSnapshot.objects.filter(program=program).delete()
        ForecastSnapshot.objects.bulk_create(
            [
                ForecastSnapshot(
                    program=program, item=m, as_of=D(2026, 1, 5), finish=D(2026, 1, 9)
                ),
                ForecastSnapshot(
                    program=program, item=m, as_of=D(2026, 1, 19), finish=D(2026, 1, 12)
                ),
            ]
        )
        other = ItemFactory(program=program, name="Late starter", kind=ItemKind.MILESTONE)
        ForecastSnapshot.objects.filter(item=other).delete()
        ForecastSnapshot.objects.bulk_create(
            [
                ForecastSnapshot(
                    program=program, item=other, as_of=D(2026, 1, 12), finish=D(2026, 2, 2)
                )
            ]
        )

    trend = milestone_trend(program)

    assert trend["dates"] == [D(2026, 1, 5), D(2026, 1, 12), D(2026, 1, 19), D(2026, 3, 2)]
    series = {s["key"]: s for s in trend["milestones"]}
    golive = series[m.key]
    assert golive["values"] == [D(2026, 1, 9), D(2026, 1, 9), D(2026, 1, 12), D(2026, 1, 12)]
    assert golive["drift_days"] == 3
    late = series[other.key]
    assert late["values"][:3] == [None, D(2026, 2, 2), D(2026, 2, 2)]


@pytest.mark.parametrize("n", [1, 3])
def test_milestone_selectors_query_count_does_not_grow(n, program, manager, count_queries):
    ws = WorkstreamFactory(program=program, name="Stream", actor=manager)
    for i in range(n):
        ItemFactory(program=program, name=f"M{i}", kind=ItemKind.MILESTONE, workstream=ws)
    services.baseline_create(actor=manager, program=program, name="B1")

    with count_queries() as chart_ctx:
        chart = milestone_chart(program)
    with count_queries() as trend_ctx:
        trend = milestone_trend(program)

    assert len(chart["milestones"]) == n and len(trend["milestones"]) == n
    assert len(chart_ctx.captured_queries) == 5
    assert len(trend_ctx.captured_queries) == 2
