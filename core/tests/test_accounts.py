"""Accounts: sign-in by e-mail, sessions, brute-force lockout, password change/reset, profile."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.models import OutboundEmail, User
from core.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
PROFILE = reverse("profile")
NEW_PASSWORD = "a-fresh-passphrase-for-2026"
RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def alice():
    return UserFactory(email="alice@example.com", full_name="Alice Moreau")


def login(client, username, password=DEFAULT_PASSWORD, ip="127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def session_cookie(client):
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


# --- sign in and out -----------------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


@pytest.mark.parametrize("typed", ["alice@example.com", "Alice@Example.COM", "  ALICE@EXAMPLE.COM"])
def test_login_by_email_any_case(client, alice, typed):
    response = login(client, typed)

    assert response.status_code == 302
    assert response["Location"] == reverse("programs:program_list")
    assert logged_in_user_id(client) == str(alice.pk)


def test_login_wrong_password_rerenders_form(client, alice):
    response = login(client, "alice@example.com", "not-the-password")

    assert response.status_code == 200
    assert b"didn&#x27;t match" in response.content or b"didn't match" in response.content
    assert logged_in_user_id(client) is None


def test_login_rotates_session_key(client, alice):
    anonymous = client.session  # an anonymous session, as a visitor's browser would carry
    anonymous["seen_login_page"] = True
    anonymous.save()
    before = session_cookie(client)
    assert before

    login(client, "alice@example.com")

    after = session_cookie(client)
    assert after and after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.filter(session_key=after).exists()


def test_logout_refuses_get(client, alice):
    client.force_login(alice)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert logged_in_user_id(client) == str(alice.pk)
    assert client.get(PROFILE).status_code == 200


def test_logout_by_post_ends_the_session(client, alice):
    login(client, "alice@example.com")
    old_key = session_cookie(client)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not Session.objects.filter(session_key=old_key).exists()
    assert client.get(PROFILE)["Location"] == f"{LOGIN}?next={PROFILE}"


# --- password change -----------------------------------------------------------------------------


def test_password_change_keeps_this_session_and_ends_the_others(alice):
    laptop, phone = Client(), Client()
    login(laptop, "alice@example.com")
    login(phone, "alice@example.com")
    assert phone.get(PROFILE).status_code == 200

    response = laptop.post(
        reverse("password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert laptop.get(PROFILE).status_code == 200
    phone_response = phone.get(PROFILE)
    assert phone_response.status_code == 302
    assert phone_response["Location"] == f"{LOGIN}?next={PROFILE}"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_change_wrong_old_password_changes_nothing(client, alice):
    login(client, "alice@example.com")

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(DEFAULT_PASSWORD)


# --- brute force (django-axes) -------------------------------------------------------------------


def fail(client, username, times, ip="127.0.0.1"):
    return [login(client, username, "wrong-password", ip=ip).status_code for _ in range(times)]


def test_lockout_after_five_failures_refuses_even_the_right_password(client, alice):
    # The fifth failure reaches the limit, so that response is already the lockout page.
    assert fail(client, "alice@example.com", 5) == [200, 200, 200, 200, 429]

    response = login(client, "alice@example.com", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert b"Too many failed sign-in attempts" in response.content
    assert logged_in_user_id(client) is None
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("alice@example.com", "127.0.0.1")
    # Axes counts an attempt made while locked out as one more failure (and restarts the cool-off).
    assert attempt.failures_since_start == 6


def test_lockout_cannot_be_dodged_by_changing_case(client, alice):
    variants = ["alice@example.com", "Alice@example.com", "ALICE@example.com"]
    for typed in variants + variants[:2]:
        login(client, typed, "wrong-password")

    response = login(client, "aLiCe@ExAmPlE.cOm", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert logged_in_user_id(client) is None


def test_lockout_is_per_ip_so_others_can_still_sign_in(alice):
    attacker, office = Client(), Client()
    fail(attacker, "alice@example.com", 5, ip="203.0.113.9")

    response = login(office, "alice@example.com", ip="198.51.100.20")

    assert response.status_code == 302
    assert logged_in_user_id(office) == str(alice.pk)
    assert login(attacker, "alice@example.com", ip="203.0.113.9").status_code == 429


def test_lockout_is_per_username(client, alice):
    bob = UserFactory(email="bob@example.com")
    fail(client, "alice@example.com", 5)

    assert login(client, "bob@example.com").status_code == 302
    assert logged_in_user_id(client) == str(bob.pk)


def test_lockout_cools_off_after_fifteen_minutes(client, alice, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    fail(client, "alice@example.com", 5)

    time_machine.move_to(start + dt.timedelta(minutes=16))
    response = login(client, "alice@example.com")

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)
    assert not AccessAttempt.objects.exists()  # a successful sign-in clears the count


def test_lockout_attempt_during_cool_off_restarts_it(client, alice, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    fail(client, "alice@example.com", 5)

    time_machine.move_to(start + dt.timedelta(minutes=14))
    assert login(client, "alice@example.com").status_code == 429
    time_machine.move_to(start + dt.timedelta(minutes=16))
    assert login(client, "alice@example.com").status_code == 429

    time_machine.move_to(start + dt.timedelta(minutes=16 + 16))
    assert login(client, "alice@example.com").status_code == 302


def test_lockout_can_be_lifted_by_axes_reset(client, alice):
    from axes.utils import reset

    fail(client, "alice@example.com", 5)

    assert reset(username="alice@example.com") == 1
    assert login(client, "alice@example.com").status_code == 302


def test_successful_login_resets_the_failure_count(client, alice):
    fail(client, "alice@example.com", 4)
    login(client, "alice@example.com")
    client.post(reverse("logout"))

    assert fail(client, "alice@example.com", 4) == [200, 200, 200, 200]
    assert login(client, "alice@example.com").status_code == 302


# --- password reset ------------------------------------------------------------------------------


def request_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def reset_path_from(email_row):
    match = RESET_LINK.search(email_row.body_text)
    assert match, email_row.body_text
    return match.group(1)


def test_password_reset_queues_an_email_with_a_working_link(client, alice):
    response = request_reset(client, "Alice@Example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    email = OutboundEmail.objects.get()
    assert email.to == ["alice@example.com"]
    assert email.status == "pending"
    assert email.subject
    assert email.idempotency_key.startswith("password-reset:")

    # The link redirects to a token-free URL (the token moves into the session), then the form.
    link = client.get(reset_path_from(email))
    assert link.status_code == 302
    assert link["Location"].endswith("/set-password/")
    form_page = client.get(link["Location"])
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    done = client.post(
        link["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert login(Client(), "alice@example.com", NEW_PASSWORD).status_code == 302
    # The link works once: the password it was made for is gone.
    reused = Client().get(reset_path_from(email), follow=True)
    assert reused.context["validlink"] is False


def test_password_reset_lifts_a_lockout_as_the_lockout_page_promises(client, alice):
    assert fail(client, "alice@example.com", 5)[-1] == 429
    assert login(client, "alice@example.com", DEFAULT_PASSWORD).status_code == 429

    request_reset(client, "alice@example.com")
    link = client.get(reset_path_from(OutboundEmail.objects.get()))
    done = client.post(
        link["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302

    assert AccessAttempt.objects.filter(username="alice@example.com").count() == 0
    assert login(Client(), "alice@example.com", NEW_PASSWORD).status_code == 302


def test_password_reset_unknown_email_looks_the_same_and_sends_nothing(client, alice):
    known = request_reset(client, "alice@example.com")
    OutboundEmail.objects.all().delete()

    unknown = request_reset(client, "nobody@example.com")

    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == reverse("password_reset_done")
    assert OutboundEmail.objects.count() == 0
    sent_page = client.get(unknown["Location"])
    assert sent_page.status_code == 200
    assert b"If an account exists" in sent_page.content


def test_password_reset_inactive_user_sends_nothing(client):
    UserFactory(email="gone@example.com", is_active=False)

    request_reset(client, "gone@example.com")

    assert OutboundEmail.objects.count() == 0


def test_invited_user_with_expired_link_can_ask_for_a_new_one(client):
    # membership_add creates a person new to the site like this: no usable password until they
    # follow the invitation. If that link expires, "forgot password" must still reach them.
    invited = User.objects.create_user(email="new.person@example.com", full_name="New Person")
    assert not invited.has_usable_password()

    request_reset(client, "New.Person@example.com")

    email = OutboundEmail.objects.get()
    assert email.to == ["new.person@example.com"]
    path = client.get(reset_path_from(email))["Location"]
    client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)


# --- profile and API token -----------------------------------------------------------------------


def test_profile_edits_full_name(client, alice):
    client.force_login(alice)

    response = client.post(PROFILE, {"full_name": "Alice Moreau-Dupont", "job_title": "PMO lead"})

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    alice.refresh_from_db()
    assert (alice.full_name, alice.job_title) == ("Alice Moreau-Dupont", "PMO lead")
    page = client.get(PROFILE)
    assert b"Alice Moreau-Dupont" in page.content
    assert b"Profile saved." in page.content


def test_profile_rejects_empty_name_and_keeps_input(client, alice):
    client.force_login(alice)

    response = client.post(PROFILE, {"full_name": "", "job_title": "Typed title"})

    assert response.status_code == 400
    assert "full_name" in response.context["form"].errors
    assert b"Typed title" in response.content
    alice.refresh_from_db()
    assert (alice.full_name, alice.job_title) == ("Alice Moreau", "")


def test_profile_cannot_change_email(client, alice):
    client.force_login(alice)

    client.post(PROFILE, {"full_name": "Alice", "email": "mallory@example.com"})

    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_profile_needs_login(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PROFILE}"


def test_api_token_regenerate_shows_new_token_once(client, alice):
    old = Token.objects.create(user=alice)
    client.force_login(alice)

    response = client.post(reverse("api_token_regenerate"))

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    new = Token.objects.get(user=alice)
    assert new.key != old.key
    assert not Token.objects.filter(key=old.key).exists()
    first = client.get(PROFILE)
    assert new.key.encode() in first.content
    second = client.get(PROFILE)
    assert second.status_code == 200
    assert new.key.encode() not in second.content


def test_api_token_get_does_not_regenerate(client, alice):
    token = Token.objects.create(user=alice)
    client.force_login(alice)

    response = client.get(reverse("api_token_regenerate"))

    assert response.status_code == 302
    assert Token.objects.get(user=alice).key == token.key
    assert token.key.encode() not in client.get(PROFILE).content
