"""Briefing delivery: what is due across time zones and weekdays, the claim that sends a
briefing once, stale claims, retries, skipped deliveries, send now and the e-mail itself."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.celery import app as celery_app
from core.audit_guard import bulk_writes_allowed
from core.errors import Refused
from core.models import OutboundEmail
from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from reporting.emails import read_unsubscribe_token
from reporting.models import Delivery, DeliveryKind, DeliveryStatus, Subscription
from reporting.services import delivery as services
from reporting.services.subscriptions import recipient_unsubscribe, subscription_create
from reporting.tasks import deliver_briefing_task, send_due_briefings_task
from reporting.tests.factories import make_subscription

UTC = dt.UTC


@pytest.fixture
def eager():
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


def _created(subscription: Subscription, when: dt.datetime) -> Subscription:
    with bulk_writes_allowed():
        Subscription.objects.filter(pk=subscription.pk).update(created_at=when)
    subscription.refresh_from_db()
    return subscription


def _sub(program, *, created=dt.datetime(2026, 11, 24, tzinfo=UTC), **fields) -> Subscription:
    return _created(make_subscription(program, emails=["sponsor@example.com"], **fields), created)


def _due(now):
    return [(s.pk, period) for s, period in services.due(now)]


# --- due -----------------------------------------------------------------------------------------


def test_due_new_york_monday_is_due_from_seven_local_not_before(db):
    program = ProgramFactory(time_zone="America/New_York")
    sub = _sub(program, weekday=0, send_time=dt.time(7, 0))
    # Monday 30 Nov 2026, 06:59 in New York (EST, UTC-5) = 11:59 UTC
    assert _due(dt.datetime(2026, 11, 30, 11, 59, tzinfo=UTC)) == []
    assert _due(dt.datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) == [(sub.pk, "2026-W48")]


def test_due_tokyo_monday_slot_falls_on_sunday_utc(db):
    program = ProgramFactory(time_zone="Asia/Tokyo")
    sub = _sub(program, weekday=0, send_time=dt.time(7, 0))
    # Monday 07:00 in Tokyo (UTC+9) is Sunday 22:00 UTC
    assert _due(dt.datetime(2026, 11, 29, 21, 59, tzinfo=UTC)) == []
    assert _due(dt.datetime(2026, 11, 29, 22, 1, tzinfo=UTC)) == [(sub.pk, "2026-W48")]


def test_due_friday_briefing_reports_the_current_week(db):
    program = ProgramFactory(time_zone="Europe/Berlin")
    sub = _sub(
        program, weekday=4, send_time=dt.time(16, 0), created=dt.datetime(2026, 11, 28, tzinfo=UTC)
    )
    # Friday 4 Dec 2026 16:00 in Berlin (CET, UTC+1) = 15:00 UTC
    assert _due(dt.datetime(2026, 12, 4, 14, 59, tzinfo=UTC)) == []
    assert _due(dt.datetime(2026, 12, 4, 15, 0, tzinfo=UTC)) == [(sub.pk, "2026-W49")]


def test_due_catches_up_last_weeks_slot_missed_across_the_week_boundary(db):
    """A Sunday 23:00 slot missed while the broker was down is still sent on Monday."""
    program = ProgramFactory(time_zone="Europe/London")
    sub = _sub(program, weekday=6, send_time=dt.time(23, 0))
    assert _due(dt.datetime(2026, 11, 30, 1, 0, tzinfo=UTC)) == [(sub.pk, "2026-W48")]


def test_due_not_again_once_a_delivery_exists_for_the_period(db):
    program = ProgramFactory()
    sub = _sub(program)
    Delivery.objects.create(
        program=program, subscription=sub, period="2026-W48", status=DeliveryStatus.SENT
    )
    assert _due(dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)) == []
    # next week's slot is due again
    assert _due(dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC)) == [(sub.pk, "2026-W49")]


def test_due_skips_inactive_subscriptions_closed_programs_and_slots_before_creation(db):
    program = ProgramFactory()
    _sub(program, active=False)
    closed = ProgramFactory()
    _sub(closed)
    closed.status = "closed"
    closed.save(update_fields=["status"])
    late = ProgramFactory()
    _sub(late, created=dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # after Monday's slot
    assert _due(dt.datetime(2026, 11, 30, 10, 0, tzinfo=UTC)) == []


def test_due_includes_stale_claims_and_failures_with_attempts_left(db, settings):
    settings.REPORTING_CLAIM_STALE_SECONDS = 600
    program = ProgramFactory()
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    rows = {}
    for name, status, claimed_ago, attempts in [
        ("stale", DeliveryStatus.CLAIMED, 601, 1),
        ("fresh", DeliveryStatus.CLAIMED, 30, 1),
        ("failed", DeliveryStatus.FAILED, 3600, 2),
        ("given_up", DeliveryStatus.FAILED, 3600, services.MAX_ATTEMPTS),
        ("sent", DeliveryStatus.SENT, 3600, 1),
    ]:
        sub = _sub(program, name=name)
        rows[name] = Delivery.objects.create(
            program=program, subscription=sub, period="2026-W48", status=status,
            claim_token="someone", claimed_at=now - dt.timedelta(seconds=claimed_ago),
            attempts=attempts,
        )  # fmt: skip
    due = _due(now)
    assert sorted(Subscription.objects.get(pk=pk).name for pk, _ in due) == ["failed", "stale"]
    assert {period for _, period in due} == {"2026-W48"}


def test_due_manual_lists_send_now_deliveries_never_picked_up(db):
    program = ProgramFactory()
    sub = _sub(program)
    left = Delivery.objects.create(
        program=program, subscription=sub, period="2026-W48", kind=DeliveryKind.MANUAL
    )
    assert services.due_manual(timezone.now()) == []
    later = timezone.now() + dt.timedelta(seconds=601)
    assert services.due_manual(later) == [left]


def test_last_slot_across_daylight_saving_change(db):
    program = ProgramFactory(time_zone="Europe/London")
    sub = _sub(program, weekday=0, send_time=dt.time(7, 0))
    # Monday 30 March 2026 is in BST (UTC+1): 07:00 local = 06:00 UTC
    slot = services.last_slot(sub, dt.datetime(2026, 3, 30, 6, 30, tzinfo=UTC))
    assert slot.astimezone(UTC) == dt.datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert slot.tzinfo == zoneinfo.ZoneInfo("Europe/London")


# --- deliver -------------------------------------------------------------------------------------


def _deliver(sub, period="2026-W48", **kw):
    return services.deliver(subscription_id=sub.pk, period=period, **kw)


def test_deliver_sends_one_email_per_recipient_with_both_pdfs(
    db, eager, django_capture_on_commit_callbacks
):
    program = ProgramFactory(code="ERP")
    person = member(program, Role.EXECUTIVE, email="exec@example.com").user
    sub = make_subscription(program, users=[person], emails=["sponsor@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _deliver(sub)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.sent_at is not None
    assert delivery.attempts == 1
    assert delivery.recipients == ["exec@example.com", "sponsor@example.com"]
    assert delivery.snapshot_status == "computed"
    assert sorted(m.to[0] for m in mail.outbox) == ["exec@example.com", "sponsor@example.com"]
    message = mail.outbox[0]
    assert message.subject.startswith("ERP weekly briefing · week 2026-W48 · ")
    assert [a[0] for a in message.attachments] == [
        "ERP-briefing-2026-W48.pdf",
        "ERP-deck-2026-W48.pdf",
    ]
    assert all(a[1][:5] == b"%PDF-" and a[2] == "application/pdf" for a in message.attachments)
    html = message.alternatives[0][0]
    assert "Computed, not reviewed" in html and "COMPUTED, NOT REVIEWED" in message.body
    # each recipient's unsubscribe link names their own row
    links = {m.to[0]: m.body.split("Unsubscribe: ")[1].split()[0] for m in mail.outbox}
    assert links["exec@example.com"] != links["sponsor@example.com"]
    for address, link in links.items():
        token = link.rstrip("/").split("/")[-1]
        recipient = sub.recipients.get(pk=read_unsubscribe_token(token)[0])
        assert recipient.address == address


def test_deliver_twice_sends_once(db, eager, django_capture_on_commit_callbacks):
    program = ProgramFactory()
    sub = make_subscription(program, emails=["a@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        first = _deliver(sub)
    with django_capture_on_commit_callbacks(execute=True):
        second = _deliver(sub)
    assert second.pk == first.pk
    assert len(mail.outbox) == 1
    assert Delivery.objects.count() == 1
    assert OutboundEmail.objects.count() == 1
    assert Delivery.objects.get().attempts == 1


def test_deliver_without_deck_attaches_the_briefing_only(
    db, eager, django_capture_on_commit_callbacks
):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"], include_deck=False)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(sub)
    assert [a[0] for a in mail.outbox[0].attachments] == [
        f"{sub.program.code}-briefing-2026-W48.pdf"
    ]


def test_deliver_leaves_a_fresh_claim_of_someone_else_alone(db, eager):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    claimed_at = timezone.now() - dt.timedelta(seconds=30)
    row = Delivery.objects.create(
        program=sub.program, subscription=sub, period="2026-W48",
        claim_token="other-worker", claimed_at=claimed_at, attempts=1,
    )  # fmt: skip
    result = _deliver(sub, token="me")
    assert (result.pk, result.status, result.claim_token) == (row.pk, "claimed", "other-worker")
    assert result.attempts == 1
    assert OutboundEmail.objects.count() == 0


def test_deliver_retakes_a_stale_claim(db, eager, settings, django_capture_on_commit_callbacks):
    settings.REPORTING_CLAIM_STALE_SECONDS = 600
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    Delivery.objects.create(
        program=sub.program, subscription=sub, period="2026-W48", claim_token="dead-worker",
        claimed_at=timezone.now() - dt.timedelta(seconds=601), attempts=1,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        result = _deliver(sub, token="me")
    result.refresh_from_db()
    assert (result.status, result.attempts) == (DeliveryStatus.SENT, 2)
    assert len(mail.outbox) == 1


def test_deliver_retakes_its_own_claim_when_the_task_is_redelivered(
    db, eager, django_capture_on_commit_callbacks
):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    Delivery.objects.create(
        program=sub.program, subscription=sub, period="2026-W48", claim_token="task-1",
        claimed_at=timezone.now() - dt.timedelta(seconds=5), attempts=1,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        result = _deliver(sub, token="task-1")
    result.refresh_from_db()
    assert result.status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_deliver_records_a_render_failure_and_the_retry_sends(
    db, eager, django_capture_on_commit_callbacks
):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    real = services.render
    with (
        mock.patch.object(services, "render", side_effect=RuntimeError("font missing")),
        pytest.raises(RuntimeError),
    ):
        _deliver(sub)
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.claim_token) == ("claimed", 1, "")
    assert row.last_error == "RuntimeError: font missing"
    assert OutboundEmail.objects.count() == 0
    with (
        mock.patch.object(services, "render", side_effect=real),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _deliver(sub)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_deliver_failure_on_the_last_try_marks_failed(db, eager):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    with (
        mock.patch.object(services, "render", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        _deliver(sub, final=True)
    row = Delivery.objects.get()
    assert (row.status, row.last_error) == ("failed", "RuntimeError: boom")
    # failed with attempts left: the next scan sends it
    assert [(s.pk, p) for s, p in services.due(timezone.now())] == [(sub.pk, "2026-W48")]


def test_task_retries_with_backoff_and_gives_up_failed(db, eager):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    with mock.patch.object(services, "render", side_effect=RuntimeError("boom")):
        result = deliver_briefing_task.apply(
            kwargs={"subscription_id": sub.pk, "period": "2026-W48"}
        )
    assert result.failed()
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert OutboundEmail.objects.count() == 0
    assert services.due(timezone.now()) == []  # no attempt left


def test_task_retry_after_one_failure_sends_once(db, eager, django_capture_on_commit_callbacks):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    rendered = services.render(sub, "2026-W48")
    with (
        mock.patch.object(services, "render", side_effect=[RuntimeError("flaky"), rendered]),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = deliver_briefing_task.apply(
            kwargs={"subscription_id": sub.pk, "period": "2026-W48"}
        )
    assert result.successful()
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_smtp_failure_is_retried_by_the_outbox_and_the_delivery_ends_sent(
    db, eager, django_capture_on_commit_callbacks
):
    from django.core.mail.backends.locmem import EmailBackend

    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    real = EmailBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionRefusedError("SMTP down")
        return real(self, messages)

    with (
        mock.patch.object(EmailBackend, "send_messages", flaky),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _deliver(sub)
    row = Delivery.objects.get()
    email = OutboundEmail.objects.get()
    assert (email.status, email.attempts) == ("sent", 2)
    assert row.status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_delivery_failed_when_the_outbox_gives_up(db):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    row = Delivery.objects.create(
        program=sub.program, subscription=sub, period="2026-W48", status=DeliveryStatus.QUEUED
    )
    OutboundEmail.objects.create(
        idempotency_key=f"reporting-delivery:{row.pk}:1", to=["a@example.com"], subject="s",
        body_text="b", status="failed", last_error="SMTPRecipientsRefused: nope",
    )  # fmt: skip
    row = services.delivery_sync(row)
    assert row.status == DeliveryStatus.FAILED
    assert "SMTPRecipientsRefused" in row.last_error
    assert services.due(timezone.now()) == []  # the outbox retried already


def test_no_active_recipient_skips_without_email(db, eager):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    recipient = sub.recipients.get()
    recipient_unsubscribe(recipient_id=recipient.pk, subscription_id=sub.pk)
    result = _deliver(sub)
    assert result.status == DeliveryStatus.SKIPPED
    assert "no active recipient" in result.last_error
    assert OutboundEmail.objects.count() == 0
    # skipped counts as done for the period
    assert _deliver(sub).status == DeliveryStatus.SKIPPED
    assert Delivery.objects.count() == 1


def test_unsubscribed_recipient_gets_nothing_the_others_do(
    db, eager, django_capture_on_commit_callbacks
):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com", "b@example.com"])
    gone = sub.recipients.get(email="a@example.com")
    recipient_unsubscribe(recipient_id=gone.pk, subscription_id=sub.pk)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(sub)
    assert [m.to for m in mail.outbox] == [["b@example.com"]]


def test_inactive_subscription_is_skipped(db, eager):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"], active=False)
    assert _deliver(sub).status == DeliveryStatus.SKIPPED
    assert OutboundEmail.objects.count() == 0


def test_published_report_is_what_the_briefing_sends(db, eager, django_capture_on_commit_callbacks):
    from reporting.models import ReportStatus
    from reporting.tests.factories import make_report

    program = ProgramFactory()
    report = make_report(program, period="2026-W48", status=ReportStatus.PUBLISHED)
    sub = make_subscription(program, emails=["a@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        row = _deliver(sub)
    row.refresh_from_db()
    assert (row.report_id, row.snapshot_status) == (report.pk, "published")
    message = mail.outbox[0]
    assert message.subject == f"{program.code} weekly briefing · week 2026-W48 · Red"
    assert "Computed, not reviewed" not in message.alternatives[0][0]
    assert "Risk and quality are red." in message.body
    assert "RSK-14" in message.body and "CR-5" in message.body


# --- send now, the periodic task, preview --------------------------------------------------------


def test_send_now_makes_a_manual_delivery_and_sends_after_commit(
    db, eager, django_capture_on_commit_callbacks
):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    Delivery.objects.create(
        program=sub.program, subscription=sub, period=services.current_period(sub.program),
        status=DeliveryStatus.SENT,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.send_now(actor=None, subscription=sub)
    delivery.refresh_from_db()
    assert (delivery.kind, delivery.status) == ("manual", "sent")
    assert len(mail.outbox) == 1  # a manual send goes out even when the week was sent


def test_send_now_refuses_without_recipients_or_when_inactive(db):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"], active=False)
    with pytest.raises(Refused):
        services.send_now(actor=None, subscription=sub)
    assert Delivery.objects.count() == 0


def test_send_due_briefings_task_enqueues_and_sends(db, eager, django_capture_on_commit_callbacks):
    program = ProgramFactory(time_zone="Europe/London")
    _sub(program)
    with django_capture_on_commit_callbacks(execute=True):
        result = send_due_briefings_task.apply(kwargs={"now": "2026-11-30T08:00:00+00:00"}).get()
    assert result["enqueued"] == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    with django_capture_on_commit_callbacks(execute=True):
        again = send_due_briefings_task.apply(kwargs={"now": "2026-11-30T08:05:00+00:00"}).get()
    assert again["enqueued"] == 0
    assert len(mail.outbox) == 1


def test_preview_records_and_sends_nothing(db):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    result = services.preview(sub)
    assert result.briefing_pdf[:5] == b"%PDF-" and result.deck_pdf[:5] == b"%PDF-"
    assert "each recipient gets a link of their own" in result.email.html
    assert Delivery.objects.count() == 0 and OutboundEmail.objects.count() == 0


# --- subscriptions -------------------------------------------------------------------------------


def test_invalid_address_is_refused_by_name_and_nothing_saved(db):
    program = ProgramFactory()
    with pytest.raises(ValidationError) as caught:
        subscription_create(
            actor=None, program=program, name="Board", emails="ok@example.com\nnot-an-address"
        )
    assert "“not-an-address”" in str(caught.value)
    assert Subscription.objects.count() == 0


def test_recipients_deduplicated_and_unsubscribe_survives_an_edit(db):
    from reporting.services.subscriptions import subscription_update

    program = ProgramFactory()
    sub = subscription_create(
        actor=None, program=program, name="Board",
        emails="A@example.com\na@example.com, b@example.com",
    )  # fmt: skip
    assert sorted(r.email for r in sub.recipients.all()) == ["A@example.com", "b@example.com"]
    b = sub.recipients.get(email="b@example.com")
    recipient_unsubscribe(recipient_id=b.pk, subscription_id=sub.pk)
    sub = subscription_update(
        actor=None, subscription=sub, expected_version=sub.version, name="Board weekly",
        emails=["a@example.com", "b@example.com", "c@example.com"],
    )  # fmt: skip
    rows = {r.email.lower(): r for r in sub.recipients.all()}
    assert sorted(rows) == ["a@example.com", "b@example.com", "c@example.com"]
    assert rows["b@example.com"].unsubscribed_at is not None
    assert sub.version == 2


def test_unsubscribe_twice_reports_already(db):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    r = sub.recipients.get()
    assert recipient_unsubscribe(recipient_id=r.pk, subscription_id=sub.pk)[1] is True
    assert recipient_unsubscribe(recipient_id=r.pk, subscription_id=sub.pk)[1] is False
    # a token for another subscription's id finds nothing
    assert recipient_unsubscribe(recipient_id=r.pk, subscription_id=sub.pk + 1) == (None, False)
