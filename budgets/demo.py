"""Demo budget for the ERP program (seed_demo): the structure and plan every area builds on
(`demo_plan`), then each area's own rows (`budgets/demo_<area>.py`, function
`build(program, ctx)` returning counts), in AREAS order.

ctx holds: manager, finance (users), people (email -> user), categories (slug -> CostCategory),
lines (slug -> BudgetLine), contracts (vendors' demo slug -> Contract), months (the program's).
"""

from __future__ import annotations

import importlib

from programs.models import Program

from .models import BudgetLine

AREAS = ("plan", "forecasts", "actuals", "invoices", "variance", "evm")


def _area_modules():
    modules = []
    for area in AREAS:
        try:
            modules.append(importlib.import_module(f"budgets.demo_{area}"))
        except ModuleNotFoundError as error:
            if error.name != f"budgets.demo_{area}":
                raise
    return modules


def build_demo(program: Program) -> dict | None:
    """The program's demo budget; None when it already has one or is not ERP."""
    if program.code != "ERP" or BudgetLine.objects.filter(program=program).exists():
        return None
    ctx: dict = {}
    counts: dict = {}
    for module in _area_modules():
        counts.update(module.build(program, ctx) or {})
    return counts
