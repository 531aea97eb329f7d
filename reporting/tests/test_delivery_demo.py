"""The demo's briefing subscription: the executive's weekly briefing with four sent weeks in the
log, no e-mail recorded at seed time, and nothing due again until next week's slot."""

from __future__ import annotations

from django.utils import timezone

from core.models import OutboundEmail
from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from reporting import demo_delivery
from reporting.models import Delivery, Subscription
from reporting.periods import briefing_period
from reporting.services.delivery import due, last_slot


def test_demo_subscription_and_sent_deliveries(db):
    program = ProgramFactory(code="ERP", time_zone="Europe/Berlin")
    member(program, Role.EXECUTIVE, email="exec@example.com")
    counts = demo_delivery.build(program, {})
    assert counts == {"subscriptions": 1, "deliveries": 4}
    sub = Subscription.objects.get(program=program)
    assert (sub.name, sub.weekday, sub.send_time.hour) == ("Executive weekly briefing", 0, 7)
    assert [r.address for r in sub.recipients.all()] == ["exec@example.com"]
    rows = list(Delivery.objects.filter(subscription=sub).order_by("created_at"))
    assert {r.status for r in rows} == {"sent"}
    latest = briefing_period(last_slot(sub, timezone.now()).date())
    assert rows[-1].period == latest
    assert all(r.sent_at <= timezone.now() for r in rows)
    assert OutboundEmail.objects.count() == 0
    assert due() == []


def test_demo_makes_nothing_for_other_programs(db):
    assert demo_delivery.build(ProgramFactory(code="CRM"), {}) == {}
