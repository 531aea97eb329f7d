"""Core writes: outbound e-mail (sent once, by a worker) and API tokens."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from .models import OutboundEmail, OutboundEmailAttachment, OutboundEmailStatus

log = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5


@transaction.atomic
def email_enqueue(
    *,
    to: list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    idempotency_key: str,
    attachments: Iterable[tuple[str, bytes, str]] = (),
) -> OutboundEmail:
    """Record an e-mail and hand it to a worker after commit; the same key never sends twice.

    `attachments` are (filename, content, mimetype) triples, stored with the e-mail."""
    email, created = OutboundEmail.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "to": list(to),
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
        },
    )
    if created:
        OutboundEmailAttachment.objects.bulk_create(
            OutboundEmailAttachment(email=email, filename=name, content=content, mimetype=mime)
            for name, content, mime in attachments
        )
        from .tasks import outbound_email_send_task

        transaction.on_commit(lambda: outbound_email_send_task.delay(str(email.pk)))
    return email


def email_send(*, email_id) -> OutboundEmail:
    """Send one recorded e-mail unless it was sent already. Safe to call twice concurrently.

    A failure is committed (attempts, last_error, FAILED after the last attempt) before the error
    is re-raised for the task to retry: raising inside the atomic block would roll the record back.
    """
    error: Exception | None = None
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        if email.status == OutboundEmailStatus.SENT:
            return email
        email.attempts += 1
        message = EmailMultiAlternatives(email.subject, email.body_text, to=email.to)
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        for attachment in email.attachments.all():
            message.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
        try:
            message.send()
        except Exception as exc:  # SMTP errors come in many types; record and let the task retry
            error = exc
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= MAX_EMAIL_ATTEMPTS:
                email.status = OutboundEmailStatus.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
            log.warning("E-mail %s failed (attempt %s): %s", email.pk, email.attempts, exc)
        else:
            email.status = OutboundEmailStatus.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
            email.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    if error is not None:
        raise error
    return email


@transaction.atomic
def api_token_regenerate(*, user) -> Token:
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
