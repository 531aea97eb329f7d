"""The weekly briefing through real workers, Redis and SMTP: each recipient gets it exactly once.

Each test builds a program from the domain factories, publishes its status report for the
period (the real `collect` snapshot, stored), and subscribes a member and a plain address on a
weekly slot two minutes ago in the program's time zone (the subscription dates from last week,
so this week's slot is due). Workers are `celery worker` processes on the pytest test database
(tests/integration/conftest.py: briefing_workers), taking tasks from a queue of their own;
the e-mail goes over SMTP to aiosmtpd in this process. Tasks are sent by name, as beat sends
them, with the real clock.

1. the scan sends the briefing: HTML with a text alternative, both PDFs, whose text (pdftotext)
   carries the stored snapshot's figures;
2. duplicated and concurrent tasks still send one e-mail per recipient and make one delivery;
3. a worker killed while it renders the briefing leaves a claim that the next scan takes over
   once it is stale: one e-mail per recipient in the end;
4. Redis down at the slot: the beat tick cannot be published, and the next scan after Redis is
   back sends the briefing late, once (what is due comes from the database, not the broker).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import signal
import subprocess
import time
import zoneinfo

import pytest
import redis
import time_machine
from django.utils import timezone
from kombu.exceptions import OperationalError

from budgets.tests.factories import actual, make_line, plan
from core.models import OutboundEmail, OutboundEmailStatus
from core.permissions import Role
from core.templatetags.money import money
from programs.tests.factories import ProgramFactory, member
from reporting.collect import collect
from reporting.models import Delivery, DeliveryStatus, ReportStatus
from reporting.pdf.briefing import DIMENSION_LABELS
from reporting.periods import briefing_period
from reporting.selectors.common import thresholds_of
from reporting.services.delivery import due
from reporting.snapshot import Snapshot, from_json
from reporting.tests.factories import make_report, make_subscription
from risks.tests.factories import make_issue, make_risk

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCAN = "reporting.send_due_briefings"
DELIVER = "reporting.deliver_briefing"
DUPLICATE_WINDOW = 3  # seconds to keep listening once every expected e-mail has arrived


class Briefing:
    """A program, its published report for the period, and a subscription that is due now."""

    def __init__(self, code: str):
        zone = zoneinfo.ZoneInfo("Europe/Berlin")
        now = timezone.now()
        first = now.astimezone(zone).date().replace(day=1)
        self.program = ProgramFactory(
            code=code, name=f"{code} finance transformation", time_zone=zone.key,
            start_date=first - dt.timedelta(days=100), end_date=first + dt.timedelta(days=300),
        )  # fmt: skip
        self.sponsor = member(
            self.program, Role.EXECUTIVE, email=f"sponsor@{code.lower()}.example",
            full_name="Dana Sponsor",
        ).user  # fmt: skip
        self.outsider = f"board.secretary@{code.lower()}-holding.example"
        line = make_line(self.program, name="Integrator SOW")
        months = [(first - dt.timedelta(days=31 * k)).replace(day=1) for k in (2, 1, 0)]
        for month in months:
            plan(line, month, "12000.00")
        for month in months[:2]:
            actual(line, month, "13150.40")
        make_risk(
            self.program, title="Key users unavailable at year end", probability=4,
            impact_cost=5, owner=self.sponsor,
        )  # fmt: skip
        make_issue(self.program, title="Bank test system down", owner=self.sponsor)

        # this week's slot was two minutes ago, in the program's time zone
        self.slot = (now.astimezone(zone) - dt.timedelta(minutes=2)).replace(microsecond=0)
        self.period = briefing_period(self.slot.date())
        snapshot = collect(self.program, period=self.period, thresholds=thresholds_of(self.program))
        self.report = make_report(
            self.program, period=self.period, status=ReportStatus.PUBLISHED, snapshot=snapshot
        )
        # made six days ago: this week's slot is its first (one made after the slot waits for
        # the next; one made before last week's slot would owe last week's briefing too)
        with time_machine.travel(now - dt.timedelta(days=6), tick=False):
            self.subscription = make_subscription(
                self.program, users=[self.sponsor], emails=[self.outsider],
                weekday=self.slot.weekday(), send_time=self.slot.time(),
            )  # fmt: skip

    @property
    def recipients(self) -> list[str]:
        return sorted([self.sponsor.email, self.outsider])

    @property
    def snapshot(self) -> Snapshot:
        """The published report's stored figures (what the briefing must say)."""
        self.report.refresh_from_db()
        return from_json(self.report.snapshot)

    def deliveries(self):
        return Delivery.objects.filter(subscription=self.subscription)

    def emails(self):
        ids = self.deliveries().values_list("pk", flat=True)
        return OutboundEmail.objects.filter(
            idempotency_key__regex=r"^reporting-delivery:(" + "|".join(map(str, ids)) + "):"
        )

    def messages(self, inbox) -> list[dict]:
        return [m for m in inbox.snapshot() if m["subject"].startswith(self.program.code + " ")]


def due_periods(briefing: Briefing, now=None) -> list[str]:
    return [p for s, p in due(now, program=briefing.program) if s.pk == briefing.subscription.pk]


def wait_sent(briefing: Briefing, inbox, *, timeout: float = 90) -> list[dict]:
    """Wait until each recipient's e-mail reached the SMTP server, then a few seconds more for a
    duplicate to show up; returns every message of the program."""
    wait_for(
        lambda: len(briefing.messages(inbox)) >= len(briefing.recipients),
        timeout=timeout, interval=0.3, what=f"the {briefing.program.code} briefing e-mails",
    )  # fmt: skip
    time.sleep(DUPLICATE_WINDOW)  # not an assertion: the window in which a duplicate would land
    return briefing.messages(inbox)


def assert_once(briefing: Briefing, messages: list[dict]) -> None:
    assert sorted(rcpt for m in messages for rcpt in m["rcpt_tos"]) == briefing.recipients
    [delivery] = briefing.deliveries()
    assert delivery.period == briefing.period
    emails = list(briefing.emails().values_list("status", "attempts"))
    assert emails == [(OutboundEmailStatus.SENT, 1)] * 2


def wait_delivery_sent(briefing: Briefing, worker, *, timeout: float = 60) -> Delivery:
    """The delivery becomes "sent" once its e-mails are (the confirm task, or the next scan)."""

    def sent():
        delivery = briefing.deliveries().first()
        if delivery and delivery.status == DeliveryStatus.SENT:
            return delivery
        worker.app.send_task(SCAN, queue=worker.queue)  # a further beat tick syncs it
        return None

    return wait_for(sent, timeout=timeout, interval=3, what="the delivery to be marked sent")


def pdf_text(pdf: bytes, tmp_path, name: str, *, layout: bool) -> str:
    """The PDF's text as poppler's pdftotext reads it (a reader independent of reportlab)."""
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing (apt-get install poppler-utils)")
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / name
    path.write_bytes(pdf)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    text = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return " ".join(text.split())


def pill(rag: str) -> str:
    return "NOT RATED" if rag == "grey" else rag.upper()


def check_message(message: dict, snapshot: Snapshot, tmp_path) -> None:
    """Subject, HTML + text, both PDFs, and the PDFs' figures against the stored snapshot."""
    overall = snapshot.rag_of("overall")
    label = {"grey": "Not rated"}.get(overall.rag, overall.rag.title())
    subject = message["subject"]
    assert snapshot.program_code in subject and snapshot.period in subject, subject
    assert label in subject, subject
    email = message["message"]
    html = email.get_body(preferencelist=("html",))
    text = email.get_body(preferencelist=("plain",))
    assert html is not None and text is not None
    assert html.get_content_type() == "text/html" and text.get_content_type() == "text/plain"
    burn = snapshot.budget
    budget = money(burn.budget, burn.currency)
    for body in (html.get_content(), text.get_content()):
        assert snapshot.program_name in body and snapshot.period in body
        assert budget in body
    pdfs = {
        part.get_filename(): part.get_content()
        for part in email.iter_attachments()
        if part.get_content_type() == "application/pdf"
    }
    assert len(pdfs) == 2, list(pdfs)
    [briefing_pdf] = [v for k, v in pdfs.items() if "briefing" in k]
    [deck_pdf] = [v for k, v in pdfs.items() if "deck" in k]

    figures = [
        money(burn.budget, burn.currency),
        money(burn.actual_to_date, burn.currency),
        money(burn.forecast_at_completion, burn.currency),
    ]
    risks = [*snapshot.top_risks, *snapshot.top_issues]
    assert risks and all(r.key for r in risks)

    page = pdf_text(briefing_pdf, tmp_path, "briefing.pdf", layout=True)
    assert snapshot.program_name in page and f"week {snapshot.period}" in page
    assert f"Overall {pill(overall.rag)}: {overall.reason}" in page
    for line in snapshot.rag:
        if line.dimension != "overall":
            assert f"{DIMENSION_LABELS[line.dimension]} {pill(line.rag)} {line.reason}" in page
    vac = burn.variance_at_completion
    variance = money(abs(vac), burn.currency) + (" under" if vac >= 0 else " over")
    for figure in [*figures, variance]:
        assert figure in page, figure
    for risk in risks:  # a row: key, title, score (a risk's) or severity, owner, status
        gap = rf" {risk.score} " if risk.kind == "risk" else r" \S+ "
        row = re.escape(f"{risk.key} {risk.title}") + gap + re.escape(f"{risk.owner} {risk.status}")
        assert re.search(row, page), row

    slides = pdf_text(deck_pdf, tmp_path, "deck.pdf", layout=True)
    assert snapshot.program_name in slides and f"week {snapshot.period}" in slides
    for line in snapshot.rag:
        assert f"{DIMENSION_LABELS[line.dimension]} {pill(line.rag)} {line.reason}" in slides
    for figure in [*figures, variance]:
        assert figure in slides, figure
    for risk in risks:
        gap = rf" {risk.score} " if risk.kind == "risk" else r" \S+ "
        row = re.escape(f"{risk.key} {risk.title}") + gap + re.escape(risk.owner)
        assert re.search(row, slides), row


# --- 1. the happy path ---------------------------------------------------------------------------


def test_the_scan_sends_each_recipient_the_briefing_once_with_both_pdfs(
    briefing_workers, smtp_inbox, tmp_path
):
    briefing = Briefing("BRF")
    assert due_periods(briefing, briefing.slot - dt.timedelta(seconds=1)) == []  # not before
    assert due_periods(briefing) == [briefing.period]
    worker = briefing_workers()

    scan = worker.app.send_task(SCAN, queue=worker.queue)  # the beat tick just after the slot

    assert scan.get(timeout=60)["enqueued"] == 1
    messages = wait_sent(briefing, smtp_inbox)
    assert_once(briefing, messages)
    delivery = wait_delivery_sent(briefing, worker)
    assert delivery.report_id == briefing.report.pk and delivery.snapshot_status == "published"
    assert sorted(delivery.recipients) == briefing.recipients
    assert due_periods(briefing) == []
    snapshot = briefing.snapshot
    for message in messages:
        check_message(message, snapshot, tmp_path)
    assert len(briefing.messages(smtp_inbox)) == 2  # the further scans sent nothing


# --- 2. duplicated and concurrent tasks ---------------------------------------------------------


def test_duplicated_and_concurrent_tasks_send_one_email_per_recipient(briefing_workers, smtp_inbox):
    briefing = Briefing("DUP")
    worker = briefing_workers(pool="prefork", concurrency=3)
    args = {"subscription_id": briefing.subscription.pk, "period": briefing.period}

    runs = [worker.app.send_task(DELIVER, kwargs=args, queue=worker.queue) for _ in range(3)]
    runs += [worker.app.send_task(SCAN, queue=worker.queue) for _ in range(2)]  # beat twice

    results = [run.get(timeout=120) for run in runs]
    assert all(r in {"claimed", "queued", "sent"} for r in results[:3]), results
    messages = wait_sent(briefing, smtp_inbox)
    assert_once(briefing, messages)
    wait_delivery_sent(briefing, worker)
    # and once more, after the fact, as a task redelivered late would run
    again = worker.app.send_task(DELIVER, kwargs=args, queue=worker.queue).get(timeout=60)
    assert again == "sent"
    time.sleep(DUPLICATE_WINDOW)
    assert_once(briefing, briefing.messages(smtp_inbox))
    assert briefing.deliveries().get().attempts == 1


# --- 3. the worker dies while it renders -------------------------------------------------------


def test_a_worker_killed_mid_generation_is_taken_over_and_sends_once(
    private_redis, briefing_workers, smtp_inbox, tmp_path
):
    briefing = Briefing("KIL")
    marker = tmp_path / "rendering"
    first = briefing_workers(
        broker_url=private_redis.url,
        env={"PYTEST_RENDER_DELAY": "120", "PYTEST_RENDER_MARKER": str(marker)},
    )
    first.app.send_task(SCAN, queue=first.queue)

    wait_for(marker.exists, timeout=90, what="the worker to start rendering the briefing")
    claimed = briefing.deliveries().get()
    assert claimed.status == DeliveryStatus.CLAIMED and claimed.claim_token
    first.kill()  # SIGKILL in the middle of generating: the task is neither acked nor finished
    assert first.process.returncode == -signal.SIGKILL

    assert not OutboundEmail.objects.filter(idempotency_key__contains=str(claimed.pk)).exists()
    stale = 3
    second = briefing_workers(
        broker_url=private_redis.url, env={"PYTEST_CLAIM_STALE_SECONDS": str(stale)}
    )

    def taken_over():
        delivery = briefing.deliveries().get()
        if delivery.status != DeliveryStatus.CLAIMED:
            return delivery
        second.app.send_task(SCAN, queue=second.queue)  # beat ticks until the claim is stale
        return None

    delivery = wait_for(taken_over, timeout=120, interval=stale + 1, what="the stale claim")
    assert delivery.status in {DeliveryStatus.QUEUED, DeliveryStatus.SENT}
    messages = wait_sent(briefing, smtp_inbox)
    assert_once(briefing, messages)
    delivery = wait_delivery_sent(briefing, second)
    assert delivery.attempts == 2  # the dead worker's claim, then the one that sent


# --- 4. Redis down at the scheduled time ----------------------------------------------------------


def test_redis_down_at_the_slot_delays_the_briefing_and_sends_it_once(
    private_redis, briefing_workers, smtp_inbox
):
    briefing = Briefing("RDS")
    worker = briefing_workers(broker_url=private_redis.url)

    private_redis.stop()  # the broker is down when beat fires the scan
    with pytest.raises(OperationalError):  # beat logs it and goes on: this tick is lost
        worker.app.send_task(SCAN, queue=worker.queue, ignore_result=True)
    missed_at = timezone.now()
    assert due_periods(briefing) == [briefing.period]  # the database still says it is due
    assert not briefing.deliveries().exists()

    private_redis.start()  # back, empty (no persistence): the lost tick is not in it
    client = redis.Redis.from_url(private_redis.url)

    def reconnected():  # the worker is back on Redis and declared its queue again
        try:
            return client.exists(f"_kombu.binding.{worker.queue}") and worker.app.control.ping(
                destination=[worker.hostname], timeout=0.5
            )
        except (OSError, OperationalError, redis.RedisError):
            return False

    wait_for(reconnected, timeout=90, interval=0.5, what="the worker to reconnect to Redis")
    scans = [worker.app.send_task(SCAN, queue=worker.queue) for _ in range(2)]  # next ticks

    assert sorted(s.get(timeout=60)["enqueued"] for s in scans) in ([0, 1], [1, 1])
    messages = wait_sent(briefing, smtp_inbox)
    assert_once(briefing, messages)
    delivery = wait_delivery_sent(briefing, worker)
    assert delivery.created_at > missed_at  # made by a later scan: late, not lost
