"""The registry of computed KPI sources: what the system can measure every week by itself.

Each `Source` reads one figure of a program for an ISO week ("2026-W48") from the owning domain
app's selectors, as of the week's status date (its Sunday, or today in the program's time zone
while the week is not over), and returns a Decimal, or None when there is nothing to measure
(no baseline yet, no budget, no decided change request in the window). A source carries the
definition "add the standard KPIs" creates: name, unit, direction, category, the formula in
words, and a default target and thresholds.

    SOURCES["spi"].compute(program, "2026-W48")  -> Decimal("0.97")
    measure_all(program, "2026-W48", ["spi", "cpi"])  -> {"spi": ..., "cpi": ...}  (one EVM read)

A KPI definition whose `source` is not a code here is "manual": people type its values in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from budgets.selectors.evm import Report, evm_report, program_today
from budgets.selectors.overview import OverviewFigures, overview_figures
from governance.selectors.changes import change_request_list
from programs.models import Program
from releases.models import CycleStatus, DefectStatus
from releases.selectors.defects import defect_list
from releases.selectors.testing import cycle_list, cycle_stats
from risks.choices import ActionStatus, RaidType
from risks.models import Action
from risks.selectors import raid_items_overdue, raid_queryset, risk_exposure
from schedules.selectors.baselines import baseline_comparison, baseline_current
from schedules.selectors.gantt import milestone_chart

from .collect import period_bounds
from .models.kpis import MANUAL, KpiCategory, KpiDirection, KpiUnit

__all__ = ["MANUAL", "SOURCES", "Measure", "Source", "measure_all", "source_choices"]

WINDOW_DAYS = 90  # cycle times and the escape rate look back this far from the status date
HIGH_SCORE = 10  # the risks' high band starts at 10 (risks.choices.SCORE_BAND_RANGES)
ONE = Decimal("1")
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")
HUNDRED = Decimal("100")


def _q(value: Decimal | None, step: Decimal) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(step)


def _percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return None if not whole else (Decimal(part) / Decimal(whole) * HUNDRED).quantize(TENTH)


class Measure:
    """One program and week being measured: the status date and the domain reads several
    sources share (one EVM report and one budget overview per run, however many use them)."""

    def __init__(self, program: Program, period: str):
        self.program = program
        self.period = period
        self.period_start, self.period_end = period_bounds(period)
        self.status_date = min(self.period_end, program_today(program))
        self.window_start = self.status_date - dt.timedelta(days=WINDOW_DAYS - 1)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.program.time_zone)

    def moment(self, day: dt.date) -> dt.datetime:
        """The start of `day` in the program's time zone."""
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.zone)

    @cached_property
    def evm(self) -> Report:
        return evm_report(self.program, status_date=self.status_date)

    @cached_property
    def budget(self) -> OverviewFigures:
        return overview_figures(self.program, self.status_date)


# --- the computations ----------------------------------------------------------------------------


def schedule_variance(m: Measure) -> Decimal | None:
    baseline = baseline_current(program=m.program)
    if baseline is None:
        return None
    days = baseline_comparison(program=m.program, baseline=baseline).summary.finish_variance_days
    return None if days is None else Decimal(days)


def spi(m: Measure) -> Decimal | None:
    return _q(m.evm.total.value.spi, HUNDREDTH)


def cpi(m: Measure) -> Decimal | None:
    return _q(m.evm.total.value.cpi, HUNDREDTH)


def milestone_hit_rate(m: Measure) -> Decimal | None:
    due = [
        row
        for row in milestone_chart(m.program)["milestones"]
        if row["baseline_finish"] and row["baseline_finish"] <= m.status_date
    ]
    hit = [
        row
        for row in due
        if row["complete"] and row["finish"] and row["finish"] <= row["baseline_finish"]
    ]
    return _percent(len(hit), len(due))


def budget_burn(m: Measure) -> Decimal | None:
    figures = m.budget
    return figures.spent_percent if figures.budget else None


def burn_vs_plan(m: Measure) -> Decimal | None:
    total = m.evm.total.value
    return _percent(total.ac, total.pv) if total.pv else None


def risk_exposure_total(m: Measure) -> Decimal | None:
    return Decimal(risk_exposure(program=m.program)["total_exposure"])


def open_high_risks(m: Measure) -> Decimal | None:
    figures = risk_exposure(program=m.program)
    return Decimal(figures["high_count"] + figures["critical_count"])


def defect_escape_rate(m: Measure) -> Decimal | None:
    raised = defect_list(program=m.program).filter(
        created_at__gte=m.moment(m.window_start),
        created_at__lt=m.moment(m.status_date + dt.timedelta(days=1)),
    ).exclude(status=DefectStatus.REJECTED)  # fmt: skip
    escaped = [cycle is None for cycle in raised.values_list("found_in_cycle_id", flat=True)]
    return _percent(sum(escaped), len(escaped))


def pass_rate(m: Measure) -> Decimal | None:
    cycles = cycle_list(program=m.program)
    running = cycles.filter(status=CycleStatus.ACTIVE)
    if not running.exists():
        last = cycles.filter(status=CycleStatus.CLOSED).order_by("-end_date", "-number").first()
        running = cycles.filter(pk=last.pk) if last else cycles.none()
    stats = cycle_stats(running).values()
    return _percent(sum(s.passed for s in stats), sum(s.executed for s in stats))


def _mean_days(spans: Iterable[dt.timedelta]) -> Decimal | None:
    spans = list(spans)
    if not spans:
        return None
    seconds = sum(span.total_seconds() for span in spans)
    return (Decimal(seconds) / 86400 / len(spans)).quantize(TENTH)


def change_cycle_time(m: Measure) -> Decimal | None:
    decided = change_request_list(program=m.program).filter(
        submitted_at__isnull=False,
        decided_at__gte=m.moment(m.window_start),
        decided_at__lt=m.moment(m.status_date + dt.timedelta(days=1)),
    )
    return _mean_days(d - s for s, d in decided.values_list("submitted_at", "decided_at"))


def action_cycle_time(m: Measure) -> Decimal | None:
    closed = raid_queryset(program=m.program, raid_type=RaidType.ACTION).filter(
        status=ActionStatus.DONE, completed_on__gte=m.window_start, completed_on__lte=m.status_date
    )
    spans = [
        dt.timedelta(days=(done - raised.astimezone(m.zone).date()).days)
        for raised, done in closed.values_list("created_at", "completed_on")
    ]
    return _mean_days(max(span, dt.timedelta(0)) for span in spans)


def overdue_actions(m: Measure) -> Decimal | None:
    overdue = raid_items_overdue(program=m.program, today=m.status_date)
    return Decimal(sum(1 for item in overdue if isinstance(item, Action)))


# --- the registry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    code: str
    name: str
    unit: str  # KpiUnit
    direction: str  # KpiDirection
    category: str  # KpiCategory
    formula: str
    description: str
    target: Decimal | None
    amber: Decimal | None
    red: Decimal | None
    fn: Callable[[Measure], Decimal | None]

    def compute(self, program: Program, period: str) -> Decimal | None:
        """The value for `period` (an ISO week), as of its status date."""
        return self.fn(Measure(program, period))

    def definition_fields(self) -> dict:
        """The fields of a KPI definition made from this source (the standard KPI)."""
        return {
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "formula": self.formula,
            "unit": self.unit,
            "source": self.code,
            "target": self.target,
            "amber_threshold": self.amber,
            "red_threshold": self.red,
            "direction": self.direction,
        }


def _d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


LOWER, HIGHER = KpiDirection.LOWER.value, KpiDirection.HIGHER.value
OUTCOME, DELIVERY, QUALITY = (c.value for c in KpiCategory)
PCT, RATIO, DAYS, COUNT = (
    KpiUnit.PERCENT.value,
    KpiUnit.RATIO.value,
    KpiUnit.DAYS.value,
    KpiUnit.COUNT.value,
)

_SOURCES = [
    Source(
        "schedule_variance", "Schedule variance", DAYS, LOWER, DELIVERY,
        "Working days the forecast finish of the whole plan is later than its finish in the "
        "current baseline (negative: earlier), in the program calendar, as on the baseline "
        "comparison page. Empty while the program has no current baseline.",
        "How far the end date has moved since the plan was baselined.",
        _d("0"), _d("5"), _d("15"), schedule_variance,
    ),
    Source(
        "spi", "Schedule performance index (SPI)", RATIO, HIGHER, DELIVERY,
        "Earned value ÷ planned value at the status date (EV ÷ PV), the program total of the "
        "earned value page. Below 1 means less work done than planned.",
        "Work achieved against work planned to date.",
        _d("1.00"), _d("0.95"), _d("0.90"), spi,
    ),
    Source(
        "cpi", "Cost performance index (CPI)", RATIO, HIGHER, OUTCOME,
        "Earned value ÷ actual cost at the status date (EV ÷ AC), the program total of the earned "
        "value page. Below 1 means the work done cost more than budgeted.",
        "Value obtained for each unit of money spent.",
        _d("1.00"), _d("0.95"), _d("0.90"), cpi,
    ),
    Source(
        "milestone_hit_rate", "Milestone hit rate", PCT, HIGHER, DELIVERY,
        "Of the milestones whose finish in the current baseline is on or before the status "
        "date, the percentage that are complete and finished on or before that baseline date.",
        "Whether the program keeps the dates it committed to.",
        _d("90"), _d("80"), _d("60"), milestone_hit_rate,
    ),
    Source(
        "budget_burn", "Budget burn", PCT, LOWER, OUTCOME,
        "Actual cost booked to date ÷ the current budget (original plan plus approved change "
        "orders) x 100, as the budget overview's 'spent' figure.",
        "How much of the budget is used up.",
        _d("100"), _d("100"), _d("110"), budget_burn,
    ),
    Source(
        "burn_vs_plan", "Burn against plan", PCT, LOWER, OUTCOME,
        "Actual cost to date ÷ the budget planned to be spent by the status date (AC ÷ PV x 100, "
        "the earned value page's figures). 100 % is spending to plan; above it, faster.",
        "Whether spending runs ahead of the time-phased budget.",
        _d("100"), _d("105"), _d("115"), burn_vs_plan,
    ),
    Source(
        "risk_exposure", "Risk exposure", COUNT, LOWER, OUTCOME,
        "Sum of the scores (probability x impact) of every open risk, as on the RAID log's heat "
        "map.",
        "The weight of what could still go wrong.",
        _d("50"), _d("60"), _d("120"), risk_exposure_total,
    ),
    Source(
        "open_high_risks", "Open high risks", COUNT, LOWER, OUTCOME,
        "Open risks scoring 10 or more (the high and critical bands of the heat map).",
        "Risks that need a response now.",
        _d("0"), _d("2"), _d("5"), open_high_risks,
    ),
    Source(
        "defect_escape_rate", "Defect escape rate", PCT, LOWER, QUALITY,
        "Of the defects raised in the 90 days to the status date (rejected ones left out), the "
        "percentage not found by a test cycle, i.e. found in production, by support or by users "
        "after testing let them through.",
        "How many defects testing misses.",
        _d("5"), _d("10"), _d("20"), defect_escape_rate,
    ),
    Source(
        "test_pass_rate", "Test pass rate", PCT, HIGHER, QUALITY,
        "Passed ÷ executed x 100 over the latest result of each planned case in the test cycles "
        "in progress (or, when none is, the most recently closed cycle).",
        "How close the tested scope is to release quality.",
        _d("95"), _d("90"), _d("80"), pass_rate,
    ),
    Source(
        "change_cycle_time", "Change request cycle time", DAYS, LOWER, DELIVERY,
        "Mean calendar days from submission to decision of the change requests decided in the "
        "90 days to the status date.",
        "How quickly change control decides.",
        _d("10"), _d("15"), _d("25"), change_cycle_time,
    ),
    Source(
        "action_cycle_time", "Action cycle time", DAYS, LOWER, DELIVERY,
        "Mean calendar days from raising to completing the RAID actions completed in the 90 days "
        "to the status date.",
        "How quickly agreed actions get done.",
        _d("10"), _d("15"), _d("30"), action_cycle_time,
    ),
    Source(
        "overdue_actions", "Overdue actions", COUNT, LOWER, DELIVERY,
        "Open RAID actions whose due date is before the status date, as on the RAID log's "
        "overdue list.",
        "Commitments that slipped.",
        _d("0"), _d("3"), _d("8"), overdue_actions,
    ),
]  # fmt: skip

SOURCES: dict[str, Source] = {s.code: s for s in _SOURCES}


def source_choices() -> list[tuple[str, str]]:
    """(code, label) for a form: every registry source, then manual."""
    return [(s.code, s.name) for s in _SOURCES] + [(MANUAL, "Manual (values typed in)")]


def measure_all(program: Program, period: str, codes: Iterable[str]) -> dict[str, Decimal | None]:
    """Each source's value for the period, sharing one set of domain reads."""
    m = Measure(program, period)
    return {code: SOURCES[code].fn(m) for code in codes}
