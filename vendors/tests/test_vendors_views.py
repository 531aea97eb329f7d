"""The vendor register's pages through the client: the list (filters, counts, query counts), a
vendor's page, the forms (input kept on errors, stale versions), status changes, the inline
checklist, categories, portal users, and who may see what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from vendors.models import ChecklistItem, PortalUser, Vendor, VendorCategory, VendorContact
from vendors.services import vendors as services
from vendors.tests.factories import fresh, make_contract, make_portal_user, make_vendor

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def url(name: str, **kwargs) -> str:
    return reverse(f"vendors:{name}", kwargs={"code": "ERP", **kwargs})


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pm(manager):
    return logged_in(manager)


def onboarding_vendor(program, manager=None, **fields):
    fields.setdefault("status", "onboarding")
    if manager is not None:
        fields.setdefault("relationship_owner", manager)
    return make_vendor(program, **fields)


# --- the list -------------------------------------------------------------------------------------


def test_list_shows_vendors_with_status_counts_and_their_figures(program, manager, pm):
    northwind = make_vendor(program, legal_entity="Northwind GmbH")
    make_contract(program, northwind, value=Decimal("1840000.00"))
    onboarding_vendor(program, manager, name="Contoso")

    response = pm.get(url("vendor_list"))

    assert response.status_code == 200
    assert [v.name for v in response.context["page_obj"]] == ["Contoso", "Northwind Consulting"]
    counts = {c["value"]: c["count"] for c in response.context["counts"]}
    assert counts == {"prospect": 0, "onboarding": 1, "active": 1, "suspended": 0, "offboarded": 0}
    html = response.content.decode()
    assert "1,840,000.00" in html
    assert "Northwind GmbH" in html
    assert "New vendor" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=onboarding", ["Contoso"]),
        ("q=vnd-1", ["Northwind Consulting"]),
        ("q=olivia", ["Contoso"]),  # a contact's name
        ("attention=overdue", ["Contoso"]),
        ("category=HOSTING", ["Northwind Consulting"]),
    ],
)
def test_list_filters(program, manager, pm, query, expected):
    hosting = services.category_create(actor=manager, program=program, name="Hosting")
    make_vendor(program, categories=[hosting])
    contoso = onboarding_vendor(program, manager, name="Contoso")
    services.contact_create(actor=manager, vendor=contoso, name="Olivia Grant")
    step = contoso.checklist.first()
    services.checklist_item_update(
        actor=manager, item=step, expected_version=1, due_date=TODAY - dt.timedelta(days=2)
    )
    query = query.replace("HOSTING", str(hosting.pk))

    response = pm.get(url("vendor_list") + "?" + query)

    assert [v.name for v in response.context["page_obj"]] == expected


def test_list_as_htmx_answers_only_the_table(program, pm):
    make_vendor(program)

    response = pm.get(url("vendor_list"), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="vendor-table"')
    assert "<html" not in html


def _vendor_with_rows(program, manager, n, category):
    vendor = onboarding_vendor(program, manager, name=f"Vendor {n}", categories=[category])
    make_contract(program, vendor)
    services.contact_create(actor=manager, vendor=vendor, name=f"Contact {n}")


def test_list_query_count_does_not_grow_with_vendors(program, manager, pm, count_queries):
    hosting = services.category_create(actor=manager, program=program, name="Hosting")
    _vendor_with_rows(program, manager, 0, hosting)
    pm.get(url("vendor_list"))  # warm caches (content types, the session)
    counts = []
    for total in (1, 3):
        while Vendor.objects.count() < total:
            _vendor_with_rows(program, manager, Vendor.objects.count(), hosting)
        with count_queries() as ctx:
            response = pm.get(url("vendor_list"))
        assert len(response.context["page_obj"]) == total
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]


# --- a vendor's page ------------------------------------------------------------------------------


def test_detail_shows_contacts_checklist_contracts_and_history(program, manager, pm):
    vendor = onboarding_vendor(program, manager, legal_entity="Northwind GmbH")
    contract = make_contract(program, vendor, value=Decimal("1000.00"), title="SOW 1: Build")
    services.contact_create(actor=manager, vendor=vendor, name="Tom Becker", role="Lead")
    step = vendor.checklist.first()
    services.checklist_item_complete(actor=manager, item=step, evidence="NDA ref 4411")

    response = pm.get(url("vendor_detail", key="vnd-1"))

    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Northwind GmbH", "Tom Becker", "NDA ref 4411", "1 of 5 done", "SOW 1: Build"):
        assert text in html
    assert reverse("vendors:contract_detail", kwargs={"code": "ERP", "key": contract.key}) in html
    assert [c.remaining for c in response.context["contracts"]] == [Decimal("1000.00")]
    history = pm.get(url("vendor_detail", key=vendor.key) + "?tab=history")
    assert history.context["history_count"] == len(history.context["history"]) == 8


def test_another_programs_vendor_is_404(program, pm):
    other = ProgramFactory(code="CRM")
    make_vendor(other, name="Fabrikam")  # VND-1 of CRM
    assert Vendor.objects.filter(program=program).count() == 0

    assert pm.get(url("vendor_detail", key="VND-1")).status_code == 404
    assert pm.get(url("vendor_edit", key="VND-1")).status_code == 404


@pytest.mark.parametrize(
    ("role", "name", "status"),
    [
        (Role.VIEWER, "vendor_list", 200),
        (Role.VIEWER, "vendor_create", 403),
        (Role.FINANCE, "category_list", 200),
        (Role.CONTRIBUTOR, "portal_users", 200),
        (Role.VENDOR, "vendor_list", 403),
        (Role.COORDINATOR, "vendor_create", 200),
    ],
)
def test_roles(program, role, name, status):
    client = logged_in(member(program, role).user)

    assert client.get(url(name)).status_code == status


def test_a_viewer_cannot_delete_or_change_a_vendor(program):
    vendor = make_vendor(program, status="prospect")
    viewer = logged_in(member(program, Role.VIEWER).user)
    coordinator = logged_in(member(program, Role.COORDINATOR).user)

    assert viewer.post(url("vendor_edit", key=vendor.key), {"name": "X"}).status_code == 403
    assert coordinator.post(url("vendor_delete", key=vendor.key)).status_code == 403
    assert Vendor.objects.filter(pk=vendor.pk, name="Northwind Consulting").exists()


# --- forms ----------------------------------------------------------------------------------------


def test_create_in_onboarding_makes_the_checklist(program, manager, pm):
    response = pm.post(
        url("vendor_create"),
        {"name": "Contoso", "status": "onboarding", "legal_entity": "Contoso Ltd",
         "relationship_owner": manager.pk},
    )  # fmt: skip

    vendor = Vendor.objects.get(name="Contoso")
    assert response.status_code == 302
    assert response["Location"] == vendor.get_absolute_url()
    assert vendor.checklist.count() == 5


def test_create_errors_keep_what_was_typed(program, manager, pm):
    make_vendor(program, name="Northwind")

    response = pm.post(
        url("vendor_create"),
        {"name": "northwind", "status": "prospect", "legal_entity": "Typed Legal Entity Ltd",
         "notes": "Typed notes"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "VND-1 already has this name" in str(response.context["form"].errors["name"])
    html = response.content.decode()
    assert 'value="Typed Legal Entity Ltd"' in html
    assert "Typed notes" in html
    assert Vendor.objects.count() == 1


def test_edit_on_a_stale_version_shows_what_changed_and_keeps_the_input(program, manager, pm):
    vendor = make_vendor(program, legal_entity="Old Ltd")
    services.vendor_update(actor=manager, vendor=vendor, expected_version=1, legal_entity="New")

    response = pm.post(
        url("vendor_edit", key=vendor.key),
        {"version": 1, "name": "Northwind Consulting", "legal_entity": "Old Ltd",
         "notes": "My note"},
    )  # fmt: skip

    assert response.status_code == 400
    assert response.context["form"].conflict is not None
    assert "My note" in response.content.decode()
    assert fresh(vendor).notes == ""


def test_edit_sets_categories(program, manager, pm):
    hosting = services.category_create(actor=manager, program=program, name="Hosting")
    vendor = make_vendor(program)

    response = pm.post(
        url("vendor_edit", key=vendor.key),
        {"version": 1, "name": vendor.name, "categories": [hosting.pk]},
    )

    assert response.status_code == 302
    assert list(fresh(vendor).categories.all()) == [hosting]


def test_status_change_refused_with_the_reason_and_the_typed_reason_kept(program, manager, pm):
    vendor = onboarding_vendor(program, manager)

    response = pm.post(
        url("vendor_status", key=vendor.key),
        {"version": 1, "status": "active", "status_reason": "We need them now"},
    )

    assert response.status_code == 409
    assert "5 onboarding items are still open" in response.content.decode()
    assert "We need them now" in response.content.decode()
    assert fresh(vendor).status == "onboarding"

    response = pm.post(
        url("vendor_status", key=vendor.key),
        {"version": 1, "status": "active", "status_reason": "We need them now",
         "override_open_items": "on"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip

    assert response.status_code == 204
    assert response["HX-Redirect"] == vendor.get_absolute_url()
    assert fresh(vendor).status == "active"


def test_start_offboarding_creates_the_checklist(program, manager, pm):
    vendor = make_vendor(program, status="active")

    response = pm.post(url("vendor_offboarding", key=vendor.key), {"version": 1})

    assert response.status_code == 302
    assert vendor.checklist.filter(kind="offboarding").count() == 4
    again = pm.post(url("vendor_offboarding", key=vendor.key), {"version": 1})
    assert again.status_code == 409
    assert "already started" in again.content.decode()


def test_delete_a_prospect_and_refuse_an_active_vendor(program, manager, pm):
    prospect = make_vendor(program, name="Tailspin", status="prospect")
    active = make_vendor(program, name="Northwind", status="active")

    refused = pm.post(url("vendor_delete", key=active.key), {"version": 1})
    deleted = pm.post(url("vendor_delete", key=prospect.key), {"version": 1})

    assert refused["Location"] == active.get_absolute_url()
    assert deleted["Location"] == url("vendor_list")
    assert list(Vendor.objects.values_list("name", flat=True)) == ["Northwind"]
    page = pm.get(url("vendor_delete", key=active.key))
    assert "only a prospect can be deleted" in page.content.decode()


# --- contacts -------------------------------------------------------------------------------------


def test_contact_created_from_the_modal_redirects_by_htmx(program, manager, pm):
    vendor = make_vendor(program)

    bad = pm.post(url("contact_create", key=vendor.key), {"name": " ", "email": "x@y.example"},
                  HTTP_HX_REQUEST="true")  # fmt: skip
    good = pm.post(url("contact_create", key=vendor.key), {"name": "Ann", "role": "Lead"},
                   HTTP_HX_REQUEST="true")  # fmt: skip

    assert bad.status_code == 400
    assert 'value="x@y.example"' in bad.content.decode()
    assert "<html" not in bad.content.decode()
    assert (good.status_code, good["HX-Redirect"]) == (204, vendor.get_absolute_url() + "#contacts")
    assert VendorContact.objects.get().is_primary


def test_a_contact_of_another_vendor_is_404(program, manager, pm):
    vendor = make_vendor(program)
    other = make_vendor(program, name="Other")
    contact = services.contact_create(actor=manager, vendor=other, name="Ann")

    assert pm.get(url("contact_edit", key=vendor.key, pk=contact.pk)).status_code == 404
    assert pm.post(url("contact_delete", key=vendor.key, pk=contact.pk)).status_code == 404
    assert VendorContact.objects.filter(pk=contact.pk).exists()


# --- the inline checklist -------------------------------------------------------------------------


def test_completing_a_step_inline_answers_the_checklist(program, manager, pm):
    vendor = onboarding_vendor(program, manager)
    step = vendor.checklist.order_by("position").first()
    complete = url("checklist_item_complete", key=vendor.key, pk=step.pk)

    opened = pm.get(complete, HTTP_HX_REQUEST="true")
    assert opened.status_code == 200
    assert 'class="vnd-complete-form' in opened.content.decode()
    assert "<html" not in opened.content.decode()

    missing = pm.post(complete, {"version": 1, "evidence": ""}, HTTP_HX_REQUEST="true")
    assert missing.status_code == 400
    assert "Say what shows it was done" in missing.content.decode()
    assert not fresh(step).is_done

    done = pm.post(complete, {"version": 1, "evidence": "NDA ref 4411"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    html = done.content.decode()
    assert html.lstrip().startswith('<div id="checklists"')
    assert "NDA ref 4411" in html and "1 of 5 done" in html
    assert (fresh(step).completed_by, fresh(step).completed_on) == (manager, TODAY)

    reopen = url("checklist_item_reopen", key=vendor.key, pk=step.pk)
    reopened = pm.post(reopen, {"version": 2}, HTTP_HX_REQUEST="true")
    assert reopened.status_code == 200
    assert "0 of 5 done" in reopened.content.decode()
    again = pm.post(reopen, {"version": 3}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409
    assert "is not completed" in again.content.decode()


def test_completing_without_htmx_redirects_to_the_step(program, manager, pm):
    vendor = onboarding_vendor(program, manager)
    step = vendor.checklist.first()

    response = pm.post(
        url("checklist_item_complete", key=vendor.key, pk=step.pk),
        {"version": 1, "evidence": "Signed", "completed_on": "2026-01-05"},
    )

    assert response["Location"] == vendor.get_absolute_url() + f"#step-{step.pk}"
    assert fresh(step).completed_on == dt.date(2026, 1, 5)


def test_add_edit_and_remove_a_step(program, manager, pm):
    vendor = onboarding_vendor(program, manager)

    added = pm.post(url("checklist_item_create", key=vendor.key),
                    {"kind": "onboarding", "title": "DPA signed", "owner": manager.pk})  # fmt: skip
    item = ChecklistItem.objects.get(title="DPA signed")
    assert added["Location"] == vendor.get_absolute_url() + f"#step-{item.pk}"
    edited = pm.post(url("checklist_item_edit", key=vendor.key, pk=item.pk),
                     {"version": 1, "title": "DPA countersigned"})  # fmt: skip
    assert edited.status_code == 302
    assert fresh(item).title == "DPA countersigned"
    pm.post(url("checklist_item_delete", key=vendor.key, pk=item.pk), {"version": 2})
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()


# --- categories and portal users ------------------------------------------------------------------


def test_category_add_keeps_a_duplicate_name_and_says_why(program, manager, pm):
    services.category_create(actor=manager, program=program, name="Hosting")

    response = pm.post(url("category_create"), {"name": "hosting"})

    assert response.status_code == 400
    assert 'value="hosting"' in response.content.decode()
    assert "already has a category" in response.content.decode()
    assert VendorCategory.objects.count() == 1


def test_bind_and_unbind_portal_users(program, manager, pm):
    vendor = make_vendor(program)
    tom = member(program, Role.VENDOR, full_name="Tom Becker").user

    page = pm.get(url("portal_users"))
    assert "Not bound" in page.content.decode()
    bound = pm.post(url("portal_user_bind"), {"user": tom.pk, "vendor": vendor.pk})
    binding = PortalUser.objects.get()
    assert bound["Location"] == url("portal_users")
    assert binding.membership.user == tom

    refused = pm.post(url("portal_user_bind"), {"user": tom.pk, "vendor": vendor.pk})
    assert refused.status_code == 400  # no longer a choice: already bound

    pm.post(url("portal_user_unbind", pk=binding.pk), {"version": 1})
    assert not PortalUser.objects.exists()


def test_a_refused_post_changes_nothing(program, manager):
    vendor = make_vendor(program)
    make_portal_user(program, vendor)
    viewer = logged_in(member(program, Role.VIEWER).user)
    trail = AuditEntry.objects.count()

    for name, kwargs in [
        ("vendor_create", {}),
        ("category_create", {}),
        ("vendor_status", {"key": vendor.key}),
        ("portal_user_unbind", {"pk": PortalUser.objects.get().pk}),
    ]:
        assert viewer.post(url(name, **kwargs), {"name": "X", "version": 1}).status_code == 403

    assert AuditEntry.objects.count() == trail
