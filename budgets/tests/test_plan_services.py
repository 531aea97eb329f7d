"""Budget structure services: a grid row saved all or nothing with the line's version, stale
rows refused with what changed, categories and lines refused deletion while in use, change
orders (change request rules, four eyes, never edited once decided), reserves and balances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.models import BudgetLine, ChangeOrderStatus, CostCategory, PlanAmount
from budgets.selectors.ledger import ledger
from budgets.selectors.plan import plan_grid, reserve_balances
from budgets.services import structure
from budgets.tests.factories import actual, forecast, make_category, make_line, plan
from budgets.tests.plan_factories import decide, make_order, make_reserve, move
from core.audit import history_for_object
from core.errors import Refused
from core.permissions import Role
from core.versioning import StaleVersionError
from governance.tests.factories_changes import make_cast, make_cr
from programs.tests.factories import ProgramFactory, member

pytestmark = pytest.mark.django_db

MAR, APR, MAY = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)


@pytest.fixture
def line(program, manager):
    return make_line(program, name="Northwind SOW 1")


def cells(line) -> dict:
    return dict(PlanAmount.objects.filter(line=line).values_list("month", "amount"))


# --- a row of the grid --------------------------------------------------------------------------


def test_line_plan_set_saves_every_month_and_moves_the_version_once(line, manager):
    before = line.version

    structure.line_plan_set(
        actor=manager, line=line, amounts={MAR: "100.00", APR: "250.50", MAY: ""},
        expected_version=before,
    )  # fmt: skip

    line.refresh_from_db()
    assert cells(line) == {MAR: Decimal("100.00"), APR: Decimal("250.50")}
    assert line.version == before + 1
    entry = history_for_object(line).order_by("-id").first()
    assert entry.changes == {
        "plan 2026-03": ["0.00", "100.00"],
        "plan 2026-04": ["0.00", "250.50"],
    }


def test_line_plan_set_zero_removes_a_month_and_no_change_keeps_the_version(line, manager):
    plan(line, MAR, "100.00")
    line.refresh_from_db()
    version = line.version

    structure.line_plan_set(
        actor=manager, line=line, amounts={MAR: "100.00"}, expected_version=version
    )
    line.refresh_from_db()
    assert line.version == version

    structure.line_plan_set(actor=manager, line=line, amounts={MAR: "0"}, expected_version=version)
    assert cells(line) == {}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("-5", "negative"),
        ("abc", "is not an amount"),
        ("10.123", "more than two decimals"),
    ],
)
def test_line_plan_set_one_bad_cell_saves_nothing(line, manager, bad, message):
    plan(line, MAR, "100.00")
    line.refresh_from_db()
    version = line.version

    with pytest.raises(ValidationError) as exc:
        structure.line_plan_set(
            actor=manager, line=line, amounts={MAR: "999.00", APR: bad}, expected_version=version
        )

    assert list(exc.value.message_dict) == ["2026-04"]
    assert message in exc.value.message_dict["2026-04"][0]
    line.refresh_from_db()
    assert cells(line) == {MAR: Decimal("100.00")}
    assert line.version == version


def test_line_plan_set_refuses_a_month_outside_the_program(line, manager):
    with pytest.raises(ValidationError) as exc:
        structure.line_plan_set(
            actor=manager, line=line, amounts={dt.date(2030, 1, 1): "1.00"},
            expected_version=line.version,
        )  # fmt: skip
    assert "outside the program" in exc.value.message_dict["2030-01"][0]


def test_line_plan_set_stale_version_says_who_changed_which_month(program, line, manager):
    finance = member(program, Role.FINANCE, full_name="Fatima Khan").user
    seen = line.version
    structure.line_plan_set(actor=finance, line=line, amounts={APR: "40.00"}, expected_version=seen)

    with pytest.raises(StaleVersionError) as exc:
        structure.line_plan_set(
            actor=manager, line=line, amounts={MAR: "10.00"}, expected_version=seen
        )

    assert exc.value.changed_by == ["Fatima Khan"]
    assert exc.value.changed_fields == {"plan 2026-04": ["0.00", "40.00"]}
    assert cells(line) == {APR: Decimal("40.00")}


def test_plan_set_moves_the_line_version(line):
    version = line.version
    plan(line, MAR, "5.00")
    line.refresh_from_db()
    assert line.version == version + 1


# --- categories and lines -----------------------------------------------------------------------


def test_category_in_use_is_not_deleted(program, manager, line):
    category = line.category

    with pytest.raises(Refused) as exc:
        structure.category_delete(actor=manager, category=category, expected_version=None)

    assert f"used by 1 budget line ({line.key})" in exc.value.reason
    assert CostCategory.objects.filter(pk=category.pk).exists()


def test_unused_category_is_deleted_and_update_checks_the_version(program, manager):
    category = make_category(program, name="Travel")
    category = structure.category_update(
        actor=manager, category=category, expected_version=category.version, gl_account="650000"
    )
    with pytest.raises(StaleVersionError):
        structure.category_update(actor=manager, category=category, expected_version=1, name="X")

    structure.category_delete(actor=manager, category=category, expected_version=category.version)
    assert not CostCategory.objects.filter(pk=category.pk).exists()


def test_line_with_actuals_and_forecasts_is_not_deleted_and_says_which(program, manager, line):
    actual(line, MAR, "10.00")
    forecast(line, APR, "20.00")

    with pytest.raises(Refused) as exc:
        structure.line_delete(actor=manager, line=line, expected_version=None)

    assert "1 actual cost entry" in exc.value.reason
    assert "1 forecast" in exc.value.reason
    assert BudgetLine.objects.filter(pk=line.pk).exists()


def test_line_with_only_a_plan_is_deleted_with_its_months(manager, line):
    plan(line, MAR, "10.00")
    line.refresh_from_db()
    structure.line_delete(actor=manager, line=line, expected_version=line.version)
    assert not BudgetLine.objects.filter(pk=line.pk).exists()
    assert not PlanAmount.objects.filter(line_id=line.pk).exists()


def test_line_of_another_program_category_is_refused(program, manager):
    other = ProgramFactory(code="CRM")
    category = make_category(other)
    with pytest.raises(ValidationError) as exc:
        make_line(program, category=category)
    assert "another program" in exc.value.message_dict["category"][0]


# --- change orders ------------------------------------------------------------------------------


@pytest.fixture
def cast(db):
    return make_cast()


@pytest.fixture
def cast_line(cast):
    return make_line(cast.program, actor=cast.pm, name="Northwind SOW 1")


def test_change_order_must_cite_an_approved_or_implemented_request(cast, cast_line):
    submitted = make_cr(cast.program, cast.contributor, status="submitted", actor_for=cast)

    with pytest.raises(ValidationError) as exc:
        make_order(cast.program, [(cast_line, MAR, "10.00")], change_request=submitted)

    assert exc.value.message_dict["change_request"] == [
        f"{submitted.key} is submitted; only an approved or implemented change request can cause "
        "a change order."
    ]
    approved = make_cr(cast.program, cast.contributor, status="approved", actor_for=cast)
    order = make_order(cast.program, [(cast_line, MAR, "10.00")], change_request=approved)
    assert order.change_request == approved


def test_change_order_of_another_programs_request_is_refused(cast, cast_line):
    other = make_cast("CRM")
    foreign = make_cr(other.program, other.contributor, status="approved", actor_for=other)
    with pytest.raises(ValidationError) as exc:
        make_order(cast.program, [(cast_line, MAR, "10.00")], change_request=foreign)
    assert "another program" in exc.value.message_dict["change_request"][0]


def test_change_order_amount_rows_are_checked(cast, cast_line):
    with pytest.raises(ValidationError) as exc:
        make_order(cast.program, [(cast_line, MAR, "10.00"), (cast_line, MAR, "5.00")])
    assert "appears twice" in exc.value.message_dict["amounts"][0]
    with pytest.raises(ValidationError) as exc:
        make_order(cast.program, [(cast_line, MAR, "0")])
    assert "zero" in exc.value.message_dict["amounts"][0]
    with pytest.raises(ValidationError):
        structure.change_order_create(
            actor=cast.pm, program=cast.program, title="t", reason="r",
            amounts=[(cast_line, MAR, "1.234")],
        )  # fmt: skip


def test_the_author_cannot_approve_and_approval_makes_the_current_budget(cast, cast_line):
    plan(cast_line, MAR, "100.00", actor=cast.pm)
    order = make_order(cast.program, [(cast_line, MAR, "-30.00")], actor=cast.pm)

    with pytest.raises(Refused) as exc:
        decide(order, cast.pm)
    assert "You created" in exc.value.reason
    assert ledger(cast.program).cell(cast_line.pk, MAR).plan == Decimal("100.00")

    order = decide(order, cast.sponsor)

    assert order.status == ChangeOrderStatus.APPROVED
    assert order.decided_by == cast.sponsor
    cell = ledger(cast.program).cell(cast_line.pk, MAR)
    assert (cell.original, cell.change_orders, cell.plan) == (
        Decimal("100.00"), Decimal("-30.00"), Decimal("70.00"),
    )  # fmt: skip
    grid = plan_grid(cast.program, current=True)
    assert grid.total == Decimal("70.00")


def test_a_decided_change_order_is_never_edited_or_deleted(cast, cast_line):
    order = decide(make_order(cast.program, [(cast_line, MAR, "10.00")]), cast.sponsor)
    with pytest.raises(Refused):
        structure.change_order_update(
            actor=cast.pm, change_order=order, expected_version=order.version, title="x"
        )
    with pytest.raises(Refused):
        structure.change_order_delete(actor=cast.pm, change_order=order, expected_version=None)
    with pytest.raises(Refused):
        decide(order, cast.sponsor, approve=False)


def test_a_rejected_change_order_leaves_the_budget(cast, cast_line):
    order = decide(make_order(cast.program, [(cast_line, MAR, "10.00")]), cast.sponsor, False)
    assert order.status == ChangeOrderStatus.REJECTED
    assert ledger(cast.program).cell(cast_line.pk, MAR).plan == Decimal("0.00")


def test_editing_only_the_amounts_moves_the_version(cast, cast_line):
    order = make_order(cast.program, [(cast_line, MAR, "10.00")])
    version = order.version
    order = structure.change_order_update(
        actor=cast.pm, change_order=order, expected_version=version,
        amounts=[(cast_line, APR, Decimal("15.00"))],
    )  # fmt: skip
    assert order.version == version + 1
    assert [(a.month, a.amount) for a in order.amounts.all()] == [(APR, Decimal("15.00"))]
    with pytest.raises(StaleVersionError):
        structure.change_order_update(
            actor=cast.pm, change_order=order, expected_version=version, title="Late"
        )


# --- reserves -----------------------------------------------------------------------------------


def test_reserve_balance_is_amount_plus_movements_in_one_query(program):
    reserve = make_reserve(program, "contingency", "400000.00")
    move(reserve, "-185000.00")
    move(reserve, "5000.00", reason="Unused draw returned.")

    with CaptureQueriesContext(connection) as ctx:
        balances = reserve_balances(program)

    assert len(ctx.captured_queries) == 1
    by_kind = {b["kind"]: b for b in balances}
    assert by_kind["contingency"]["balance"] == Decimal("220000.00")
    assert by_kind["contingency"]["movements_total"] == Decimal("-180000.00")
    assert by_kind["management"]["balance"] == Decimal("0.00")
    assert by_kind["management"]["label"] == "Management reserve"


def test_reserve_movement_needs_a_reason_and_an_amount(program):
    reserve = make_reserve(program)
    with pytest.raises(ValidationError) as exc:
        move(reserve, "0")
    assert "zero" in exc.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as exc:
        move(reserve, "-10.00", reason="  ")
    assert "why" in exc.value.message_dict["reason"][0]


def test_reserve_set_checks_the_version_once_it_exists(program, manager):
    reserve = make_reserve(program, "management", "250000.00")
    with pytest.raises(StaleVersionError):
        structure.reserve_set(
            actor=manager, program=program, kind="management", amount="1.00",
            expected_version=reserve.version + 5,
        )  # fmt: skip
    with pytest.raises(ValidationError):
        structure.reserve_set(actor=manager, program=program, kind="management", amount="-1")
