"""The vendor register's API: vendors with ETag/If-Match (400/404/409/412/428), contacts,
checklist steps with complete and reopen, offboarding, categories, portal users, `portal/me/`,
and constant query counts for the list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from vendors.models import ChecklistItem, PortalUser, Vendor, VendorCategory, VendorContact
from vendors.services import vendors as services
from vendors.tests.factories import fresh, make_contract, make_portal_user, make_vendor

pytestmark = pytest.mark.django_db
BASE = "/api/v1/programs/ERP/vendors/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def client(manager):
    return api(manager)


# --- vendors --------------------------------------------------------------------------------------


def test_create_and_read_a_vendor(program, manager, client):
    hosting = services.category_create(actor=manager, program=program, name="Hosting")

    created = client.post(
        BASE,
        {"name": "Fabrikam", "status": "onboarding", "relationship_owner_id": manager.pk,
         "category_ids": [hosting.pk], "website": "https://fabrikam.example"},
    )  # fmt: skip

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["key"], body["status"], body["open_items"], body["version"]) == (
        "VND-1", "onboarding", 5, 1,
    )  # fmt: skip
    assert body["categories"] == [{"id": hosting.pk, "name": "Hosting"}]
    assert body["relationship_owner"] == {"id": manager.pk, "full_name": manager.full_name}
    read = client.get(BASE + "VND-1/")
    assert (read.status_code, read["ETag"]) == (200, '"1"')
    assert read.json() == body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "status": "offboarded"}, "status"),
        ({"name": "X", "category_ids": [999999]}, "category_ids"),
        ({"name": "X", "relationship_owner_id": 999999}, "relationship_owner_id"),
        ({"name": "X", "website": "not a url"}, "website"),
    ],
)
def test_create_refuses_bad_fields_with_400(program, client, payload, field):
    response = client.post(BASE, payload)

    assert response.status_code == 400
    assert field in response.json()
    assert not Vendor.objects.exists()


def test_list_filters_and_counts(program, manager, client):
    northwind = make_vendor(program)
    make_contract(program, northwind, value=Decimal("1840000.00"))
    make_vendor(program, name="Contoso", status="onboarding")

    everyone = client.get(BASE).json()
    onboarding = client.get(BASE + "?status=onboarding").json()
    bad = client.get(BASE + "?status=sleeping")

    assert [(v["key"], v["active_value"]) for v in everyone["results"]] == [
        ("VND-2", "0.00"), ("VND-1", "1840000.00"),
    ]  # fmt: skip
    assert [v["name"] for v in onboarding["results"]] == ["Contoso"]
    assert bad.status_code == 400


def test_list_query_count_does_not_grow(program, manager, client, count_queries):
    hosting = services.category_create(actor=manager, program=program, name="Hosting")
    counts = []
    for total in (1, 3):
        while Vendor.objects.count() < total:
            vendor = make_vendor(
                program, name=f"V{Vendor.objects.count()}", status="onboarding",
                categories=[hosting],
            )  # fmt: skip
            make_contract(program, vendor)
            services.contact_create(actor=manager, vendor=vendor, name="Ann")
        with count_queries() as ctx:
            response = client.get(BASE)
        assert response.json()["count"] == total
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]


def test_update_needs_a_version_and_refuses_a_stale_one(program, manager, client):
    make_vendor(program, legal_entity="Old")

    missing = client.patch(BASE + "VND-1/", {"notes": "x"})
    first = client.patch(BASE + "VND-1/", {"legal_entity": "New"}, HTTP_IF_MATCH='"1"')
    stale = client.patch(BASE + "VND-1/", {"notes": "Mine"}, HTTP_IF_MATCH='"1"')

    assert missing.status_code == 428
    assert (first.status_code, first["ETag"]) == (200, '"2"')
    assert stale.status_code == 412
    assert stale.json()["changed_fields"] == {"legal_entity": ["Old", "New"]}
    assert stale.json()["current"]["version"] == 2
    assert fresh(Vendor.objects.get()).notes == ""


def test_a_status_change_the_rules_refuse_is_409_with_the_reason(program, manager, client):
    make_vendor(program, status="onboarding")

    refused = client.patch(BASE + "VND-1/", {"status": "active"}, HTTP_IF_MATCH="1")
    no_reason = client.patch(
        BASE + "VND-1/", {"status": "active", "override_open_items": True}, HTTP_IF_MATCH="1"
    )
    allowed = client.patch(
        BASE + "VND-1/",
        {"status": "active", "override_open_items": True, "status_reason": "Mock 1 waits."},
        HTTP_IF_MATCH="1",
    )

    assert refused.status_code == 409
    assert "onboarding items are still open" in refused.json()["detail"]
    assert no_reason.status_code == 400
    assert "status_reason" in no_reason.json()
    assert (allowed.status_code, allowed.json()["status"]) == (200, "active")
    assert allowed.json()["status_reason"] == "Mock 1 waits."


def test_delete_a_prospect_but_not_an_active_vendor(program, client):
    make_vendor(program, name="Active", status="active")
    make_vendor(program, name="Prospect", status="prospect")

    refused = client.delete(BASE + "VND-1/", HTTP_IF_MATCH="1")
    deleted = client.delete(BASE + "VND-2/", HTTP_IF_MATCH="1")

    assert refused.status_code == 409
    assert "only a prospect" in refused.json()["detail"]
    assert deleted.status_code == 204
    assert list(Vendor.objects.values_list("name", flat=True)) == ["Active"]


def test_another_programs_vendor_is_404_and_roles_are_checked(program, manager, client):
    make_vendor(ProgramFactory(code="CRM"))
    assert client.get(BASE + "VND-1/").status_code == 404

    make_vendor(program)
    viewer = api(member(program, Role.VIEWER).user)
    vendor_user = api(member(program, Role.VENDOR).user)
    assert viewer.get(BASE).status_code == 200
    assert viewer.patch(BASE + "VND-1/", {"notes": "x"}, HTTP_IF_MATCH="1").status_code == 403
    assert vendor_user.get(BASE).status_code == 403
    assert (
        api(member(program, Role.COORDINATOR).user)
        .delete(BASE + "VND-1/", HTTP_IF_MATCH="1")
        .status_code
        == 403
    )
    assert fresh(Vendor.objects.get(program=program)).notes == ""


def test_history_lists_the_vendor_and_its_rows(program, manager, client):
    vendor = make_vendor(program)
    services.contact_create(actor=manager, vendor=vendor, name="Ann")

    response = client.get(BASE + "VND-1/history/")

    assert [(e["action"], e["object_type"]) for e in response.json()["results"]] == [
        ("create", "vendors.vendorcontact"), ("create", "vendors.vendor"),
    ]  # fmt: skip


# --- contacts and checklist -----------------------------------------------------------------------


def test_contacts_crud(program, manager, client):
    make_vendor(program)

    first = client.post(BASE + "VND-1/contacts/", {"name": "Ann", "email": "ann@nw.example"})
    second = client.post(BASE + "VND-1/contacts/", {"name": "Bob", "is_primary": True})
    contact_id = first.json()["id"]
    edited = client.patch(
        BASE + f"VND-1/contacts/{contact_id}/", {"role": "Lead"}, HTTP_IF_MATCH='"2"'
    )
    listed = client.get(BASE + "VND-1/contacts/").json()["results"]
    removed = client.delete(BASE + f"VND-1/contacts/{contact_id}/", HTTP_IF_MATCH='"3"')

    assert (first.status_code, first.json()["is_primary"]) == (201, True)
    assert second.json()["is_primary"] is True
    assert (edited.status_code, edited.json()["role"]) == (200, "Lead")
    assert [(c["name"], c["is_primary"]) for c in listed] == [("Bob", True), ("Ann", False)]
    assert removed.status_code == 204
    assert list(VendorContact.objects.values_list("name", flat=True)) == ["Bob"]
    assert client.get(BASE + "VND-1/contacts/999999/").status_code == 404


def test_checklist_complete_and_reopen(program, manager, client):
    make_vendor(program, status="onboarding")
    item = ChecklistItem.objects.order_by("position").first()
    step = BASE + f"VND-1/checklist/{item.pk}/"

    no_evidence = client.post(step + "complete/", {"evidence": ""})
    done = client.post(step + "complete/", {"evidence": "NDA ref 4411", "version": 1})
    twice = client.post(step + "complete/", {"evidence": "again"})
    stale = client.post(step + "reopen/", {}, HTTP_IF_MATCH='"1"')
    reopened = client.post(step + "reopen/", {}, HTTP_IF_MATCH='"2"')

    assert no_evidence.status_code == 400
    assert "evidence" in no_evidence.json()
    assert done.status_code == 200
    assert (done.json()["done"], done.json()["evidence"]) == (True, "NDA ref 4411")
    assert done.json()["completed_by"] == {"id": manager.pk, "full_name": manager.full_name}
    assert twice.status_code == 409
    assert stale.status_code == 412
    assert (reopened.status_code, reopened.json()["done"]) == (200, False)


def test_checklist_steps_are_added_listed_edited_and_removed(program, manager, client):
    make_vendor(program, status="onboarding")

    added = client.post(
        BASE + "VND-1/checklist/",
        {"kind": "onboarding", "title": "DPA signed", "owner_id": manager.pk, "position": 0},
    )
    item_id = added.json()["id"]
    onboarding = client.get(BASE + "VND-1/checklist/?kind=onboarding").json()
    bad_kind = client.get(BASE + "VND-1/checklist/?kind=sideways")
    edited = client.patch(
        BASE + f"VND-1/checklist/{item_id}/", {"due_date": "2026-03-01"}, HTTP_IF_MATCH="1"
    )
    removed = client.delete(BASE + f"VND-1/checklist/{item_id}/", HTTP_IF_MATCH="2")

    assert (added.status_code, added.json()["position"]) == (201, 5)  # at the end
    assert onboarding["count"] == 6
    assert bad_kind.status_code == 400
    assert edited.json()["due_date"] == "2026-03-01"
    assert removed.status_code == 204


def test_offboarding_starts_once(program, client):
    make_vendor(program, status="active")

    started = client.post(BASE + "VND-1/offboarding/", {})
    again = client.post(BASE + "VND-1/offboarding/", {})

    assert started.status_code == 201
    assert [i["title"] for i in started.json()] == list(services.OFFBOARDING_STEPS)
    assert again.status_code == 409


# --- categories and portal users ------------------------------------------------------------------


def test_categories(program, manager, client):
    created = client.post(BASE + "categories/", {"name": "Hosting"})
    duplicate = client.post(BASE + "categories/", {"name": "hosting"})
    category_id = created.json()["id"]
    renamed = client.put(
        BASE + f"categories/{category_id}/", {"name": "Cloud hosting"}, HTTP_IF_MATCH="1"
    )
    deleted = client.delete(BASE + f"categories/{category_id}/", HTTP_IF_MATCH="2")

    assert created.status_code == 201
    assert duplicate.status_code == 400
    assert renamed.json()["name"] == "Cloud hosting"
    assert deleted.status_code == 204
    assert not VendorCategory.objects.exists()


def test_portal_users_bind_and_unbind(program, manager, client):
    make_vendor(program)
    tom = member(program, Role.VENDOR, full_name="Tom Becker").user
    viewer = member(program, Role.VIEWER).user

    bound = client.post(BASE + "portal-users/", {"user_id": tom.pk, "vendor_key": "vnd-1"})
    not_vendor = client.post(BASE + "portal-users/", {"user_id": viewer.pk, "vendor_key": "VND-1"})
    no_vendor = client.post(BASE + "portal-users/", {"user_id": tom.pk, "vendor_key": "VND-9"})

    assert bound.status_code == 201
    assert bound.json()["vendor"]["key"] == "VND-1"
    assert not_vendor.status_code == 400
    assert no_vendor.status_code == 400
    binding_id = bound.json()["id"]
    assert client.delete(BASE + f"portal-users/{binding_id}/", HTTP_IF_MATCH="1").status_code == 204
    assert not PortalUser.objects.exists()


def test_portal_me_is_the_bound_vendor_only(program, manager):
    northwind = make_vendor(program)
    make_vendor(program, name="Contoso")
    tom = make_portal_user(program, northwind).membership.user
    unbound = member(program, Role.VENDOR).user

    mine = api(tom).get(BASE + "portal/me/")

    assert mine.status_code == 200
    assert (mine.json()["key"], mine.json()["name"]) == ("VND-1", "Northwind Consulting")
    assert api(unbound).get(BASE + "portal/me/").status_code == 403
    assert api(manager).get(BASE + "portal/me/").status_code == 403
    assert api(tom).get(BASE).status_code == 403  # the register itself is internal
