"""The Gantt page and the milestone charts: program boundary, roles, read-only, empty states."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine

from core.audit_guard import bulk_writes_allowed
from core.permissions import Role
from core.tests.factories import UserFactory
from programs.tests.factories import WorkstreamFactory
from schedules import services
from schedules.models import ForecastSnapshot, ItemKind
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

GANTT = "/programs/ERP/schedule/gantt/"
MILESTONES = "/programs/ERP/schedule/milestones/"
TREND = "/programs/ERP/schedule/milestones/trend/"


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def plan(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance", actor=manager)
    build = ItemFactory(program=program, name="Build ledger", duration_minutes=days(3))
    golive = ItemFactory(program=program, name="Go-live", kind=ItemKind.MILESTONE, workstream=ws)
    link(build, golive)
    return build, golive


def test_gantt_page_for_a_manager_is_editable(client, plan, manager):
    response = logged_in(client, manager).get(GANTT)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-can-edit="1"' in html
    assert 'data-url="/api/v1/programs/ERP/schedule/gantt/"' in html
    assert 'data-item-api="/api/v1/programs/ERP/schedule/items/__KEY__/"' in html
    assert "js/gantt.js" in html and "css/gantt.css" in html
    assert "Drag a bar to move it" in html
    for zoom in ("Day", "Week", "Month", "Quarter"):
        assert re.search(rf'data-zoom="{zoom.lower()}"[^>]*>{zoom}<', html)
    assert "<script>" not in html  # no inline script (CSP)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR, Role.EXECUTIVE, Role.FINANCE])
def test_gantt_page_is_read_only_without_schedule_change(role, client, plan, users_by_role):
    response = logged_in(client, users_by_role[role]).get(GANTT)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-can-edit="0"' in html
    assert "Read-only" in html and "Drag a bar" not in html


def test_gantt_page_lists_baselines_to_compare_with(client, plan, program, manager):
    services.baseline_create(actor=manager, program=program, name="Original plan")
    services.baseline_create(actor=manager, program=program, name="Re-plan Q3")

    html = logged_in(client, manager).get(GANTT).content.decode()

    assert "Baseline: Re-plan Q3 (current)" in html
    assert "Baseline: Original plan</option>" in html


def test_gantt_page_without_items_shows_an_empty_state(client, program, manager, users_by_role):
    html = logged_in(client, manager).get(GANTT).content.decode()
    assert "No schedule yet" in html and "Open the WBS grid" in html
    assert 'id="gantt"' not in html

    viewer_html = logged_in(client, users_by_role[Role.VIEWER]).get(GANTT).content.decode()
    assert "No schedule yet" in viewer_html and "Open the WBS grid" not in viewer_html


@pytest.mark.parametrize("url", [GANTT, MILESTONES, TREND])
def test_schedule_chart_pages_keep_the_program_boundary(url, client, plan, users_by_role):
    assert logged_in(client, UserFactory()).get(url).status_code == 404
    assert logged_in(client, users_by_role[Role.VENDOR]).get(url).status_code == 403
    client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_gantt_page_query_count_does_not_grow(client, program, manager, count_queries):
    logged_in(client, manager)
    counts = []
    for batch in (1, 2):
        for i in range(batch):
            ItemFactory(program=program, name=f"T{batch}{i}")
        with count_queries() as ctx:
            assert client.get(GANTT).status_code == 200
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]  # 1 item, then 3: the rows come from the API


def test_milestone_chart_shows_late_milestones_in_chart_data_and_table(
    client, plan, program, manager
):
    build, golive = plan
    services.baseline_create(actor=manager, program=program, name="Original")
    services.item_update(
        actor=manager, item=build, expected_version=build.version, duration_minutes=days(5)
    )

    response = logged_in(client, manager).get(MILESTONES)

    assert response.status_code == 200
    html = response.content.decode()
    data = json.loads(re.search(r'id="milestone-chart-data"[^>]*>(.*?)</script>', html).group(1))
    assert data["lanes"] == ["Finance"]
    (m,) = data["milestones"]
    assert (m["key"], m["finish"], m["baseline_finish"], m["slip_days"], m["late"]) == (
        golive.key, "2026-01-09", "2026-01-07", 2, True,
    )  # fmt: skip
    assert "1 late" in html
    row = re.search(rf"app-key me-1\">{golive.key}<.*?</tr>", html, re.S).group(0)
    assert "9 Jan 2026" in row and "7 Jan 2026" in row and "+2" in row and "Late" in row
    assert "chart.umd.min.js" in html and "js/milestones.js" in html


def test_milestone_chart_without_milestones_shows_an_empty_state(client, program, manager):
    ItemFactory(program=program, name="Only a task")

    html = logged_in(client, manager).get(MILESTONES).content.decode()

    assert "No milestones yet" in html and "milestone-chart-data" not in html


@time_machine.travel(dt.datetime(2026, 2, 2, 12, tzinfo=dt.UTC), tick=False)
def test_milestone_trend_table_carries_values_forward(client, plan, program, manager):
    _, golive = plan
    with bulk_writes_allowed():
        ForecastSnapshot.objects.filter(program=program).delete()
        ForecastSnapshot.objects.bulk_create(
            [
                ForecastSnapshot(
                    program=program, item=golive, as_of=dt.date(2026, 1, 5),
                    finish=dt.date(2026, 1, 7),
                ),
                ForecastSnapshot(
                    program=program, item=golive, as_of=dt.date(2026, 1, 19),
                    finish=dt.date(2026, 1, 9),
                ),
            ]
        )  # fmt: skip

    response = logged_in(client, manager).get(TREND)

    assert response.status_code == 200
    html = response.content.decode()
    header = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert re.findall(r'class="text-secondary">([^<]+)<', header) == [
        "5 Jan 26",
        "19 Jan 26",
        "Today",
    ]
    row = re.search(rf"app-key me-1\">{golive.key}<.*?</tr>", html, re.S).group(0)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    # drift: today's forecast (7 Jan, the plan as it stands) against the first snapshot (7 Jan)
    assert cells == ["0", "7 Jan 26", "9 Jan 26", "7 Jan 26"]
    assert '<td class="ms-cell-later">9 Jan 26</td>' in row
    assert '<td class="ms-cell-earlier">7 Jan 26</td>' in row
    data = json.loads(re.search(r'id="milestone-trend-data"[^>]*>(.*?)</script>', html).group(1))
    assert data["dates"] == ["2026-01-05", "2026-01-19", "2026-02-02"]


@pytest.mark.parametrize("url", [MILESTONES, TREND])
def test_milestone_pages_query_count_does_not_grow(url, client, program, manager, count_queries):
    ws = WorkstreamFactory(program=program, name="Stream", actor=manager)
    logged_in(client, manager)
    counts = []
    for batch in (1, 2):
        for i in range(batch):
            ItemFactory(
                program=program, name=f"M{batch}{i}", kind=ItemKind.MILESTONE, workstream=ws
            )
        with count_queries() as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]  # 1 milestone, then 3
