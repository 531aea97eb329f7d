"""Thresholds: a closed month's variance needs an explanation only when it reaches BOTH the
percent and the amount of the budget settings; the unexplained list and its states."""

from __future__ import annotations

import pytest

from budgets.models import BudgetSettings, ExplanationStatus
from budgets.selectors.variance import beyond_threshold, unexplained_variances
from budgets.services import variance as services

from .factories import actual, make_line, plan
from .invoice_factories import finance_of
from .variance_factories import AS_OF, FEB, JAN, MAY, D, worked_example

pytestmark = pytest.mark.django_db

SETTINGS = BudgetSettings(variance_percent=D("10.00"), variance_amount=D("5000.00"))


@pytest.mark.parametrize(
    ("variance", "plan", "expected"),
    [
        ("5000.00", "50000.00", True),  # exactly both thresholds
        ("-5000.00", "50000.00", True),  # under-spending counts too
        ("4999.99", "40000.00", False),  # 12.5 % but below the amount
        ("6000.00", "100000.00", False),  # the amount but only 6 %
        ("4999.50", "49995.00", False),  # 10.00 % shown, amount 0.50 short
        ("5000.00", "50050.00", False),  # 9.99 %
        ("5000.00", "0.00", True),  # nothing planned: beyond any percent
        ("0.00", "0.00", False),
    ],
)
def test_both_thresholds_must_be_reached(variance, plan, expected):
    assert beyond_threshold(D(variance), D(plan), SETTINGS) is expected


def test_zero_thresholds_still_ignore_a_zero_variance():
    zero = BudgetSettings(variance_percent=D("0"), variance_amount=D("0"))
    assert beyond_threshold(D("0.00"), D("100.00"), zero) is False
    assert beyond_threshold(D("0.01"), D("100.00"), zero) is True


def test_only_closed_months_are_listed(program):
    example = worked_example(program)
    plan(example.b, MAY, "100.00")
    actual(example.b, MAY, "9000.00")  # May is open on AS_OF: not listed
    rows = unexplained_variances(program, as_of=AS_OF)
    assert [(r.line, r.month, r.variance, r.variance_percent) for r in rows] == [
        (example.b, JAN, D("7500.00"), D("1500.00"))
    ]
    assert rows[0].state == "not_requested"


def test_the_program_settings_apply(program):
    worked_example(program)
    line = make_line(program, name="Small")
    plan(line, FEB, "2000.00")
    actual(line, FEB, "3000.00")  # +1,000 = 50 %
    assert len(unexplained_variances(program, as_of=AS_OF)) == 1
    BudgetSettings.objects.create(program=program, variance_amount=D("1000.00"))
    months = [r.month for r in unexplained_variances(program, as_of=AS_OF)]
    assert months == [FEB, JAN]  # latest month first


def test_states_and_approved_ones_drop_out(program):
    example = worked_example(program)
    finance = finance_of(program)
    explanation = services.explanation_request(
        actor=finance, line=example.b, month=JAN, as_of=AS_OF
    )
    assert unexplained_variances(program, as_of=AS_OF)[0].state == ExplanationStatus.REQUESTED
    assert unexplained_variances(program, as_of=AS_OF, state="not_requested") == []
    services.explanation_write(
        actor=example.owner, explanation=explanation, text="Licence true-up.",
        expected_version=explanation.version,
    )  # fmt: skip
    assert unexplained_variances(program, as_of=AS_OF)[0].state == ExplanationStatus.SUBMITTED
    explanation.refresh_from_db()
    services.explanation_approve(
        actor=finance, explanation=explanation, expected_version=explanation.version
    )
    assert unexplained_variances(program, as_of=AS_OF) == []
