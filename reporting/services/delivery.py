"""Briefing deliveries: what is due, and sending one briefing exactly once.

A scheduled send is a `Delivery` row unique per (subscription, period). `deliver` claims the
row in a short transaction before anything is generated, builds the snapshot and the PDFs
outside any lock, then in a second transaction checks the claim is still its own and records
one e-mail per active recipient in the core outbox, keyed `reporting-delivery:<delivery>:<rcpt>`
(the outbox key is unique: two workers racing past every other check still send once).

A claim is held by a token (the Celery task id, or a random one). Another caller finds the row
claimed and does nothing, unless the claim is older than REPORTING_CLAIM_STALE_SECONDS (its
worker died) or is its own (the same task redelivered after a crash). A failure records
`attempts` and `last_error` and releases the claim for the retry; after the last attempt the
delivery is `failed`. `due` finds the slots with no delivery yet and the deliveries left behind
(stale claims, failures with attempts left), so a briefing missed while the broker or a worker
was down goes out on the next scan instead of being lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Refused
from core.models import OutboundEmail, OutboundEmailStatus
from core.services import email_enqueue
from programs.choices import ProgramStatus
from programs.models import Program

from ..emails import BriefingEmail, briefing_email, pdf_filename
from ..models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    StatusReport,
    Subscription,
    SubscriptionRecipient,
)
from ..periods import briefing_period
from ..snapshot import Snapshot

log = logging.getLogger(__name__)

__all__ = [
    "MAX_ATTEMPTS",
    "Preview",
    "deliver",
    "deliveries_sync",
    "delivery_sync",
    "due",
    "due_manual",
    "email_key",
    "preview",
    "preview_email",
    "preview_pdf",
    "send_now",
]

# the deliver task runs once and retries five times (reporting/tasks.py)
MAX_ATTEMPTS = 6
KEY_PREFIX = "reporting-delivery"
SENDING_PROGRAMS = (ProgramStatus.ACTIVE, ProgramStatus.ON_HOLD)
PDF = "application/pdf"


def stale_seconds() -> int:
    return int(getattr(settings, "REPORTING_CLAIM_STALE_SECONDS", 600))


def email_key(delivery: Delivery, recipient: SubscriptionRecipient) -> str:
    return f"{KEY_PREFIX}:{delivery.pk}:{recipient.pk}"


def program_zone(program: Program) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(program.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def last_slot(subscription: Subscription, now: dt.datetime) -> dt.datetime:
    """The latest weekly slot (weekday + send time in the program's zone) at or before `now`."""
    zone = program_zone(subscription.program)
    local = now.astimezone(zone)
    day = local.date() - dt.timedelta(days=(local.weekday() - subscription.weekday) % 7)
    slot = dt.datetime.combine(day, subscription.send_time, tzinfo=zone)
    if slot > local:
        slot = dt.datetime.combine(day - dt.timedelta(days=7), subscription.send_time, tzinfo=zone)
    return slot


def next_slot(subscription: Subscription, now: dt.datetime | None = None) -> dt.datetime:
    """The next weekly slot after `now`, in the program's time zone (for the pages)."""
    slot = last_slot(subscription, now or timezone.now())
    zone = program_zone(subscription.program)
    return dt.datetime.combine(
        slot.date() + dt.timedelta(days=7), subscription.send_time, tzinfo=zone
    )


# --- what is due ---------------------------------------------------------------------------------


def due(
    now: dt.datetime | None = None, *, program: Program | None = None
) -> list[tuple[Subscription, str]]:
    """Every (subscription, period) to deliver now: active subscriptions whose latest weekly
    slot has passed (and came after the subscription was made) with no scheduled delivery for
    its period yet; and scheduled deliveries left behind: claimed longer ago than the stale
    limit (a worker died, or the task never reached one) or failed with attempts left."""
    now = now or timezone.now()
    subscriptions = Subscription.objects.filter(
        active=True, program__status__in=SENDING_PROGRAMS
    ).select_related("program")
    if program is not None:
        subscriptions = subscriptions.filter(program=program)
    wanted: dict[tuple[int, str], Subscription] = {}
    for subscription in subscriptions:
        slot = last_slot(subscription, now)
        if slot < subscription.created_at:
            continue  # made after this week's slot: its first briefing is the next one
        wanted[(subscription.pk, briefing_period(slot.date()))] = subscription
    found: list[tuple[Subscription, str]] = []
    if wanted:
        existing = set(
            Delivery.objects.filter(
                kind=DeliveryKind.SCHEDULED,
                subscription_id__in={pk for pk, _ in wanted},
                period__in={period for _, period in wanted},
            ).values_list("subscription_id", "period")
        )
        found = [(sub, key[1]) for key, sub in wanted.items() if key not in existing]
    left = Delivery.objects.filter(_left_behind(now), kind=DeliveryKind.SCHEDULED)
    if program is not None:
        left = left.filter(program=program)
    for delivery in left.select_related("subscription__program").order_by("created_at"):
        found.append((delivery.subscription, delivery.period))
    return found


def due_manual(now: dt.datetime | None = None, *, program: Program | None = None):
    """ "Send now" deliveries left behind (the broker was down when the button was pressed, or
    the worker died): retried by the periodic scan like the scheduled ones."""
    left = Delivery.objects.filter(_left_behind(now or timezone.now()), kind=DeliveryKind.MANUAL)
    if program is not None:
        left = left.filter(program=program)
    return list(left.select_related("subscription__program").order_by("created_at"))


def _left_behind(now: dt.datetime) -> Q:
    cutoff = now - dt.timedelta(seconds=stale_seconds())
    claimed = Q(status=DeliveryStatus.CLAIMED) & (
        Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff)
    )
    failed = Q(status=DeliveryStatus.FAILED, attempts__lt=MAX_ATTEMPTS)
    return claimed | failed


# --- one delivery --------------------------------------------------------------------------------


def _claimable(delivery: Delivery, token: str, now: dt.datetime) -> bool:
    if delivery.status == DeliveryStatus.FAILED:
        return delivery.attempts < MAX_ATTEMPTS
    if delivery.status != DeliveryStatus.CLAIMED:
        return False  # queued, sent or skipped: done
    if not delivery.claim_token or delivery.claim_token == token:
        return True  # released after a failure, never taken ("send now"), or ours redelivered
    return delivery.claimed_at is None or (
        now - delivery.claimed_at > dt.timedelta(seconds=stale_seconds())
    )


def _claim(subscription_id, period, kind, delivery_id, token) -> tuple[Delivery, bool]:
    """Take the delivery row for this caller (short transaction). Returns (row, ours)."""
    now = timezone.now()
    with transaction.atomic():
        if delivery_id is not None:
            delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        else:
            if kind != DeliveryKind.SCHEDULED:
                raise ValueError("a manual delivery is made by send_now and passed by id")
            subscription = Subscription.objects.select_related("program").get(pk=subscription_id)
            row, _ = Delivery.objects.get_or_create(
                subscription=subscription,
                period=period,
                kind=DeliveryKind.SCHEDULED,
                defaults={"program": subscription.program, "claimed_at": None},
            )
            delivery = Delivery.objects.select_for_update().get(pk=row.pk)
        if not _claimable(delivery, token, now):
            return delivery, False
        delivery.status = DeliveryStatus.CLAIMED
        delivery.claim_token = token
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "claim_token", "claimed_at", "attempts"])
    return delivery, True


def _active_recipients(subscription: Subscription) -> list[SubscriptionRecipient]:
    rows = subscription.recipients.filter(unsubscribed_at__isnull=True).select_related("user")
    return [r for r in rows if r.address and (r.user_id is None or r.user.is_active)]


def _skip(delivery: Delivery, token: str, reason: str) -> Delivery:
    with transaction.atomic():
        row = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if row.status != DeliveryStatus.CLAIMED or row.claim_token != token:
            return row
        row.status = DeliveryStatus.SKIPPED
        row.last_error = reason
        row.claim_token = ""
        row.save(update_fields=["status", "last_error", "claim_token"])
    return row


@dataclass
class Rendered:
    snapshot: Snapshot
    report: StatusReport | None
    briefing_pdf: bytes
    deck_pdf: bytes | None
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


def render(subscription: Subscription, period: str) -> Rendered:
    """The snapshot and both PDFs (no transaction held: this is the slow part)."""
    from ..pdf import briefing as briefing_pdf
    from ..pdf import deck as deck_pdf
    from ..selectors.common import briefing_snapshot

    snapshot, report = briefing_snapshot(subscription.program, period)
    briefing = briefing_pdf.render(snapshot)
    deck = deck_pdf.render(snapshot) if subscription.include_deck else None
    attachments = [(pdf_filename(snapshot, "briefing"), briefing, PDF)]
    if deck is not None:
        attachments.append((pdf_filename(snapshot, "deck"), deck, PDF))
    return Rendered(snapshot, report, briefing, deck, attachments)


def deliver(
    *,
    subscription_id,
    period: str,
    kind: str = DeliveryKind.SCHEDULED,
    delivery_id=None,
    token: str | None = None,
    final: bool = False,
) -> Delivery:
    """Send the subscription's briefing for `period` once. Returns the delivery as it stands:
    untouched when it was already queued/sent/skipped or someone else holds a fresh claim.

    `token` names the claimant (the Celery task id: a redelivered task may take back its own
    claim at once); `final` says this is the task's last try, so a failure is final.
    A failure is recorded (attempts, last_error; the claim released, or `failed` when no
    attempt is left) and re-raised for the task to retry."""
    token = token or secrets.token_hex(16)
    delivery, ours = _claim(subscription_id, period, kind, delivery_id, token)
    if not ours:
        if delivery.status == DeliveryStatus.QUEUED:
            delivery = delivery_sync(delivery)
        return delivery
    subscription = Subscription.objects.select_related("program").get(pk=delivery.subscription_id)
    if not subscription.active:
        return _skip(delivery, token, "The subscription is inactive.")
    if not _active_recipients(subscription):
        return _skip(delivery, token, "Nobody to send to: no active recipient.")
    try:
        rendered = render(subscription, delivery.period)
        return _enqueue(delivery, subscription, token, rendered)
    except Exception as exc:
        _record_failure(delivery, token, exc, final=final)
        raise


def _enqueue(
    delivery: Delivery, subscription: Subscription, token: str, rendered: Rendered
) -> Delivery:
    with transaction.atomic():
        row = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if row.status != DeliveryStatus.CLAIMED or row.claim_token != token:
            log.info("Delivery %s was taken over meanwhile; leaving it", row.pk)
            return row
        recipients = _active_recipients(subscription)
        if not recipients:
            row.status, row.last_error, row.claim_token = DeliveryStatus.SKIPPED, "", ""
            row.last_error = "Nobody to send to: no active recipient."
            row.save(update_fields=["status", "last_error", "claim_token"])
            return row
        emails = []
        for recipient in recipients:
            message = briefing_email(subscription, rendered.snapshot, recipient=recipient)
            emails.append(
                email_enqueue(
                    to=[recipient.address],
                    subject=message.subject,
                    body_text=message.text,
                    body_html=message.html,
                    idempotency_key=email_key(row, recipient),
                    attachments=rendered.attachments,
                )
            )
        row.status = DeliveryStatus.QUEUED
        row.queued_at = timezone.now()
        row.email = emails[0]
        row.recipients = [r.address for r in recipients]
        row.report = rendered.report
        row.snapshot_status = rendered.snapshot.status
        row.last_error = ""
        row.claim_token = ""
        row.save(
            update_fields=[
                "status", "queued_at", "email", "recipients", "report", "snapshot_status",
                "last_error", "claim_token",
            ]
        )  # fmt: skip
        from ..tasks import delivery_confirm_task

        pk = str(row.pk)
        transaction.on_commit(lambda: delivery_confirm_task.apply_async((pk,), countdown=5))
    return row


def _record_failure(delivery: Delivery, token: str, exc: Exception, *, final: bool) -> None:
    """Commit the failure (never rolled back with the caller's error) and release the claim."""
    with transaction.atomic():
        row = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if row.claim_token != token or row.status != DeliveryStatus.CLAIMED:
            return
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.claim_token = ""
        if final or row.attempts >= MAX_ATTEMPTS:
            row.status = DeliveryStatus.FAILED
        row.save(update_fields=["last_error", "claim_token", "status"])
    log.warning("Delivery %s failed (attempt %s): %s", delivery.pk, row.attempts, exc)


# --- sent or not ---------------------------------------------------------------------------------


def delivery_emails(delivery: Delivery):
    return OutboundEmail.objects.filter(idempotency_key__startswith=f"{KEY_PREFIX}:{delivery.pk}:")


def delivery_sync(delivery: Delivery) -> Delivery:
    """A queued delivery becomes sent when every one of its e-mails was sent, failed when one
    of them failed for good (the outbox gave up on it). Returns the row as it now stands."""
    if delivery.status != DeliveryStatus.QUEUED:
        return delivery
    states = list(delivery_emails(delivery).values_list("status", "sent_at", "last_error"))
    if not states or any(s == OutboundEmailStatus.PENDING for s, _, _ in states):
        return delivery
    with transaction.atomic():
        row = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if row.status != DeliveryStatus.QUEUED:
            return row
        failed = [error for s, _, error in states if s == OutboundEmailStatus.FAILED]
        if failed:
            row.status = DeliveryStatus.FAILED
            row.last_error = f"{len(failed)} of {len(states)} e-mails failed: {failed[0]}"[:2000]
            row.attempts = max(row.attempts, MAX_ATTEMPTS)  # the outbox retried already
            row.save(update_fields=["status", "last_error", "attempts"])
        else:
            row.status = DeliveryStatus.SENT
            row.sent_at = max(at for _, at, _ in states if at is not None)
            row.save(update_fields=["status", "sent_at"])
    return row


def deliveries_sync(*, program: Program | None = None) -> int:
    """Bring every queued delivery up to date with its e-mails; returns how many changed."""
    queued = Delivery.objects.filter(status=DeliveryStatus.QUEUED)
    if program is not None:
        queued = queued.filter(program=program)
    changed = 0
    for delivery in queued.order_by("created_at")[:500]:
        if delivery_sync(delivery).status != DeliveryStatus.QUEUED:
            changed += 1
    return changed


# --- send now and preview ------------------------------------------------------------------------


def current_period(program: Program, now: dt.datetime | None = None) -> str:
    """The period a briefing sent now reports (briefing_period of today in the program's zone)."""
    today = (now or timezone.now()).astimezone(program_zone(program)).date()
    return briefing_period(today)


@transaction.atomic
def send_now(*, actor, subscription: Subscription) -> Delivery:
    """A manual delivery of the current period, handed to a worker after commit."""
    subscription = Subscription.objects.select_related("program").get(pk=subscription.pk)
    if not subscription.active:
        raise Refused("This subscription is inactive: reactivate it before sending.")
    if not _active_recipients(subscription):
        raise Refused("Nobody to send to: every recipient has unsubscribed or none was added.")
    delivery = Delivery.objects.create(
        program=subscription.program,
        subscription=subscription,
        period=current_period(subscription.program),
        kind=DeliveryKind.MANUAL,
        status=DeliveryStatus.CLAIMED,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )
    from ..tasks import deliver_briefing_task

    args = {
        "subscription_id": subscription.pk,
        "period": delivery.period,
        "kind": DeliveryKind.MANUAL.value,
        "delivery_id": str(delivery.pk),
    }
    transaction.on_commit(lambda: deliver_briefing_task.delay(**args))
    return delivery


PREVIEW_SECONDS = 120


def preview_snapshot(subscription: Subscription, period: str | None = None) -> Snapshot:
    """The snapshot a send would use now, kept two minutes so that the preview page, its framed
    e-mail and both PDFs (four requests) compute it once."""
    from ..selectors.common import briefing_snapshot
    from ..snapshot import from_json, to_json

    period = period or current_period(subscription.program)
    key = f"reporting:preview:{subscription.program_id}:{period}"
    data = cache.get(key)
    if data is not None:
        return from_json(data)
    snapshot, _ = briefing_snapshot(subscription.program, period)
    cache.set(key, to_json(snapshot), PREVIEW_SECONDS)
    return snapshot


def preview_email(subscription: Subscription, period: str | None = None) -> BriefingEmail:
    """The e-mail as a recipient would get it (the unsubscribe link as a placeholder)."""
    return briefing_email(subscription, preview_snapshot(subscription, period), recipient=None)


def preview_pdf(subscription: Subscription, which: str, period: str | None = None) -> bytes:
    from ..pdf import briefing as briefing_pdf
    from ..pdf import deck as deck_pdf

    renderer = {"briefing": briefing_pdf, "deck": deck_pdf}[which]
    return renderer.render(preview_snapshot(subscription, period))


@dataclass
class Preview:
    email: BriefingEmail
    briefing_pdf: bytes
    deck_pdf: bytes | None
    period: str
    snapshot: Snapshot


def preview(subscription: Subscription, *, period: str | None = None) -> Preview:
    """What a recipient would get for the current (or given) period; nothing is recorded."""
    period = period or current_period(subscription.program)
    rendered = render(subscription, period)
    message = briefing_email(subscription, rendered.snapshot, recipient=None)
    return Preview(message, rendered.briefing_pdf, rendered.deck_pdf, period, rendered.snapshot)
