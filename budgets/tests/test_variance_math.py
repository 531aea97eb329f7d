"""Variance, burn rate and overview figures against the hand-computed worked example
(budgets/tests/variance_factories.py): change orders, accruals and their reversals included."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgets.selectors.ledger import ledger
from budgets.selectors.overview import budget_overview, overview_figures
from budgets.selectors.variance import VarianceFilters, variance_view
from vendors.tests.factories import make_contract, make_vendor

from .variance_factories import APR, AS_OF, FEB, MAR, D, worked_example

pytestmark = pytest.mark.django_db


def by_month(view):
    return {row.key: row.total for row in view.rows}


def test_cells_by_month_follow_the_ledger_rules(program):
    worked_example(program)
    view = variance_view(program, group_by="month", as_of=AS_OF)
    months = by_month(view)
    jan, feb, mar, apr, may = (
        months[k] for k in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05")
    )
    # January: A 1,000 plan / 1,100 actual; B 500 plan / 8,000 actual
    assert (jan.plan, jan.actual, jan.variance, jan.variance_percent) == (
        D("1500.00"),
        D("9100.00"),
        D("7600.00"),
        D("506.67"),
    )
    # February: the change order lifts the plan to 1,200; the accrual is part of the actual
    assert (feb.plan, feb.original, feb.actual, feb.accrued, feb.variance) == (
        D("1200.00"),
        D("1000.00"),
        D("1200.00"),
        D("300.00"),
        D("0.00"),
    )
    # March: the reversal takes the accrual out again
    assert (mar.actual, mar.accrued, mar.variance, mar.variance_percent) == (
        D("200.00"),
        D("-300.00"),
        D("-800.00"),
        D("-80.00"),
    )
    assert (apr.variance, apr.closed) == (D("-300.00"), True)
    # May is open: no variance, the forecast is its outturn
    assert (may.closed, may.variance, may.forecast, may.outturn) == (
        False,
        None,
        D("1500.00"),
        D("1500.00"),
    )
    total = view.totals.total
    assert total.plan == D("6700.00")
    assert total.actual == D("11200.00")
    assert total.accrued == D("0.00")
    assert total.variance == D("11200.00") - D("4700.00")  # to date: closed months' plan
    assert total.outturn == D("13700.00")  # the EAC


def test_grouping_by_category_line_and_vendor(program):
    example = worked_example(program)
    view = variance_view(program, group_by="category", as_of=AS_OF)
    labels = [row.label for row in view.rows]
    assert labels == ["Labour", "Vendor"]
    labour = view.rows[0]
    assert labour.total.plan == D("6200.00") and labour.total.actual == D("3200.00")
    assert labour.has_accruals
    assert [c.variance for c in labour.cells[:4]] == [
        D("100.00"),
        D("0.00"),
        D("-800.00"),
        D("-300.00"),
    ]
    lines = variance_view(program, group_by="line", as_of=AS_OF)
    assert [row.line for row in lines.rows] == [example.a, example.b]
    vendors = variance_view(program, group_by="vendor", as_of=AS_OF)
    assert [row.label for row in vendors.rows] == ["No vendor"]
    assert vendors.rows[0].total.plan == D("6700.00")


def test_only_the_cell_beyond_both_thresholds_is_flagged(program):
    worked_example(program)
    view = variance_view(program, group_by="line", as_of=AS_OF)
    flagged = {
        (row.line.name, i) for row in view.rows for i, c in enumerate(row.cells) if c.flagged
    }
    assert flagged == {("Line B", 0)}  # A's January (+100, 10 %) is below the amount threshold


def test_burn_rate_of_all_lines_and_of_a_filtered_category(program):
    example = worked_example(program)
    burn = variance_view(program, as_of=AS_OF).burn
    assert burn.last_three == D("700.00")  # Feb 1,200 + Mar 200 + Apr 700
    assert burn.since_start == D("2800.00")  # 11,200 over four closed months
    assert burn.last_three_months == [FEB, MAR, APR]
    assert burn.remaining == D("-4500.00")
    assert burn.months_left == D("0.0")
    assert burn.open_months == 14
    assert burn.runs_out_early
    filters = VarianceFilters(category=example.a.category_id)
    burn = variance_view(program, filters=filters, as_of=AS_OF).burn
    assert (burn.last_three, burn.since_start, burn.remaining, burn.months_left) == (
        D("700.00"),
        D("800.00"),
        D("3000.00"),
        D("4.3"),
    )


def test_month_range_filter_narrows_months_and_burn(program):
    worked_example(program)
    filters = VarianceFilters.from_query({"from": "2026-02", "to": "2026-03"})
    view = variance_view(program, filters=filters, as_of=AS_OF)
    assert view.months == [FEB, MAR]
    assert view.totals.total.actual == D("1400.00")
    assert view.burn.since_start == D("700.00")


def test_filters_report_what_does_not_parse():
    filters = VarianceFilters.from_query({"from": "March", "workstream": "x", "to": "2026-02"})
    assert set(filters.errors) == {"from", "workstream"}
    assert filters.last_month is not None and filters.first_month is None
    backwards = VarianceFilters.from_query({"from": "2026-05", "to": "2026-02"})
    assert "to" in backwards.errors and backwards.last_month is None


def test_overview_figures_hand_computed(program):
    worked_example(program)
    vendor = make_vendor(program)
    make_contract(program, vendor, value=D("120000.00"))
    make_contract(program, vendor, title="SOW 2", value=D("30000.00"), status="draft")
    make_contract(program, vendor, title="SOW 3", value=D("9000.00"), currency="USD")
    f = overview_figures(program, AS_OF)
    assert (f.budget, f.original, f.change_orders) == (D("6700.00"), D("6500.00"), D("200.00"))
    assert (f.actual, f.accrued) == (D("11200.00"), D("0.00"))
    assert f.eac == D("13700.00")  # A: 3,200 + May 1,500 + Jun 1,000; B: 8,000
    assert f.forecast == D("2500.00")
    assert f.variance == D("7000.00")
    assert (f.committed, f.committed_contracts, f.other_currency_contracts) == (
        D("120000.00"),
        1,
        1,
    )


def test_overview_figures_equal_the_ledger_sums(program):
    worked_example(program)
    f = overview_figures(program, AS_OF)
    book = ledger(program, as_of=AS_OF)
    total = book.total()
    assert f.budget == total.plan and f.actual == total.actual and f.eac == book.eac()
    assert f.variance == book.eac() - total.plan
    view = variance_view(program, as_of=AS_OF)
    assert view.totals.total.plan == f.budget
    assert view.totals.total.actual == f.actual
    assert view.totals.total.outturn == f.eac


def test_overview_breakdowns_add_up_to_the_tiles(program):
    worked_example(program)
    overview = budget_overview(program, AS_OF)
    for rows in (overview.by_workstream, overview.by_category, overview.by_expense_type):
        assert sum(r.budget for r in rows) == overview.figures.budget
        assert sum(r.actual for r in rows) == overview.figures.actual
        assert sum(r.eac for r in rows) == overview.figures.eac
    assert [r.label for r in overview.by_expense_type] == ["Capex", "Opex"]
    assert overview.unexplained == 1
    chart = overview.chart
    assert chart["months"][0] == "2026-01" and len(chart["months"]) == 18
    assert chart["plan"][-1] == "6700.00"
    assert chart["actual"][3] == "11200.00" and chart["actual"][5] is None  # none after today
    assert chart["forecast"][2] is None and chart["forecast"][3] == "11200.00"
    assert chart["forecast"][-1] == "13700.00"
    assert chart["today"] == 4  # May 2026


def test_reserves_are_shown_apart_from_the_budget(program, manager):
    from budgets.services import structure

    structure.reserve_set(actor=manager, program=program, kind="management", amount=D("1000.00"))
    overview = budget_overview(program, AS_OF)
    balances = {r["kind"]: r["balance"] for r in overview.reserves}
    assert balances == {"management": D("1000.00"), "contingency": Decimal("0.00")}
    assert overview.figures.budget == D("0.00")
    assert overview.empty
