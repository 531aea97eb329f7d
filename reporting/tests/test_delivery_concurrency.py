"""Two workers delivering the same briefing at the same moment: real transactions and row locks
(transaction=True), one thread each. Exactly one e-mail per recipient goes out."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.core import mail
from django.db import connection

from config.celery import app as celery_app
from core.models import OutboundEmail
from programs.tests.factories import ProgramFactory
from reporting.models import Delivery, DeliveryStatus
from reporting.services import delivery as services
from reporting.tests.factories import make_subscription

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


def _race(callers: int, target) -> list:
    barrier = threading.Barrier(callers)
    results: list = []

    def run(n):
        try:
            barrier.wait()
            results.append(target(n))
        except Exception as exc:  # surfaced by the assertions
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_concurrent_deliveries_send_once(eager):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com", "b@example.com"])
    real = services.render

    def slow_render(*args, **kwargs):
        time.sleep(0.5)  # the other caller arrives while this one is generating
        return real(*args, **kwargs)

    with mock.patch.object(services, "render", side_effect=slow_render) as rendered:
        results = _race(
            2,
            lambda n: services.deliver(
                subscription_id=sub.pk, period="2026-W48", token=f"worker-{n}"
            ),
        )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert rendered.call_count == 1  # the loser generated nothing
    assert sorted(r.status for r in results) == [DeliveryStatus.CLAIMED, DeliveryStatus.QUEUED]
    assert Delivery.objects.count() == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    assert OutboundEmail.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]


def test_many_concurrent_callers_one_delivery(eager):
    sub = make_subscription(ProgramFactory(), emails=["a@example.com"])
    results = _race(
        4, lambda n: services.deliver(subscription_id=sub.pk, period="2026-W48", token=f"w{n}")
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Delivery.objects.count() == 1
    assert Delivery.objects.get().attempts == 1
    assert len(mail.outbox) == 1
