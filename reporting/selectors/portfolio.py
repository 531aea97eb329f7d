"""The portfolio dashboard: one row per program the user may see dashboards of.

A row shows each program's position **as its manager last published it** (the latest published
status report's stored figures: overall and per-dimension RAG with the manager's overrides, SPI,
CPI, budget, forecast variance, risk exposure), each with a trend arrow against the report
before it, plus what is true now and cheap to count across programs (open severity-1 and -2
defects, the next milestone). Reading the stored reports keeps the page to a constant number of
queries however many programs there are (programs, reports, defects, milestones); the live
figures of one program are on its program dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.permissions import MATRIX
from programs.choices import ProgramStatus
from programs.models import Program, ProgramMembership
from releases.models import OPEN_DEFECT_STATUSES, Defect
from schedules.models import Item, ItemKind

from .. import rag
from ..models import ReportStatus, StatusReport
from ..periods import period_of, shift
from .dashboard import DIMENSION_LABELS, rag_colour

__all__ = [
    "FILTER_RAGS",
    "SORTS",
    "PortfolioParams",
    "PortfolioRow",
    "Trend",
    "parse_params",
    "portfolio",
]

NO_REPORT = "none"
FILTER_RAGS = (*(r.value for r in rag.Rag), NO_REPORT)
DIMENSION_SHORT = {
    "schedule": "Sch",
    "cost": "Cost",
    "scope": "Scp",
    "risk": "Risk",
    "quality": "Qual",
}
STALE_WEEKS = 2  # a report older than this many weeks before the current one is flagged

# snapshot keys read straight from the JSON column (the rest of a snapshot is never loaded)
SNAPSHOT_KEYS = {
    "rag": "snapshot__rag",
    "spi": "snapshot__budget__spi",
    "cpi": "snapshot__budget__cpi",
    "budget": "snapshot__budget__budget",
    "eac": "snapshot__budget__forecast_at_completion",
    "currency": "snapshot__currency",
    "exposure": "snapshot__risk_exposure",
}


@dataclass(frozen=True)
class Trend:
    """How a figure moved since the previous published report: direction up/down/flat, and
    whether that is better (True), worse (False) or neither (None: no direction, e.g. budget)."""

    direction: str
    better: bool | None
    previous: str  # the previous report's figure as shown
    previous_period: str

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓"}.get(self.direction, "→")

    @property
    def word(self) -> str:
        if self.direction == "flat":
            return "unchanged"
        if self.better is None:
            return "up" if self.direction == "up" else "down"
        return "better" if self.better else "worse"


def trend(
    current: Any, previous: Any, period: str, *, higher_is_better: bool | None, fmt=str
) -> Trend | None:
    """`previous` is kept as `fmt` shows it (for the arrow's title)."""
    if current is None or previous is None:
        return None
    direction = "up" if current > previous else "down" if current < previous else "flat"
    if direction == "flat" or higher_is_better is None:
        better = None
    else:
        better = (direction == "up") == higher_is_better
    return Trend(direction, better, fmt(previous), period)


def _index(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"


def rag_trend(current: str, previous: str | None, period: str) -> Trend | None:
    """Lower severity is better; a grey (not rated) side has no trend."""
    if not current or not previous or rag.Rag.GREY in (current, previous):
        return None
    now, before = rag.Rag(current).severity, rag.Rag(previous).severity
    found = trend(now, before, period, higher_is_better=False)
    return found and Trend(found.direction, found.better, rag.Rag(previous).label, period)


@dataclass
class PortfolioRow:
    program: Program
    role: str
    today: dt.date
    report_period: str = ""
    report_url: str | None = None
    published_at: dt.datetime | None = None
    stale: bool = False
    rag: dict[str, str] = field(default_factory=dict)  # dimension -> rag value
    reasons: dict[str, str] = field(default_factory=dict)
    rag_trends: dict[str, Trend | None] = field(default_factory=dict)
    currency: str = ""
    spi: Decimal | None = None
    cpi: Decimal | None = None
    budget: Decimal | None = None
    eac: Decimal | None = None
    exposure: int | None = None
    trends: dict[str, Trend | None] = field(default_factory=dict)
    sev1: int = 0
    sev2: int = 0
    next_milestone: dict[str, Any] | None = None

    @property
    def overall(self) -> str:
        return self.rag.get("overall", "")

    @property
    def variance(self) -> Decimal | None:
        """Forecast variance at completion: EAC - budget (positive = overspend expected), as on
        the budget overview."""
        return None if self.eac is None or self.budget is None else self.eac - self.budget

    @property
    def variance_percent(self) -> Decimal | None:
        if self.variance is None or not self.budget:
            return None
        return (self.variance / self.budget * 100).quantize(Decimal("0.1"))

    @property
    def budget_whole(self) -> str:
        """The budget in whole currency units (the exact amount is in the cell's title)."""
        return (
            ""
            if self.budget is None
            else f"{self.budget.quantize(Decimal('1'), ROUND_HALF_EVEN):,}"
        )

    @property
    def variance_whole(self) -> str:
        if self.variance is None:
            return ""
        whole = self.variance.quantize(Decimal("1"), ROUND_HALF_EVEN)
        sign = "+" if whole > 0 else "\u2212" if whole < 0 else ""
        return f"{sign}{abs(whole):,}"

    @property
    def has_report(self) -> bool:
        return bool(self.report_period)

    @property
    def overall_colour(self) -> str:
        return rag_colour(self.overall)

    @property
    def overall_label(self) -> str:
        return rag.Rag(self.overall).label if self.overall else "No report"

    @property
    def dimensions(self) -> list[dict[str, Any]]:
        """The five dimensions as the row draws them: letter, label, rating, reason, trend."""
        cells = []
        for name in rag.DIMENSIONS:
            value = self.rag.get(name, "")
            cells.append({
                "dimension": name, "letter": DIMENSION_SHORT[name],
                "label": DIMENSION_LABELS[name], "rag": value,
                "rag_label": rag.Rag(value).label if value else "Not reported",
                "colour": rag_colour(value), "reason": self.reasons.get(name, ""),
                "trend": self.rag_trends.get(name),
            })  # fmt: skip
        return cells


# --- parameters ------------------------------------------------------------------------------

SORTS: dict[str, str] = {
    "program": "Program",
    "rag": "Overall RAG",
    "spi": "SPI",
    "cpi": "CPI",
    "budget": "Budget",
    "variance": "Forecast variance",
    "exposure": "Exposure",
    "defects": "Open sev-1/2",
    "milestone": "Next milestone",
    "period": "Last report",
}
DEFAULT_SORT = "-rag"


@dataclass(frozen=True)
class PortfolioParams:
    sort: str = DEFAULT_SORT
    status: str = ""
    rag: str = ""

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.rag)


def parse_params(query: Mapping[str, str]) -> tuple[PortfolioParams, dict[str, str]]:
    """The sort and filters of a query string, and an error per bad value (the bad value is
    left out, so the page still shows something)."""
    errors: dict[str, str] = {}
    sort = (query.get("sort") or DEFAULT_SORT).strip()
    if sort.lstrip("-") not in SORTS:
        errors["sort"] = f"Sort by one of {', '.join(SORTS)} (with - for descending)."
        sort = DEFAULT_SORT
    status = (query.get("status") or "").strip()
    if status and status not in ProgramStatus.values:
        errors["status"] = f"Status is one of {', '.join(ProgramStatus.values)}."
        status = ""
    rag_value = (query.get("rag") or "").strip()
    if rag_value and rag_value not in FILTER_RAGS:
        errors["rag"] = f"RAG is one of {', '.join(FILTER_RAGS)}."
        rag_value = ""
    return PortfolioParams(sort=sort, status=status, rag=rag_value), errors


# --- queries ---------------------------------------------------------------------------------


def programs_for_dashboard(user) -> list[Program]:
    """The user's programs whose role may view dashboards, each with `my_role` (one query)."""
    roles = MATRIX["dashboard.view"]
    my_role = ProgramMembership.objects.filter(program=OuterRef("pk"), user=user).values("role")[:1]
    return list(
        Program.objects.filter(memberships__user=user, memberships__role__in=roles)
        .annotate(my_role=Subquery(my_role))
        .distinct()
        .order_by("code")
    )


def _reports(program_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The two latest published reports of each program, newest first (one query), with only
    the snapshot keys the portfolio shows."""
    rows = (
        StatusReport.objects.filter(program_id__in=program_ids, status=ReportStatus.PUBLISHED)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("program_id")], order_by=F("period").desc())
        )
        .filter(rank__lte=2)
        .values(
            "program_id",
            "period",
            "overall_rag",
            "published_at",
            **{name: F(path) for name, path in SNAPSHOT_KEYS.items()},
        )
        .order_by("program_id", "-period")
    )
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row["program_id"]].append(row)
    return found


def _defects(program_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = (
        Defect.objects.filter(
            program_id__in=program_ids, status__in=OPEN_DEFECT_STATUSES, severity__lte=2
        )
        .values("program_id")
        .annotate(sev1=Count("pk", filter=Q(severity=1)), sev2=Count("pk", filter=Q(severity=2)))
        .order_by()
    )
    return {row["program_id"]: (row["sev1"], row["sev2"]) for row in rows}


def _next_milestones(
    program_ids: list[int], today: Mapping[int, dt.date]
) -> dict[int, dict[str, Any]]:
    """Each program's first open milestone due today or later in its own time zone (one query:
    the two earliest per program from the earliest of the programs' todays)."""
    if not program_ids:
        return {}
    earliest = min(today.values())
    rows = (
        Item.objects.filter(
            program_id__in=program_ids,
            kind=ItemKind.MILESTONE,
            percent_complete__lt=100,
            finish__gte=earliest,
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("program_id")],
                order_by=[F("finish").asc(), F("outline_path").asc()],
            )
        )
        .filter(rank__lte=2)
        .values("program_id", "key", "name", "finish")
        .order_by("program_id", "finish")
    )
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["program_id"] not in found and row["finish"] >= today[row["program_id"]]:
            found[row["program_id"]] = row
    return found


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _report_url(code: str, period: str) -> str | None:
    try:
        return reverse("reporting:report_detail", kwargs={"code": code, "period": period})
    except NoReverseMatch:
        return None


def _program_today(program: Program, now: dt.datetime) -> dt.date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(program.time_zone)).date()


def _row(program: Program, today: dt.date, reports: list[dict[str, Any]]) -> PortfolioRow:
    row = PortfolioRow(program=program, role=getattr(program, "my_role", ""), today=today,
                       currency=program.currency)  # fmt: skip
    if not reports:
        return row
    latest = reports[0]
    previous = reports[1] if len(reports) > 1 else {}
    before = previous.get("period", "")
    row.report_period = latest["period"]
    row.report_url = _report_url(program.code, latest["period"])
    row.published_at = latest["published_at"]
    row.stale = latest["period"] < shift(period_of(today), -STALE_WEEKS)
    lines = {line["dimension"]: line for line in latest.get("rag") or []}
    old = {line["dimension"]: line["rag"] for line in previous.get("rag") or []}
    for dimension in ("overall", *rag.DIMENSIONS):
        line = lines.get(dimension)
        if line is None:
            continue
        row.rag[dimension] = line["rag"]
        row.reasons[dimension] = line.get("reason", "")
        row.rag_trends[dimension] = rag_trend(line["rag"], old.get(dimension), before)
    row.currency = latest.get("currency") or program.currency
    row.spi, row.cpi = _dec(latest.get("spi")), _dec(latest.get("cpi"))
    row.budget, row.eac = _dec(latest.get("budget")), _dec(latest.get("eac"))
    exposure = latest.get("exposure")
    row.exposure = None if exposure is None else int(exposure)
    if previous:
        old_budget, old_eac = _dec(previous.get("budget")), _dec(previous.get("eac"))
        old_variance = None if old_budget is None or old_eac is None else old_eac - old_budget
        old_exposure = previous.get("exposure")
        row.trends = {
            "spi": trend(row.spi, _dec(previous.get("spi")), before, higher_is_better=True,
                         fmt=_index),
            "cpi": trend(row.cpi, _dec(previous.get("cpi")), before, higher_is_better=True,
                         fmt=_index),
            "budget": trend(row.budget, old_budget, before, higher_is_better=None, fmt=_money),
            "variance": trend(row.variance, old_variance, before, higher_is_better=False,
                              fmt=_money),
            "exposure": trend(
                row.exposure, None if old_exposure is None else int(old_exposure), before,
                higher_is_better=False,
            ),
        }  # fmt: skip
    return row


# --- sorting ---------------------------------------------------------------------------------


def _sort_value(row: PortfolioRow, key: str) -> Any:
    if key == "program":
        return row.program.code
    if key == "rag":
        return rag.Rag(row.overall).severity if row.overall else None
    if key == "variance":
        return row.variance
    if key == "defects":
        return (row.sev1, row.sev2)
    if key == "milestone":
        return row.next_milestone["finish"] if row.next_milestone else None
    if key == "period":
        return row.report_period or None
    return getattr(row, key)


def sort_rows(rows: Iterable[PortfolioRow], sort: str) -> list[PortfolioRow]:
    """Sorted by `sort` ("-" for descending), rows without the figure last either way, ties by
    program code."""
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    rows = sorted(rows, key=lambda r: r.program.code)
    known = [r for r in rows if _sort_value(r, key) is not None]
    unknown = [r for r in rows if _sort_value(r, key) is None]
    known.sort(key=lambda r: _sort_value(r, key), reverse=descending)
    return known + unknown


# --- the page --------------------------------------------------------------------------------


@dataclass
class Portfolio:
    rows: list[PortfolioRow]
    total: int  # the user's programs before filtering
    params: PortfolioParams
    counts: dict[str, int]  # overall RAG of the shown rows: red, amber, green, grey, none


def portfolio(user, params: PortfolioParams | None = None, *, now: dt.datetime | None = None):
    """The user's portfolio, filtered and sorted: four queries whatever the number of programs."""
    params = params or PortfolioParams()
    now = now or timezone.now()
    programs = programs_for_dashboard(user)
    total = len(programs)
    if params.status:
        programs = [p for p in programs if p.status == params.status]
    ids = [p.pk for p in programs]
    today = {p.pk: _program_today(p, now) for p in programs}
    reports = _reports(ids) if ids else {}
    rows = [_row(p, today[p.pk], reports.get(p.pk, [])) for p in programs]
    if params.rag:
        rows = [r for r in rows if (r.overall or NO_REPORT) == params.rag]
    ids = [r.program.pk for r in rows]
    defects = _defects(ids) if ids else {}
    milestones = _next_milestones(ids, {pk: today[pk] for pk in ids})
    for row in rows:
        row.sev1, row.sev2 = defects.get(row.program.pk, (0, 0))
        found = milestones.get(row.program.pk)
        if found:
            row.next_milestone = {
                **found,
                "url": reverse("schedules:milestones", kwargs={"code": row.program.code}),
                "days": (found["finish"] - row.today).days,
            }
    counts = dict.fromkeys(FILTER_RAGS, 0)
    for row in rows:
        counts[row.overall or NO_REPORT] += 1
    return Portfolio(rows=sort_rows(rows, params.sort), total=total, params=params, counts=counts)
