"""Writes on programs, workstreams and memberships. Every one is atomic and audited."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.audit import audit_create, audit_delete
from core.errors import Refused
from core.keys import allocate_key
from core.models import User
from core.permissions import Role
from core.services import email_enqueue
from core.versioning import apply_changes, lock_current

from .models import Program, ProgramMembership, Workstream

PROGRAM_EDITABLE = (
    "name", "description", "sponsor", "start_date", "end_date", "currency", "time_zone", "status"
)  # fmt: skip
WORKSTREAM_EDITABLE = ("name", "lead", "description", "status")


def _only(fields: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    return fields


def _check_member(program: Program, user: User | None, field: str) -> None:
    if (
        user is not None
        and not ProgramMembership.objects.filter(program=program, user=user).exists()
    ):
        raise ValidationError({field: f"{user} is not a member of {program.code}."})


@transaction.atomic
def program_create(*, actor: User, code: str, **fields: Any) -> Program:
    program = Program(code=code, **_only(fields, PROGRAM_EDITABLE))
    program.full_clean()
    program.save()
    audit_create(actor=actor, instance=program)
    membership = ProgramMembership(program=program, user=actor, role=Role.MANAGER)
    membership.save()
    audit_create(actor=actor, instance=membership)
    if program.sponsor_id and program.sponsor_id != actor.pk:
        sponsor = ProgramMembership(program=program, user=program.sponsor, role=Role.EXECUTIVE)
        sponsor.save()
        audit_create(actor=actor, instance=sponsor)
    return program


@transaction.atomic
def program_update(
    *, actor: User, program: Program, expected_version: int | None, **changes: Any
) -> Program:
    _only(changes, PROGRAM_EDITABLE)
    if changes.get("sponsor") is not None:
        _check_member(program, changes["sponsor"], "sponsor")
    return apply_changes(program, actor=actor, changes=changes, expected_version=expected_version)


@transaction.atomic
def workstream_create(*, actor: User | None, program: Program, **fields: Any) -> Workstream:
    fields = _only(fields, WORKSTREAM_EDITABLE)
    _check_member(program, fields.get("lead"), "lead")
    workstream = Workstream(program=program, **fields)
    workstream.key = allocate_key(program_id=program.pk, prefix=Workstream.KEY_PREFIX)
    workstream.full_clean()
    workstream.save()
    audit_create(actor=actor, instance=workstream)
    return workstream


@transaction.atomic
def workstream_update(
    *, actor: User | None, workstream: Workstream, expected_version: int | None, **changes: Any
) -> Workstream:
    _only(changes, WORKSTREAM_EDITABLE)
    if "lead" in changes:
        _check_member(workstream.program, changes["lead"], "lead")
    return apply_changes(
        workstream, actor=actor, changes=changes, expected_version=expected_version
    )


@transaction.atomic
def workstream_delete(
    *, actor: User | None, workstream: Workstream, expected_version: int | None
) -> None:
    """Delete a workstream nothing refers to; one still used by plan items, RAID entries, budget
    lines ... is refused with what uses it (nothing changes)."""
    current = lock_current(Workstream, pk=workstream.pk, expected_version=expected_version)
    audit_delete(actor=actor, instance=current)
    try:
        with transaction.atomic():
            current.delete()
    except ProtectedError as exc:
        counts = Counter(obj._meta for obj in exc.protected_objects)
        uses = ", ".join(
            f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}"
            for meta, n in sorted(counts.items(), key=lambda pair: str(pair[0].verbose_name))
        )
        raise Refused(
            f"{current.key} {current.name} is still used by {uses}. Move them to another "
            "workstream first, or mark this workstream closed instead."
        ) from None


def _invite(*, actor: User, program: Program, user: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL + reverse(
        "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    context = {"actor": actor, "program": program, "user": user, "link": link}
    email_enqueue(
        to=[user.email],
        subject=f"{actor} invited you to {program.name}",
        body_text=render_to_string("programs/email/invitation.txt", context),
        idempotency_key=f"invite:{program.pk}:{user.pk}",
    )


@transaction.atomic
def membership_add(
    *, actor: User, program: Program, email: str, role: str, full_name: str = ""
) -> ProgramMembership:
    """Add a person by e-mail; someone new gets an account and an invitation to set a password."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        if not full_name.strip():
            raise ValidationError({"full_name": "Give the full name of a person new to the site."})
        user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
        audit_create(actor=actor, instance=user)
    if ProgramMembership.objects.filter(program=program, user=user).exists():
        raise ValidationError({"email": f"{user} is already a member of {program.code}."})
    membership = ProgramMembership(program=program, user=user, role=role)
    membership.full_clean()
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        raise ValidationError({"email": f"{user} is already a member of {program.code}."}) from exc
    audit_create(actor=actor, instance=membership)
    # Someone who has not set a password yet (new, or invited elsewhere and not arrived) is
    # invited to this program too; the idempotency key makes it one e-mail per program.
    membership.invited = not user.has_usable_password()
    if membership.invited:
        _invite(actor=actor, program=program, user=user)
    return membership


def _ensure_another_manager(membership: ProgramMembership) -> None:
    """Refuse if `membership` is, right now, the program's only manager.

    Every manager row is locked in one statement, in id order, before the membership itself:
    two managers demoting or removing each other at once then queue on the same first row instead
    of deadlocking, and the second sees the first one's change.
    """
    managers = list(
        ProgramMembership.objects.select_for_update()
        .filter(program_id=membership.program_id, role=Role.MANAGER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if managers == [membership.pk]:
        raise ValidationError(
            {"role": "A program needs at least one program manager; appoint another one first."}
        )


@transaction.atomic
def membership_change_role(
    *, actor: User, membership: ProgramMembership, role: str, expected_version: int | None
) -> ProgramMembership:
    if role != Role.MANAGER:
        _ensure_another_manager(membership)
    return apply_changes(
        membership, actor=actor, changes={"role": role}, expected_version=expected_version
    )


@transaction.atomic
def membership_remove(
    *, actor: User, membership: ProgramMembership, expected_version: int | None = None
) -> None:
    _ensure_another_manager(membership)
    current = lock_current(ProgramMembership, pk=membership.pk, expected_version=expected_version)
    if Workstream.objects.filter(program_id=current.program_id, lead_id=current.user_id).exists():
        raise ValidationError(
            {
                "role": f"{current.user} leads a workstream; "
                "choose another lead before removing them."
            }
        )
    audit_delete(actor=actor, instance=current)
    current.delete()
