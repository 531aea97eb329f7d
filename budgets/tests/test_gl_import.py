"""The general-ledger import: mapping by key or by cost centre + GL account, all or nothing with
every bad row listed with its line and reason, duplicates refused, XLSX as well as CSV, audit
rows, the page (check, preview, confirm), the API (400 with every problem, 201 with counts),
the template downloads, the size limit and the management command."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from budgets.models import CostEntry, CostSource, GLImport
from budgets.services.gl_import import GLImportError, gl_import_run
from budgets.tests.actuals_factories import HEADER, OCT, TODAY, client, gl_csv, make_budget
from core.models import AuditEntry

pytestmark = pytest.mark.django_db

PAGE = "/programs/ERP/budget/actuals/import/"
API = "/api/v1/programs/ERP/budget/gl-imports/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def budget(db):
    return make_budget()


def good_rows(budget) -> list[list[str]]:
    return [
        ["2026-10-31", "2026-10", "610000", "Finance & Controlling", "", "JE-1",
         "Payroll October", "10250.40", "EUR"],
        ["2026-10-31", "2026-10", "610000", "Operations", "", "JE-2", "Payroll October",
         "8100.00", "eur"],
        ["2026-10-20", "", "", "", budget.travel.key, "JE-3", "Flights", "-120.00", "EUR"],
    ]  # fmt: skip


def run(budget, data, **kwargs):
    return gl_import_run(actor=budget.cast.finance, program=budget.program, data=data,
                         filename="extract.csv", **kwargs)  # fmt: skip


def test_rows_map_by_key_or_by_cost_centre_and_account_and_are_audited(budget):
    plan = run(budget, gl_csv(good_rows(budget)))
    entries = {e.reference: e for e in CostEntry.objects.all()}
    assert entries["JE-1"].line == budget.labour and entries["JE-2"].line == budget.ops_labour
    assert entries["JE-3"].line == budget.travel and entries["JE-3"].month == OCT
    assert entries["JE-3"].amount == Decimal("-120.00")
    assert {e.source for e in entries.values()} == {CostSource.GL_IMPORT}
    gl = GLImport.objects.get()
    assert (gl.rows, gl.total, plan.total) == (3, Decimal("18230.40"), Decimal("18230.40"))
    assert {e.gl_import_id for e in entries.values()} == {gl.pk}
    audited = AuditEntry.objects.filter(
        content_type__model="costentry", object_id__in=[str(e.pk) for e in entries.values()]
    )
    assert audited.count() == 3 and {a.actor for a in audited} == {budget.cast.finance}


def test_one_bad_row_imports_nothing_and_every_problem_is_listed(budget):
    rows = [
        *good_rows(budget),
        ["2026-10-31", "2026-10", "", "", "BL-999", "JE-4", "x", "1.00", "EUR"],
        ["2026-10-31", "2026-10", "", "", budget.travel.key, "JE-5", "x", "1.00", "USD"],
        ["2026-10-31", "2026-10", "", "", budget.travel.key, "JE-6", "x", "1.00", "XYZ"],
        ["2026-10-31", "2027-09", "", "", budget.travel.key, "JE-7", "x", "1.00", "EUR"],
        ["2026-10-31", "2026-10", "", "", budget.travel.key, "JE-8", "x", "ten", "EUR"],
        ["2026-10-31", "2026-10", "", "", budget.travel.key, "JE-9", "x", "1.005", "EUR"],
        ["2026-10-31", "2026-10", "999999", "Operations", "", "JE-10", "x", "1.00", "EUR"],
    ]
    with pytest.raises(GLImportError) as caught:
        run(budget, gl_csv(rows))
    found = [(p.where, p.column) for p in caught.value.problems]
    assert found == [
        ("Line 5", "Budget line"), ("Line 6", "Currency"), ("Line 7", "Currency"),
        ("Line 8", "Period"), ("Line 9", "Amount"), ("Line 10", "Amount"),
        ("Line 11", "Budget line"),
    ]  # fmt: skip
    messages = [p.message for p in caught.value.problems]
    assert "no budget line BL-999" in messages[0]
    assert "not ERP's currency (EUR)" in messages[1]
    assert "not a known ISO 4217 currency" in messages[2]
    assert "outside the program" in messages[3]
    assert "not an amount" in messages[4] and "more than two decimals" in messages[5]
    assert "GL account 999999" in messages[6]
    assert not CostEntry.objects.exists() and not GLImport.objects.exists()


def test_a_document_imported_before_is_refused(budget):
    run(budget, gl_csv(good_rows(budget)))
    with pytest.raises(GLImportError) as caught:
        run(budget, gl_csv(good_rows(budget)[:1]))
    assert "imported before" in caught.value.problems[0].message
    assert CostEntry.objects.count() == 3


def test_missing_columns_and_an_empty_file_are_refused(budget):
    with pytest.raises(GLImportError, match="no Amount column"):
        run(budget, gl_csv([], header=[h for h in HEADER if h != "Amount"]))
    with pytest.raises(GLImportError, match="empty"):
        run(budget, b"")


def test_check_only_books_nothing(budget):
    plan = run(budget, gl_csv(good_rows(budget)), dry_run=True)
    assert len(plan.rows) == 3 and not CostEntry.objects.exists()
    assert [(p["line"], p["rows"]) for p in plan.per_line] == [
        (budget.labour, 1), (budget.travel, 1), (budget.ops_labour, 1),
    ]  # fmt: skip


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_date_and_number_cells(budget):
    rows = [[dt.datetime(2026, 10, 31), "2026-10", 610000, "Operations", None, "JE-X",
             "Payroll", 8100.5, "EUR"]]  # fmt: skip
    run(budget, xlsx(rows))
    entry = CostEntry.objects.get()
    assert (entry.line, entry.amount, entry.posted_on) == (
        budget.ops_labour, Decimal("8100.50"), dt.date(2026, 10, 31),
    )  # fmt: skip
    with pytest.raises(GLImportError) as caught:
        run(budget, xlsx([[dt.date(2026, 10, 31), "2026-10", None, None, "BL-1", "JE-Y", "",
                           0.125, "EUR"]]))  # fmt: skip
    assert caught.value.problems[0].where == "Row 2"


# --- the page -----------------------------------------------------------------------------------


def upload(data: bytes, name="extract.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_page_checks_previews_then_confirms(budget):
    c = client(budget.cast.finance)
    preview = c.post(PAGE, {"file": upload(gl_csv(good_rows(budget)))})
    body = preview.content.decode()
    assert preview.status_code == 200 and "Ready to import extract.csv" in body
    assert "18,230.40" in body and not CostEntry.objects.exists()
    token = body.split('name="token" value="')[1].split('"')[0]
    done = c.post(PAGE, {"token": token})
    assert done.status_code == 302 and CostEntry.objects.count() == 3
    again = c.post(PAGE, {"token": token})
    assert again.status_code == 400 and "no longer kept" in again.content.decode()


def test_page_lists_every_problem_and_imports_nothing(budget):
    rows = [
        *good_rows(budget),
        ["2026-10-31", "2026-10", "", "", "BL-999", "JE-4", "x", "1", "EUR"],
        ["bad", "2026-10", "", "", budget.travel.key, "JE-5", "x", "1", "EUR"],
    ]
    response = client(budget.cast.finance).post(PAGE, {"file": upload(gl_csv(rows))})
    body = response.content.decode()
    assert response.status_code == 400 and "2 problems in 2 rows" in body
    assert "Line 5" in body and "Line 6" in body and "not a date" in body
    assert not CostEntry.objects.exists()


def test_page_refuses_too_large_and_wrong_type_files(budget, settings):
    settings.BUDGETS_GL_IMPORT_MAX_BYTES = 100
    c = client(budget.cast.finance)
    big = c.post(PAGE, {"file": upload(gl_csv(good_rows(budget)))})
    assert big.status_code == 400 and "can be at most 100 bytes" in big.content.decode()
    pdf = c.post(PAGE, {"file": upload(b"%PDF-1.4", name="extract.pdf")})
    assert pdf.status_code == 400 and "not a type accepted" in pdf.content.decode()


def test_templates_download_and_import_as_they_are(budget):
    c = client(budget.cast.viewer)
    csv_text = c.get(PAGE + "template.csv")
    assert csv_text.status_code == 200 and csv_text["Content-Type"].startswith("text/csv")
    book = c.get(PAGE + "template.xlsx")
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert [cell.value for cell in sheet[1]][:2] == ["Posting date", "Period"]
    assert client(budget.cast.contributor).get(PAGE).status_code == 403


# --- API and command ----------------------------------------------------------------------------


def test_api_400_with_every_problem_then_201_with_counts(budget):
    c = APIClient()
    c.force_authenticate(budget.cast.finance)
    rows = [*good_rows(budget), ["2026-10-31", "2026-10", "", "", "BL-999", "JE-4", "", "1", "EUR"]]
    bad = c.post(API, {"file": upload(gl_csv(rows))}, format="multipart")
    assert bad.status_code == 400
    assert bad.json()["problems"][0]["where"] == "Line 5"
    check = c.post(API, {"file": upload(gl_csv(good_rows(budget))), "check": "1"},
                   format="multipart")  # fmt: skip
    assert check.status_code == 200 and check.json()["dry_run"] is True
    assert not CostEntry.objects.exists()
    done = c.post(API, {"file": upload(gl_csv(good_rows(budget)))}, format="multipart")
    assert done.status_code == 201 and done.json()["rows"] == 3
    assert done.json()["total"] == "18230.40"
    assert c.get(API).json()[0]["rows"] == 3
    contributor = APIClient()
    contributor.force_authenticate(budget.cast.contributor)
    assert contributor.post(API, {"file": upload(b"x")}, format="multipart").status_code == 403


def test_command_checks_and_imports(budget, tmp_path, capsys):
    path = tmp_path / "extract.csv"
    path.write_bytes(gl_csv(good_rows(budget)))
    call_command("import_gl", "ERP", str(path), "--check")
    assert "would book 3 cost entries" in capsys.readouterr().out
    assert not CostEntry.objects.exists()
    call_command("import_gl", "erp", str(path), "--user", budget.cast.finance.email)
    assert CostEntry.objects.count() == 3
    with pytest.raises(CommandError, match="nothing was booked"):
        call_command("import_gl", "ERP", str(path))
    assert "imported before" in capsys.readouterr().err
