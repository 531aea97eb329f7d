"""Build a report's snapshot from the domain apps' selectors: the one place the briefing, the
deck and the report page get their figures, so each number is the one the domain's own page
shows (milestone slips in the schedule's working days, budget figures from the budget ledger,
SPI/CPI from the EVM report, exposure from the RAID heat map, readiness from the releases engine).

`collect(program, period="2026-W48")` reads everything for the ISO week's status date (the
period's last day, or today when the period is not over yet, in the program's time zone) and
returns a `Snapshot`. A program without a baseline or a budget gets a snapshot that says so
(`has_baseline`, `has_budget`) instead of failing.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from budgets.selectors.evm import evm_report, program_today
from budgets.selectors.overview import budget_overview
from governance.choices import ChangeStatus, DecisionStatus
from governance.models import ChangeRequest, Decision
from programs.models import Program, ProgramMembership, Role
from releases.models import OPEN_DEFECT_STATUSES, Defect, Release, ReleaseStatus
from releases.selectors.readiness import readiness_of_many
from risks.models import Issue, Risk
from risks.selectors import risk_heatmap
from schedules.models import Item, ItemKind
from schedules.selectors.baselines import baseline_current, slipped_milestones
from schedules.selectors.gantt import milestone_chart

from . import rag
from .snapshot import (
    BudgetBurn,
    ChangeLine,
    DecisionLine,
    GanttLine,
    MilestoneLine,
    RagLine,
    ReleaseLine,
    RiskLine,
    Snapshot,
)

__all__ = ["collect", "period_bounds"]

PERIOD = re.compile(r"^(\d{4})-W(\d{2})$")
AWAITING = (ChangeStatus.SUBMITTED, ChangeStatus.ASSESSED)
HIGH_SCORE = 10  # risks' "high" score band starts at 10 (risks.choices.SCORE_BAND_RANGES)
GANTT_ROWS = 18
TOP = 5


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of an ISO week "YYYY-Www" (ValueError when it is not one)."""
    match = PERIOD.match(period or "")
    if not match:
        raise ValueError(f"“{period}” is not an ISO week like 2026-W48.")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError as error:
        raise ValueError(f"{year} has no week {week}.") from error
    return monday, monday + dt.timedelta(days=6)


def _name(user) -> str:
    return (user.get_full_name() or user.email) if user else ""


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value)


# --- schedule ------------------------------------------------------------------------------------


def _milestones(program: Program, status_date: dt.date) -> tuple[list, list, list, bool, str]:
    baseline = baseline_current(program=program)
    chart = milestone_chart(program)
    lines = [
        MilestoneLine(
            key=m["key"],
            name=m["name"],
            baseline=m["baseline_finish"],
            current=m["finish"],
            done=m["complete"],
            workstream=m["workstream"],
            slip_days=m["slip_days"] or 0,
        )
        for m in sorted(chart["milestones"], key=lambda m: (m["finish"] or dt.date.max, m["key"]))
        if m["finish"]
    ]
    horizon = status_date + dt.timedelta(days=30)
    due = [m for m in lines if not m.done and status_date <= m.current <= horizon]
    slipped_keys = {row["key"] for row in slipped_milestones(program)}
    slipped = sorted(
        (m for m in lines if m.key in slipped_keys), key=lambda m: (-m.slip_days, m.current)
    )
    return lines, due, slipped, baseline is not None, baseline.name if baseline else ""


def _gantt(program: Program, status_date: dt.date) -> list[GanttLine]:
    """The next 90 days' work: top-level summaries, milestones and critical tasks, in outline
    order, at most GANTT_ROWS rows."""
    end = status_date + dt.timedelta(days=90)
    rows = (
        Item.objects.filter(program=program, start__lte=end, finish__gte=status_date)
        .filter(
            Q(kind=ItemKind.SUMMARY, depth__lte=1)
            | Q(kind=ItemKind.MILESTONE)
            | Q(critical=True, kind__in=(ItemKind.TASK, ItemKind.DELIVERABLE))
        )
        .exclude(percent_complete=100)
        .order_by("outline_path")
        .values("key", "name", "start", "finish", "critical", "kind", "percent_complete")
    )
    return [
        GanttLine(
            key=row["key"],
            name=row["name"],
            start=row["start"],
            finish=row["finish"],
            critical=row["critical"],
            milestone=row["kind"] == ItemKind.MILESTONE,
            percent_complete=row["percent_complete"] or 0,
            summary=row["kind"] == ItemKind.SUMMARY,
        )
        for row in rows[:GANTT_ROWS]
    ]


# --- budget --------------------------------------------------------------------------------------


def _budget(program: Program, status_date: dt.date) -> tuple[BudgetBurn | None, bool]:
    overview = budget_overview(program, status_date)
    figures = overview.figures
    if not overview.line_count or not figures.budget:
        return None, False
    report = evm_report(program, status_date=status_date)
    total = report.total.value
    # earned value is measured on the schedule's progress: with no plan there is nothing earned
    # to compare with, so the indices are "not measured" rather than a CPI of 0.00
    measured = Item.objects.filter(program=program).exists()
    chart = overview.chart
    vac = figures.budget - figures.eac
    return (
        BudgetBurn(
            currency=figures.currency,
            months=list(chart["labels"]),
            plan=[_dec(v) for v in chart["plan"]],
            actual=[_dec(v) for v in chart["actual"]],
            forecast=[_dec(v) for v in chart["forecast"]],
            budget=figures.budget,
            actual_to_date=figures.actual,
            forecast_at_completion=figures.eac,
            variance_at_completion=vac,
            cpi=total.cpi if measured else None,
            spi=total.spi if measured else None,
            variance_by_workstream=[
                (row.label, row.eac - row.budget) for row in overview.by_workstream
            ],
            today_index=chart["today"],
        ),
        True,
    )


# --- risks, decisions, changes, releases, defects ------------------------------------------------


def _risks(program: Program, period_start: dt.date, period_end: dt.date):
    heat = risk_heatmap(program=program)
    cells = [
        (cell.probability, cell.impact, cell.count)
        for row in heat.current.rows
        for cell in row
        if cell.count
    ]
    active = Risk.objects.filter(program=program, status__in=Risk.ACTIVE_STATUSES)
    top = [
        RiskLine(r.key, r.title, "risk", r.score, _name(r.owner), r.get_status_display())
        for r in active.select_related("owner").order_by("-score", "number")[:TOP]
    ]
    issues = [
        RiskLine(
            i.key, i.title, "issue", i.severity, _name(i.owner), i.get_status_display(), i.due_date
        )
        for i in Issue.objects.filter(program=program, status__in=Issue.ACTIVE_STATUSES)
        .select_related("owner")
        .order_by("-severity", "-priority", "due_date", "number")[:TOP]
    ]
    start = timezone.make_aware(dt.datetime.combine(period_start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min))
    new_high = tuple(
        active.filter(score__gte=HIGH_SCORE, created_at__gte=start, created_at__lt=end)
        .order_by("-score", "number")
        .values_list("key", flat=True)
    )
    return cells, int(heat.figures["exposure"]), top, issues, new_high


def _decisions(program: Program) -> list[DecisionLine]:
    return [
        DecisionLine(d.key, d.title, d.needed_by, _name(d.decided_by))
        for d in Decision.objects.filter(program=program, status=DecisionStatus.PROPOSED)
        .select_related("decided_by")
        .order_by("needed_by", "key")[:8]
    ]


def _changes(program: Program) -> list[ChangeLine]:
    return [
        ChangeLine(
            c.key,
            c.title,
            c.get_status_display(),
            c.cost_impact,
            c.schedule_impact_days,
            c.needed_by,
        )
        for c in ChangeRequest.objects.filter(program=program, status__in=AWAITING).order_by(
            "needed_by", "created_at"
        )
    ]


def _releases(program: Program) -> list[ReleaseLine]:
    releases = list(
        Release.objects.filter(
            program=program, status__in=(ReleaseStatus.PLANNED, ReleaseStatus.GO)
        ).order_by("planned_date", "number")[:6]
    )
    readiness = readiness_of_many(releases) if releases else {}
    lines = []
    for release in releases:
        result = readiness.get(release.pk)
        failing = [r.evidence for r in result.results if not r.met] if result else []
        lines.append(
            ReleaseLine(
                key=release.key,
                version=release.version_label,
                name=release.name,
                planned_date=release.planned_date,
                ready=bool(result and result.ready),
                status=release.get_status_display(),
                failing=failing,
            )
        )
    return lines


def _defects(program: Program) -> tuple[tuple[str, ...], tuple[str, ...]]:
    rows = Defect.objects.filter(
        program=program, status__in=OPEN_DEFECT_STATUSES, severity__lte=2
    ).order_by("number")
    sev1 = tuple(d.key for d in rows if d.severity == 1)
    sev2 = tuple(d.key for d in rows if d.severity == 2)
    return sev1, sev2


def _person(program: Program, role: str) -> str:
    membership = (
        ProgramMembership.objects.filter(program=program, role=role)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return _name(membership.user) if membership else ""


# --- the snapshot --------------------------------------------------------------------------------


def collect(
    program: Program,
    *,
    period: str,
    thresholds: rag.Thresholds | None = None,
    now: dt.datetime | None = None,
) -> Snapshot:
    period_start, period_end = period_bounds(period)
    status_date = min(period_end, program_today(program))
    thresholds = thresholds or rag.Thresholds()
    milestones, due, slipped, has_baseline, baseline_name = _milestones(program, status_date)
    burn, has_budget = _budget(program, status_date)
    cells, exposure, top_risks, top_issues, new_high = _risks(program, period_start, period_end)
    changes = _changes(program)
    overdue = tuple(c.key for c in changes if c.needed_by and c.needed_by < status_date)
    sev1, sev2 = _defects(program)
    ratings = rag.assess(
        rag.ScheduleFacts(
            has_baseline=has_baseline,
            spi=burn.spi if burn else None,
            slipped_milestones=tuple(m.name for m in slipped),
            baseline_name=baseline_name,
        ),
        rag.CostFacts(
            has_budget=has_budget,
            cpi=burn.cpi if burn else None,
            overrun_percent=(
                (burn.forecast_at_completion - burn.budget) / burn.budget * 100 if burn else None
            ),
        ),
        rag.ScopeFacts(open_changes=len(changes), overdue_changes=overdue),
        rag.RiskFacts(exposure=Decimal(exposure), new_high_risks=new_high),
        rag.QualityFacts(open_sev1=sev1, open_sev2=sev2),
        thresholds,
    )
    sponsor = program.sponsor if getattr(program, "sponsor_id", None) else None
    return Snapshot(
        program_code=program.code,
        program_name=program.name,
        period=period,
        period_start=period_start,
        period_end=period_end,
        status_date=status_date,
        generated_at=now or timezone.now(),
        currency=program.currency,
        manager=_person(program, Role.MANAGER),
        sponsor=_name(sponsor),
        rag=[RagLine(name, a.rag.value, a.reason) for name, a in ratings.items()],
        has_baseline=has_baseline,
        baseline_name=baseline_name,
        has_budget=has_budget,
        milestones_due=due,
        milestones_slipped=slipped,
        milestones=milestones,
        gantt=_gantt(program, status_date),
        budget=burn,
        heat_map=cells,
        risk_exposure=exposure,
        top_risks=top_risks,
        top_issues=top_issues,
        decisions_needed=_decisions(program),
        changes_awaiting=changes,
        releases=_releases(program),
    )
