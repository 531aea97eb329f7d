"""Property tests: hostile text (formula starters, quotes, commas, newlines, any unicode, very
long) through both exports. No CSV text cell begins with = + - @ tab or CR, no XLSX cell is a
formula, numbers stay numbers, and a CSV round trip gives back exactly the ledger's Decimals.

The writers are tested on rows built in memory (thousands of strings in seconds); one test runs
hostile names through the database, the ledger and the downloads."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgets import exports
from budgets.exports.writers import csv_lines, write_xlsx, xlsx_text
from budgets.models import BudgetLine, CostCategory
from budgets.selectors.ledger import Cell, ledger
from core.exports import FORMULA_START
from core.permissions import Role
from programs.models import Program, Workstream
from programs.tests.factories import WorkstreamFactory, member
from vendors.models import Vendor
from vendors.tests.factories import make_vendor

from .exports_factories import parse_csv
from .factories import actual, forecast, make_category, make_line, plan

TEXT_COLUMNS = [exports.COLUMNS[i].label for i in exports.report.TEXT_COLUMNS]
NUMBER_COLUMNS = [exports.COLUMNS[i].label for i in exports.report.NUMBER_COLUMNS]
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
HOSTILE = st.one_of(
    st.text(CHARS, max_size=40),
    st.builds(lambda start, rest: start + rest, st.sampled_from(FORMULA_START), st.text(CHARS)),
    st.sampled_from([
        "=1+2", "=cmd|' /C calc'!A0", "+SUM(A1:A2)", "-2+3", "@SUM(1)", "\t=1", "\r=1",
        '"quoted, with comma"', "line\nbreak", "line\r\nbreak", "'already quoted", "=",
        "日本語の行", "emoji 💸", "\u202e=right-to-left", "a" * 5000, "=" * 300, ",,,", '"""',
    ]),
    st.text(CHARS, min_size=1000, max_size=4000),
)  # fmt: skip
MONEY = st.decimals(
    min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2
)


def fake_row(index: int, texts: list[str], amounts: list[Decimal], has_forecast: bool):
    """A report row over unsaved model instances (no database)."""
    program = Program(code="ERP", currency="EUR")
    line = BudgetLine(
        pk=index, key=f"BL-{index}", name=texts[0], number=index,
        workstream=Workstream(pk=1, name=texts[1]),
        category=CostCategory(pk=1, name=texts[2], expense_type="capex"),
        vendor=Vendor(pk=1, name=texts[3]),
    )  # fmt: skip
    cell = Cell(original=amounts[0], change_orders=amounts[1], actual=amounts[2],
                accrued=amounts[3], forecast=amounts[4] if has_forecast else None)  # fmt: skip
    month = dt.date(2026, 1 + index % 12, 1)
    return exports.Row(line=line, month=month, cell=cell, closed=bool(index % 2),
                       currency="EUR", program_code=program.code)  # fmt: skip


ROWS = st.lists(
    st.tuples(st.lists(HOSTILE, min_size=4, max_size=4),
              st.lists(MONEY, min_size=5, max_size=5), st.booleans()),
    min_size=1, max_size=8,
).map(lambda specs: [fake_row(i, *spec) for i, spec in enumerate(specs, 1)])  # fmt: skip


def expected_csv_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


@settings(max_examples=600, deadline=None)
@given(rows=ROWS, bom=st.booleans())
def test_csv_cells_are_safe_and_round_trip(rows, bom):
    data = "".join(csv_lines(rows, bom=bom)).encode("utf-8")
    header, parsed = parse_csv(data)

    assert header == list(exports.HEADER)
    assert len(parsed) == len(rows)
    for row, out in zip(rows, parsed, strict=True):
        values = dict(zip(exports.HEADER, row.values(), strict=True))
        for name in TEXT_COLUMNS:
            assert not out[name].startswith(FORMULA_START), (name, out[name])
            assert out[name] == expected_csv_text(values[name])
        assert out["Month"] == row.month.isoformat()
        for name in NUMBER_COLUMNS:
            if values[name] is None:
                assert out[name] == ""
            else:
                assert Decimal(out[name]) == values[name]
                assert out[name] == f"{Decimal(out[name]):f}" and out[name][-3] == "."


@settings(max_examples=100, deadline=None)
@given(rows=ROWS)
def test_xlsx_has_no_formula_and_numbers_stay_numbers(rows):
    target = io.BytesIO()
    totals = write_xlsx(target, rows, program=Program(code="ERP", name="=ERP", currency="EUR"))
    sheet = openpyxl.load_workbook(io.BytesIO(target.getvalue()))["Variance"]
    cells = list(sheet.iter_rows())

    assert all(c.data_type != "f" for row in cells for c in row)
    for row, out in zip(rows, cells[1:-1], strict=True):
        values = row.values()
        for index in exports.report.TEXT_COLUMNS:
            assert out[index].data_type == ("s" if out[index].value is not None else "n")
            assert (out[index].value or "") == xlsx_text(values[index])
            assert not (out[index].value or "").startswith(FORMULA_START)
        for index in exports.report.NUMBER_COLUMNS:
            if values[index] is None:
                assert out[index].value is None
            else:
                assert isinstance(out[index].value, int | float)
                assert Decimal(str(out[index].value)) == values[index]
    total_plan = cells[-1][exports.HEADER.index("Plan")].value
    assert Decimal(str(total_plan)).quantize(Decimal("0.01")) == totals.cell.plan


# --- through the database ---------------------------------------------------------------------

NAMES = st.text(CHARS, min_size=1, max_size=120).filter(lambda s: s.strip() == s)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(NAMES, min_size=4, max_size=4), prefix=st.sampled_from(FORMULA_START[:4]))
def test_hostile_names_through_the_database_and_both_downloads(client, program, names, prefix):
    n = Workstream.objects.filter(program=program).count()
    hostile = [prefix + name for name in names]
    workstream = WorkstreamFactory(program=program, name=f"{hostile[0][:150]} {n}")
    category = make_category(program, name=f"{hostile[1][:100]} {n}")
    vendor = make_vendor(program, name=f"{hostile[2][:150]} {n}")
    line = make_line(program, workstream=workstream, category=category, vendor=vendor,
                     name=hostile[3][:200])  # fmt: skip
    plan(line, dt.date(2026, 2, 1), "1234.56")
    actual(line, dt.date(2026, 2, 1), "99.99", description=hostile[0][:300])
    forecast(line, dt.date(2026, 3, 1), "10.01")
    finance = member(program, Role.FINANCE).user
    client.force_login(finance)
    query = f"?workstream={workstream.pk}"

    csv_response = client.get(reverse("budgets:export_csv", kwargs={"code": "ERP"}) + query)
    _, rows = parse_csv(b"".join(csv_response.streaming_content))
    xlsx_response = client.get(reverse("budgets:export_xlsx", kwargs={"code": "ERP"}) + query)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_response.streaming_content)))

    book = ledger(program, lines=BudgetLine.objects.filter(pk=line.pk))
    assert {r["Line"] for r in rows} == {expected_csv_text(line.name)}
    for row in rows:
        for name in TEXT_COLUMNS:
            assert not row[name].startswith(FORMULA_START)
        cell = book.cell(line.pk, dt.date.fromisoformat(row["Month"]))
        assert Decimal(row["Plan"]) == cell.plan
        assert Decimal(row["Actual"]) == cell.actual
        assert (Decimal(row["Forecast"]) if row["Forecast"] else None) == cell.forecast
    assert sum(Decimal(r["Actual"]) for r in rows) == Decimal("99.99")
    for ws in sheet.worksheets:
        assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    totals = list(sheet["Variance"].iter_rows(values_only=True))[-1]
    assert totals[0] == "Total" and Decimal(str(totals[9])) == Decimal("1234.56")
