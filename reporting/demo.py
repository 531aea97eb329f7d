"""Demo reporting for seed_demo: each area's `reporting/demo_<area>.py` (function
`build(program, ctx)` returning counts), in AREAS order: KPI definitions and their history, eight
weeks of published status reports, the executive's briefing subscription and its deliveries."""

from __future__ import annotations

import importlib

from programs.models import Program

from .models import StatusReport

AREAS = ("kpis", "reports", "delivery")


def _area_modules():
    modules = []
    for area in AREAS:
        try:
            modules.append(importlib.import_module(f"reporting.demo_{area}"))
        except ModuleNotFoundError as error:
            if error.name != f"reporting.demo_{area}":
                raise
    return modules


def build_demo(program: Program) -> dict | None:
    """The program's demo reporting; None when it already has some."""
    if StatusReport.objects.filter(program=program).exists():
        return None
    ctx: dict = {}
    counts: dict = {}
    for module in _area_modules():
        counts.update(module.build(program, ctx) or {})
    return counts
