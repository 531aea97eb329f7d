"""The vendor register's services: the life cycle rules, checklists, contacts, categories,
portal bindings, deletion, the audit trail and stale versions; and the list's counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditEntry
from core.permissions import Role
from core.tests.factories import UserFactory
from core.versioning import StaleVersionError
from programs.tests.factories import ProgramFactory, member
from vendors.models import ChecklistItem, PortalUser, Vendor, VendorContact
from vendors.selectors import vendors as selectors
from vendors.services import vendors as services
from vendors.services.errors import Refused
from vendors.tests.factories import fresh, make_contract, make_portal_user, make_vendor

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def entries_for(obj):
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return list(AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("id"))


def steps(vendor, kind="onboarding"):
    return list(vendor.checklist.filter(kind=kind).order_by("position"))


def finish(vendor, manager, kind="onboarding"):
    for item in steps(vendor, kind):
        if not item.is_done:
            services.checklist_item_complete(actor=manager, item=item, evidence="Done, ref 1.")


def to_status(vendor, manager, status, **kwargs):
    return services.vendor_update(
        actor=manager, vendor=vendor, expected_version=fresh(vendor).version, status=status,
        **kwargs,
    )  # fmt: skip


# --- the life cycle -------------------------------------------------------------------------------


def test_a_vendor_created_in_onboarding_gets_the_default_checklist(program, manager):
    vendor = make_vendor(program, status="onboarding", relationship_owner=manager)

    items = steps(vendor)
    assert [i.title for i in items] == list(services.ONBOARDING_STEPS)
    assert {i.owner for i in items} == {manager}
    assert {i.due_date for i in items} == {TODAY + dt.timedelta(days=services.ONBOARDING_DAYS)}
    assert all(len(entries_for(i)) == 1 for i in items)  # each step's creation is audited


def test_moving_to_onboarding_creates_the_checklist_once(program, manager):
    vendor = make_vendor(program, status="prospect")
    assert steps(vendor) == []

    vendor = to_status(vendor, manager, "onboarding")
    assert len(steps(vendor)) == 5
    vendor = to_status(vendor, manager, "prospect")
    vendor = to_status(vendor, manager, "onboarding")

    assert len(steps(vendor)) == 5
    assert [e.changes["status"] for e in entries_for(vendor)[1:]] == [
        ["prospect", "onboarding"], ["onboarding", "prospect"], ["prospect", "onboarding"],
    ]  # fmt: skip


def test_a_prospect_cannot_jump_to_active(program, manager):
    vendor = make_vendor(program, status="prospect")

    with pytest.raises(Refused, match="Start onboarding first"):
        to_status(vendor, manager, "active")

    assert fresh(vendor).status == "prospect"
    assert len(entries_for(vendor)) == 1


def test_activation_needs_the_onboarding_steps_done_or_an_override_with_a_reason(program, manager):
    vendor = make_vendor(program, status="onboarding")
    with pytest.raises(Refused, match="5 onboarding items are still open"):
        to_status(vendor, manager, "active")
    with pytest.raises(ValidationError) as error:
        to_status(vendor, manager, "active", override_open_items=True)
    assert "status_reason" in error.value.message_dict
    assert fresh(vendor).status == "onboarding"

    vendor = to_status(
        vendor, manager, "active", override_open_items=True, status_reason="Needed for mock 1."
    )

    assert (vendor.status, vendor.status_reason) == ("active", "Needed for mock 1.")
    assert vendor.status_changed_at is not None
    assert entries_for(vendor)[-1].changes["status_reason"] == ["", "Needed for mock 1."]


def test_activation_with_every_step_done_needs_no_reason(program, manager):
    vendor = make_vendor(program, status="onboarding")
    finish(vendor, manager)

    vendor = to_status(vendor, manager, "active")

    assert (vendor.status, vendor.status_reason) == ("active", "")


def test_suspension_needs_a_reason_and_reinstating_clears_it(program, manager):
    vendor = make_vendor(program, status="active")
    with pytest.raises(ValidationError) as error:
        to_status(vendor, manager, "suspended")
    assert "status_reason" in error.value.message_dict

    vendor = to_status(vendor, manager, "suspended", status_reason="Three P1 breaches.")
    assert vendor.status_reason == "Three P1 breaches."
    with pytest.raises(ValidationError):
        services.vendor_update(
            actor=manager, vendor=vendor, expected_version=vendor.version, status_reason=""
        )
    vendor = to_status(vendor, manager, "active")

    assert (vendor.status, vendor.status_reason) == ("active", "")


def test_offboarding_needs_its_checklist_done(program, manager):
    vendor = make_vendor(program, status="active")
    make_contract(program, vendor, status="completed")
    binding = make_portal_user(program, vendor)
    with pytest.raises(Refused, match="Start offboarding first"):
        to_status(vendor, manager, "offboarded")

    created = services.vendor_start_offboarding(actor=manager, vendor=vendor)
    assert [i.title for i in created] == list(services.OFFBOARDING_STEPS)
    with pytest.raises(Refused, match="4 offboarding items are still open"):
        to_status(vendor, manager, "offboarded")
    assert fresh(vendor).status == "active"
    finish(vendor, manager, "offboarding")

    vendor = to_status(vendor, manager, "offboarded")

    assert vendor.status == "offboarded"
    assert not PortalUser.objects.filter(pk=binding.pk).exists()  # offboarding ends portal access
    assert entries_for(binding)[-1].action == "delete"


@pytest.mark.parametrize("contract_status", ["active", "on_hold"])
def test_offboarding_is_refused_while_a_contract_is_open(program, manager, contract_status):
    vendor = make_vendor(program, status="suspended")
    contract = make_contract(program, vendor, status=contract_status)
    services.vendor_start_offboarding(actor=manager, vendor=vendor)
    finish(vendor, manager, "offboarding")

    with pytest.raises(Refused, match=f"{contract.key} is still active or on hold"):
        to_status(vendor, manager, "offboarded")

    assert fresh(vendor).status == "suspended"


def test_offboarding_starts_once_and_not_for_a_prospect(program, manager):
    vendor = make_vendor(program, status="suspended")
    services.vendor_start_offboarding(actor=manager, vendor=vendor)
    with pytest.raises(Refused, match="already started"):
        services.vendor_start_offboarding(actor=manager, vendor=vendor)
    with pytest.raises(Refused, match="prospect"):
        services.vendor_start_offboarding(
            actor=manager, vendor=make_vendor(program, name="P", status="prospect")
        )
    assert len(steps(vendor, "offboarding")) == 4


def test_offboarded_is_final_and_its_checklists_do_not_change(program, manager):
    vendor = make_vendor(program, status="offboarded")
    item = services.checklist_item_record(
        actor=manager, vendor=vendor, kind="offboarding", title="Access removed",
        completed_on=TODAY, evidence="AR-1",
    )  # fmt: skip

    with pytest.raises(Refused, match="final"):
        to_status(vendor, manager, "active")
    with pytest.raises(Refused):
        services.checklist_item_reopen(actor=manager, item=item)
    with pytest.raises(Refused):
        services.checklist_item_create(
            actor=manager, vendor=vendor, kind="offboarding", title="More"
        )
    assert fresh(item).is_done
    assert vendor.checklist.count() == 1


def test_a_stale_version_is_refused_and_nothing_changes(program, manager):
    vendor = make_vendor(program, legal_entity="Northwind GmbH")
    services.vendor_update(
        actor=manager, vendor=vendor, expected_version=1, legal_entity="Northwind AG"
    )

    with pytest.raises(StaleVersionError) as error:
        services.vendor_update(actor=manager, vendor=vendor, expected_version=1, notes="Mine")

    assert error.value.changed_fields == {"legal_entity": ["Northwind GmbH", "Northwind AG"]}
    assert (fresh(vendor).notes, fresh(vendor).version) == ("", 2)


def test_names_are_unique_in_a_program_ignoring_case(program, manager):
    make_vendor(program, name="Northwind")
    other = make_vendor(program, name="Contoso")

    with pytest.raises(ValidationError) as error:
        make_vendor(program, name="  NORTHWIND ")
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.vendor_update(actor=manager, vendor=other, expected_version=1, name="northwind")
    assert make_vendor(ProgramFactory(), name="Northwind").name == "Northwind"


def test_the_relationship_owner_must_be_a_member(program, manager):
    with pytest.raises(ValidationError) as error:
        make_vendor(program, relationship_owner=UserFactory())
    assert "relationship_owner" in error.value.message_dict


# --- deletion -------------------------------------------------------------------------------------


def test_a_prospect_with_nothing_attached_is_deleted_with_its_contacts_and_steps(program, manager):
    vendor = make_vendor(program, status="prospect")
    contact = services.contact_create(actor=manager, vendor=vendor, name="Ann")
    step = services.checklist_item_create(
        actor=manager, vendor=vendor, kind="onboarding", title="NDA"
    )

    services.vendor_delete(actor=manager, vendor=vendor, expected_version=1)

    assert not Vendor.objects.filter(pk=vendor.pk).exists()
    assert entries_for(vendor)[-1].action == "delete"
    assert entries_for(contact)[-1].action == "delete"
    assert entries_for(step)[-1].action == "delete"


@pytest.mark.parametrize(
    ("status", "with_contract", "reason"),
    [("active", False, "only a prospect"), ("prospect", True, "1 contract")],
)
def test_deleting_anything_but_a_bare_prospect_is_refused(
    program, manager, status, with_contract, reason
):
    vendor = make_vendor(program, status=status)
    if with_contract:
        make_contract(program, vendor, status="draft")
    trail = AuditEntry.objects.count()

    with pytest.raises(Refused, match=reason):
        services.vendor_delete(actor=manager, vendor=vendor, expected_version=None)

    assert Vendor.objects.filter(pk=vendor.pk).exists()
    assert AuditEntry.objects.count() == trail


# --- contacts -------------------------------------------------------------------------------------


def test_the_vendor_keeps_exactly_one_primary_contact(program, manager):
    vendor = make_vendor(program)
    ann = services.contact_create(actor=manager, vendor=vendor, name="Ann")
    bob = services.contact_create(actor=manager, vendor=vendor, name="Bob")
    assert (fresh(ann).is_primary, fresh(bob).is_primary) == (True, False)

    cyd = services.contact_create(actor=manager, vendor=vendor, name="Cyd", is_primary=True)
    assert [c.name for c in VendorContact.objects.filter(is_primary=True)] == ["Cyd"]
    assert entries_for(ann)[-1].changes["is_primary"] == [True, False]

    with pytest.raises(ValidationError):
        services.contact_update(actor=manager, contact=cyd, expected_version=1, is_primary=False)
    services.contact_delete(actor=manager, contact=cyd, expected_version=1)
    assert [c.name for c in VendorContact.objects.filter(is_primary=True)] == ["Ann"]


# --- checklists -----------------------------------------------------------------------------------


def test_completing_a_step_needs_evidence_and_records_who_and_when(program, manager):
    vendor = make_vendor(program, status="onboarding")
    item = steps(vendor)[0]
    with pytest.raises(ValidationError) as error:
        services.checklist_item_complete(actor=manager, item=item, evidence="   ")
    assert "evidence" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.checklist_item_complete(
            actor=manager, item=item, evidence="x", completed_on=TODAY + dt.timedelta(days=1)
        )
    assert not fresh(item).is_done

    done = services.checklist_item_complete(
        actor=manager, item=item, evidence=" NDA signed, DMS 4411 ", expected_version=1
    )

    assert (done.completed_on, done.completed_by, done.evidence) == (
        TODAY, manager, "NDA signed, DMS 4411",
    )  # fmt: skip
    assert entries_for(item)[-1].changes["evidence"] == ["", "NDA signed, DMS 4411"]
    with pytest.raises(Refused, match="was completed on"):
        services.checklist_item_complete(actor=manager, item=item, evidence="again")
    with pytest.raises(Refused, match="reopen it first"):
        services.checklist_item_delete(actor=manager, item=item, expected_version=None)


def test_reopening_clears_the_completion_and_the_history_keeps_it(program, manager):
    vendor = make_vendor(program, status="onboarding")
    item = steps(vendor)[0]
    with pytest.raises(Refused, match="not completed"):
        services.checklist_item_reopen(actor=manager, item=item)
    services.checklist_item_complete(actor=manager, item=item, evidence="Signed")

    reopened = services.checklist_item_reopen(actor=manager, item=item, expected_version=2)

    assert (reopened.completed_on, reopened.completed_by, reopened.evidence) == (None, None, "")
    assert entries_for(item)[-1].changes["evidence"] == ["Signed", ""]


def test_steps_are_added_at_the_end_edited_and_removed(program, manager):
    vendor = make_vendor(program, status="onboarding")
    added = services.checklist_item_create(
        actor=manager, vendor=vendor, kind="onboarding", title=" DPA signed ", owner=manager
    )
    assert (added.title, added.position) == ("DPA signed", 5)

    services.checklist_item_update(
        actor=manager, item=added, expected_version=1, due_date=dt.date(2026, 3, 1)
    )
    with pytest.raises(ValidationError):
        services.checklist_item_update(
            actor=manager, item=added, expected_version=2, evidence="sneaky"
        )
    with pytest.raises(ValidationError):
        services.checklist_item_update(
            actor=manager, item=added, expected_version=2, owner=UserFactory()
        )
    services.checklist_item_delete(actor=manager, item=added, expected_version=2)

    assert not ChecklistItem.objects.filter(pk=added.pk).exists()


# --- categories -----------------------------------------------------------------------------------


def test_categories_are_unique_renamed_and_deleted_from_their_vendors(program, manager):
    hosting = services.category_create(actor=manager, program=program, name="Hosting")
    with pytest.raises(ValidationError):
        services.category_create(actor=manager, program=program, name=" hosting ")
    vendor = make_vendor(program)
    vendor = services.vendor_update(
        actor=manager, vendor=vendor, expected_version=1, categories=[hosting]
    )
    assert entries_for(vendor)[-1].changes == {"categories": [[], ["Hosting"]]}
    assert vendor.version == 2

    services.category_rename(actor=manager, category=hosting, name="Cloud", expected_version=1)
    services.category_delete(actor=manager, category=hosting, expected_version=2)

    assert list(fresh(vendor).categories.all()) == []
    assert entries_for(vendor)[-1].changes == {"categories": [["Cloud"], []]}


def test_a_category_of_another_program_is_refused(program, manager):
    other = services.category_create(
        actor=manager, program=ProgramFactory(manager=manager), name="Hosting"
    )
    with pytest.raises(ValidationError) as error:
        make_vendor(program, categories=[other])
    assert "categories" in error.value.message_dict


# --- portal users ---------------------------------------------------------------------------------


def test_unbinding_ends_portal_access_and_offboarded_vendors_take_no_bindings(program, manager):
    vendor = make_vendor(program)
    binding = make_portal_user(program, vendor)
    user = binding.membership.user

    services.portal_user_unbind(actor=manager, binding=binding, expected_version=1)

    assert not PortalUser.objects.filter(pk=binding.pk).exists()
    assert entries_for(binding)[-1].action == "delete"
    gone = make_vendor(program, name="Litware", status="offboarded")
    with pytest.raises(ValidationError) as error:
        services.portal_user_bind(actor=manager, program=program, user=user, vendor=gone)
    assert "offboarded" in str(error.value)


# --- reads ----------------------------------------------------------------------------------------


def test_the_list_counts_contracts_value_and_open_and_overdue_steps(program, manager):
    vendor = make_vendor(program, status="onboarding")
    make_contract(program, vendor, value=Decimal("100.50"), status="active")
    make_contract(program, vendor, value=Decimal("50.00"), status="active")
    make_contract(program, vendor, value=Decimal("999.00"), status="draft")
    first, second = steps(vendor)[:2]
    services.checklist_item_update(
        actor=manager, item=first, expected_version=1, due_date=TODAY - dt.timedelta(days=1)
    )
    services.checklist_item_complete(actor=manager, item=second, evidence="ok")
    services.contact_create(actor=manager, vendor=vendor, name="Ann", email="ann@nw.example")
    make_vendor(program, name="Empty")

    rows = {v.name: v for v in selectors.vendor_list(program=program)}

    row = rows["Northwind Consulting"]
    assert (row.contract_count, row.active_value, row.open_items, row.overdue_items) == (
        3, Decimal("150.50"), 4, 1,
    )  # fmt: skip
    assert (row.primary_contact_name, row.primary_contact_email) == ("Ann", "ann@nw.example")
    empty = rows["Empty"]
    assert (empty.contract_count, empty.active_value, empty.open_items) == (0, Decimal("0"), 0)


def test_the_history_holds_the_vendor_and_its_rows_even_deleted_ones(program, manager):
    vendor = make_vendor(program)
    contact = services.contact_create(actor=manager, vendor=vendor, name="Ann")
    services.contact_delete(actor=manager, contact=contact, expected_version=1)
    other = make_vendor(program, name="Other")
    services.contact_create(actor=manager, vendor=other, name="Not mine")

    history = list(selectors.vendor_history(vendor=vendor))

    assert [(e.content_type.model, e.action) for e in history] == [
        ("vendorcontact", "delete"), ("vendorcontact", "create"), ("vendor", "create"),
    ]  # fmt: skip


def test_demo_tells_each_vendors_story(program, manager):
    for role in (Role.COORDINATOR, Role.FINANCE):
        member(program, role)
    from vendors import demo_vendors

    vendors = {
        slug: make_vendor(program, name=name, status=status)
        for slug, name, status in [
            ("northwind", "Northwind Consulting", "active"),
            ("contoso", "Contoso Data Services", "active"),
            ("fabrikam", "Fabrikam Cloud", "suspended"),
            ("litware", "Litware Training", "offboarded"),
            ("tailspin", "Tailspin Integration", "prospect"),
            ("adatum", "Adatum Systems", "prospect"),
        ]
    }

    counts = demo_vendors.build(program, {"manager": manager, "vendors": vendors})

    assert counts == {"vendor categories": 5, "contacts": 10, "checklist steps": 19}
    rows = {v.name: v for v in selectors.vendor_list(program=program)}
    assert rows["Northwind Consulting"].open_items == 0
    assert (
        rows["Contoso Data Services"].open_items,
        rows["Contoso Data Services"].overdue_items,
    ) == (1, 1)
    assert all(i.is_done for i in steps(vendors["litware"], "offboarding"))
    assert "P1" in fresh(vendors["fabrikam"]).status_reason
    assert all(v.contacts.filter(is_primary=True).count() == 1 for v in vendors.values())
