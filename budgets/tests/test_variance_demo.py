"""The variance demo finds real variances in the ledger and leaves explanations in each state;
with no variance beyond the thresholds it does nothing."""

from __future__ import annotations

import pytest

from budgets import demo_variance
from budgets.models import ExplanationStatus, VarianceExplanation
from programs.tests.factories import manager_of

from .factories import actual, make_line, plan
from .invoice_factories import finance_of
from .variance_factories import APR, FEB, JAN, MAR, worked_example

pytestmark = pytest.mark.django_db


def ctx(program) -> dict:
    return {"manager": manager_of(program), "finance": finance_of(program)}


def test_one_explanation_in_each_state(program):
    example = worked_example(program)
    for index, month in enumerate((FEB, MAR, APR)):
        line = make_line(program, name=f"Over {index}", owner=example.owner)
        plan(line, month, "1000.00")
        actual(line, month, f"{9000 + index * 1000}.00")
    counts = demo_variance.build(program, ctx(program))
    assert counts == {
        "variance explanations approved": 1,
        "variance explanations submitted": 1,
        "variance explanations requested": 1,
        "variance explanations returned": 1,
    }
    statuses = dict(VarianceExplanation.objects.values_list("line__name", "status"))
    # the largest variance is approved: Line B's January (+7,500) ... Over 2 (+10,000) first
    assert statuses["Over 2"] == ExplanationStatus.APPROVED
    assert sorted(statuses.values()) == sorted(ExplanationStatus.values)
    assert VarianceExplanation.objects.get(status="returned").review_note
    assert JAN in set(VarianceExplanation.objects.values_list("month", flat=True))


def test_nothing_without_variances(program):
    line = make_line(program)
    plan(line, JAN, "1000.00")
    actual(line, JAN, "1000.00")
    assert demo_variance.build(program, ctx(program)) == {}
    assert not VarianceExplanation.objects.exists()
