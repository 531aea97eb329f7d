"""Earned value of the program and of each workstream at a status date, and the S-curve.

The math is `budgets.evm`; this module gathers its inputs in a fixed number of queries (the
ledger's five, the schedule, its holidays, the leaf WBS items, the current baseline and its
items, the snapshots), whatever the number of lines, months or WBS items. The rules, shown on
the EVM page:

- BAC of a workstream = its current budget (original plan + approved change orders, every
  month), from the ledger.
- PV at the status date = that current budget as time-phased month by month in the budget,
  each month spread over its working days of the program calendar and cumulated to the status
  date (so a mid-month status date takes the month's share of working days elapsed). When the
  schedule has a current baseline, the budget's months are the time-phasing planned from it:
  PV follows the budget, not the baseline's dates.
- EV = BAC x the workstream's percent complete: the percent complete of its leaf WBS items
  (tasks, milestones, deliverables), weighted by baseline cost when its items carry a cost,
  else by baseline duration (items the current baseline does not hold use their current cost
  and duration; milestones weigh nothing unless they carry a cost; a workstream of milestones
  only counts each item once). A workstream without WBS items claims no progress (EV = 0).
- AC = actual costs (the ledger's cost entries, accruals included) booked to months up to and
  including the status date's month.
- Progress is what the schedule holds now; for a status date in an earlier month EV comes
  from that month's earned value snapshot (progress is not stored for the past), and without
  one it is today's progress, flagged.
- Program figures are the sums of the workstreams'; its indices and EACs follow from the sums.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from programs.models import Program, Workstream
from schedules.calendars import calendar_for
from schedules.models import DEFAULT_WEEKDAYS, Baseline, BaselineItem, Holiday, Item, ItemKind
from schedules.models import Schedule as ScheduleSettings

from .. import evm
from ..models import EarnedValueSnapshot
from ..months import month_label, month_of, month_range
from .ledger import Ledger, ledger

ZERO = Decimal("0")
BASIS_LABELS = {
    "cost": "baseline cost",
    "duration": "baseline duration",
    "count": "item count (milestones only)",
    "": "no WBS items",
}


def program_today(program: Program) -> dt.date:
    """Today in the program's time zone."""
    return timezone.now().astimezone(ZoneInfo(program.time_zone)).date()


@dataclass
class Progress:
    """A workstream's weighted percent complete and how it was weighed."""

    percent: Decimal | None = None
    basis: str = ""  # cost, duration, count, or "" when it has no leaf items
    items: int = 0
    baselined: int = 0

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS[self.basis]


@dataclass
class Inputs:
    """Everything earned value is computed from, loaded once."""

    program: Program
    ledger: Ledger
    is_working_day: Callable[[dt.date], bool]
    workstreams: list[Workstream]
    plan: dict[int, dict[dt.date, Decimal]]  # workstream -> month -> current budget
    actual: dict[int, dict[dt.date, Decimal]]  # workstream -> month -> actual
    items: list[dict[str, Any]]  # leaf WBS items with their weights
    baseline: Baseline | None
    schedule_status_date: dt.date | None
    snapshots: list[EarnedValueSnapshot]
    unassigned_items: int = 0

    @property
    def months(self) -> list[dt.date]:
        if not self.ledger.months:
            return []
        return month_range(self.ledger.months[0], self.ledger.months[-1])


def _working_day_rule(program: Program) -> tuple[Callable[[dt.date], bool], ScheduleSettings]:
    schedule = ScheduleSettings.objects.filter(program=program).first()
    if schedule is None:  # never opened: the defaults, without creating the row on a read
        schedule = ScheduleSettings(program=program, weekdays=list(DEFAULT_WEEKDAYS))
    schedule.program = program
    holidays = list(Holiday.objects.filter(program=program).values_list("start", "finish"))
    cal = calendar_for(schedule, holidays)

    def is_working_day(day: dt.date) -> bool:
        try:
            return cal.is_working_day(day)
        except ValueError:  # years outside the calendar's span: the working weekdays
            return day.weekday() in cal.weekdays

    return is_working_day, schedule


def evm_inputs(program: Program, *, status_date: dt.date) -> Inputs:
    """Load the ledger, the calendar, the leaf WBS items with their baseline values and the
    snapshots: ten queries (eleven with a current baseline) whatever the size of the budget or
    the schedule."""
    book = ledger(program, as_of=status_date)
    workstreams: dict[int, Workstream] = {}
    for line in book.lines:
        workstreams.setdefault(line.workstream_id, line.workstream)
    line_ws = {line.pk: line.workstream_id for line in book.lines}
    plan: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    actual: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for (line_id, month), cell in book.cells.items():
        ws = line_ws[line_id]
        plan[ws][month] += cell.plan
        actual[ws][month] += cell.actual

    is_working_day, schedule = _working_day_rule(program)
    baseline = Baseline.objects.filter(program=program, is_current=True).first()
    saved = {}
    if baseline is not None:
        saved = {
            item_id: (duration, cost, start, finish)
            for item_id, duration, cost, start, finish in BaselineItem.objects.filter(
                baseline=baseline, item__program=program
            )
            .exclude(item__kind=ItemKind.SUMMARY)
            .values_list("item_id", "duration_minutes", "cost", "start", "finish")
        }
    items = []
    unassigned = 0
    rows = (
        Item.objects.filter(program=program)
        .exclude(kind=ItemKind.SUMMARY)
        .values(
            "id", "workstream_id", "duration_minutes", "cost", "percent_complete",
            "actual_start", "actual_finish", "start", "finish",
        )
        .order_by()
    )  # fmt: skip
    for row in rows:
        if row["workstream_id"] is None:
            unassigned += 1
            continue
        base = saved.get(row["id"])
        row["baselined"] = base is not None
        row["weight_duration"] = Decimal(base[0] if base else row["duration_minutes"])
        row["weight_cost"] = base[1] if base else row["cost"]
        row["planned_start"] = base[2] if base else row["start"]
        row["planned_finish"] = base[3] if base else row["finish"]
        items.append(row)
    snapshots = list(
        EarnedValueSnapshot.objects.filter(program=program).order_by("month", "workstream_id")
    )
    return Inputs(
        program=program,
        ledger=book,
        is_working_day=is_working_day,
        workstreams=list(workstreams.values()),
        plan=plan,
        actual=actual,
        items=items,
        baseline=baseline,
        schedule_status_date=schedule.status_date,
        snapshots=snapshots,
        unassigned_items=unassigned,
    )


def reported_percent(row: dict[str, Any]) -> Decimal:
    """An item's percent complete as reported in the schedule now."""
    return Decimal(row["percent_complete"])


def workstream_progress(
    inputs: Inputs, percent_of: Callable[[dict[str, Any]], Decimal] = reported_percent
) -> dict[int, Progress]:
    """Each workstream's weighted percent complete (see the module's rules)."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in inputs.items:
        grouped[row["workstream_id"]].append(row)
    result: dict[int, Progress] = {}
    for ws_id, rows in grouped.items():
        if sum((r["weight_cost"] for r in rows), ZERO) > 0:
            basis, key = "cost", "weight_cost"
        elif sum((r["weight_duration"] for r in rows), ZERO) > 0:
            basis, key = "duration", "weight_duration"
        else:
            basis, key = "count", ""
        parts = [(r[key] if key else Decimal(1), percent_of(r)) for r in rows]
        result[ws_id] = Progress(
            percent=evm.weighted_percent(parts),
            basis=basis,
            items=len(rows),
            baselined=sum(1 for r in rows if r["baselined"]),
        )
    return result


def scheduled_percent(inputs: Inputs, day: dt.date) -> Decimal | None:
    """The share of the budgeted workstreams' work the schedule plans done by the end of `day`
    (baseline dates, else current ones; working days; the same weights as EV), BAC-weighted:
    what SPI would compare with if the budget were time-phased exactly like the schedule."""

    def planned(row: dict[str, Any]) -> Decimal:
        start, finish = row["planned_start"], row["planned_finish"]
        if start is None or finish is None:
            return ZERO
        return evm.HUNDRED * evm.share_to(start, finish, day, inputs.is_working_day)

    progress = workstream_progress(inputs, planned)
    parts = [
        (budget_at_completion(inputs, ws.pk), progress[ws.pk].percent or ZERO)
        for ws in inputs.workstreams
        if ws.pk in progress
    ]
    return evm.weighted_percent(parts)


def planned_value(inputs: Inputs, ws_id: int, day: dt.date) -> Decimal:
    return evm.phased_to(inputs.plan.get(ws_id, {}), day, inputs.is_working_day)


def actual_cost(inputs: Inputs, ws_id: int, day: dt.date) -> Decimal:
    last = month_of(day)
    return sum(
        (amount for month, amount in inputs.actual.get(ws_id, {}).items() if month <= last), ZERO
    )


def budget_at_completion(inputs: Inputs, ws_id: int) -> Decimal:
    return sum(inputs.plan.get(ws_id, {}).values(), ZERO)


def earned_values_at(
    inputs: Inputs, day: dt.date, progress: dict[int, Progress]
) -> dict[int, evm.EarnedValue]:
    """Each workstream's BAC, PV and AC at `day` with EV from `progress`."""
    values = {}
    for ws in inputs.workstreams:
        bac = budget_at_completion(inputs, ws.pk)
        percent = progress.get(ws.pk, Progress()).percent
        values[ws.pk] = evm.EarnedValue(
            bac=bac,
            pv=planned_value(inputs, ws.pk, day),
            ev=ZERO if percent is None else bac * percent / evm.HUNDRED,
            ac=actual_cost(inputs, ws.pk, day),
        )
    return values


# --- the page's report ------------------------------------------------------------------------


def index_status(value: Decimal | None) -> str:
    """SPI/CPI colour of the presented (two-decimal) index: below 0.95 red, below 1.00 amber,
    1.00 and above green; grey when there is none."""
    shown = evm.index(value)
    if shown is None:
        return "secondary"
    if shown < Decimal("0.95"):
        return "red"
    if shown < Decimal("1.00"):
        return "yellow"
    return "green"


@dataclass
class Row:
    """One workstream (or the program's total) as the page and the API show it."""

    key: str
    name: str
    value: evm.EarnedValue
    progress: Progress
    from_snapshot: bool = False

    @cached_property
    def shown(self) -> dict:
        return self.value.presented()

    @property
    def spi_status(self) -> str:
        return index_status(self.value.spi)

    @property
    def cpi_status(self) -> str:
        return index_status(self.value.cpi)


@dataclass
class CurvePoint:
    day: dt.date
    pv: Decimal | None = None
    ev: Decimal | None = None
    ac: Decimal | None = None
    is_status: bool = False


@dataclass
class Report:
    program: Program
    status_date: dt.date
    today: dt.date
    rows: list[Row]
    total: Row
    points: list[CurvePoint]
    baseline: Baseline | None
    schedule_status_date: dt.date | None
    bottom_up_eac: Decimal
    first_month: dt.date | None
    last_month: dt.date | None
    notes: list[str] = field(default_factory=list)
    has_budget: bool = False
    has_schedule: bool = False

    @property
    def eac_projection(self) -> tuple[tuple[dt.date, Decimal], tuple[dt.date, Decimal]] | None:
        """From AC at the status date to EAC (CPI) at the end of the budget's last month."""
        eac = self.total.value.eac("cpi")
        if eac is None or self.last_month is None:
            return None
        end = max(evm.month_end(self.last_month), self.status_date)
        return (self.status_date, self.total.value.ac), (end, eac)

    def chart_data(self) -> dict[str, Any]:
        """The S-curve for Chart.js: x in days since the first month's first day."""
        if self.first_month is None:
            return {}
        origin = self.first_month

        def x(day: dt.date) -> int:  # the end of `day`
            return (day - origin).days + 1

        def series(name: str) -> list[dict[str, Any]]:
            return [
                {"x": x(p.day), "y": float(evm.money(getattr(p, name)))}
                for p in self.points
                if getattr(p, name) is not None
            ]

        last = evm.month_end(self.last_month)
        projection = self.eac_projection
        months = month_range(self.first_month, self.last_month)
        return {
            "currency": self.program.currency,
            "pv": series("pv"),
            "ev": series("ev"),
            "ac": series("ac"),
            "bac": float(evm.money(self.total.value.bac)),
            "eac": [{"x": x(day), "y": float(evm.money(value))} for day, value in projection]
            if projection
            else [],
            "status": {"x": x(self.status_date), "label": f"{self.status_date:%-d %b %Y}"},
            "ticks": [{"x": (m - origin).days, "label": f"{m:%b %Y}"} for m in months]
            + [{"x": x(last), "label": ""}],
            "max_x": max(x(last), x(self.status_date)),
            "origin": origin.isoformat(),
        }


def _snapshot_values(
    inputs: Inputs, month: dt.date
) -> tuple[dict[int | None, EarnedValueSnapshot], bool]:
    found = {s.workstream_id: s for s in inputs.snapshots if s.month == month}
    return found, bool(found)


def _curve(
    inputs: Inputs, status_date: dt.date, total: evm.EarnedValue, months: list[dt.date]
) -> list[CurvePoint]:
    plan: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    actual: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for per_month, target in ((inputs.plan, plan), (inputs.actual, actual)):
        for monthly in per_month.values():
            for month, amount in monthly.items():
                target[month] += amount
    points: dict[dt.date, CurvePoint] = {}
    start = months[0] - dt.timedelta(days=1)  # every line starts at zero
    points[start] = CurvePoint(day=start, pv=ZERO, ev=ZERO, ac=ZERO)
    running_pv = running_ac = ZERO
    for month in months:
        end = evm.month_end(month)
        running_pv += plan.get(month, ZERO)
        running_ac += actual.get(month, ZERO)
        point = points.setdefault(end, CurvePoint(day=end))
        point.pv = running_pv
        if end < status_date:
            point.ac = running_ac
    for snap in inputs.snapshots:
        if snap.workstream_id is None and snap.as_of < status_date:
            points.setdefault(snap.as_of, CurvePoint(day=snap.as_of)).ev = snap.ev
    status = points.setdefault(status_date, CurvePoint(day=status_date))
    status.pv, status.ev, status.ac, status.is_status = total.pv, total.ev, total.ac, True
    return [points[day] for day in sorted(points)]


def evm_report(program: Program, *, status_date: dt.date | None = None) -> Report:
    """The EVM page's and API's figures at `status_date` (today in the program's time zone by
    default)."""
    today = program_today(program)
    status_date = status_date or today
    inputs = evm_inputs(program, status_date=status_date)
    notes: list[str] = []
    progress = workstream_progress(inputs)
    values = earned_values_at(inputs, status_date, progress)
    from_snapshot = False
    if month_of(status_date) < month_of(today):
        found, from_snapshot = _snapshot_values(inputs, month_of(status_date))
        if from_snapshot:
            for ws_id, value in values.items():
                snap = found.get(ws_id)
                ev = snap.ev if snap else ZERO
                values[ws_id] = evm.EarnedValue(bac=value.bac, pv=value.pv, ev=ev, ac=value.ac)
                progress[ws_id] = Progress(
                    percent=snap.percent_complete if snap else None,
                    basis=progress.get(ws_id, Progress()).basis,
                    items=progress.get(ws_id, Progress()).items,
                    baselined=progress.get(ws_id, Progress()).baselined,
                )
            snap = found.get(None)
            taken = f"{snap.taken_at:%-d %b %Y}" if snap else ""
            notes.append(
                f"EV for {month_label(month_of(status_date))} comes from the earned value "
                f"snapshot{' taken on ' + taken if taken else ''}: progress is not stored for "
                "past dates."
            )
        else:
            notes.append(
                f"No earned value snapshot for {month_label(month_of(status_date))}: EV uses "
                "today's percent complete, which overstates progress at a past date."
            )
    rows = [
        Row(
            key=ws.key,
            name=ws.name,
            value=values[ws.pk],
            progress=progress.get(ws.pk, Progress()),
            from_snapshot=from_snapshot,
        )
        for ws in inputs.workstreams
    ]
    total_value = evm.total(row.value for row in rows)
    total = Row(
        key="",
        name="Program",
        value=total_value,
        progress=Progress(percent=total_value.percent_complete),
        from_snapshot=from_snapshot,
    )
    months = inputs.months
    if inputs.unassigned_items:
        notes.append(
            f"{inputs.unassigned_items} WBS item(s) belong to no workstream and earn no value."
        )
    scheduled = scheduled_percent(inputs, status_date) if inputs.items else None
    phased = total_value.percent_scheduled
    if scheduled is not None and phased is not None and abs(scheduled - phased) > 10:
        notes.append(
            f"The budget's time-phasing puts {evm.index(phased)} % of BAC before the status "
            f"date, while the schedule{' baseline' if inputs.baseline else ''} plans "
            f"{evm.index(scheduled)} % of the work done by then: SPI and SV measure progress "
            "against the budget's phasing. Re-phase the budget from the schedule to align them."
        )
    unmeasured = [row.name for row in rows if not row.progress.items]
    if unmeasured and inputs.items:
        notes.append(
            "No WBS items, so no progress claimed (EV = 0) for: " + ", ".join(unmeasured) + "."
        )
    return Report(
        program=program,
        status_date=status_date,
        today=today,
        rows=rows,
        total=total,
        points=_curve(inputs, status_date, total_value, months) if months else [],
        baseline=inputs.baseline,
        schedule_status_date=inputs.schedule_status_date,
        bottom_up_eac=inputs.ledger.eac(),
        first_month=months[0] if months else None,
        last_month=months[-1] if months else None,
        notes=notes,
        has_budget=bool(inputs.ledger.lines) and total_value.bac != 0,
        has_schedule=bool(inputs.items) or inputs.unassigned_items > 0,
    )
