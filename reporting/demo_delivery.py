"""Demo briefing delivery for ERP (called by reporting/demo.py): the executive's "Executive
weekly briefing" (Mondays 07:00 in the program's time zone) with its last four weekly
deliveries in the log, marked sent. No e-mail is recorded or sent at seed time; the rows are
backdated to their Monday mornings (deliveries are not audited rows)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from programs.models import Program, ProgramMembership

from .models import Delivery, DeliveryKind, DeliveryStatus, ReportStatus, StatusReport
from .services.delivery import last_slot
from .services.subscriptions import subscription_create

EXEC = "exec@example.com"
WEEKS = 4


def build(program: Program, ctx: dict) -> dict:
    if program.code != "ERP":
        return {}
    manager = (
        ProgramMembership.objects.filter(program=program, role="manager")
        .select_related("user")
        .first()
    )
    actor = manager.user if manager else None
    executive = get_user_model().objects.filter(email=EXEC).first()
    member = bool(
        executive and ProgramMembership.objects.filter(program=program, user=executive).exists()
    )
    subscription = subscription_create(
        actor=actor, program=program, name="Executive weekly briefing", weekday=0,
        send_time=dt.time(7, 0), include_deck=True,
        members=[executive] if member else [], emails=[] if member else [EXEC],
    )  # fmt: skip
    ctx["subscription"] = subscription
    reports = {
        r.period: r
        for r in StatusReport.objects.filter(program=program, status=ReportStatus.PUBLISHED)
    }
    from .periods import briefing_period

    now, late = timezone.now(), dt.timedelta(seconds=49)
    slot = last_slot(subscription, now)
    made = 0
    for weeks_ago in range(WEEKS - 1, -1, -1):
        at = slot - dt.timedelta(weeks=weeks_ago)
        period = briefing_period(at.date())
        report = reports.get(period)
        delivery = Delivery.objects.create(
            program=program, subscription=subscription, period=period,
            kind=DeliveryKind.SCHEDULED, status=DeliveryStatus.SENT, report=report,
            snapshot_status="published" if report else "computed", recipients=[EXEC],
            attempts=1,
        )  # fmt: skip
        # a few seconds after the slot, never in the future (a seed run right at 07:00)
        start = min(at.astimezone(dt.UTC) + dt.timedelta(minutes=2, seconds=7), now - late)
        Delivery.objects.filter(pk=delivery.pk).update(
            created_at=start,
            claimed_at=start,
            queued_at=start + dt.timedelta(seconds=41),
            sent_at=start + dt.timedelta(seconds=49),
        )
        made += 1
    return {"subscriptions": 1, "deliveries": made}
