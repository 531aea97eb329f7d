"""Briefing subscriptions: create, edit (fields and recipients, versioned and audited together),
deactivate, and the recipient's own unsubscribe (from the signed link, without logging in)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, _record, diff, snapshot
from core.domain import create
from core.versioning import clean_changed, lock_current
from programs.models import Program, ProgramMembership

from ..models import Subscription, SubscriptionRecipient

__all__ = [
    "parse_addresses",
    "recipient_unsubscribe",
    "subscription_create",
    "subscription_deactivate",
    "subscription_update",
]

FIELDS = ("name", "weekday", "send_time", "include_deck", "active")


def parse_addresses(value: str | Iterable[str]) -> list[str]:
    """The e-mail addresses typed one per line (commas and semicolons work too), trimmed,
    de-duplicated (case-insensitively, first spelling kept). Every invalid one is refused,
    named, in one ValidationError."""
    if isinstance(value, str):
        for separator in (",", ";"):
            value = value.replace(separator, "\n")
        items = value.splitlines()
    else:
        items = list(value)
    seen: dict[str, str] = {}
    bad: list[str] = []
    for item in items:
        address = str(item).strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
            continue
        seen.setdefault(address.lower(), address)
    if bad:
        names = ", ".join(f"“{a}”" for a in bad)
        raise ValidationError(
            f"Not a valid e-mail address: {names}." if len(bad) == 1
            else f"Not valid e-mail addresses: {names}.",
            code="invalid_address",
        )  # fmt: skip
    return list(seen.values())


def _members(program: Program, users: Iterable[Any]) -> list:
    """Users (or ids) who must be members of the program."""
    ids = {getattr(u, "pk", u) for u in users}
    if not ids:
        return []
    found = set(
        ProgramMembership.objects.filter(program=program, user_id__in=ids).values_list(
            "user_id", flat=True
        )
    )
    if ids - found:
        raise ValidationError(
            {"members": "Only members of the program can be picked; use an e-mail address."}
        )
    return list(get_user_model().objects.filter(pk__in=ids).order_by("email"))


def _recipients_of(subscription: Subscription) -> list[str]:
    return sorted(str(r) for r in subscription.recipients.select_related("user"))


def _set_recipients(subscription: Subscription, members: list, emails: list[str]) -> None:
    """Make the recipients exactly these; rows kept keep their unsubscribe state (editing the
    subscription does not sign anyone back up)."""
    member_ids = {u.pk for u in members}
    member_emails = {u.email.lower() for u in members if u.email}
    wanted = {a.lower(): a for a in emails if a.lower() not in member_emails}
    current = list(subscription.recipients.all())
    for row in current:
        if (row.user_id and row.user_id not in member_ids) or (
            not row.user_id and row.email.lower() not in wanted
        ):
            row.delete()
    have_users = {r.user_id for r in current if r.user_id}
    have_emails = {r.email.lower() for r in current if not r.user_id}
    for user in members:
        if user.pk not in have_users:
            SubscriptionRecipient.objects.create(subscription=subscription, user=user)
    for key, address in wanted.items():
        if key not in have_emails:
            SubscriptionRecipient.objects.create(subscription=subscription, email=address)


def _check_someone(members: list, emails: list[str]) -> None:
    if not members and not emails:
        raise ValidationError(
            {"emails": "Add at least one recipient: a member or an e-mail address."}
        )


@transaction.atomic
def subscription_create(
    *, actor, program: Program, members: Iterable[Any] = (), emails: Iterable[str] | str = (),
    **fields: Any,
) -> Subscription:  # fmt: skip
    addresses = parse_addresses(emails)
    people = _members(program, members)
    _check_someone(people, addresses)
    subscription = create(
        Subscription, actor=actor, program=program,
        created_by=actor if getattr(actor, "pk", None) else None,
        **{k: v for k, v in fields.items() if k in FIELDS},
    )  # fmt: skip
    _set_recipients(subscription, people, addresses)
    if _recipients_of(subscription):
        _record(
            actor=actor, action=AuditAction.UPDATE, instance=subscription,
            changes={"recipients": [None, _recipients_of(subscription)]},
        )  # fmt: skip
    return subscription


@transaction.atomic
def subscription_update(
    *, actor, subscription: Subscription, expected_version: int | None,
    members: Iterable[Any] | None = None, emails: Iterable[str] | str | None = None,
    **changes: Any,
) -> Subscription:  # fmt: skip
    """Change fields and (when given) the recipients as one versioned, audited step."""
    current = lock_current(Subscription, pk=subscription.pk, expected_version=expected_version)
    before = snapshot(current) | {"recipients": _recipients_of(current)}
    changed = [k for k, v in changes.items() if k in FIELDS and getattr(current, k) != v]
    for name in changed:
        setattr(current, name, changes[name])
    if changed:
        clean_changed(current, changed)
    if members is not None or emails is not None:
        people = (
            _members(current.program, members)
            if members is not None
            else [r.user for r in current.recipients.select_related("user") if r.user_id]
        )
        addresses = (
            parse_addresses(emails)
            if emails is not None
            else [r.email for r in current.recipients.all() if not r.user_id]
        )
        _check_someone(people, addresses)
        _set_recipients(current, people, addresses)
    after = snapshot(current) | {"recipients": _recipients_of(current)}
    changes_made = diff(before, after)
    if not changes_made:
        return current
    current.version += 1
    current.save(update_fields=[*changed, "version", "updated_at"])
    _record(actor=actor, action=AuditAction.UPDATE, instance=current, changes=changes_made)
    return current


def subscription_deactivate(
    *, actor, subscription: Subscription, expected_version: int | None
) -> Subscription:
    return subscription_update(
        actor=actor, subscription=subscription, expected_version=expected_version, active=False
    )


@transaction.atomic
def recipient_unsubscribe(
    *, recipient_id: int, subscription_id: int, now: dt.datetime | None = None
) -> tuple[SubscriptionRecipient | None, bool]:
    """Stop sending the briefing to this recipient (from their signed link). Returns (recipient,
    changed): None when the row is gone (removed from the subscription meanwhile), changed False
    when they had unsubscribed already."""
    recipient = (
        SubscriptionRecipient.objects.select_for_update(of=("self",))
        .select_related("subscription__program", "user")
        .filter(pk=recipient_id, subscription_id=subscription_id)
        .first()
    )
    if recipient is None:
        return None, False
    if recipient.unsubscribed_at is not None:
        return recipient, False
    recipient.unsubscribed_at = now or timezone.now()
    recipient.save(update_fields=["unsubscribed_at"])
    _record(
        actor=None, action=AuditAction.UPDATE, instance=recipient.subscription,
        changes={"unsubscribed": [None, recipient.address]},
    )  # fmt: skip
    return recipient, True
