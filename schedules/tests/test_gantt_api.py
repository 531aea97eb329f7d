"""GET /api/v1/programs/<code>/schedule/gantt/: scoping, roles, ETag/304, baselines, bad input."""

from __future__ import annotations

import orjson
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.permissions import Role
from core.tests.factories import UserFactory
from programs.tests.factories import ProgramFactory, manager_of
from schedules import services
from schedules.models import ItemKind
from schedules.selectors.gantt import GANTT_COLUMNS
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

URL = "/api/v1/programs/{code}/schedule/gantt/"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def plan(program):
    a = ItemFactory(program=program, name="Build", duration_minutes=days(3))
    m = ItemFactory(program=program, name="Go-live", kind=ItemKind.MILESTONE)
    link(a, m)
    return a, m


def test_gantt_data_answers_rows_and_an_etag(plan, program, users_by_role):
    response = client_for(users_by_role[Role.VIEWER]).get(URL.format(code="ERP"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["ETag"].startswith('"') and response["Cache-Control"] == "private, no-cache"
    data = orjson.loads(response.content)
    assert data["columns"] == list(GANTT_COLUMNS)
    keys = [r[GANTT_COLUMNS.index("key")] for r in data["rows"]]
    assert keys == [plan[0].key, plan[1].key]
    assert data["links"] == [[plan[0].pk, plan[1].pk, "FS", 0.0]]
    assert data["rows"][0][GANTT_COLUMNS.index("start")] == "2026-01-05"


def test_gantt_data_unchanged_answers_304_until_the_schedule_changes(plan, program, manager):
    client = client_for(manager)
    first = client.get(URL.format(code="ERP"))
    etag = first["ETag"]

    again = client.get(URL.format(code="ERP"), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b"" and again["ETag"] == etag

    build = plan[0]
    services.item_update(
        actor=manager, item=build, expected_version=build.version, duration_minutes=days(4)
    )
    changed = client.get(URL.format(code="ERP"), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    row = orjson.loads(changed.content)["rows"][0]
    assert row[GANTT_COLUMNS.index("finish")] == "2026-01-08"


def test_gantt_data_with_an_older_baseline(plan, program, manager):
    old = services.baseline_create(actor=manager, program=program, name="Original")
    build = plan[0]
    services.item_update(
        actor=manager, item=build, expected_version=build.version, duration_minutes=days(4)
    )
    services.baseline_create(actor=manager, program=program, name="Re-plan")
    client = client_for(manager)

    current = orjson.loads(client.get(URL.format(code="ERP")).content)
    older = orjson.loads(client.get(URL.format(code="ERP") + f"?baseline={old.pk}").content)

    col = GANTT_COLUMNS.index("baseline_finish")
    assert current["rows"][0][col] == "2026-01-08"
    assert older["rows"][0][col] == "2026-01-07"
    assert older["baseline"]["name"] == "Original"


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "9" * 30])
def test_gantt_data_bad_baseline_parameter_is_400(value, plan, manager):
    response = client_for(manager).get(URL.format(code="ERP"), {"baseline": value})

    assert response.status_code == 400
    assert "baseline" in response.json()


def test_gantt_data_baseline_of_another_program_is_404(plan, manager):
    other = ProgramFactory(code="CRM")
    ItemFactory(program=other, name="Elsewhere")
    theirs = services.baseline_create(actor=manager_of(other), program=other, name="Theirs")

    response = client_for(manager).get(URL.format(code="ERP"), {"baseline": theirs.pk})

    assert response.status_code == 404


def test_gantt_data_is_404_for_non_members_and_unknown_programs(plan):
    outsider = UserFactory()

    assert client_for(outsider).get(URL.format(code="ERP")).status_code == 404
    assert client_for(outsider).get(URL.format(code="NOPE")).status_code == 404


def test_gantt_data_is_403_for_vendors_and_401_anonymous(plan, users_by_role):
    assert client_for(users_by_role[Role.VENDOR]).get(URL.format(code="ERP")).status_code == 403
    assert client_for().get(URL.format(code="ERP")).status_code == 401


@pytest.mark.parametrize("n", [1, 4])
def test_gantt_data_query_count_does_not_grow(n, program, manager, count_queries):
    for i in range(n):
        ItemFactory(program=program, name=f"T{i}", owner=manager)
    services.baseline_create(actor=manager, program=program, name="B1")
    client = client_for(manager)

    with count_queries() as ctx:
        response = client.get(URL.format(code="ERP"))

    assert response.status_code == 200
    assert len(orjson.loads(response.content)["rows"]) == n
    # savepoint, token, membership, schedule, baseline, items, links, workstreams, owners, release
    assert len(ctx.captured_queries) == 10


def test_gantt_data_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", {"format": "json"})

    assert schema.status_code == 200
    operation = schema.json()["paths"]["/api/v1/programs/{code}/schedule/gantt/"]["get"]
    assert set(operation["responses"]) >= {"200", "304", "400", "401", "403", "404"}
    assert {p["name"] for p in operation["parameters"]} >= {"baseline", "If-None-Match"}
