"""Forecast services and selectors: a line's re-forecast keeps history and moves the latest
flag, refuses closed months and bad amounts without saving anything, uses the line's version
as the row lock; copying the plan; the grid's EAC is the ledger's; the movement by as-of date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from budgets.models import ForecastEntry
from budgets.selectors import forecasts as selectors
from budgets.selectors.ledger import ledger
from budgets.services import forecasts as services
from budgets.tests.actuals_factories import NOV, OCT, make_budget, manual
from core.versioning import StaleVersionError

pytestmark = pytest.mark.django_db

AUG31, SEP30, OCT31 = dt.date(2026, 8, 31), dt.date(2026, 9, 30), dt.date(2026, 10, 31)
DEC = dt.date(2026, 12, 1)


@pytest.fixture
def budget(db):
    return make_budget()


def save(line, amounts, as_of, version=None, actor=None):
    return services.forecast_line_save(
        actor=actor, line=line, amounts=amounts, expected_version=version, as_of=as_of
    )


def test_each_save_records_new_rows_and_the_latest_flag_moves(budget):
    line = budget.labour
    save(line, {NOV: "11000.00", DEC: "12000.00"}, SEP30)
    save(line, {NOV: "11500.00", DEC: "12000.00"}, OCT31)  # December unchanged: no new row
    rows = list(ForecastEntry.objects.filter(line=line).order_by("month", "as_of"))
    assert [(r.month, r.as_of, r.amount, r.is_latest) for r in rows] == [
        (NOV, SEP30, Decimal("11000.00"), False),
        (NOV, OCT31, Decimal("11500.00"), True),
        (DEC, SEP30, Decimal("12000.00"), True),
    ]


def test_a_save_bumps_the_line_version_and_a_stale_one_is_refused_with_nothing_saved(budget):
    line = budget.labour
    version = line.version
    line, saved = save(line, {NOV: "11000.00"}, OCT31, version=version)
    assert len(saved) == 1 and line.version == version + 1
    with pytest.raises(StaleVersionError):
        save(line, {NOV: "99999.00"}, OCT31, version=version)
    assert ForecastEntry.objects.get(line=line, is_latest=True).amount == Decimal("11000.00")


def test_closed_months_and_bad_amounts_are_refused_all_at_once_and_nothing_is_saved(budget):
    with pytest.raises(ValidationError) as caught:
        save(budget.labour, {OCT: "1.00", NOV: "-5.00", DEC: "1.005"}, NOV)
    errors = caught.value.message_dict
    assert "closed" in errors["2026-10"][0]
    assert "negative" in errors["2026-11"][0]
    assert "more than two decimals" in errors["2026-12"][0]
    assert not ForecastEntry.objects.exists()


def test_a_month_outside_the_program_is_refused(budget):
    with pytest.raises(ValidationError) as caught:
        save(budget.labour, {dt.date(2027, 8, 1): "1.00"}, NOV)
    assert "outside the program" in caught.value.message_dict["2027-08"][0]


def test_copy_plan_forecasts_every_open_month_at_the_current_budget(budget):
    line = budget.labour
    _line, saved = services.forecast_copy_plan(
        actor=None, line=line, expected_version=line.version, as_of=dt.date(2026, 11, 20)
    )
    latest = dict(
        ForecastEntry.objects.filter(line=line, is_latest=True).values_list("month", "amount")
    )
    assert latest[NOV] == Decimal("10000.00") and latest[DEC] == Decimal("10000.00")
    assert dt.date(2027, 1, 1) in latest and latest[dt.date(2027, 1, 1)] == Decimal("0.00")
    assert OCT not in latest and len(saved) == len(latest) == 8  # Nov 2026 .. Jun 2027


def test_grid_eac_is_the_ledgers_and_variance_at_completion_follows(budget):
    line = budget.labour
    manual(line, OCT, "12500.00")
    save(line, {NOV: "15000.00"}, NOV)
    grid = selectors.forecast_grid(budget.program, as_of=NOV)
    row = next(r for g in grid.groups for r in g.rows if r.line == line)
    book = ledger(budget.program, as_of=NOV)
    assert row.eac == book.eac([line.pk])
    # Jan..Sep actual 0, Oct 12,500, Nov 15,000 forecast, Dec 10,000 plan
    assert row.eac == Decimal("37500.00")
    assert row.budget == Decimal("120000.00") and row.vac == Decimal("-82500.00")


def test_history_gives_the_forecast_known_at_each_as_of_date(budget):
    line = budget.labour
    save(line, {DEC: "12000.00"}, AUG31)
    save(line, {DEC: "13000.00", NOV: "9000.00"}, OCT31)
    points = selectors.forecast_history(budget.program, line=line, as_of=NOV)
    assert [p["as_of"] for p in points] == [AUG31, OCT31]
    # Aug 31: Jan-Jul closed (no actuals), Aug-Dec forecast: 4 x 10,000 plan + 12,000
    assert points[0]["eac"] == Decimal("52000.00") and points[0]["change"] is None
    # Oct 31: Jan-Sep closed, Oct plan 10,000 + Nov 9,000 + Dec 13,000
    assert points[1]["eac"] == Decimal("32000.00")
    assert points[1]["change"] == Decimal("-20000.00")
    assert points[1]["entries"] == 2


def test_history_query_count_does_not_grow_with_lines(budget, django_assert_max_num_queries):
    for line in (budget.labour, budget.travel, budget.ops_labour):
        save(line, {DEC: "100.00"}, AUG31)
        save(line, {DEC: "200.00"}, OCT31)
    with django_assert_max_num_queries(6):
        selectors.forecast_history(budget.program, as_of=NOV)


def test_grid_month_totals_add_each_lines_outturn(budget):
    save(budget.labour, {NOV: "15000.00"}, NOV)  # the other lines keep their plan in November
    grid = selectors.forecast_grid(budget.program, as_of=NOV)
    november = next(t for t in grid.month_totals if t["month"] == NOV)
    # 15,000 forecast + travel 1,000 + ops labour 8,000 + vendor 20,000 (plans)
    assert november["value"] == Decimal("44000.00")
