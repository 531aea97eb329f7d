"""The variance report's downloads from the pages, the API and the `export_budget` command:
the CSV read back by an independent reader, the workbook's typed cells and totals, the filters
and their 400s, the roles (403) and non-members (404)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from budgets import exports
from budgets.models import BudgetSettings
from budgets.selectors.ledger import ledger
from core.permissions import Role
from programs.tests.factories import ProgramFactory, member

from .exports_factories import (
    HOSTILE_CATEGORY,
    HOSTILE_LINE,
    HOSTILE_VENDOR,
    column_total,
    parse_csv,
    small_budget,
)

pytestmark = pytest.mark.django_db
MONEY = re.compile(r"^-?\d+\.\d{2}$")
MONTH = re.compile(r"^\d{4}-\d{2}-01$")
MONEY_COLUMNS = ("Plan", "Actual", "Accrued", "Outturn")


@pytest.fixture
def budget(program):
    return small_budget(program)


@pytest.fixture
def finance_client(client, program):
    client.force_login(member(program, Role.FINANCE).user)
    return client


def url(name: str, program, **query) -> str:
    base = reverse(f"budgets:{name}", kwargs={"code": program.code})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# --- CSV --------------------------------------------------------------------------------------


def test_csv_streams_an_independently_readable_report(finance_client, program, budget):
    response = finance_client.get(url("export_csv", program))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.match(
        r'attachment; filename="ERP-budget-variance-\d{4}-\d{2}-\d{2}\.csv"',
        response["Content-Disposition"],
    )
    data = body(response)
    assert not data.startswith(b"\xef\xbb\xbf")  # the program's setting: no BOM
    header, rows = parse_csv(data)
    assert header == list(exports.HEADER)
    assert len(rows) == 2 * 18  # two lines x the program's 18 months
    for row in rows:
        assert MONTH.match(row["Month"])
        assert row["Currency"] == "EUR"
        for name in MONEY_COLUMNS:
            assert MONEY.match(row[name]), (name, row[name])
        for name in ("Forecast", "Variance", "Variance %"):
            assert row[name] == "" or MONEY.match(row[name])
        closed = row["Month"] < dt.date.today().replace(day=1).isoformat()
        assert (row["Variance"] != "") is closed
    book = ledger(program)
    assert column_total(rows, "Plan") == book.total().plan == Decimal("13250.50")
    assert column_total(rows, "Actual") == book.total().actual == Decimal("7599.85")
    assert column_total(rows, "Outturn") == book.eac()
    assert b"1250.50" in data and b"-100.25" not in data  # entries are summed per month


def test_csv_neutralises_text_that_could_run_as_a_formula(finance_client, program, budget):
    _, rows = parse_csv(body(finance_client.get(url("export_csv", program))))
    sow = [r for r in rows if r["Line key"] == budget["lines"][1].key]

    assert {r["Line"] for r in sow} == {"'" + HOSTILE_LINE}
    assert {r["Category"] for r in sow} == {"'" + HOSTILE_CATEGORY}
    assert {r["Vendor"] for r in sow} == {"'" + HOSTILE_VENDOR}
    assert {r["Workstream"] for r in sow} == {"'+Data Migration"}


@pytest.mark.parametrize(("setting", "query", "bom"), [
    (False, {}, False), (True, {}, True), (False, {"bom": "1"}, True), (True, {"bom": "0"}, False),
])  # fmt: skip
def test_csv_byte_order_mark(finance_client, program, budget, setting, query, bom):
    BudgetSettings.objects.create(program=program, export_bom=setting)

    data = body(finance_client.get(url("export_csv", program, **query)))

    assert data.startswith(b"\xef\xbb\xbfProgram,") is bom
    assert data.startswith(b"Program,") is not bom


def test_csv_follows_the_variance_filters(finance_client, program, budget):
    vendor = budget["vendor"]
    response = finance_client.get(url("export_csv", program, vendor=vendor.pk, to="2026-02"))

    _, rows = parse_csv(body(response))
    assert {r["Line key"] for r in rows} == {budget["lines"][1].key}
    assert [r["Month"] for r in rows] == ["2026-01-01", "2026-02-01"]


# --- XLSX -------------------------------------------------------------------------------------


def test_xlsx_has_typed_cells_a_frozen_header_and_a_totals_row(finance_client, program, budget):
    response = finance_client.get(url("export_xlsx", program))

    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    assert book.sheetnames == ["Variance", "About this export"]
    sheet = book["Variance"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:P37"
    assert sheet.column_dimensions["C"].width == 34
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == list(exports.HEADER)
    first = rows[1]
    assert first[7].is_date and first[7].number_format == "yyyy-mm-dd"
    assert first[9].data_type == "n" and first[9].number_format == "#,##0.00"
    totals = rows[-1]
    assert totals[0].value == "Total" and totals[0].font.b
    assert Decimal(str(totals[9].value)) == Decimal("13250.50")
    assert Decimal(str(totals[11].value)) == Decimal("7599.85")
    assert sum(Decimal(str(r[9].value)) for r in rows[1:-1]) == Decimal("13250.50")
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if c.data_type == "s"]
    assert "'" + HOSTILE_CATEGORY in texts and "'" + HOSTILE_LINE in texts


# --- refusals and roles -----------------------------------------------------------------------


def test_bad_filters_answer_400_with_reasons(finance_client, program, budget):
    for name in ("export_csv", "export_xlsx"):
        response = finance_client.get(url(name, program, workstream="WS-99", **{"from": "x"}))

        assert response.status_code == 400
        html = response.content.decode()
        assert "ERP has no workstream &#x27;WS-99&#x27;." in html
        assert "is not a month" in html
    response = finance_client.get(url("export_csv", program, bom="maybe"))
    assert response.status_code == 400


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR, Role.VENDOR])
def test_roles_without_the_export_action_get_403(client, program, budget, role):
    client.force_login(member(program, role).user)
    api = APIClient()
    api.force_authenticate(member(program, role).user)

    for name in ("exports", "export_csv", "export_xlsx"):
        assert client.get(url(name, program)).status_code == 403
    assert api.get(api_url(program)).status_code == 403


@pytest.mark.parametrize("role", [Role.MANAGER, Role.COORDINATOR, Role.FINANCE, Role.EXECUTIVE])
def test_roles_with_the_export_action_download(client, program, budget, role):
    client.force_login(member(program, role).user)

    assert client.get(url("export_xlsx", program)).status_code == 200
    assert client.get(url("exports", program)).status_code == 200


def test_non_members_get_404(client, program, budget):
    other = ProgramFactory(code="CRM")
    client.force_login(member(other, Role.FINANCE).user)
    api = APIClient()
    api.force_authenticate(member(other, Role.FINANCE).user)

    for name in ("exports", "export_csv", "export_xlsx"):
        assert client.get(url(name, program)).status_code == 404
    assert api.get(api_url(program)).status_code == 404


def test_export_page_offers_the_filters_and_both_formats(finance_client, program, budget):
    response = finance_client.get(url("exports", program, workstream=budget["workstreams"][0].key))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'action="{url("export_xlsx", program)}"' in html
    assert f'formaction="{url("export_csv", program)}"' in html
    assert f'<option value="{budget["workstreams"][0].key}" selected>' in html
    assert 'name="from"' in html and 'name="to"' in html and 'name="bom" value="1"' in html


# --- API --------------------------------------------------------------------------------------


def api_url(program) -> str:
    return reverse("api_v1:budgets_export", kwargs={"code": program.code})


@pytest.fixture
def api(program):
    client = APIClient()
    client.force_authenticate(member(program, Role.FINANCE).user)
    return client


def test_api_csv_and_xlsx(api, program, budget):
    response = api.get(api_url(program), {"format": "csv", "bom": "1"})
    assert response.status_code == 200 and response["Content-Type"] == exports.CSV_TYPE
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")
    assert column_total(parse_csv(data)[1], "Plan") == Decimal("13250.50")

    response = api.get(api_url(program), {"format": "xlsx", "workstream": "WS-1"})
    assert response.status_code == 200 and response["Content-Type"] == exports.XLSX_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(body(response)))["Variance"]
    assert {
        r[1] for r in sheet.iter_rows(min_row=2, max_row=sheet.max_row - 1, values_only=True)
    } == {budget["lines"][0].key}

    assert body(api.get(api_url(program))).startswith(b"Program,")  # csv by default


def test_api_bad_parameters_answer_400_with_reasons(api, program, budget):
    response = api.get(api_url(program), {"format": "pdf", "vendor": "VND-9", "to": "2026-99"})

    assert response.status_code == 400
    assert response.json() == {
        "format": ["'pdf': choose csv or xlsx."],
        "vendor": ["ERP has no vendor 'VND-9'."],
        "to": ["'2026-99' is not a month; write it as YYYY-MM, e.g. 2026-03."],
    }


# --- the command ------------------------------------------------------------------------------


def test_command_writes_csv_and_xlsx(program, budget, tmp_path, capsys):
    call_command("export_budget", "ERP", "--bom", "--output", str(tmp_path / "b.csv"))
    data = (tmp_path / "b.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert column_total(parse_csv(data)[1], "Actual") == Decimal("7599.85")
    assert "Wrote" in capsys.readouterr().err

    call_command("export_budget", "ERP", "--format", "xlsx", "--output", str(tmp_path / "b.xlsx"),
                 "--from", "2026-02", "--to", "2026-02")  # fmt: skip
    sheet = openpyxl.load_workbook(tmp_path / "b.xlsx")["Variance"]
    assert sheet.max_row == 1 + 2 + 1  # header, two lines in one month, totals
    assert Decimal(str(sheet.cell(row=4, column=12).value)) == Decimal("6499.75")

    call_command("export_budget", "ERP", "--category", str(budget["categories"][0].pk))
    _, rows = parse_csv(capsys.readouterr().out.encode())
    assert {r["Line key"] for r in rows} == {budget["lines"][0].key}


def test_command_refusals(program, budget):
    with pytest.raises(CommandError, match="No program with code NOPE"):
        call_command("export_budget", "NOPE")
    with pytest.raises(CommandError, match="workstream: ERP has no workstream 'WS-42'"):
        call_command("export_budget", "ERP", "--workstream", "WS-42")
    with pytest.raises(CommandError, match="needs --output"):
        call_command("export_budget", "ERP", "--format", "xlsx")
