"""Health endpoints: /healthz answers without dependencies, /readyz checks database and broker."""

import pytest

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

# Nothing listens on port 1, so a connection is refused at once.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broken_broker(settings):
    """Point the Celery app at a dead broker for one test, then restore it."""
    saved = celery_app.conf.broker_url
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    celery_app.conf.broker_url = UNREACHABLE_BROKER
    yield saved
    celery_app.conf.broker_url = saved


def test_healthz_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_healthz_needs_no_login_and_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200


def test_readyz_ok_with_postgresql_and_redis(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True, "vendor": "postgresql"}
    assert body["checks"]["broker"]["ok"] is True
    assert "redis" in body["checks"]["broker"]["transport"].lower()


def test_readyz_503_when_broker_unreachable(client, broken_broker):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == {"ok": True, "vendor": "postgresql"}
    broker = body["checks"]["broker"]
    assert broker["ok"] is False
    assert broker["error"]  # the reason, e.g. "OperationalError: Error 111 connecting to ..."
    assert "111" in broker["error"] or "refused" in broker["error"].lower()


def test_readyz_recovers_after_broker_restored(client, broken_broker):
    assert client.get("/readyz").status_code == 503
    celery_app.conf.broker_url = broken_broker  # the broker is back

    assert client.get("/readyz").status_code == 200


def test_readyz_runs_one_query_outside_a_request_transaction(client, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert captured.captured_queries[0]["sql"] == "SELECT 1"
