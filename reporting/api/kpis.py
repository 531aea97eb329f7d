"""KPI API, under /api/v1/programs/<code>/kpis/: definitions by key (CRUD with ETag/If-Match,
each with its latest value, RAG and trend), a KPI's values (`KPI-3/values/`: list, newest
first; POST enters a manual KPI's value for a week, 409 for a computed KPI), "add the standard
KPIs" (`standard/`) and "record this week now" (`record/`).

A KPI with recorded values is not deleted (409: deactivate it) and its source does not change
(409); thresholds that contradict the direction are refused with 400 and the reason.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.refusals import REFUSED, refusals_as_409
from core.api.schema import (
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    update_schema,
)
from core.api.serializers import UserRefSerializer, format_datetime, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import CODE, ProgramScopedMixin
from programs.models import Program
from programs.selectors import member_users

from ..kpis import source_choices
from ..models import RAG_CHOICES, KpiCategory, KpiDefinition, KpiDirection, KpiUnit, KpiValue
from ..selectors import kpis as selectors
from ..services import kpis as services

KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The KPI's key, e.g. KPI-3."
)
VERSION_HELP = "The version you edited (or send If-Match)."


def _decimal(help_text: str, **kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, help_text=help_text,
        **kwargs,
    )  # fmt: skip


def _text(value) -> str | None:
    return None if value is None else f"{value.normalize():f}"


class LatestSerializer(serializers.Serializer):
    period = serializers.CharField(allow_null=True, help_text="The week of the latest value.")
    value = serializers.CharField(allow_null=True, help_text='A decimal as text, e.g. "0.97".')
    previous = serializers.CharField(allow_null=True)
    manual = serializers.BooleanField(help_text="The latest value was typed in.")
    rag = serializers.ChoiceField(choices=RAG_CHOICES)
    trend = serializers.ChoiceField(choices=["up", "down", "flat"])
    better = serializers.BooleanField(
        allow_null=True, help_text="The trend is good (by direction)."
    )


class KpiSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. KPI-3.")
    name = serializers.CharField(max_length=120)
    category = serializers.ChoiceField(choices=KpiCategory.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    formula = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="How it is computed, in words; a computed KPI takes its source's when empty. "
        "Required for a manual KPI.",
    )
    unit = serializers.ChoiceField(choices=KpiUnit.choices, required=False)
    source = serializers.ChoiceField(
        choices=source_choices(),
        required=False,
        help_text="A registry source the system computes weekly, or manual (default).",
    )
    target = _decimal("The goal.")
    amber_threshold = _decimal("Amber strictly beyond this value, on the bad side.")
    red_threshold = _decimal("Red strictly beyond this value, on the bad side.")
    direction = serializers.ChoiceField(choices=KpiDirection.choices, required=False)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    owner_id = serializers.IntegerField(
        write_only=True, required=False, allow_null=True, min_value=1, help_text="A member."
    )
    active = serializers.BooleanField(required=False)
    latest = LatestSerializer(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program: Program = self.context["program"]
        attrs.pop("version", None)
        if "owner_id" in attrs:
            user_id = attrs.pop("owner_id")
            owner = None
            if user_id is not None:
                owner = member_users(program=program).filter(pk=user_id).first()
                if owner is None:
                    raise serializers.ValidationError(
                        {"owner_id": [f"User {user_id} is not a member of {program.code}."]}
                    )
            attrs["owner"] = owner
        source = attrs.get("source", getattr(self.instance, "source", "manual"))
        formula = attrs.get("formula", getattr(self.instance, "formula", ""))
        if source == "manual" and not (formula or "").strip():
            raise serializers.ValidationError(
                {"formula": ["Say how a manual KPI is measured (e.g. the survey asked)."]}
            )
        return attrs

    def to_representation(self, d: KpiDefinition) -> dict[str, Any]:
        cards = self.context.get("cards") or {}
        card = cards.get(d.pk) or selectors.kpi_card(d)
        return {
            "key": d.key,
            "name": d.name,
            "category": d.category,
            "description": d.description,
            "formula": d.formula,
            "unit": d.unit,
            "source": d.source,
            "target": _text(d.target),
            "amber_threshold": _text(d.amber_threshold),
            "red_threshold": _text(d.red_threshold),
            "direction": d.direction,
            "owner": user_ref(d.owner_id, d.owner.full_name) if d.owner_id else None,
            "active": d.active,
            "latest": {
                "period": card.latest_period,
                "value": _text(card.latest),
                "previous": _text(card.previous),
                "manual": card.manual,
                "rag": card.rag.value,
                "trend": card.trend,
                "better": card.better,
            },
            "version": d.version,
            "created_at": format_datetime(d.created_at),
            "updated_at": format_datetime(d.updated_at),
        }


class KpiScopedMixin(ProgramScopedMixin):
    queryset = KpiDefinition.objects.none()

    def get_object(self) -> KpiDefinition:
        return selectors.kpi_get(program=self.program, key=self.kwargs["key"])


@extend_schema_view(
    list=list_schema(KpiSerializer, parameters=[CODE]),
    create=create_schema(
        KpiSerializer,
        parameters=[CODE],
        description="Define a KPI. Thresholds must agree with the direction (lower is better: "
        "target ≤ amber ≤ red; higher: target ≥ amber ≥ red).",
    ),
    retrieve=retrieve_schema(KpiSerializer, parameters=[CODE, KEY]),
    update=update_schema(
        KpiSerializer,
        parameters=[CODE, KEY],
        description="The source of a KPI with recorded values does not change (409).",
    ),
    partial_update=update_schema(KpiSerializer, parameters=[CODE, KEY]),
    destroy=destroy_schema(
        KpiSerializer,
        parameters=[CODE, KEY],
        description="Only a KPI without recorded values (409 otherwise: deactivate it).",
    ),
)
@extend_schema(tags=["kpis"])
class KpiViewSet(KpiScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The program's KPI definitions, each with its latest value, RAG and trend."""

    service_target = "kpi"
    permission_actions = {
        "list": "kpi.view",
        "retrieve": "kpi.view",
        "create": "kpi.change",
        "update": "kpi.change",
        "partial_update": "kpi.change",
        "destroy": "kpi.change",
    }
    serializer_class = KpiSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def get_queryset(self):
        return selectors.kpi_definitions(program=self.program)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        cards = {c.definition.pk: c for c in selectors.kpi_cards(self.program, active_only=False)}
        context = {**self.get_serializer_context(), "cards": cards}
        return self.get_paginated_response(KpiSerializer(page, many=True, context=context).data)

    def create_service(self, **kwargs):
        return services.kpi_create(**kwargs)

    def update_service(self, **kwargs):
        return services.kpi_update(**kwargs)

    def delete_service(self, **kwargs):
        services.kpi_delete(**kwargs)


class KpiValueSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=8, help_text="The ISO week, e.g. 2026-W48.")
    value = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=False)
    note = serializers.CharField(
        max_length=300, help_text="Where the figure comes from (required for a manual value)."
    )
    manual = serializers.BooleanField(read_only=True)
    rag = serializers.ChoiceField(choices=RAG_CHOICES, read_only=True)
    recorded_by = UserRefSerializer(read_only=True, allow_null=True)
    recorded_at = serializers.DateTimeField(read_only=True)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="To correct a week already entered: its version."
    )

    def to_representation(self, v: KpiValue) -> dict[str, Any]:
        d: KpiDefinition = self.context["kpi"]
        rag = selectors.kpi_rag(
            v.value, direction=d.direction, target=d.target, amber=d.amber_threshold,
            red=d.red_threshold,
        )  # fmt: skip
        by = v.recorded_by
        return {
            "period": v.period,
            "value": _text(v.value),
            "note": v.note,
            "manual": v.manual,
            "rag": rag.value,
            "recorded_by": user_ref(by.pk, by.full_name) if by else None,
            "recorded_at": format_datetime(v.recorded_at),
            "version": v.version,
        }


@extend_schema(tags=["kpis"])
class KpiValueListView(KpiScopedMixin, ApiView):
    """A KPI's weekly values, newest first; POST enters a manual KPI's value."""

    permission_actions = {"get": "kpi.view", "post": "kpi.record"}
    filter_backends: list = []
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="reporting_kpi_values_list",
        parameters=[CODE, KEY],
        responses={200: KpiValueSerializer(many=True), 401: UNAUTHORIZED, 403: FORBIDDEN,
                   404: NOT_FOUND},
    )  # fmt: skip
    def get(self, request, code: str, key: str):
        kpi = self.get_object()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.kpi_values(definition=kpi), request, view=self)
        data = KpiValueSerializer(page, many=True, context={"kpi": kpi}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="reporting_kpi_values_create",
        parameters=[CODE, KEY],
        request=KpiValueSerializer,
        responses={
            201: KpiValueSerializer, 400: VALIDATION_ERROR, 401: UNAUTHORIZED, 403: FORBIDDEN,
            404: NOT_FOUND, 409: REFUSED,
        },
        description="Enter a manual KPI's value for a week (this week or before); a week already "
        "entered is corrected (send its version to guard against a change meanwhile). A computed "
        "KPI answers 409: its values come from the weekly recording.",
    )  # fmt: skip
    def post(self, request, code: str, key: str):
        kpi = self.get_object()
        serializer = KpiValueSerializer(data=request.data, context={"kpi": kpi})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with refusals_as_409():
            value = services.kpi_value_enter(
                actor=request.user, kpi=kpi, expected_version=data.pop("version", None), **data
            )
        value = selectors.kpi_values(definition=kpi).get(pk=value.pk)
        return Response(
            KpiValueSerializer(value, context={"kpi": kpi}).data, status=status.HTTP_201_CREATED
        )


RECORDED = inline_serializer(
    name="KpiRecordResult",
    fields={
        "period": serializers.CharField(),
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "failed": serializers.IntegerField(),
    },
)


@extend_schema(tags=["kpis"])
class KpiRecordView(ProgramScopedMixin, ApiView):
    """Record this week's value of every active computed KPI now (idempotent)."""

    permission_actions = {"post": "kpi.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="reporting_kpis_record",
        parameters=[CODE],
        request=None,
        responses={200: RECORDED, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, code: str):
        period = selectors.current_period(self.program)
        counts = services.record_week(self.program, period, actor=request.user)
        return Response({"period": period, **counts})


@extend_schema(tags=["kpis"])
class KpiStandardView(ProgramScopedMixin, ApiView):
    """Add a KPI for every registry source the program has none of yet."""

    permission_actions = {"post": "kpi.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="reporting_kpis_standard",
        parameters=[CODE],
        request=None,
        responses={201: KpiSerializer(many=True), 401: UNAUTHORIZED, 403: FORBIDDEN,
                   404: NOT_FOUND},
    )  # fmt: skip
    def post(self, request, code: str):
        added = services.kpi_standard_add(actor=request.user, program=self.program)
        context = {"program": self.program, "request": request}
        return Response(
            KpiSerializer(added, many=True, context=context).data, status=status.HTTP_201_CREATED
        )
