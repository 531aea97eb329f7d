"""Forecasts API, under /api/v1/programs/<code>/budget/forecasts/: the grid (every line and
month: budget, actual, latest forecast, outturn; EAC and variance at completion per line), the
forecast's movement (program or line) by as-of date, and re-forecasting a line's open months.

A line's forecast is written as a whole with the line's version as the lock (`ETag` / `If-Match`
or `version`): a stale one answers 412 with the line as it is now. Money is a decimal string in
the program's `currency`; months are `YYYY-MM`.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    PRECONDITION_REQUIRED,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    stale_response,
)
from core.api.versioning import VersionedMixin, expected_version
from core.api.views import ApiView
from programs.api.views import ProgramScopedMixin

from ..months import month_label, parse_month
from ..selectors import forecasts as selectors
from ..services import forecasts as services

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The budget line's key, e.g. BL-3."
)


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


class MonthCellSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    closed = serializers.BooleanField(help_text="Before the as-of month: its actual stands.")
    plan = serializers.DecimalField(14, 2, help_text="Current budget (plan + change orders).")
    actual = serializers.DecimalField(14, 2)
    accrued = serializers.DecimalField(14, 2, help_text="The accrual part of the actual.")
    forecast = serializers.DecimalField(14, 2, allow_null=True, help_text="The latest forecast.")
    outturn = serializers.DecimalField(
        14, 2, help_text="Actual when closed, else the forecast, else the plan."
    )


class LineForecastSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    workstream = serializers.CharField()
    category = serializers.CharField()
    version = serializers.IntegerField(help_text="Send it back as If-Match to re-forecast.")
    budget = serializers.DecimalField(14, 2)
    actual_to_date = serializers.DecimalField(14, 2)
    eac = serializers.DecimalField(14, 2, help_text="Estimate at completion (ledger).")
    vac = serializers.DecimalField(14, 2, help_text="EAC - budget; positive = over budget.")
    months = MonthCellSerializer(many=True)


class GridSerializer(serializers.Serializer):
    currency = serializers.CharField()
    as_of_month = serializers.CharField(help_text="YYYY-MM; months before it are closed.")
    budget = serializers.DecimalField(14, 2)
    actual_to_date = serializers.DecimalField(14, 2)
    eac = serializers.DecimalField(14, 2)
    vac = serializers.DecimalField(14, 2)
    lines = LineForecastSerializer(many=True)


class HistoryPointSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    actual = serializers.DecimalField(14, 2, help_text="Actuals of the months closed then.")
    forecast_total = serializers.DecimalField(14, 2, help_text="Open months as forecast then.")
    eac = serializers.DecimalField(14, 2)
    change = serializers.DecimalField(14, 2, allow_null=True, help_text="EAC - the previous EAC.")
    entries = serializers.IntegerField(help_text="Months re-forecast on that date.")


class LineDetailSerializer(LineForecastSerializer):
    currency = serializers.CharField()
    history = HistoryPointSerializer(many=True)


class ForecastWriteSerializer(serializers.Serializer):
    months = serializers.DictField(
        child=serializers.CharField(allow_blank=False),
        help_text='{"2026-11": "42000.00", ...}: open months only; months left out keep theirs.',
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)

    def validate_months(self, value):
        months = {}
        for text, amount in value.items():
            try:
                months[parse_month(text)] = amount
            except ValueError as exc:
                raise serializers.ValidationError(str(exc)) from None
        if not months:
            raise serializers.ValidationError("Give at least one month.")
        return months


def _cell(cell: dict) -> dict:
    return {**{k: cell[k] for k in ("closed", "plan", "actual", "accrued", "forecast", "outturn")},
            "month": month_label(cell["month"])}  # fmt: skip


def _line(row) -> dict:
    line = row.line
    return {
        "key": line.key, "name": line.name, "workstream": line.workstream.name,
        "category": line.category.name, "version": line.version, "budget": row.budget,
        "actual_to_date": row.actual_to_date, "eac": row.eac, "vac": row.vac,
        "months": [_cell(c) for c in row.cells],
    }  # fmt: skip


def _point(point: dict) -> dict:
    return {k: point[k] for k in ("as_of", "actual", "forecast_total", "eac", "change", "entries")}


class ForecastGridView(ProgramScopedMixin, ApiView):
    permission_actions = {"get": "budget.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_forecast_grid",
        parameters=[CODE],
        responses={200: GridSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        description="Every line and month of the program (closed months included).",
        tags=["budget"],
    )
    def get(self, request, code: str):
        grid = selectors.forecast_grid(self.program, show_closed=True)
        data = {
            "currency": self.program.currency,
            "as_of_month": month_label(grid.book.as_of_month),
            "budget": grid.budget, "actual_to_date": grid.actual_to_date, "eac": grid.eac,
            "vac": grid.vac,
            "lines": [_line(row) for group in grid.groups for row in group.rows],
        }  # fmt: skip
        return Response(GridSerializer(data).data)


class ForecastHistoryView(ProgramScopedMixin, ApiView):
    permission_actions = {"get": "budget.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_forecast_history",
        parameters=[CODE],
        responses={
            200: HistoryPointSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description="The program's forecast movement: one point per as-of date, oldest first.",
        tags=["budget"],
    )
    def get(self, request, code: str):
        points = selectors.forecast_history(self.program)
        return Response(HistoryPointSerializer([_point(p) for p in points], many=True).data)


class _LineMixin(ProgramScopedMixin, VersionedMixin):
    def line(self):
        return selectors.line_for_forecast(program=self.program, key=self.kwargs["key"])

    def line_data(self, line) -> dict:
        grid = selectors.forecast_grid(
            self.program, show_closed=True, lines=type(line).objects.filter(pk=line.pk)
        )
        row = grid.groups[0].rows[0]
        points = selectors.forecast_history(self.program, line=line)
        data = {**_line(row), "currency": self.program.currency,
                "history": [_point(p) for p in points]}  # fmt: skip
        return LineDetailSerializer(data).data

    def serialize_current(self, instance) -> dict:
        return self.line_data(instance)


class ForecastLineView(_LineMixin, ApiView):
    permission_actions = {"get": "budget.view", "post": "budget.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_forecast_line",
        parameters=[CODE, KEY, ETAG],
        responses={200: LineDetailSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        description="One line's months, EAC and forecast movement; the ETag is its version.",
        tags=["budget"],
    )
    def get(self, request, code: str, key: str):
        return Response(self.line_data(self.line()))

    @extend_schema(
        operation_id="budgets_forecast_line_save",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=ForecastWriteSerializer,
        responses={
            200: LineDetailSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            412: stale_response(LineDetailSerializer),
            428: PRECONDITION_REQUIRED,
        },
        description="Re-forecast open months as of today: each month whose amount changes gets "
        "a new estimate (the earlier ones are kept). A closed month, a negative amount or one "
        "with more than two decimals is refused (400, nothing saved).",
        tags=["budget"],
    )
    def post(self, request, code: str, key: str):
        line = self.line()
        version = expected_version(request)
        serializer = ForecastWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            line, _saved = services.forecast_line_save(
                actor=request.user, line=line, amounts=data["months"], expected_version=version,
                note=data.get("note", ""),
            )  # fmt: skip
        except ValidationError as exc:
            raise ValidationError({"months": exc.messages}) from None
        return Response(self.line_data(line))


class ForecastCopyPlanSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)


class ForecastCopyPlanView(_LineMixin, ApiView):
    permission_actions = {"post": "budget.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_forecast_copy_plan",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=ForecastCopyPlanSerializer,
        responses={
            200: LineDetailSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            412: stale_response(LineDetailSerializer),
            428: PRECONDITION_REQUIRED,
        },
        description="Forecast every open month of the line at its current budget.",
        tags=["budget"],
    )
    def post(self, request, code: str, key: str):
        line = self.line()
        version = expected_version(request)
        line, _saved = services.forecast_copy_plan(
            actor=request.user, line=line, expected_version=version
        )
        return Response(self.line_data(line))
