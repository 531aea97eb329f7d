"""Contracts API: list with remaining values (constant queries), CRUD with If-Match (400, 404,
409, 412, 428), status steps, amendments (list and create only), milestones and rate cards,
and the portal's read-only contracts filtered by the caller's vendor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from governance.tests.factories_changes import make_cr
from vendors.models import Amendment, Contract
from vendors.tests.contract_factories import (
    amend,
    contract_cast,
    make_contract,
    make_vendor,
    milestone,
)
from vendors.tests.factories import fresh, make_portal_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programs/ERP/vendors/contracts/"
PORTAL = "/api/v1/programs/ERP/vendors/portal/contracts/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def cast(db):
    return contract_cast()


@pytest.fixture
def vendor(cast):
    return make_vendor(cast.program, actor=cast.pm, name="Northwind Consulting")


@pytest.fixture
def contract(cast, vendor):
    return make_contract(cast.program, vendor, actor=cast.pm, value=Decimal("100000.00"))


def test_list_and_detail_show_remaining_value(cast, contract):
    amend(contract, cast.pm, "25000.00", dt.date(2027, 3, 31))
    milestone(contract, cast.pm, "40000.00")
    body = api(cast.viewer).get(BASE).json()

    assert body["count"] == 1
    row = body["results"][0]
    assert row == {
        **row,
        "key": contract.key, "vendor": "VND-1", "vendor_name": "Northwind Consulting",
        "value": "100000.00", "current_value": "125000.00", "amendment_count": 1,
        "amendments_total": "25000.00", "invoiced": "0.00", "remaining": "125000.00",
        "milestones_total": "40000.00", "current_end_date": "2027-03-31", "currency": "EUR",
        "status": "active", "type": "fixed_price", "version": 2,
    }  # fmt: skip
    detail = api(cast.viewer).get(f"{BASE}{contract.key}/")
    assert detail.json() == row
    assert detail["ETag"] == '"2"'


def test_list_filters(cast, vendor, contract):
    other = make_vendor(cast.program, actor=cast.pm, name="Contoso")
    theirs = make_contract(cast.program, other, actor=cast.pm, title="Migration", status="draft")
    client = api(cast.pm)
    keys = lambda **q: [r["key"] for r in client.get(BASE, q).json()["results"]]  # noqa: E731
    assert keys(vendor=other.pk) == [theirs.key]
    assert keys(status="active") == [contract.key]
    assert keys(q="migrat") == [theirs.key]
    assert keys(sort="value") == [contract.key, theirs.key]
    assert client.get(BASE, {"status": "nonsense"}).status_code == 400


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_contracts_and_amendments(cast, vendor, contract):
    client = api(cast.pm)
    amend(contract, cast.pm, "1.00")
    one = _count(client, BASE)
    for i in range(4):
        more = make_contract(cast.program, vendor, actor=cast.pm, title=f"SOW {i}")
        amend(more, cast.pm, "2.00")
        amend(more, cast.pm, "-1.00")
        milestone(more, cast.pm)
    assert _count(client, BASE) == one
    assert _count(client, f"{BASE}{contract.key}/amendments/") == _count(
        client, f"{BASE}{more.key}/amendments/"
    )


def test_create_validates_and_answers_201_with_etag(cast, vendor):
    client = api(cast.coordinator)
    bad = client.post(
        BASE,
        {"title": "X", "vendor": "VND-99", "value": "10", "start_date": "2026-01-01",
         "end_date": "2026-12-31"},
        format="json",
    )  # fmt: skip
    assert bad.status_code == 400 and "vendor" in bad.json()
    unsigned = client.post(
        BASE,
        {"title": "X", "vendor": vendor.key, "value": "10", "start_date": "2026-01-01",
         "end_date": "2026-12-31", "status": "active"},
        format="json",
    )  # fmt: skip
    assert unsigned.status_code == 400 and "signed_on" in unsigned.json()
    reversed_dates = client.post(
        BASE,
        {"title": "X", "vendor": vendor.key, "value": "10", "start_date": "2026-12-31",
         "end_date": "2026-01-01"},
        format="json",
    )  # fmt: skip
    assert reversed_dates.status_code == 400 and "end_date" in reversed_dates.json()
    created = client.post(
        BASE,
        {"title": "Hypercare", "vendor": vendor.key.lower(), "value": "420000.00",
         "start_date": "2027-02-01", "end_date": "2027-09-30", "type": "time_materials"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created["ETag"] == '"1"'
    body = created.json()
    assert (body["status"], body["current_value"], body["owner"]["id"]) == (
        "draft", "420000.00", cast.coordinator.pk,
    )  # fmt: skip
    assert Contract.objects.filter(program=cast.program).count() == 1


def test_update_needs_if_match_and_refuses_stale_and_signed_terms(cast, contract):
    client = api(cast.pm)
    url = f"{BASE}{contract.key}/"
    assert client.patch(url, {"title": "A"}, format="json").status_code == 428
    ok = client.patch(url, {"title": "A"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok["ETag"] == '"2"'
    stale = client.patch(url, {"title": "B"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["title"] == "A"
    assert stale.json()["changed_fields"]["title"] == [contract.title, "A"]
    signed = client.patch(url, {"value": "1.00"}, format="json", HTTP_IF_MATCH='"2"')
    assert signed.status_code == 409
    assert "Record an amendment instead" in signed.json()["detail"]
    assert fresh(contract).value == Decimal("100000.00")
    assert (
        client.patch(url, {"status": "on_hold"}, format="json", HTTP_IF_MATCH='"2"').status_code
        == 400
    )


def test_delete_only_drafts(cast, vendor, contract):
    client = api(cast.pm)
    refused = client.delete(f"{BASE}{contract.key}/", HTTP_IF_MATCH='"1"')
    assert refused.status_code == 409
    draft = make_contract(cast.program, vendor, actor=cast.pm, status="draft")
    assert client.delete(f"{BASE}{draft.key}/").status_code == 428
    assert client.delete(f"{BASE}{draft.key}/", HTTP_IF_MATCH='"1"').status_code == 204
    assert not Contract.objects.filter(pk=draft.pk).exists()


def test_status_steps(cast, vendor, contract):
    client = api(cast.pm)
    draft = make_contract(cast.program, vendor, actor=cast.pm, status="draft")
    refused = client.post(f"{BASE}{draft.key}/status/", {"status": "active"}, format="json")
    assert refused.status_code == 409 and "signed" in refused.json()["detail"]
    active = client.post(
        f"{BASE}{draft.key}/status/",
        {"status": "active", "signed_on": "2026-01-02"},
        format="json",
    )
    assert active.status_code == 200 and active.json()["status"] == "active"
    stale = client.post(
        f"{BASE}{contract.key}/status/", {"status": "on_hold"}, format="json", HTTP_IF_MATCH='"9"'
    )
    assert stale.status_code == 412
    assert (
        client.post(f"{BASE}{contract.key}/status/", {"status": "x"}, format="json").status_code
        == 400
    )


def test_amendments_are_listed_and_created_never_edited(cast, contract):
    client = api(cast.pm)
    url = f"{BASE}{contract.key}/amendments/"
    cr = make_cr(cast.program, cast.contributor, status="approved", actor_for=cast)
    created = client.post(
        url,
        {"title": "SIT team", "reason": "Behind plan.", "value_change": "58000.00",
         "effective_on": "2026-11-23", "change_request": cr.key},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json() == {
        **created.json(), "label": "A1", "value_change": "58000.00", "change_request": cr.key,
    }  # fmt: skip
    negative = client.post(
        url,
        {"title": "Cut", "reason": "Scope.", "value_change": "-200000.00",
         "effective_on": "2026-11-30"},
        format="json",
    )  # fmt: skip
    assert negative.status_code == 400
    assert "EUR 158,000.00" in negative.json()["value_change"][0]
    assert "EUR -42,000.00" in negative.json()["value_change"][0]
    unknown_cr = client.post(
        url,
        {"title": "X", "reason": "Y", "value_change": "1", "effective_on": "2026-11-30",
         "change_request": "CR-999"},
        format="json",
    )  # fmt: skip
    assert unknown_cr.status_code == 400 and "change_request" in unknown_cr.json()
    assert [a["label"] for a in client.get(url).json()["results"]] == ["A1"]
    assert client.put(url, {}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert Amendment.objects.count() == 1
    assert fresh(contract).current_value == Decimal("158000.00")


def test_amending_a_draft_is_409(cast, vendor):
    draft = make_contract(cast.program, vendor, actor=cast.pm, status="draft")
    response = api(cast.pm).post(
        f"{BASE}{draft.key}/amendments/",
        {"title": "X", "reason": "Y", "value_change": "1", "effective_on": "2026-11-30"},
        format="json",
    )
    assert response.status_code == 409


def test_milestones_and_rates(cast, contract):
    client = api(cast.pm)
    url = f"{BASE}{contract.key}/milestones/"
    created = client.post(
        url, {"title": "Design", "due_date": "2026-06-30", "amount": "60000.00"}, format="json"
    )
    assert created.status_code == 201 and created.json()["status"] == "planned"
    over = client.post(
        url, {"title": "Build", "due_date": "2026-09-30", "amount": "40000.01"}, format="json"
    )
    assert over.status_code == 400 and "EUR 100,000.01" in over.json()["amount"][0]
    row = f"{url}{created.json()['id']}/"
    assert client.patch(row, {"status": "due"}, format="json").status_code == 428
    assert (
        client.patch(row, {"status": "due"}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    )
    assert client.patch(row, {"amount": "1"}, format="json", HTTP_IF_MATCH='"1"').status_code == 412
    bad_deliverable = client.patch(
        row, {"deliverable": "DLV-9"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert bad_deliverable.status_code == 400
    assert client.delete(row, HTTP_IF_MATCH='"2"').status_code == 204

    rates = f"{BASE}{contract.key}/rates/"
    assert (
        client.post(
            rates, {"role": "Tester", "rate": "800", "unit": "day"}, format="json"
        ).status_code
        == 201
    )
    duplicate = client.post(rates, {"role": "TESTER", "rate": "1", "unit": "day"}, format="json")
    assert duplicate.status_code == 400 and "role" in duplicate.json()
    assert [r["role"] for r in client.get(rates).json()["results"]] == ["Tester"]
    assert client.get(f"{rates}999999/").status_code == 404


def test_unknown_contract_other_program_and_roles(cast, contract):
    assert api(cast.pm).get(f"{BASE}CTR-404/").status_code == 404
    other = contract_cast("CRM")
    assert api(other.pm).get(f"{BASE}{contract.key}/").status_code == 404
    assert api(cast.viewer).post(BASE, {}, format="json").status_code == 403
    assert api(cast.vendor).get(BASE).status_code == 403
    assert api().get(BASE).status_code == 401


# --- the portal -----------------------------------------------------------------------------


@pytest.fixture
def portal(cast, vendor, contract):
    make_portal_user(cast.program, vendor, user=cast.vendor)
    rival = make_vendor(cast.program, actor=cast.pm, name="Contoso")
    return {
        "theirs": make_contract(cast.program, rival, actor=cast.pm, title="Contoso SOW"),
        "draft": make_contract(cast.program, vendor, actor=cast.pm, status="draft"),
    }


def test_portal_api_shows_only_own_signed_contracts_with_their_details(cast, contract, portal):
    amend(contract, cast.pm, "5000.00")
    milestone(contract, cast.pm, "1000.00")
    client = api(cast.vendor)
    assert [r["key"] for r in client.get(PORTAL).json()["results"]] == [contract.key]
    detail = client.get(f"{PORTAL}{contract.key}/").json()
    assert (detail["remaining"], detail["owner"]) == ("105000.00", None)
    assert [a["label"] for a in detail["amendments"]] == ["A1"]
    assert detail["amendments"][0]["created_by"] is None
    assert [m["amount"] for m in detail["milestones"]] == ["1000.00"]
    assert client.get(f"{PORTAL}{portal['theirs'].key}/").status_code == 404
    assert client.get(f"{PORTAL}{portal['draft'].key}/").status_code == 404
    assert api(cast.pm).get(PORTAL).status_code == 403


def test_portal_api_list_queries_do_not_grow(cast, vendor, contract, portal):
    client = api(cast.vendor)
    one = _count(client, PORTAL)
    for i in range(4):
        amend(make_contract(cast.program, vendor, actor=cast.pm, title=f"S{i}"), cast.pm, "1")
    assert _count(client, PORTAL) == one
