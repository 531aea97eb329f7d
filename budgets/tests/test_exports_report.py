"""The variance report's rows: the ledger's figures per line and month, the filters and their
refusals, the month range, reading in batches with a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets import exports
from budgets.exports.report import report_months
from budgets.models import PlanAmount
from budgets.selectors.ledger import ledger
from budgets.services.checks import program_months
from core.audit_guard import bulk_writes_allowed

from .exports_factories import AS_OF, FEB, HOSTILE_LINE, JAN, MAR, small_budget
from .factories import actual, make_line, plan

pytestmark = pytest.mark.django_db
NOT_A_MONTH = "is not a month; write it as YYYY-MM, e.g. 2026-03."


@pytest.fixture
def budget(program):
    return small_budget(program)


def rows_of(program, **params):
    return list(exports.iter_rows(program, exports.parse_filters(program, params), as_of=AS_OF))


def test_one_row_per_line_and_program_month_with_the_ledgers_cells(program, budget):
    rows = rows_of(program)
    book = ledger(program, as_of=AS_OF)
    first, last = program_months(program)
    months = (last.year - first.year) * 12 + last.month - first.month + 1

    assert len(rows) == 2 * months
    key = budget["lines"][0].key
    assert [(r.line.key, r.month) for r in rows[:2]] == [(key, JAN), (key, FEB)]
    for row in rows:
        assert row.cell == book.cell(row.line.pk, row.month)
        assert row.closed == (row.month < dt.date(2026, 3, 1))


def test_row_values_are_the_ledgers_figures(program, budget):
    fte, sow = budget["lines"]
    by_key = {(r.line.pk, r.month): r.values() for r in rows_of(program)}

    assert by_key[fte.pk, JAN] == (
        program.code, fte.key, "Internal FTEs", "Finance & Controlling", "Internal labour",
        "Opex", "", JAN, "EUR", Decimal("1000.00"), None, Decimal("1100.10"),
        Decimal("100.10"), Decimal("10.01"), Decimal("0.00"), Decimal("1100.10"),
    )  # fmt: skip
    sow_feb = by_key[sow.pk, FEB]
    assert sow_feb[2] == HOSTILE_LINE and sow_feb[6] == "@Northwind, Ltd"
    assert sow_feb[9:] == (Decimal("5000.00"), None, Decimal("5499.75"), Decimal("499.75"),
                           Decimal("10.00"), Decimal("0.00"), Decimal("5499.75"))  # fmt: skip
    # March is open: the outturn is the forecast, no variance yet
    assert by_key[fte.pk, MAR][9:] == (Decimal("1250.50"), Decimal("1300.00"), Decimal("0.00"),
                                       None, None, Decimal("0.00"), Decimal("1300.00"))  # fmt: skip


def test_totals_are_the_ledgers(program, budget):
    totals = exports.Totals()
    for row in rows_of(program):
        totals.add(row)
    book = ledger(program, as_of=AS_OF)

    assert totals.cell.plan == book.total().plan == Decimal("13250.50")
    assert totals.cell.actual == book.total().actual == Decimal("7599.85")
    assert totals.outturn == book.eac()
    closed = book.total(months=[JAN, FEB])
    assert totals.values("EUR")[12:14] == (closed.variance, closed.variance_percent)
    assert closed.variance == Decimal("599.85")


def test_filters_select_lines_and_months(program, budget):
    fte, sow = budget["lines"]
    ws = budget["workstreams"][1]

    assert {r.line.pk for r in rows_of(program, workstream=ws.key)} == {sow.pk}
    assert {r.line.pk for r in rows_of(program, workstream=str(ws.pk))} == {sow.pk}
    assert {r.line.pk for r in rows_of(program, category=str(budget["categories"][0].pk))} == {
        fte.pk
    }
    assert {r.line.pk for r in rows_of(program, vendor=budget["vendor"].key)} == {sow.pk}
    assert {r.line.pk for r in rows_of(program, vendor=str(budget["vendor"].pk))} == {sow.pk}
    rows = rows_of(program, **{"from": "2026-02", "to": "2026-03"})
    assert sorted({r.month for r in rows}) == [FEB, MAR]
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"workstream": "WS-99"}, {"workstream": ["ERP has no workstream 'WS-99'."]}),
        ({"category": "9999999"}, {"category": ["ERP has no cost category '9999999'."]}),
        ({"vendor": "nobody"}, {"vendor": ["ERP has no vendor 'nobody'."]}),
        ({"from": "March"}, {"from": [f"'March' {NOT_A_MONTH}"]}),
        ({"to": "2026-13"}, {"to": [f"'2026-13' {NOT_A_MONTH}"]}),
        ({"from": "2026-05", "to": "2026-02"}, {"to": ["2026-02 is before 2026-05."]}),
    ],
)  # fmt: skip
def test_bad_filters_are_refused_with_reasons(program, budget, params, errors):
    with pytest.raises(exports.ExportFilterError) as caught:
        exports.parse_filters(program, params)

    assert caught.value.errors == errors


def test_filters_of_another_program_are_not_found(program, budget):
    from programs.tests.factories import ProgramFactory

    other = ProgramFactory(code="CRM")
    theirs = small_budget(other)

    with pytest.raises(exports.ExportFilterError) as caught:
        exports.parse_filters(program, {"workstream": str(theirs["workstreams"][0].pk),
                                        "vendor": str(theirs["vendor"].pk)})  # fmt: skip
    assert set(caught.value.errors) == {"workstream", "vendor"}


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("0", False)])
def test_bom_option(value, expected):
    assert exports.parse_bom({"bom": value}, default=not expected) is expected
    assert exports.parse_bom({}, default=expected) is expected
    with pytest.raises(exports.ExportFilterError):
        exports.parse_bom({"bom": "maybe"}, default=False)


def test_months_widen_to_amounts_outside_the_program(program, budget):
    fte = budget["lines"][0]
    _first, last = program_months(program)

    # an amount left before the program's start (its dates moved after it was planned)
    with bulk_writes_allowed():
        PlanAmount.objects.filter(line=fte, month=JAN).update(month=dt.date(2025, 11, 1))

    assert report_months(program, exports.ReportFilters()) == (dt.date(2025, 11, 1), last)
    totals = exports.report_totals(program, exports.ReportFilters(), as_of=AS_OF)
    assert totals.cell.plan == Decimal("13250.50")


def test_batches_give_the_same_rows(program, budget):
    whole = [(r.line.pk, r.month, r.cell) for r in rows_of(program)]
    filters = exports.ReportFilters()
    batched = [(r.line.pk, r.month, r.cell)
               for r in exports.iter_rows(program, filters, as_of=AS_OF, batch=1)]  # fmt: skip

    assert batched == whole


def _queries(program) -> int:
    with CaptureQueriesContext(connection) as ctx:
        for _ in exports.iter_rows(program, exports.ReportFilters(), as_of=AS_OF):
            pass
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_cost_entries_or_lines(program, budget):
    fte = budget["lines"][0]
    before = _queries(program)
    for n in range(20):
        actual(fte, FEB, f"{n}.01")
    for n in range(3):
        line = make_line(program, name=f"Extra {n}")
        plan(line, MAR, "10.00")
        actual(line, MAR, "5.00")

    assert _queries(program) == before
