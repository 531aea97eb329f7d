"""`manage.py send_briefings`: the due scan run by hand, delivering in the process."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from core.audit_guard import bulk_writes_allowed
from programs.tests.factories import ProgramFactory
from reporting.models import Delivery, Subscription
from reporting.tests.factories import make_subscription

pytestmark = pytest.mark.django_db


def _sub(program, **fields):
    sub = make_subscription(program, emails=["exec@example.com"], **fields)
    with bulk_writes_allowed():
        Subscription.objects.filter(pk=sub.pk).update(
            created_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
        )
    return sub


def run(*args) -> str:
    out = StringIO()
    call_command("send_briefings", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_dry_run_lists_and_sends_nothing(django_capture_on_commit_callbacks):
    program = ProgramFactory(code="ERP")
    _sub(program, name="Exec weekly")
    with django_capture_on_commit_callbacks(execute=True):
        out = run("--now", "2026-11-30T08:00:00+00:00", "--dry-run")
    assert "due: ERP · Exec weekly · week 2026-W48 (scheduled)" in out
    assert Delivery.objects.count() == 0 and mail.outbox == []


def test_sends_then_nothing_is_due(django_capture_on_commit_callbacks):
    program = ProgramFactory(code="ERP")
    _sub(program, name="Exec weekly")
    other = ProgramFactory(code="CRM")
    _sub(other, name="CRM weekly")
    with django_capture_on_commit_callbacks(execute=True):
        out = run("--now", "2026-11-30T08:00:00+00:00", "--program", "erp")
    assert "sent: ERP · Exec weekly · week 2026-W48 to exec@example.com" in out
    assert "CRM" not in out
    assert [m.subject.split(" · ")[:2] for m in mail.outbox] == [
        ["ERP weekly briefing", "week 2026-W48"]
    ]
    with django_capture_on_commit_callbacks(execute=True):
        again = run("--now", "2026-11-30T08:30:00+00:00", "--program", "ERP")
    assert again.startswith("Nothing is due")
    assert len(mail.outbox) == 1


def test_skipped_is_reported():
    program = ProgramFactory(code="ERP")
    sub = _sub(program)
    sub.recipients.update(unsubscribed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    out = run("--now", "2026-11-30T08:00:00+00:00")
    assert "skipped: ERP · Steering committee briefing · week 2026-W48" in out


def test_bad_arguments():
    with pytest.raises(CommandError, match="not an ISO 8601"):
        run("--now", "monday")
    with pytest.raises(CommandError, match="no program XYZ"):
        run("--program", "xyz")
