"""Baselines and the plan compared with them: per-item variances and slipped milestones.

Variances are counted in working days of the program calendar (`ProgramCalendar.variance_days`):
+3 means three working days later than the baseline, -2 two working days earlier. Every function
here runs a fixed number of queries whatever the number of items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, QuerySet
from django.http import Http404

from programs.models import Program

from ..calendars import ProgramCalendar
from ..models import MINUTES_PER_DAY, Baseline, BaselineItem, Item, ItemKind
from ..services import program_calendar, schedule_for


def baseline_list(*, program: Program) -> QuerySet[Baseline]:
    """The program's baselines, newest first, with who took them and how many items they hold."""
    return (
        Baseline.objects.filter(program=program)
        .select_related("created_by")
        .annotate(item_count=Count("items"))
        .order_by("-created_at", "-pk")
    )


def baseline_get(*, program: Program, pk: Any) -> Baseline:
    """One baseline of this program, or 404 (a baseline of another program is not found)."""
    try:
        return Baseline.objects.select_related("created_by").get(program=program, pk=int(pk))
    except (Baseline.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such baseline in this program") from exc


def baseline_current(*, program: Program) -> Baseline | None:
    return Baseline.objects.filter(program=program, is_current=True).first()


def _variance(cal: ProgramCalendar, planned: dt.date | None, actual: dt.date | None) -> int | None:
    try:
        return cal.variance_days(planned, actual)
    except ValueError:  # outside the calendar's span (years away): count calendar days instead
        return (actual - planned).days if planned and actual else None


def _span_days(cal: ProgramCalendar, start: dt.date | None, finish: dt.date | None) -> int | None:
    if start is None or finish is None:
        return None
    try:
        return cal.working_days(start, finish)
    except ValueError:
        return (finish - start).days + 1


@dataclass
class ComparisonSummary:
    items: int = 0  # items in the plan
    compared: int = 0  # ... that the baseline holds
    added: int = 0  # ... added since the baseline was taken
    slipped: int = 0  # finish later than in the baseline
    ahead: int = 0  # finish earlier than in the baseline
    worst_slip_days: int | None = None
    worst_slip_key: str = ""
    worst_slip_name: str = ""
    baseline_finish: dt.date | None = None  # the project's finish in the baseline
    finish: dt.date | None = None  # and now
    finish_variance_days: int | None = None
    cost_variance: Decimal = field(default_factory=lambda: Decimal("0.00"))


@dataclass
class Comparison:
    baseline: Baseline
    rows: list[dict[str, Any]]
    summary: ComparisonSummary
    calendar: ProgramCalendar


def baseline_comparison(*, program: Program, baseline: Baseline) -> Comparison:
    """Every item of the plan in outline order beside its baseline values, with a summary.

    Four queries: the schedule, its holidays, the items, the baseline's items.
    """
    cal = program_calendar(program, schedule_for(program))
    items = (
        Item.objects.filter(program=program)
        .order_by("outline_path")
        .values(
            "id", "key", "name", "wbs", "depth", "kind", "start", "finish", "duration_minutes",
            "cost", "critical", "workstream_id", workstream_name=F("workstream__name"),
        )
    )  # fmt: skip
    saved = {
        pk: (s, f, d, c)
        for pk, s, f, d, c in BaselineItem.objects.filter(baseline=baseline).values_list(
            "item_id", "start", "finish", "duration_minutes", "cost"
        )
    }
    rows: list[dict[str, Any]] = []
    summary = ComparisonSummary()
    cost_variance = Decimal("0.00")
    for it in items:
        summary.items += 1
        start, finish, cost = it["start"], it["finish"], it["cost"]
        summary.finish = max(summary.finish, finish) if summary.finish and finish else finish
        base = saved.get(it["id"])
        if base is None:
            b_start = b_finish = b_cost = None
            start_var = finish_var = duration_var = cost_var = None
            summary.added += 1
        else:
            b_start, b_finish, b_duration, b_cost = base
            summary.compared += 1
            start_var = _variance(cal, b_start, start)
            finish_var = _variance(cal, b_finish, finish)
            if it["kind"] == ItemKind.SUMMARY:
                # A summary's own duration field is not kept up to date: compare its spans.
                now, then = _span_days(cal, start, finish), _span_days(cal, b_start, b_finish)
                duration_var = None if now is None or then is None else now - then
            else:
                duration_var = round((it["duration_minutes"] - b_duration) / MINUTES_PER_DAY, 2)
                if duration_var == int(duration_var):
                    duration_var = int(duration_var)
            cost_var = cost - b_cost
            if b_finish:
                summary.baseline_finish = max(summary.baseline_finish or b_finish, b_finish)
            if it["kind"] != ItemKind.SUMMARY:
                cost_variance += cost_var  # summaries would count their items twice
            if finish_var is not None and finish_var > 0:
                summary.slipped += 1
                if summary.worst_slip_days is None or finish_var > summary.worst_slip_days:
                    summary.worst_slip_days = finish_var
                    summary.worst_slip_key, summary.worst_slip_name = it["key"], it["name"]
            elif finish_var is not None and finish_var < 0:
                summary.ahead += 1
        rows.append(
            {
                "id": it["id"],
                "key": it["key"],
                "name": it["name"],
                "wbs": it["wbs"],
                "depth": it["depth"],
                "kind": it["kind"],
                "workstream": it["workstream_name"],
                "workstream_id": it["workstream_id"],
                "baseline_start": b_start,
                "baseline_finish": b_finish,
                "start": start,
                "finish": finish,
                "start_variance_days": start_var,
                "finish_variance_days": finish_var,
                "duration_variance_days": duration_var,
                "baseline_cost": b_cost,
                "cost": cost,
                "cost_variance": cost_var,
                "critical": it["critical"],
            }
        )
    summary.cost_variance = cost_variance
    summary.finish_variance_days = _variance(cal, summary.baseline_finish, summary.finish)
    return Comparison(baseline=baseline, rows=rows, summary=summary, calendar=cal)


def comparison_rows(program: Program, baseline: Baseline) -> list[dict[str, Any]]:
    """The plan beside `baseline`, one dict per item in outline order.

    Keys: id, key, name, wbs, depth, kind, workstream (its name or None), baseline_start,
    baseline_finish, start, finish, start_variance_days, finish_variance_days,
    duration_variance_days, baseline_cost, cost, cost_variance (Decimal); also workstream_id and
    critical for screens. Items added after the baseline was taken have None for every baseline
    value and variance.
    """
    return baseline_comparison(program=program, baseline=baseline).rows


def slipped_milestones(
    program: Program, *, baseline: Baseline | None = None, threshold_days: int | None = None
) -> list[dict[str, Any]]:
    """Milestones whose forecast finish is later than in `baseline` (the current one by default)
    by more than `threshold_days` working days (default: the schedule's slip threshold).

    Worst first (then outline order). Keys: id, key, name, workstream, baseline_finish,
    forecast_finish, days_late, remediation_plan, version. No baseline: an empty list.
    """
    schedule = schedule_for(program)
    if baseline is None:
        baseline = baseline_current(program=program)
        if baseline is None:
            return []
    if threshold_days is None:
        threshold_days = schedule.slip_threshold_days
    candidates = list(
        BaselineItem.objects.filter(
            baseline=baseline,
            item__kind=ItemKind.MILESTONE,
            finish__isnull=False,
            item__finish__gt=F("finish"),
        )
        .order_by("item__outline_path")
        .values(
            "finish",
            id_=F("item_id"),
            key=F("item__key"),
            name=F("item__name"),
            workstream=F("item__workstream__name"),
            forecast_finish=F("item__finish"),
            remediation_plan=F("item__remediation_plan"),
            version=F("item__version"),
        )
    )
    if not candidates:
        return []
    cal = program_calendar(program, schedule)
    slipped = []
    for c in candidates:
        days_late = _variance(cal, c["finish"], c["forecast_finish"])
        if days_late is None or days_late <= threshold_days:
            continue
        slipped.append(
            {
                "id": c["id_"],
                "key": c["key"],
                "name": c["name"],
                "workstream": c["workstream"],
                "baseline_finish": c["finish"],
                "forecast_finish": c["forecast_finish"],
                "days_late": days_late,
                "remediation_plan": c["remediation_plan"],
                "version": c["version"],
            }
        )
    slipped.sort(key=lambda r: -r["days_late"])  # stable: ties keep outline order
    return slipped
