"""Subscription pages, the preview, the delivery log and the public unsubscribe page, through the
client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from core.permissions import Role
from programs.tests.factories import member
from reporting.emails import unsubscribe_token
from reporting.models import Delivery, DeliveryKind, DeliveryStatus, Subscription
from reporting.tests.factories import make_subscription


def _url(name, program, **kw):
    return reverse(f"reporting:{name}", kwargs={"code": program.code, **kw})


@pytest.fixture
def client_pm(client, manager):
    client.force_login(manager)
    return client


def _form(**overrides):
    data = {
        "name": "Steering committee weekly",
        "weekday": "0",
        "send_time": "07:30",
        "include_deck": "on",
        "emails": "sponsor@example.com",
    }
    data.update(overrides)
    return data


def test_create_subscription_with_members_and_addresses(client_pm, program, manager):
    response = client_pm.post(
        _url("subscription_create", program),
        _form(members=[manager.pk], emails="a@example.com\n\nb@example.com"),
    )
    assert response.status_code == 302
    sub = Subscription.objects.get()
    assert (sub.name, sub.weekday, sub.send_time) == (
        "Steering committee weekly", 0, dt.time(7, 30),
    )  # fmt: skip
    assert sorted(r.address for r in sub.recipients.all()) == sorted(
        ["a@example.com", "b@example.com", manager.email]
    )


def test_invalid_address_refused_by_name_and_input_kept(client_pm, program):
    response = client_pm.post(
        _url("subscription_create", program),
        _form(name="Board pack", emails="good@example.com\nboss@@example"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not a valid e-mail address: “boss@@example”." in page
    assert 'value="Board pack"' in page
    assert "good@example.com\nboss@@example" in page
    assert Subscription.objects.count() == 0


def test_subscription_without_recipients_refused(client_pm, program):
    response = client_pm.post(_url("subscription_create", program), _form(emails=""))
    assert response.status_code == 400
    assert "Add at least one recipient" in response.content.decode()
    assert Subscription.objects.count() == 0


def test_member_of_another_program_cannot_be_picked(client_pm, program):
    from core.tests.factories import UserFactory

    outsider = UserFactory()
    response = client_pm.post(_url("subscription_create", program), _form(members=[outsider.pk]))
    assert response.status_code == 400
    assert Subscription.objects.count() == 0


def test_edit_subscription_and_stale_edit_keeps_input(client_pm, program, manager):
    sub = make_subscription(program, emails=["a@example.com"])
    url = _url("subscription_edit", program, pk=sub.pk)
    assert "a@example.com" in client_pm.get(url).content.decode()
    response = client_pm.post(url, _form(version=sub.version, weekday="2", emails="c@example.com"))
    assert response.status_code == 302
    sub.refresh_from_db()
    assert (sub.weekday, sub.version) == (2, 2)
    assert [r.email for r in sub.recipients.all()] == ["c@example.com"]
    stale = client_pm.post(url, _form(version=1, name="Old copy", emails="c@example.com"))
    assert stale.status_code == 400
    assert "while you were editing" in stale.content.decode()
    assert 'value="Old copy"' in stale.content.decode()
    sub.refresh_from_db()
    assert sub.name == "Steering committee weekly"


def test_deactivate(client_pm, program):
    sub = make_subscription(program, emails=["a@example.com"])
    response = client_pm.post(
        _url("subscription_deactivate", program, pk=sub.pk), {"version": sub.version}
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.active is False


def test_list_shows_schedule_recipients_and_last_delivery(client_pm, program):
    sub = make_subscription(program, emails=["a@example.com", "b@example.com"])
    sub.recipients.filter(email="b@example.com").update(unsubscribed_at=timezone.now())
    Delivery.objects.create(
        program=program, subscription=sub, period="2026-W47", status=DeliveryStatus.SENT
    )
    page = client_pm.get(_url("subscription_list", program)).content.decode()
    assert "Every Monday at 07:00" in page
    assert "1 active" in page and "unsubscribed" in page
    assert "week 2026-W47" in page
    assert "Send now" in page and "Preview" in page


def test_list_query_count_does_not_grow(client_pm, program, count_queries):
    def queries():
        with count_queries() as ctx:
            assert client_pm.get(_url("subscription_list", program)).status_code == 200
        return len(ctx.captured_queries)

    make_subscription(program, name="One", emails=["a@example.com"])
    one = queries()
    for n in range(2):
        make_subscription(program, name=f"More {n}", emails=[f"m{n}@example.com"])
    assert queries() == one


def test_viewer_cannot_see_subscriptions_executive_cannot_send(client, program):
    viewer = member(program, Role.VIEWER).user
    client.force_login(viewer)
    assert client.get(_url("subscription_list", program)).status_code == 403
    executive = member(program, Role.EXECUTIVE).user
    client.force_login(executive)
    sub = make_subscription(program, emails=["a@example.com"])
    assert client.get(_url("subscription_list", program)).status_code == 200
    assert client.post(_url("subscription_send_now", program, pk=sub.pk)).status_code == 403
    assert Delivery.objects.count() == 0


def test_send_now_records_a_manual_delivery(client_pm, program, manager):
    sub = make_subscription(program, emails=["a@example.com"])
    response = client_pm.post(_url("subscription_send_now", program, pk=sub.pk))
    assert response.status_code == 302
    assert response["Location"] == _url("delivery_list", program)
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.requested_by) == (DeliveryKind.MANUAL, manager)


def test_send_now_refused_when_nobody_is_left(client_pm, program):
    sub = make_subscription(program, emails=["a@example.com"])
    sub.recipients.update(unsubscribed_at=timezone.now())
    response = client_pm.post(_url("subscription_send_now", program, pk=sub.pk), follow=True)
    assert "Nobody to send to" in response.content.decode()
    assert Delivery.objects.count() == 0


def test_preview_page_email_and_pdfs(client_pm, program):
    sub = make_subscription(program, emails=["a@example.com"])
    page = client_pm.get(_url("subscription_preview", program, pk=sub.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"{program.code} weekly briefing · week" in text
    assert _url("subscription_preview_email", program, pk=sub.pk) in text
    email = client_pm.get(_url("subscription_preview_email", program, pk=sub.pk))
    assert email.status_code == 200 and "Computed, not reviewed" in email.content.decode()
    assert email["X-Frame-Options"] == "SAMEORIGIN"
    assert "'unsafe-inline'" in email["Content-Security-Policy"]
    plain = client_pm.get(_url("subscription_preview_email", program, pk=sub.pk) + "?format=text")
    assert plain["Content-Type"].startswith("text/plain")
    for name in ("subscription_preview_briefing", "subscription_preview_deck"):
        pdf = client_pm.get(_url(name, program, pk=sub.pk))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content[:5] == b"%PDF-"
    assert Delivery.objects.count() == 0


def test_subscription_of_another_program_is_404(client_pm, program):
    from programs.tests.factories import ProgramFactory

    other = make_subscription(ProgramFactory(), emails=["a@example.com"])
    assert client_pm.get(_url("subscription_edit", program, pk=other.pk)).status_code == 404
    assert client_pm.get(_url("subscription_preview", program, pk=other.pk)).status_code == 404


def test_delivery_log_filters_by_status_and_highlights_failures(client_pm, program):
    sub = make_subscription(program, emails=["a@example.com"])
    Delivery.objects.create(
        program=program, subscription=sub, period="2026-W46", status=DeliveryStatus.SENT,
        recipients=["a@example.com"],
    )  # fmt: skip
    Delivery.objects.create(
        program=program, subscription=sub, period="2026-W47", status=DeliveryStatus.FAILED,
        attempts=6, last_error="SMTPServerDisconnected: gone",
    )  # fmt: skip
    page = client_pm.get(_url("delivery_list", program)).content.decode()
    assert "2026-W46" in page and "2026-W47" in page
    assert "dlv-row-failed" in page and "SMTPServerDisconnected: gone" in page
    failed = client_pm.get(_url("delivery_list", program) + "?status=failed").content.decode()
    assert "2026-W47" in failed and "2026-W46" not in failed
    partial = client_pm.get(
        _url("delivery_list", program) + "?status=sent", headers={"HX-Request": "true"}
    ).content.decode()
    assert partial.lstrip().startswith('<div id="delivery-table">') and "2026-W46" in partial


def test_delivery_log_query_count_does_not_grow(client_pm, program, count_queries):
    sub = make_subscription(program, emails=["a@example.com"])

    def queries():
        with count_queries() as ctx:
            assert client_pm.get(_url("delivery_list", program)).status_code == 200
        return len(ctx.captured_queries)

    Delivery.objects.create(program=program, subscription=sub, period="2026-W40", kind="manual")
    one = queries()
    for week in (41, 42):
        Delivery.objects.create(
            program=program, subscription=sub, period=f"2026-W{week}", kind="manual"
        )
    assert queries() == one


# --- unsubscribe (no login) ----------------------------------------------------------------------


def test_unsubscribe_get_confirms_post_unsubscribes(client, program):
    sub = make_subscription(program, emails=["a@example.com"])
    recipient = sub.recipients.get()
    url = reverse("briefings:unsubscribe", kwargs={"token": unsubscribe_token(recipient)})
    page = client.get(url)
    assert page.status_code == 200
    assert "Unsubscribe from this briefing?" in page.content.decode()
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is None  # a GET (a mail scanner) changes nothing
    done = client.post(url)
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None
    again = client.post(url)
    assert "already unsubscribed" in again.content.decode()
    assert "already unsubscribed" in client.get(url).content.decode()


def test_unsubscribe_tampered_token_is_a_clear_400(client, program):
    sub = make_subscription(program, emails=["a@example.com"])
    recipient = sub.recipients.get()
    token = unsubscribe_token(recipient)
    forged = signing.dumps({"r": recipient.pk, "s": sub.pk}, salt="another-salt")
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        url = reverse("briefings:unsubscribe", kwargs={"token": bad})
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 400
            assert "This unsubscribe link is not valid" in response.content.decode()
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is None


def test_unsubscribe_removed_recipient_is_404_page(client, program):
    sub = make_subscription(program, emails=["a@example.com"])
    recipient = sub.recipients.get()
    url = reverse("briefings:unsubscribe", kwargs={"token": unsubscribe_token(recipient)})
    recipient.delete()
    response = client.get(url)
    assert response.status_code == 404
    assert "no longer on this list" in response.content.decode()
