"""The KPI pages through the client: the registry, a KPI's page, the forms and the buttons."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import ProgramFactory, manager_of, member
from reporting.models import KpiDefinition, KpiValue
from reporting.selectors.kpis import current_period
from reporting.services.kpis import kpi_standard_add, kpi_update, record_week
from reporting.tests.factories import make_kpi, make_kpi_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory(code="KPV")


@pytest.fixture
def pm(program):
    return manager_of(program)


@pytest.fixture
def client_pm(client, pm):
    client.force_login(pm)
    return client


def url(name: str, program, **kwargs) -> str:
    return reverse(f"reporting:{name}", kwargs={"code": program.code, **kwargs})


def test_an_empty_registry_offers_the_standard_kpis(client_pm, program):
    response = client_pm.get(url("kpi_list", program))
    assert response.status_code == 200
    assert b"No KPIs yet" in response.content and b"Add the standard KPIs" in response.content


def test_add_the_standard_kpis_then_record_this_week(client_pm, program):
    response = client_pm.post(url("kpi_standard", program))
    assert response.status_code == 302 and response["Location"] == url("kpi_list", program)
    assert KpiDefinition.objects.filter(program=program).count() == 13
    response = client_pm.post(url("kpi_record", program), follow=True)
    assert f"{current_period(program)} recorded: 13 KPIs.".encode() in response.content
    assert KpiValue.objects.filter(program=program).count() == 13
    page = client_pm.get(url("kpi_list", program)).content.decode()
    assert "Risk exposure" in page and "data-kpi-spark" in page and "Record this week now" in page
    assert "Add the standard KPIs" not in page  # every one is there


def test_the_list_shows_latest_value_target_rag_and_manual_mark(client_pm, program, pm):
    kpi = make_kpi(program, pm, name="Stakeholder satisfaction", unit="percent",
                   target=Decimal("75"), amber_threshold=Decimal("70"))  # fmt: skip
    make_kpi_value(kpi, current_period(program), Decimal("68.5"), manual=True, recorded_by=pm)
    page = client_pm.get(url("kpi_list", program)).content.decode()
    assert "68.5 %" in page and "Target 75 %" in page and "Amber" in page
    assert ">manual</span>" in page


def test_a_viewer_sees_the_registry_without_the_buttons_and_may_not_post(client, program):
    viewer = member(program, Role.VIEWER).user
    client.force_login(viewer)
    page = client.get(url("kpi_list", program)).content.decode()
    assert "New KPI" not in page and "Record this week now" not in page
    assert client.post(url("kpi_standard", program)).status_code == 403
    assert not KpiDefinition.objects.filter(program=program).exists()


def test_create_keeps_the_input_and_says_why_when_refused(client_pm, program, pm):
    data = {
        "name": "Rework rate", "category": "quality", "source": "manual", "formula": "Counted.",
        "unit": "percent", "direction": "lower", "target": "5", "amber_threshold": "3",
        "red_threshold": "", "owner": pm.pk, "active": "on",
    }  # fmt: skip
    response = client_pm.post(url("kpi_create", program), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "must be at or above the target" in page and 'value="Rework rate"' in page
    assert not KpiDefinition.objects.filter(program=program).exists()
    data["amber_threshold"] = "8"
    response = client_pm.post(url("kpi_create", program), data)
    kpi = KpiDefinition.objects.get(program=program)
    assert response.status_code == 302 and response["Location"] == kpi.get_absolute_url()
    assert (kpi.amber_threshold, kpi.owner) == (Decimal("8"), pm)


def test_a_stale_edit_is_refused_and_keeps_the_input(client_pm, program, pm):
    kpi = make_kpi(program, pm, name="Old name")
    page = client_pm.get(url("kpi_edit", program, key=kpi.key))
    assert page.status_code == 200 and b"Old name" in page.content
    data = {
        "name": "New name", "category": "delivery", "source": "manual", "formula": "Counted.",
        "unit": "percent", "direction": "higher", "version": kpi.version, "active": "on",
    }  # fmt: skip
    kpi_update(actor=pm, kpi=kpi, expected_version=kpi.version, description="Meanwhile")
    response = client_pm.post(url("kpi_edit", program, key=kpi.key), data)
    assert response.status_code == 409 and b'value="New name"' in response.content
    kpi.refresh_from_db()
    assert kpi.name == "Old name"


def test_the_kpi_page_shows_history_and_the_manual_value_form(client_pm, program, pm):
    kpi = make_kpi(program, pm, unit="percent", target=Decimal("75"))
    week = current_period(program)
    response = client_pm.post(
        url("kpi_value_create", program, key=kpi.key),
        {"period": week, "value": "71.25", "note": "Pulse survey, 24 replies"},
    )
    assert response.status_code == 302
    value = KpiValue.objects.get(definition=kpi)
    assert (value.value, value.manual, value.recorded_by) == (Decimal("71.25"), True, pm)
    page = client_pm.get(kpi.get_absolute_url()).content.decode()
    assert "71.25 %" in page and "Pulse survey, 24 replies" in page and "Enter a value" in page
    assert "kpi-history-data" in page and "<script" not in page.split("kpi-history-data")[0][-400:]
    # a bad value re-renders the page with the form's errors and what was typed
    response = client_pm.post(url("kpi_value_create", program, key=kpi.key),
                              {"period": week, "value": "abc", "note": "Typed"})  # fmt: skip
    assert response.status_code == 400 and b'value="Typed"' in response.content


def test_a_computed_kpi_has_no_value_form_and_refuses_a_typed_value(client_pm, program, pm):
    kpi_standard_add(actor=pm, program=program)
    record_week(program, current_period(program))
    kpi = KpiDefinition.objects.get(program=program, source="risk_exposure")
    page = client_pm.get(kpi.get_absolute_url()).content.decode()
    assert "Enter a value" not in page and "Computed weekly" in page
    response = client_pm.post(
        url("kpi_value_create", program, key=kpi.key),
        {"period": current_period(program), "value": "1", "note": "x"},
        follow=True,
    )
    assert "computed by the system" in response.content.decode()
    assert KpiValue.objects.get(definition=kpi).manual is False


def test_delete_only_without_values(client_pm, program, pm):
    kept = make_kpi(program, pm)
    make_kpi_value(kept, current_period(program), Decimal("1"))
    page = client_pm.get(url("kpi_delete", program, key=kept.key)).content.decode()
    assert "deactivate it instead" in page
    response = client_pm.post(url("kpi_delete", program, key=kept.key), {"version": 1})
    assert response.status_code == 302 and KpiDefinition.objects.filter(pk=kept.pk).exists()
    gone = make_kpi(program, pm)
    response = client_pm.post(url("kpi_delete", program, key=gone.key), {"version": 1})
    assert response["Location"] == url("kpi_list", program)
    assert not KpiDefinition.objects.filter(pk=gone.pk).exists()


def test_another_programs_kpi_is_not_found(client_pm, program):
    other = ProgramFactory()
    kpi = make_kpi(other)
    assert client_pm.get(url("kpi_detail", program, key=kpi.key)).status_code == 404
    assert client_pm.get(url("kpi_detail", program, key="KPI-999")).status_code == 404
    assert client_pm.get(url("kpi_list", other)).status_code == 404
