"""The list pages' render shortcuts must never show stale or wrong content."""

import pytest
from django.core.cache import caches
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from programs import services
from programs.tests.factories import WorkstreamFactory

LOCMEM_FRAGMENTS = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments-test",
    },
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def fragments():
    with override_settings(CACHES=LOCMEM_FRAGMENTS):
        caches["fragments"].clear()
        yield caches["fragments"]
        caches["fragments"].clear()


def _list(client, program) -> str:
    response = client.get(reverse("programs:workstream_list", kwargs={"code": program.code}))
    assert response.status_code == 200
    return response.content.decode()


def test_cached_workstream_row_shows_the_saved_change(fragments, program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")
    client = Client()
    client.force_login(manager)
    assert "Finance" in _list(client, program)

    services.workstream_update(
        actor=manager, workstream=ws, expected_version=ws.version, name="Finance & controlling"
    )

    page = _list(client, program)
    assert "Finance &amp; controlling" in page
    assert ">Finance</a>" not in page


def test_cached_workstream_row_shows_the_leads_new_name(fragments, program, manager):
    WorkstreamFactory(program=program, name="Data", lead=manager)
    client = Client()
    client.force_login(manager)
    assert manager.full_name in _list(client, program)

    manager.full_name = "Renamed Person"
    manager.save(update_fields=["full_name"])

    assert "Renamed Person" in _list(client, program)


def test_cached_row_does_not_offer_edit_to_a_viewer_after_a_manager_saw_it(
    fragments, program, users_by_role
):
    WorkstreamFactory(program=program, name="Supply chain")
    manager, viewer = Client(), Client()
    manager.force_login(users_by_role["manager"])
    viewer.force_login(users_by_role["viewer"])
    assert "in place" in _list(manager, program)
    assert "in place" not in _list(viewer, program)


@pytest.mark.parametrize(
    ("source", "name", "kwargs"),
    [
        ("{% url 'programs:program_list' %}", "programs:program_list", {}),
        (
            "{% url 'programs:workstream_detail' code='ERP' key='WS-4' %}",
            "programs:workstream_detail",
            {"code": "ERP", "key": "WS-4"},
        ),
        (
            "{% url 'programs:member_role' code='ERP' pk=12 %}",
            "programs:member_role",
            {"code": "ERP", "pk": 12},
        ),
    ],
)
def test_url_tag_gives_what_reverse_gives(source, name, kwargs):
    assert Template(source).render(Context()) == reverse(name, kwargs=kwargs)


def test_url_tag_still_refuses_what_reverse_refuses():
    with pytest.raises(NoReverseMatch):
        Template("{% url 'programs:member_role' code='ERP' pk='x' %}").render(Context())
    assert Template("{% url 'nope' as u %}[{{ u }}]").render(Context()) == "[]"
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_cached_activity_feed_shows_new_entries(fragments, program, manager):
    client = Client()
    client.force_login(manager)
    url = reverse("programs:activity", kwargs={"code": program.code})
    assert "Logistics" not in client.get(url).content.decode()

    WorkstreamFactory(program=program, name="Logistics", actor=manager)

    assert "Logistics" in client.get(url).content.decode()
