"""Escalation e-mails over a real SMTP server: the periodic task run twice and every send task
delivered twice still put each step's message on the wire exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from aiosmtpd.controller import Controller

from core.models import OutboundEmail, OutboundEmailStatus
from core.permissions import Role
from core.tasks import outbound_email_send_task
from governance.tasks import compliance_reviews_and_escalations_task
from programs import services as program_services
from programs.tests.factories import member
from tests.integration.conftest import Inbox, free_port, wait_for

from .compliance_factories import obligation

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NOV_2 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def test_each_escalation_step_reaches_the_smtp_server_once(program, manager, smtp_inbox):
    sponsor = member(program, Role.EXECUTIVE, email="sponsor@example.com").user
    program_services.program_update(
        actor=manager, program=program, expected_version=program.version, sponsor=sponsor
    )
    with time_machine.travel(NOV_2, tick=False):
        obligation(program, reference="SOX ITGC AC-1", status="non_compliant")
    with time_machine.travel(NOV_2 + dt.timedelta(days=15), tick=False):
        compliance_reviews_and_escalations_task.apply()  # the beat fired twice
        compliance_reviews_and_escalations_task.apply()

    emails = list(OutboundEmail.objects.order_by("created_at"))
    for email in emails:
        outbound_email_send_task.apply(args=[str(email.pk)])
        outbound_email_send_task.apply(args=[str(email.pk)])  # a retried, duplicated delivery

    messages = wait_for(
        lambda: (lambda m: m if len(m) >= 2 else None)(smtp_inbox.snapshot()),
        timeout=10,
        what="two messages on the SMTP server",
    )
    assert [m["subject"] for m in messages] == [
        "[ERP] CMP-1 is non-compliant: SOX ITGC AC-1",
        "[ERP] Still non-compliant (15 days): CMP-1 SOX ITGC AC-1",
    ]
    assert messages[0]["rcpt_tos"] == [manager.email]
    assert messages[1]["rcpt_tos"] == [manager.email, "sponsor@example.com"]
    assert "escalation step 2" in messages[1]["body"]
    assert len(smtp_inbox.snapshot()) == 2
    assert {e.status for e in OutboundEmail.objects.all()} == {OutboundEmailStatus.SENT}
    assert [e.attempts for e in OutboundEmail.objects.order_by("created_at")] == [1, 1]
