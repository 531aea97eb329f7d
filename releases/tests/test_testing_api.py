"""Testing API: cycles and cases CRUD with ETag/If-Match, stats, plan/assign, status, runs with
evidence and a defect in the same step, refusals (409), other programs (404)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from releases.models import CycleCase, Defect
from releases.models import TestCase as Case
from releases.models import TestCycle as Cycle
from releases.models import TestRun as Run
from releases.tests import factories
from releases.tests.testing_factories import contributor, media, planned, png, text  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def base(program) -> str:
    return f"/api/v1/programs/{program.code}/"


def test_cycle_crud_with_etag_and_if_match(api, program):
    release = factories.make_release(program)
    response = api.post(
        base(program) + "test-cycles/",
        {"name": "SIT 1", "kind": "integration", "release": release.key.lower()},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response["ETag"] == '"1"'
    key = response.data["key"]
    assert response.data["release"] == release.key
    assert response.data["stats"]["pass_rate"] is None
    row = base(program) + f"test-cycles/{key}/"
    assert api.patch(row, {"name": "x"}, format="json").status_code == 428
    response = api.patch(row, {"name": "SIT one"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    stale = api.patch(row, {"name": "late"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.data["current"]["name"] == "SIT one"
    assert api.delete(row, HTTP_IF_MATCH='"2"').status_code == 204
    assert not Cycle.objects.exists()


def test_cycle_fields_are_checked(api, program):
    response = api.post(
        base(program) + "test-cycles/",
        {"name": "", "kind": "smoke", "release": "REL-99", "owner_id": 999999},
        format="json",
    )
    assert response.status_code == 400
    assert {"name", "kind"} <= set(response.data)


def test_cycle_delete_with_runs_is_409(api, program):
    cc = planned(program)
    factories.record_run(cc, "pass")
    response = api.delete(base(program) + f"test-cycles/{cc.cycle.key}/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 409
    assert "recorded run" in response.data["detail"]


def test_cycle_list_queries_do_not_grow(api, program):
    def fill(prog, n):
        for _ in range(n):
            cc = planned(prog)
            factories.record_run(cc, "pass")

    def count(prog):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(base(prog) + "test-cycles/").status_code == 200
        return len(ctx.captured_queries)

    fill(program, 1)
    other = ProgramFactory(manager=factories.manager_of(program))
    fill(other, 3)
    assert count(program) == count(other)


def test_other_programs_rows_are_404(api, program):
    other = ProgramFactory()
    cycle = factories.make_cycle(other)
    assert api.get(base(program) + f"test-cycles/{cycle.key}/").status_code == 404
    assert api.get(base(other) + "test-cycles/").status_code == 404


def test_stats_plan_assign_and_status(api, program):
    cycle = factories.make_cycle(program)
    req = factories.make_requirement(program)
    a = factories.make_case(program, requirements=[req])
    b = factories.make_case(program)
    tester = contributor(program)
    path = base(program) + f"test-cycles/{cycle.key}/"
    response = api.post(
        path + "plan/", {"cases": [a.key, b.key], "tester_id": tester.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.data == {"added": [a.key, b.key], "already": [], "not_ready": []}
    response = api.post(path + "plan/", {"cases": [a.key]}, format="json")
    assert response.data["already"] == [a.key]
    response = api.post(path + "assign/", {"cases": [b.key], "tester_id": None}, format="json")
    assert response.status_code == 200 and response.data[0]["tester"] is None
    assert (
        api.post(
            path + "assign/", {"cases": ["TC-99"], "tester_id": None}, format="json"
        ).status_code
        == 400
    )
    factories.record_run(CycleCase.objects.get(cycle=cycle, case=a), "fail")
    stats = api.get(path + "stats/").data
    assert stats["stats"] == {
        "planned": 2,
        "not_run": 1,
        "passed": 0,
        "failed": 1,
        "blocked": 0,
        "executed": 1,
        "pct_executed": 50.0,
        "pass_rate": 0.0,
    }
    assert stats["requirements"][0]["key"] == req.key
    assert api.post(path + "status/", {"action": "start"}, format="json").data["status"] == "active"
    refused = api.post(path + "status/", {"action": "close"}, format="json")
    assert refused.status_code == 409 and "not been run" in refused.data["detail"]
    closed = api.post(path + "status/", {"action": "close", "confirm": True}, format="json")
    assert closed.data["status"] == "closed"


def test_record_a_run_with_evidence_and_a_defect_in_one_step(api, program, media):  # noqa: F811
    cc = planned(program)
    path = base(program) + f"test-cycles/{cc.cycle.key}/runs/"
    owner = contributor(program)
    response = api.post(
        path,
        {
            "case": cc.case.key,
            "result": "fail",
            "notes": "Broke",
            "build": "rc1",
            "evidence": [png(), text()],
            "raise_defect": json.dumps({"severity": 1, "priority": "urgent", "owner_id": owner.pk}),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.data
    assert [e["file_name"] for e in response.data["evidence"]] == ["screen.png", "run.log"]
    defect = Defect.objects.get()
    assert response.data["defects"] == [defect.key]
    assert (defect.severity, defect.owner, defect.title) == (
        1,
        owner,
        f"{cc.case.key} failed: {cc.case.title}",
    )
    download = api.get(response.data["evidence"][1]["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="run.log"'
    listed = api.get(path).data
    assert listed["count"] == 1 and listed["results"][0]["result"] == "fail"


def test_run_errors_are_400_and_nothing_is_recorded(api, program):
    cc = planned(program)
    path = base(program) + f"test-cycles/{cc.cycle.key}/runs/"
    response = api.post(path, {"case": cc.case.key, "result": "fail"}, format="json")
    assert response.status_code == 400 and "notes" in response.data
    response = api.post(
        path,
        {"case": cc.case.key, "result": "fail", "notes": "x", "raise_defect": {"title": "y" * 301}},
        format="json",
    )
    assert response.status_code == 400 and "raise_defect" in response.data
    response = api.post(
        path,
        {
            "case": cc.case.key,
            "result": "fail",
            "notes": "x",
            "raise_defect": {"requirement": "REQ-404"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert api.post(path, {"case": "TC-404", "result": "pass"}, format="json").status_code == 404
    assert not Run.objects.exists() and not Defect.objects.exists()


def test_run_on_a_closed_cycle_is_409(api, program):
    cc = planned(program)
    factories.set_state(cc.cycle, status="closed")
    response = api.post(
        base(program) + f"test-cycles/{cc.cycle.key}/runs/",
        {"case": cc.case.key, "result": "pass"},
        format="json",
    )
    assert response.status_code == 409
    assert not Run.objects.exists()


def test_contributor_records_only_their_cases_by_api(program):
    tester = contributor(program)
    mine = planned(program, tester=tester)
    theirs = planned(program, cycle=mine.cycle)
    client = APIClient()
    client.force_authenticate(tester)
    path = base(program) + f"test-cycles/{mine.cycle.key}/runs/"
    assert (
        client.post(path, {"case": mine.case.key, "result": "pass"}, format="json").status_code
        == 201
    )
    assert (
        client.post(path, {"case": theirs.case.key, "result": "pass"}, format="json").status_code
        == 403
    )
    viewer = member(program, Role.VIEWER).user
    client.force_authenticate(viewer)
    assert (
        client.post(path, {"case": mine.case.key, "result": "pass"}, format="json").status_code
        == 403
    )


def test_raise_defect_from_an_earlier_run_by_api(api, program):
    cc = planned(program)
    run = factories.record_run(cc, "fail")
    path = base(program) + f"test-cycles/{cc.cycle.key}/runs/{run.pk}/defect/"
    response = api.post(path, {"title": "Broken", "severity": 3}, format="json")
    assert response.status_code == 201 and len(response.data["defects"]) == 1
    passed = factories.record_run(cc, "pass")
    path = base(program) + f"test-cycles/{cc.cycle.key}/runs/{passed.pk}/defect/"
    assert api.post(path, {}, format="json").status_code == 409


def test_case_crud_with_nested_steps(api, program):
    req = factories.make_requirement(program)
    response = api.post(
        base(program) + "test-cases/",
        {
            "title": "Post a journal",
            "requirements": [req.key],
            "steps": [{"action": "Open FB50", "expected": "Form"}, {"action": "Post"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    key = response.data["key"]
    assert response.data["steps"] == [
        {"position": 1, "action": "Open FB50", "expected": "Form"},
        {"position": 2, "action": "Post", "expected": ""},
    ]
    row = base(program) + f"test-cases/{key}/"
    response = api.patch(
        row,
        {"steps": [{"action": "Post"}], "requirements": []},
        format="json",
        HTTP_IF_MATCH=response["ETag"],
    )
    assert response.status_code == 200
    assert [s["action"] for s in response.data["steps"]] == ["Post"]
    assert response.data["requirements"] == []
    bad = api.patch(
        row, {"requirements": ["REQ-404"]}, format="json", HTTP_IF_MATCH=response["ETag"]
    )
    assert bad.status_code == 400
    retired = api.post(row + "retire/", {}, format="json")
    assert retired.data["status"] == "retired"
    assert (
        api.patch(row, {"title": "x"}, format="json", HTTP_IF_MATCH=retired["ETag"]).status_code
        == 409
    )
    restored = api.post(row + "restore/", {}, format="json")
    assert restored.data["status"] == "draft"
    assert api.delete(row, HTTP_IF_MATCH=restored["ETag"]).status_code == 204
    assert not Case.objects.exists()


def test_case_list_filters_and_flat_queries(api, program):
    def fill(prog, n):
        for _ in range(n):
            case = factories.make_case(prog, requirements=[factories.make_requirement(prog)])
            factories.record_run(factories.plan_case(factories.make_cycle(prog), case), "fail")

    def count(prog):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(base(prog) + "test-cases/").status_code == 200
        return len(ctx.captured_queries)

    fill(program, 1)
    other = ProgramFactory(manager=factories.manager_of(program))
    fill(other, 3)
    assert count(program) == count(other)
    factories.make_case(program)
    never = api.get(base(program) + "test-cases/?result=never").data
    failing = api.get(base(program) + "test-cases/?result=fail").data
    assert (never["count"], failing["count"]) == (1, 1)
