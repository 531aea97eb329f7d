"""Testing pages through the client: lists and details (query counts flat), the run form with
its defect option and errors, planning, assignment, closing, cases with steps, downloads."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from releases.models import CycleCase, Defect, RunEvidence
from releases.models import TestCase as Case
from releases.models import TestRun as Run
from releases.services import testing_runs
from releases.tests import factories
from releases.tests.testing_factories import contributor, media, planned, png, text  # noqa: F401

pytestmark = pytest.mark.django_db


def url(name, program, **kwargs):
    return reverse(f"releases:{name}", kwargs={"code": program.code, **kwargs})


@pytest.fixture
def pm_client(client, manager):
    client.force_login(manager)
    return client


def _fill(program, n: int):
    """A cycle with n planned cases, each run (with evidence rows), requirements and a tester."""
    release = factories.make_release(program)
    cycle = factories.make_cycle(program, release=release)
    tester = contributor(program)
    for i in range(n):
        req = factories.make_requirement(program)
        cc = planned(program, cycle=cycle, tester=tester, requirements=[req])
        run = factories.record_run(cc, ["pass", "fail", "blocked"][i % 3])
        RunEvidence.objects.create(
            program=program,
            run=run,
            file="x/y.txt",
            file_name="y.txt",
            size=3,
            content_type="text/plain",
            sha256="0" * 64,
        )
        factories.make_defect(program, test_case=cc.case, test_run=run)
    return cycle


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "page",
    [
        "cycle_list",
        "cycle_detail",
        "cycle_requirements",
        "cycle_testers",
        "cycle_runs",
        "case_list",
        "case_detail",
    ],
)
def test_page_queries_do_not_grow_with_rows(pm_client, program, page):
    small = _fill(program, 1)
    other = ProgramFactory(manager=factories.manager_of(program))
    large = _fill(other, 4)

    def path(prog, cycle):
        if page.startswith("cycle_") and page != "cycle_list":
            return url(page, prog, key=cycle.key)
        if page == "case_detail":
            return url(page, prog, key=Case.objects.filter(program=prog).first().key)
        return url(page, prog)

    assert _count(pm_client, path(program, small)) == _count(pm_client, path(other, large))


def test_cycle_list_shows_progress_and_pass_rate(pm_client, program):
    cycle = _fill(program, 3)
    page = pm_client.get(url("cycle_list", program)).content.decode()
    assert cycle.key in page and "3 of 3 run" in page and "33.3%" in page


def test_cycle_list_filters_by_htmx_give_the_table(pm_client, program):
    factories.make_cycle(program, kind="uat", name="Finance UAT")
    factories.make_cycle(program, kind="integration", name="SIT")
    response = pm_client.get(url("cycle_list", program) + "?kind=uat", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="cycle-table"')
    assert "Finance UAT" in body and "SIT" not in body


def test_cycle_detail_my_cases_filter(program):
    from django.test import Client

    tester = contributor(program)
    mine = planned(program, tester=tester)
    theirs = planned(program, cycle=mine.cycle, tester=contributor(program))
    client = Client()
    client.force_login(tester)
    body = client.get(
        url("cycle_detail", program, key=mine.cycle.key) + "?tester=me"
    ).content.decode()
    assert mine.case.title in body and theirs.case.title not in body


def test_run_form_errors_keep_the_input(pm_client, program):
    cc = planned(program)
    path = url("run_record", program, key=cc.cycle.key, id=cc.pk)
    response = pm_client.post(
        path,
        {
            "result": "fail",
            "notes": "",
            "build": "rc-7",
            "raise_defect": "on",
            "defect_title": "Kept title",
            "defect_severity": "1",
            "defect_priority": "urgent",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "notes are required for a failed or blocked run" in body
    assert 'value="rc-7"' in body and 'value="Kept title"' in body
    assert '<details class="tst-defect" open' in body
    assert not Run.objects.exists()


def test_run_form_prefills_the_defect_title(pm_client, program):
    cc = planned(program)
    body = pm_client.get(url("run_record", program, key=cc.cycle.key, id=cc.pk)).content.decode()
    assert f"{cc.case.key} failed: {cc.case.title}" in body


def test_run_form_records_a_fail_with_evidence_and_raises_the_defect(pm_client, program, media):  # noqa: F811
    cc = planned(program)
    response = pm_client.post(
        url("run_record", program, key=cc.cycle.key, id=cc.pk),
        {
            "result": "fail",
            "notes": "GLT2 201",
            "evidence": [png(), text()],
            "raise_defect": "on",
            "defect_title": "Splitting fails",
            "defect_severity": "2",
            "defect_priority": "high",
            "next": "/evil.example.com",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/evil.example.com"  # a local path is allowed
    run = Run.objects.get()
    assert run.evidence.count() == 2
    defect = Defect.objects.get()
    assert (defect.title, defect.test_run) == ("Splitting fails", run)


def test_run_form_refuses_an_outside_next(pm_client, program):
    cc = planned(program)
    response = pm_client.post(
        url("run_record", program, key=cc.cycle.key, id=cc.pk),
        {"result": "pass", "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302
    assert response["Location"] == cc.cycle.get_absolute_url()


def test_contributor_cannot_open_the_run_form_of_anothers_case(client, program):
    tester = contributor(program)
    cc = planned(program, tester=contributor(program))
    client.force_login(tester)
    path = url("run_record", program, key=cc.cycle.key, id=cc.pk)
    assert client.get(path).status_code == 403
    assert client.post(path, {"result": "pass"}).status_code == 403
    assert not Run.objects.exists()


def test_run_form_on_a_closed_cycle_sends_back(pm_client, program):
    cc = planned(program)
    factories.set_state(cc.cycle, status="closed")
    path = url("run_record", program, key=cc.cycle.key, id=cc.pk)
    assert pm_client.get(path).status_code == 302
    response = pm_client.post(path, {"result": "pass"}, follow=True)
    assert "is closed" in response.content.decode()
    assert not Run.objects.exists()


def test_plan_and_assign_through_the_pages(pm_client, program):
    cycle = factories.make_cycle(program)
    cases = [factories.make_case(program) for _ in range(3)]
    tester = contributor(program)
    response = pm_client.post(
        url("cycle_plan", program, key=cycle.key), {"cases": [c.pk for c in cases[:2]]}
    )
    assert response.status_code == 302
    planned_rows = list(CycleCase.objects.filter(cycle=cycle))
    assert len(planned_rows) == 2
    response = pm_client.post(
        url("cycle_assign", program, key=cycle.key),
        {"cycle_cases": [planned_rows[0].pk], "tester": tester.pk, "query": "result=not_run"},
    )
    assert response["Location"].endswith("?result=not_run")
    assert CycleCase.objects.get(pk=planned_rows[0].pk).tester == tester
    pm_client.post(
        url("cycle_assign", program, key=cycle.key),
        {"cycle_cases": [planned_rows[0].pk], "unassign": "1"},
    )
    assert CycleCase.objects.get(pk=planned_rows[0].pk).tester is None


def test_plan_without_a_source_keeps_the_form(pm_client, program):
    cycle = factories.make_cycle(program)
    response = pm_client.post(url("cycle_plan", program, key=cycle.key), {})
    assert response.status_code == 400
    assert "Pick cases, a workstream" in response.content.decode()


def test_close_with_cases_not_run_asks_to_confirm(pm_client, program):
    cc = planned(program)
    factories.set_state(cc.cycle, status="active")
    path = url("cycle_close", program, key=cc.cycle.key)
    assert "1 case has not been run" in pm_client.get(path).content.decode()
    response = pm_client.post(path, {"version": cc.cycle.version})
    assert response.status_code == 400
    assert "Confirm to close it anyway" in response.content.decode()
    response = pm_client.post(path, {"version": cc.cycle.version, "confirm": "on"})
    assert response.status_code == 302
    cc.cycle.refresh_from_db()
    assert cc.cycle.status == "closed"


def test_case_form_with_steps_reorders_and_deletes(pm_client, program):
    req = factories.make_requirement(program)
    data = {
        "title": "Post a journal",
        "priority": "must",
        "status": "ready",
        "requirements": [req.pk],
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-0-action": "Second",
        "steps-0-ORDER": "2",
        "steps-1-action": "First",
        "steps-1-ORDER": "1",
        "steps-2-action": "Gone",
        "steps-2-ORDER": "3",
        "steps-2-DELETE": "on",
    }
    response = pm_client.post(url("case_create", program), data)
    assert response.status_code == 302
    case = Case.objects.get(program=program)
    assert list(case.steps.order_by("position").values_list("action", flat=True)) == [
        "First",
        "Second",
    ]
    assert list(case.requirements.all()) == [req]


def test_case_form_more_rows_keeps_what_was_typed(pm_client, program):
    data = {
        "title": "Draft title",
        "priority": "must",
        "status": "ready",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-0-action": "Typed",
        "add_steps": "1",
    }
    response = pm_client.post(url("case_create", program), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="Draft title"' in body and "Typed" in body and 'name="steps-3-action"' in body
    assert not Case.objects.exists()


def test_case_detail_shows_history_evidence_and_raise_button(pm_client, program, media):  # noqa: F811
    cc = planned(program)
    run = testing_runs.run_record(
        actor=factories.manager_of(program),
        cycle_case=cc,
        result="fail",
        notes="Broke",
        files=[text()],
    )
    body = pm_client.get(url("case_detail", program, key=cc.case.key)).content.decode()
    evidence = run.evidence.get()
    assert url("evidence_download", program, id=evidence.pk) in body
    assert url("run_raise_defect", program, pk=run.pk) in body


def test_raise_defect_from_an_earlier_run(pm_client, program):
    run = factories.record_run(planned(program), "fail")
    response = pm_client.post(
        url("run_raise_defect", program, pk=run.pk),
        {"defect_title": "", "defect_severity": "2", "defect_priority": "high"},
    )
    assert response.status_code == 302
    assert Defect.objects.get().test_run == run


def test_evidence_is_an_attachment_and_other_programs_404(pm_client, program, media):  # noqa: F811
    run = testing_runs.run_record(
        actor=factories.manager_of(program),
        cycle_case=planned(program),
        result="pass",
        files=[text(body=b"<script>x</script>")],
    )
    evidence = run.evidence.get()
    response = pm_client.get(url("evidence_download", program, id=evidence.pk))
    assert response["Content-Disposition"] == 'attachment; filename="run.log"'
    assert response["X-Content-Type-Options"] == "nosniff"
    other = ProgramFactory(manager=factories.manager_of(program))
    assert pm_client.get(url("evidence_download", other, id=evidence.pk)).status_code == 404


def test_viewer_reads_but_cannot_record_or_plan(client, program):
    viewer = member(program, Role.VIEWER).user
    cc = planned(program)
    client.force_login(viewer)
    assert client.get(url("cycle_detail", program, key=cc.cycle.key)).status_code == 200
    assert client.get(url("run_record", program, key=cc.cycle.key, id=cc.pk)).status_code == 403
    assert client.post(url("cycle_plan", program, key=cc.cycle.key), {}).status_code == 403
