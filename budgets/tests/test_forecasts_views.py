"""Forecast pages and API: the grid and a line's page with its movement, re-forecasting a line
(saved, refused with the input kept, stale version 409), copying the plan, permissions (403 for
a role without budget.change, 404 for a non-member and another program's line) and query
counts that do not grow with lines."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from budgets.models import ForecastEntry
from budgets.services import forecasts as services
from budgets.tests.actuals_factories import NOV, TODAY, client, make_budget, manual
from budgets.tests.factories import make_line, plan

pytestmark = pytest.mark.django_db

GRID = "/programs/ERP/budget/forecasts/"
API = "/api/v1/programs/ERP/budget/forecasts/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def budget(db):
    return make_budget()


def edit_url(line):
    return f"{GRID}{line.key}/edit/"


def test_grid_shows_lines_by_workstream_with_eac_and_closed_actuals(budget):
    manual(budget.labour, NOV.replace(month=10), "12345.67")
    response = client(budget.cast.viewer).get(GRID)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Finance &amp; Controlling" in body and "Operations" in body
    assert "12,345.67" in body  # October is closed: its actual
    assert "EUR" in body
    closed = client(budget.cast.viewer).get(GRID + "?closed=1").content.decode()
    assert "Oct 26" in closed and "Oct 26" not in body


def test_grid_queries_do_not_grow_with_lines(budget):
    c = client(budget.cast.finance)
    c.get(GRID)
    with CaptureQueriesContext(connection) as few:
        c.get(GRID)
    for n in range(3):
        line = make_line(budget.program, category=budget.labour.category, name=f"Extra {n}")
        plan(line, NOV, "100.00")
    with CaptureQueriesContext(connection) as many:
        assert c.get(GRID).status_code == 200
    assert len(many) == len(few)


def test_reforecast_saves_the_changed_months_and_redirects_to_the_line(budget):
    line = budget.labour
    response = client(budget.cast.finance).post(
        edit_url(line),
        {"version": line.version, "m_2026-11": "12,500.00", "m_2026-12": "", "note": "Overtime"},
    )
    assert response.status_code == 302 and response["Location"] == f"{GRID}{line.key}/"
    entry = ForecastEntry.objects.get(line=line)
    assert (entry.month, entry.amount, entry.note, entry.as_of.isoformat()) == (
        NOV, Decimal("12500.00"), "Overtime", "2026-11-16",
    )  # fmt: skip


def test_reforecast_with_bad_amounts_keeps_the_input_and_saves_nothing(budget):
    line = budget.labour
    response = client(budget.cast.finance).post(
        edit_url(line), {"version": line.version, "m_2026-11": "abc", "m_2026-12": "10.555"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "is not an amount" in body and "more than two decimals" in body
    assert 'value="abc"' in body and 'value="10.555"' in body
    assert not ForecastEntry.objects.exists()


def test_a_stale_reforecast_is_refused_with_the_input_kept(budget):
    line = budget.labour
    old = line.version
    services.forecast_line_save(
        actor=budget.cast.pm, line=line, amounts={NOV: "11000.00"}, expected_version=old
    )
    response = client(budget.cast.finance).post(
        edit_url(line), {"version": old, "m_2026-11": "15000.00"}
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "while you were editing" in body and 'value="15000.00"' in body
    assert "now 11,000.00" in body
    assert ForecastEntry.objects.get(line=line, is_latest=True).amount == Decimal("11000.00")


def test_copy_plan_from_the_line_page(budget):
    line = budget.labour
    response = client(budget.cast.pm).post(
        f"{GRID}{line.key}/copy-plan/", {"version": line.version}
    )
    assert response.status_code == 302
    assert ForecastEntry.objects.filter(line=line, is_latest=True).count() == 8


def test_line_page_shows_the_movement_table_and_chart_data(budget):
    line = budget.labour
    services.forecast_line_save(
        actor=None, line=line, amounts={NOV: "11000.00"}, expected_version=None
    )
    body = client(budget.cast.viewer).get(f"{GRID}{line.key}/").content.decode()
    assert "bud-movement-data" in body and "16 Nov 2026" in body
    movement = client(budget.cast.viewer).get(f"{GRID}movement/")
    assert movement.status_code == 200 and "Estimate at completion by as-of date" in (
        movement.content.decode()
    )


def test_permissions_and_scoping(budget):
    line = budget.labour
    assert client(budget.cast.contributor).get(edit_url(line)).status_code == 403
    assert client(budget.cast.contributor).post(edit_url(line), {}).status_code == 403
    other = make_budget("CRM")
    assert client(other.cast.finance).get(GRID).status_code == 404
    assert client(budget.cast.finance).get(f"{GRID}BL-999/").status_code == 404


# --- API ----------------------------------------------------------------------------------------


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_api_grid_and_history(budget):
    data = api(budget.cast.viewer).get(API).json()
    assert data["currency"] == "EUR" and data["as_of_month"] == "2026-11"
    row = next(r for r in data["lines"] if r["key"] == budget.labour.key)
    assert row["budget"] == "120000.00" and len(row["months"]) == 18
    assert api(budget.cast.viewer).get(API + "history/").json() == []


def test_api_reforecast_with_if_match_and_a_stale_one_412(budget):
    line = budget.labour
    c = api(budget.cast.finance)
    url = f"{API}{line.key}/"
    etag = c.get(url)["ETag"]
    response = c.post(url, {"months": {"2026-11": "11000.00"}}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["months"][10]["forecast"] == "11000.00"
    assert response["ETag"] == f'"{line.version + 1}"'
    stale = c.post(url, {"months": {"2026-11": "1.00"}}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["current"]["key"] == line.key


def test_api_reforecast_bad_input_is_400_and_saves_nothing(budget):
    line = budget.labour
    c = api(budget.cast.finance)
    body = {"months": {"2026-10": "1.00", "2026-11": "x"}, "version": line.version}
    response = c.post(f"{API}{line.key}/", body, format="json")
    assert response.status_code == 400
    text = json.dumps(response.json())
    assert "closed" in text and "not an amount" in text
    assert c.post(f"{API}{line.key}/", {"months": {"March": "1"}, "version": line.version},
                  format="json").status_code == 400  # fmt: skip
    assert not ForecastEntry.objects.exists()


def test_api_permissions(budget):
    line = budget.labour
    url = f"{API}{line.key}/"
    body = {"months": {"2026-11": "1.00"}, "version": line.version}
    assert api(budget.cast.contributor).post(url, body, format="json").status_code == 403
    assert api(budget.cast.contributor).get(url).status_code == 200
    other = make_budget("CRM")
    assert api(other.cast.finance).get(url).status_code == 404
    copy = api(budget.cast.finance).post(url + "copy-plan/", {"version": line.version})
    assert copy.status_code == 200
