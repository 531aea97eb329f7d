"""Reporting Celery tasks: thin wrappers around reporting/services/delivery.py (the beat entry is
in config/settings/celery.py). Every task is idempotent: the delivery row's claim and the outbox
keys make a retried, duplicated or redelivered task send nothing twice."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="reporting.send_due_briefings", acks_late=True, time_limit=300)
def send_due_briefings_task(now: str | None = None) -> dict[str, int]:
    """Enqueue a delivery for every due (subscription, period) and every "send now" left
    behind; bring queued deliveries up to date with their e-mails. `now` (ISO 8601 with an
    offset) replaces the clock, for a catch-up run or a test."""
    from .services.delivery import deliveries_sync, due, due_manual

    moment = dt.datetime.fromisoformat(now) if now else None
    pairs = due(moment)
    for subscription, period in pairs:
        deliver_briefing_task.delay(subscription_id=subscription.pk, period=period)
    manual = due_manual(moment)
    for delivery in manual:
        deliver_briefing_task.delay(
            subscription_id=delivery.subscription_id,
            period=delivery.period,
            kind=delivery.kind,
            delivery_id=str(delivery.pk),
        )
    synced = deliveries_sync()
    return {"enqueued": len(pairs) + len(manual), "synced": synced}


@shared_task(
    name="reporting.deliver_briefing",
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def deliver_briefing_task(
    self, subscription_id: int, period: str, kind: str = "scheduled", delivery_id: str | None = None
) -> str:
    """Deliver one briefing (claim, snapshot, PDFs, e-mails in the outbox). Returns the
    delivery's status. A failure is recorded on the delivery and retried with backoff."""
    from .services.delivery import deliver

    delivery = deliver(
        subscription_id=subscription_id,
        period=period,
        kind=kind,
        delivery_id=delivery_id,
        token=self.request.id or None,
        final=self.request.retries >= self.max_retries,
    )
    return delivery.status


@shared_task(name="reporting.delivery_confirm", bind=True, max_retries=60, acks_late=True)
def delivery_confirm_task(self, delivery_id: str) -> str:
    """Mark a queued delivery sent (or failed) once the outbox has sent its e-mails; polls
    every 30 s for half an hour, after which the periodic scan keeps it up to date."""
    from .models import Delivery, DeliveryStatus
    from .services.delivery import delivery_sync

    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "missing"
    delivery = delivery_sync(delivery)
    if delivery.status == DeliveryStatus.QUEUED and not self.request.is_eager:
        raise self.retry(countdown=30)
    return delivery.status


from .tasks_kpis import *  # noqa
