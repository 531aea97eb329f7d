"""RAID log export (risks.exports): CSV and XLSX read back, filters, safety, and the round trip."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.http import QueryDict

from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from risks import exports, services
from risks.imports import import_raid
from risks.models import Action, Assumption, Dependency, Issue, Risk

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(program, manager):
    """A small RAID log with every type, links between items, a WBS link and awkward text."""
    from schedules import services as schedule_services

    ana = member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza").user
    data = WorkstreamFactory(program=program, name="Data Migration", lead=ana)
    crm = ProgramFactory(code="CRM", name="CRM rollout", manager=manager)
    task = schedule_services.item_create(actor=manager, program=program, name="Mock load 3")
    r1 = services.risk_create(
        actor=manager, program=program, title="=HYPERLINK(\"http://x\")", owner=ana,
        workstream=data, category="data", cause="Legacy data", event="Mock load fails",
        effect="Go-live slips", probability=4, impact_schedule=5, impact_cost=3,
        impact_scope=2, impact_quality=4, proximity_date=dt.date(2026, 5, 4),
        response_strategy="mitigate", mitigation_plan="-Cleanse first\n-Then load",
        residual_probability=2, residual_impact=3, cost_impact_amount=Decimal("125000.50"),
        review_date=dt.date(2026, 3, 20), wbs_items=[task],
    )  # fmt: skip
    r2 = services.risk_create(
        actor=manager, program=program, title="Key users unavailable", owner=ana,
        probability=2, impact_schedule=2, impact_cost=1, impact_scope=1, impact_quality=1,
        status="closed",
    )  # fmt: skip
    issue = services.issue_create(
        actor=manager, program=program, title="Mock load 2 rejected", owner=ana, workstream=data,
        severity=3, priority=4, due_date=dt.date(2026, 3, 16), raised_from_risk=r1,
        resolution="",
    )  # fmt: skip
    assumption = services.assumption_create(
        actor=manager, program=program, title="Plants keep the chart of accounts", owner=ana,
        validate_by=dt.date(2026, 4, 1), consequence_if_false="Rework of the GL design",
    )  # fmt: skip
    dep = services.dependency_create(
        actor=manager, program=program, title="Customer master from CRM", owner=ana,
        giver_program=crm, receiver_workstream=data, needed_by=dt.date(2026, 4, 15),
        direction="inbound", status="agreed",
    )  # fmt: skip
    dep2 = services.dependency_create(
        actor=manager, program=program, title="Bank formats", owner=ana,
        giver_external="Treasury", receiver_workstream=data, direction="inbound",
    )  # fmt: skip
    action = services.action_create(
        actor=manager, program=program, subject=issue, title="Re-run cleansing", owner=ana,
        due_date=dt.date(2026, 3, 13), workstream=data,
    )  # fmt: skip
    return {
        "ana": ana, "data": data, "crm": crm, "task": task, "r1": r1, "r2": r2, "issue": issue,
        "assumption": assumption, "dep": dep, "dep2": dep2, "action": action, "pm": manager,
    }  # fmt: skip


def read_csv(lines) -> list[dict[str, str]]:
    text = "".join(lines)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def read_xlsx(**kwargs) -> openpyxl.Workbook:
    target = exports.xlsx_file(**kwargs)
    return openpyxl.load_workbook(io.BytesIO(target.read()))


def sheet_rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_csv_of_the_whole_log(program, log):
    rows = read_csv(exports.csv_lines(program=program, raid_type=None))

    assert [(r["Type"], r["Key"]) for r in rows] == [
        ("Risk", "RSK-1"), ("Risk", "RSK-2"), ("Issue", "ISS-1"), ("Assumption", "ASM-1"),
        ("Dependency", "DEP-1"), ("Dependency", "DEP-2"), ("Action", "ACT-1"),
    ]  # fmt: skip
    risk = rows[0]
    assert risk["Title"] == '\'=HYPERLINK("http://x")'  # neutralised
    assert risk["Mitigation plan"] == "'-Cleanse first\n-Then load"
    assert (risk["Status"], risk["Owner"], risk["Owner name"], risk["Workstream"]) == (
        "Open", "ana@example.com", "Ana Souza", "Data Migration",
    )  # fmt: skip
    assert (risk["Category"], risk["Probability"], risk["Schedule impact"], risk["Cost impact"],
            risk["Score"], risk["Band"]) == ("Data", "4", "5", "3", "20", "Critical")  # fmt: skip
    assert (risk["Cost impact amount"], risk["EMV"], risk["Currency"]) == (
        "125000.50", "87500.35", "EUR",
    )  # fmt: skip
    assert (risk["Proximity date"], risk["Review date"], risk["Residual score"]) == (
        "2026-05-04", "2026-03-20", "6",
    )  # fmt: skip
    assert risk["WBS items"] == log["task"].key
    assert risk["Due date"] == ""  # another type's column stays empty
    assert rows[1]["Status"] == "Closed"
    issue = rows[2]
    assert (issue["Severity"], issue["Priority"], issue["Due date"], issue["Raised from risk"],
            issue["Escalation level"]) == ("High", "Urgent", "2026-03-16", "RSK-1",
                                           "Not escalated")  # fmt: skip
    dep = rows[4]
    assert (dep["Giver type"], dep["Giver"], dep["Receiver type"], dep["Receiver"],
            dep["Needed by"], dep["Direction"]) == (
        "Program", "CRM", "Workstream", "Data Migration", "2026-04-15", "Inbound (we receive)",
    )  # fmt: skip
    assert (rows[5]["Giver type"], rows[5]["Giver"]) == ("External", "Treasury")
    assert (rows[6]["Linked to"], rows[6]["Due date"]) == ("ISS-1", "2026-03-13")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows[0]["Created"])


def test_csv_of_one_type_follows_the_lists_filters_and_sort(program, log):
    data = QueryDict("state=all&sort=score")

    rows = read_csv(exports.csv_lines(program=program, raid_type="risks", data=data))

    assert [r["Key"] for r in rows] == ["RSK-2", "RSK-1"]  # lowest score first
    assert "Due date" not in rows[0]  # only the risk columns
    open_only = read_csv(
        exports.csv_lines(program=program, raid_type="risks", data=QueryDict("state=open"))
    )
    assert [r["Key"] for r in open_only] == ["RSK-1"]
    by_owner = read_csv(
        exports.csv_lines(
            program=program, raid_type="actions", data=QueryDict(f"owner={log['pm'].pk}")
        )
    )
    assert by_owner == []


def test_xlsx_has_a_sheet_per_type_with_real_dates_and_numbers(program, log):
    book = read_xlsx(program=program, raid_type=None, exported_by="Priya Raman")

    assert book.sheetnames == [
        "Risks", "Issues", "Assumptions", "Dependencies", "Actions", "About this export",
    ]  # fmt: skip
    risks = sheet_rows(book["Risks"])
    assert [r["Key"] for r in risks] == ["RSK-1", "RSK-2"]
    first = risks[0]
    assert first["Title"] == '=HYPERLINK("http://x")'  # text, not a formula
    assert book["Risks"]["B2"].data_type == "s"
    assert first["Review date"] == dt.datetime(2026, 3, 20)
    assert (first["Probability"], first["Score"], first["Cost impact amount"], first["EMV"]) == (
        4, 20, 125000.5, 87500.35,
    )  # fmt: skip
    assert book["Risks"].freeze_panes == "A2"
    assert book["Risks"].auto_filter.ref == "A1:AH3"
    assert sheet_rows(book["Actions"])[0]["Linked to"] == "ISS-1"
    about = {r[0]: r[1] for r in book["About this export"].iter_rows(min_row=3, values_only=True)}
    assert about["Program"] == "ERP · ERP migration"
    assert about["Exported by"] == "Priya Raman"
    assert about["Contents"] == "2 risks, 1 issue, 1 assumption, 2 dependencies, 1 action"
    assert about["Filters"] == "none: every item"


def test_xlsx_of_one_filtered_type(program, log):
    book = read_xlsx(program=program, raid_type="risks", data=QueryDict("state=closed"))

    assert book.sheetnames == ["Risks", "About this export"]
    assert [r["Key"] for r in sheet_rows(book["Risks"])] == ["RSK-2"]


def test_empty_log_exports_headers_only(program):
    rows = list(exports.csv_lines(program=program, raid_type=None))
    book = read_xlsx(program=program, raid_type="issues", data=QueryDict())

    assert len(rows) == 1 and rows[0].startswith("\ufeffType,Key,Title,")
    assert sheet_rows(book["Issues"]) == []


def test_export_reads_a_fixed_number_of_queries(program, log, django_assert_max_num_queries):
    for n in range(30):
        services.risk_create(actor=log["pm"], program=program, title=f"Risk {n}", owner=log["ana"])

    with django_assert_max_num_queries(20):
        rows = read_csv(exports.csv_lines(program=program, raid_type=None))

    assert len(rows) == 37


@pytest.fixture
def twin(log, manager):
    """A second program with the same people and workstream names, for the round trip."""
    other = ProgramFactory(code="ERP2", name="ERP wave 2", manager=manager)
    member(other, Role.CONTRIBUTOR, email="x@example.com")
    from programs import services as program_services

    program_services.membership_add(
        actor=manager, program=other, email="ana@example.com", role=Role.CONTRIBUTOR
    )
    program_services.membership_add(
        actor=manager, program=log["crm"], email="ana@example.com", role=Role.CONTRIBUTOR
    )
    WorkstreamFactory(program=other, name="Data Migration", lead=log["ana"])
    return other


COMPARED = {
    Risk: (
        "title", "description", "status", "category", "cause", "event", "effect", "probability",
        "impact_schedule", "impact_cost", "impact_scope", "impact_quality", "proximity_date",
        "response_strategy", "mitigation_plan", "contingency_plan", "trigger",
        "residual_probability", "residual_impact", "cost_impact_amount", "review_date",
        "last_reviewed_on", "score", "residual_score", "emv", "owner__email", "workstream__name",
        "key",
    ),
    Issue: ("title", "status", "severity", "priority", "due_date", "resolution", "resolved_on",
            "raised_from_risk__title", "owner__email", "workstream__name", "key"),
    Assumption: ("title", "status", "validate_by", "consequence_if_false", "validated_on",
                 "owner__email", "key"),
    Dependency: ("title", "status", "direction", "giver_program__code", "giver_workstream__name",
                 "giver_external", "receiver_program__code", "receiver_workstream__name",
                 "receiver_external", "needed_by", "owner__email", "key"),
    Action: ("title", "status", "due_date", "completed_on", "subject_key", "owner__email",
             "workstream__name", "key"),
}  # fmt: skip


def snapshot_of(program) -> dict:
    return {
        model.__name__: list(
            model.objects.filter(program=program).order_by("number").values(*fields)
        )
        for model, fields in COMPARED.items()
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_into_another_program_gives_the_same_items(program, log, twin, fmt):
    from schedules import services as schedule_services

    # the WBS link needs the same schedule item over there
    schedule_services.item_create(actor=log["pm"], program=twin, name="Mock load 3")
    if fmt == "csv":
        data = "".join(exports.csv_lines(program=program, raid_type=None)).encode("utf-8")
    else:
        data = exports.xlsx_file(program=program, raid_type=None).read()

    result = import_raid(actor=log["pm"], program=twin, data=data, filename=f"erp.{fmt}")

    assert result.total == 7
    assert result.plan.notes == []
    assert snapshot_of(twin) == snapshot_of(program)
    assert [i.key for i in Risk.objects.get(program=twin, key="RSK-1").wbs_items.all()] == [
        log["task"].key
    ]


def test_reimporting_an_export_into_the_same_program_is_refused(program, log):
    data = "".join(exports.csv_lines(program=program, raid_type="risks", data=QueryDict())).encode()

    with pytest.raises(Exception) as excinfo:
        import_raid(actor=log["pm"], program=program, data=data)

    tail = "Remove the row, or clear its key to add it anyway."
    assert [str(p) for p in excinfo.value.problems] == [
        "Line 2: Key: ERP already has RSK-1 with this title: the file looks like an export of "
        f"ERP, and importing it would add the item twice. {tail}",
        # line 4: the first row's mitigation plan holds a line break
        "Line 4: Key: ERP already has RSK-2 with this title: the file looks like an export of "
        f"ERP, and importing it would add the item twice. {tail}",
    ]


def test_templates(program):
    header = exports.template_csv()
    target = io.BytesIO()
    exports.template_xlsx(target)
    book = openpyxl.load_workbook(io.BytesIO(target.getvalue()))

    assert header.startswith("\ufeffType,Key,Title,Description,Status,Owner,Workstream,")
    assert book.sheetnames == [
        "Risks", "Issues", "Assumptions", "Dependencies", "Actions", "Read me",
    ]  # fmt: skip
    assert [c.value for c in book["Actions"][1]] == [
        "Key", "Title", "Description", "Status", "Owner", "Workstream", "Due date", "Linked to",
        "WBS items",
    ]  # fmt: skip
    validations = {str(dv.sqref).split(":")[0]: dv.formula1
                   for dv in book["Risks"].data_validations.dataValidation}  # fmt: skip
    assert validations["D2"] == '"Open,Monitoring,Occurred (issue raised),Closed"'
    # an empty template imports nothing, and says so
    with pytest.raises(Exception) as excinfo:
        import_raid(actor=None, program=program, data=target.getvalue(), filename="t.xlsx")
    assert [str(p) for p in excinfo.value.problems] == ["The file has no rows to import."]


def test_export_command(program, log, tmp_path):
    out = io.StringIO()
    call_command("export_raid", "--program", "ERP", "--type", "risks", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert [r["Key"] for r in rows] == ["RSK-1", "RSK-2"]  # every state

    path = tmp_path / "erp.xlsx"
    call_command("export_raid", "--program", "ERP", "--output", str(path), stderr=io.StringIO())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:5] == ["Risks", "Issues", "Assumptions", "Dependencies", "Actions"]
