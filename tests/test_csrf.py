"""Every URL refuses a state-changing request that carries a session cookie but no CSRF token.

The URL list is walked from the URLconf (see `tests/test_url_permissions.py`), so a new view is
checked as soon as it is routed. Each request is made by a browser-like client that enforces CSRF
checks, signed in as the program manager through the session; the answer must be 403 and nothing
may change.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core.models import AuditEntry, KeySequence, OutboundEmail, User
from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from programs.models import Program, ProgramMembership, Workstream
from tests.test_url_permissions import (
    ENDPOINTS,
    _built_site,  # noqa: F401 (the module's site, built once)
    build_url,
    policy_of,
)

# Views that do not read the session, so a forged cross-site request carries no authority. Each
# entry says why, and the exact answer a token-less request gets instead of 403.
SESSIONLESS = {
    "TokenObtainView": (
        {"post": 400, "put": 405, "patch": 405, "delete": 405},
        "exchanges e-mail and password for a token in the response body; it has no session "
        "authentication, sets no cookie, and a cross-site page cannot read the answer",
    ),
}

WRITE_METHODS = ("post", "put", "patch", "delete")


def db_state() -> dict[str, list]:
    models = (
        AuditEntry,
        Program,
        Workstream,
        ProgramMembership,
        User,
        Token,
        OutboundEmail,
        KeySequence,
        AccessLog,
        AccessAttempt,
    )
    state: dict[str, list] = {
        m.__name__: list(m._default_manager.order_by("pk").values()) for m in models
    }
    state["sessions"] = sorted(Session.objects.values_list("session_key", flat=True))
    return state


def _cases() -> list:
    cases = []
    for endpoint in ENDPOINTS:
        methods = WRITE_METHODS if endpoint.is_api else ("post",)
        for method in methods:
            label = f"{method.upper()} {endpoint.id}"
            cases.append(pytest.param(endpoint, method, "manager", id=f"{label} [manager]"))
            if _is_public(endpoint):
                cases.append(pytest.param(endpoint, method, "anonymous", id=f"{label} [anonymous]"))
    return cases


def _is_public(endpoint) -> bool:
    """Pages that accept anonymous forms (login, password reset). The API is left out: without a
    session DRF needs no CSRF token, because a cross-site request then carries no credentials."""
    try:
        policy = policy_of(endpoint)
    except pytest.fail.Exception:
        return False
    return policy == ("html", "public") or endpoint.name in {"admin:login", "admin:logout"}


@pytest.fixture
def site(_built_site, db):  # noqa: F811
    """The URL walk's site (every app's rows), built once per module inside a transaction that
    is rolled back at its end; each test runs in a savepoint of it."""
    return _built_site


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "method", "who"), _cases())
def test_write_without_csrf_token_is_refused(site, endpoint, method, who):
    url = build_url(endpoint, site.url_values)
    client = Client(enforce_csrf_checks=True)
    if who == "manager":
        client.force_login(site.users[Role.MANAGER])
    session_user = client.session.get("_auth_user_id")
    before = db_state()

    if getattr(endpoint.callback, "_non_atomic_requests", None):
        # Outside ATOMIC_REQUESTS, DRF's error handler marks whatever transaction is open for
        # rollback; in the test that is the test's own. A savepoint keeps it usable.
        with transaction.atomic():
            response = getattr(client, method)(url, {} if method == "post" else "")
    else:
        response = getattr(client, method)(url, {} if method == "post" else "")

    sessionless = SESSIONLESS.get(getattr(endpoint.view, "__name__", ""))
    if sessionless is not None:
        assert response.status_code == sessionless[0][method], sessionless[1]
    else:
        assert response.status_code == 403, f"{method.upper()} {url} as {who} without CSRF token"
    assert db_state() == before
    assert client.session.get("_auth_user_id") == session_user


@pytest.mark.django_db
def test_login_without_csrf_token_is_refused_and_signs_nobody_in():
    user = UserFactory(email="ada@example.com")
    client = Client(enforce_csrf_checks=True)
    before = db_state()

    response = client.post(
        reverse("login"), {"username": "ada@example.com", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 403
    assert settings.SESSION_COOKIE_NAME not in client.cookies
    assert db_state() == before
    user.refresh_from_db()
    assert user.last_login is None


@pytest.mark.django_db
def test_login_with_csrf_token_works():
    """The control for the test above: the same request with the token signs in."""
    UserFactory(email="ada@example.com")
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.post(
        reverse("login"),
        {"username": "ada@example.com", "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("programs:program_list")
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_api_write_with_session_and_csrf_token_passes_the_csrf_check(site):
    """Control: the 403s above come from the CSRF check, not from the role or the method."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(site.users[Role.MANAGER])
    code = site.program.code
    client.get(reverse("programs:workstream_create", kwargs={"code": code}))  # sets the cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    url = reverse("api_v1:workstream_list", kwargs={"code": code})

    response = client.post(
        url, {"name": "Data"}, content_type="application/json", headers={"X-CSRFToken": token}
    )

    assert response.status_code == 201
    assert Workstream.objects.filter(program=site.program, name="Data").count() == 1
