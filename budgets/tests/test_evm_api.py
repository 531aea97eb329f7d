"""The earned value API: the page's numbers as JSON, bad input, permissions, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from budgets.tests.evm_factories import STATUS, make_budget, make_items
from core.permissions import Role
from core.tests.factories import UserFactory
from programs.tests.factories import WorkstreamFactory, member

pytestmark = pytest.mark.django_db


def url(program) -> str:
    return reverse("api_v1:budgets_evm", kwargs={"code": program.code})


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def setup(program):
    workstream, _line = make_budget(program)
    make_items(program, workstream)
    return workstream


def test_evm_returns_program_workstreams_and_curve(api, program, setup):
    response = api.get(url(program), {"status_date": STATUS.isoformat()})
    assert response.status_code == 200
    data = response.json()
    assert data["currency"] == "EUR" and data["status_date"] == "2026-02-13"
    measures = data["program"]
    assert {k: measures[k] for k in ("bac", "pv", "ev", "ac", "sv", "cv", "spi", "cpi")} == {
        "bac": "4200.00", "pv": "3200.00", "ev": "3675.00", "ac": "1500.00",
        "sv": "475.00", "cv": "2175.00", "spi": "1.15", "cpi": "2.45",
    }  # fmt: skip
    assert measures["eac"]["cpi"] == {
        "formula": "BAC \u00f7 CPI", "eac": "1714.29", "etc": "214.29", "vac": "2485.71",
        "tcpi": "2.45",
    }  # fmt: skip
    assert measures["eac"]["budget"]["eac"] == "2025.00"  # 1,500 + (4,200 - 3,675)
    assert measures["tcpi_bac"] == "0.19"  # 525 / 2,700 = 0.1944...
    assert measures["spi_status"] == "green"
    [row] = data["workstreams"]
    assert (row["name"], row["weighting"], row["items"], row["percent_complete"]) == (
        "Workstream A", "cost", 3, "87.50",
    )  # fmt: skip
    status = [p for p in data["curve"] if p["is_status"]]
    assert status == [
        {"date": "2026-02-13", "pv": "3200.00", "ev": "3675.00", "ac": "1500.00",
         "is_status": True}
    ]  # fmt: skip
    assert data["eac_projection"][0] == {"date": "2026-02-13", "value": "1500.00"}
    assert data["has_budget"] and data["has_schedule"]


def test_evm_of_an_empty_program(api, program):
    data = api.get(url(program)).json()
    assert data["has_budget"] is False and data["workstreams"] == [] and data["curve"] == []
    assert data["program"]["spi"] is None and data["program"]["eac"]["cpi"]["eac"] is None


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "2031-01-01"])
def test_bad_status_date_is_400_with_the_reason(api, program, setup, value):
    response = api.get(url(program), {"status_date": value})
    assert response.status_code == 400
    assert list(response.json()) == ["status_date"]


def test_permissions(program, setup):
    client = APIClient()
    assert client.get(url(program)).status_code == 401
    client.force_authenticate(member(program, Role.VENDOR).user)
    assert client.get(url(program)).status_code == 403
    client.force_authenticate(UserFactory())
    assert client.get(url(program)).status_code == 404
    client.force_authenticate(member(program, Role.VIEWER).user)
    assert client.get(url(program)).status_code == 200


@pytest.mark.parametrize("count", [1, 3])
def test_query_count_does_not_grow(api, program, count, django_assert_num_queries):
    for n in range(count):
        workstream, _line = make_budget(program, WorkstreamFactory(program=program, name=f"W{n}"))
        make_items(program, workstream, count_extra=count)
    api.get(url(program))  # the calendar cache
    with django_assert_num_queries(13):  # user, program, membership + the report's ten
        assert api.get(url(program), {"status_date": STATUS.isoformat()}).status_code == 200
