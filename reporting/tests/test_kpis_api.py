"""The KPI API: definitions with ETag/If-Match, values (manual POST, 409 for computed KPIs),
the standard KPIs and this week's recording."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import ProgramFactory, manager_of, member
from reporting.models import KpiDefinition, KpiValue
from reporting.selectors.kpis import current_period
from reporting.tests.factories import make_kpi, make_kpi_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory(code="KPA")


@pytest.fixture
def pm(program):
    return manager_of(program)


@pytest.fixture
def api(pm):
    client = APIClient()
    client.force_authenticate(pm)
    return client


def base(program) -> str:
    return f"/api/v1/programs/{program.code}/kpis/"


def test_create_retrieve_and_list_with_latest_value(api, program, pm):
    response = api.post(base(program), {
        "name": "Stakeholder satisfaction", "formula": "Pulse survey, % satisfied.",
        "unit": "percent", "direction": "higher", "target": "75", "amber_threshold": "70",
        "red_threshold": "60", "owner_id": pm.pk,
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.data
    key = response.data["key"]
    assert response["ETag"] == '"1"' and response.data["source"] == "manual"
    assert response.data["owner"]["id"] == pm.pk and response.data["target"] == "75"
    kpi = KpiDefinition.objects.get(program=program, key=key)
    make_kpi_value(kpi, current_period(program), Decimal("68"), manual=True)
    detail = api.get(f"{base(program)}{key}/").data
    assert detail["latest"] == {
        "period": current_period(program), "value": "68", "previous": None, "manual": True,
        "rag": "amber", "trend": "flat", "better": None,
    }  # fmt: skip
    listed = api.get(base(program)).data
    assert [row["key"] for row in listed["results"]] == [key]
    assert listed["results"][0]["latest"]["value"] == "68"


def test_bad_thresholds_and_a_non_member_owner_answer_400(api, program):
    response = api.post(base(program), {
        "name": "Cycle time", "formula": "Days.", "direction": "lower", "target": "10",
        "amber_threshold": "5",
    }, format="json")  # fmt: skip
    assert response.status_code == 400 and "amber_threshold" in response.data
    outsider = ProgramFactory()
    response = api.post(base(program), {"name": "X", "formula": "Y", "owner_id": manager_of(
        outsider).pk}, format="json")  # fmt: skip
    assert response.status_code == 400 and "owner_id" in response.data
    response = api.post(base(program), {"name": "X", "source": "manual"}, format="json")
    assert response.status_code == 400 and "formula" in response.data
    assert not KpiDefinition.objects.filter(program=program).exists()


def test_updates_need_the_current_version(api, program, pm):
    kpi = make_kpi(program, pm)
    url = f"{base(program)}{kpi.key}/"
    assert api.patch(url, {"name": "Renamed"}, format="json").status_code == 428
    response = api.patch(url, {"name": "Renamed"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    stale = api.patch(url, {"name": "Again"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412 and stale.data["current"]["name"] == "Renamed"


def test_source_change_and_delete_of_a_kpi_with_values_answer_409(api, program, pm):
    kpi = make_kpi(program, pm)
    make_kpi_value(kpi, current_period(program), Decimal("1"), manual=True)
    url = f"{base(program)}{kpi.key}/"
    response = api.patch(url, {"source": "spi"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 409 and "source cannot change" in response.data["detail"]
    assert api.delete(url, HTTP_IF_MATCH='"1"').status_code == 409
    empty = make_kpi(program, pm)
    assert api.delete(f"{base(program)}{empty.key}/", HTTP_IF_MATCH='"1"').status_code == 204
    assert KpiDefinition.objects.filter(program=program).count() == 1


def test_values_list_and_manual_entry(api, program, pm):
    kpi = make_kpi(program, pm, unit="percent")
    week = current_period(program)
    url = f"{base(program)}{kpi.key}/values/"
    response = api.post(url, {"period": week, "value": "72.5", "note": "Survey, 30 replies"},
                        format="json")  # fmt: skip
    assert response.status_code == 201, response.data
    assert response.data["manual"] is True and response.data["recorded_by"]["id"] == pm.pk
    assert response.data["value"] == "72.5"
    listed = api.get(url).data
    assert [(v["period"], v["value"]) for v in listed["results"]] == [(week, "72.5")]
    response = api.post(url, {"period": "2026-W99", "value": "1", "note": "x"}, format="json")
    assert response.status_code == 400 and "period" in response.data


def test_values_of_a_computed_kpi_are_refused_with_409(api, program, pm):
    standard = api.post(f"{base(program)}standard/").data
    assert len(standard) == 13
    recorded = api.post(f"{base(program)}record/").data
    assert recorded["created"] == 13 and recorded["period"] == current_period(program)
    assert api.post(f"{base(program)}record/").data["unchanged"] == 13
    key = next(row["key"] for row in standard if row["source"] == "risk_exposure")
    response = api.post(f"{base(program)}{key}/values/",
                        {"period": current_period(program), "value": "1", "note": "x"},
                        format="json")  # fmt: skip
    assert response.status_code == 409 and "computed by the system" in response.data["detail"]
    assert KpiValue.objects.get(definition__key=key, program=program).manual is False


def test_roles_and_membership(program, pm):
    viewer = member(program, Role.VIEWER).user
    client = APIClient()
    client.force_authenticate(viewer)
    assert client.get(base(program)).status_code == 200
    assert (
        client.post(base(program), {"name": "X", "formula": "Y"}, format="json").status_code == 403
    )
    outsider = APIClient()
    outsider.force_authenticate(manager_of(ProgramFactory()))
    assert outsider.get(base(program)).status_code == 404
