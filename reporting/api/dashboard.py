"""Dashboard API: a program's live dashboard figures (/api/v1/programs/<code>/dashboard/) and the
user's portfolio (/api/v1/portfolio/), the same selectors as the pages.

Money and indices are decimal strings (`"5468600.00"`, `"1.11"`) in the program's `currency`;
RAG values are green, amber, red or grey (not rated).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.permissions import AUTHENTICATED
from core.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, VALIDATION_ERROR
from core.api.views import ApiView
from programs.api.views import CODE, ProgramScopedMixin
from programs.choices import ProgramStatus

from ..selectors.dashboard import program_dashboard
from ..selectors.portfolio import FILTER_RAGS, SORTS, PortfolioRow, Trend, parse_params, portfolio


def _dec(value: Decimal | None, places: str = "0.01") -> str | None:
    return None if value is None else f"{Decimal(value).quantize(Decimal(places))}"


# --- serializers (the schema; the views build plain dicts) ------------------------------------


class DashboardRagSerializer(serializers.Serializer):
    dimension = serializers.CharField(help_text="overall, schedule, cost, scope, risk or quality.")
    rag = serializers.CharField(help_text="green, amber, red or grey (not rated).")
    reason = serializers.CharField(help_text="One sentence naming every rule that fired.")


class DashboardMilestoneSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    workstream = serializers.CharField()
    due = serializers.DateField(help_text="The current (forecast) finish.")
    baseline = serializers.DateField(allow_null=True)
    slip_days = serializers.IntegerField(help_text="Working days behind the baseline (0: on time).")


class DashboardBudgetSerializer(serializers.Serializer):
    currency = serializers.CharField()
    budget = serializers.DecimalField(14, 2, help_text="Current budget (BAC).")
    actual = serializers.DecimalField(14, 2, help_text="Actual to date.")
    eac = serializers.DecimalField(14, 2, help_text="Estimate at completion.")
    variance = serializers.DecimalField(
        14, 2, help_text="EAC - budget (positive = overspend expected), as the budget overview."
    )
    cpi = serializers.DecimalField(6, 2, allow_null=True)
    spi = serializers.DecimalField(6, 2, allow_null=True)
    months = serializers.ListField(child=serializers.CharField())
    plan = serializers.ListField(
        child=serializers.DecimalField(14, 2, allow_null=True), help_text="Cumulative, per month."
    )
    actual_cumulative = serializers.ListField(
        child=serializers.DecimalField(14, 2, allow_null=True)
    )
    forecast = serializers.ListField(child=serializers.DecimalField(14, 2, allow_null=True))


class DashboardHeatCellSerializer(serializers.Serializer):
    probability = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)
    count = serializers.IntegerField()
    band = serializers.CharField(
        help_text="The RAID log's score band: low, medium, high, critical."
    )


class DashboardActionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    owner = serializers.CharField(allow_blank=True)
    due_date = serializers.DateField()
    days_late = serializers.IntegerField()


class DashboardKpiSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    latest = serializers.DecimalField(16, 4, allow_null=True)
    previous = serializers.DecimalField(16, 4, allow_null=True)
    rag = serializers.CharField(help_text="green, amber, red or grey (not rated).")
    trend = serializers.CharField(help_text="up, down or flat.")
    better = serializers.BooleanField(allow_null=True)
    manual = serializers.BooleanField()
    series = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(allow_null=True)),
        help_text="[period, value] pairs, oldest first.",
    )


class DashboardLatestReportSerializer(serializers.Serializer):
    period = serializers.CharField()
    overall_rag = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    program = serializers.CharField()
    period = serializers.CharField()
    status_date = serializers.DateField()
    rag = DashboardRagSerializer(many=True)
    milestones_due = DashboardMilestoneSerializer(
        many=True, help_text="Open, due in the next 30 days."
    )
    slipped_milestones = serializers.IntegerField()
    has_baseline = serializers.BooleanField()
    budget = DashboardBudgetSerializer(allow_null=True)
    risk_exposure = serializers.IntegerField()
    open_risks = serializers.IntegerField()
    heat_map = DashboardHeatCellSerializer(
        many=True, help_text="The 25 cells, probability 5 first."
    )
    overdue_actions = DashboardActionSerializer(many=True)
    kpis = DashboardKpiSerializer(many=True, allow_null=True)
    latest_report = DashboardLatestReportSerializer(allow_null=True)


def _numbers(values) -> list[str | None]:
    return [_dec(v) for v in values]


def dashboard_data(dashboard) -> dict[str, Any]:
    snap = dashboard.snapshot
    b = dashboard.budget
    budget = None
    if b is not None:
        budget = {
            "currency": b.currency, "budget": _dec(b.budget), "actual": _dec(b.actual_to_date),
            "eac": _dec(b.forecast_at_completion), "variance": _dec(dashboard.variance),
            "cpi": _dec(b.cpi), "spi": _dec(b.spi), "months": list(b.months),
            "plan": _numbers(b.plan), "actual_cumulative": _numbers(b.actual),
            "forecast": _numbers(b.forecast),
        }  # fmt: skip
    kpis = None
    if dashboard.kpis is not None:
        kpis = [
            {
                "key": c.definition.key,
                "name": c.definition.name,
                "unit": c.definition.unit,
                "latest": _dec(c.latest, "0.0001"),
                "previous": _dec(c.previous, "0.0001"),
                "rag": str(c.rag.value),
                "trend": c.trend,
                "better": c.better,
                "manual": c.manual,
                "series": [[p, _dec(v, "0.0001")] for p, v in c.series],
            }
            for c in dashboard.kpis
        ]
    report = dashboard.latest_report
    return {
        "program": dashboard.program.code,
        "period": snap.period,
        "status_date": snap.status_date,
        "rag": [
            {"dimension": t.dimension, "rag": t.rag, "reason": t.reason}
            for t in (dashboard.overall, *dashboard.tiles)
        ],
        "milestones_due": [
            {
                "key": m.key,
                "name": m.name,
                "workstream": m.workstream,
                "due": m.current,
                "baseline": m.baseline,
                "slip_days": m.slip_days,
            }
            for m in dashboard.milestones_due
        ],
        "slipped_milestones": dashboard.slipped_count,
        "has_baseline": snap.has_baseline,
        "budget": budget,
        "risk_exposure": dashboard.exposure,
        "open_risks": dashboard.open_risks,
        "heat_map": [
            {k: c["cell"][k] for k in ("probability", "impact", "count", "band")}
            for row in dashboard.heat_rows
            for c in row["cells"]
        ],
        "overdue_actions": [
            {
                "key": a.key,
                "title": a.title,
                "owner": a.owner,
                "due_date": a.due_date,
                "days_late": a.days_late,
            }
            for a in dashboard.overdue_actions
        ],
        "kpis": kpis,
        "latest_report": (
            {
                "period": report.period,
                "overall_rag": report.overall_rag,
                "published_at": report.published_at,
            }
            if report
            else None
        ),
    }


class ProgramDashboardView(ProgramScopedMixin, ApiView):
    """The program dashboard's figures, computed now."""

    permission_actions = {"get": "dashboard.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="reporting_dashboard_retrieve",
        parameters=[CODE],
        responses={200: DashboardSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["reporting"],
    )
    def get(self, request, code: str):
        dashboard = program_dashboard(self.program, with_activity=False)
        return Response(DashboardSerializer(dashboard_data(dashboard)).data)


# --- portfolio -----------------------------------------------------------------------------


class PortfolioTrendSerializer(serializers.Serializer):
    direction = serializers.CharField(help_text="up, down or flat.")
    better = serializers.BooleanField(allow_null=True)
    previous = serializers.CharField(help_text="The figure in the previous published report.")
    previous_period = serializers.CharField()


class PortfolioNextMilestoneSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    due = serializers.DateField()


class PortfolioRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField(
        help_text="The program status: " + ", ".join(ProgramStatus.values) + "."
    )
    my_role = serializers.CharField()
    report_period = serializers.CharField(
        allow_null=True, help_text="The latest published status report; its figures follow."
    )
    stale = serializers.BooleanField(help_text="Published more than two weeks before this week.")
    rag = serializers.DictField(
        child=serializers.CharField(), help_text="dimension -> RAG, overall included."
    )
    rag_trends = serializers.DictField(child=PortfolioTrendSerializer(allow_null=True))
    currency = serializers.CharField()
    spi = serializers.DecimalField(6, 2, allow_null=True)
    cpi = serializers.DecimalField(6, 2, allow_null=True)
    budget = serializers.DecimalField(14, 2, allow_null=True)
    eac = serializers.DecimalField(14, 2, allow_null=True)
    forecast_variance = serializers.DecimalField(
        14, 2, allow_null=True, help_text="EAC - budget (positive = overspend expected)."
    )
    risk_exposure = serializers.IntegerField(allow_null=True)
    trends = serializers.DictField(
        child=PortfolioTrendSerializer(allow_null=True),
        help_text="spi, cpi, budget, variance, exposure against the previous published report.",
    )
    open_sev1 = serializers.IntegerField(help_text="Now.")
    open_sev2 = serializers.IntegerField(help_text="Now.")
    next_milestone = PortfolioNextMilestoneSerializer(allow_null=True, help_text="Now.")


class PortfolioSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Your programs before the filters.")
    summary = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Overall RAG counts of the rows: red, amber, green, grey, none (no report).",
    )
    results = PortfolioRowSerializer(many=True)


def _trend(t: Trend | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"direction": t.direction, "better": t.better, "previous": t.previous,
            "previous_period": t.previous_period}  # fmt: skip


def row_data(row: PortfolioRow) -> dict[str, Any]:
    m = row.next_milestone
    return {
        "code": row.program.code, "name": row.program.name, "status": row.program.status,
        "my_role": row.role, "report_period": row.report_period or None, "stale": row.stale,
        "rag": row.rag,
        "rag_trends": {k: _trend(v) for k, v in row.rag_trends.items()},
        "currency": row.currency, "spi": _dec(row.spi), "cpi": _dec(row.cpi),
        "budget": _dec(row.budget), "eac": _dec(row.eac),
        "forecast_variance": _dec(row.variance), "risk_exposure": row.exposure,
        "trends": {k: _trend(v) for k, v in row.trends.items()},
        "open_sev1": row.sev1, "open_sev2": row.sev2,
        "next_milestone": {"key": m["key"], "name": m["name"], "due": m["finish"]} if m else None,
    }  # fmt: skip


class PortfolioView(ApiView):
    """Your programs, one row each: the latest published report's figures with trends, plus
    open severe defects and the next milestone now."""

    access_policy = AUTHENTICATED  # the rows are the caller's own programs

    @extend_schema(
        operation_id="reporting_portfolio_retrieve",
        parameters=[
            OpenApiParameter(
                "sort",
                OpenApiTypes.STR,
                enum=[*SORTS, *(f"-{k}" for k in SORTS)],
                description="A column, - first for descending; rows without it come last.",
            ),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ProgramStatus.values),
            OpenApiParameter(
                "rag",
                OpenApiTypes.STR,
                enum=list(FILTER_RAGS),
                description="Overall RAG of the latest published report; none: no report.",
            ),
        ],
        responses={200: PortfolioSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED},
        tags=["reporting"],
    )
    def get(self, request):
        params, errors = parse_params(request.query_params)
        if errors:
            raise ValidationError({field: [message] for field, message in errors.items()})
        found = portfolio(request.user, params)
        data = {
            "count": len(found.rows),
            "total": found.total,
            "summary": found.counts,
            "results": [row_data(row) for row in found.rows],
        }
        return Response(PortfolioSerializer(data).data)
