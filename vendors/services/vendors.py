"""Vendors, their contacts, categories and checklists, and portal users.

The life of a vendor (`TRANSITIONS`): prospect → onboarding → active ⇄ suspended → offboarded.

- Moving to onboarding creates the default onboarding checklist (`ONBOARDING_STEPS`) when the
  vendor has none.
- Onboarding → active needs every onboarding item done. The program can override that (a vendor
  needed before the paperwork is through) only by saying why: the reason is kept on the vendor
  (`status_reason`) and in its history.
- Suspending needs a reason (shown on the vendor's page until it is reinstated).
- Offboarding starts with `vendor_start_offboarding` (the default offboarding checklist,
  `OFFBOARDING_STEPS`); the vendor becomes offboarded only once that checklist is done and none
  of its contracts is still active or on hold. Offboarding ends every portal binding.
- Offboarded is final: its checklists are the record and no longer change.

A vendor is deleted only while it is a prospect with nothing attached (contracts, RFP responses,
escalations, portal users); anything else is offboarded instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone

from core.audit import _record, audit_create, audit_delete, diff, snapshot
from core.models import AuditAction
from core.permissions import Role
from core.versioning import apply_changes, clean_changed, lock_current
from programs.models import Program, ProgramMembership

from ..models import (
    ChecklistItem,
    ChecklistKind,
    PortalUser,
    Vendor,
    VendorCategory,
    VendorContact,
    VendorStatus,
)
from ._base import check_member, create
from .errors import Refused

__all__ = [
    "OFFBOARDING_STEPS",
    "ONBOARDING_STEPS",
    "TRANSITIONS",
    "category_create",
    "category_delete",
    "category_rename",
    "checklist_item_complete",
    "checklist_item_create",
    "checklist_item_delete",
    "checklist_item_record",
    "checklist_item_reopen",
    "checklist_item_update",
    "contact_create",
    "contact_delete",
    "contact_update",
    "portal_user_bind",
    "portal_user_unbind",
    "status_refusal",
    "vendor_create",
    "vendor_delete",
    "vendor_start_offboarding",
    "vendor_update",
]

S = VendorStatus
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PROSPECT: (S.ONBOARDING,),
    S.ONBOARDING: (S.ACTIVE, S.PROSPECT, S.OFFBOARDED),
    S.ACTIVE: (S.SUSPENDED, S.OFFBOARDED),
    S.SUSPENDED: (S.ACTIVE, S.OFFBOARDED),
    S.OFFBOARDED: (),
}
ONBOARDING_STEPS = (
    "NDA signed",
    "Security review",
    "Insurance certificate",
    "Supplier master data created",
    "System access granted",
)
OFFBOARDING_STEPS = (
    "Access removed",
    "Assets returned",
    "Knowledge transfer completed",
    "Final invoice settled",
)
ONBOARDING_DAYS = 14  # default due date of a new onboarding step, from today
OFFBOARDING_DAYS = 30
OPEN_CONTRACT_STATUSES = ("active", "on_hold")
VENDOR_FIELDS = (
    "name", "legal_entity", "registration_number", "status", "status_reason",
    "relationship_owner", "website", "address", "notes",
)  # fmt: skip


# --- helpers -------------------------------------------------------------------------------------


def _category_names(categories) -> list[str]:
    return sorted(c.name for c in categories)


def _check_categories(program: Program, categories) -> list[VendorCategory]:
    categories = list(categories)
    if any(c.program_id != program.pk for c in categories):
        raise ValidationError({"categories": "That category belongs to another program."})
    return categories


def _check_unique_name(program: Program, name: str, *, exclude_pk=None) -> None:
    others = Vendor.objects.filter(program=program, name__iexact=(name or "").strip())
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    clash = others.only("key").first()
    if clash is not None:
        raise ValidationError({"name": f"{clash.key} already has this name in {program.code}."})


def _open_items(vendor: Vendor, kind: str):
    return ChecklistItem.objects.filter(vendor=vendor, kind=kind, completed_on__isnull=True)


def _default_owner(vendor: Vendor, actor):
    if vendor.relationship_owner_id:
        return vendor.relationship_owner
    if (
        actor is not None
        and ProgramMembership.objects.filter(program_id=vendor.program_id, user=actor)
        .exclude(role=Role.VENDOR)
        .exists()
    ):
        return actor
    return None


def _create_steps(*, actor, vendor: Vendor, kind: str, titles, owner, due_date) -> list:
    start = _next_position(vendor, kind)
    return [
        create(
            ChecklistItem,
            actor=actor,
            program=vendor.program,
            vendor=vendor,
            kind=kind,
            title=title,
            position=start + n,
            owner=owner,
            due_date=due_date,
        )
        for n, title in enumerate(titles)
    ]


def _next_position(vendor: Vendor, kind: str) -> int:
    last = ChecklistItem.objects.filter(vendor=vendor, kind=kind).aggregate(n=Max("position"))["n"]
    return 0 if last is None else last + 1


def status_refusal(vendor: Vendor, status: str, *, override: bool = False) -> str:
    """Why `vendor` cannot move to `status` now ("" when it can). Pages show it next to the
    button; `vendor_update` refuses with it."""
    if status == vendor.status:
        return ""
    if status not in TRANSITIONS.get(vendor.status, ()):
        if vendor.status == S.OFFBOARDED:
            return f"{vendor.name} is offboarded; that is final."
        if status == S.ACTIVE and vendor.status == S.PROSPECT:
            return "Start onboarding first: a prospect becomes active through onboarding."
        return (
            f"A vendor cannot go from {S(vendor.status).label.lower()} to "
            f"{S(status).label.lower()}."
        )
    if status == S.ACTIVE and vendor.status == S.ONBOARDING and not override:
        open_count = _open_items(vendor, ChecklistKind.ONBOARDING).count()
        if open_count:
            return (
                f"{open_count} onboarding item{'s are' if open_count != 1 else ' is'} still open. "
                "Complete them first, or override with a reason."
            )
    if status == S.OFFBOARDED:
        if not ChecklistItem.objects.filter(vendor=vendor, kind=ChecklistKind.OFFBOARDING).exists():
            return "Start offboarding first: its checklist must be done before the vendor leaves."
        open_count = _open_items(vendor, ChecklistKind.OFFBOARDING).count()
        if open_count:
            return (
                f"{open_count} offboarding item{'s are' if open_count != 1 else ' is'} still "
                "open; complete them first."
            )
        open_contracts = list(
            vendor.contracts.filter(status__in=OPEN_CONTRACT_STATUSES)
            .order_by("number")
            .values_list("key", flat=True)
        )
        if open_contracts:
            return (
                f"{', '.join(open_contracts)} {'is' if len(open_contracts) == 1 else 'are'} still "
                "active or on hold; complete or terminate the contracts first."
            )
    return ""


def _save_vendor(current: Vendor, *, actor, changes: dict, categories) -> Vendor:
    """Set the changed columns (and categories), bump the version, save, audit in one entry."""
    before = snapshot(current)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    extra: dict[str, list] = {}
    if categories is not None:
        was = _category_names(current.categories.all())
        now = _category_names(categories)
        if was != now:
            extra["categories"] = [was, now]
    if not changed and not extra:
        return current
    for name in changed:
        setattr(current, name, changes[name])
    clean_changed(current, changed)
    current.version += 1
    current.save(update_fields=[*changed, "version", "updated_at"])
    if extra:
        current.categories.set(categories)
    entry = diff(before, snapshot(current))
    entry.update(extra)
    _record(actor=actor, action=AuditAction.UPDATE, instance=current, changes=entry)
    return current


# --- vendors -------------------------------------------------------------------------------------


@transaction.atomic
def vendor_create(*, actor, program: Program, categories=(), **fields: Any) -> Vendor:
    """A new vendor (a prospect unless `status` says otherwise). One created in onboarding gets
    the default onboarding checklist."""
    check_member(program, fields.get("relationship_owner"), "relationship_owner")
    _check_unique_name(program, fields.get("name", ""))
    categories = _check_categories(program, categories)
    fields["name"] = (fields.get("name") or "").strip()
    fields.setdefault("status_changed_at", timezone.now())
    vendor = create(Vendor, actor=actor, program=program, **fields)
    if categories:
        vendor.categories.set(categories)
        _record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=vendor,
            changes={"categories": [[], _category_names(categories)]},
        )
    if vendor.status == S.ONBOARDING:
        _create_steps(
            actor=actor,
            vendor=vendor,
            kind=ChecklistKind.ONBOARDING,
            titles=ONBOARDING_STEPS,
            owner=_default_owner(vendor, actor),
            due_date=timezone.localdate() + dt.timedelta(days=ONBOARDING_DAYS),
        )
    return vendor


@transaction.atomic
def vendor_update(
    *,
    actor,
    vendor: Vendor,
    expected_version: int | None,
    categories=None,
    override_open_items: bool = False,
    **changes: Any,
) -> Vendor:
    """Change a vendor's details, categories and status (see the module's rules).

    `status_reason` explains the new status; it is required to suspend and to activate with open
    onboarding items (`override_open_items=True`), and is cleared by a status change without one.
    """
    unknown = set(changes) - set(VENDOR_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown vendor fields: {', '.join(sorted(unknown))}.")
    current = lock_current(Vendor, pk=vendor.pk, expected_version=expected_version)
    if "relationship_owner" in changes:
        check_member(current.program, changes["relationship_owner"], "relationship_owner")
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if changes["name"].lower() != current.name.lower():
            _check_unique_name(current.program, changes["name"], exclude_pk=current.pk)
    if categories is not None:
        categories = _check_categories(current.program, categories)
    if "status_reason" in changes:
        changes["status_reason"] = (changes["status_reason"] or "").strip()
    status = changes.get("status", current.status)
    moving = status != current.status
    if moving:
        reason = changes.get("status_reason", "")
        refusal = status_refusal(current, status, override=override_open_items)
        if refusal:
            raise Refused(refusal)
        overriding = (
            status == S.ACTIVE
            and current.status == S.ONBOARDING
            and _open_items(current, ChecklistKind.ONBOARDING).exists()
        )
        if (status == S.SUSPENDED or overriding) and not reason:
            why = "suspending" if status == S.SUSPENDED else "activating with open onboarding items"
            raise ValidationError({"status_reason": f"Give the reason for {why}."})
        changes["status_reason"] = reason
        changes["status_changed_at"] = timezone.now()
    elif current.status == S.SUSPENDED and changes.get("status_reason", "x") == "":
        raise ValidationError({"status_reason": "A suspended vendor keeps its reason."})
    updated = _save_vendor(current, actor=actor, changes=changes, categories=categories)
    if (
        moving
        and status == S.ONBOARDING
        and not current.checklist.filter(kind=ChecklistKind.ONBOARDING).exists()
    ):
        _create_steps(
            actor=actor,
            vendor=updated,
            kind=ChecklistKind.ONBOARDING,
            titles=ONBOARDING_STEPS,
            owner=_default_owner(updated, actor),
            due_date=timezone.localdate() + dt.timedelta(days=ONBOARDING_DAYS),
        )
    if moving and status == S.OFFBOARDED:
        for binding in PortalUser.objects.filter(vendor=updated).select_related("membership"):
            audit_delete(actor=actor, instance=binding)
            binding.delete()
    return updated


@transaction.atomic
def vendor_start_offboarding(
    *,
    actor,
    vendor: Vendor,
    expected_version: int | None = None,
    owner=None,
    due_date: dt.date | None = None,
) -> list[ChecklistItem]:
    """Create the default offboarding checklist; the vendor keeps its status until it is done."""
    current = lock_current(Vendor, pk=vendor.pk, expected_version=expected_version)
    if current.status in (S.PROSPECT, S.OFFBOARDED):
        raise Refused(
            f"{current.name} is {S(current.status).label.lower()}; only a vendor in onboarding, "
            "active or suspended is offboarded."
        )
    if current.checklist.filter(kind=ChecklistKind.OFFBOARDING).exists():
        raise Refused(f"Offboarding of {current.name} has already started.")
    check_member(current.program, owner, "owner")
    return _create_steps(
        actor=actor,
        vendor=current,
        kind=ChecklistKind.OFFBOARDING,
        titles=OFFBOARDING_STEPS,
        owner=owner or _default_owner(current, actor),
        due_date=due_date or timezone.localdate() + dt.timedelta(days=OFFBOARDING_DAYS),
    )


@transaction.atomic
def vendor_delete(*, actor, vendor: Vendor, expected_version: int | None) -> None:
    """Delete a prospect with nothing attached; its contacts and checklist go with it."""
    current = lock_current(Vendor, pk=vendor.pk, expected_version=expected_version)
    if current.status != S.PROSPECT:
        raise Refused(
            f"{current.name} is {S(current.status).label.lower()}; only a prospect can be "
            "deleted. Offboard it instead, so its history stays."
        )
    attached = [
        (current.contracts.count(), "contract"),
        (current.rfp_responses.count(), "RFP response"),
        (current.escalations.count(), "escalation"),
        (current.portal_users.count(), "portal user"),
    ]
    held = [f"{n} {label}{'s' if n != 1 else ''}" for n, label in attached if n]
    if held:
        raise Refused(f"{current.name} has {', '.join(held)}; it cannot be deleted.")
    for row in [*current.contacts.all(), *current.checklist.all()]:
        audit_delete(actor=actor, instance=row)
    audit_delete(actor=actor, instance=current)
    try:
        with transaction.atomic():
            current.delete()
    except ProtectedError as exc:
        raise Refused(f"{current.name} is referred to elsewhere; it cannot be deleted.") from exc


# --- contacts ------------------------------------------------------------------------------------


def _demote_other_primaries(*, actor, contact: VendorContact) -> None:
    others = VendorContact.objects.filter(vendor_id=contact.vendor_id, is_primary=True).exclude(
        pk=contact.pk
    )
    for other in others:
        apply_changes(other, actor=actor, changes={"is_primary": False}, expected_version=None)


@transaction.atomic
def contact_create(*, actor, vendor: Vendor, **fields: Any) -> VendorContact:
    """A contact of the vendor; the first one, or one marked primary, becomes the primary."""
    fields["name"] = (fields.get("name") or "").strip()
    if not VendorContact.objects.filter(vendor=vendor).exists():
        fields["is_primary"] = True
    contact = create(VendorContact, actor=actor, program=vendor.program, vendor=vendor, **fields)
    if contact.is_primary:
        _demote_other_primaries(actor=actor, contact=contact)
    return contact


@transaction.atomic
def contact_update(
    *, actor, contact: VendorContact, expected_version: int | None, **changes: Any
) -> VendorContact:
    """Change a contact; making it primary makes the previous primary an ordinary contact."""
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    if changes.get("is_primary") is False:
        current = VendorContact.objects.get(pk=contact.pk)
        if current.is_primary:
            raise ValidationError(
                {
                    "is_primary": "Make another contact the primary one instead: the vendor "
                    "keeps one."
                }
            )
    updated = apply_changes(
        contact, actor=actor, changes=changes, expected_version=expected_version
    )
    if updated.is_primary:
        _demote_other_primaries(actor=actor, contact=updated)
    return updated


@transaction.atomic
def contact_delete(*, actor, contact: VendorContact, expected_version: int | None) -> None:
    """Remove a contact; when it was the primary, the next contact (by name) takes over."""
    current = lock_current(VendorContact, pk=contact.pk, expected_version=expected_version)
    audit_delete(actor=actor, instance=current)
    current.delete()
    if current.is_primary:
        successor = (
            VendorContact.objects.filter(vendor_id=current.vendor_id).order_by("name").first()
        )
        if successor is not None:
            apply_changes(
                successor, actor=actor, changes={"is_primary": True}, expected_version=None
            )


# --- categories ----------------------------------------------------------------------------------


def _check_category_name(program: Program, name: str, *, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the category a name."})
    clash = VendorCategory.objects.filter(program=program, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"{program.code} already has a category “{name}”."})
    return name


@transaction.atomic
def category_create(*, actor, program: Program, name: str) -> VendorCategory:
    name = _check_category_name(program, name)
    return create(VendorCategory, actor=actor, program=program, name=name)


@transaction.atomic
def category_rename(
    *, actor, category: VendorCategory, name: str, expected_version: int | None
) -> VendorCategory:
    current = lock_current(VendorCategory, pk=category.pk, expected_version=expected_version)
    name = _check_category_name(current.program, name, exclude_pk=current.pk)
    return apply_changes(
        current, actor=actor, changes={"name": name}, expected_version=None, locked=True
    )


@transaction.atomic
def category_delete(*, actor, category: VendorCategory, expected_version: int | None) -> int:
    """Delete a category; the vendors that had it lose it (recorded in each vendor's history).
    Returns how many vendors had it."""
    current = lock_current(VendorCategory, pk=category.pk, expected_version=expected_version)
    vendors = list(Vendor.objects.filter(categories=current).prefetch_related("categories"))
    for vendor in vendors:
        was = _category_names(vendor.categories.all())
        _record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=vendor,
            changes={"categories": [was, [n for n in was if n != current.name]]},
        )
    audit_delete(actor=actor, instance=current)
    current.delete()
    return len(vendors)


# --- checklists ----------------------------------------------------------------------------------


def _check_changeable(vendor: Vendor) -> None:
    if vendor.status == S.OFFBOARDED:
        raise Refused(f"{vendor.name} is offboarded; its checklists are the record and stay.")


@transaction.atomic
def checklist_item_create(
    *, actor, vendor: Vendor, kind: str, title: str, owner=None, due_date=None
) -> ChecklistItem:
    """Add a step to the vendor's onboarding or offboarding checklist (at the end)."""
    _check_changeable(vendor)
    check_member(vendor.program, owner, "owner")
    return create(
        ChecklistItem,
        actor=actor,
        program=vendor.program,
        vendor=vendor,
        kind=kind,
        title=(title or "").strip(),
        position=_next_position(vendor, kind),
        owner=owner,
        due_date=due_date,
    )


ITEM_FIELDS = ("title", "owner", "due_date", "position")


@transaction.atomic
def checklist_item_update(
    *, actor, item: ChecklistItem, expected_version: int | None, **changes: Any
) -> ChecklistItem:
    """Change a step's title, owner, due date or position (completion has its own services)."""
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError(
            f"{', '.join(sorted(unknown))} cannot be edited here; complete or reopen the item."
        )
    current = lock_current(ChecklistItem, pk=item.pk, expected_version=expected_version)
    _check_changeable(current.vendor)
    if "owner" in changes:
        check_member(current.program, changes["owner"], "owner")
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


@transaction.atomic
def checklist_item_complete(
    *,
    actor,
    item: ChecklistItem,
    evidence: str,
    completed_on: dt.date | None = None,
    expected_version: int | None = None,
) -> ChecklistItem:
    """Mark a step done: `evidence` says what shows it (required); who and when are recorded."""
    current = lock_current(ChecklistItem, pk=item.pk, expected_version=expected_version)
    _check_changeable(current.vendor)
    if current.is_done:
        raise Refused(
            f"“{current.title}” was completed on {current.completed_on:%d %b %Y}"
            f"{f' by {current.completed_by}' if current.completed_by_id else ''}."
        )
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError(
            {"evidence": "Say what shows it was done, e.g. “NDA signed 3 Mar, DMS ref 4411”."}
        )
    today = timezone.localdate()
    completed_on = completed_on or today
    if completed_on > today:
        raise ValidationError({"completed_on": "A step cannot be completed in the future."})
    by = actor if actor is not None and actor.is_authenticated else None
    return apply_changes(
        current,
        actor=actor,
        changes={"evidence": evidence, "completed_on": completed_on, "completed_by": by},
        expected_version=None,
        locked=True,
    )


@transaction.atomic
def checklist_item_reopen(
    *, actor, item: ChecklistItem, expected_version: int | None = None
) -> ChecklistItem:
    """Undo a completion recorded in error (the history keeps what it said)."""
    current = lock_current(ChecklistItem, pk=item.pk, expected_version=expected_version)
    _check_changeable(current.vendor)
    if not current.is_done:
        raise Refused(f"“{current.title}” is not completed.")
    return apply_changes(
        current,
        actor=actor,
        changes={"evidence": "", "completed_on": None, "completed_by": None},
        expected_version=None,
        locked=True,
    )


@transaction.atomic
def checklist_item_delete(*, actor, item: ChecklistItem, expected_version: int | None) -> None:
    """Remove an open step that does not apply; a completed one is the record (reopen it first)."""
    current = lock_current(ChecklistItem, pk=item.pk, expected_version=expected_version)
    _check_changeable(current.vendor)
    if current.is_done:
        raise Refused(f"“{current.title}” is completed; reopen it first if that was in error.")
    audit_delete(actor=actor, instance=current)
    current.delete()


@transaction.atomic
def checklist_item_record(
    *,
    actor,
    vendor: Vendor,
    kind: str,
    title: str,
    owner=None,
    due_date: dt.date | None = None,
    completed_on: dt.date | None = None,
    completed_by=None,
    evidence: str = "",
) -> ChecklistItem:
    """Record a step as it happened, done or not (imports and demo data): the history of a
    vendor that reached its status before the register existed. Unlike the page's services it
    may add to an offboarded vendor's record; a completion still needs its evidence."""
    check_member(vendor.program, owner, "owner")
    check_member(vendor.program, completed_by, "completed_by")
    if completed_on is not None and not (evidence or "").strip():
        raise ValidationError({"evidence": "A completed step needs its evidence."})
    if completed_on is not None and completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "A step cannot be completed in the future."})
    return create(
        ChecklistItem,
        actor=actor,
        program=vendor.program,
        vendor=vendor,
        kind=kind,
        title=(title or "").strip(),
        position=_next_position(vendor, kind),
        owner=owner,
        due_date=due_date,
        completed_on=completed_on,
        completed_by=completed_by if completed_on is not None else None,
        evidence=(evidence or "").strip() if completed_on is not None else "",
    )


# --- portal users --------------------------------------------------------------------------------


@transaction.atomic
def portal_user_bind(*, actor, program: Program, user, vendor: Vendor) -> PortalUser:
    """Bind a vendor-role member to the vendor whose portal they will see (one vendor each)."""
    membership = ProgramMembership.objects.filter(program=program, user=user).first()
    if membership is None:
        raise ValidationError({"user": f"{user} is not a member of {program.code}."})
    if membership.role != Role.VENDOR:
        raise ValidationError({"user": "Only members with the vendor role use the vendor portal."})
    if vendor.program_id != program.pk:
        raise ValidationError({"vendor": "That vendor belongs to another program."})
    if vendor.status == S.OFFBOARDED:
        raise ValidationError({"vendor": f"{vendor.name} is offboarded; its portal is closed."})
    existing = PortalUser.objects.filter(membership=membership).select_related("vendor").first()
    if existing is not None:
        raise ValidationError(
            {"user": f"{user} is already bound to {existing.vendor.name}; unbind them first."}
        )
    binding = PortalUser(program=program, membership=membership, vendor=vendor)
    binding.full_clean()
    binding.save()
    audit_create(actor=actor, instance=binding)
    return binding


@transaction.atomic
def portal_user_unbind(*, actor, binding: PortalUser, expected_version: int | None = None) -> None:
    """End a member's access to a vendor's portal (their program membership stays)."""
    current = lock_current(PortalUser, pk=binding.pk, expected_version=expected_version)
    audit_delete(actor=actor, instance=current)
    current.delete()
