"""A real Celery worker takes tasks from Redis and sends queued e-mail over real SMTP, once."""

import re

import pytest
from django.urls import reverse

from core.models import OutboundEmail, OutboundEmailStatus
from core.services import email_enqueue
from core.tasks import outbound_email_send_task, ping_task
from core.tests.factories import UserFactory
from programs import services as program_services
from programs.tests.factories import ProgramFactory

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/accounts/reset/[^/\s]+/[^/\s]+/)")


def sent(email_id):
    email = OutboundEmail.objects.get(pk=email_id)
    return email if email.status == OutboundEmailStatus.SENT else None


def test_worker_answers_ping(celery_worker):
    result = ping_task.delay("integration")

    assert result.get(timeout=30) == "pong:integration"


def test_password_reset_email_is_sent_over_smtp_by_the_worker(celery_worker, smtp_inbox, client):
    user = UserFactory(email="alice@example.com", full_name="Alice Moreau")

    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})

    assert response.status_code == 302
    row = OutboundEmail.objects.get()
    email = wait_for(lambda: sent(row.pk), timeout=30, what="the reset e-mail to be sent")
    assert email.attempts == 1
    assert email.sent_at is not None
    messages = wait_for(smtp_inbox.snapshot, timeout=10, what="the SMTP server to receive it")
    assert len(messages) == 1
    message = messages[0]
    assert message["rcpt_tos"] == ["alice@example.com"]
    assert message["subject"] == row.subject
    path = LINK.search(message["body"]).group(1)
    assert client.get(path)["Location"].endswith("/set-password/")
    assert user.email in message["body"]


def test_member_invitation_is_sent_over_smtp_by_the_worker(celery_worker, smtp_inbox):
    manager = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(code="ERP", name="ERP migration", manager=manager)

    program_services.membership_add(
        actor=manager, program=program, email="New.Lead@Example.com", role="contributor",
        full_name="Nina Lead",
    )  # fmt: skip

    row = OutboundEmail.objects.get(to=["new.lead@example.com"])
    wait_for(lambda: sent(row.pk), timeout=30, what="the invitation to be sent")
    messages = wait_for(smtp_inbox.snapshot, timeout=10, what="the SMTP server to receive it")
    assert len(messages) == 1
    message = messages[0]
    assert message["rcpt_tos"] == ["new.lead@example.com"]
    assert message["subject"] == "Priya Raman invited you to ERP migration"
    assert LINK.search(message["body"]), message["body"]
    assert "ERP" in message["body"]


def test_duplicate_send_tasks_deliver_one_message(celery_worker, smtp_inbox):
    row = email_enqueue(
        to=["sponsor@example.com"],
        subject="ERP weekly briefing",
        body_text="RAG: amber.",
        idempotency_key="weekly:ERP:2026-W10",
    )  # committed at once (no outer transaction), so the on-commit task is already queued
    # A retried and a duplicated delivery of the same task:
    duplicates = [outbound_email_send_task.delay(str(row.pk)) for _ in range(2)]

    assert [result.get(timeout=30) for result in duplicates] == ["sent", "sent"]
    wait_for(lambda: sent(row.pk), timeout=30, what="the e-mail to be sent")
    messages = smtp_inbox.snapshot()
    assert len(messages) == 1
    assert messages[0]["rcpt_tos"] == ["sponsor@example.com"]
    assert messages[0]["subject"] == "ERP weekly briefing"
    assert OutboundEmail.objects.get(pk=row.pk).attempts == 1
