"""The subscriptions API (CRUD with ETag/If-Match and recipients, send-now) and the read-only
delivery log: 400 naming a bad address, 403, 404, 409, 412 and 428 as documented."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from reporting.models import Delivery, DeliveryStatus, Subscription
from reporting.tests.factories import make_subscription

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def base(program) -> str:
    return f"/api/v1/programs/{program.code}/subscriptions/"


def test_create_and_read_back(program, manager):
    exec_user = member(program, Role.EXECUTIVE).user
    response = api(manager).post(
        base(program),
        {"name": "Board", "weekday": 4, "send_time": "16:00", "include_deck": False,
         "members": [exec_user.pk], "emails": ["board@example.com"]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["ETag"] == '"1"'
    assert (body["weekday"], body["send_time"], body["include_deck"]) == (4, "16:00", False)
    assert sorted(r["address"] for r in body["recipients"]) == sorted(
        ["board@example.com", exec_user.email]
    )
    assert body["time_zone"] == program.time_zone and body["next_send_at"]
    listed = api(manager).get(base(program)).json()
    assert [row["name"] for row in listed["results"]] == ["Board"]


def test_invalid_address_is_400_naming_it(program, manager):
    response = api(manager).post(
        base(program), {"name": "Board", "emails": ["ok@example.com", "nope"]}, format="json"
    )
    assert response.status_code == 400
    assert "“nope”" in str(response.json()["emails"])
    assert Subscription.objects.count() == 0


def test_no_recipient_is_400(program, manager):
    response = api(manager).post(base(program), {"name": "Board"}, format="json")
    assert response.status_code == 400
    assert "at least one recipient" in str(response.json())


def test_update_needs_if_match_and_refuses_stale(program, manager):
    sub = make_subscription(program, emails=["a@example.com"])
    url = f"{base(program)}{sub.pk}/"
    client = api(manager)
    assert client.patch(url, {"name": "New"}, format="json").status_code == 428
    ok = client.patch(url, {"emails": ["b@example.com"]}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200, ok.json()
    assert ok["ETag"] == '"2"'
    assert [r["address"] for r in ok.json()["recipients"]] == ["b@example.com"]
    stale = client.patch(url, {"name": "Late"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    sub.refresh_from_db()
    assert sub.name == "Steering committee briefing"


def test_delete_deactivates(program, manager):
    sub = make_subscription(program, emails=["a@example.com"])
    response = api(manager).delete(f"{base(program)}{sub.pk}/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 204
    sub.refresh_from_db()
    assert sub.active is False


def test_send_now_202_and_409_when_inactive(program, manager):
    sub = make_subscription(program, emails=["a@example.com"])
    response = api(manager).post(f"{base(program)}{sub.pk}/send-now/")
    assert response.status_code == 202
    assert (response.json()["kind"], response.json()["status"]) == ("manual", "claimed")
    off = make_subscription(program, name="Off", emails=["a@example.com"], active=False)
    refused = api(manager).post(f"{base(program)}{off.pk}/send-now/")
    assert refused.status_code == 409 and "inactive" in refused.json()["detail"]
    assert Delivery.objects.count() == 1


def test_roles_and_other_programs(program, manager):
    sub = make_subscription(program, emails=["a@example.com"])
    viewer = member(program, Role.VIEWER).user
    assert api(viewer).get(base(program)).status_code == 403
    executive = member(program, Role.EXECUTIVE).user
    assert api(executive).get(base(program)).status_code == 200
    assert api(executive).post(f"{base(program)}{sub.pk}/send-now/").status_code == 403
    other = ProgramFactory()
    assert api(manager).get(base(other)).status_code == 404
    foreign = make_subscription(other, emails=["a@example.com"])
    assert api(manager).get(f"{base(program)}{foreign.pk}/").status_code == 404


def test_delivery_log_filters(program, manager):
    sub = make_subscription(program, emails=["a@example.com"])
    Delivery.objects.create(
        program=program, subscription=sub, period="2026-W46", status=DeliveryStatus.SENT,
        recipients=["a@example.com"],
    )  # fmt: skip
    Delivery.objects.create(
        program=program, subscription=sub, period="2026-W47", status=DeliveryStatus.FAILED,
        last_error="boom", attempts=6,
    )  # fmt: skip
    url = f"/api/v1/programs/{program.code}/deliveries/"
    rows = api(manager).get(url).json()["results"]
    assert [r["period"] for r in rows] == ["2026-W47", "2026-W46"]
    failed = api(manager).get(url + "?status=failed").json()["results"]
    assert [(r["period"], r["last_error"], r["attempts"]) for r in failed] == [
        ("2026-W47", "boom", 6)
    ]
    assert api(manager).get(url + "?status=bogus").status_code == 400
    assert api(manager).get(url + f"?subscription={sub.pk}").status_code == 200
    assert api(manager).post(url, {}).status_code == 405
