"""The RAID API: each type's list/create/retrieve/update/delete, filters shared with the pages,
versions (ETag, If-Match, 428/412), ownership (403), bad input (400, nothing changed), the heat
map, snapshots and overdue; query counts over 1 and 3 rows for every list endpoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import AuditEntry
from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from risks import services
from risks.models import Action, Dependency, Issue, Risk
from risks.tests.factories import (
    fresh,
    make_action,
    make_assumption,
    make_dependency,
    make_issue,
    make_risk,
)
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programs/ERP/raid/"


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def rows(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def state() -> tuple:
    return (rows(Risk), rows(Issue), rows(Action), rows(Dependency), AuditEntry.objects.count())


@pytest.fixture
def contributor(program):
    return member(program, Role.CONTRIBUTOR, full_name="Ana Souza").user


# --- risks -----------------------------------------------------------------------------------


def test_create_a_risk_answers_201_with_the_computed_fields_and_etag(program, manager):
    ws = WorkstreamFactory(program=program, name="Data")
    item = ItemFactory(program=program, name="Mock load")

    response = api(manager).post(
        BASE + "risks/",
        {
            "title": "Load rules fail",
            "probability": 4,
            "impact_schedule": 5,
            "impact_cost": 3,
            "impact_scope": 2,
            "impact_quality": 4,
            "residual_probability": 2,
            "residual_impact": 3,
            "cost_impact_amount": "420000.00",
            "owner_email": manager.email,
            "workstream_key": ws.key,
            "wbs_item_keys": [item.key.lower()],
            "category": "data",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["ETag"] == '"1"'
    assert {k: body[k] for k in ("key", "impact", "score", "band", "residual_score", "emv")} == {
        "key": "RSK-1",
        "impact": 5,
        "score": 20,
        "band": "critical",
        "residual_score": 6,
        "emv": "294000.00",
    }
    assert body["owner"] == {"id": manager.pk, "full_name": manager.full_name}
    assert body["workstream"] == {"id": ws.pk, "key": ws.key, "name": "Data"}
    assert body["wbs_items"] == [item.key]
    assert body["status"] == "open"


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"probability": 6}, {"probability": ["Ensure this value is less than or equal to 5."]}),
        ({"impact_cost": 0}, {"impact_cost": ["Ensure this value is greater than or equal to 1."]}),
        ({"residual_probability": 2},
         {"residual_impact": ["Give both residual probability and residual impact, or neither."]}),
        ({"status": "done"}, {"status": ['"done" is not a valid choice.']}),
        ({"wbs_item_keys": ["TSK-99"]}, {"wbs_item_keys": ["No such WBS item in ERP: TSK-99."]}),
        ({"owner": 3}, {"owner": ["To set the owner, send owner_id (a member's user id) or "
                                  "owner_email."]}),
        ({"cost_impact_amount": "-1"},
         {"cost_impact_amount": ["Ensure this value is greater than or equal to 0."]}),
    ],
)  # fmt: skip
def test_bad_risk_input_is_refused_with_reasons_and_nothing_is_created(
    program, manager, payload, errors
):
    before = state()

    response = api(manager).post(BASE + "risks/", {"title": "x", **payload}, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert state() == before


def test_update_with_if_match_then_stale_and_missing_versions(program, manager):
    risk = make_risk(program, probability=2)
    client = api(manager)

    ok = client.patch(BASE + "risks/RSK-1/", {"probability": 5}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200
    assert (ok.json()["score"], ok["ETag"]) == (15, '"2"')

    before = state()
    stale = client.patch(BASE + "risks/RSK-1/", {"title": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["version"] == 2
    assert stale.json()["changed_fields"] == {"probability": [2, 5], "score": [6, 15]}
    missing = client.patch(BASE + "risks/RSK-1/", {"title": "x"}, format="json")
    assert missing.status_code == 428
    assert state() == before
    assert fresh(risk).title == "Data quality risk"


def test_contributor_updates_own_item_but_gets_403_on_others(program, manager, contributor):
    make_risk(program, owner=contributor)
    make_risk(program, owner=manager)
    client = api(contributor)

    own = client.patch(BASE + "risks/RSK-1/", {"trigger": "x", "version": 1}, format="json")
    before = state()
    other = client.patch(BASE + "risks/RSK-2/", {"trigger": "x", "version": 1}, format="json")

    assert own.status_code == 200
    assert other.status_code == 403
    assert "only the RAID items you own" in other.json()["detail"]
    assert state() == before


def test_delete_needs_the_manager_and_a_version(program, manager, contributor):
    make_risk(program, owner=contributor)

    assert api(contributor).delete(BASE + "risks/RSK-1/", HTTP_IF_MATCH='"1"').status_code == 403
    assert api(manager).delete(BASE + "risks/RSK-1/").status_code == 428
    assert api(manager).delete(BASE + "risks/RSK-1/", HTTP_IF_MATCH='"1"').status_code == 204
    assert not Risk.objects.exists()


def test_program_boundary(program, manager):
    make_risk(program)
    stranger = member(ProgramFactory(code="CRM"), Role.MANAGER).user
    vendor = member(program, Role.VENDOR).user
    viewer = member(program, Role.VIEWER).user

    assert api(stranger).get(BASE + "risks/").status_code == 404
    assert api(stranger).get(BASE + "risks/RSK-1/").status_code == 404
    assert api(vendor).get(BASE + "risks/").status_code == 403
    assert api(viewer).get(BASE + "risks/RSK-1/").status_code == 200
    assert api(viewer).post(BASE + "risks/", {"title": "x"}, format="json").status_code == 403
    assert api(manager).get(BASE + "risks/RSK-9/").status_code == 404


# --- lists and filters -----------------------------------------------------------------------


def test_risk_list_filters_are_the_pages(program, manager):
    make_risk(program, title="Vendor data", probability=4, impact_cost=5, category="data")
    make_risk(program, title="Key users", probability=2, impact_cost=1, impact_schedule=1,
              impact_scope=1, impact_quality=1)  # fmt: skip
    closed = make_risk(program, title="Sandbox")
    services.risk_update(actor=manager, risk=closed, expected_version=1, status="closed")
    client = api(manager)

    def keys(query: str) -> list[str]:
        response = client.get(BASE + "risks/?" + query)
        assert response.status_code == 200, response.json()
        return [r["key"] for r in response.json()["results"]]

    assert keys("") == ["RSK-1", "RSK-3", "RSK-2"]  # all states by default, highest score first
    assert keys("state=open") == ["RSK-1", "RSK-2"]
    assert keys("band=critical") == ["RSK-1"]
    assert keys("probability=4&impact=5") == ["RSK-1"]
    assert keys("sort=score") == ["RSK-2", "RSK-3", "RSK-1"]
    assert keys("q=vendor") == ["RSK-1"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("probability=7", "probability"), ("band=huge", "band"), ("state=maybe", "state"),
     ("owner=999999", "owner")],
)  # fmt: skip
def test_bad_filters_answer_400(program, manager, query, field):
    response = api(manager).get(BASE + "risks/?" + query)

    assert response.status_code == 400
    assert list(response.json()) == [field]


# --- other types -----------------------------------------------------------------------------


def test_issue_create_and_escalation_is_read_only(program, manager):
    risk = make_risk(program)

    response = api(manager).post(
        BASE + "issues/",
        {"title": "SIT backlog", "severity": 4, "priority": "3", "due_date": "2026-12-01",
         "raised_from_risk_key": risk.key, "escalation_level": 4},
        format="json",
    )  # fmt: skip

    body = response.json()
    assert response.status_code == 201, body
    assert (body["severity"], body["priority"], body["raised_from_risk"]) == (4, 3, "RSK-1")
    assert (body["escalation_level"], body["escalated_at"]) == (0, None)


def test_dependency_sides_through_the_api(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")
    crm = ProgramFactory(code="CRM", manager=manager)
    secret = ProgramFactory(code="HR")
    client = api(manager)

    created = client.post(
        BASE + "dependencies/",
        {"title": "Customer master", "direction": "outbound", "giver_workstream_key": ws.key,
         "receiver_program_code": "crm"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["giver"] == {
        "kind": "workstream", "program": None, "workstream": ws.key, "external": None,
        "label": "Finance",
    }  # fmt: skip
    assert created.json()["receiver"]["program"] == crm.code

    before = state()
    both = client.post(
        BASE + "dependencies/",
        {"title": "x", "giver_external": "SAP", "giver_workstream_key": ws.key,
         "receiver_external": "Bank"},
        format="json",
    )  # fmt: skip
    hidden = client.post(
        BASE + "dependencies/",
        {"title": "x", "giver_external": "SAP", "receiver_program_code": secret.code},
        format="json",
    )
    none = client.post(BASE + "dependencies/", {"title": "x"}, format="json")
    assert both.status_code == 400 and "giver_program_code" in both.json()
    assert hidden.json() == {"receiver_program_code": ["You are not a member of a program HR."]}
    assert none.status_code == 400 and "giver_program" in none.json()
    assert state() == before


def test_action_on_a_subject_and_its_filter(program, manager):
    make_risk(program)
    client = api(manager)

    created = client.post(
        BASE + "actions/",
        {"title": "Cleanse", "subject_key": "rsk-1", "due_date": "2026-12-01"},
        format="json",
    )
    body = created.json()
    assert created.status_code == 201, body
    assert body["subject"] == {"type": "risks.risk", "id": Risk.objects.get().pk, "key": "RSK-1"}
    listed = client.get(BASE + "actions/?subject=RSK-1").json()
    assert [r["key"] for r in listed["results"]] == ["ACT-1"]
    moved = client.patch(
        BASE + "actions/ACT-1/", {"subject_key": "RSK-1", "version": 1}, format="json"
    )
    assert moved.status_code == 400
    bad = client.post(BASE + "actions/", {"title": "x", "subject_key": "ACT-1"}, format="json")
    assert bad.json() == {
        "subject_key": ["There is no risk, issue, assumption or dependency ACT-1."]
    }


def test_assumption_round_trip(program, manager):
    client = api(manager)
    created = client.post(
        BASE + "assumptions/",
        {"title": "Freeze accepted", "validate_by": "2027-01-15", "consequence_if_false": "x"},
        format="json",
    ).json()

    got = client.get(BASE + "assumptions/ASM-1/")

    assert got.json() == created
    assert got["ETag"] == '"1"'


# --- heat map, snapshots, overdue ------------------------------------------------------------


def test_heat_map(program, manager, django_assert_num_queries):
    make_risk(program, probability=4, impact_cost=5, residual_probability=2, residual_impact=2,
              cost_impact_amount=Decimal("1000"))  # fmt: skip
    make_risk(program, probability=4, impact_cost=5)

    response = api(manager).get(BASE + "heat-map/")

    body = response.json()
    assert body["current"][1] == [0, 0, 0, 0, 2]  # probability 4
    assert body["residual"][3] == [0, 1, 0, 0, 0]  # probability 2
    assert (body["open_risks"], body["residual_assessed"], body["exposure"]) == (2, 1, 40)
    assert body["contingency_reserve"] == "700.00"


def test_snapshots_and_their_bad_input(program, manager):
    make_risk(program)
    services.risk_snapshot_take(program=program, week=dt.date(2026, 11, 16))
    client = api(manager)

    body = client.get(BASE + "snapshots/?weeks=4").json()

    assert [(s["week_start"], s["total_exposure"]) for s in body] == [("2026-11-16", 9)]
    assert client.get(BASE + "snapshots/?weeks=0").status_code == 400
    assert client.get(BASE + "snapshots/?weeks=x").json() == {
        "weeks": ["Give a number of weeks from 1 to 260."]
    }


def test_overdue(program, manager):
    make_issue(program, title="Late", due_date=dt.date(2020, 1, 1), owner=manager)
    make_action(program, title="Fine", due_date=dt.date(2999, 1, 1))

    body = api(manager).get(BASE + "overdue/").json()

    assert [r["key"] for r in body["issues"]] == ["ISS-1"]
    assert body["issues"][0]["owner"] == {"id": manager.pk, "full_name": manager.full_name}
    assert body["issues"][0]["due"] == "2020-01-01"
    assert body["actions"] == []


# --- query counts ----------------------------------------------------------------------------


def _make(kind: str, program, owner, ws, item, i: int):
    common = {"owner": owner, "workstream": ws, "wbs_items": [item]}
    if kind == "risks":
        return make_risk(program, title=f"R{i}", **common)
    if kind == "issues":
        return make_issue(program, title=f"I{i}", raised_from_risk=make_risk(program), **common)
    if kind == "assumptions":
        return make_assumption(program, title=f"A{i}", **common)
    if kind == "dependencies":
        return make_dependency(program, title=f"D{i}", giver_workstream=ws, **common)
    return make_action(program, title=f"X{i}", subject=make_risk(program), **common)


@pytest.mark.parametrize("kind", ["risks", "issues", "assumptions", "dependencies", "actions"])
@pytest.mark.parametrize("n", [1, 3])
def test_list_endpoint_queries_do_not_grow(kind, n, program, manager, django_assert_num_queries):
    ws = WorkstreamFactory(program=program, name="Ops")
    item = ItemFactory(program=program, name="Build")
    owner = member(program, Role.CONTRIBUTOR).user
    for i in range(n):
        _make(kind, program, owner, ws, item, i)
    client = api(manager)

    # savepoint, token, access, count, the page's ids, their rows, their WBS links, release
    with django_assert_num_queries(8):
        response = client.get(BASE + f"{kind}/")

    assert response.json()["count"] == n
    assert all(r["wbs_items"] == [item.key] for r in response.json()["results"])
