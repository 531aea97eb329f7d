"""Variance API, under /api/v1/programs/<code>/budget/variance/: the variance matrix (group_by
and filters as on the page), the unexplained variances, and the explanations with their steps
(request, write, approve, return).

A step the explanation's state or the caller does not allow (writing someone else's line,
approving a requested one, editing an approved one) answers 409 with the reason; an If-Match
(or `version`) that is stale answers 412 with the current explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.pagination import StandardPagination
from core.api.refusals import REFUSED, optional_version, refusals_as_409
from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    list_schema,
    retrieve_schema,
    stale_response,
)
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin

from ..models import BudgetLine, ExplanationStatus, VarianceExplanation
from ..months import month_label, parse_month
from ..selectors import variance as selectors
from ..selectors.ledger import variance_percent
from ..services import variance as services
from .overview import CODE, money

PK = OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The id.")
VARIANCE_FILTERS = [
    OpenApiParameter(
        "group_by",
        OpenApiTypes.STR,
        enum=list(selectors.GROUPS),
        description="month (default), category, workstream, vendor or line.",
    ),
    OpenApiParameter("workstream", OpenApiTypes.INT, description="A workstream's id."),
    OpenApiParameter("category", OpenApiTypes.INT, description="A cost category's id."),
    OpenApiParameter("vendor", OpenApiTypes.INT, description="A vendor's id."),
    OpenApiParameter("from", OpenApiTypes.STR, description="First month, YYYY-MM."),
    OpenApiParameter("to", OpenApiTypes.STR, description="Last month, YYYY-MM."),
]


def _pct(value) -> str | None:
    return None if value is None else f"{value:.2f}"


class FiguresSerializer(serializers.Serializer):
    month = serializers.CharField(required=False, help_text="YYYY-MM (absent on totals).")
    closed = serializers.BooleanField()
    plan = serializers.DecimalField(14, 2, help_text="Current plan: original + change orders.")
    actual = serializers.DecimalField(14, 2)
    accrued = serializers.DecimalField(14, 2, help_text="The accrual part of actual.")
    forecast = serializers.DecimalField(
        14, 2, allow_null=True, help_text="Latest forecast of the open months."
    )
    outturn = serializers.DecimalField(14, 2)
    variance = serializers.DecimalField(
        14, 2, allow_null=True, help_text="actual - plan of the closed months."
    )
    variance_percent = serializers.DecimalField(7, 2, allow_null=True)
    beyond_threshold = serializers.BooleanField()
    explanation_status = serializers.CharField(allow_null=True, required=False)


class VarianceRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    detail = serializers.CharField()
    cells = FiguresSerializer(many=True)
    total = FiguresSerializer()


class BurnSerializer(serializers.Serializer):
    last_three_months = serializers.DecimalField(14, 2, allow_null=True)
    since_start = serializers.DecimalField(14, 2, allow_null=True)
    closed_months = serializers.IntegerField()
    budget = serializers.DecimalField(14, 2)
    actual = serializers.DecimalField(14, 2)
    remaining = serializers.DecimalField(14, 2)
    months_left = serializers.DecimalField(8, 1, allow_null=True)
    open_months = serializers.IntegerField()


class VarianceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    group_by = serializers.CharField()
    months = serializers.ListField(child=serializers.CharField())
    variance_percent_threshold = serializers.DecimalField(5, 2)
    variance_amount_threshold = serializers.DecimalField(14, 2)
    rows = VarianceRowSerializer(many=True)
    totals = VarianceRowSerializer()
    burn_rate = BurnSerializer()


def _figures(f: selectors.Figures, month=None) -> dict[str, Any]:
    data: dict[str, Any] = {} if month is None else {"month": month_label(month)}
    data.update(
        closed=f.closed, plan=money(f.plan), actual=money(f.actual), accrued=money(f.accrued),
        forecast=money(f.forecast), outturn=money(f.outturn), variance=money(f.variance),
        variance_percent=_pct(f.variance_percent), beyond_threshold=f.flagged,
        explanation_status=f.explanation.status if f.explanation else None,
    )  # fmt: skip
    return data


def _row(row: selectors.VarianceRow, months) -> dict[str, Any]:
    return {
        "key": row.line.key if row.line else row.key,
        "label": row.label,
        "detail": row.detail,
        "cells": [_figures(c, m) for c, m in zip(row.cells, months, strict=False)],
        "total": _figures(row.total),
    }


class VarianceView(ProgramScopedMixin, ApiView):
    """Plan vs actual vs forecast by month, category, workstream, vendor or line."""

    permission_actions = {"get": "budget.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_variance_retrieve",
        parameters=[CODE, *VARIANCE_FILTERS],
        responses={
            200: VarianceSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED,
            403: FORBIDDEN, 404: NOT_FOUND,
        },
        description="group_by=month gives one row per month (no cells); the others give rows "
        "of cells per month. Bad filters answer 400 with the reason.",
        tags=["budget"],
    )  # fmt: skip
    def get(self, request, code: str):
        params = request.query_params
        group_by = params.get("group_by") or "month"
        filters = selectors.VarianceFilters.from_query(params)
        errors = {k: [v] for k, v in filters.errors.items()}
        if group_by not in selectors.GROUPS:
            errors["group_by"] = [f"Pick one of {', '.join(selectors.GROUPS)}."]
        if errors:
            raise serializers.ValidationError(errors)
        view = selectors.variance_view(self.program, group_by=group_by, filters=filters)
        months = view.months
        if group_by == "month":
            rows = [
                {"key": r.key, "label": r.label, "detail": "", "cells": [],
                 "total": _figures(r.total, m)}
                for r, m in zip(view.rows, months, strict=False)
            ]  # fmt: skip
        else:
            rows = [_row(r, months) for r in view.rows]
        burn = view.burn
        return Response(
            {
                "currency": self.program.currency,
                "group_by": group_by,
                "months": [month_label(m) for m in months],
                "variance_percent_threshold": f"{view.settings.variance_percent:.2f}",
                "variance_amount_threshold": money(view.settings.variance_amount),
                "rows": rows,
                "totals": _row(view.totals, months),
                "burn_rate": {
                    "last_three_months": money(burn.last_three),
                    "since_start": money(burn.since_start),
                    "closed_months": burn.closed_months,
                    "budget": money(burn.budget),
                    "actual": money(burn.actual),
                    "remaining": money(burn.remaining),
                    "months_left": None if burn.months_left is None else f"{burn.months_left}",
                    "open_months": burn.open_months,
                },
            }
        )


class UnexplainedSerializer(serializers.Serializer):
    line = serializers.CharField(help_text="The budget line's key, e.g. BL-3.")
    line_name = serializers.CharField()
    owner = serializers.CharField(allow_null=True)
    month = serializers.CharField()
    plan = serializers.DecimalField(14, 2)
    actual = serializers.DecimalField(14, 2)
    accrued = serializers.DecimalField(14, 2)
    variance = serializers.DecimalField(14, 2)
    variance_percent = serializers.DecimalField(7, 2, allow_null=True)
    state = serializers.ChoiceField(choices=list(selectors.UNEXPLAINED_STATES.items()))
    explanation = serializers.IntegerField(allow_null=True, help_text="Its id, when requested.")


class UnexplainedView(ProgramScopedMixin, ApiView):
    """Closed-month variances beyond both thresholds without an approved explanation."""

    permission_actions = {"get": "budget.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_unexplained_list",
        parameters=[
            CODE,
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                enum=list(selectors.UNEXPLAINED_STATES),
                description="not_requested, requested, submitted (awaiting approval), returned.",
            ),
        ],
        responses={
            200: UnexplainedSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["budget"],
    )
    def get(self, request, code: str):
        state = request.query_params.get("state") or None
        if state is not None and state not in selectors.UNEXPLAINED_STATES:
            raise serializers.ValidationError(
                {"state": [f"Pick one of {', '.join(selectors.UNEXPLAINED_STATES)}."]}
            )
        rows = selectors.unexplained_variances(self.program, state=state)
        return Response(
            [
                {
                    "line": r.line.key,
                    "line_name": r.line.name,
                    "owner": str(r.line.owner) if r.line.owner else None,
                    "month": month_label(r.month),
                    "plan": money(r.plan),
                    "actual": money(r.actual),
                    "accrued": money(r.accrued),
                    "variance": money(r.variance),
                    "variance_percent": _pct(r.variance_percent),
                    "state": r.state,
                    "explanation": r.explanation.pk if r.explanation else None,
                }
                for r in rows
            ]
        )


class ExplanationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    line = serializers.CharField(help_text="The budget line's key, e.g. BL-3.")
    line_name = serializers.CharField(read_only=True)
    month = serializers.CharField(help_text="YYYY-MM, a closed month.")
    status = serializers.ChoiceField(choices=ExplanationStatus.choices, read_only=True)
    plan = serializers.DecimalField(14, 2, read_only=True, help_text="When requested.")
    actual = serializers.DecimalField(14, 2, read_only=True, help_text="When requested.")
    variance = serializers.DecimalField(14, 2, read_only=True)
    variance_percent = serializers.DecimalField(7, 2, read_only=True, allow_null=True)
    text = serializers.CharField(read_only=True)
    review_note = serializers.CharField(read_only=True)
    requested_by = serializers.CharField(read_only=True, allow_null=True)
    requested_at = serializers.DateTimeField(read_only=True, allow_null=True)
    explained_by = serializers.CharField(read_only=True, allow_null=True)
    explained_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reviewed_by = serializers.CharField(read_only=True, allow_null=True)
    reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)

    def validate_month(self, value: str):
        try:
            return parse_month(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_line(self, value: str) -> BudgetLine:
        program = self.context["program"]
        key = value.strip().upper()
        line = BudgetLine.objects.filter(program=program, key=key).first()
        if line is None:
            raise serializers.ValidationError(f"There is no budget line {key} in {program.code}.")
        return line

    def to_representation(self, e: VarianceExplanation) -> dict[str, Any]:
        variance = e.actual - e.plan

        def who(user):
            return str(user) if user else None

        def when(value):
            return value.isoformat().replace("+00:00", "Z") if value else None

        return {
            "id": e.pk, "line": e.line.key, "line_name": e.line.name,
            "month": month_label(e.month), "status": e.status, "plan": money(e.plan),
            "actual": money(e.actual), "variance": money(variance),
            "variance_percent": _pct(variance_percent(variance, e.plan)), "text": e.text,
            "review_note": e.review_note, "requested_by": who(e.requested_by),
            "requested_at": when(e.requested_at), "explained_by": who(e.explained_by),
            "explained_at": when(e.explained_at), "reviewed_by": who(e.reviewed_by),
            "reviewed_at": when(e.reviewed_at), "version": e.version,
        }  # fmt: skip


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)


class ExplanationScopedMixin(ProgramScopedMixin):
    def explanation(self) -> VarianceExplanation:
        return selectors.explanation_get(program=self.program, pk=self.kwargs["pk"])

    def answer(self, explanation: VarianceExplanation, code: int = 200) -> Response:
        fresh = selectors.explanation_get(program=self.program, pk=explanation.pk)
        return Response(ExplanationSerializer(fresh).data, status=code)

    def serialize_current(self, instance) -> dict:
        return ExplanationSerializer(
            selectors.explanation_get(program=self.program, pk=instance.pk)
        ).data


@extend_schema_view(
    list=list_schema(
        ExplanationSerializer,
        parameters=[
            CODE,
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=ExplanationStatus.values,
                description="requested, submitted, approved or returned.",
            ),
        ],
    ),
    retrieve=retrieve_schema(ExplanationSerializer, parameters=[CODE, PK]),
)
@extend_schema(tags=["budget"])
class ExplanationViewSet(ExplanationScopedMixin, VersionedMixin, ApiViewSet):
    """The program's variance explanations, latest month first."""

    permission_actions = {"list": "budget.view", "retrieve": "budget.view"}
    queryset = VarianceExplanation.objects.none()
    serializer_class = ExplanationSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def list(self, request, *args, **kwargs):
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in ExplanationStatus.values:
            raise serializers.ValidationError(
                {"status": [f"Pick one of {', '.join(ExplanationStatus.values)}."]}
            )
        rows = selectors.explanation_list(program=self.program, status=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ExplanationSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return self.answer(self.explanation())


STEP_RESPONSES = {
    200: ExplanationSerializer,
    400: VALIDATION_ERROR,
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: REFUSED,
    412: stale_response(ExplanationSerializer),
}


class ExplanationRequestView(ExplanationScopedMixin, ApiView):
    permission_actions = {"post": "variance.review"}
    filter_backends: list = []

    @extend_schema(
        operation_id="budgets_explanation_request",
        parameters=[CODE],
        request=ExplanationSerializer,
        responses={
            201: ExplanationSerializer,
            **{code: r for code, r in STEP_RESPONSES.items() if code not in (200, 412)},
        },
        description="Finance or a manager asks the line's owner to explain a closed month's "
        "variance beyond both thresholds (409 when it is within them, not closed, or requested "
        "already). The owner is e-mailed.",
        tags=["budget"],
    )
    def post(self, request, code: str):
        serializer = ExplanationSerializer(data=request.data, context={"program": self.program})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with refusals_as_409():
            explanation = services.explanation_request(
                actor=request.user, line=data["line"], month=data["month"]
            )
        return self.answer(explanation, status.HTTP_201_CREATED)


class ExplanationStepView(ExplanationScopedMixin, VersionedMixin, ApiView):
    """Shared by write, approve and return: If-Match (or `version`) optional, 412 when stale."""

    filter_backends: list = []
    request_serializer: type[serializers.Serializer] = NoteSerializer

    # each step view defines step(request, explanation, data, version) -> the explanation
    step: Callable[..., VarianceExplanation]

    def post(self, request, code: str, pk: int):
        explanation = self.explanation()
        version = optional_version(request)
        serializer = self.request_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            done = self.step(request, explanation, serializer.validated_data, version)
        return self.answer(done)


def _step_schema(operation_id: str, request, description: str):
    return extend_schema(
        operation_id=operation_id,
        parameters=[CODE, PK, IF_MATCH, ETAG],
        request=request,
        responses=STEP_RESPONSES,
        description=description,
        tags=["budget"],
    )


class ExplanationWriteView(ExplanationStepView):
    permission_actions = {"post": "variance.explain"}
    request_serializer = TextSerializer

    def step(self, request, explanation, data, version):
        return services.explanation_write(
            actor=request.user, explanation=explanation, text=data["text"],
            expected_version=version,
        )  # fmt: skip

    @_step_schema(
        "budgets_explanation_write",
        TextSerializer,
        "The line's owner or a program manager writes (or rewrites, until approved) the "
        "explanation; it then awaits approval. Anyone else, or an approved one: 409.",
    )
    def post(self, request, code: str, pk: int):
        return super().post(request, code, pk)


class ExplanationApproveView(ExplanationStepView):
    permission_actions = {"post": "variance.review"}

    def step(self, request, explanation, data, version):
        return services.explanation_approve(
            actor=request.user, explanation=explanation, note=data.get("note", ""),
            expected_version=version,
        )  # fmt: skip

    @_step_schema(
        "budgets_explanation_approve",
        NoteSerializer,
        "Approve a written explanation (409 unless it awaits approval). Never edited after.",
    )
    def post(self, request, code: str, pk: int):
        return super().post(request, code, pk)


class ExplanationReturnView(ExplanationStepView):
    permission_actions = {"post": "variance.review"}

    def step(self, request, explanation, data, version):
        return services.explanation_return(
            actor=request.user, explanation=explanation, note=data.get("note", ""),
            expected_version=version,
        )  # fmt: skip

    @_step_schema(
        "budgets_explanation_return",
        NoteSerializer,
        "Return a written explanation with a note saying what is missing (400 without one, "
        "409 unless it awaits approval). The owner is e-mailed.",
    )
    def post(self, request, code: str, pk: int):
        return super().post(request, code, pk)
