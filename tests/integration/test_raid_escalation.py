"""The escalation task, run twice for the same overdue action, sends each e-mail exactly once.

With a real SMTP server (aiosmtpd, started by this module) and real Celery: first the task runs
twice in this process (eagerly, the e-mails going out over SMTP as the send task delivers them),
then twice more through a real worker process on its own Redis queue, as duplicated beat runs
would. Each level's e-mail arrives once, to the right people, with the right subject.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import time
import zoneinfo

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from core.models import OutboundEmail, OutboundEmailStatus
from core.permissions import Role
from programs import services as program_services
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from risks import services
from risks.escalation import SEND_FROM_HOUR
from risks.models import Action
from risks.tasks import raid_escalate_overdue_task

from .conftest import BASE_DIR, WORKER_BOOT_SECONDS, wait_for

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


@pytest.fixture
def smtp_settings(settings, smtp_server):
    controller, _ = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    return settings


@pytest.fixture
def eager_celery():
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


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


@pytest.fixture(scope="module")
def raid_worker(django_db_setup, smtp_server, tmp_path_factory):
    """A worker that, unlike the shared fixture's, also publishes to the test's own queue: the
    escalation task it runs enqueues the send tasks, and those must come back to it."""
    controller, _ = smtp_server
    broker_url = settings.CELERY_BROKER_URL
    queue = f"pytest-raid-{os.getpid()}-{socket.gethostname()}"
    saved_queue = celery_app.conf.task_default_queue
    client = redis.Redis.from_url(broker_url)
    client.delete(queue)
    celery_app.conf.task_default_queue = queue
    db = connection.settings_dict
    auth = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "TEST_REDIS_URL": broker_url,
        "TEST_EMAIL_URL": f"smtp://{controller.hostname}:{controller.port}",
        "PYTHONUNBUFFERED": "1",
    }
    hostname = f"pytest-raid-{os.getpid()}@{socket.gethostname()}"
    script = (
        "import django, sys; django.setup(); from config.celery import app; "
        "app.conf.task_default_queue = sys.argv[1]; "
        "app.worker_main(['worker', '--pool=solo', '--loglevel=INFO', '-n', sys.argv[2], "
        "'-Q', sys.argv[1], '--without-gossip', '--without-mingle', '--without-heartbeat'])"
    )
    log_path = tmp_path_factory.mktemp("raid-celery") / "worker.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [str(BASE_DIR / ".venv" / "bin" / "python"), "-c", script, queue, hostname],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def stop():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        log.close()
        celery_app.conf.task_default_queue = saved_queue
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")

    try:
        deadline = time.monotonic() + WORKER_BOOT_SECONDS
        while not celery_app.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{log_path.read_text()[-4000:]}")
    except BaseException:
        stop()
        raise
    yield process, log_path
    stop()


def test_duplicate_escalation_tasks_in_a_worker_send_each_email_once(raid_worker, smtp_inbox):
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
