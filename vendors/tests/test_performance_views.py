"""Performance pages: scorecards, SLAs and measurements (htmx), escalations and their steps,
query counts that do not grow, and the vendor portal's isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import member
from vendors.models import Escalation, SLAMeasurement
from vendors.services import performance as services
from vendors.tests.factories import fresh, make_contract, make_portal_user, make_vendor
from vendors.tests.performance_factories import (
    make_deliverable,
    make_escalation,
    make_sla,
    measure,
    review,
    submit,
    utc,
)

pytestmark = pytest.mark.django_db


def url(name, program, **kwargs):
    return reverse(f"vendors:{name}", kwargs={"code": program.code, **kwargs})


@pytest.fixture
def data(program):
    alpha = make_vendor(program, name="Alpha Hosting")
    beta = make_vendor(program, name="Beta Consulting")
    a_contract = make_contract(program, alpha, title="Alpha hosting order")
    b_contract = make_contract(program, beta, title="Beta SOW")
    a_sla = make_sla(program, a_contract, metric="Alpha availability")
    b_sla = make_sla(program, b_contract, metric="Beta report punctuality", target=95)
    measure(a_sla, dt.date(2026, 3, 1), "98.1", note="Internal: storage failover failed")
    measure(b_sla, dt.date(2026, 3, 1), "100", note="Beta internal note")
    return {"alpha": alpha, "beta": beta, "a_sla": a_sla, "b_sla": b_sla,
            "a_contract": a_contract, "b_contract": b_contract}  # fmt: skip


# --- scorecards -----------------------------------------------------------------------------


def test_scorecard_list_shows_each_vendor_for_the_chosen_period(client, program, manager, data):
    client.force_login(manager)
    response = client.get(url("scorecard_list", program) + "?period=2026-03")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Alpha Hosting" in text and "Beta Consulting" in text
    assert 'perf-value perf-red">0<span class="perf-unit">%' in text  # Alpha's SLA: 0 of 1
    assert 'perf-value perf-green">100<span class="perf-unit">%' in text  # Beta's
    assert response.context["period"].slug == "2026-03"


def test_scorecard_period_falls_back_to_the_last_complete_month(client, program, manager, data):
    client.force_login(manager)
    today = services.program_today(program)
    for query in ("?period=nonsense", "?period=2099-01", ""):
        response = client.get(url("scorecard_list", program) + query)
        assert response.context["period"].end < today
    response = client.get(url("scorecard_list", program) + "?period=2026-Q1")
    assert response.context["period"].label == "Q1 2026"


def test_vendor_scorecard_has_trend_slas_and_open_escalations(client, program, manager, data):
    make_escalation(program, data["alpha"], title="Alpha outage escalation")
    client.force_login(manager)
    response = client.get(url("vendor_scorecard", program, key=data["alpha"].key))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Alpha availability" in text and "Alpha outage escalation" in text
    assert "Beta report punctuality" not in text
    assert 'id="perf-trend-data"' in text and "<table" in text  # chart and table fallback
    assert len(response.context["chart"]["labels"]) == 12


def test_vendor_scorecard_of_a_prospect_or_unknown_key_is_404(client, program, manager):
    prospect = make_vendor(program, name="Tailspin", status="prospect")
    client.force_login(manager)
    assert client.get(url("vendor_scorecard", program, key=prospect.key)).status_code == 404
    assert client.get(url("vendor_scorecard", program, key="VND-99")).status_code == 404


def _add_rows(program, vendor_count: int) -> None:
    for n in range(vendor_count):
        vendor = make_vendor(program, name=f"Extra {n}")
        contract = make_contract(program, vendor, title=f"Extra SOW {n}")
        for m in range(2):
            sla = make_sla(program, contract, metric=f"Metric {m}")
            for month in (1, 2, 3):
                measure(sla, dt.date(2026, month, 1), 99 + m)
        for day in (2, 3):
            d = make_deliverable(contract, dt.date(2026, 3, day))
            review(submit(d, utc(2026, 3, day, 9)), utc(2026, 3, day + 2, 9), accepted=True)
        make_escalation(program, vendor, raised_on=dt.date(2026, 3, 10))


@pytest.mark.parametrize(
    ("name", "kwargs", "query"),
    [
        ("scorecard_list", {}, "?period=2026-03"),
        ("vendor_scorecard", {"key": "VND-1"}, "?period=2026-03"),
        ("sla_list", {}, ""),
        ("escalation_list", {}, "?status="),
        ("portal_scorecard", {}, "?period=2026-03"),
    ],
)
def test_page_query_counts_do_not_grow_with_rows(
    client, program, manager, data, count_queries, name, kwargs, query
):
    user = manager
    if name.startswith("portal"):
        user = make_portal_user(program, data["alpha"]).membership.user
    make_escalation(program, data["alpha"], raised_on=dt.date(2026, 3, 2))  # 1 row vs many
    client.force_login(user)
    address = url(name, program, **kwargs) + query
    client.get(address)  # warm caches (session, content types)
    with count_queries() as few:
        assert client.get(address).status_code == 200
    _add_rows(program, 3)
    with count_queries() as many:
        assert client.get(address).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# --- SLAs and measurements ------------------------------------------------------------------


def test_sla_create_keeps_the_input_on_error_and_saves_when_valid(client, program, manager, data):
    client.force_login(manager)
    form = {"contract": data["a_contract"].pk, "metric": "P1 response", "direction": "at_most",
            "target": "150", "unit": "%", "period": "monthly"}  # fmt: skip
    response = client.post(url("sla_create", program), form)
    assert response.status_code == 400
    assert "A percentage target lies between 0 and 100." in response.content.decode()
    assert 'value="P1 response"' in response.content.decode()
    response = client.post(url("sla_create", program), {**form, "target": "4", "unit": "hours"})
    sla = data["a_contract"].service_levels.get(metric="P1 response")
    assert response.status_code == 302 and response["Location"] == url(
        "sla_detail", program, pk=sla.pk
    )


def test_sla_edit_with_a_stale_version_shows_the_conflict(client, program, manager, data):
    sla = data["a_sla"]
    services.service_level_update(
        actor=manager, service_level=sla, expected_version=1, metric="Renamed meanwhile"
    )
    client.force_login(manager)
    form = {"version": 1, "contract": sla.contract_id, "metric": "My name", "direction": "at_least",
            "target": "99", "unit": "%", "period": "monthly"}  # fmt: skip
    response = client.post(url("sla_edit", program, pk=sla.pk), form)
    assert response.status_code == 409
    assert "changed this while you were editing" in response.content.decode()
    assert fresh(sla).metric == "Renamed meanwhile"


def test_recording_a_measurement_with_htmx_returns_the_section(client, program, manager, data):
    sla = data["a_sla"]
    client.force_login(manager)
    address = url("measurement_create", program, pk=sla.pk)
    response = client.post(
        address, {"period_start": "2026-04-01", "value": "99.1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="sla-measurements"' in text and "<html" not in text
    assert "April 2026 recorded: breached the target." in text
    assert SLAMeasurement.objects.get(service_level=sla, period_start=dt.date(2026, 4, 1)).breached


def test_recording_an_already_measured_period_is_refused_and_keeps_the_input(
    client, program, manager, data
):
    client.force_login(manager)
    address = url("measurement_create", program, pk=data["a_sla"].pk)
    response = client.post(
        address, {"period_start": "2026-03-01", "value": "77.7"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert 'value="77.7"' in response.content.decode()
    assert SLAMeasurement.objects.filter(service_level=data["a_sla"]).count() == 1


def test_sla_page_flags_breaches_and_offers_escalation(client, program, manager, data):
    client.force_login(manager)
    response = client.get(url("sla_detail", program, pk=data["a_sla"].pk))
    text = response.content.decode()
    assert "Breach" in text and "Internal: storage failover failed" in text
    breach = SLAMeasurement.objects.get(service_level=data["a_sla"])
    assert url("measurement_escalate", program, pk=breach.pk) in text


def test_contributor_records_but_cannot_delete_or_edit_slas(client, program, data):
    contributor = member(program, Role.CONTRIBUTOR).user
    client.force_login(contributor)
    m = SLAMeasurement.objects.get(service_level=data["a_sla"])
    response = client.post(
        url("measurement_edit", program, pk=m.pk), {"version": 1, "value": "99.9"}
    )
    assert response.status_code == 302
    assert fresh(m).value == Decimal("99.9") and fresh(m).breached is False
    assert client.post(url("measurement_delete", program, pk=m.pk)).status_code == 403
    assert client.get(url("sla_edit", program, pk=data["a_sla"].pk)).status_code == 403


# --- escalations ----------------------------------------------------------------------------


def test_escalation_from_a_breach_is_prefilled_and_raised(client, program, manager, data):
    breach = SLAMeasurement.objects.get(service_level=data["a_sla"])
    client.force_login(manager)
    address = url("measurement_escalate", program, pk=breach.pk)
    response = client.get(address)
    form = response.context["form"]
    assert form.initial["title"] == "SLA breach: Alpha availability, March 2026"
    assert form.initial["level"] == 1
    post = {"vendor": data["alpha"].pk, "contract": data["a_contract"].pk,
            "title": form.initial["title"], "level": 1, "reason": form.initial["reason"],
            "owner": manager.pk}  # fmt: skip
    response = client.post(address, post)
    escalation = Escalation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("escalation_detail", program, key=escalation.key)
    met = measure(data["b_sla"], dt.date(2026, 4, 1), "99")
    assert client.get(url("measurement_escalate", program, pk=met.pk)).status_code == 404


def test_escalation_steps_through_htmx(client, program, manager, data):
    esc = make_escalation(program, data["alpha"])
    client.force_login(manager)
    resolve = url("escalation_resolve", program, key=esc.key)
    response = client.post(resolve, {"version": 1, "outcome": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and fresh(esc).status == "open"
    response = client.post(
        url("escalation_escalate", program, key=esc.key),
        {"version": 1, "note": "No answer in 5 days"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("escalation_detail", program, key=esc.key)
    assert fresh(esc).level == 2
    response = client.post(resolve, {"version": 1, "outcome": "Agreed"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409 and fresh(esc).status == "open"  # stale version
    response = client.post(resolve, {"version": 2, "outcome": "Agreed"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and fresh(esc).status == "resolved"
    response = client.get(url("escalation_escalate", program, key=esc.key))
    assert "reopen it first" in response.content.decode()
    detail = client.get(url("escalation_detail", program, key=esc.key)).content.decode()
    assert "No answer in 5 days" in detail and "Agreed" in detail


def test_escalation_list_defaults_to_open_ones(client, program, manager, data):
    make_escalation(program, data["alpha"], title="Still open")
    done = make_escalation(program, data["beta"], title="Already resolved")
    services.escalation_resolve(actor=None, escalation=done, expected_version=1, outcome="Ok")
    client.force_login(manager)
    text = client.get(url("escalation_list", program)).content.decode()
    assert "Still open" in text and "Already resolved" not in text
    text = client.get(url("escalation_list", program) + "?status=").content.decode()
    assert "Already resolved" in text


# --- the portal -----------------------------------------------------------------------------


def test_portal_scorecard_shows_only_the_bound_vendor(client, program, data):
    user = make_portal_user(program, data["alpha"]).membership.user
    make_escalation(program, data["beta"], title="Beta escalation")
    client.force_login(user)
    for name in ("portal_scorecard", "portal_slas"):
        response = client.get(url(name, program))
        assert response.status_code == 200
        text = response.content.decode()
        assert "Alpha availability" in text
        assert "Beta" not in text
        assert "Internal: storage failover failed" not in text  # measurement notes are internal
    assert client.get(url("scorecard_list", program)).status_code == 403
    assert client.get(url("sla_detail", program, pk=data["b_sla"].pk)).status_code == 403


def test_portal_needs_a_binding(client, program):
    unbound = member(program, Role.VENDOR).user
    client.force_login(unbound)
    assert client.get(url("portal_scorecard", program)).status_code == 403
