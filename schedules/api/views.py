"""Schedule API: settings, recompute, WBS items, links, baselines, comparison, holidays.

Mounted under /api/v1/programs/<code>/schedule/. Views are adapters: resolve the program (404
for non-members), check the role (403), validate with a serializer, call one service, answer
with the object and its ETag. Every write of an existing row needs its version (If-Match or
`version`): 428 without, 412 with the current object when it moved on. Every service write
re-runs the schedule, so the answers already carry the recomputed dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.pagination import StandardPagination
from core.api.schema import (
    CONFLICT,
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    PRECONDITION_REQUIRED,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    stale_response,
    update_schema,
)
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet, RowListMixin
from programs.api.views import ProgramScopedMixin

from .. import services
from ..filtersets import ItemFilterSet
from ..models import Baseline, Dependency, Holiday, Item
from ..selectors.baselines import (
    baseline_current,
    baseline_list,
    comparison_rows,
    slipped_milestones,
)
from .serializers import (
    ITEM_PROGRESS_FIELDS,
    BaselineSerializer,
    ComparisonRowSerializer,
    DependencySerializer,
    HolidaySerializer,
    ItemBulkResultSerializer,
    ItemBulkSerializer,
    ItemMoveSerializer,
    ItemSerializer,
    RecomputeSerializer,
    ScheduleSerializer,
    SignoffSerializer,
    SlippedMilestonesSerializer,
    item_for_key,
)

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The item key, e.g. TSK-12."
)
LINK_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Link id.")
BASELINE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Baseline id."
)
HOLIDAY_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Holiday id."
)

# Service field names -> the API's, so a service's field error points at what the client sent.
API_FIELD_NAMES = {
    "duration_minutes": "duration_days",
    "lag_minutes": "lag_days",
    "acceptance_evidence": "evidence",
}


@contextmanager
def api_field_names() -> Iterator[None]:
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {API_FIELD_NAMES.get(k, k): v for k, v in exc.error_dict.items()}
        raise DjangoValidationError(renamed) from exc


def _int_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such object") from None


def item_get(*, program, key: str) -> Item:
    """The program's item with this key (case does not matter), or 404."""
    item = (
        Item.objects.filter(program=program, key=key.strip().upper())
        .select_related("program", "parent", "workstream", "owner", "accepted_by")
        .first()
    )
    if item is None:
        raise Http404("No such item")
    return item


# ---------------------------------------------------------------------------------------------
# Schedule settings and recompute


class ScheduleView(ProgramScopedMixin, VersionedMixin, ApiView):
    """The program's calendar weekdays, project start, status date and slip threshold."""

    permission_actions = {"get": "schedule.view", "patch": "schedule.settings"}
    filter_backends: list = []

    def get_serializer(self, *args, **kwargs):
        return ScheduleSerializer(*args, context={"program": self.program}, **kwargs)

    def serialize_current(self, instance) -> dict:
        return self.get_serializer(instance).data

    @extend_schema(
        operation_id="schedule_retrieve",
        parameters=[CODE, ETAG],
        responses={200: ScheduleSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["schedule"],
    )
    def get(self, request, code: str):
        return Response(self.get_serializer(services.schedule_for(self.program)).data)

    @extend_schema(
        operation_id="schedule_partial_update",
        parameters=[CODE, IF_MATCH, ETAG],
        request=ScheduleSerializer,
        responses={
            200: ScheduleSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
            412: stale_response(ScheduleSerializer),
            428: PRECONDITION_REQUIRED,
        },
        description="Changing the calendar or status date re-runs the schedule.",
        tags=["schedule"],
    )
    def patch(self, request, code: str):
        version = self.expected_version()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        schedule = services.schedule_update(
            actor=request.user,
            program=self.program,
            expected_version=version,
            **serializer.validated_data,
        )
        return Response(self.get_serializer(schedule).data)


class RecomputeView(ProgramScopedMixin, ApiView):
    """Re-run the critical-path engine over the whole program (writes already do this)."""

    permission_actions = {"post": "schedule.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="schedule_recompute",
        parameters=[CODE],
        request=None,
        responses={
            200: RecomputeSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        tags=["schedule"],
    )
    def post(self, request, code: str):
        with transaction.atomic():
            schedule = services.lock_schedule(self.program)
            result = services.recompute(self.program, schedule=schedule)
        return Response(result.as_dict())


# ---------------------------------------------------------------------------------------------
# Items


ITEM_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, or words in name or description."),
    OpenApiParameter("workstream", OpenApiTypes.INT, description="Workstream id."),
    OpenApiParameter("owner", OpenApiTypes.INT, description="Owner's user id."),
    OpenApiParameter("status", OpenApiTypes.STR, description="not_started, in_progress, ..."),
    OpenApiParameter("kind", OpenApiTypes.STR, description="summary, task, milestone, ..."),
    OpenApiParameter("critical", OpenApiTypes.BOOL, description="On the critical path."),
    OpenApiParameter(
        "late", OpenApiTypes.BOOL, description="Past the deadline, overdue or behind baseline."
    ),
]


@extend_schema_view(
    list=list_schema(
        ItemSerializer,
        parameters=[CODE, *ITEM_FILTERS],
        description="The WBS in outline order (paginated; `page_size` up to 500).",
    ),
    create=create_schema(
        ItemSerializer,
        parameters=[CODE],
        description="Give `start` and `finish`, or `duration_days`. Items go last under "
        "`parent` unless `index` says otherwise.",
    ),
    retrieve=retrieve_schema(ItemSerializer, parameters=[CODE, KEY]),
    update=update_schema(ItemSerializer, parameters=[CODE, KEY]),
    partial_update=update_schema(
        ItemSerializer,
        parameters=[CODE, KEY],
        description="Contributors may change only percent_complete, actual_start, "
        "actual_finish and status (403 otherwise). A Gantt drag sends `start` and `finish`.",
    ),
    destroy=destroy_schema(
        ItemSerializer,
        parameters=[CODE, KEY],
        description="Deletes the item, everything below it and their links.",
    ),
)
@extend_schema(tags=["schedule items"])
class ItemViewSet(
    ProgramScopedMixin, VersionedMixin, RowListMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """The program's WBS: summaries, tasks, milestones and deliverables."""

    permission_actions = {
        "list": "schedule.view",
        "retrieve": "schedule.view",
        "create": "schedule.change",
        "update": "schedule.progress",  # narrowed to progress fields below for contributors
        "partial_update": "schedule.progress",
        "destroy": "schedule.change",
    }
    queryset = Item.objects.none()
    serializer_class = ItemSerializer
    filterset_class = ItemFilterSet

    def get_queryset(self):
        return Item.objects.filter(program=self.program).order_by("outline_path")

    def get_object(self) -> Item:
        return item_get(program=self.program, key=self.kwargs["key"])

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with api_field_names():
            item = services.item_create(
                actor=request.user, program=self.program, **serializer.validated_data
            )
        item = self.get_object_for(item.key)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    def get_object_for(self, key: str) -> Item:
        return item_get(program=self.program, key=key)

    def _require_change_or_progress_only(self, data) -> None:
        access = self.get_access()
        if access.can("schedule.change"):
            return
        sent = set(data.keys()) if hasattr(data, "keys") else set()
        others = sorted(sent - set(ITEM_PROGRESS_FIELDS) - {"version"})
        if others:
            raise PermissionDenied(
                f"Your role ({access.role_label}) may only report progress "
                f"({', '.join(ITEM_PROGRESS_FIELDS)}); not change {', '.join(others)}."
            )

    def update(self, request, *args, partial: bool = False, **kwargs):
        self._require_change_or_progress_only(request.data)
        item = self.get_object()
        version = self.expected_version()
        serializer = self.get_serializer(item, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with api_field_names():
            updated = services.item_update(
                actor=request.user,
                item=item,
                expected_version=version,
                **serializer.validated_data,
            )
        return Response(self.get_serializer(self.get_object_for(updated.key)).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        item = self.get_object()
        version = self.expected_version()
        services.item_delete(actor=request.user, item=item, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemActionView(ProgramScopedMixin, VersionedMixin, ApiView):
    """Base of the item's move/ and signoff/ addresses: the item, its serializer, the 412 body."""

    filter_backends: list = []

    def item(self) -> Item:
        return item_get(program=self.program, key=self.kwargs["key"])

    def serialize_current(self, instance) -> dict:
        return self.answer(instance).data

    def answer(self, item: Item) -> Response:
        item = item_get(program=self.program, key=item.key)
        context = {"request": self.request, "program": self.program}
        return Response(ItemSerializer(item, context=context).data)


def _action_schema(operation_id: str, request, description: str):
    return extend_schema(
        operation_id=operation_id,
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=request,
        responses={
            200: ItemSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
            412: stale_response(ItemSerializer),
            428: PRECONDITION_REQUIRED,
        },
        description=description,
        tags=["schedule items"],
    )


class ItemMoveView(ItemActionView):
    """Move an item (and everything below it) in the outline; WBS codes renumber."""

    permission_actions = {"post": "schedule.change"}

    @_action_schema(
        "schedule_item_move",
        ItemMoveSerializer,
        '`{"parent": "TSK-3", "index": 0}` (parent null: top level) or '
        '`{"action": "indent" | "outdent" | "up" | "down"}`.',
    )
    def post(self, request, code: str, key: str):
        item = self.item()
        version = self.expected_version()
        serializer = ItemMoveSerializer(data=request.data, context={"program": self.program})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kwargs = {"actor": request.user, "item": item, "expected_version": version}
        action = data.get("action")
        if action == "indent":
            moved = services.item_indent(**kwargs)
        elif action == "outdent":
            moved = services.item_outdent(**kwargs)
        elif action in ("up", "down"):
            moved = services.item_reorder(**kwargs, delta=-1 if action == "up" else 1)
        else:
            moved = services.item_move(**kwargs, parent=data["parent"], index=data.get("index"))
        return self.answer(moved)


class ItemSignoffView(ItemActionView):
    """Sign a milestone or deliverable off (who, when, evidence), or revoke the sign-off."""

    permission_actions = {"post": "schedule.signoff", "delete": "schedule.signoff"}

    @_action_schema(
        "schedule_item_signoff",
        SignoffSerializer,
        "Records you as the person who accepted it, now, with the evidence.",
    )
    def post(self, request, code: str, key: str):
        item = self.item()
        version = self.expected_version()
        serializer = SignoffSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with api_field_names():
            signed = services.item_signoff(
                actor=request.user,
                item=item,
                expected_version=version,
                evidence=serializer.validated_data["evidence"],
            )
        return self.answer(signed)

    @_action_schema(
        "schedule_item_signoff_revoke", None, "Withdraws the sign-off (the evidence note stays)."
    )
    def delete(self, request, code: str, key: str):
        item = self.item()
        version = self.expected_version()
        revoked = services.item_signoff_revoke(
            actor=request.user, item=item, expected_version=version
        )
        return self.answer(revoked)


class ItemBulkView(ProgramScopedMixin, ApiView):
    """Set the owner, status and/or workstream of many items at once."""

    permission_actions = {"post": "schedule.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="schedule_item_bulk_update",
        parameters=[CODE],
        request=ItemBulkSerializer,
        responses={
            200: ItemBulkResultSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        description="All or nothing: an unknown key refuses the whole request.",
        tags=["schedule items"],
    )
    def post(self, request, code: str):
        serializer = ItemBulkSerializer(data=request.data, context={"program": self.program})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        items = data.pop("items")
        changed = services.items_bulk_update(
            actor=request.user, program=self.program, items=items, **data
        )
        return Response({"changed": changed, "keys": [item.key for item in items]})


# ---------------------------------------------------------------------------------------------
# Links


LINK_FILTERS = [
    OpenApiParameter("item", OpenApiTypes.STR, description="Links into or out of this item key."),
    OpenApiParameter("predecessor", OpenApiTypes.STR, description="Links out of this item key."),
    OpenApiParameter("successor", OpenApiTypes.STR, description="Links into this item key."),
    OpenApiParameter("type", OpenApiTypes.STR, description="FS, SS, FF or SF."),
]


@extend_schema_view(
    list=list_schema(DependencySerializer, parameters=[CODE, *LINK_FILTERS]),
    create=create_schema(
        DependencySerializer,
        parameters=[CODE],
        description="A link that would close a loop is refused (400) naming the loop.",
    ),
    retrieve=retrieve_schema(DependencySerializer, parameters=[CODE, LINK_ID]),
    partial_update=update_schema(DependencySerializer, parameters=[CODE, LINK_ID]),
    destroy=destroy_schema(DependencySerializer, parameters=[CODE, LINK_ID]),
)
@extend_schema(tags=["schedule links"])
class DependencyViewSet(
    ProgramScopedMixin, VersionedMixin, RowListMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """Dependencies between items: finish-to-start, start-to-start, finish-to-finish,
    start-to-finish, each with a lag (negative: a lead) in working days."""

    permission_actions = {
        "list": "schedule.view",
        "retrieve": "schedule.view",
        "create": "schedule.change",
        "partial_update": "schedule.change",
        "destroy": "schedule.change",
    }
    queryset = Dependency.objects.none()
    serializer_class = DependencySerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = Dependency.objects.filter(program=self.program).select_related(
            "predecessor", "successor"
        )
        if self.action != "list":
            return qs
        params = self.request.query_params
        errors = {}
        for name, lookup in (
            ("item", None),
            ("predecessor", "predecessor"),
            ("successor", "successor"),
        ):
            key = params.get(name)
            if not key:
                continue
            try:
                item = item_for_key(self.program, key, name)
            except serializers.ValidationError as exc:
                errors.update(exc.detail)
                continue
            if lookup is None:
                qs = qs.filter(predecessor=item) | qs.filter(successor=item)
            else:
                qs = qs.filter(**{lookup: item})
        link_type = params.get("type")
        if link_type:
            link_type = link_type.upper()
            if link_type not in ("FS", "SS", "FF", "SF"):
                errors["type"] = [f"{params['type']!r} is not one of FS, SS, FF, SF."]
            qs = qs.filter(type=link_type)
        if errors:
            raise ValidationError(errors)
        return qs.order_by("successor__outline_path", "predecessor__outline_path", "pk")

    def get_object(self) -> Dependency:
        link = self.get_queryset().filter(pk=_int_id(self.kwargs["id"])).first()
        if link is None:
            raise Http404("No such link")
        return link

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with api_field_names():
            link = services.dependency_create(
                actor=request.user, program=self.program, **serializer.validated_data
            )
        return Response(self.get_serializer(link).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        link = self.get_object()
        version = self.expected_version()
        serializer = self.get_serializer(link, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with api_field_names():
            updated = services.dependency_update(
                actor=request.user,
                dependency=link,
                expected_version=version,
                **serializer.validated_data,
            )
        updated.predecessor, updated.successor = link.predecessor, link.successor
        return Response(self.get_serializer(updated).data)

    def destroy(self, request, *args, **kwargs):
        link = self.get_object()
        version = self.expected_version()
        services.dependency_delete(actor=request.user, dependency=link, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------
# Baselines


def baseline_get(*, program, pk) -> Baseline:
    """The baseline with its item count and author (one query), or 404."""
    baseline = baseline_list(program=program).filter(pk=_int_id(pk)).first()
    if baseline is None:
        raise Http404("No such baseline")
    return baseline


@extend_schema_view(
    list=list_schema(BaselineSerializer, parameters=[CODE], description="Newest first."),
    create=create_schema(
        BaselineSerializer,
        parameters=[CODE],
        description="Saves every item's current dates, duration and cost.",
    ),
    retrieve=retrieve_schema(BaselineSerializer, parameters=[CODE, BASELINE_ID]),
    partial_update=update_schema(BaselineSerializer, parameters=[CODE, BASELINE_ID]),
    destroy=destroy_schema(BaselineSerializer, parameters=[CODE, BASELINE_ID]),
)
@extend_schema(tags=["schedule baselines"])
class BaselineViewSet(
    ProgramScopedMixin, VersionedMixin, RowListMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """Named snapshots of the plan; one of them is current (the plan is compared with it)."""

    permission_actions = {
        "list": "schedule.view",
        "retrieve": "schedule.view",
        "create": "schedule.baseline",
        "partial_update": "schedule.baseline",
        "destroy": "schedule.baseline",
    }
    queryset = Baseline.objects.none()
    serializer_class = BaselineSerializer
    filter_backends: list = []

    def get_queryset(self):
        return baseline_list(program=self.program)

    def get_object(self) -> Baseline:
        return baseline_get(program=self.program, pk=self.kwargs["id"])

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        baseline = services.baseline_create(
            actor=request.user, program=self.program, **serializer.validated_data
        )
        baseline = baseline_get(program=self.program, pk=baseline.pk)
        return Response(self.get_serializer(baseline).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        baseline = self.get_object()
        version = self.expected_version()
        serializer = self.get_serializer(baseline, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.baseline_update(
            actor=request.user,
            baseline=baseline,
            expected_version=version,
            **serializer.validated_data,
        )
        return Response(self.get_serializer(self.get_object()).data)

    def serialize_current(self, instance) -> dict:
        return self.get_serializer(baseline_get(program=self.program, pk=instance.pk)).data

    def destroy(self, request, *args, **kwargs):
        baseline = self.get_object()
        version = self.expected_version()
        services.baseline_delete(actor=request.user, baseline=baseline, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BaselineSetCurrentView(ProgramScopedMixin, VersionedMixin, ApiView):
    """Make this baseline the current one (the one the plan is compared with)."""

    permission_actions = {"post": "schedule.baseline"}
    filter_backends: list = []

    def serialize_current(self, instance) -> dict:
        baseline = baseline_get(program=self.program, pk=instance.pk)
        return BaselineSerializer(baseline, context={"request": self.request}).data

    @extend_schema(
        operation_id="schedule_baseline_set_current",
        parameters=[CODE, BASELINE_ID, IF_MATCH, ETAG],
        request=None,
        responses={
            200: BaselineSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
            412: stale_response(BaselineSerializer),
            428: PRECONDITION_REQUIRED,
        },
        tags=["schedule baselines"],
    )
    def post(self, request, code: str, id: int):
        baseline = baseline_get(program=self.program, pk=id)
        version = self.expected_version()
        services.baseline_set_current(
            actor=request.user, baseline=baseline, expected_version=version
        )
        return Response(self.serialize_current(baseline))


class ComparisonPagination(StandardPagination):
    page_size = 500
    max_page_size = 5000


class BaselineComparisonView(ProgramScopedMixin, ApiView):
    """The plan against a baseline, item by item: variances in working days and cost."""

    permission_actions = {"get": "schedule.view"}
    filter_backends: list = []
    pagination_class = ComparisonPagination

    @extend_schema(
        operation_id="schedule_baseline_comparison",
        parameters=[
            CODE,
            BASELINE_ID,
            OpenApiParameter(
                "full", OpenApiTypes.BOOL, description="Every row on one page (no paging)."
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Up to 5000."),
        ],
        responses={
            200: ComparisonRowSerializer(many=True),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description="In outline order. Paginated (`count`, `next`, `previous`, `results`).",
        tags=["schedule baselines"],
    )
    def get(self, request, code: str, id: int):
        baseline = baseline_get(program=self.program, pk=id)
        rows = comparison_rows(self.program, baseline)
        if request.query_params.get("full", "").lower() in ("1", "true", "yes"):
            data = ComparisonRowSerializer(rows, many=True).data
            return Response({"count": len(rows), "next": None, "previous": None, "results": data})
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ComparisonRowSerializer(page, many=True).data)


class SlippedMilestonesView(ProgramScopedMixin, ApiView):
    """Milestones forecast later than the baseline by more than the threshold."""

    permission_actions = {"get": "schedule.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="schedule_slipped_milestones",
        parameters=[
            CODE,
            OpenApiParameter(
                "threshold_days",
                OpenApiTypes.INT,
                description="Working days; default the schedule's slip threshold.",
            ),
            OpenApiParameter(
                "baseline", OpenApiTypes.INT, description="Baseline id; default the current one."
            ),
        ],
        responses={
            200: SlippedMilestonesSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["schedule baselines"],
    )
    def get(self, request, code: str):
        params = request.query_params
        threshold = None
        if params.get("threshold_days", "") != "":
            field = serializers.IntegerField(min_value=0, max_value=10000)
            try:
                threshold = field.run_validation(params["threshold_days"])
            except serializers.ValidationError as exc:
                raise ValidationError({"threshold_days": exc.detail}) from None
        baseline = None
        if params.get("baseline"):
            baseline = baseline_get(program=self.program, pk=params["baseline"])
        else:
            baseline = baseline_current(program=self.program)
        if threshold is None:
            threshold = services.schedule_for(self.program).slip_threshold_days
        rows = (
            slipped_milestones(self.program, baseline=baseline, threshold_days=threshold)
            if baseline is not None
            else []
        )
        return Response(
            SlippedMilestonesSerializer(
                {
                    "baseline": baseline.pk if baseline else None,
                    "threshold_days": threshold,
                    "count": len(rows),
                    "results": rows,
                }
            ).data
        )


# ---------------------------------------------------------------------------------------------
# Holidays


@extend_schema_view(
    list=list_schema(HolidaySerializer, parameters=[CODE], description="By start date."),
    create=create_schema(HolidaySerializer, parameters=[CODE], description="Re-runs the schedule."),
    retrieve=retrieve_schema(HolidaySerializer, parameters=[CODE, HOLIDAY_ID]),
    partial_update=update_schema(HolidaySerializer, parameters=[CODE, HOLIDAY_ID]),
    destroy=destroy_schema(HolidaySerializer, parameters=[CODE, HOLIDAY_ID]),
)
@extend_schema(tags=["schedule calendar"])
class HolidayViewSet(
    ProgramScopedMixin, VersionedMixin, RowListMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """Non-working day ranges (inclusive) of the program calendar."""

    permission_actions = {
        "list": "schedule.view",
        "retrieve": "schedule.view",
        "create": "schedule.settings",
        "partial_update": "schedule.settings",
        "destroy": "schedule.settings",
    }
    queryset = Holiday.objects.none()
    serializer_class = HolidaySerializer
    filter_backends: list = []

    def get_queryset(self):
        return Holiday.objects.filter(program=self.program).order_by("start", "pk")

    def get_object(self) -> Holiday:
        holiday = (
            Holiday.objects.filter(program=self.program, pk=_int_id(self.kwargs["id"]))
            .select_related("program")
            .first()
        )
        if holiday is None:
            raise Http404("No such holiday")
        return holiday

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        holiday = services.holiday_create(
            actor=request.user, program=self.program, **serializer.validated_data
        )
        return Response(self.get_serializer(holiday).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        holiday = self.get_object()
        version = self.expected_version()
        serializer = self.get_serializer(holiday, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = services.holiday_update(
            actor=request.user,
            holiday=holiday,
            expected_version=version,
            **serializer.validated_data,
        )
        return Response(self.get_serializer(updated).data)

    def destroy(self, request, *args, **kwargs):
        holiday = self.get_object()
        version = self.expected_version()
        services.holiday_delete(actor=request.user, holiday=holiday, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)
