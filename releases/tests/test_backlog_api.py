"""Backlog API through APIClient: CRUD by key with ETag/If-Match (412 stale, 428 none), filters,
400 field errors, 409 refusals, 404 for other programs, the move and assign actions (the lead
may, others 403), cycles refused with the chain, iterations (CRUD, close) and flat list
queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from programs.tests.factories import ProgramFactory
from releases.models import BacklogItem, Iteration
from releases.services import backlog as services
from releases.tests.backlog_factories import item, iteration, make_backlog, ranked, scored

pytestmark = pytest.mark.django_db
API = "/api/v1/programs/ERP/backlog/"
ITER = "/api/v1/programs/ERP/iterations/"
MON = dt.date(2026, 11, 2)


@pytest.fixture
def bl(program):
    return make_backlog(program)


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_create_retrieve_and_etag(bl):
    c = api(bl.lead)
    created = c.post(API, {"title": "Parallel ledgers", "workstream": bl.finance.key,
                           "business_value": 8, "time_criticality": 5, "risk_reduction": 3,
                           "job_size": 2, "priority": "must"}, format="json")  # fmt: skip

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["wsjf"], body["rank"], body["workstream"], created["ETag"]) == (
        "8.00",
        1,
        bl.finance.key,
        '"1"',
    )
    got = c.get(f"{API}{body['key']}/")
    assert got.status_code == 200 and got["ETag"] == '"1"'


def test_bad_fields_answer_400(bl):
    response = api(bl.manager).post(API, {"title": "", "workstream": "WS-99",
                                          "job_size": 0}, format="json")  # fmt: skip

    assert response.status_code == 400
    assert {"title", "job_size"} <= set(response.json())


def test_update_needs_if_match_and_refuses_stale(bl):
    row = item(bl, title="One")
    c = api(bl.manager)

    assert c.patch(f"{API}{row.key}/", {"title": "Two"}, format="json").status_code == 428
    ok = c.patch(f"{API}{row.key}/", {"title": "Two"}, format="json", HTTP_IF_MATCH='"1"')
    assert (ok.status_code, ok["ETag"]) == (200, '"2"')
    stale = c.patch(f"{API}{row.key}/", {"title": "Three"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["title"] == "Two"


def test_dependencies_by_key_with_cycle_refused(bl):
    a, b = item(bl), item(bl, bl.integration)
    c = api(bl.manager)

    ok = c.patch(f"{API}{a.key}/", {"depends_on": [b.key]}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.json()["cross_team"] is True
    assert ok.json()["cross_team_workstreams"] == ["Integration"]
    cycle = c.patch(f"{API}{b.key}/", {"depends_on": [a.key]}, format="json",
                    HTTP_IF_MATCH='"1"')  # fmt: skip
    assert cycle.status_code == 400
    assert f"({b.key} → {a.key} → {b.key})" in cycle.json()["depends_on"][0]


def test_delete_refused_while_needed_409(bl):
    needed, row = item(bl), item(bl)
    services.backlog_dependency_add(actor=bl.manager, item=row, depends_on=needed)

    response = api(bl.manager).delete(f"{API}{needed.key}/", HTTP_IF_MATCH='"1"')

    assert response.status_code == 409
    assert BacklogItem.objects.filter(pk=needed.pk).exists()


def test_filters_and_other_programs(bl):
    item(bl, title="Bug one", kind="bug")
    item(bl, title="Story one")
    other = make_backlog(ProgramFactory(code="OTH"))
    theirs = item(other)
    c = api(bl.viewer)

    titles = [r["title"] for r in c.get(API, {"kind": "bug"}).json()["results"]]
    assert titles == ["Bug one"]
    assert c.get(f"{API}{theirs.key}X/").status_code == 404
    assert c.get("/api/v1/programs/OTH/backlog/").status_code == 404
    assert c.post(API, {"title": "x", "workstream": bl.finance.key}).status_code == 403


def test_list_queries_do_not_grow(bl):
    c = api(bl.manager)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(API).status_code == 200
        return len(ctx.captured_queries)

    needed = item(bl, bl.integration)
    services.backlog_dependency_add(actor=bl.manager, item=item(bl), depends_on=needed)
    small = count()
    for _ in range(5):
        services.backlog_dependency_add(actor=bl.manager, item=item(bl), depends_on=needed)
    assert count() == small


def test_move_by_the_lead_and_refused_to_others(bl):
    a, b, c_ = item(bl), item(bl), item(bl)

    moved = api(bl.lead).post(f"{API}{c_.key}/move/", {"position": 1}, format="json")
    assert (moved.status_code, moved.json()["rank"]) == (200, 1)
    assert ranked(bl.finance) == [c_.key, a.key, b.key]
    api(bl.lead).post(f"{API}{a.key}/move/", {"before": c_.key}, format="json")
    assert ranked(bl.finance) == [a.key, c_.key, b.key]
    assert api(bl.contributor).post(f"{API}{b.key}/move/", {"direction": "top"},
                                    format="json").status_code == 403  # fmt: skip
    assert api(bl.lead).post(f"{API}{b.key}/move/", {}, format="json").status_code == 400


def test_assign_rules(bl):
    own = iteration(bl, "FI 1", MON, workstream=bl.finance)
    theirs = iteration(bl, "INT 1", MON, workstream=bl.integration)
    row = scored(bl, 5, 5)
    c = api(bl.lead)

    refused = c.post(f"{API}{row.key}/assign/", {"iteration": theirs.pk}, format="json")
    assert refused.status_code == 400 and "belongs to Integration" in str(refused.json())
    ok = c.post(f"{API}{row.key}/assign/", {"iteration": own.pk}, format="json")
    assert (ok.status_code, ok.json()["iteration_name"]) == (200, "FI 1")
    back = c.post(f"{API}{row.key}/assign/", {"iteration": None}, format="json")
    assert back.json()["iteration"] is None


def test_iterations_crud_and_close(bl):
    c = api(bl.manager)
    one = c.post(ITER, {"name": "FI 1", "workstream": bl.finance.key, "start_date": "2026-11-02",
                        "end_date": "2026-11-15", "capacity": "20"}, format="json")  # fmt: skip
    assert one.status_code == 201, one.json()
    backwards = c.post(ITER, {"name": "FI 0", "start_date": "2026-11-02",
                              "end_date": "2026-11-01"}, format="json")  # fmt: skip
    assert backwards.status_code == 400 and "end_date" in backwards.json()
    pk = one.json()["id"]
    row = item(bl, iteration=Iteration.objects.get(pk=pk))
    assert c.get(ITER).json()["results"][0]["committed"] == "0.0"
    refused = c.delete(f"{ITER}{pk}/", HTTP_IF_MATCH='"1"')
    assert refused.status_code == 409
    closed = c.post(f"{ITER}{pk}/close/", {"move_to": None}, format="json")
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    row.refresh_from_db()
    assert row.iteration is None
    assert c.post(f"{ITER}{pk}/close/", {}, format="json").status_code == 409
    assert api(bl.lead).post(ITER, {"name": "x"}, format="json").status_code == 403
