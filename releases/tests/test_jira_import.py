"""The Jira CSV import on a realistic "Export issues > CSV (all fields)" file written by hand from
Jira's column names: repeated Sprint and Labels columns, a quoted multi-line Description, a BOM,
Jira's date format. All or nothing: missing required columns are each named and bad rows are
each listed with their line, and nothing is written. Existing issue keys update their item. The
page (check, preview, confirm), the API (400 with every problem) and the management command."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from core.models import AuditEntry
from releases.models import BacklogItem, Iteration
from releases.services.jira_import import JiraImportError, jira_import_check, jira_import_run
from releases.tests.backlog_factories import client, item, iteration, make_backlog

pytestmark = pytest.mark.django_db

HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name",
    "Priority", "Resolution", "Assignee", "Reporter", "Creator", "Created", "Updated",
    "Last Viewed", "Resolved", "Fix Version/s", "Component/s", "Due Date", "Labels", "Labels",
    "Description", "Sprint", "Sprint", "Custom field (Story Points)",
    "Custom field (Story point estimate)", "Parent", "Parent summary",
]  # fmt: skip


def row(summary, key, kind="Story", status="To Do", priority="Medium", assignee="",
        labels=("", ""), description="", sprints=("", ""), points="", estimate=""):  # fmt: skip
    return [
        summary, key, str(10000 + len(key)), kind, status, "FIN", "Finance S/4",
        priority, "", assignee, "Lena Lead", "Lena Lead", "12/Oct/26 9:41 AM",
        "03/Nov/26 4:05 PM", "", "", "Wave 1", "GL", "", labels[0], labels[1], description,
        sprints[0], sprints[1], points, estimate, "FIN-1", "Finance core",
    ]  # fmt: skip


DESCRIPTION = (
    'As an *AP clerk* I want "three-way match" tolerances, so that small price\r\n'
    "differences do not block payment.\r\n\r\nh3. Acceptance criteria\r\n"
    "* within 2 %, or 50 EUR, the invoice is released"
)


def export(rows, header=HEADER, bom=True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


@pytest.fixture
def bl(program):
    return make_backlog(program)


@pytest.fixture
def sprints(bl):
    start = dt.date(2026, 11, 2)
    return {
        "s11": iteration(bl, "FIN Sprint 11", start, workstream=bl.finance),
        "s12": iteration(bl, "FIN Sprint 12", start + dt.timedelta(days=14), workstream=bl.finance),
    }


def realistic(bl) -> bytes:
    return export([
        row("Three-way match tolerance keys", "FIN-231", status="In Progress", priority="High",
            assignee="Lena Lead", labels=("wave-1", "ap"), description=DESCRIPTION,
            sprints=("FIN Sprint 11", "FIN Sprint 12"), points="5"),
        row("Bank statement import (CAMT.053)", "FIN-232", kind="Task",
            status="Selected for Development", priority="Highest",
            assignee=bl.contributor.email, sprints=("FIN Sprint 12", ""), estimate="3"),
        row("Posting period blocks prior periods", "FIN-233", kind="Bug", status="Done",
            priority="Low", sprints=("FIN Sprint 11", ""), points="2", labels=("", "gl")),
        row("Dunning letters in Czech", "FIN-234", kind="Sub-task", status="Code Review",
            priority="Lowest", points="1.5"),
        row("Cash-flow forecast spike", "FIN-235", kind="Spike", status="Backlog",
            priority=""),
    ])  # fmt: skip


def test_a_realistic_export_is_imported(bl, sprints):
    plan = jira_import_run(actor=bl.manager, program=bl.program, workstream=bl.finance,
                           data=realistic(bl))  # fmt: skip

    assert (plan.count("create"), plan.count("update")) == (5, 0)
    items = {i.external_key: i for i in BacklogItem.objects.filter(program=bl.program)}
    first = items["FIN-231"]
    assert (first.title, first.kind, first.status, first.priority) == (
        "Three-way match tolerance keys",
        "story",
        "in_progress",
        "must",
    )
    assert first.iteration == sprints["s12"]  # the last Sprint column is the current sprint
    assert (first.assignee, first.estimate, first.labels) == (bl.lead, Decimal("5.0"),
                                                              "wave-1, ap")  # fmt: skip
    assert first.description == DESCRIPTION  # quoted, multi-line, with commas and quotes
    assert first.workstream == bl.finance and first.key.startswith("PBI-")
    second = items["FIN-232"]
    assert (second.kind, second.status, second.priority, second.assignee, second.estimate) == (
        "task",
        "ready",
        "must",
        bl.contributor,
        Decimal("3.0"),
    )  # story point estimate column
    assert (items["FIN-233"].kind, items["FIN-233"].status, items["FIN-233"].labels) == (
        "bug",
        "done",
        "gl",
    )
    assert (
        items["FIN-234"].kind,
        items["FIN-234"].status,
        items["FIN-234"].priority,
        items["FIN-234"].estimate,
    ) == ("task", "in_review", "wont", Decimal("1.5"))
    assert (items["FIN-235"].kind, items["FIN-235"].status, items["FIN-235"].priority) == (
        "spike",
        "new",
        "should",
    )
    assert sorted(i.rank for i in items.values()) == [1, 2, 3, 4, 5]
    assert "Created" in plan.not_kept and "Project key" in plan.ignored_columns
    assert AuditEntry.objects.filter(object_repr__startswith="PBI-", action="create").count() == 5


def test_without_bom_and_a_known_key_updates_the_item(bl, sprints):
    known = item(bl, title="Old title", external_key="FIN-231", status="new")
    same = item(bl, title="Cash-flow forecast spike", external_key="FIN-235", kind="spike")

    plan = jira_import_run(actor=bl.manager, program=bl.program, workstream=bl.finance,
                           data=realistic(bl)[3:])  # fmt: skip

    known.refresh_from_db()
    assert (plan.count("create"), plan.count("update"), plan.count("unchanged")) == (3, 1, 1)
    assert (known.key, known.title, known.status, known.iteration) == (
        "PBI-1",
        "Three-way match tolerance keys",
        "in_progress",
        sprints["s12"],
    )
    assert same.version == BacklogItem.objects.get(pk=same.pk).version
    assert BacklogItem.objects.count() == 5


def test_a_known_key_of_another_workstream_stays_there(bl):
    known = item(bl, bl.integration, title="Old", external_key="FIN-9")

    jira_import_run(actor=bl.manager, program=bl.program, workstream=bl.finance,
                    data=export([row("New title", "FIN-9")]))  # fmt: skip

    known.refresh_from_db()
    assert (known.title, known.workstream) == ("New title", bl.integration)


def test_missing_required_columns_are_each_named_and_nothing_is_imported(bl):
    header = [h for h in HEADER if h not in ("Issue key", "Status")]
    rows = [[c for h, c in zip(HEADER, r, strict=True) if h not in ("Issue key", "Status")]
            for r in [row("A story", "FIN-1")]]  # fmt: skip

    with pytest.raises(JiraImportError) as exc:
        jira_import_run(actor=bl.manager, program=bl.program, workstream=bl.finance,
                        data=export(rows, header=header))  # fmt: skip

    assert [(p.column, p.message) for p in exc.value.problems] == [
        ("Issue key", "The header has no “Issue key” column."),
        ("Status", "The header has no “Status” column."),
    ]
    assert not BacklogItem.objects.exists()


def test_every_bad_row_is_listed_with_its_line_and_nothing_is_imported(bl, sprints):
    data = export([
        row("Fine story", "FIN-1"),
        row("Multi\nline description first", "FIN-2", description="one\r\ntwo\r\nthree"),
        row("Bad status", "FIN-3", status="Waiting for QA"),
        row("", "FIN-4", kind="Feature"),
        row("Unknown person", "FIN-5", assignee="Zoe Nobody"),
        row("Unknown sprint", "FIN-6", sprints=("FIN Sprint 99", "")),
        row("Bad points", "FIN-7", points="five"),
        row("Duplicate", "FIN-1", priority="Urgent"),
    ])  # fmt: skip

    with pytest.raises(JiraImportError) as exc:
        jira_import_run(actor=bl.manager, program=bl.program, workstream=bl.finance, data=data)

    got = [(p.where, p.column) for p in exc.value.problems]
    assert got == [
        ("Line 7", "Status"),  # the record before it spans lines 3 to 6
        ("Line 8", "Summary"), ("Line 8", "Issue Type"),
        ("Line 9", "Assignee"),
        ("Line 10", "Sprint"),
        ("Line 11", "Story Points"),
        ("Line 12", "Issue key"), ("Line 12", "Priority"),
    ]  # fmt: skip
    messages = {(p.where, p.column): p.message for p in exc.value.problems}
    assert "allowed: To Do, Open, Backlog, Selected for Development" in messages["Line 7", "Status"]
    assert "“Zoe Nobody” is not a member of ERP" in messages["Line 9", "Assignee"]
    assert "tick “create missing iterations”" in messages["Line 10", "Sprint"]
    assert "FIN-1 is also on line 2" in messages["Line 12", "Issue key"]
    assert not BacklogItem.objects.exists()


def test_unknown_sprints_are_created_when_asked(bl, sprints):
    data = export([row("Story", "FIN-9", sprints=("FIN Sprint 13", "")),
                   row("Other", "FIN-10", sprints=("FIN Sprint 13", ""))])  # fmt: skip

    plan = jira_import_check(program=bl.program, workstream=bl.finance, data=data,
                             create_missing=True)  # fmt: skip
    assert [i["name"] for i in plan.new_iterations] == ["FIN Sprint 13"]
    assert plan.new_iterations[0]["start_date"] == sprints["s12"].end_date + dt.timedelta(days=1)
    jira_import_run(actor=bl.manager, program=bl.program, workstream=bl.finance, data=data,
                    create_missing=True)  # fmt: skip

    made = Iteration.objects.get(name="FIN Sprint 13")
    assert made.workstream == bl.finance
    assert set(BacklogItem.objects.values_list("iteration", flat=True)) == {made.pk}


def test_another_workstreams_sprint_is_refused(bl):
    iteration(bl, "INT Sprint 4", dt.date(2026, 11, 2), workstream=bl.integration)

    with pytest.raises(JiraImportError, match="belongs to Integration"):
        jira_import_check(
            program=bl.program,
            workstream=bl.finance,
            data=export([row("Story", "FIN-9", sprints=("INT Sprint 4", ""))]),
        )


def test_a_file_that_is_not_utf8_is_refused(bl):
    data = export([row("Zahlungsläufe", "FIN-9")], bom=False).decode().encode("latin-1")

    with pytest.raises(JiraImportError, match="not UTF-8"):
        jira_import_check(program=bl.program, workstream=bl.finance, data=data)


# --- the page -------------------------------------------------------------------------------------

PAGE = "/programs/ERP/releases/backlog/import/"


def upload(data: bytes, name="Jira.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_page_checks_previews_and_imports_on_confirmation(bl, sprints):
    c = client(bl.manager)
    item(bl, title="Old", external_key="FIN-231")

    preview = c.post(PAGE, {"file": upload(realistic(bl)), "workstream": bl.finance.pk})

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Ready to import Jira.csv" in html and "Update PBI-1" in html
    assert BacklogItem.objects.count() == 1  # nothing written yet
    token = preview.context["token"]
    done = c.post(PAGE, {"token": token})
    assert done.status_code == 302
    assert BacklogItem.objects.count() == 5
    assert c.post(PAGE, {"token": token}).status_code == 400  # a token imports once


def test_page_lists_every_problem_and_keeps_the_workstream(bl):
    c = client(bl.manager)
    header = [h for h in HEADER if h != "Summary"]
    data = export([[v for h, v in zip(HEADER, row("x", "FIN-1"), strict=True)
                    if h != "Summary"]], header=header)  # fmt: skip

    response = c.post(PAGE, {"file": upload(data), "workstream": bl.integration.pk})

    assert response.status_code == 400
    html = response.content.decode()
    assert "The header lacks 1 required column" in html and "<strong>Summary</strong>" in html
    assert response.context["form"]["workstream"].value() == str(bl.integration.pk)


def test_page_is_for_importers_only(bl):
    assert client(bl.lead).get(PAGE).status_code == 403
    assert client(bl.manager).get(PAGE).status_code == 200


# --- the API and the command --------------------------------------------------------------------

API = "/api/v1/programs/ERP/backlog/import/"


def test_api_answers_400_with_every_problem(bl):
    api = APIClient()
    api.force_authenticate(bl.manager)
    data = export([row("Bad", "FIN-1", status="Blocked"), row("Bad too", "nope")])

    response = api.post(API, {"file": upload(data), "workstream": bl.finance.key},
                        format="multipart")  # fmt: skip

    assert response.status_code == 400
    assert [(p["where"], p["column"]) for p in response.json()["problems"]] == [
        ("Line 2", "Status"),
        ("Line 3", "Issue key"),
    ]
    assert not BacklogItem.objects.exists()


def test_api_checks_then_imports(bl, sprints):
    api = APIClient()
    api.force_authenticate(bl.manager)

    check = api.post(API, {"file": upload(realistic(bl)), "workstream": bl.finance.key,
                           "check": "true"}, format="multipart")  # fmt: skip
    assert (check.status_code, check.json()["create"]) == (200, 5)
    assert not BacklogItem.objects.exists()
    done = api.post(API, {"file": upload(realistic(bl)), "workstream": bl.finance.key},
                    format="multipart")  # fmt: skip
    assert (done.status_code, done.json()["create"]) == (201, 5)


def test_command_dry_run_and_import(bl, sprints, tmp_path):
    path = tmp_path / "jira.csv"
    path.write_bytes(realistic(bl))
    out = io.StringIO()

    call_command("import_jira", str(path), program="ERP", workstream="Finance", dry_run=True,
                 stdout=out)  # fmt: skip
    assert "5 to create" in out.getvalue() and not BacklogItem.objects.exists()
    call_command("import_jira", str(path), program="ERP", workstream="Finance", stdout=out)
    assert BacklogItem.objects.count() == 5


def test_command_lists_problems_and_fails(bl, tmp_path):
    path = tmp_path / "jira.csv"
    path.write_bytes(export([row("Bad", "FIN-1", status="Blocked")]))

    with pytest.raises(CommandError, match="Line 2: Status"):
        call_command("import_jira", str(path), program="ERP", workstream="Finance")
