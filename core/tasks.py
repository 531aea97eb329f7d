"""Core Celery tasks: thin wrappers that load by id and call one service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from .models import OutboundEmail, OutboundEmailStatus
from .services import MAX_EMAIL_ATTEMPTS, email_send


@shared_task(
    name="core.outbound_email_send",
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=MAX_EMAIL_ATTEMPTS,
)
def outbound_email_send_task(email_id: str) -> str:
    email = email_send(email_id=email_id)
    return email.status


@shared_task(name="core.outbound_email_retry_pending")
def outbound_email_retry_pending_task() -> int:
    """Re-queue e-mails still pending after 10 minutes (e.g. the broker was down at commit)."""
    cutoff = timezone.now() - timedelta(minutes=10)
    ids = list(
        OutboundEmail.objects.filter(
            status=OutboundEmailStatus.PENDING, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
    for email_id in ids:
        outbound_email_send_task.delay(str(email_id))
    return len(ids)


@shared_task(name="core.sessions_clear_expired")
def sessions_clear_expired_task() -> None:
    call_command("clearsessions")


@shared_task(name="core.access_attempts_expire")
def access_attempts_expire_task() -> None:
    call_command("axes_reset_logs", age=30)


@shared_task(name="core.ping")
def ping_task(payload: str) -> str:
    """Round trip used by /readyz tooling and the worker integration test."""
    return f"pong:{payload}"
