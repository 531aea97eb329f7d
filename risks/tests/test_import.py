"""RAID log import (risks.imports): files are checked completely, then all rows or none."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from core.models import AuditEntry, KeySequence
from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from risks import imports, services
from risks.imports import Problem, RaidImportError, import_raid, match_header
from risks.models import Action, Assumption, Dependency, Issue, Risk

pytestmark = pytest.mark.django_db

MODELS = (Risk, Issue, Assumption, Dependency, Action)


@pytest.fixture
def team(program, manager):
    ana = member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza").user
    ken = member(program, Role.CONTRIBUTOR, email="ken@example.com", full_name="Kenji Tanaka").user
    data = WorkstreamFactory(program=program, name="Data Migration", lead=ana)
    finance = WorkstreamFactory(program=program, name="Finance & Controlling")
    crm = ProgramFactory(code="CRM", name="CRM rollout", manager=manager)
    return {"ana": ana, "ken": ken, "data": data, "finance": finance, "crm": crm, "pm": manager}


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.strip("\n").replace("\n", "\r\n").encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def state() -> dict:
    """Everything an import could touch: items, audit entries, key counters."""
    return {
        "items": {m.__name__: list(m.objects.order_by("pk").values()) for m in MODELS},
        "audit": AuditEntry.objects.count(),
        "keys": list(KeySequence.objects.order_by("pk").values()),
    }


def problems_of(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


ONE_TABLE = (
    "Type,Key,Title,Owner,Workstream,Status,Probability (1-5),Schedule impact,"
    "Cost impact,Cost impact amount,Review date,Due date,Linked to,Raised from risk,"
    "Giver,Receiver,Severity\n"
    "Risk,R-1,Legacy data quality delays mock load 3,ana@example.com,Data Migration,Open,"
    '4,4,3,"120,000.00",2026-04-15,,,,,,\n'
    "Risk,R-2,Key users unavailable in August,Kenji Tanaka,,Monitoring,Unlikely,Major,2,"
    "0,,,,,,,\n"
    "Issue,I-1,Mock load 2 rejected,ken@example.com,data migration,In progress,,,,,,"
    "2026-03-20,,R-1,,,High\n"
    "Assumption,,Plants keep their current chart of accounts,ana@example.com,,,,,,,,"
    "2026-05-01,,,,,\n"
    "Dependency,D-1,Bank file formats from treasury,ana@example.com,,Agreed,,,,,,"
    "2026-04-30,,,Treasury (external),Finance & Controlling,\n"
    "Action,A-1,Re-run the cleansing rules,ana@example.com,Data Migration,,,,,,,"
    "2026-03-18,R-1,,,,\n"
    "Action,,Agree the August cover plan,ken@example.com,,Done,,,,,,2026-03-01,I-1,,,,\n"
)


def test_one_table_with_a_type_column_imports_every_type(program, team):
    audit_before = AuditEntry.objects.count()

    result = import_raid(
        actor=team["pm"], program=program, data=csv_bytes(ONE_TABLE), filename="raid.csv"
    )

    assert result.counts == {
        "risks": 2, "issues": 1, "assumptions": 1, "dependencies": 1, "actions": 2,
    }  # fmt: skip
    assert result.total == 7
    assert [(r.where, r.created_key) for r in result.plan.rows] == [
        ("Line 2", "RSK-1"), ("Line 3", "RSK-2"), ("Line 4", "ISS-1"), ("Line 5", "ASM-1"),
        ("Line 6", "DEP-1"), ("Line 7", "ACT-1"), ("Line 8", "ACT-2"),
    ]  # fmt: skip
    r1 = Risk.objects.get(key="RSK-1")
    assert (r1.title, r1.owner, r1.workstream, r1.status) == (
        "Legacy data quality delays mock load 3", team["ana"], team["data"], "open",
    )  # fmt: skip
    assert (r1.probability, r1.impact_schedule, r1.impact_cost, r1.impact) == (4, 4, 3, 4)
    assert (r1.score, r1.cost_impact_amount, r1.emv) == (
        16,
        Decimal("120000.00"),
        Decimal("84000.00"),
    )
    assert r1.review_date == dt.date(2026, 4, 15)
    r2 = Risk.objects.get(key="RSK-2")
    assert (r2.owner, r2.status, r2.probability, r2.impact_schedule, r2.score) == (
        team["ken"], "monitoring", 2, 4, 8,
    )  # fmt: skip
    issue = Issue.objects.get()
    assert (issue.status, issue.severity, issue.due_date, issue.raised_from_risk) == (
        "in_progress", 3, dt.date(2026, 3, 20), r1,
    )  # fmt: skip
    assumption = Assumption.objects.get()
    assert (assumption.validate_by, assumption.status) == (dt.date(2026, 5, 1), "open")
    dep = Dependency.objects.get()
    assert (dep.giver_external, dep.receiver_workstream, dep.needed_by, dep.status) == (
        "Treasury (external)", team["finance"], dt.date(2026, 4, 30), "agreed",
    )  # fmt: skip
    a1, a2 = Action.objects.order_by("number")
    assert (a1.subject_key, a1.object_id, a1.due_date, a1.status) == (
        "RSK-1", r1.pk, dt.date(2026, 3, 18), "open",
    )  # fmt: skip
    assert (a2.subject_key, a2.object_id, a2.status) == ("ISS-1", issue.pk, "done")
    # every item has its creation in the history, by the importing user
    assert AuditEntry.objects.count() - audit_before == 7
    ct = ContentType.objects.get_for_model(Risk)
    entry = AuditEntry.objects.get(content_type=ct, object_id=str(r1.pk))
    assert (entry.action, entry.actor) == ("create", team["pm"])


def test_workbook_with_a_sheet_per_type(program, team):
    data = xlsx_bytes(
        {
            "Read me": [["How to fill this workbook"], ["Anything here is ignored"]],
            "Risks": [
                ["ID", "Risk title", "Risk owner", "Likelihood", "Impact", "Next review"],
                [
                    "R001",
                    "Vendor insolvency",
                    "ana@example.com",
                    "Possible",
                    5,
                    dt.date(2026, 6, 1),
                ],
            ],
            "Actions": [
                ["Ref", "Summary", "Assigned to", "Due", "Related item"],
                [
                    "A001",
                    "Ask for the vendor's accounts",
                    "Kenji Tanaka",
                    dt.date(2026, 3, 31),
                    "R001",
                ],
            ],
        }
    )

    result = import_raid(actor=team["pm"], program=program, data=data, filename="log.xlsx")

    assert [(r.where, r.raid_type, r.created_key) for r in result.plan.rows] == [
        ("Risks row 2", "risks", "RSK-1"),
        ("Actions row 2", "actions", "ACT-1"),
    ]
    risk = Risk.objects.get()
    # a single Impact column sets all four impacts
    assert (risk.probability, risk.impact_schedule, risk.impact_cost, risk.impact_scope,
            risk.impact_quality, risk.score) == (3, 5, 5, 5, 5, 15)  # fmt: skip
    assert risk.review_date == dt.date(2026, 6, 1)
    action = Action.objects.get()
    assert (action.owner, action.due_date, action.subject_key) == (
        team["ken"], dt.date(2026, 3, 31), "RSK-1",
    )  # fmt: skip
    assert result.plan.notes == []


def test_every_bad_row_is_listed_and_nothing_is_imported(program, team):
    services.risk_create(actor=team["pm"], program=program, title="Already here", owner=team["ana"])
    bad = (
        "Type,Key,Title,Owner,Workstream,Status,Probability,Schedule impact,Review date,"
        "Due date,Linked to,Giver,Cost impact amount,Colour\n"
        "Risk,R-1,Fine row,ana@example.com,,,3,3,,,,,,red\n"
        "Risk,R-2,,nobody@example.com,Sales,Open,7,huge,31/12/2026,,,,12.345,\n"
        "Issue,I-1,Bad issue,ana@example.com,,Sleeping,,,,someday,,,,\n"
        "Action,A-1,Orphan action,ana@example.com,,,,,,2026-03-01,R-9,,,\n"
        "Dependency,D-1,No giver,ana@example.com,,,,,,,,,,\n"
        "Action,R-1,Duplicate key,ana@example.com,,,,,,,,,,\n"
        "Thing,,Unknown type,,,,,,,,,,,\n"
        "Risk,RSK-1,Already here,ana@example.com,,,2,2,,,,,,\n"
        "Risk,,Probability on an issue,ana@example.com,,,2,2,,,,,-5,\n"
    )
    before = state()

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=csv_bytes(bad), filename="bad.csv")

    assert problems_of(excinfo) == [
        "Line 3: Title: required.",
        "Line 3: Owner: no member of ERP has the e-mail nobody@example.com.",
        "Line 3: Workstream: ERP has no workstream “Sales”.",
        "Line 3: Probability: 7 is outside 1-5.",
        "Line 3: Schedule impact: “huge” is not a rating: use 1-5 or Negligible, Minor, "
        "Moderate, Major, Severe.",
        "Line 3: Review date: “31/12/2026” is ambiguous (day/month or month/day): write "
        "YYYY-MM-DD.",
        "Line 3: Cost impact amount: 12.345 has more than two decimals.",
        "Line 4: Status: “Sleeping” is not one of Open, In progress, Resolved, Closed.",
        "Line 4: Due date: “someday” is not a date: write YYYY-MM-DD, e.g. 2026-03-31.",
        "Line 5: Linked to: R-9 is neither a key in this file nor an item of ERP.",
        "Line 6: Giver: required: a program code, a workstream or an external party.",
        "Line 6: Receiver: required: a program code, a workstream or an external party.",
        "Line 7: Key: R-1 is also the key of Line 2.",
        "Line 8: Type: “Thing” is not a RAID type: Risk, Issue, Assumption, Dependency or Action.",
        "Line 9: Key: ERP already has RSK-1 with this title: the file looks like an export of "
        "ERP, and importing it would add the item twice. Remove the row, or clear its key to add "
        "it anyway.",
        "Line 10: Cost impact amount: cannot be negative.",
    ]
    assert state() == before


def test_problems_are_reported_in_row_order(program, team):
    bad = """
Type,Title,Probability,Linked to
Action,First,,X-1
Risk,Second,9,
"""
    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=csv_bytes(bad))

    assert problems_of(excinfo) == [
        "Line 2: Linked to: X-1 is neither a key in this file nor an item of ERP.",
        "Line 3: Probability: 9 is outside 1-5.",
    ]


def test_columns_that_do_not_apply_to_the_type_are_refused(program, team):
    bad = """
Type,Title,Probability,Severity,Validate by
Action,Call the vendor,3,,
Assumption,Budget is approved,,High,2026-04-01
"""
    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=csv_bytes(bad))

    assert problems_of(excinfo) == [
        "Line 2: Probability: does not apply to actions (leave it empty).",
        "Line 3: Severity: does not apply to assumptions (leave it empty).",
    ]


def test_a_row_the_model_refuses_is_reported_and_nothing_is_written(program, team, monkeypatch):
    seen = []
    real = Risk.clean

    def refusing(self):
        seen.append(self.title)
        if self.title == "Second":
            raise ValidationError({"owner": ["Ana is on leave."], "__all__": ["Not now."]})
        real(self)

    monkeypatch.setattr(Risk, "clean", refusing)
    data = (
        b"Type,Title,Owner\nRisk,First,ana@example.com\nRisk,Second,ana@example.com\nRisk,Third,\n"
    )
    before = state()

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=data)

    assert seen == ["First", "Second", "Third"]  # the rows after the refused one are checked too
    assert problems_of(excinfo) == ["Line 3: Owner: Ana is on leave.", "Line 3: Not now."]
    assert state() == before


def test_the_databases_own_refusal_imports_nothing(program, team, monkeypatch):
    from django.db import IntegrityError

    monkeypatch.setattr(
        imports, "_audit_rows", lambda *a: (_ for _ in ()).throw(IntegrityError("boom"))
    )
    before = state()

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=b"Type,Title\nRisk,One\n")

    assert problems_of(excinfo) == ["The database refused the import, nothing was saved: boom"]
    assert state() == before


def test_dry_run_checks_everything_and_writes_nothing(program, team):
    before = state()

    result = import_raid(actor=team["pm"], program=program, data=csv_bytes(ONE_TABLE), dry_run=True)

    assert result.dry_run is True
    assert result.total == 7
    assert result.as_dict()["created"] == 0
    assert [r.created_key for r in result.plan.rows][:2] == ["RSK-1", "RSK-2"]
    assert state() == before


# --- reading files ----------------------------------------------------------------------------


def test_semicolon_csv_in_windows_encoding_with_a_bom_less_header(program, team):
    text = "Typ;Title;Owner;Description\nRisk;Währungsrisiko bei Zahlungen;ana@example.com;Café\n"
    text = text.replace("Typ", "Type")

    import_raid(actor=team["pm"], program=program, data=text.encode("cp1252"))

    risk = Risk.objects.get()
    assert (risk.title, risk.description) == ("Währungsrisiko bei Zahlungen", "Café")


def test_multi_line_cells_keep_the_line_numbers_of_their_rows(program, team):
    text = 'Type,Title,Description,Probability\nRisk,One,"first\nsecond\nthird",3\nRisk,Two,,8\n'

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=text.encode())

    assert problems_of(excinfo) == ["Line 5: Probability: 8 is outside 1-5."]


def test_our_formula_guard_is_removed(program, team):
    text = "Type,Title,Description\nRisk,'-5% budget cut,'=SUM(A1)\n"

    import_raid(actor=team["pm"], program=program, data=text.encode())

    risk = Risk.objects.get()
    assert (risk.title, risk.description) == ("-5% budget cut", "=SUM(A1)")


def test_type_from_the_key_prefix_without_a_type_column(program, team):
    text = "Key,Title\nRSK-4,A risk\nACT-9,An action\n"

    result = import_raid(actor=team["pm"], program=program, data=text.encode())

    assert [(r.raid_type, r.created_key) for r in result.plan.rows] == [
        ("risks", "RSK-1"), ("actions", "ACT-1"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "x.csv", "The file is empty."),
        (b"Type,Title\n", "x.csv", "The file has no rows to import."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "log.xls",
         "Old Excel files (.xls) cannot be read: save it as .xlsx or CSV."),
        (b"PK\x03\x04not really a zip", "log.xlsx", None),
        (b"Name,Owner\nSomething,ana@example.com\n", "x.csv", None),
        (b"Key,Title\nR-1,Something\n", "x.csv",
         "Line 1: no Type column: add one (Risk, Issue, Assumption, Dependency or Action), or "
         "name the sheet after the type."),
        (b"Type,Owner\nRisk,ana@example.com\n", "x.csv",
         "Line 1: no Title column (a header named Title, Name, Summary or Subject)."),
        (b"Type,Title,Name\nRisk,a,b\n", "x.csv",
         "Line 1: Name: the same column as \u201cTitle\u201d: keep one of them."),
    ],
)  # fmt: skip
def test_files_that_cannot_be_imported(program, team, data, filename, message):
    before = state()

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=data, filename=filename)

    problems = problems_of(excinfo)
    assert len(problems) == 1
    if message:
        assert problems == [message]
    assert state() == before


def test_a_workbook_sheet_without_title_is_skipped_and_named(program, team):
    data = xlsx_bytes(
        {
            "Lists": [["Status", "Owner"], ["Open", "x"]],
            "Risks": [["Title", "Colour"], ["Scope creep", "red"]],
        }
    )

    result = import_raid(actor=team["pm"], program=program, data=data, filename="x.xlsx")

    assert result.plan.notes == [
        "Sheet “Lists” was skipped: it has no Title column.",
        "Sheet “Risks”: columns not recognised and ignored: Colour.",
    ]
    assert Risk.objects.get().title == "Scope creep"


def test_too_many_rows_are_refused(program, team, monkeypatch):
    monkeypatch.setattr(imports.common, "MAX_ROWS", 3)
    data = ("Type,Title\n" + "Risk,x\n" * 5).encode()

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=data)

    assert problems_of(excinfo)[-1] == "The file has more than 3 rows; split it into parts."


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Probability (1-5)", "probability"), ("LIKELIHOOD", "probability"),
        ("Cost impact (1-5)", "impact_cost"), ("Cost impact amount", "cost_impact_amount"),
        ("Impact (schedule)", "impact_schedule"), ("Owner e-mail", "owner"),
        ("Assigned To", "owner"), ("Work stream", "workstream"), ("due", "due_date"),
        ("Needed-by", "needed_by"), ("Validate by date", "validate_by"), ("#", "key"),
        ("Score", None), ("Colour", None),
    ],
)  # fmt: skip
def test_headers_are_matched_loosely(header, field):
    assert match_header(header) == field


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 3, 5, 0, 0), dt.date(2026, 3, 5)), ("2026-03-05", dt.date(2026, 3, 5)),
        ("2026-3-5", dt.date(2026, 3, 5)), ("5 Mar 2026", dt.date(2026, 3, 5)),
        ("05-Mar-2026", dt.date(2026, 3, 5)), ("March 5, 2026", dt.date(2026, 3, 5)),
        (46086, dt.date(2026, 3, 5)), ("2026-03-05T00:00:00", dt.date(2026, 3, 5)),
    ],
)  # fmt: skip
def test_dates(value, expected):
    assert imports.parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("05/03/2026", "“05/03/2026” is ambiguous (day/month or month/day): write YYYY-MM-DD."),
        ("2026-02-30", "“2026-02-30” is not a valid date (day is out of range for month)."),
        ("soon", "“soon” is not a date: write YYYY-MM-DD, e.g. 2026-03-31."),
    ],
)
def test_bad_dates(value, message):
    with pytest.raises(
        imports.BadValue, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"
    ):
        imports.parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), (3.0, 3), ("4", 4), ("4 - Likely", 4), ("Almost certain", 5), ("very high", 5),
     ("Rare", 1), ("medium", 3)],
)  # fmt: skip
def test_ratings(value, expected):
    assert imports.parse_rating(value, words=imports.PROBABILITY_LABELS) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [(0, "0 is outside 1-5."), (6, "6 is outside 1-5."), (3.5, "“3.5” is not a rating")],
)
def test_ratings_outside_the_scale_are_refused(value, message):
    with pytest.raises(imports.BadValue, match=message.replace(".", r"\.")):
        imports.parse_rating(value, words=imports.IMPACT_LABELS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1,250,000.50", "1250000.50"), ("EUR 300", "300.00"), ("€ 12.5", "12.50"), (99, "99.00"),
     (1250.5, "1250.50"), ("0", "0.00")],
)  # fmt: skip
def test_amounts(value, expected):
    assert imports.parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["12,5", "1.250,00", "ten", "-3"])
def test_bad_amounts(value):
    with pytest.raises(imports.BadValue):
        imports.parse_amount(value)


def test_cost_impact_with_an_amount_hints_at_the_amount_column(program, team):
    data = b"Type,Title,Cost impact\nRisk,Budget overrun,250000\n"

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=data)

    assert problems_of(excinfo) == [
        "Line 2: Cost impact: 250000 is outside 1-5. For an amount, name the column Cost impact "
        "amount."
    ]


def test_dependency_parties_program_workstream_or_external(program, team):
    data = csv_bytes(
        "Type,Title,Giver type,Giver,Receiver,Direction\n"
        "Dependency,Customer master from CRM,,CRM,Data Migration,Inbound\n"
        "Dependency,Cut-over slot from the hosting vendor,External,Data Migration,"
        "Finance & Controlling,we receive\n"
        "Dependency,Chart of accounts to CRM,Workstream,Finance & Controlling,crm,Outbound\n"
    )

    import_raid(actor=team["pm"], program=program, data=data)

    d1, d2, d3 = Dependency.objects.order_by("number")
    assert (d1.giver_program, d1.receiver_workstream, d1.direction) == (
        team["crm"], team["data"], "inbound",
    )  # fmt: skip
    assert (d2.giver_external, d2.receiver_workstream) == ("Data Migration", team["finance"])
    assert (d3.giver_workstream, d3.receiver_program, d3.direction) == (
        team["finance"], team["crm"], "outbound",
    )  # fmt: skip


def test_a_program_the_user_is_not_a_member_of_is_not_found(program, team):
    ProgramFactory(code="HR", name="HR system")
    data = b"Type,Title,Giver type,Giver,Receiver\nDependency,Payroll feed,Program,HR,Finance\n"

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["ana"], program=program, data=data)

    assert problems_of(excinfo) == [
        "Line 2: Giver: “HR” is not a program you are a member of (give its code)."
    ]


def test_owner_by_ambiguous_name_asks_for_the_email(program, team):
    member(program, Role.VIEWER, email="ana2@example.com", full_name="Ana Souza")
    data = b"Type,Title,Owner\nRisk,Scope creep,Ana Souza\n"

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=data)

    assert problems_of(excinfo) == [
        "Line 2: Owner: 2 members are called Ana Souza: give the e-mail address."
    ]


def test_wbs_items_by_key(program, team):
    from schedules import services as schedule_services

    task = schedule_services.item_create(actor=team["pm"], program=program, name="Mock load 3")
    data = f"Type,Title,WBS items\nRisk,Late data,{task.key}\nIssue,Bad load,{task.key}; TSK-99\n"

    with pytest.raises(RaidImportError) as excinfo:
        import_raid(actor=team["pm"], program=program, data=data.encode())
    assert problems_of(excinfo) == ["Line 3: WBS items: ERP has no schedule item TSK-99."]

    import_raid(actor=team["pm"], program=program, data=data.replace("; TSK-99", "").encode())
    assert [i.key for i in Risk.objects.get().wbs_items.all()] == [task.key]
    assert [i.key for i in Issue.objects.get().wbs_items.all()] == [task.key]
    risk = Risk.objects.get()
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Risk), object_id=str(risk.pk)
    )
    assert entry.changes["wbs_items"] == [None, [task.key]]
    assert entry.changes["title"] == [None, "Late data"]
    assert entry.changes["key"] == [None, risk.key]


def test_a_key_the_program_has_for_another_item_is_only_a_reference_in_the_file(program, team):
    existing = services.risk_create(actor=team["pm"], program=program, title="Scope creep")
    data = (
        b"Type,Key,Title,Linked to\nRisk,RSK-1,Vendor insolvency,\nAction,,Ask for accounts,RSK-1\n"
    )

    import_raid(actor=team["pm"], program=program, data=data)

    new = Risk.objects.get(title="Vendor insolvency")
    assert new.key == "RSK-2"
    assert Action.objects.get().object_id == new.pk  # the file's row, not the program's RSK-1
    assert existing.pk != new.pk


def test_problem_text():
    assert str(Problem("Risks row 4", "Owner", "unknown.")) == "Risks row 4: Owner: unknown."
    assert str(Problem("", "", "The file is empty.")) == "The file is empty."


# --- the management command ---------------------------------------------------------------


def test_import_command(program, team, tmp_path):
    path = tmp_path / "raid.csv"
    path.write_bytes(csv_bytes(ONE_TABLE))
    out = io.StringIO()

    call_command("import_raid", str(path), "--program", "ERP", "--dry-run", stdout=out)
    assert Risk.objects.count() == 0
    assert out.getvalue().strip() == (
        "Checked 7 items into ERP: 2 risks, 1 issue, 1 assumption, 1 dependency, 2 actions "
        "(dry run: nothing was imported)."
    )

    call_command("import_raid", str(path), "--program", "ERP", "--actor", "ana@example.com",
                 stdout=out)  # fmt: skip
    assert Risk.objects.count() == 2
    assert AuditEntry.objects.filter(action="create", actor=team["ana"]).count() == 7


def test_import_command_refusal_lists_the_problems(program, team, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Type,Title,Probability\nRisk,A,9\nRisk,,2\n")

    with pytest.raises(CommandError) as excinfo:
        call_command("import_raid", str(path), "--program", "ERP")

    assert str(excinfo.value) == (
        "bad.csv was not imported (2 problems):\n"
        "  - Line 2: Probability: 9 is outside 1-5.\n"
        "  - Line 3: Title: required."
    )
    assert Risk.objects.count() == 0


def test_import_command_unknown_program(tmp_path):
    with pytest.raises(CommandError, match=r"^No program with code NOPE\.$"):
        call_command("import_raid", str(tmp_path / "x.csv"), "--program", "NOPE")


def test_openpyxl_reads_what_the_test_helper_writes():
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"Risks": [["Title"], ["x"]]})))
    assert book.sheetnames == ["Risks"]
