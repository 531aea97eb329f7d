"""Performance API: SLAs, measurements, escalations and scorecards; 400/404/409/412/428
answers with reasons; query counts that do not grow; portal isolation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from programs.tests.factories import ProgramFactory
from vendors.models import Escalation, SLAMeasurement
from vendors.selectors.performance import attainment_window_start
from vendors.services import performance as services
from vendors.tests.factories import fresh, make_contract, make_portal_user, make_vendor
from vendors.tests.performance_factories import make_escalation, make_sla, measure

pytestmark = pytest.mark.django_db


def api(name, program, **kwargs):
    return reverse(f"api_v1:vendors_{name}", kwargs={"code": program.code, **kwargs})


@pytest.fixture
def data(program):
    alpha = make_vendor(program, name="Alpha")
    beta = make_vendor(program, name="Beta")
    a_contract = make_contract(program, alpha)
    b_contract = make_contract(program, beta, title="Beta SOW")
    a_sla = make_sla(program, a_contract, metric="Alpha availability")
    b_sla = make_sla(program, b_contract, metric="Beta availability")
    measure(a_sla, dt.date(2026, 3, 1), "99.1", note="internal")
    measure(b_sla, dt.date(2026, 3, 1), "99.9")
    return {"alpha": alpha, "beta": beta, "a_sla": a_sla, "b_sla": b_sla,
            "a_contract": a_contract}  # fmt: skip


@pytest.fixture
def client(manager):
    c = APIClient()
    c.force_authenticate(manager)
    return c


def test_sla_create_list_and_retrieve(client, program, data):
    response = client.post(
        api("sla_list", program),
        {"contract": data["a_contract"].key, "metric": "P1 response", "target": "4",
         "unit": "hours", "direction": "at_most"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.data
    assert response["ETag"] == '"1"'
    assert response.data["vendor"] == {"key": data["alpha"].key, "name": "Alpha"}
    assert (response.data["target"], response.data["period"]) == ("4", "monthly")
    rows = client.get(api("sla_list", program) + f"?vendor={data['alpha'].key}").data["results"]
    assert [r["metric"] for r in rows] == ["Alpha availability", "P1 response"]
    first = rows[0]
    assert first["last_measurement"] == {"period_start": "2026-03-01", "value": "99.1",
                                         "breached": True}  # fmt: skip
    since = attainment_window_start(services.program_today(program))
    inside = dt.date(2026, 3, 31) >= since  # the window moves with today
    assert first["attainment_12_months"] == (
        {"measured": 1, "breaches": 1, "percent": "0.0"}
        if inside
        else {"measured": 0, "breaches": 0, "percent": None}
    )


def test_sla_errors_answer_400_404_412_428(client, program, data):
    bad = client.post(
        api("sla_list", program),
        {"contract": "CTR-99", "metric": "X", "target": "1", "unit": "%"},
        format="json",
    )
    assert bad.status_code == 400 and "contract" in bad.data
    over = client.post(
        api("sla_list", program),
        {"contract": data["a_contract"].key, "metric": "X", "target": "120", "unit": "%"},
        format="json",
    )
    assert over.status_code == 400 and "target" in over.data
    other = ProgramFactory(code="OTH")
    foreign = make_sla(other, make_contract(other, make_vendor(other)))
    assert client.get(api("sla_detail", program, pk=foreign.pk)).status_code == 404
    address = api("sla_detail", program, pk=data["a_sla"].pk)
    assert client.patch(address, {"metric": "New"}, format="json").status_code == 428
    stale = client.patch(address, {"metric": "New"}, format="json", HTTP_IF_MATCH='"9"')
    assert stale.status_code == 412
    assert stale.data["current"]["metric"] == "Alpha availability"
    ok = client.patch(address, {"metric": "New"}, format="json", HTTP_IF_MATCH='"1"')
    assert (ok.status_code, ok.data["metric"], ok["ETag"]) == (200, "New", '"2"')
    period = client.patch(address, {"period": "weekly"}, format="json", HTTP_IF_MATCH='"2"')
    assert period.status_code == 400 and "period" in period.data


def test_measurement_record_errors_and_deactivated_sla(client, program, data):
    address = api("measurement_list", program, pk=data["a_sla"].pk)
    misaligned = client.post(address, {"period_start": "2026-04-02", "value": "99"}, format="json")
    assert misaligned.status_code == 400
    assert "Did you mean 1 Apr 2026 to 30 Apr 2026?" in misaligned.data["period_start"][0]
    twice = client.post(address, {"period_start": "2026-03-01", "value": "99"}, format="json")
    assert twice.status_code == 400 and "already has a measurement" in twice.data["period_start"][0]
    ok = client.post(address, {"period_start": "2026-04-01", "value": "99.8"}, format="json")
    assert ok.status_code == 201
    assert (ok.data["period_end"], ok.data["breached"]) == ("2026-04-30", False)
    deactivate = client.post(api("sla_deactivate", program, pk=data["a_sla"].pk), {}, format="json")
    assert deactivate.status_code == 200 and deactivate.data["is_active"] is False
    refused = client.post(address, {"period_start": "2026-05-01", "value": "99"}, format="json")
    assert refused.status_code == 409 and "deactivated" in refused.data["detail"]
    again = client.post(api("sla_deactivate", program, pk=data["a_sla"].pk), {}, format="json")
    assert again.status_code == 409
    assert SLAMeasurement.objects.filter(service_level=data["a_sla"]).count() == 2


def test_measurement_correct_and_delete(client, program, data):
    m = SLAMeasurement.objects.get(service_level=data["a_sla"])
    address = api("measurement_detail", program, pk=m.pk)
    fixed = client.patch(address, {"value": "99.7"}, format="json", HTTP_IF_MATCH='"1"')
    assert (fixed.status_code, fixed.data["breached"]) == (200, False)
    assert client.delete(address).status_code == 428
    assert client.delete(address, HTTP_IF_MATCH='"1"').status_code == 412
    assert client.delete(address, HTTP_IF_MATCH='"2"').status_code == 204
    assert not SLAMeasurement.objects.filter(pk=m.pk).exists()


def test_escalation_lifecycle(client, program, manager, data):
    created = client.post(
        api("escalation_list", program),
        {"vendor": data["alpha"].key, "contract": data["a_contract"].key, "title": "Outages",
         "reason": "Three breaches", "owner_id": manager.pk},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.data
    key = created.data["key"]
    assert (created.data["level"], created.data["status"]) == (1, "open")
    wrong = client.post(
        api("escalation_list", program),
        {"vendor": data["beta"].key, "contract": data["a_contract"].key, "title": "X",
         "reason": "Y"},
        format="json",
    )  # fmt: skip
    assert wrong.status_code == 400 and "contract" in wrong.data
    up = client.post(
        api("escalation_escalate", program, key=key), {"note": "No plan"}, format="json"
    )
    assert (up.status_code, up.data["level"]) == (200, 2)
    no_outcome = client.post(api("escalation_resolve", program, key=key), {}, format="json")
    assert no_outcome.status_code == 400 and "outcome" in no_outcome.data
    stale = client.post(
        api("escalation_resolve", program, key=key), {"outcome": "Ok"}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip
    assert stale.status_code == 412
    done = client.post(api("escalation_resolve", program, key=key), {"outcome": "Plan agreed"},
                       format="json")  # fmt: skip
    assert (done.status_code, done.data["status"]) == (200, "resolved")
    closed = client.post(api("escalation_close", program, key=key), {"outcome": "x"}, format="json")
    assert closed.status_code == 409 and "reopen it" in closed.data["detail"]
    edit = client.patch(
        api("escalation_detail", program, key=key), {"title": "New"}, format="json",
        HTTP_IF_MATCH=f'"{done.data["version"]}"',
    )  # fmt: skip
    assert edit.status_code == 409
    reopened = client.post(api("escalation_reopen", program, key=key), {"note": "Recurred"},
                           format="json")  # fmt: skip
    assert (reopened.status_code, reopened.data["status"]) == (200, "open")
    level = client.patch(
        api("escalation_detail", program, key=key), {"level": 4}, format="json",
        HTTP_IF_MATCH=f'"{reopened.data["version"]}"',
    )  # fmt: skip
    assert level.status_code == 400
    assert client.get(api("escalation_detail", program, key="ESC-99")).status_code == 404
    assert fresh(Escalation.objects.get(key=key)).level == 2


def test_scorecards_api(client, program, data):
    response = client.get(api("scorecard_list", program) + "?period=2026-03")
    assert response.status_code == 200
    assert response.data["period"]["label"] == "March 2026"
    by_vendor = {r["vendor"]["name"]: r for r in response.data["results"]}
    assert by_vendor["Alpha"]["sla_attainment"]["value"] == 0.0
    assert by_vendor["Beta"]["sla_attainment"]["colour"] == "green"
    detail = client.get(
        api("scorecard_detail", program, key=data["alpha"].key) + "?period=2026-Q1&periods=4"
    )
    assert detail.status_code == 200
    assert [t["period"] for t in detail.data["trend"]] == [
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
    ]
    for query in ("?period=2026-13", "?periods=99", "?period=2099-01"):
        assert (
            client.get(api("scorecard_detail", program, key=data["alpha"].key) + query).status_code
            == 400
        )
    assert client.get(api("scorecard_detail", program, key="VND-99")).status_code == 404


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("scorecard_list", {}),
        ("scorecard_detail", {"key": "VND-1"}),
        ("sla_list", {}),
        ("escalation_list", {}),
        ("portal_scorecard", {}),
        ("portal_sla_list", {}),
    ],
)
def test_api_query_counts_do_not_grow(client, program, data, count_queries, name, kwargs):
    if name.startswith("portal"):
        client.force_authenticate(make_portal_user(program, data["alpha"]).membership.user)
    make_escalation(program, data["alpha"])
    address = api(name, program, **kwargs) + "?period=2026-03"
    client.get(address)
    with count_queries() as few:
        assert client.get(address).status_code == 200
    for n in range(3):
        vendor = make_vendor(program, name=f"V{n}")
        sla = make_sla(program, make_contract(program, vendor, title=f"C{n}"))
        for month in (1, 2, 3):
            measure(sla, dt.date(2026, month, 1), 99)
        make_escalation(program, vendor)
        make_escalation(program, data["alpha"])
        measure(make_sla(program, data["a_contract"], metric=f"M{n}"), dt.date(2026, 2, 1), 98)
    with count_queries() as many:
        assert client.get(address).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_portal_api_is_limited_to_the_bound_vendor(program, data):
    user = make_portal_user(program, data["alpha"]).membership.user
    client = APIClient()
    client.force_authenticate(user)
    scorecard = client.get(api("portal_scorecard", program) + "?period=2026-03")
    assert scorecard.status_code == 200 and scorecard.data["vendor"]["name"] == "Alpha"
    slas = client.get(api("portal_sla_list", program)).data["results"]
    assert [s["metric"] for s in slas] == ["Alpha availability"]
    own = client.get(api("portal_measurement_list", program, pk=data["a_sla"].pk))
    assert own.status_code == 200
    assert "note" not in own.data["results"][0] and "recorded_by" not in own.data["results"][0]
    assert (
        client.get(api("portal_measurement_list", program, pk=data["b_sla"].pk)).status_code == 404
    )
    assert client.get(api("sla_list", program)).status_code == 403
    assert client.get(api("scorecard_list", program)).status_code == 403


def test_stale_sla_deactivate_answers_412(client, program, data):
    services.service_level_update(
        actor=None, service_level=data["a_sla"], expected_version=1, metric="Renamed"
    )
    response = client.post(
        api("sla_deactivate", program, pk=data["a_sla"].pk), {}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 412 and fresh(data["a_sla"]).is_active is True
