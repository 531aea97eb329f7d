"""The cached top bar and program navigation of every page (templates/base.html): a changed
role, program name or user name shows on the next page, and the logout form's CSRF token is
fresh on every page (it is rendered outside the cached fragment)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.test import Client

from core.permissions import Role
from programs import services
from programs.tests.factories import ProgramFactory, member

pytestmark = pytest.mark.django_db

PAGE = "/programs/ERP/members/"


@pytest.fixture
def fragments(settings):
    """The production fragments cache (tests otherwise use a dummy one)."""
    settings.CACHES = {
        **settings.CACHES,
        "fragments": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "chrome-fragment-tests",
        },
    }
    caches["fragments"].clear()
    yield caches["fragments"]
    caches["fragments"].clear()


def get(client, path=PAGE) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_navigation_follows_a_changed_role(fragments, program, manager):
    membership = member(program, Role.CONTRIBUTOR, full_name="Casey Contributor")
    c = logged_in(membership.user)
    role = re.compile(r'Your role: <span class="badge [^"]+">([^<]+)</span>')
    assert role.findall(get(c)) == role.findall(get(c)) == ["Contributor"]  # stored, then read
    services.membership_change_role(
        actor=manager, membership=membership, role=Role.VIEWER, expected_version=None
    )
    assert role.findall(get(c)) == ["Viewer"]


def test_the_top_bar_follows_program_and_user_changes(fragments, program, manager):
    c = logged_in(manager)
    assert "ERP migration" in get(c)
    services.program_update(
        actor=manager, program=program, expected_version=program.version, name="ERP rollout"
    )
    body = get(c)
    assert "ERP rollout" in body and "ERP migration" not in body
    manager.full_name = "Morgan Manager-Smith"
    manager.save(update_fields=["full_name"])
    assert "Morgan Manager-Smith" in get(c)

    other = ProgramFactory(code="CRM", name="CRM renewal")
    other.memberships.create(user=manager, role=Role.VIEWER)
    body = get(c)
    assert "CRM renewal" in body  # a new program in the switcher


def test_the_logout_form_gets_a_fresh_csrf_token_on_every_page(fragments, program, manager):
    c = logged_in(manager)
    pattern = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    first, second = pattern.findall(get(c)), pattern.findall(get(c))
    assert first and second and first != second  # masked anew each time, never cached
