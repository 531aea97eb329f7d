"""The /api/v1/ program endpoints: scoping, roles, validation, optimistic locking, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.api.permissions import ACCESS_POLICIES
from core.models import AuditEntry, User
from core.permissions import MATRIX, Role
from core.tests.factories import UserFactory
from programs import services
from programs.models import Program, ProgramMembership, Workstream
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programs/"


def iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
def api():
    """api(user) -> an APIClient sending that user's token; api() -> anonymous."""

    def _client(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _client


@pytest.fixture
def outsider(db):
    return UserFactory()


@pytest.fixture
def workstream(program, manager):
    return WorkstreamFactory(program=program, name="Data migration", lead=manager, actor=manager)


def audit_count() -> int:
    return AuditEntry.objects.count()


# --------------------------------------------------------------------------------------------
# Every API view declares its access policy


def _walk(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_api_view_declares_permission_actions_or_access_policy():
    seen = 0
    for route, callback in _walk(get_resolver()):
        if not route.startswith("api/"):
            continue
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        actions = getattr(view_class, "permission_actions", None)
        policy = getattr(view_class, "access_policy", None)
        assert (actions is None) != (policy is None), route
        if actions is not None:
            assert set(actions.values()) <= set(MATRIX), route
            assert set(getattr(callback, "actions", {}).values()) <= set(actions), route
        else:
            assert policy in ACCESS_POLICIES, route
        seen += 1
    assert seen >= 11  # token, me, 7 program routes, schema, docs


# --------------------------------------------------------------------------------------------
# Programs


def test_program_list_shows_my_programs_with_my_role(api, program, manager):
    other = ProgramFactory(code="CRM", name="CRM rollout")
    member(other, Role.VIEWER, email="viewer@example.com")
    ProgramFactory(code="HR", name="HR")  # not a member

    response = api(manager).get(BASE)

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "code": "ERP",
                "name": "ERP migration",
                "description": "",
                "sponsor": None,
                "start_date": "2026-01-05",
                "end_date": "2027-06-30",
                "currency": "EUR",
                "time_zone": "Europe/London",
                "status": "active",
                "my_role": "manager",
                "version": 1,
                "url": "http://testserver/api/v1/programs/ERP/",
            }
        ],
    }
    viewer = User.objects.get(email="viewer@example.com")
    results = api(viewer).get(BASE).json()["results"]
    assert [(p["code"], p["my_role"]) for p in results] == [("CRM", "viewer")]


@pytest.mark.parametrize("n", [1, 3])
def test_program_list_query_count_is_constant(api, n, django_assert_num_queries):
    user = UserFactory(can_create_programs=True)
    for i in range(n):
        program = ProgramFactory(code=f"P{i}X", manager=user)
        sponsor = member(program, Role.EXECUTIVE).user
        services.program_update(
            actor=user, program=program, expected_version=program.version, sponsor=sponsor
        )
    client = api(user)
    with django_assert_num_queries(5):  # savepoint, token, count, page, release
        response = client.get(BASE)
    assert response.status_code == 200
    assert len(response.json()["results"]) == n
    assert all(p["sponsor"]["full_name"] for p in response.json()["results"])


def test_program_list_anonymous_gets_401(api, program):
    response = api().get(BASE)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_program_create_makes_me_manager_and_audits(api):
    user = UserFactory(can_create_programs=True)
    before = audit_count()

    response = api(user).post(
        BASE,
        {
            "code": "crm2",
            "name": "CRM replacement",
            "start_date": "2026-03-01",
            "end_date": "2026-12-31",
            "currency": "GBP",
            "time_zone": "Europe/Paris",
        },
    )

    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    assert response.json() == {
        "code": "CRM2",
        "name": "CRM replacement",
        "description": "",
        "sponsor": None,
        "start_date": "2026-03-01",
        "end_date": "2026-12-31",
        "currency": "GBP",
        "time_zone": "Europe/Paris",
        "status": "active",
        "my_role": "manager",
        "version": 1,
        "url": "http://testserver/api/v1/programs/CRM2/",
    }
    program = Program.objects.get(code="CRM2")
    assert ProgramMembership.objects.get(program=program).user == user
    assert audit_count() == before + 2  # the program and the manager's membership


def test_program_create_without_the_right_is_403_and_saves_nothing(api, manager):
    user = UserFactory(can_create_programs=False)
    count = Program.objects.count()
    response = api(user).post(
        BASE, {"code": "NEW", "name": "New", "start_date": "2026-01-01", "end_date": "2026-02-01"}
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "You may not start programs; ask an administrator."}
    assert Program.objects.count() == count


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"end_date": "2025-12-31"},
            {"end_date": ["The end date must be on or after the start date."]},
        ),
        ({"currency": "XXX"}, {"currency": ['"XXX" is not a valid choice.']}),
        (
            {"time_zone": "Mars/Base"},
            {"time_zone": ["'Mars/Base' is not a known time zone (e.g. Europe/London)."]},
        ),
        (
            {"code": "1AB"},
            {
                "code": [
                    "Use 2 to 12 capital letters or digits, starting with a letter "
                    "(e.g. ERP or CRM2)."
                ]
            },
        ),
        ({"code": "ERP"}, {"code": ["A program with this code already exists."]}),
        (
            {"start_date": "soon"},
            {
                "start_date": [
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
                ]
            },
        ),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        (
            {"sponsor_id": 1},
            {"sponsor_id": ["Add the sponsor as a member first, then set them here."]},
        ),
    ],
)
def test_program_create_bad_input_is_400_with_field_errors(api, program, changes, errors):
    user = UserFactory(can_create_programs=True)
    data = {"code": "NEW", "name": "New", "start_date": "2026-01-01", "end_date": "2026-02-01"}
    count, audits = Program.objects.count(), audit_count()
    response = api(user).post(BASE, {**data, **changes})
    assert response.status_code == 400
    assert response.json() == errors
    assert (Program.objects.count(), audit_count()) == (count, audits)


def test_program_retrieve_has_etag(api, program, users_by_role):
    response = api(users_by_role["vendor"]).get(f"{BASE}ERP/")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["my_role"] == "vendor"
    assert response.json()["code"] == "ERP"


def test_program_unknown_and_not_mine_look_the_same_404(api, program, outsider):
    client = api(outsider)
    not_mine = client.get(f"{BASE}ERP/")
    unknown = client.get(f"{BASE}NOPE/")
    assert not_mine.status_code == unknown.status_code == 404
    assert not_mine.json() == unknown.json() == {"detail": "No such program"}
    assert client.patch(f"{BASE}ERP/", {"name": "x"}, HTTP_IF_MATCH='"1"').status_code == 404


def test_program_patch_by_viewer_is_403_and_changes_nothing(api, program, users_by_role):
    response = api(users_by_role["viewer"]).patch(
        f"{BASE}ERP/", {"name": "Hijacked"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role (Viewer) in ERP does not allow this."}
    program.refresh_from_db()
    assert (program.name, program.version) == ("ERP migration", 1)


@pytest.mark.parametrize("if_match", ['"1"', 'W/"1"', "1"])
def test_program_patch_bumps_version_etag_and_audits(api, program, manager, if_match):
    response = api(manager).patch(
        f"{BASE}ERP/", {"name": "ERP go-live", "status": "on_hold"}, HTTP_IF_MATCH=if_match
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["name"], body["status"], body["version"], body["my_role"]) == (
        "ERP go-live", "on_hold", 2, "manager",
    )  # fmt: skip
    entry = AuditEntry.objects.filter(program_id=program.pk, action="update").get()
    assert entry.actor == manager
    assert entry.object_version == 2
    assert entry.changes == {
        "name": ["ERP migration", "ERP go-live"],
        "status": ["active", "on_hold"],
    }


def test_program_patch_accepts_version_in_body(api, program, manager):
    response = api(manager).patch(f"{BASE}ERP/", {"description": "Why", "version": 1})
    assert response.status_code == 200
    assert response["ETag"] == '"2"'


def test_program_put_replaces_the_fields(api, program, manager):
    sponsor = member(program, Role.EXECUTIVE).user
    response = api(manager).put(
        f"{BASE}ERP/",
        {
            "code": "ERP",
            "name": "ERP",
            "description": "All of it",
            "sponsor_id": sponsor.pk,
            "start_date": "2026-02-01",
            "end_date": "2026-11-30",
            "currency": "USD",
            "time_zone": "UTC",
            "status": "proposed",
        },
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["sponsor"] == {"id": sponsor.pk, "full_name": sponsor.full_name}
    assert (body["start_date"], body["currency"], body["version"]) == ("2026-02-01", "USD", 2)


def test_program_patch_without_version_is_428(api, program, manager):
    response = api(manager).patch(f"{BASE}ERP/", {"name": "Blind write"})
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    program.refresh_from_db()
    assert (program.name, program.version) == ("ERP migration", 1)


def test_program_patch_stale_is_412_with_what_changed(api, program, manager):
    coordinator = member(program, Role.COORDINATOR, full_name="Cora Ordinator").user
    services.program_update(actor=coordinator, program=program, expected_version=1, name="Renamed")
    audits = audit_count()

    response = api(manager).patch(f"{BASE}ERP/", {"name": "Mine"}, HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    body = response.json()
    assert body["detail"] == (
        "ERP · Renamed was changed by someone else (your version 1, current version 2)."
    )
    assert body["current"]["name"] == "Renamed"
    assert body["current"]["version"] == 2
    assert body["current"]["my_role"] == "manager"
    assert body["changed_fields"] == {"name": ["ERP migration", "Renamed"]}
    assert body["changed_by"] == ["Cora Ordinator"]
    program.refresh_from_db()
    assert (program.name, program.version) == ("Renamed", 2)
    assert audit_count() == audits


@pytest.mark.parametrize(
    ("header", "body", "status", "errors"),
    [
        (
            '"x1"',
            {},
            400,
            {"If-Match": ['Send one ETag as read from this API, e.g. "3" (got \'"x1"\').']},
        ),
        ('"1", "2"', {}, 400, None),
        (None, {"version": "abc"}, 400, {"version": ["A valid integer is required."]}),
        (
            '"1"',
            {"version": 2},
            400,
            {"version": ["It says 2 but If-Match says 1; send one version."]},
        ),
        ("*", {}, 428, None),
    ],
)
def test_program_patch_malformed_version_is_refused(
    api, program, manager, header, body, status, errors
):
    extra = {"HTTP_IF_MATCH": header} if header else {}
    response = api(manager).patch(f"{BASE}ERP/", {"name": "X", **body}, **extra)
    assert response.status_code == status
    if errors is not None:
        assert response.json() == errors
    program.refresh_from_db()
    assert program.version == 1


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"end_date": "2025-01-01"},
            {"end_date": ["The end date must be on or after the start date."]},
        ),
        ({"code": "OTHER"}, {"code": ["The code of a program cannot be changed."]}),
        ({"sponsor_id": "abc"}, {"sponsor_id": ["A valid integer is required."]}),
        ({"status": "gone"}, {"status": ['"gone" is not a valid choice.']}),
    ],
)
def test_program_patch_bad_input_is_400_and_changes_nothing(api, program, manager, changes, errors):
    response = api(manager).patch(f"{BASE}ERP/", changes, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert response.json() == errors
    program.refresh_from_db()
    assert program.version == 1


def test_program_patch_sponsor_must_be_a_member(api, program, manager, outsider):
    response = api(manager).patch(f"{BASE}ERP/", {"sponsor_id": outsider.pk}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert response.json() == {"sponsor": [f"User {outsider.pk} is not a member of ERP."]}
    program.refresh_from_db()
    assert (program.sponsor_id, program.version) == (None, 1)


def test_program_delete_is_not_offered(api, program, manager):
    response = api(manager).delete(f"{BASE}ERP/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 405
    assert Program.objects.filter(code="ERP").exists()


# --------------------------------------------------------------------------------------------
# Workstreams


def ws_url(key: str = "") -> str:
    return f"{BASE}ERP/workstreams/" + (f"{key}/" if key else "")


def test_workstream_list_exact(api, program, manager, workstream):
    response = api(manager).get(ws_url())
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "key": "WS-1",
                "name": "Data migration",
                "lead": {"id": manager.pk, "full_name": manager.full_name},
                "description": "Delivers part of the program.",
                "status": "active",
                "version": 1,
                "created_at": iso(workstream.created_at),
                "updated_at": iso(workstream.updated_at),
            }
        ],
    }


@pytest.mark.parametrize("n", [1, 3])
def test_workstream_list_query_count_is_constant(api, program, n, django_assert_num_queries):
    leads = [member(program, Role.CONTRIBUTOR).user for _ in range(n)]
    for i, lead in enumerate(leads):
        WorkstreamFactory(program=program, name=f"Stream {i}", lead=lead)
    client = api(leads[0])
    with django_assert_num_queries(6):  # savepoint, token, access, count, page, release
        response = client.get(ws_url())
    assert response.status_code == 200
    assert len(response.json()["results"]) == n


def test_workstream_list_filters(api, program, manager):
    lead = member(program, Role.CONTRIBUTOR).user
    WorkstreamFactory(program=program, name="Alpha", status="closed")
    WorkstreamFactory(program=program, name="Beta", lead=lead)
    WorkstreamFactory(program=program, name="Gamma", description="payroll interfaces")
    client = api(manager)

    def names(query: str) -> list[str]:
        response = client.get(ws_url() + query)
        assert response.status_code == 200, response.json()
        return [w["name"] for w in response.json()["results"]]

    assert names("") == ["Alpha", "Beta", "Gamma"]
    assert names("?status=closed") == ["Alpha"]
    assert names(f"?lead={lead.pk}") == ["Beta"]
    assert names("?q=payroll") == ["Gamma"]
    assert names("?q=ws-2") == ["Beta"]
    assert names("?sort=-name") == ["Gamma", "Beta", "Alpha"]
    assert names("?page_size=2&page=2") == ["Gamma"]


@pytest.mark.parametrize(
    ("query", "status", "body"),
    [
        (
            "?status=bogus",
            400,
            {"status": ["Select a valid choice. bogus is not one of the available choices."]},
        ),
        (
            "?lead=abc",
            400,
            {"lead": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
        ("?page=abc", 404, {"detail": "Invalid page."}),
        ("?page=99", 404, {"detail": "Invalid page."}),
    ],
)
def test_workstream_list_bad_query_is_refused_cleanly(api, program, manager, query, status, body):
    WorkstreamFactory(program=program)
    response = api(manager).get(ws_url() + query)
    assert response.status_code == status
    assert response.json() == body


def test_workstream_lead_filter_offers_only_members(api, program, manager, outsider):
    response = api(manager).get(ws_url() + f"?lead={outsider.pk}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("role", "status"),
    [("manager", 200), ("viewer", 200), ("executive", 200), ("vendor", 403)],
)
def test_workstream_list_by_role(api, users_by_role, role, status):
    assert api(users_by_role[role]).get(ws_url()).status_code == status


def test_workstream_list_not_a_member_is_404(api, program, outsider):
    response = api(outsider).get(ws_url())
    assert response.status_code == 404
    assert response.json() == {"detail": "No such program"}


def test_workstream_create_by_coordinator(api, program, users_by_role):
    coordinator = users_by_role["coordinator"]
    lead = users_by_role["contributor"]
    before = audit_count()

    response = api(coordinator).post(
        ws_url(), {"name": "Cutover", "lead_id": lead.pk, "description": "Weekend plan"}
    )

    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    ws = Workstream.objects.get(program=program, name="Cutover")
    assert response.json() == {
        "key": "WS-1",
        "name": "Cutover",
        "lead": {"id": lead.pk, "full_name": lead.full_name},
        "description": "Weekend plan",
        "status": "active",
        "version": 1,
        "created_at": iso(ws.created_at),
        "updated_at": iso(ws.updated_at),
    }
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.object_repr) == ("create", coordinator, "WS-1 Cutover")
    assert audit_count() == before + 1


def test_workstream_create_by_contributor_is_403(api, program, users_by_role):
    response = api(users_by_role["contributor"]).post(ws_url(), {"name": "Sneaky"})
    assert response.status_code == 403
    assert not Workstream.objects.filter(program=program).exists()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({}, {"name": ["This field is required."]}),
        ({"name": "X", "lead_id": "abc"}, {"lead_id": ["A valid integer is required."]}),
        (
            {"name": "X", "lead_id": 10**30},
            {"lead_id": ["Ensure this value is less than or equal to 9223372036854775807."]},
        ),
        ({"name": "X", "status": "done"}, {"status": ['"done" is not a valid choice.']}),
        ({"name": "Taken"}, {"name": ["This program already has a workstream with that name."]}),
    ],
)
def test_workstream_create_bad_input_is_400_and_saves_nothing(api, program, manager, data, errors):
    WorkstreamFactory(program=program, name="Taken")
    count, audits = Workstream.objects.count(), audit_count()
    response = api(manager).post(ws_url(), data)
    assert response.status_code == 400
    assert response.json() == errors
    assert (Workstream.objects.count(), audit_count()) == (count, audits)


def test_workstream_create_lead_must_be_a_member(api, program, manager, outsider):
    response = api(manager).post(ws_url(), {"name": "X", "lead_id": outsider.pk})
    assert response.status_code == 400
    assert response.json() == {"lead": [f"User {outsider.pk} is not a member of ERP."]}
    assert not Workstream.objects.filter(program=program).exists()


def test_workstream_lead_error_from_the_service_comes_through(api, program, manager, monkeypatch):
    """A member who leaves between validation and save: the service's {"lead": ...} is a 400."""
    lead = member(program, Role.CONTRIBUTOR).user
    monkeypatch.setattr("programs.api.serializers._member_or_error", lambda program, pk, f: lead)

    def refuse(program, user, field):
        raise services.ValidationError({field: f"{user} is not a member of {program.code}."})

    monkeypatch.setattr("programs.services._check_member", refuse)
    response = api(manager).post(ws_url(), {"name": "X", "lead_id": lead.pk})
    assert response.status_code == 400
    assert response.json() == {"lead": [f"{lead} is not a member of ERP."]}
    assert not Workstream.objects.filter(program=program).exists()


def test_workstream_retrieve(api, program, manager, workstream):
    response = api(manager).get(ws_url("WS-1"))
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["key"] == "WS-1"
    assert api(manager).get(ws_url("WS-99")).status_code == 404


def test_workstream_patch_bumps_version_etag_and_audits(api, program, manager, workstream):
    lead = member(program, Role.CONTRIBUTOR, full_name="Lea Dership").user

    response = api(manager).patch(
        ws_url("WS-1"), {"lead_id": lead.pk, "status": "on_hold"}, HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["lead"], body["status"], body["version"]) == (
        {"id": lead.pk, "full_name": "Lea Dership"}, "on_hold", 2,
    )  # fmt: skip
    workstream.refresh_from_db()
    assert (workstream.lead, workstream.status, workstream.version) == (lead, "on_hold", 2)
    entry = AuditEntry.objects.filter(object_id=str(workstream.pk), action="update").get()
    assert entry.changes == {
        "lead": [
            {"id": manager.pk, "repr": str(manager)},
            {"id": lead.pk, "repr": "Lea Dership"},
        ],
        "status": ["active", "on_hold"],
    }


def test_workstream_patch_clears_lead(api, program, manager, workstream):
    response = api(manager).patch(ws_url("WS-1"), {"lead_id": None, "version": 1})
    assert response.status_code == 200
    assert response.json()["lead"] is None


def test_workstream_put(api, program, manager, workstream):
    response = api(manager).put(
        ws_url("WS-1"),
        {"name": "Migration", "description": "", "status": "closed"},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["status"]) == ("Migration", "closed")


def test_workstream_patch_without_version_is_428(api, program, manager, workstream):
    response = api(manager).patch(ws_url("WS-1"), {"name": "Blind"})
    assert response.status_code == 428
    assert set(response.json()) == {"detail"}
    workstream.refresh_from_db()
    assert (workstream.name, workstream.version) == ("Data migration", 1)


def test_workstream_patch_stale_is_412_and_changes_nothing(api, program, manager, workstream):
    coordinator = member(program, Role.COORDINATOR, full_name="Cora Ordinator").user
    services.workstream_update(
        actor=coordinator, workstream=workstream, expected_version=1, name="Data move"
    )
    audits = audit_count()

    response = api(manager).patch(
        ws_url("WS-1"), {"name": "Mine", "status": "closed"}, HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    workstream.refresh_from_db()
    assert response.json() == {
        "detail": "WS-1 Data move was changed by someone else (your version 1, current version 2).",
        "current": {
            "key": "WS-1",
            "name": "Data move",
            "lead": {"id": manager.pk, "full_name": manager.full_name},
            "description": "Delivers part of the program.",
            "status": "active",
            "version": 2,
            "created_at": iso(workstream.created_at),
            "updated_at": iso(workstream.updated_at),
        },
        "changed_fields": {"name": ["Data migration", "Data move"]},
        "changed_by": ["Cora Ordinator"],
    }
    assert (workstream.name, workstream.status, workstream.version) == ("Data move", "active", 2)
    assert audit_count() == audits


def test_workstream_patch_lead_not_member_is_400(api, program, manager, workstream, outsider):
    response = api(manager).patch(ws_url("WS-1"), {"lead_id": outsider.pk}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert response.json() == {"lead": [f"User {outsider.pk} is not a member of ERP."]}
    workstream.refresh_from_db()
    assert (workstream.lead, workstream.version) == (manager, 1)


def test_workstream_delete(api, program, manager, workstream):
    response = api(manager).delete(ws_url("WS-1"), HTTP_IF_MATCH='"1"')
    assert response.status_code == 204
    assert not Workstream.objects.filter(pk=workstream.pk).exists()
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_repr, entry.actor) == (
        "delete",
        "WS-1 Data migration",
        manager,
    )


def test_workstream_delete_by_coordinator_is_403(api, program, users_by_role, workstream):
    response = api(users_by_role["coordinator"]).delete(ws_url("WS-1"), HTTP_IF_MATCH='"1"')
    assert response.status_code == 403
    assert Workstream.objects.filter(pk=workstream.pk).exists()


def test_workstream_delete_stale_or_blind_is_refused(api, program, manager, workstream):
    services.workstream_update(actor=manager, workstream=workstream, expected_version=1, name="N")
    client = api(manager)
    assert client.delete(ws_url("WS-1")).status_code == 428
    stale = client.delete(ws_url("WS-1"), HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["name"] == "N"
    assert Workstream.objects.filter(pk=workstream.pk).exists()


def test_workstream_browsable_api_renders(program, manager, workstream, client):
    client.force_login(manager)
    assert client.get(ws_url(), HTTP_ACCEPT="text/html").status_code == 200
    assert client.get(ws_url("WS-1"), HTTP_ACCEPT="text/html").status_code == 200


def test_workstream_options_does_not_fail(api, program, manager, workstream):
    assert api(manager).options(ws_url("WS-1")).status_code == 200


# --------------------------------------------------------------------------------------------
# Members


def members_url(pk: int | None = None) -> str:
    return f"{BASE}ERP/members/" + (f"{pk}/" if pk else "")


def test_member_list_exact(api, program, manager):
    m = ProgramMembership.objects.get(program=program, user=manager)
    response = api(manager).get(members_url())
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": m.pk,
            "user": {"id": manager.pk, "full_name": manager.full_name, "email": manager.email},
            "role": "manager",
            "version": 1,
            "created_at": iso(m.created_at),
            "updated_at": iso(m.updated_at),
        }
    ]


@pytest.mark.parametrize("n", [1, 3])
def test_member_list_query_count_is_constant(api, program, manager, n, django_assert_num_queries):
    for _ in range(n):
        member(program, Role.VIEWER)
    client = api(manager)
    with django_assert_num_queries(6):  # savepoint, token, access, count, page, release
        response = client.get(members_url())
    assert response.json()["count"] == n + 1


def test_member_list_filters(api, program, manager):
    member(program, Role.VIEWER, full_name="Vera Viewer", email="vera@example.com")
    member(program, Role.FINANCE, full_name="Finn Ance")
    client = api(manager)
    by_role = client.get(members_url() + "?role=viewer").json()["results"]
    assert [m["user"]["full_name"] for m in by_role] == ["Vera Viewer"]
    by_text = client.get(members_url() + "?q=finn").json()["results"]
    assert [m["role"] for m in by_text] == ["finance"]
    assert client.get(members_url() + "?role=king").status_code == 400


def test_member_add_new_person(api, program, manager):
    response = api(manager).post(
        members_url(),
        {"email": "New.Person@Example.com", "role": "contributor", "full_name": "N P"},
    )
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    user = User.objects.get(email="new.person@example.com")
    body = response.json()
    assert body["user"] == {"id": user.pk, "full_name": "N P", "email": "new.person@example.com"}
    assert body["role"] == "contributor"
    assert ProgramMembership.objects.filter(program=program, user=user, role="contributor").exists()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"email": "nobody@example.com", "role": "viewer"},
            {"full_name": ["Give the full name of a person new to the site."]},
        ),
        ({"email": "not-an-email", "role": "viewer"}, {"email": ["Enter a valid email address."]}),
        ({"email": "x@example.com", "role": "king"}, {"role": ['"king" is not a valid choice.']}),
    ],
)
def test_member_add_bad_input_is_400(api, program, manager, data, errors):
    count = ProgramMembership.objects.count()
    response = api(manager).post(members_url(), data)
    assert response.status_code == 400
    assert response.json() == errors
    assert ProgramMembership.objects.count() == count
    assert not User.objects.filter(email="nobody@example.com").exists()


def test_member_add_existing_member_is_400(api, program, manager):
    response = api(manager).post(members_url(), {"email": manager.email, "role": "viewer"})
    assert response.status_code == 400
    assert response.json() == {"email": [f"{manager} is already a member of ERP."]}


def test_member_add_by_coordinator_is_403(api, program, users_by_role):
    response = api(users_by_role["coordinator"]).post(
        members_url(), {"email": "x@example.com", "role": "viewer", "full_name": "X"}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()


def test_member_change_role(api, program, manager):
    m = member(program, Role.VIEWER)
    client = api(manager)
    assert client.patch(members_url(m.pk), {"role": "finance"}).status_code == 428
    response = client.patch(members_url(m.pk), {"role": "finance"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert (response.json()["role"], response.json()["version"]) == ("finance", 2)
    stale = client.patch(members_url(m.pk), {"role": "viewer"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["changed_fields"] == {"role": ["viewer", "finance"]}
    m.refresh_from_db()
    assert (m.role, m.version) == ("finance", 2)


def test_member_demote_last_manager_is_400(api, program, manager):
    m = ProgramMembership.objects.get(program=program, user=manager)
    response = api(manager).patch(members_url(m.pk), {"role": "viewer"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert response.json() == {
        "role": ["A program needs at least one program manager; appoint another one first."]
    }
    assert api(manager).patch(members_url(m.pk), {}, HTTP_IF_MATCH='"1"').json() == {
        "role": ["This field is required."]
    }
    m.refresh_from_db()
    assert (m.role, m.version) == ("manager", 1)


def test_member_remove(api, program, manager):
    m = member(program, Role.VIEWER)
    response = api(manager).delete(members_url(m.pk), HTTP_IF_MATCH='"1"')
    assert response.status_code == 204
    assert not ProgramMembership.objects.filter(pk=m.pk).exists()


def test_member_remove_a_lead_is_400(api, program, manager):
    m = member(program, Role.CONTRIBUTOR)
    WorkstreamFactory(program=program, lead=m.user)
    response = api(manager).delete(members_url(m.pk), {"version": 1})
    assert response.status_code == 400
    assert response.json() == {
        "role": [f"{m.user} leads a workstream; choose another lead before removing them."]
    }
    assert ProgramMembership.objects.filter(pk=m.pk).exists()


def test_member_put_is_405_and_unknown_is_404(api, program, manager):
    m = ProgramMembership.objects.get(program=program, user=manager)
    client = api(manager)
    assert client.put(members_url(m.pk), {"role": "viewer"}, HTTP_IF_MATCH='"1"').status_code == 405
    assert client.get(members_url(999999)).status_code == 404
    other = ProgramFactory(code="CRM")
    foreign = ProgramMembership.objects.get(program=other)
    assert client.get(members_url(foreign.pk)).status_code == 404


# --------------------------------------------------------------------------------------------
# Activity


def activity_url(query: str = "") -> str:
    return f"{BASE}ERP/activity/{query}"


def test_activity_list_exact(api, program, manager, workstream):
    entry = AuditEntry.objects.filter(
        content_type__model="workstream", object_id=str(workstream.pk)
    ).get()
    response = api(manager).get(activity_url("?object_type=workstream"))
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": entry.pk,
            "timestamp": iso(entry.timestamp),
            "actor": {"id": manager.pk, "name": str(manager)},
            "action": "create",
            "object_type": "programs.workstream",
            "object_id": str(workstream.pk),
            "object_repr": "WS-1 Data migration",
            "object_version": 1,
            "changes": entry.changes,
            "request_id": "",
        }
    ]


def test_activity_is_newest_first_and_filters(api, program, manager, workstream):
    services.workstream_update(actor=manager, workstream=workstream, expected_version=1, name="N")
    client = api(manager)
    actions = [e["action"] for e in client.get(activity_url()).json()["results"]]
    assert actions[0] == "update"
    updates = client.get(activity_url("?action=update")).json()["results"]
    assert [e["object_repr"] for e in updates] == ["WS-1 N"]


def test_activity_records_the_api_request_id(api, program, manager, workstream):
    api(manager).patch(
        ws_url("WS-1"), {"name": "N"}, HTTP_IF_MATCH='"1"', HTTP_X_REQUEST_ID="req-12345678"
    )
    entry = api(manager).get(activity_url("?action=update")).json()["results"][0]
    assert entry["request_id"] == "req-12345678"


@pytest.mark.parametrize("n", [1, 3])
def test_activity_list_query_count_is_constant(api, program, manager, n, django_assert_num_queries):
    for i in range(n):
        WorkstreamFactory(program=program, name=f"S{i}", actor=manager)
    client = api(manager)
    with django_assert_num_queries(6):  # savepoint, token, access, count, page, release
        response = client.get(activity_url())
    assert response.json()["count"] == 2 + n  # program and manager membership, then n streams


def test_activity_is_read_only(api, program, manager):
    client = api(manager)
    count = audit_count()
    assert client.post(activity_url(), {"action": "create"}).status_code == 405
    assert client.delete(activity_url()).status_code == 405
    assert audit_count() == count


@pytest.mark.parametrize(("role", "status"), [("viewer", 200), ("vendor", 403)])
def test_activity_by_role(api, users_by_role, role, status):
    assert api(users_by_role[role]).get(activity_url()).status_code == status


def test_activity_not_a_member_is_404_even_for_writes(api, program, outsider):
    client = api(outsider)
    assert client.get(activity_url()).status_code == 404
    assert client.post(activity_url(), {}).status_code == 404


# --------------------------------------------------------------------------------------------
# Cross-cutting


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        (f"{BASE}ERP/", 4),  # savepoint, token, membership+program+sponsor, release
        (f"{BASE}ERP/workstreams/WS-1/", 5),  # ... plus the workstream with its lead
        (f"{BASE}ERP/activity/", 6),  # ... plus count and page
    ],
)
def test_detail_reads_need_no_query_per_field(
    api, program, manager, workstream, url, queries, django_assert_num_queries
):
    sponsor = member(program, Role.EXECUTIVE).user
    services.program_update(actor=manager, program=program, expected_version=1, sponsor=sponsor)
    client = api(manager)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200


def test_malformed_json_is_400(api, program, manager):
    response = api(manager).generic("POST", ws_url(), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert not Workstream.objects.filter(program=program).exists()


def test_a_race_on_a_unique_row_is_409_not_500(api, program, manager, monkeypatch):
    from django.db import IntegrityError

    def collide(**kwargs):
        raise IntegrityError('duplicate key value violates unique constraint "workstream_key"')

    monkeypatch.setattr(services, "workstream_create", collide)
    response = api(manager).post(ws_url(), {"name": "Twin"})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This conflicts with a change saved at the same moment; reload and retry."
    }


def test_a_deadlock_between_writers_is_409_not_500(api, program, manager, workstream, monkeypatch):
    from django.db import OperationalError

    class Deadlock(Exception):
        pgcode = "40P01"

    def deadlock(**kwargs):
        raise OperationalError("deadlock detected") from Deadlock()

    monkeypatch.setattr(services, "workstream_update", deadlock)
    response = api(manager).patch(ws_url("WS-1"), {"name": "N"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 409
    workstream.refresh_from_db()
    assert workstream.name == "Data migration"
