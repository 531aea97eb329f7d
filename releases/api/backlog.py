"""Backlog API under /api/v1/programs/<code>/: backlog items by key (CRUD with If-Match, the
list's filters), their rank move and iteration assignment, the Jira CSV import (400 listing
every problem), and iterations (CRUD, close).

Reordering and planning are for backlog.groom roles and the workstream's lead (403 otherwise).
A refused step (deleting an item others depend on, closing a closed iteration) answers 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.refusals import REFUSED, optional_version, refusals_as_409
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
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from core.uploads import check_upload
from programs.api.views import ProgramScopedMixin
from programs.selectors import member_users

from ..models import (
    BacklogItem,
    BacklogKind,
    BacklogStatus,
    Iteration,
    MoSCoW,
    Requirement,
)
from ..selectors import backlog as selectors
from ..services import backlog as services
from ..services import jira_import

CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH,
                        description="The program code, e.g. ERP.")  # fmt: skip
KEY = OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH,
                       description="The item's key, e.g. PBI-12.")  # fmt: skip
PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                      description="The iteration's id.")  # fmt: skip
FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, Jira key, or words in title."),
    OpenApiParameter("workstream", OpenApiTypes.INT, description="The workstream's id."),
    OpenApiParameter("status", OpenApiTypes.STR, description="open, new, ready, in_progress, ..."),
    OpenApiParameter("kind", OpenApiTypes.STR, description="epic, story, task, bug, spike."),
    OpenApiParameter("priority", OpenApiTypes.STR, description="must, should, could, wont."),
    OpenApiParameter("iteration", OpenApiTypes.STR, description="An iteration id, or none."),
    OpenApiParameter("assignee", OpenApiTypes.INT, description="The assignee's user id."),
    OpenApiParameter("cross_team", OpenApiTypes.BOOL, description="Cross-team items only."),
    OpenApiParameter("sort", OpenApiTypes.STR,
                     description="rank, key, wsjf, estimate, status, updated (- descending)."),
]  # fmt: skip
SCORE = {
    "required": False, "allow_null": True, "min_value": 1, "max_value": 100,
    "help_text": "1, 2, 3, 5, 8, 13 or 20 (modified Fibonacci), relative to the others.",
}  # fmt: skip


def _keys(program, model, keys: list[str], field: str) -> list:
    wanted = [k.strip().upper() for k in keys]
    found = {row.key: row for row in model.objects.filter(program=program, key__in=wanted)}
    missing = [k for k in wanted if k not in found]
    if missing:
        raise ValidationError({field: [f"{program.code} has no {', '.join(missing)}."]})
    return [found[k] for k in wanted]


class BacklogItemSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="e.g. PBI-12")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    workstream = serializers.CharField(help_text="The workstream's key, e.g. WS-3.")
    workstream_name = serializers.CharField(read_only=True, source="workstream.name")
    kind = serializers.ChoiceField(choices=BacklogKind.choices, required=False)
    status = serializers.ChoiceField(choices=BacklogStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=MoSCoW.choices, required=False,
                                       help_text="MoSCoW.")  # fmt: skip
    business_value = serializers.IntegerField(**SCORE)
    time_criticality = serializers.IntegerField(**SCORE)
    risk_reduction = serializers.IntegerField(**SCORE)
    job_size = serializers.IntegerField(**SCORE)
    wsjf = serializers.DecimalField(7, 2, read_only=True, allow_null=True,
                                    help_text="(value + criticality + risk) / size")  # fmt: skip
    estimate = serializers.DecimalField(6, 1, min_value=0, max_value=9999, required=False,
                                        allow_null=True, help_text="Story points.")  # fmt: skip
    iteration = serializers.IntegerField(required=False, allow_null=True,
                                         help_text="The iteration's id, or null.")  # fmt: skip
    iteration_name = serializers.CharField(read_only=True, allow_null=True)
    rank = serializers.IntegerField(read_only=True, help_text="1 first within the workstream.")
    assignee_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    requirements = serializers.ListField(child=serializers.CharField(), required=False,
                                         help_text="Requirement keys (REQ-n).")  # fmt: skip
    depends_on = serializers.ListField(child=serializers.CharField(), required=False,
                                       help_text="Keys of the items it needs first.")  # fmt: skip
    blocks = serializers.ListField(child=serializers.CharField(), read_only=True)
    cross_team = serializers.BooleanField(read_only=True)
    cross_team_workstreams = serializers.ListField(child=serializers.CharField(), read_only=True)
    external_key = serializers.CharField(max_length=40, required=False, allow_blank=True)
    labels = serializers.CharField(max_length=300, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program = self.context["program"]
        attrs.pop("version", None)
        if "workstream" in attrs:
            ws = program.workstreams.filter(key=attrs["workstream"].strip().upper()).first()
            if ws is None:
                raise ValidationError({"workstream": [f"{program.code} has no workstream "
                                                      f"{attrs['workstream']}."]})  # fmt: skip
            attrs["workstream"] = ws
        if "iteration" in attrs and attrs["iteration"] is not None:
            found = Iteration.objects.filter(program=program, pk=attrs["iteration"]).first()
            if found is None:
                raise ValidationError({"iteration": [f"{program.code} has no iteration "
                                                     f"{attrs['iteration']}."]})  # fmt: skip
            attrs["iteration"] = found
        if "assignee_id" in attrs:
            pk = attrs.pop("assignee_id")
            attrs["assignee"] = None if pk is None else member_users(program=program).filter(
                pk=pk).first()  # fmt: skip
            if pk is not None and attrs["assignee"] is None:
                raise ValidationError({"assignee_id": [f"User {pk} is not a member."]})
        if "requirements" in attrs:
            attrs["requirements"] = _keys(program, Requirement, attrs["requirements"],
                                          "requirements")  # fmt: skip
        if "depends_on" in attrs:
            attrs["depends_on"] = _keys(program, BacklogItem, attrs["depends_on"], "depends_on")
        if "external_key" in attrs:
            attrs["external_key"] = attrs["external_key"].strip().upper()
        return attrs

    def to_representation(self, item: BacklogItem) -> dict[str, Any]:
        links = selectors.links_of(item)
        return {
            "key": item.key, "title": item.title, "description": item.description,
            "workstream": item.workstream.key, "workstream_name": item.workstream.name,
            "kind": item.kind, "status": item.status, "priority": item.priority,
            "business_value": item.business_value, "time_criticality": item.time_criticality,
            "risk_reduction": item.risk_reduction, "job_size": item.job_size,
            "wsjf": None if item.wsjf is None else f"{item.wsjf:.2f}",
            "estimate": None if item.estimate is None else f"{item.estimate:.1f}",
            "iteration": item.iteration_id,
            "iteration_name": item.iteration.name if item.iteration else None,
            "rank": item.rank, "assignee_id": item.assignee_id,
            "requirements": sorted(r.key for r in item.requirements.all()),
            "depends_on": [link.item.key for link in links.depends_on],
            "blocks": [link.item.key for link in links.blocks],
            "cross_team": bool(links.cross_team),
            "cross_team_workstreams": links.other_workstreams,
            "external_key": item.external_key, "labels": item.labels,
            "version": item.version,
            "updated_at": serializers.DateTimeField().to_representation(item.updated_at),
        }  # fmt: skip


class _BacklogScoped(ProgramScopedMixin):
    def item(self) -> BacklogItem:
        return selectors.item_get(program=self.program, key=self.kwargs["key"])

    def serialize_current(self, instance) -> dict:
        if isinstance(instance, BacklogItem):
            instance = selectors.item_get(program=self.program, key=instance.key)
            return BacklogItemSerializer(instance, context={"program": self.program}).data
        return self.get_serializer(instance).data

    def require_groom(self, item: BacklogItem) -> None:
        if not selectors.can_groom(self.get_access(), self.request.user, item.workstream):
            raise PermissionDenied(
                f"Only the program manager, a coordinator or {item.workstream.name}'s lead "
                "reorders and plans its backlog."
            )


@extend_schema_view(
    list=list_schema(BacklogItemSerializer, parameters=[CODE, *FILTERS]),
    create=create_schema(BacklogItemSerializer, parameters=[CODE],
                         description="A new item at the bottom of its workstream's ranking."),
    retrieve=retrieve_schema(BacklogItemSerializer, parameters=[CODE, KEY]),
    update=update_schema(BacklogItemSerializer, parameters=[CODE, KEY]),
    partial_update=update_schema(BacklogItemSerializer, parameters=[CODE, KEY]),
    destroy=destroy_schema(BacklogItemSerializer, parameters=[CODE, KEY],
                           description="Refused (409) while other items depend on it."),
)  # fmt: skip
@extend_schema(tags=["backlog"])
class BacklogItemViewSet(_BacklogScoped, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The program's backlog items, ranked per workstream, with WSJF and dependency flags."""

    service_target = "item"
    permission_actions = {
        "list": "backlog.view", "retrieve": "backlog.view", "create": "backlog.change",
        "update": "backlog.change", "partial_update": "backlog.change",
        "destroy": "backlog.change",
    }  # fmt: skip
    queryset = BacklogItem.objects.none()
    serializer_class = BacklogItemSerializer
    filterset_class = selectors.BacklogFilterSet
    pagination_class = StandardPagination

    def get_queryset(self):
        return selectors.backlog_list(program=self.program).prefetch_related("requirements")

    def get_object(self):
        return self.item()

    def create_service(self, **kwargs):
        return services.backlog_item_create(**kwargs)

    def update_service(self, **kwargs):
        return services.backlog_item_update(**kwargs)

    def delete_service(self, **kwargs):
        services.backlog_item_delete(**kwargs)


MOVE = inline_serializer(name="BacklogMove", fields={
    "position": serializers.IntegerField(required=False, min_value=1,
                                         help_text="1 is the top of the workstream."),
    "before": serializers.CharField(required=False, help_text="Go in front of this key."),
    "direction": serializers.ChoiceField(choices=services.DIRECTIONS, required=False),
})  # fmt: skip
ASSIGN = inline_serializer(name="BacklogAssign", fields={
    "iteration": serializers.IntegerField(allow_null=True, help_text="An id, or null."),
})  # fmt: skip


class BacklogMoveView(_BacklogScoped, ApiView):
    permission_actions = {"post": "backlog.change"}

    @extend_schema(operation_id="backlog_move", parameters=[CODE, KEY], request=MOVE,
                   responses={200: BacklogItemSerializer, 400: VALIDATION_ERROR,
                              401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND, 409: REFUSED},
                   description="Move the item in its workstream's ranking: give exactly one of "
                   "position, before or direction (top, up, down, bottom). Every rank of the "
                   "workstream is renumbered under a lock.", tags=["backlog"])  # fmt: skip
    def post(self, request, code: str, key: str):
        item = self.item()
        self.require_groom(item)
        data = request.data
        kwargs: dict[str, Any] = {}
        if data.get("position") not in (None, ""):
            try:
                kwargs["position"] = int(data["position"])
            except (TypeError, ValueError):
                raise ValidationError({"position": ["A whole number, 1 or more."]}) from None
        if data.get("before"):
            kwargs["before"] = selectors.item_get(program=self.program, key=str(data["before"]))
        if data.get("direction"):
            kwargs["direction"] = str(data["direction"])
        with refusals_as_409():
            services.backlog_item_move(actor=request.user, item=item, **kwargs)
        return Response(self.serialize_current(item))


class BacklogAssignView(_BacklogScoped, ApiView):
    permission_actions = {"post": "backlog.change"}

    @extend_schema(operation_id="backlog_assign", parameters=[CODE, KEY], request=ASSIGN,
                   responses={200: BacklogItemSerializer, 400: VALIDATION_ERROR,
                              401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
                   description="Plan the item into an iteration of its workstream or a "
                   "program-wide one (null: back to the backlog). If-Match is optional.",
                   tags=["backlog"])  # fmt: skip
    def post(self, request, code: str, key: str):
        item = self.item()
        self.require_groom(item)
        if "iteration" not in request.data:
            raise ValidationError({"iteration": ["Give an iteration id, or null."]})
        raw = request.data.get("iteration")
        iteration = None
        if raw not in (None, ""):
            iteration = Iteration.objects.filter(program=self.program, pk=raw).first() if str(
                raw).isdigit() else None  # fmt: skip
            if iteration is None:
                raise ValidationError({"iteration": [f"{self.program.code} has no iteration "
                                                     f"{raw}."]})  # fmt: skip
        services.backlog_item_assign(actor=request.user, item=item, iteration=iteration,
                                     expected_version=optional_version(request))  # fmt: skip
        return Response(self.serialize_current(item))


IMPORT_UPLOAD = inline_serializer(name="JiraImportUpload", fields={
    "file": serializers.FileField(help_text="Jira's Export issues > CSV (all fields)."),
    "workstream": serializers.CharField(help_text="The workstream key new issues join."),
    "create_missing": serializers.BooleanField(required=False,
                                               help_text="Create unknown sprints."),
    "check": serializers.BooleanField(required=False, help_text="Only check; write nothing."),
})  # fmt: skip
IMPORT_RESULT = inline_serializer(name="JiraImportResult", fields={
    "dry_run": serializers.BooleanField(), "workstream": serializers.CharField(),
    "rows": serializers.IntegerField(), "create": serializers.IntegerField(),
    "update": serializers.IntegerField(), "unchanged": serializers.IntegerField(),
    "new_iterations": serializers.ListField(child=serializers.DictField()),
    "ignored_columns": serializers.ListField(child=serializers.CharField()),
    "not_kept_columns": serializers.ListField(child=serializers.CharField()),
    "items": serializers.ListField(child=serializers.DictField()),
})  # fmt: skip
IMPORT_PROBLEMS = inline_serializer(name="JiraImportProblems", fields={
    "detail": serializers.CharField(),
    "problems": serializers.ListField(child=serializers.DictField(child=serializers.CharField()),
                                      help_text="[{where, column, message}], every one."),
})  # fmt: skip


def _truthy(value) -> bool:
    return str(value or "").lower() in ("1", "true", "yes", "on")


class JiraImportApiView(ProgramScopedMixin, ApiView):
    permission_actions = {"post": "backlog.import"}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="backlog_jira_import", parameters=[CODE],
                   request={"multipart/form-data": IMPORT_UPLOAD},
                   responses={200: IMPORT_RESULT, 201: IMPORT_RESULT, 400: IMPORT_PROBLEMS,
                              401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
                   description="Imports every row or none: 400 lists every problem (missing "
                   "columns by name, bad rows with their line); 201 says what was created and "
                   "updated; with `check` 200 says what would be.", tags=["backlog"])  # fmt: skip
    def post(self, request, code: str):
        def refuse(problems: list[dict], detail: str) -> Response:
            return Response({"detail": detail, "problems": problems},
                            status=status.HTTP_400_BAD_REQUEST)  # fmt: skip

        upload = request.FILES.get("file")
        if upload is None:
            message = "Send the export as the multipart field `file`."
            return refuse(
                [{"where": "", "column": "", "message": message}], "No file; nothing was imported."
            )
        try:
            check_upload(upload, jira_import.UPLOAD)
        except DjangoValidationError as exc:
            return refuse([{"where": "", "column": "", "message": m}
                           for m in exc.message_dict["file"]], "The file was refused; nothing "
                          "was imported.")  # fmt: skip
        key = str(request.data.get("workstream") or "").strip().upper()
        workstream = self.program.workstreams.filter(key=key).first()
        if workstream is None:
            raise ValidationError({"workstream": [f"{self.program.code} has no workstream "
                                                  f"“{key}”."]})  # fmt: skip
        dry_run = _truthy(request.data.get("check") or request.query_params.get("check"))
        try:
            plan = jira_import.jira_import_run(
                actor=request.user, program=self.program, workstream=workstream,
                data=upload.read(), create_missing=_truthy(request.data.get("create_missing")),
                dry_run=dry_run,
            )  # fmt: skip
        except jira_import.JiraImportError as exc:
            return refuse([p.as_dict() for p in exc.problems],
                          f"{len(exc.problems)} problem(s); nothing was imported.")  # fmt: skip
        return Response(
            {**plan.as_dict(), "dry_run": dry_run},
            status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED,
        )


# --- iterations ---------------------------------------------------------------------------------


class IterationSerializer(serializers.ModelSerializer):
    workstream = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="A workstream key, or null for program-wide.",
    )
    committed = serializers.DecimalField(9, 1, read_only=True, required=False)
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Iteration
        fields = ["id", "name", "workstream", "start_date", "end_date", "goal", "capacity",
                  "status", "committed", "version", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "updated_at"]

    def validate(self, attrs):
        program = self.context["program"]
        attrs.pop("version", None)
        if "workstream" in attrs:
            key = (attrs["workstream"] or "").strip().upper()
            attrs["workstream"] = program.workstreams.filter(key=key).first() if key else None
            if key and attrs["workstream"] is None:
                raise ValidationError({"workstream": [f"{program.code} has no workstream {key}."]})
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise ValidationError({"end_date": ["The end date must be on or after the start."]})
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["workstream"] = instance.workstream.key if instance.workstream_id else None
        data["committed"] = f"{getattr(instance, 'committed', 0):.1f}"
        return data


class _IterationScoped(ProgramScopedMixin):
    def iteration(self) -> Iteration:
        return selectors.iteration_get(program=self.program, pk=self.kwargs["id"])

    def serialize_current(self, instance) -> dict:
        row = selectors.iteration_list(program=self.program).get(pk=instance.pk)
        return IterationSerializer(row, context={"program": self.program}).data


@extend_schema_view(
    list=list_schema(IterationSerializer, parameters=[CODE]),
    create=create_schema(IterationSerializer, parameters=[CODE]),
    retrieve=retrieve_schema(IterationSerializer, parameters=[CODE, PK]),
    update=update_schema(IterationSerializer, parameters=[CODE, PK]),
    partial_update=update_schema(IterationSerializer, parameters=[CODE, PK]),
    destroy=destroy_schema(IterationSerializer, parameters=[CODE, PK],
                           description="Refused (409) while items are planned into it."),
)  # fmt: skip
@extend_schema(tags=["backlog"])
class IterationViewSet(_IterationScoped, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """Sprints and program-wide increments, with the points committed to each."""

    service_target = "iteration"
    lookup_field = "id"
    permission_actions = {
        "list": "backlog.view", "retrieve": "backlog.view", "create": "backlog.groom",
        "update": "backlog.groom", "partial_update": "backlog.groom", "destroy": "backlog.groom",
    }  # fmt: skip
    queryset = Iteration.objects.none()
    serializer_class = IterationSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def get_queryset(self):
        return selectors.iteration_list(program=self.program)

    def get_object(self):
        return self.iteration()

    def create_service(self, **kwargs):
        return services.iteration_create(**kwargs)

    def update_service(self, **kwargs):
        return services.iteration_update(**kwargs)

    def delete_service(self, **kwargs):
        services.iteration_delete(**kwargs)


CLOSE = inline_serializer(name="IterationClose", fields={
    "move_to": serializers.IntegerField(allow_null=True, required=False,
                                        help_text="Where unfinished items go; null: backlog."),
})  # fmt: skip


class IterationCloseView(_IterationScoped, ApiView):
    permission_actions = {"post": "backlog.groom"}

    @extend_schema(operation_id="iteration_close", parameters=[CODE, PK], request=CLOSE,
                   responses={200: IterationSerializer, 400: VALIDATION_ERROR,
                              401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND,
                              409: REFUSED, 412: OpenApiResponse(description="Stale version.")},
                   description="Close the iteration; its unfinished items move to `move_to` "
                   "(or back to the backlog). If-Match is optional.", tags=["backlog"])  # fmt: skip
    def post(self, request, code: str, id: int):
        iteration = self.iteration()
        raw = request.data.get("move_to")
        move_to = None
        if raw not in (None, ""):
            move_to = Iteration.objects.filter(program=self.program, pk=raw).first() if str(
                raw).isdigit() else None  # fmt: skip
            if move_to is None:
                raise ValidationError({"move_to": [f"{self.program.code} has no iteration {raw}."]})
        with refusals_as_409():
            services.iteration_close(
                actor=request.user,
                iteration=iteration,
                expected_version=optional_version(request),
                move_to=move_to,
            )
        iteration.refresh_from_db()
        return Response(self.serialize_current(iteration))
