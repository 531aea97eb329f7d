"""The portfolio rows: only the user's programs, the latest published report's figures with
trends against the one before, live severe defects and next milestone, sorting, filters, and a
query count that does not grow with the number of programs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.selectors.evm import program_today
from core.permissions import Role
from core.tests.factories import UserFactory
from programs.services import membership_add
from programs.tests.factories import ProgramFactory
from releases.tests.factories import make_defect
from reporting.periods import period_of, shift
from reporting.selectors.portfolio import (
    PortfolioParams,
    parse_params,
    portfolio,
    rag_trend,
    trend,
)
from reporting.snapshot import BudgetBurn, RagLine
from reporting.tests.factories import make_report, snapshot_for
from schedules.models import ItemKind
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def _snapshot(
    program,
    period,
    *,
    overall="green",
    spi="1.00",
    cpi="1.00",
    budget="1000.00",
    eac="1000.00",
    exposure=10,
    risk="green",
):
    rags = [
        RagLine("schedule", "green", "On plan."),
        RagLine("cost", "green", "On budget."),
        RagLine("scope", "green", "Fine."),
        RagLine("risk", risk, "Exposure."),
        RagLine("quality", "green", "Clean."),
        RagLine("overall", overall, "Overall."),
    ]
    snap = snapshot_for(program, period)
    burn = BudgetBurn(
        currency=program.currency,
        budget=Decimal(budget),
        forecast_at_completion=Decimal(eac),
        variance_at_completion=Decimal(budget) - Decimal(eac),
        cpi=Decimal(cpi),
        spi=Decimal(spi),
    )
    return dataclasses.replace(snap, rag=rags, budget=burn, risk_exposure=exposure)


def _publish(program, weeks_back: int, **figures):
    period = shift(period_of(program_today(program)), -weeks_back)
    return make_report(
        program, period=period, status="published", snapshot=_snapshot(program, period, **figures)
    )


def _join(user, program, role=Role.EXECUTIVE):
    membership_add(actor=None, program=program, email=user.email, role=role)


def test_a_row_shows_the_latest_published_report_with_trends_against_the_one_before():
    user = UserFactory()
    program = ProgramFactory(code="ALPHA")
    _join(user, program)
    _publish(
        program,
        2,
        overall="green",
        spi="0.90",
        cpi="1.10",
        budget="1000.00",
        eac="1000.00",
        exposure=50,
        risk="green",
    )
    _publish(
        program,
        1,
        overall="amber",
        spi="0.95",
        cpi="1.00",
        budget="1200.00",
        eac="1260.00",
        exposure=40,
        risk="amber",
    )
    make_report(program, period=period_of(program_today(program)))  # a draft: not shown
    (row,) = portfolio(user).rows
    before = shift(period_of(program_today(program)), -2)
    assert row.report_period == shift(period_of(program_today(program)), -1)
    assert row.role == Role.EXECUTIVE and not row.stale
    assert (row.overall, row.rag["risk"], row.rag["cost"]) == ("amber", "amber", "green")
    assert (row.spi, row.cpi, row.budget, row.eac) == (
        Decimal("0.95"),
        Decimal("1.00"),
        Decimal("1200.00"),
        Decimal("1260.00"),
    )
    assert row.variance == Decimal("60.00") and row.variance_percent == Decimal("5.0")
    assert row.exposure == 40
    t = row.trends
    assert (t["spi"].direction, t["spi"].better, t["spi"].previous) == ("up", True, "0.90")
    assert (t["cpi"].direction, t["cpi"].better) == ("down", False)
    assert (t["budget"].direction, t["budget"].better) == ("up", None)
    assert (t["variance"].direction, t["variance"].better) == ("up", False)
    assert (t["exposure"].direction, t["exposure"].better) == ("down", True)
    assert t["spi"].previous_period == before
    overall = row.rag_trends["overall"]
    assert (overall.direction, overall.better, overall.previous) == ("up", False, "Green")
    assert row.rag_trends["schedule"].direction == "flat"


def test_a_program_with_one_report_has_no_trends_and_one_without_reports_no_figures():
    user = UserFactory()
    one, none = ProgramFactory(code="ONE"), ProgramFactory(code="NONE")
    _join(user, one)
    _join(user, none)
    _publish(one, 0)
    rows = {r.program.code: r for r in portfolio(user, PortfolioParams(sort="program")).rows}
    assert rows["ONE"].has_report and rows["ONE"].trends == {}
    assert rows["ONE"].rag_trends["overall"] is None
    assert not rows["NONE"].has_report and rows["NONE"].overall == ""
    assert rows["NONE"].spi is None and rows["NONE"].variance is None
    assert portfolio(user).counts == {"green": 1, "amber": 0, "red": 0, "grey": 0, "none": 1}


def test_an_old_report_is_flagged_out_of_date():
    user = UserFactory()
    program = ProgramFactory()
    _join(user, program)
    _publish(program, 3)
    assert portfolio(user).rows[0].stale


def test_only_the_users_programs_with_a_dashboard_role_are_rows():
    user = UserFactory()
    mine, vendor_side, other = (
        ProgramFactory(code="MINE"),
        ProgramFactory(code="VEND"),
        ProgramFactory(code="OTHER"),
    )
    _join(user, mine, Role.VIEWER)
    _join(user, vendor_side, Role.VENDOR)
    _publish(other, 1)
    assert [r.program.code for r in portfolio(user).rows] == ["MINE"]
    nobody = UserFactory()
    empty = portfolio(nobody)
    assert empty.rows == [] and empty.total == 0


def test_open_severe_defects_and_the_next_milestone_are_live():
    user = UserFactory()
    program = ProgramFactory()
    _join(user, program)
    make_defect(program, severity=1)
    make_defect(program, severity=2)
    make_defect(program, severity=2)
    make_defect(program, severity=3)
    make_defect(program, severity=1, status="closed")
    today = program_today(program)
    ItemFactory(
        program=program,
        name="Done",
        kind=ItemKind.MILESTONE,
        duration_minutes=0,
        constraint="mso",
        constraint_date=today + dt.timedelta(days=3),
        percent_complete=100,
    )
    ItemFactory(
        program=program,
        name="Go-live",
        kind=ItemKind.MILESTONE,
        duration_minutes=0,
        constraint="mso",
        constraint_date=today + dt.timedelta(days=20),
    )
    (row,) = portfolio(user).rows
    assert (row.sev1, row.sev2) == (1, 2)
    assert row.next_milestone is not None and row.next_milestone["name"] == "Go-live"
    assert row.next_milestone["days"] == (row.next_milestone["finish"] - today).days


def _three_programs(user):
    a, b, c = ProgramFactory(code="AAA"), ProgramFactory(code="BBB"), ProgramFactory(code="CCC")
    for p in (a, b, c):
        _join(user, p)
    _publish(a, 1, overall="amber", spi="0.97", exposure=80)
    _publish(b, 1, overall="red", spi="0.85", exposure=20)
    return a, b, c


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("-rag", ["BBB", "AAA", "CCC"]),  # worst first; no report last
        ("rag", ["AAA", "BBB", "CCC"]),
        ("spi", ["BBB", "AAA", "CCC"]),
        ("-spi", ["AAA", "BBB", "CCC"]),
        ("-exposure", ["AAA", "BBB", "CCC"]),
        ("program", ["AAA", "BBB", "CCC"]),
        ("-program", ["CCC", "BBB", "AAA"]),
    ],
)
def test_rows_sort_by_the_column_with_missing_figures_last(sort, order):
    user = UserFactory()
    _three_programs(user)
    assert [r.program.code for r in portfolio(user, PortfolioParams(sort=sort)).rows] == order


def test_filters_narrow_the_rows_and_the_summary_counts_what_is_shown():
    user = UserFactory()
    _a, _b, c = _three_programs(user)
    red = portfolio(user, PortfolioParams(rag="red"))
    assert [r.program.code for r in red.rows] == ["BBB"] and red.total == 3
    assert red.counts["red"] == 1 and red.counts["amber"] == 0
    none = portfolio(user, PortfolioParams(rag="none"))
    assert [r.program.code for r in none.rows] == ["CCC"]
    c.status = "on_hold"
    c.save(update_fields=["status"])
    held = portfolio(user, PortfolioParams(status="on_hold"))
    assert [r.program.code for r in held.rows] == ["CCC"]


def test_bad_parameters_are_named_and_left_out():
    params, errors = parse_params({"sort": "price", "status": "sleeping", "rag": "purple"})
    assert params == PortfolioParams()
    assert set(errors) == {"sort", "status", "rag"}
    params, errors = parse_params({"sort": "-cpi", "status": "active", "rag": "none"})
    assert errors == {} and params == PortfolioParams(sort="-cpi", status="active", rag="none")


def test_trend_directions_follow_what_is_better():
    assert trend(Decimal("1"), Decimal("2"), "W1", higher_is_better=False).better is True
    assert trend(Decimal("1"), Decimal("1"), "W1", higher_is_better=True).better is None
    assert trend(None, Decimal("1"), "W1", higher_is_better=True) is None
    assert rag_trend("green", "red", "W1").better is True
    assert rag_trend("grey", "red", "W1") is None


def _programs(user, n: int):
    for i in range(n):
        program = ProgramFactory(code=f"Q{i}")
        _join(user, program)
        _publish(program, 2)
        _publish(program, 1)
        make_defect(program, severity=1)
        ItemFactory(
            program=program,
            name="M",
            kind=ItemKind.MILESTONE,
            duration_minutes=0,
            constraint="mso",
            constraint_date=program_today(program) + dt.timedelta(days=5),
        )


@pytest.mark.parametrize("n", [3, 8])
def test_the_query_count_does_not_grow_with_the_programs(n):
    user = UserFactory()
    _programs(user, n)
    with CaptureQueriesContext(connection) as queries:
        found = portfolio(user)
    assert len(found.rows) == n and all(r.trends and r.sev1 == 1 for r in found.rows)
    assert all(r.next_milestone for r in found.rows)
    assert len(queries) == 4  # programs, reports, defects, milestones
