"""Manual cost entries: the services (only manual entries change; others refused with why),
the list (filters, the total of what is filtered, constant queries), the form (credits only
as explicit credits, more than two decimals, non-numbers and months outside the program refused
with the input kept), a stale edit, permissions, and the API (CRUD, 409 for read-only sources,
filters and total)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from budgets.models import CostEntry, CostSource
from budgets.services import actuals as services
from budgets.tests.actuals_factories import OCT, TODAY, client, make_budget, manual
from core.errors import Refused

pytestmark = pytest.mark.django_db

LIST = "/programs/ERP/budget/actuals/"
API = "/api/v1/programs/ERP/budget/cost-entries/"
SEP = dt.date(2026, 9, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def budget(db):
    return make_budget()


def form(line, **values):
    data = {"line": line.pk, "month": "2026-10", "kind": "cost", "amount": "1250.50",
            "posted_on": "2026-10-30", "description": "Hotel Lyon",
            "reference": "EXP-1"}  # fmt: skip
    data.update(values)
    return data


# --- services -----------------------------------------------------------------------------------


def test_only_manual_entries_change_and_the_others_say_why(budget):
    entry = manual(budget.travel, OCT, "100.00")
    entry = services.cost_entry_update(
        actor=None, entry=entry, expected_version=entry.version, amount="-40.00"
    )
    assert entry.amount == Decimal("-40.00") and entry.version == 2
    imported = manual(budget.travel, OCT, "70.00", source=CostSource.GL_IMPORT)
    with pytest.raises(Refused, match="general ledger"):
        services.cost_entry_update(actor=None, entry=imported, expected_version=None, amount="1")
    with pytest.raises(Refused, match="general ledger"):
        services.cost_entry_delete(actor=None, entry=imported, expected_version=None)
    assert CostEntry.objects.get(pk=imported.pk).amount == Decimal("70.00")
    services.cost_entry_delete(actor=None, entry=entry, expected_version=entry.version)
    assert not CostEntry.objects.filter(pk=entry.pk).exists()


# --- the list -----------------------------------------------------------------------------------


def test_list_filters_and_totals_what_is_filtered(budget):
    manual(budget.travel, SEP, "100.00")
    manual(budget.travel, OCT, "250.25")
    manual(budget.labour, OCT, "1000.00", source=CostSource.GL_IMPORT, reference="JE-1")
    c = client(budget.cast.viewer)
    body = c.get(LIST).content.decode()
    assert "3 entries" in body and "EUR 1,350.25" in body
    body = c.get(f"{LIST}?line={budget.travel.key}&month_from=2026-10").content.decode()
    assert "1 entry" in body and "EUR 250.25" in body
    body = c.get(f"{LIST}?source=gl_import").content.decode()
    assert "EUR 1,000.00" in body and "JE-1" in body
    body = c.get(f"{LIST}?month_from=October").content.decode()
    assert "is not a month" in body


def test_list_queries_do_not_grow_with_rows(budget):
    c = client(budget.cast.finance)
    manual(budget.travel, OCT, "1.00")
    c.get(LIST)
    with CaptureQueriesContext(connection) as one:
        c.get(LIST)
    for n in range(3):
        manual(budget.labour, SEP, f"{n + 2}.00", vendor=None)
    with CaptureQueriesContext(connection) as four:
        c.get(LIST)
    assert len(four) == len(one)


# --- the form -----------------------------------------------------------------------------------


def test_a_manual_cost_and_an_explicit_credit(budget):
    c = client(budget.cast.finance)
    assert c.post(f"{LIST}new/", form(budget.travel)).status_code == 302
    assert c.post(f"{LIST}new/", form(budget.travel, kind="credit", amount="80")).status_code == 302
    amounts = sorted(CostEntry.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("-80.00"), Decimal("1250.50")]
    entry = CostEntry.objects.get(amount=Decimal("1250.50"))
    assert entry.source == CostSource.MANUAL and entry.created_by == budget.cast.finance


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"amount": "-80"}, "choose “Credit”"),
        ({"amount": "12.345"}, "more than two decimals"),
        ({"amount": "twelve"}, "is not an amount"),
        ({"month": "2027-09"}, "outside the program"),
        ({"month": "Sept"}, "is not a month"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_the_input_kept(budget, values, message):
    response = client(budget.cast.finance).post(f"{LIST}new/", form(budget.travel, **values))
    body = response.content.decode()
    assert response.status_code == 400 and message in body
    assert 'value="Hotel Lyon"' in body
    assert not CostEntry.objects.exists()


def test_a_stale_edit_is_refused_with_the_input_kept(budget):
    entry = manual(budget.travel, OCT, "100.00")
    services.cost_entry_update(actor=budget.cast.pm, entry=entry, expected_version=1, amount="90")
    response = client(budget.cast.finance).post(
        f"{LIST}{entry.pk}/edit/", form(budget.travel, version=1, amount="120.00")
    )
    assert response.status_code == 409 and 'value="120.00"' in response.content.decode()
    assert CostEntry.objects.get(pk=entry.pk).amount == Decimal("90.00")


def test_read_only_entries_say_why_and_cannot_be_changed(budget):
    entry = manual(budget.labour, OCT, "500.00", source=CostSource.INVOICE)
    c = client(budget.cast.finance)
    page = c.get(f"{LIST}{entry.pk}/edit/").content.decode()
    assert "Read-only" in page and "approved invoice" in page
    response = c.post(f"{LIST}{entry.pk}/edit/", form(budget.labour, version=1, amount="1.00"))
    assert response.status_code == 409
    c.post(f"{LIST}{entry.pk}/delete/", {"version": 1})
    assert CostEntry.objects.get(pk=entry.pk).amount == Decimal("500.00")


def test_permissions(budget):
    entry = manual(budget.travel, OCT, "100.00")
    contributor = client(budget.cast.contributor)
    assert contributor.get(LIST).status_code == 200
    assert contributor.get(f"{LIST}new/").status_code == 403
    assert contributor.post(f"{LIST}{entry.pk}/delete/", {"version": 1}).status_code == 403
    other = make_budget("CRM")
    other_entry = manual(other.travel, OCT, "1.00")
    assert client(budget.cast.finance).get(f"{LIST}{other_entry.pk}/edit/").status_code == 404
    assert client(other.cast.finance).get(LIST).status_code == 404


# --- API ----------------------------------------------------------------------------------------


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_api_crud_for_manual_entries(budget):
    c = api(budget.cast.finance)
    created = c.post(API, {"line": budget.travel.key, "month": "2026-10", "amount": "75.10",
                           "kind": "credit", "description": "Refund"}, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["signed_amount"] == "-75.10" and data["editable"] and data["currency"] == "EUR"
    url = f"{API}{data['id']}/"
    patched = c.patch(url, {"kind": "cost"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert patched.status_code == 200 and patched.json()["signed_amount"] == "75.10"
    stale = c.patch(url, {"amount": "1.00"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert stale.status_code == 412
    assert c.delete(url, HTTP_IF_MATCH=patched["ETag"]).status_code == 204


def test_api_bad_input_and_read_only_sources(budget):
    c = api(budget.cast.finance)
    bad = c.post(API, {"line": "BL-99", "month": "2027-12", "amount": "1.001",
                       "description": "x"}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "line" in bad.json()
    bad = c.post(API, {"line": budget.travel.key, "month": "2027-12", "amount": "1.00",
                       "description": "x"}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "outside the program" in str(bad.json())
    imported = manual(budget.labour, OCT, "1.00", source=CostSource.GL_IMPORT)
    refused = c.delete(f"{API}{imported.pk}/", HTTP_IF_MATCH='"1"')
    assert refused.status_code == 409 and "general ledger" in refused.json()["detail"]
    assert api(budget.cast.contributor).post(API, {}, format="json").status_code == 403


def test_api_list_filters_totals_and_constant_queries(budget):
    manual(budget.travel, SEP, "100.00")
    manual(budget.travel, OCT, "20.00")
    c = api(budget.cast.viewer)
    data = c.get(API, {"month_from": "2026-10"}).json()
    assert data["count"] == 1 and data["total"] == "20.00" and data["currency"] == "EUR"
    assert c.get(API, {"month_to": "nope"}).status_code == 400
    with CaptureQueriesContext(connection) as few:
        c.get(API)
    for n in range(3):
        manual(budget.labour, SEP, f"{n + 1}.00")
    with CaptureQueriesContext(connection) as many:
        assert c.get(API).json()["count"] == 5
    assert len(many) == len(few)
