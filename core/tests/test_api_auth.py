"""API sign-in: tokens (with the Axes lockout), /api/v1/me/, the schema and its docs page."""

from __future__ import annotations

import re

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from programs.tests.factories import ProgramFactory, member

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


@pytest.fixture
def user(db):
    return UserFactory(email="alice@example.com", full_name="Alice Able", job_title="PMO lead")


def test_token_obtain_and_use(user):
    client = APIClient()
    response = client.post(TOKEN_URL, {"email": "alice@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}

    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get(ME_URL)
    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.com"
    user.refresh_from_db()
    assert user.last_login is not None


def test_token_obtain_returns_the_same_token_twice(user):
    client = APIClient()
    data = {"email": "Alice@Example.com ", "password": DEFAULT_PASSWORD}
    first = client.post(TOKEN_URL, data).json()["token"]
    second = client.post(TOKEN_URL, data).json()["token"]
    assert first == second
    assert Token.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"email": "alice@example.com", "password": "wrong"},
            {"non_field_errors": ["Unable to sign in with this e-mail address and password."]},
        ),
        (
            {"email": "nobody@example.com", "password": "x"},
            {"non_field_errors": ["Unable to sign in with this e-mail address and password."]},
        ),
        ({"email": "alice@example.com"}, {"password": ["This field is required."]}),
        ({}, {"email": ["This field is required."], "password": ["This field is required."]}),
    ],
)
def test_token_obtain_refuses_bad_credentials(user, data, errors):
    response = APIClient().post(TOKEN_URL, data)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Token.objects.filter(user=user).exists()


def test_token_obtain_refuses_inactive_users(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = APIClient().post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert not Token.objects.filter(user=user).exists()


def test_token_obtain_is_locked_out_after_five_failures(user, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = APIClient()
    statuses = [
        client.post(TOKEN_URL, {"email": "alice@example.com", "password": f"guess{i}"}).status_code
        for i in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]

    # The right password does not help during the cool-off, nor does changing the case.
    for email in ("alice@example.com", "ALICE@example.com"):
        response = client.post(TOKEN_URL, {"email": email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 429
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "Too many failed sign-in attempts. Try again later or ask an administrator."
        }
    assert not Token.objects.filter(user=user).exists()


def test_token_obtain_success_clears_earlier_failures(user):
    client = APIClient()
    wrong = {"email": "alice@example.com", "password": "wrong"}
    right = {"email": "alice@example.com", "password": DEFAULT_PASSWORD}
    assert [client.post(TOKEN_URL, wrong).status_code for _ in range(4)] == [400] * 4
    assert client.post(TOKEN_URL, right).status_code == 200
    assert [client.post(TOKEN_URL, wrong).status_code for _ in range(5)] == [400] * 4 + [429]


def test_token_obtain_ignores_a_session_without_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200


def test_me_lists_memberships(user):
    erp = ProgramFactory(code="ERP", manager=UserFactory(can_create_programs=True))
    crm = ProgramFactory(code="CRM", manager=user)
    member(erp, Role.VIEWER, email=user.email)
    ProgramFactory(code="HR")  # not a member
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "alice@example.com",
        "full_name": "Alice Able",
        "job_title": "PMO lead",
        "memberships": [
            {"program": crm.code, "role": "manager"},
            {"program": erp.code, "role": "viewer"},
        ],
    }


def test_me_with_a_session(user, client):
    client.force_login(user)
    response = client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["memberships"] == []


@pytest.mark.parametrize("header", [None, "Token not-a-real-token"])
def test_me_without_valid_credentials_is_401(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}


def test_me_refuses_writes(user):
    client = APIClient()
    client.force_authenticate(user)
    assert client.post(ME_URL, {}).status_code == 405


def test_schema_is_openapi_3(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/programs/{code}/workstreams/{key}/" in schema["paths"]
    patch = schema["paths"]["/api/v1/programs/{code}/workstreams/{key}/"]["patch"]
    assert {"403", "404", "412", "428"} <= set(patch["responses"])
    assert {"name": "If-Match", "in": "header"}.items() <= next(
        p for p in patch["parameters"] if p["name"] == "If-Match"
    ).items()
    params = {p["name"]: p["schema"]["type"] for p in patch["parameters"] if p["in"] == "path"}
    assert params == {"code": "string", "key": "string"}
    member = schema["paths"]["/api/v1/programs/{code}/members/{id}/"]["get"]
    assert {p["name"]: p["schema"]["type"] for p in member["parameters"]} == {
        "code": "string",
        "id": "integer",
    }


def test_docs_page_uses_the_sidecar_not_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"(src|href)=\"https?://", html)
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert cdn not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
