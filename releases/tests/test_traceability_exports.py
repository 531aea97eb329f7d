"""The matrix's CSV and XLSX downloads from the page, read back with csv and openpyxl: one row
per requirement with its lists joined, the filters applied, hostile text neutralised, the
About sheet, and bad filters refused with a 400 page."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from releases.exports import traceability as exports
from releases.tests import factories
from releases.tests.traceability_factories import (
    HOSTILE_CASE,
    HOSTILE_DEFECT,
    HOSTILE_TITLE,
    full_requirement,
    setting,
)

pytestmark = pytest.mark.django_db
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def url(name: str, program) -> str:
    return reverse(f"releases:{name}", kwargs={"code": program.code})


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def read_csv(response) -> list[dict[str, str]]:
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def rows(program):
    """A fully linked requirement (failing, blocked), an untested one with hostile text, and
    an accepted passing one."""
    where = setting(program)
    full = full_requirement(program, where, 1, cases=2)
    hostile = factories.make_requirement(program, title=HOSTILE_TITLE)
    factories.make_defect(program, requirement=hostile, severity=2, title=HOSTILE_DEFECT)
    factories.make_case(program, requirements=[hostile], title=HOSTILE_CASE)
    covered = factories.make_requirement(program, title="Dunning letters", priority="could")
    case = factories.make_case(program, requirements=[covered])
    factories.record_run(factories.plan_case(where.cycle_2, case), "pass")
    factories.set_state(covered, status="accepted")
    return {"full": full, "hostile": hostile, "covered": covered, "release": where.release}


def test_the_csv_has_one_row_per_requirement_with_its_lists_joined(manager_client, program, rows):
    response = manager_client.get(url("traceability_csv", program))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"{program.code}-traceability-" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    data = read_csv(response)
    assert list(data[0]) == exports.HEADER
    assert [r["Key"] for r in data] == [rows["full"].key, rows["hostile"].key, rows["covered"].key]
    full = data[0]
    cases = list(rows["full"].test_cases.order_by("number"))
    assert full["Test cases (latest result)"] == f"{cases[0].key} fail; {cases[1].key} pass"
    assert full["Priority"] == "Must" and full["Status"] == "Proposed"
    assert full["Releases"] == rows["release"].version_label
    deliverable = rows["full"].deliverables.get()
    assert full["WBS deliverables"] == f"{deliverable.key} {deliverable.name}"
    assert re.fullmatch(r"DEF-\d+ S1 new; DEF-\d+ S3 new", full["Open defects"])
    change = rows["full"].change_requests.get()
    assert full["Change requests"] == f"{change.key} draft"
    assert full["Gaps"] == "Failing test; Open blocking defect; Unaccepted"
    assert STAMP.match(full["Latest run (UTC)"])
    assert data[2]["Gaps"] == "Covered"
    assert data[1]["Latest run (UTC)"] == ""


def test_the_csv_neutralises_text_a_spreadsheet_would_run(manager_client, program, rows):
    (hostile,) = [
        r for r in read_csv(manager_client.get(url("traceability_csv", program)))
        if r["Key"] == rows["hostile"].key
    ]  # fmt: skip
    assert hostile["Title"] == "'" + HOSTILE_TITLE
    assert hostile["Test cases (latest result)"].endswith("not run")
    for row in read_csv(manager_client.get(url("traceability_csv", program))):
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_csv_follows_the_filters(manager_client, program, rows):
    response = manager_client.get(url("traceability_csv", program), {"gap": "covered"})
    assert [r["Key"] for r in read_csv(response)] == [rows["covered"].key]
    response = manager_client.get(url("traceability_csv", program), {"priority": "wont"})
    assert read_csv(response) == []


def test_the_workbook_reads_back_with_a_frozen_header_and_an_about_sheet(
    manager_client, program, rows, manager
):
    response = manager_client.get(
        url("traceability_xlsx", program), {"release": rows["release"].key}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    assert book.sheetnames == ["Traceability", "About this export"]
    sheet = book["Traceability"]
    assert sheet.freeze_panes == "A2"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == exports.HEADER
    assert [row[0] for row in values[1:]] == [rows["full"].key]  # the release's scope only
    assert values[1][exports.HEADER.index("Gaps")] == (
        "Failing test; Open blocking defect; Unaccepted"
    )
    about = {row[0]: row[1] for row in book["About this export"].iter_rows(values_only=True)}
    assert about["Filters"] == f"release {rows['release'].version_label}"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", about["Generated"])
    assert about["Generated by"] == str(manager)
    assert about["Requirements"] == "1"


def test_the_workbook_writes_hostile_text_as_text(manager_client, program, rows):
    book = openpyxl.load_workbook(
        io.BytesIO(body(manager_client.get(url("traceability_xlsx", program))))
    )
    sheet = book["Traceability"]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@"))
    titles = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'" + HOSTILE_TITLE in titles
    defects = [row[9] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert any(d and d.startswith("DEF-") for d in defects)


def test_bad_export_filters_answer_400_with_the_reasons(manager_client, program, rows):
    for name in ("traceability_csv", "traceability_xlsx"):
        response = manager_client.get(url(name, program), {"gap": "nope", "status": "done"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "The export could not be made" in html
        assert "“nope” is not a gap" in html and "“done” is not a status" in html


def test_exports_are_scoped_like_the_page(client, program, rows, users_by_role):
    client.force_login(users_by_role[Role.VIEWER])
    assert client.get(url("traceability_csv", program)).status_code == 200
    client.force_login(users_by_role[Role.VENDOR])
    assert client.get(url("traceability_csv", program)).status_code == 403
    client.force_login(member(ProgramFactory()).user)
    assert client.get(url("traceability_xlsx", program)).status_code == 404
