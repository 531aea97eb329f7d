"""The program dashboard: the program's position now, computed live (not from a stored report).

Every figure comes from `reporting.collect.collect` for the current period with the program's
thresholds, so the dashboard, a report composed now and the briefing agree to the number, and
each of those is the figure the domain's own page shows (budget overview, earned value, RAID
heat map, milestones). Around it: the RAID actions past their due date, the KPIs with their
recent history, the program's latest audit entries and its latest published status report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from budgets.selectors.evm import program_today
from core.models import AuditEntry
from programs.models import Program
from programs.selectors import activity_list
from risks.choices import IMPACT_LABELS, PROBABILITY_LABELS, RATINGS, score_band
from risks.models import Action

from .. import rag
from ..collect import collect
from ..models import ReportStatus, StatusReport
from ..periods import period_of
from ..snapshot import BudgetBurn, MilestoneLine, RagLine, Snapshot
from .common import thresholds_of

__all__ = [
    "DIMENSION_LABELS",
    "ProgramDashboard",
    "heat_rows",
    "kpi_cards_or_none",
    "overdue_actions",
    "program_dashboard",
    "rag_colour",
    "sparkline_points",
]

DIMENSION_LABELS = {
    "overall": "Overall",
    "schedule": "Schedule",
    "cost": "Cost",
    "scope": "Scope",
    "risk": "Risk",
    "quality": "Quality",
}
ACTIVITY_ROWS = 8
SPARK_WIDTH, SPARK_HEIGHT = 120, 32
# a RAG value -> the UI kit's colour name (badges, card status bars)
RAG_COLOURS = {"red": "danger", "amber": "warning", "green": "success", "grey": "secondary"}


def rag_colour(value: str | None) -> str:
    return RAG_COLOURS.get(value or "", "secondary")


@dataclass(frozen=True)
class Tile:
    dimension: str
    label: str
    rag: str
    reason: str

    @property
    def rag_label(self) -> str:
        return rag.Rag(self.rag).label

    @property
    def colour(self) -> str:
        return rag_colour(self.rag)


@dataclass(frozen=True)
class OverdueAction:
    key: str
    title: str
    owner: str
    owner_email: str
    due_date: dt.date
    days_late: int
    status: str
    escalation_level: int
    url: str


@dataclass(frozen=True)
class LatestReport:
    period: str
    overall_rag: str
    published_at: dt.datetime | None
    url: str | None

    @property
    def rag_label(self) -> str:
        return rag.Rag(self.overall_rag or "grey").label

    @property
    def colour(self) -> str:
        return rag_colour(self.overall_rag)


@dataclass
class ProgramDashboard:
    program: Program
    snapshot: Snapshot
    today: dt.date
    overall: Tile
    tiles: list[Tile]  # the five dimensions, in rag.DIMENSIONS order
    milestones_due: list[MilestoneLine]
    slipped_count: int
    budget: BudgetBurn | None
    burn_rows: list[dict[str, Any]]  # the chart's table fallback: month, plan, actual, forecast
    burn_chart: dict[str, Any] | None  # the chart's json_script data
    heat_rows: list[dict[str, Any]]
    open_risks: int
    exposure: int
    overdue_actions: list[OverdueAction]
    kpis: list[Any] | None  # reporting.selectors.kpis.KpiCard; None when KPIs are not available
    activity: list[AuditEntry] = field(default_factory=list)
    latest_report: LatestReport | None = None

    @property
    def period(self) -> str:
        return self.snapshot.period

    @property
    def variance(self) -> Decimal | None:
        """EAC - budget (positive = overspend expected), as the budget overview shows it."""
        b = self.budget
        return None if b is None else b.forecast_at_completion - b.budget

    @property
    def variance_percent(self) -> Decimal | None:
        b = self.budget
        if b is None or not b.budget or self.variance is None:
            return None
        return (self.variance / b.budget * 100).quantize(Decimal("0.01"))


def _tiles(lines: list[RagLine]) -> tuple[Tile, list[Tile]]:
    by_dimension = {line.dimension: line for line in lines}
    tiles = [
        Tile(name, DIMENSION_LABELS[name], by_dimension[name].rag, by_dimension[name].reason)
        for name in rag.DIMENSIONS
        if name in by_dimension
    ]
    overall = by_dimension.get("overall")
    return (
        Tile(
            "overall",
            "Overall",
            overall.rag if overall else "grey",
            overall.reason if overall else "",
        ),
        tiles,
    )


def heat_rows(program: Program, cells: list[tuple[int, int, int]]) -> list[dict[str, Any]]:
    """The 5x5 map as the RAID log draws it (risks/_heat_grid.html): probability 5 at the top,
    impact 1..5 left to right, each cell in the RAID log's score band and linking to its risks."""
    counts = {(p, i): n for p, i, n in cells}
    risk_list = reverse("risks:risk_list", kwargs={"code": program.code})
    rows = []
    for p in reversed(RATINGS):
        out = []
        for i in RATINGS:
            n = counts.get((p, i), 0)
            risks = f"{n} open risk{'s' if n != 1 else ''}"
            out.append({
                "cell": {"probability": p, "impact": i, "count": n, "band": score_band(p * i) or "",
                         "score": p * i},
                "url": f"{risk_list}?{urlencode({'state': 'open', 'probability': p, 'impact': i})}",
                "title": f"{risks} with probability {p} and impact {i} (score {p * i})",
                "label": f"{risks}, probability {p}, impact {i}",
            })  # fmt: skip
        rows.append({"probability": p, "label": PROBABILITY_LABELS[p], "cells": out})
    return rows


def _burn(burn: BudgetBurn | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    if burn is None:
        return [], None
    rows = [
        {"month": month, "plan": plan, "actual": actual, "forecast": forecast}
        for month, plan, actual, forecast in zip(
            burn.months, burn.plan, burn.actual, burn.forecast, strict=True
        )
    ]

    def text(values: list[Decimal | None]) -> list[str | None]:
        return [None if v is None else f"{v:.2f}" for v in values]

    chart = {
        "labels": list(burn.months),
        "plan": text(burn.plan),
        "actual": text(burn.actual),
        "forecast": text(burn.forecast),
        "today": burn.today_index,
        "currency": burn.currency,
        "budget": f"{burn.budget:.2f}",
    }
    return rows, chart


def overdue_actions(program: Program, today: dt.date) -> list[OverdueAction]:
    """Open RAID actions past their due date, most overdue first (the RAID log's "overdue and
    escalated" rule: due before today and still open), with their owners."""
    rows = (
        Action.objects.filter(
            program=program, status__in=Action.ACTIVE_STATUSES, due_date__lt=today
        )
        .select_related("owner")
        .order_by("due_date", "number")
    )
    return [
        OverdueAction(
            key=a.key,
            title=a.title,
            owner=(a.owner.get_full_name() or a.owner.email) if a.owner else "",
            owner_email=a.owner.email if a.owner else "",
            due_date=a.due_date,
            days_late=(today - a.due_date).days,
            status=a.get_status_display(),
            escalation_level=a.escalation_level,
            url=reverse("risks:action_detail", kwargs={"code": program.code, "key": a.key}),
        )
        for a in rows
    ]


def kpi_cards_or_none(program: Program) -> list[Any] | None:
    """The KPI cards (reporting.selectors.kpis), or None while that part is not installed."""
    try:
        from .kpis import kpi_cards
    except ImportError:
        return None
    return list(kpi_cards(program))


def sparkline_points(
    series: list[tuple[str, Any]], width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT
) -> str:
    """An SVG polyline's points for a KPI's values (gaps skipped), scaled into the box with a
    2-px margin; "" when fewer than two values."""
    values = [(i, Decimal(v)) for i, (_period, v) in enumerate(series) if v is not None]
    if len(values) < 2:
        return ""
    low = min(v for _, v in values)
    high = max(v for _, v in values)
    span = high - low or Decimal(1)
    last = max(len(series) - 1, 1)
    points = []
    for i, v in values:
        x = Decimal(i) / last * (width - 4) + 2
        y = (height - 2) - (v - low) / span * (height - 4) if high != low else Decimal(height) / 2
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points)


def latest_published_report(program: Program) -> LatestReport | None:
    report = (
        StatusReport.objects.filter(program=program, status=ReportStatus.PUBLISHED)
        .order_by("-period")
        .only("period", "overall_rag", "published_at", "program_id")
        .first()
    )
    if report is None:
        return None
    try:
        url = reverse(
            "reporting:report_detail", kwargs={"code": program.code, "period": report.period}
        )
    except NoReverseMatch:
        url = None
    return LatestReport(report.period, report.overall_rag, report.published_at, url)


def program_dashboard(
    program: Program, *, with_activity: bool = True, now: dt.datetime | None = None
) -> ProgramDashboard:
    today = program_today(program)
    snapshot = collect(program, period=period_of(today), thresholds=thresholds_of(program), now=now)
    overall, tiles = _tiles(snapshot.rag)
    burn_rows, burn_chart = _burn(snapshot.budget)
    return ProgramDashboard(
        program=program,
        snapshot=snapshot,
        today=today,
        overall=overall,
        tiles=tiles,
        milestones_due=list(snapshot.milestones_due),
        slipped_count=len(snapshot.milestones_slipped),
        budget=snapshot.budget,
        burn_rows=burn_rows,
        burn_chart=burn_chart,
        heat_rows=heat_rows(program, snapshot.heat_map),
        open_risks=sum(n for _p, _i, n in snapshot.heat_map),
        exposure=snapshot.risk_exposure,
        overdue_actions=overdue_actions(program, today),
        kpis=kpi_cards_or_none(program),
        activity=(
            list(activity_list(program=program).select_related("content_type")[:ACTIVITY_ROWS])
            if with_activity
            else []
        ),
        latest_report=latest_published_report(program),
    )


IMPACT_AXIS = list(IMPACT_LABELS.items())
