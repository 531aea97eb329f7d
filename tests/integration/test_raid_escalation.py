"""The escalation task, run twice for the same overdue action, sends each e-mail exactly once.

With a real SMTP server (aiosmtpd, started by this module) and real Celery: first the task runs
twice in this process (eagerly, the e-mails going out over SMTP as the send task delivers them),
then twice more through a real worker process on its own Redis queue, as duplicated beat runs
would. Each level's e-mail arrives once, to the right people, with the right subject.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import OutboundEmail, OutboundEmailStatus
from core.permissions import Role
from programs import services as program_services
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from risks import services
from risks.escalation import SEND_FROM_HOUR
from risks.models import Action
from risks.tasks import raid_escalate_overdue_task

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def daytime_zone() -> str:
    """A time zone where it is now between SEND_FROM_HOUR + 1 and 19:00, so that a worker using
    the real clock escalates (Etc/GMT-N is N hours ahead of UTC)."""
    now = timezone.now()
    for offset in range(-12, 15):
        name = f"Etc/GMT{'-' if offset >= 0 else '+'}{abs(offset)}"
        if SEND_FROM_HOUR + 1 <= now.astimezone(zoneinfo.ZoneInfo(name)).hour <= 19:
            return name
    raise AssertionError("no time zone has daytime now")  # pragma: no cover - 27 zones


def overdue_action(code: str):
    """An action 20+ working days overdue in a program with an owner, a workstream lead, a
    program manager and a sponsor, all different people."""
    zone = daytime_zone()
    program = ProgramFactory(code=code, name=f"{code} migration", time_zone=zone)
    manager = program.memberships.get(role=Role.MANAGER).user
    owner = member(program, Role.CONTRIBUTOR, email=f"owner@{code.lower()}.example").user
    lead = member(program, Role.CONTRIBUTOR, email=f"lead@{code.lower()}.example").user
    sponsor = member(program, Role.EXECUTIVE, email=f"sponsor@{code.lower()}.example").user
    program_services.program_update(
        actor=manager, program=program, expected_version=None, sponsor=sponsor
    )
    workstream = WorkstreamFactory(program=program, name="Data Migration", lead=lead)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date()
    action = services.action_create(
        actor=manager,
        program=program,
        subject=None,
        title="Sign off the mock-load report",
        owner=owner,
        workstream=workstream,
        due_date=today - dt.timedelta(days=30),
    )
    return action, {"owner": owner, "lead": lead, "manager": manager, "sponsor": sponsor}


def expected_messages(action: Action, people) -> list[tuple[list[str], str]]:
    code = action.program.code
    late = _late(action)
    return [
        ([people["owner"].email], f"[{code}] Your action {action.key} is overdue: {action.title}"),
        (
            [people["lead"].email],
            f"[{code}] Escalated to you (workstream lead): {action.key} is {late}",
        ),
        (
            [people["manager"].email],
            f"[{code}] Escalated to you (program manager): {action.key} is {late}",
        ),
        ([people["sponsor"].email], f"[{code}] Escalated to you (sponsor): {action.key} is {late}"),
    ]


def _late(action: Action) -> str:
    from risks.escalation import program_now, working_days_late

    days = working_days_late(action.due_date, program_now(action.program).date())
    return f"{days} working days overdue"


def received(inbox, action) -> list[tuple[list[str], str]]:
    return sorted(
        (m["rcpt_tos"], m["subject"]) for m in inbox.snapshot() if action.key in m["subject"]
    )


def test_escalation_run_twice_sends_each_email_once_over_smtp(
    smtp_settings, smtp_inbox, eager_celery
):
    action, people = overdue_action("ESC")

    first = raid_escalate_overdue_task.delay().get()
    second = raid_escalate_overdue_task.delay().get()

    assert first == {"programs": 1, "changed": 1}
    assert second == {"programs": 1, "changed": 0}
    messages = received(smtp_inbox, action)
    assert messages == sorted(expected_messages(action, people))
    rows = OutboundEmail.objects.filter(idempotency_key__startswith="raid-escalation:")
    assert sorted(rows.values_list("status", "attempts")) == [(OutboundEmailStatus.SENT, 1)] * 4
    action.refresh_from_db()
    assert action.escalation_level == 4
    body = next(
        m["body"] for m in smtp_inbox.snapshot() if m["rcpt_tos"] == [people["owner"].email]
    )
    assert f"{settings.SITE_URL}/programs/ESC/raid/actions/{action.key}/" in body


# --- the same through a real worker --------------------------------------------------------


def test_duplicate_escalation_tasks_in_a_worker_send_each_email_once(chain_worker, smtp_inbox):
    action, people = overdue_action("WRK")

    runs = [raid_escalate_overdue_task.delay() for _ in range(2)]  # a duplicated beat run

    assert sorted(r.get(timeout=60)["changed"] for r in runs) == [0, 1]

    def all_sent():
        rows = OutboundEmail.objects.filter(idempotency_key__contains=f":{action.pk}:")
        statuses = list(rows.values_list("status", flat=True))
        return len(statuses) == 4 and set(statuses) == {OutboundEmailStatus.SENT}

    wait_for(all_sent, timeout=60, what="the four escalation e-mails to be sent")
    wait_for(lambda: len(received(smtp_inbox, action)) >= 4, timeout=10, what="SMTP delivery")
    time.sleep(1)  # a duplicate would arrive now
    assert received(smtp_inbox, action) == sorted(expected_messages(action, people))
    again = raid_escalate_overdue_task.delay().get(timeout=60)
    assert again["changed"] == 0
    time.sleep(1)
    assert len(received(smtp_inbox, action)) == 4
