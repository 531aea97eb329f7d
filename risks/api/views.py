"""RAID log API: risks, issues, assumptions, dependencies and actions; heat map, weekly
snapshots and what is overdue. Mounted under /api/v1/programs/<code>/raid/.

Views are adapters: resolve the program (404 for non-members), check the role (403), validate
with a serializer, call one service, answer with the object and its ETag. Every write of an
existing item needs its version (If-Match or `version`): 428 without, 412 with the current item
when it moved on. Contributors change only the items they own (403 otherwise).
"""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

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
from core.api.serializers import user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin

from .. import selectors, services
from ..choices import RaidType
from ..filtersets import DEFAULT_ORDER, FILTERSETS, HeatMapFilterSet
from ..models import RAID_MODELS, Risk
from .serializers import (
    ActionSerializer,
    AssumptionSerializer,
    HeatMapSerializer,
    IssueSerializer,
    OverdueSerializer,
    RaidDependencySerializer,
    RiskSerializer,
    SnapshotSerializer,
)

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
COMMON_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, or words in title or text."),
    OpenApiParameter(
        "state", OpenApiTypes.STR, enum=["open", "closed", "all"], description="Default all."
    ),
    OpenApiParameter("status", OpenApiTypes.STR, description="One status of the type."),
    OpenApiParameter("owner", OpenApiTypes.INT, description="Owner's user id."),
    OpenApiParameter("workstream", OpenApiTypes.INT, description="Workstream id."),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Past its date and still open."),
]


def _sort(fields: str) -> OpenApiParameter:
    return OpenApiParameter(
        "sort", OpenApiTypes.STR, description=f"One of {fields}; prefix - to reverse."
    )


def _rating(name: str, description: str = "1 to 5.") -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, enum=[1, 2, 3, 4, 5], description=description)


FILTERS: dict[str, list[OpenApiParameter]] = {
    RaidType.RISK: [
        OpenApiParameter("category", OpenApiTypes.STR),
        OpenApiParameter("band", OpenApiTypes.STR, enum=["low", "medium", "high", "critical"]),
        OpenApiParameter("strategy", OpenApiTypes.STR, description="The response strategy."),
        _rating("probability"),
        _rating("impact", "The highest of the four impacts, 1 to 5."),
        _rating("residual_probability"),
        _rating("residual_impact"),
        _sort(
            "key, title, status, owner, workstream, updated, category, score, probability, "
            "impact, residual_score, proximity_date, review_date, emv"
        ),
    ],
    RaidType.ISSUE: [
        OpenApiParameter("severity", OpenApiTypes.INT, enum=[1, 2, 3, 4]),
        OpenApiParameter("priority", OpenApiTypes.INT, enum=[1, 2, 3, 4]),
        OpenApiParameter("escalated", OpenApiTypes.BOOL),
        _sort(
            "key, title, status, owner, workstream, updated, severity, priority, due_date, "
            "escalation_level"
        ),
    ],
    RaidType.ASSUMPTION: [_sort("key, title, status, owner, workstream, updated, validate_by")],
    RaidType.DEPENDENCY: [
        OpenApiParameter("direction", OpenApiTypes.STR, enum=["inbound", "outbound"]),
        _sort("key, title, status, owner, workstream, updated, direction, needed_by"),
    ],
    RaidType.ACTION: [
        OpenApiParameter("escalated", OpenApiTypes.BOOL),
        OpenApiParameter("subject", OpenApiTypes.STR, description="The subject's key, e.g. RSK-3."),
        _sort(
            "key, title, status, owner, workstream, updated, due_date, escalation_level, subject"
        ),
    ],
}


class RaidItemViewSet(ProgramScopedMixin, VersionedMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Base of the five RAID viewsets (each names its `raid_type`)."""

    raid_type = ""
    permission_actions = {
        "list": "raid.view",
        "retrieve": "raid.view",
        "create": "raid.add",
        "update": "raid.change",
        "partial_update": "raid.change",
        "destroy": "raid.delete",
    }

    @property
    def model(self):
        return RAID_MODELS[self.raid_type]

    def get_queryset(self):
        return (
            selectors.raid_queryset(program=self.program, raid_type=self.raid_type)
            .select_related(*_row_related(self.raid_type))
            .order_by(*DEFAULT_ORDER[self.raid_type])
        )

    def get_object(self):
        return selectors.raid_item_get(
            program=self.program, raid_type=self.raid_type, key=self.kwargs["key"]
        )

    def list(self, request, *args, **kwargs):
        """A page of flat rows: the page's ids, then their rows, then their WBS links (three
        queries whatever the page size)."""
        queryset = self.filter_queryset(self.get_queryset())
        serializer_class = self.get_serializer_class()
        ids = self.paginate_queryset(queryset.values_list("pk", flat=True)) or []
        row_fields = getattr(serializer_class, "row_fields", ())
        rows = _rows_by_ids(self.model, row_fields, list(ids))
        links = _links_for(self.model, [r["id"] for r in rows])
        for row in rows:
            row["wbs_items"] = links.get(row["id"], [])
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.raid_item_create(
            actor=request.user, program=self.program, model=self.model, **serializer.validated_data
        )
        fresh = selectors.raid_item_get(
            program=self.program, raid_type=self.raid_type, key=item.key
        )
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs):
        item = self.get_object()
        version = self.expected_version()
        serializer = self.get_serializer(item, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        updated = services.raid_item_update(
            actor=request.user, item=item, expected_version=version, **serializer.validated_data
        )
        fresh = selectors.raid_item_get(
            program=self.program, raid_type=self.raid_type, key=updated.key
        )
        return Response(self.get_serializer(fresh).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        item = self.get_object()
        version = self.expected_version()
        services.raid_item_delete(actor=request.user, item=item, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _row_related(raid_type: str) -> tuple[str, ...]:
    extra: dict[str, tuple[str, ...]] = {
        RaidType.DEPENDENCY: (
            "giver_program", "giver_workstream", "receiver_program", "receiver_workstream",
        ),
    }  # fmt: skip
    return extra.get(raid_type, ())


def _rows_by_ids(model, fields: tuple[str, ...], ids: list[int]) -> list[dict]:
    if not ids:
        return []
    rows = {r["id"]: r for r in model.objects.filter(pk__in=ids).values(*fields)}
    return [rows[i] for i in ids if i in rows]


def _links_for(model, ids: list[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    through = model.wbs_items.through
    owner_field = f"{model._meta.model_name}_id"
    links: dict[int, list[str]] = defaultdict(list)
    rows = (
        through.objects.filter(**{f"{owner_field}__in": ids})
        .order_by("item__outline_path")
        .values_list(owner_field, "item__key")
    )
    for owner_id, key in rows:
        links[owner_id].append(key)
    return links


KEY: dict[str, OpenApiParameter] = {
    t: OpenApiParameter(
        "key", OpenApiTypes.STR, OpenApiParameter.PATH, description=f"The key, e.g. {prefix}-3."
    )
    for t, prefix in (
        (RaidType.RISK, "RSK"),
        (RaidType.ISSUE, "ISS"),
        (RaidType.ASSUMPTION, "ASM"),
        (RaidType.DEPENDENCY, "DEP"),
        (RaidType.ACTION, "ACT"),
    )
}


def _schemas(raid_type: str, serializer, label: str, tag: str):
    key = KEY[raid_type]
    return extend_schema_view(
        list=list_schema(
            serializer,
            parameters=[CODE, *COMMON_FILTERS, *FILTERS[raid_type]],
            description=f"The program's {label} (paginated; `page_size` up to 500).",
        ),
        create=create_schema(serializer, parameters=[CODE]),
        retrieve=retrieve_schema(serializer, parameters=[CODE, key]),
        update=update_schema(
            serializer,
            parameters=[CODE, key],
            description="Contributors may change only the items they own (403 otherwise).",
        ),
        partial_update=update_schema(
            serializer,
            parameters=[CODE, key],
            description="Contributors may change only the items they own (403 otherwise).",
        ),
        destroy=destroy_schema(serializer, parameters=[CODE, key]),
    )


@_schemas(RaidType.RISK, RiskSerializer, "risks", "raid")
@extend_schema(tags=["raid risks"])
class RiskViewSet(RaidItemViewSet):
    """Risks: probability and four impacts (1-5), score, response, residual rating, EMV."""

    raid_type = RaidType.RISK
    queryset = Risk.objects.none()
    serializer_class = RiskSerializer
    filterset_class = FILTERSETS[RaidType.RISK]


@_schemas(RaidType.ISSUE, IssueSerializer, "issues", "raid")
@extend_schema(tags=["raid issues"])
class IssueViewSet(RaidItemViewSet):
    """Issues: severity, priority, due date, escalation, resolution."""

    raid_type = RaidType.ISSUE
    queryset = RAID_MODELS[RaidType.ISSUE].objects.none()
    serializer_class = IssueSerializer
    filterset_class = FILTERSETS[RaidType.ISSUE]


@_schemas(RaidType.ASSUMPTION, AssumptionSerializer, "assumptions", "raid")
@extend_schema(tags=["raid assumptions"])
class AssumptionViewSet(RaidItemViewSet):
    """Assumptions: what the plan takes for granted, by when it must be validated."""

    raid_type = RaidType.ASSUMPTION
    queryset = RAID_MODELS[RaidType.ASSUMPTION].objects.none()
    serializer_class = AssumptionSerializer
    filterset_class = FILTERSETS[RaidType.ASSUMPTION]


@_schemas(RaidType.DEPENDENCY, RaidDependencySerializer, "RAID dependencies", "raid")
@extend_schema(tags=["raid dependencies"])
class DependencyViewSet(RaidItemViewSet):
    """Dependencies between this program and others: giver, receiver, needed-by date."""

    raid_type = RaidType.DEPENDENCY
    queryset = RAID_MODELS[RaidType.DEPENDENCY].objects.none()
    serializer_class = RaidDependencySerializer
    filterset_class = FILTERSETS[RaidType.DEPENDENCY]


@_schemas(RaidType.ACTION, ActionSerializer, "actions", "raid")
@extend_schema(tags=["raid actions"])
class ActionViewSet(RaidItemViewSet):
    """Actions: owner, due date, status; on a RAID item, decision or change request."""

    raid_type = RaidType.ACTION
    queryset = RAID_MODELS[RaidType.ACTION].objects.none()
    serializer_class = ActionSerializer
    filterset_class = FILTERSETS[RaidType.ACTION]


# ---------------------------------------------------------------------------------------------
# Heat map, snapshots, overdue


class HeatMapView(ProgramScopedMixin, ApiView):
    """Open risks per (probability, highest impact) cell, current and residual: one query."""

    permission_actions = {"get": "raid.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="raid_heat_map",
        parameters=[
            CODE,
            OpenApiParameter("workstream", OpenApiTypes.INT, description="Workstream id."),
            OpenApiParameter("owner", OpenApiTypes.INT, description="Owner's user id."),
            OpenApiParameter("category", OpenApiTypes.STR),
        ],
        responses={
            200: HeatMapSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["raid"],
    )
    def get(self, request, code: str):
        program = self.program
        data = {k: request.query_params[k] for k in ("workstream", "owner", "category")
                if request.query_params.get(k)}  # fmt: skip
        filterset = HeatMapFilterSet(
            data or None, queryset=Risk.objects.filter(program=program), program=program
        )
        if data and not filterset.is_valid():
            return Response(filterset.errors, status=status.HTTP_400_BAD_REQUEST)
        maps = selectors.risk_heatmap(program=program, queryset=filterset.qs)
        return Response(
            {
                "current": [[c.count for c in row] for row in maps.current.rows],
                "residual": [[c.count for c in row] for row in maps.residual.rows],
                "open_risks": maps.current.total,
                "residual_assessed": maps.residual.assessed,
                "exposure": maps.figures["exposure"],
                "contingency_reserve": f"{maps.figures['contingency_reserve']:.2f}",
            }
        )


class SnapshotListView(ProgramScopedMixin, ApiView):
    """The weekly exposure snapshots, oldest first (the trend)."""

    permission_actions = {"get": "raid.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="raid_snapshots",
        parameters=[
            CODE,
            OpenApiParameter(
                "weeks", OpenApiTypes.INT, description="How many recent weeks (1-260, default 26)."
            ),
        ],
        responses={
            200: SnapshotSerializer(many=True),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["raid"],
    )
    def get(self, request, code: str):
        raw = request.query_params.get("weeks", "26")
        try:
            weeks = int(raw)
        except ValueError:
            weeks = 0
        if not 1 <= weeks <= 260:
            return Response(
                {"weeks": ["Give a number of weeks from 1 to 260."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        snaps = selectors.risk_snapshots(program=self.program, weeks=weeks)
        return Response(SnapshotSerializer(snaps, many=True).data)


class OverdueView(ProgramScopedMixin, ApiView):
    """Open items past their date, and escalated issues and actions (a query per type)."""

    permission_actions = {"get": "raid.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="raid_overdue",
        parameters=[CODE],
        responses={200: OverdueSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["raid"],
    )
    def get(self, request, code: str):
        today = timezone.localdate()
        sections = selectors.overdue_and_escalated(program=self.program, today=today)
        body = {}
        for section in sections:
            body[section.raid_type] = [
                {
                    "key": r["key"],
                    "title": r["title"],
                    "status": r["status"],
                    "owner": user_ref(r["owner_id"], r["owner__full_name"]),
                    "due": r["due"].isoformat() if r["due"] else None,
                    "days_late": r["days_late"] if r["overdue"] else None,
                    "escalation_level": r.get("escalation_level"),
                }
                for r in section.rows
            ]
        return Response(body)
