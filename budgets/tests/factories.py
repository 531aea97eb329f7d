"""Budget structure, plan, forecasts and actuals for tests, created through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from budgets.models import BudgetLine, CostCategory, CostEntry, ForecastEntry, PlanAmount
from budgets.services import actuals, forecasts, structure
from programs.models import Workstream
from programs.tests.factories import WorkstreamFactory, manager_of


def make_category(program, actor=None, **fields: Any) -> CostCategory:
    fields.setdefault(
        "name", f"Category {CostCategory.objects.filter(program=program).count() + 1}"
    )
    fields.setdefault("kind", "vendor")
    fields.setdefault("expense_type", "capex")
    return structure.category_create(actor=actor or manager_of(program), program=program, **fields)


def make_line(program, actor=None, **fields: Any) -> BudgetLine:
    if "workstream" not in fields:
        fields["workstream"] = Workstream.objects.filter(
            program=program
        ).first() or WorkstreamFactory(program=program)
    if "category" not in fields:
        fields["category"] = make_category(program)
    fields.setdefault("name", f"Line {BudgetLine.objects.filter(program=program).count() + 1}")
    return structure.line_create(actor=actor or manager_of(program), program=program, **fields)


def plan(line, month: dt.date, amount, actor=None) -> PlanAmount | None:
    return structure.plan_set(
        actor=actor or manager_of(line.program), line=line, month=month, amount=Decimal(amount)
    )


def forecast(
    line, month: dt.date, amount, as_of: dt.date | None = None, actor=None
) -> ForecastEntry:
    return forecasts.forecast_set(
        actor=actor or manager_of(line.program), line=line, month=month,
        amount=Decimal(amount), as_of=as_of,
    )  # fmt: skip


def actual(line, month: dt.date, amount, actor=None, **fields: Any) -> CostEntry:
    return actuals.cost_entry_create(
        actor=actor or manager_of(line.program), line=line, month=month,
        amount=Decimal(amount), **fields,
    )  # fmt: skip
