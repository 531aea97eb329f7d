"""Demo KPIs for seed_demo (run by reporting/demo.py): the standard KPIs of the registry for the
program, and for ERP a manual "Stakeholder satisfaction" pulse survey, with 12 weeks of history
ending this week.

This week's values are recorded by `record_week` on the program's real demo data; the eleven
weeks before are believable values drifting into them (written through the audited create, as
the nightly task would have recorded them). A KPI the data cannot measure this week (e.g. no
action completed in the window) gets no made-up history: it shows as not recorded.
"""

from __future__ import annotations

import random
from decimal import Decimal

from core.domain import create
from programs.models import Program, ProgramMembership, Role

from .models import KpiUnit, KpiValue
from .selectors.kpis import current_period, periods_back
from .services.kpis import (
    kpi_create,
    kpi_standard_add,
    kpi_update,
    kpi_value_enter,
    record_week,
)

WEEKS = 12

# code -> how far the value was eleven weeks ago from this week's (the drift into it)
DRIFT = {
    "schedule_variance": Decimal("-12"),  # the end date slipped over the quarter
    "spi": Decimal("-0.06"),
    "cpi": Decimal("0.08"),
    "milestone_hit_rate": Decimal("11"),
    "budget_burn": Decimal("-19"),  # spending accumulates week by week
    "burn_vs_plan": Decimal("6"),
    "risk_exposure": Decimal("-34"),
    "open_high_risks": Decimal("-3"),
    "defect_escape_rate": Decimal("4"),
    "test_pass_rate": Decimal("-16"),  # testing converges
    "change_cycle_time": Decimal("5"),
    "action_cycle_time": Decimal("4"),
    "overdue_actions": Decimal("-3"),
}
STEP = {
    KpiUnit.RATIO: Decimal("0.01"),
    KpiUnit.PERCENT: Decimal("0.1"),
    KpiUnit.DAYS: Decimal("0.1"),
    KpiUnit.COUNT: Decimal("1"),
    KpiUnit.MONEY: Decimal("0.01"),
}
SATISFACTION = [62, 64, 63, 66, 68, 67, 70, 71, 69, 72, 74, 76]  # % satisfied, oldest first


def _manager(program: Program):
    membership = (
        ProgramMembership.objects.filter(program=program, role=Role.MANAGER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _path(latest: Decimal, drift: Decimal, unit: str, rng: random.Random) -> list[Decimal]:
    """WEEKS - 1 earlier values, oldest first, moving from latest + drift towards latest."""
    step = STEP.get(unit, Decimal("0.1"))
    noise = abs(drift) / 12
    values = []
    for week in range(WEEKS - 1):
        share = Decimal(WEEKS - 1 - week) / (WEEKS - 1)
        wobble = Decimal(str(rng.uniform(-1, 1))) * noise if week else Decimal(0)
        value = latest + drift * share + wobble
        if unit in (KpiUnit.PERCENT,):
            value = min(max(value, Decimal(0)), Decimal(100))
        value = max(value, Decimal(0))
        values.append(value.quantize(step))
    return values


def build(program: Program, ctx: dict) -> dict:
    manager = _manager(program)
    added = kpi_standard_add(actor=manager, program=program)
    manual = None
    if program.code == "ERP":
        # ERP rates exposure against its own size, as its status reports do (demo_reports.py)
        exposure = next(k for k in added if k.source == "risk_exposure")
        kpi_update(
            actor=manager, kpi=exposure, expected_version=exposure.version,
            target=Decimal("100"), amber_threshold=Decimal("150"), red_threshold=Decimal("200"),
        )  # fmt: skip
        manual = kpi_create(
            actor=manager,
            program=program,
            name="Stakeholder satisfaction",
            category="outcome",
            description="Whether the business believes the program is delivering what it needs.",
            formula="Share of the stakeholders answering the weekly pulse survey who are "
            "satisfied or very satisfied (4 or 5 on a 5-point scale), in percent.",
            unit=KpiUnit.PERCENT,
            source="manual",
            direction="higher",
            target=Decimal("75"),
            amber_threshold=Decimal("70"),
            red_threshold=Decimal("60"),
            owner=manager,
        )
    this_week = current_period(program)
    record_week(program, this_week)
    periods = periods_back(program, WEEKS)
    latest = {
        v.definition_id: v.value for v in KpiValue.objects.filter(program=program, period=this_week)
    }
    rng = random.Random(f"{program.code}-kpis")  # noqa: S311 (demo figures, not secrets)
    history = 0
    for definition in added:
        value = latest.get(definition.pk)
        if value is None:
            continue
        drift = DRIFT.get(definition.source, Decimal(0))
        for period, earlier in zip(periods[:-1], _path(value, drift, definition.unit, rng),
                                   strict=True):  # fmt: skip
            create(
                KpiValue, actor=None, program=program, definition=definition, period=period,
                value=earlier, manual=False,
            )  # fmt: skip
            history += 1
    if manual is not None:
        replies = rng.randint(18, 30)
        for period, score in zip(periods, SATISFACTION, strict=True):
            kpi_value_enter(
                actor=manager, kpi=manual, period=period, value=Decimal(score),
                note=f"Weekly pulse survey, {replies} replies",
            )  # fmt: skip
            replies = max(12, replies + rng.randint(-3, 3))
    return {
        "KPI definitions": len(added) + (1 if manual else 0),
        "KPI values": history + len(latest) + (WEEKS if manual else 0),
    }
