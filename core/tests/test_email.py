"""Outbound e-mail: recorded once per idempotency key, sent once, failures recorded and retried."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from core import tasks
from core.models import OutboundEmail, OutboundEmailStatus
from core.services import MAX_EMAIL_ATTEMPTS, email_enqueue, email_send

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every connection attempt is refused at once (no mock needed).
UNREACHABLE_SMTP = {
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": 1,
    "EMAIL_TIMEOUT": 2,
}


@pytest.fixture
def unreachable_smtp(settings):
    for name, value in UNREACHABLE_SMTP.items():
        setattr(settings, name, value)
    return settings


def _enqueue(key="weekly:ERP:2026-W10", **kwargs):
    fields = {
        "to": ["sponsor@example.com"],
        "subject": "ERP weekly briefing",
        "body_text": "RAG: amber. Two decisions needed.",
        "idempotency_key": key,
    }
    fields.update(kwargs)
    return email_enqueue(**fields)


def test_email_send_twice_sends_once():
    email = _enqueue(body_html="<p>RAG: amber.</p>")

    first = email_send(email_id=email.pk)
    second = email_send(email_id=email.pk)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sponsor@example.com"]
    assert message.subject == "ERP weekly briefing"
    assert message.body == "RAG: amber. Two decisions needed."
    assert message.alternatives[0][1] == "text/html"
    email.refresh_from_db()
    assert first.status == second.status == email.status == OutboundEmailStatus.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    assert email.last_error == ""


def test_email_send_failure_records_attempt_and_reraises(unreachable_smtp):
    email = _enqueue()

    with pytest.raises(OSError):
        email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.attempts == 1
    assert email.status == OutboundEmailStatus.PENDING
    assert email.last_error.startswith("ConnectionRefusedError")
    assert email.sent_at is None
    assert mail.outbox == []


def test_email_send_failed_after_max_attempts(unreachable_smtp):
    email = _enqueue()

    for attempt in range(1, MAX_EMAIL_ATTEMPTS + 1):
        with pytest.raises(OSError):
            email_send(email_id=email.pk)
        email.refresh_from_db()
        assert email.attempts == attempt
        expected = (
            OutboundEmailStatus.FAILED
            if attempt == MAX_EMAIL_ATTEMPTS
            else OutboundEmailStatus.PENDING
        )
        assert email.status == expected


def test_email_send_after_failure_succeeds_and_clears_error(unreachable_smtp):
    email = _enqueue()
    with pytest.raises(OSError):
        email_send(email_id=email.pk)

    unreachable_smtp.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT
    assert email.attempts == 2
    assert email.last_error == ""
    assert len(mail.outbox) == 1


def test_email_enqueue_same_key_creates_one_row(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = _enqueue()
        second = _enqueue(subject="A different subject")

    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1
    assert OutboundEmail.objects.get().subject == "ERP weekly briefing"
    assert len(callbacks) == 1


def test_email_enqueue_hands_the_row_to_the_worker_on_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    # The broker is outside this process: record what would be published instead.
    monkeypatch.setattr(tasks.outbound_email_send_task, "delay", queued.append)

    with django_capture_on_commit_callbacks() as callbacks:
        email = _enqueue()
        assert queued == []  # nothing is published before the transaction commits

    assert len(callbacks) == 1
    assert queued == []
    callbacks[0]()
    assert queued == [str(email.pk)]
    assert mail.outbox == []  # enqueueing alone sends nothing


def test_email_enqueue_runs_callback_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.outbound_email_send_task, "delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True):
        email = _enqueue()

    assert queued == [str(email.pk)]


def test_outbound_email_retry_pending_requeues_only_old_pending(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.outbound_email_send_task, "delay", queued.append)
    old = _enqueue(key="old")
    fresh = _enqueue(key="fresh")
    sent = _enqueue(key="sent")
    email_send(email_id=sent.pk)
    past = timezone.now() - dt.timedelta(minutes=11)
    OutboundEmail.objects.filter(pk__in=[old.pk, sent.pk]).update(created_at=past)

    assert tasks.outbound_email_retry_pending_task() == 1
    assert queued == [str(old.pk)]
    assert fresh.pk not in queued
