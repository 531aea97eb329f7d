"""Contract pages: the list (filters, sorting, totals, constant queries), a contract's page with
its remaining value explained, the forms that keep what was typed, the status steps, the modal
forms for milestones and rates, 404/403, and the vendor portal's isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from governance.tests.factories_changes import make_cr
from vendors.models import Amendment, Contract, PaymentMilestone, RateCardEntry
from vendors.services import contracts as services
from vendors.tests.contract_factories import (
    amend,
    contract_cast,
    make_contract,
    make_vendor,
    milestone,
)
from vendors.tests.factories import fresh, make_portal_user

pytestmark = pytest.mark.django_db

LIST = "/programs/ERP/vendors/contracts/"
PORTAL = "/programs/ERP/vendors/portal/contracts/"


@pytest.fixture
def cast(db):
    return contract_cast()


@pytest.fixture
def vendor(cast):
    return make_vendor(cast.program, actor=cast.pm, name="Northwind Consulting")


@pytest.fixture
def contract(cast, vendor):
    return make_contract(
        cast.program, vendor, actor=cast.pm, value=Decimal("1840000.00"), po_number="PO-4500018812"
    )


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def text(response) -> str:
    return response.content.decode()


# --- the list -------------------------------------------------------------------------------


def test_the_list_shows_value_invoiced_remaining_and_totals(cast, contract):
    amend(contract, cast.pm, "58000.00")
    page = client(cast.viewer).get(LIST)

    assert page.status_code == 200
    body = text(page)
    assert contract.key in body and "1,898,000.00" in body and "was 1,840,000.00" in body
    assert "EUR 1,898,000.00" in body  # the totals row
    assert "+58,000.00" in body
    assert "New contract" not in body  # viewers do not get the button


def test_the_list_filters_and_sorts(cast, vendor):
    other = make_vendor(cast.program, actor=cast.pm, name="Contoso")
    small = make_contract(cast.program, vendor, actor=cast.pm, title="Small", value=Decimal("10"))
    big = make_contract(cast.program, other, actor=cast.pm, title="Big", value=Decimal("900"))
    draft = make_contract(cast.program, vendor, actor=cast.pm, title="Drafted", status="draft")
    c = client(cast.pm)

    assert [r.key for r in c.get(LIST, {"vendor": other.pk}).context["page_obj"]] == [big.key]
    assert [r.key for r in c.get(LIST, {"status": "draft"}).context["page_obj"]] == [draft.key]
    assert [r.key for r in c.get(LIST, {"q": "smal"}).context["page_obj"]] == [small.key]
    ordered = [r.key for r in c.get(LIST, {"sort": "-value"}).context["page_obj"]]
    assert ordered == [draft.key, big.key, small.key]  # 120,000 / 900 / 10
    filtered = c.get(LIST, {"vendor": other.pk})
    assert filtered.context["totals"][0]["current_total"] == Decimal("900.00")


def test_the_htmx_filter_answers_only_the_table(cast, contract):
    response = client(cast.pm).get(LIST, {"q": "nothing-like-it"}, HTTP_HX_REQUEST="true")
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="contract-table"')
    assert "No contracts match" in body


def _list_queries(user, url) -> int:
    c = client(user)
    c.get(url)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_page_queries_do_not_grow_with_contracts(cast, vendor):
    first = make_contract(cast.program, vendor, actor=cast.pm)
    amend(first, cast.pm, "10.00")
    milestone(first, cast.pm)
    one = _list_queries(cast.pm, LIST)
    for i in range(6):
        more = make_contract(cast.program, vendor, actor=cast.pm, title=f"SOW {i}", parent=None)
        amend(more, cast.pm, "5.00")
        amend(more, cast.pm, "-1.00", dt.date(2027, 1, 29))
        milestone(more, cast.pm)
    many = _list_queries(cast.pm, LIST)
    assert many == one
    assert _list_queries(cast.pm, LIST + "?sort=-remaining&status=active") == one


# --- a contract's page -----------------------------------------------------------------------


def test_the_detail_explains_the_remaining_value_and_links_the_change_request(cast, contract):
    cr = make_cr(cast.program, cast.contributor, status="approved", actor_for=cast)
    amend(contract, cast.pm, "58000.00", title="Second SIT team", change_request=cr)
    amend(contract, cast.pm, "0.00", dt.date(2027, 4, 30), title="Extension")
    page = client(cast.viewer).get(f"{LIST}{contract.key.lower()}/")

    assert page.status_code == 200
    body = text(page)
    breakdown = page.context["breakdown"]
    assert (breakdown.value, breakdown.amendments, breakdown.current, breakdown.remaining) == (
        Decimal("1840000.00"), Decimal("58000.00"), Decimal("1898000.00"), Decimal("1898000.00"),
    )  # fmt: skip
    assert "Remaining value" in body and "1,898,000.00" in body
    assert f"/programs/ERP/governance/changes/{cr.key}/" in body
    assert "Second SIT team" in body and "30 Apr 2027" in body
    assert "Record amendment" not in body  # viewer


def test_unknown_and_other_programs_contracts_answer_404(cast, contract):
    other = contract_cast("CRM")
    foreign = make_contract(other.program, make_vendor(other.program, actor=other.pm), other.pm)
    assert client(cast.pm).get(f"{LIST}CTR-999/").status_code == 404
    assert client(other.pm).get(f"/programs/CRM/vendors/contracts/{contract.key}/").status_code == (
        404 if foreign.key != contract.key else 200
    )
    assert client(cast.pm).get(f"/programs/CRM/vendors/contracts/{foreign.key}/").status_code == 404


def test_roles_without_contract_change_get_403_on_forms(cast, contract):
    for url in (
        f"{LIST}new/",
        f"{LIST}{contract.key}/edit/",
        f"{LIST}{contract.key}/amendments/new/",
    ):
        assert client(cast.viewer).get(url).status_code == 403
        assert client(cast.contributor).post(url, {}).status_code == 403
    assert client(cast.finance).get(f"{LIST}new/").status_code == 200


# --- forms ----------------------------------------------------------------------------------


def test_create_keeps_what_was_typed_when_invalid(cast, vendor):
    response = client(cast.pm).post(
        f"{LIST}new/",
        {"title": "Hypercare SOW", "vendor": vendor.pk, "kind": "sow",
         "contract_type": "time_materials", "value": "420000", "start_date": "2027-02-01",
         "end_date": "2027-01-01", "status": "active", "currency": "EUR"},
    )  # fmt: skip
    assert response.status_code == 400
    form = response.context["form"]
    assert "signed_on" in form.errors  # active needs the signature date
    assert 'value="Hypercare SOW"' in text(response)
    assert not Contract.objects.filter(title="Hypercare SOW").exists()


def test_create_records_a_contract_and_redirects(cast, vendor):
    response = client(cast.pm).post(
        f"{LIST}new/",
        {"title": "Hypercare SOW", "vendor": vendor.pk, "kind": "sow",
         "contract_type": "time_materials", "value": "420000.00", "start_date": "2027-02-01",
         "end_date": "2027-09-30", "status": "draft", "currency": ""},
    )  # fmt: skip
    created = Contract.objects.get(title="Hypercare SOW")
    assert response.status_code == 302 and response["Location"].endswith(f"/{created.key}/")
    assert (created.currency, created.current_value) == ("EUR", Decimal("420000.00"))


def test_editing_a_signed_contract_cannot_change_its_value(cast, contract):
    url = f"{LIST}{contract.key}/edit/"
    page = client(cast.pm).get(url)
    assert page.context["form"].fields["value"].disabled
    response = client(cast.pm).post(
        url,
        {"version": 1, "title": "SOW 1 renamed", "vendor": contract.vendor_id, "kind": "sow",
         "contract_type": "fixed_price", "value": "1.00", "currency": "EUR",
         "start_date": "2026-01-05", "end_date": "2026-12-18"},
    )  # fmt: skip
    assert response.status_code == 302
    row = fresh(contract)
    assert (row.title, row.value) == ("SOW 1 renamed", Decimal("1840000.00"))


def test_a_stale_edit_shows_what_changed_and_keeps_the_input(cast, contract):
    services.contract_update(actor=cast.coordinator, contract=contract, expected_version=1,
                             po_number="PO-NEW")  # fmt: skip
    response = client(cast.pm).post(
        f"{LIST}{contract.key}/edit/",
        {"version": 1, "title": "Mine", "vendor": contract.vendor_id, "kind": "sow",
         "contract_type": "fixed_price", "po_number": "PO-4500018812"},
    )  # fmt: skip
    assert response.status_code == 409
    assert "changed this while you were editing" in text(response)
    assert 'value="Mine"' in text(response)
    assert fresh(contract).title == contract.title


def test_the_amendment_form_refuses_a_negative_total_and_keeps_the_input(cast, contract):
    url = f"{LIST}{contract.key}/amendments/new/"
    response = client(cast.pm).post(
        url,
        {"version": 1, "title": "Descope", "value_change": "-2000000.00",
         "effective_on": "2026-11-30", "reason": "Scope cut."},
    )  # fmt: skip
    assert response.status_code == 400
    body = text(response)
    assert "would make the contract value negative" in body
    assert "EUR 1,840,000.00" in body and "EUR -160,000.00" in body
    assert 'value="Descope"' in body and "-2000000.00" in body
    assert not Amendment.objects.exists()
    assert fresh(contract).current_value == Decimal("1840000.00")


def test_the_amendment_form_offers_only_approved_or_implemented_requests(cast, contract):
    approved = make_cr(cast.program, cast.contributor, status="approved", actor_for=cast,
                       title="Approved one")  # fmt: skip
    make_cr(cast.program, cast.contributor, status="submitted", actor_for=cast, title="Pending")
    url = f"{LIST}{contract.key}/amendments/new/"
    choices = list(client(cast.pm).get(url).context["form"].fields["change_request"].queryset)
    assert choices == [approved]

    response = client(cast.pm).post(
        url,
        {"version": 1, "title": "More testers", "value_change": "58000",
         "effective_on": "2026-11-23", "reason": "SIT behind.", "change_request": approved.pk},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("#amendments")
    assert Amendment.objects.get().change_request == approved
    assert fresh(contract).current_value == Decimal("1898000.00")


def test_a_draft_shows_why_it_is_not_amended(cast, vendor):
    draft = make_contract(cast.program, vendor, actor=cast.pm, status="draft")
    page = client(cast.pm).get(f"{LIST}{draft.key}/amendments/new/")
    assert page.status_code == 200
    assert "edit its value and dates directly" in text(page)


def test_activating_a_draft_asks_for_the_signature(cast, vendor):
    draft = make_contract(cast.program, vendor, actor=cast.pm, status="draft")
    url = f"{LIST}{draft.key}/status/"
    refused = client(cast.pm).post(url, {"version": 1, "status": "active"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409
    assert "Give the date" in text(refused)
    done = client(cast.pm).post(
        url, {"version": 1, "status": "active", "signed_on": "2026-01-02"}, HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 204 and done["HX-Redirect"].endswith(f"/{draft.key}/")
    assert fresh(draft).status == "active"


def test_milestone_modal_form_refuses_too_much_then_saves(cast, contract):
    url = f"{LIST}{contract.key}/milestones/new/"
    form = client(cast.pm).get(url, HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and text(form).lstrip().startswith("<form")
    too_much = client(cast.pm).post(
        url, {"title": "All of it", "due_date": "2026-06-30", "amount": "2000000",
              "status": "planned"}, HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert too_much.status_code == 400
    assert "more than the contract" in text(too_much) and 'value="All of it"' in text(too_much)
    saved = client(cast.pm).post(
        url, {"title": "Design", "due_date": "2026-06-30", "amount": "368000", "status": "planned"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert saved.status_code == 204 and saved["HX-Redirect"].endswith("#milestones")
    assert PaymentMilestone.objects.get().amount == Decimal("368000.00")


def test_milestone_and_rate_edit_and_delete(cast, contract):
    row = milestone(contract, cast.pm, "1000.00")
    c = client(cast.pm)
    base = f"{LIST}{contract.key}/milestones/{row.pk}/"
    response = c.post(base + "edit/", {"version": 1, "title": "Renamed", "due_date": "2026-07-31",
                                       "amount": "1500", "status": "due"})  # fmt: skip
    assert response.status_code == 302
    assert (fresh(row).title, fresh(row).amount) == ("Renamed", Decimal("1500.00"))
    assert c.post(base + "delete/", {"version": 2}).status_code == 302
    assert not PaymentMilestone.objects.exists()

    rates = f"{LIST}{contract.key}/rates/"
    assert (
        c.post(rates + "new/", {"role": "Tester", "rate": "800", "unit": "day"}).status_code == 302
    )
    duplicate = c.post(rates + "new/", {"role": "tester", "rate": "850", "unit": "day"})
    assert duplicate.status_code == 400 and "already has tester per day" in text(duplicate)
    assert RateCardEntry.objects.count() == 1
    other = contract_cast("CRM")
    foreign = make_contract(other.program, make_vendor(other.program, actor=other.pm), other.pm)
    foreign_rate = services.rate_create(
        actor=other.pm, contract=foreign, role="X", rate=Decimal("1"), unit="day"
    )
    assert c.get(f"{rates}{foreign_rate.pk}/edit/").status_code == 404


def test_deleting_a_signed_contract_is_refused_with_a_message(cast, contract, vendor):
    response = client(cast.pm).post(f"{LIST}{contract.key}/delete/", {"version": 1}, follow=True)
    assert "only a draft can be deleted" in text(response)
    assert Contract.objects.filter(pk=contract.pk).exists()
    draft = make_contract(cast.program, vendor, actor=cast.pm, status="draft")
    gone = client(cast.pm).post(f"{LIST}{draft.key}/delete/", {"version": 1})
    assert gone.status_code == 302 and gone["Location"] == LIST
    assert not Contract.objects.filter(pk=draft.pk).exists()


# --- the vendor portal ----------------------------------------------------------------------


@pytest.fixture
def portal(cast, vendor, contract):
    """Two vendors, each with a bound user; Northwind has a signed contract and a draft."""
    make_portal_user(cast.program, vendor, user=cast.vendor)
    draft = make_contract(cast.program, vendor, actor=cast.pm, status="draft", title="Draft SOW")
    rival = make_vendor(cast.program, actor=cast.pm, name="Contoso")
    theirs = make_contract(cast.program, rival, actor=cast.pm, title="Contoso SOW")
    return {"draft": draft, "theirs": theirs, "rival": rival}


def test_the_portal_shows_only_the_bound_vendors_signed_contracts(cast, contract, portal):
    amend(contract, cast.pm, "58000.00")
    page = client(cast.vendor).get(PORTAL)
    assert page.status_code == 200
    assert [c.key for c in page.context["page_obj"]] == [contract.key]
    detail = client(cast.vendor).get(f"{PORTAL}{contract.key}/")
    assert detail.status_code == 200
    body = text(detail)
    assert "1,898,000.00" in body and "PO-4500018812" in body
    assert "/governance/" not in body and "Edit" not in body


def test_another_vendors_or_a_draft_contract_is_404_in_the_portal(cast, portal):
    vendor_client = client(cast.vendor)
    assert vendor_client.get(f"{PORTAL}{portal['theirs'].key}/").status_code == 404
    assert vendor_client.get(f"{PORTAL}{portal['draft'].key}/").status_code == 404
    # and the internal pages refuse the vendor role
    assert vendor_client.get(LIST).status_code == 403
    assert client(cast.pm).get(PORTAL).status_code == 403


def test_the_portal_list_queries_do_not_grow(cast, vendor, contract, portal):
    one = _list_queries(cast.vendor, PORTAL)
    for i in range(5):
        extra = make_contract(cast.program, vendor, actor=cast.pm, title=f"SOW {i}")
        amend(extra, cast.pm, "1.00")
    assert _list_queries(cast.vendor, PORTAL) == one


def test_editing_a_rate_card_line_changes_its_price(cast, contract):
    entry = services.rate_create(
        actor=cast.pm, contract=contract, role="Senior consultant", rate=Decimal("1200.00"),
        unit="day",
    )  # fmt: skip
    url = f"/programs/ERP/vendors/contracts/{contract.key}/rates/{entry.pk}/edit/"
    response = client(cast.pm).post(
        url,
        {"role": "Senior consultant", "rate": "1250.00", "unit": "day", "version": entry.version},
    )
    assert response.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.rate == Decimal("1250.00") and entry.version == 2
