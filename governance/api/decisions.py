"""Decision log API, under /api/v1/programs/<code>/governance/decisions/: CRUD with If-Match,
taking a proposed decision (decide/) and replacing a decided one (supersede/).

A step the decision's state does not allow (editing a superseded decision, deciding twice,
deleting a taken decision) answers 409 with the reason; nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    stale_response,
    update_schema,
)
from core.api.serializers import RowSerializer, UserRefSerializer, format_date, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin
from programs.models import Program

from ..choices import DecisionStatus
from ..filtersets import DecisionFilterSet
from ..models import Decision, DecisionLink
from ..models.decisions import MAX_OPTIONS, OPTION_TEXT_LIMITS
from ..selectors import decisions as selectors
from ..selectors.links import objects_for_keys, split_keys
from ..services import decisions as services
from .change_serializers import member_or_error
from .changes import (
    REFUSED,
    Conflict,
    conflict_response,
    optional_version,
    refusals_as_answers,
)

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The decision's key, e.g. DEC-4."
)
VERSION_HELP = "The version you edited (or send If-Match)."


def _links(program: Program, keys: list[str]):
    wanted: list[str] = []
    for key in keys:
        wanted += [k for k in split_keys(key) if k not in wanted]
    try:
        return objects_for_keys(program=program, keys=wanted, field="links")
    except DjangoValidationError as exc:
        raise serializers.ValidationError({"links": exc.message_dict["links"]}) from exc


def link_keys_by_decision(ids: list[int]) -> dict[int, list[str]]:
    """Decision id -> the keys it links to, in link order: one query for the links and one per
    kind of item linked, whatever the number of decisions."""
    rows = list(
        DecisionLink.objects.filter(decision_id__in=ids)
        .order_by("id")
        .values_list("decision_id", "content_type_id", "object_id")
    )
    by_type: dict[int, set[int]] = defaultdict(set)
    for _decision, ct_id, object_id in rows:
        by_type[ct_id].add(object_id)
    keys: dict[tuple[int, int], str] = {}
    for ct_id, object_ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        for pk, key in model._default_manager.filter(pk__in=object_ids).values_list("pk", "key"):
            keys[(ct_id, pk)] = key
    found: dict[int, list[str]] = {pk: [] for pk in ids}
    for decision_id, ct_id, object_id in rows:
        if (ct_id, object_id) in keys:
            found[decision_id].append(keys[(ct_id, object_id)])
    return found


class OptionSerializer(serializers.Serializer):
    option = serializers.CharField(max_length=OPTION_TEXT_LIMITS["option"])
    pros = serializers.CharField(
        max_length=OPTION_TEXT_LIMITS["pros"], required=False, allow_blank=True, default=""
    )
    cons = serializers.CharField(
        max_length=OPTION_TEXT_LIMITS["cons"], required=False, allow_blank=True, default=""
    )


class DecisionSerializer(RowSerializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. DEC-4.")
    title = serializers.CharField(max_length=300)
    decision = serializers.CharField(
        required=False, allow_blank=True, source="statement", help_text="What was decided."
    )
    context = serializers.CharField(required=False, allow_blank=True)
    options = OptionSerializer(many=True, required=False, max_length=MAX_OPTIONS)
    rationale = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=DecisionStatus.choices,
        required=False,
        help_text="On create: decided (default) or proposed. Afterwards read-only: take a "
        "proposal with decide/, replace a decision with supersede/.",
    )
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    decided_by_id = serializers.IntegerField(
        write_only=True, required=False, allow_null=True, min_value=1, help_text="A member."
    )
    forum = serializers.CharField(required=False, allow_blank=True, max_length=200)
    decided_on = serializers.DateField(required=False, allow_null=True)
    needed_by = serializers.DateField(required=False, allow_null=True)
    superseded_by = serializers.CharField(read_only=True, allow_null=True)
    links = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=200,
        help_text='Keys of the linked items, e.g. ["CR-3", "TSK-12", "RSK-4"].',
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    row_fields = (
        "id", "key", "title", "statement", "context", "options", "rationale", "status",
        "decided_by_id", "decided_by__full_name", "forum", "decided_on", "needed_by",
        "superseded_by__key", "version", "created_at", "updated_at",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program = self.context["program"]
        attrs.pop("version", None)
        if self.instance is not None and "status" in attrs:
            raise serializers.ValidationError(
                {"status": ["Take a proposal with decide/ and replace a decision with supersede/."]}
            )
        if attrs.get("status") == DecisionStatus.SUPERSEDED:
            raise serializers.ValidationError(
                {"status": ["Record it as decided, then supersede the old one with supersede/."]}
            )
        if "decided_by_id" in attrs:
            attrs["decided_by"] = member_or_error(
                program, attrs.pop("decided_by_id"), "decided_by_id"
            )
        if "links" in attrs:
            attrs["links"] = _links(program, attrs["links"])
        if "options" in attrs:
            attrs["options"] = [dict(o) for o in attrs["options"]]
        return attrs

    def instance_row(self, instance: Decision) -> dict[str, Any]:
        row = super().instance_row(instance)
        row["links"] = link_keys_by_decision([instance.pk])[instance.pk]
        return row

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "key": r["key"],
            "title": r["title"],
            "decision": r["statement"],
            "context": r["context"],
            "options": r["options"],
            "rationale": r["rationale"],
            "status": r["status"],
            "decided_by": user_ref(r["decided_by_id"], r["decided_by__full_name"]),
            "forum": r["forum"],
            "decided_on": format_date(r["decided_on"]),
            "needed_by": format_date(r["needed_by"]),
            "superseded_by": r["superseded_by__key"],
            "links": r.get("links", []),
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class DecideSerializer(serializers.Serializer):
    decided_by_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="A member; default: you."
    )
    decided_on = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")
    forum = serializers.CharField(required=False, allow_blank=True, max_length=200)
    rationale = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if "decided_by_id" in attrs:
            attrs["decided_by"] = member_or_error(
                self.context["program"], attrs.pop("decided_by_id"), "decided_by_id"
            )
        return attrs


class SupersedeSerializer(serializers.Serializer):
    replacement = serializers.CharField(
        max_length=40, help_text="The key of the decided decision that replaces this one."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate_replacement(self, value: str) -> Decision:
        program = self.context["program"]
        decision = Decision.objects.filter(program=program, key=value.strip().upper()).first()
        if decision is None:
            raise serializers.ValidationError(f"There is no decision {value} in {program.code}.")
        return decision


class DecisionScopedMixin(ProgramScopedMixin):
    def decision(self) -> Decision:
        return selectors.decision_get(program=self.program, key=self.kwargs["key"])

    def answer(self, decision: Decision, status_code: int = 200) -> Response:
        fresh = selectors.decision_get(program=self.program, key=decision.key)
        context = {"request": self.request, "program": self.program}
        return Response(DecisionSerializer(fresh, context=context).data, status=status_code)

    def serialize_current(self, instance) -> dict:
        return self.answer(instance).data


DECISION_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Key, or words in the texts."),
    OpenApiParameter("status", OpenApiTypes.STR, description="proposed, decided, superseded."),
    OpenApiParameter("decided_by", OpenApiTypes.INT, description="The decider's user id."),
    OpenApiParameter("decided_after", OpenApiTypes.DATE, description="Decided on or after."),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        description="key, title, decided_on, status, updated (- for descending).",
    ),
]


@extend_schema_view(
    list=list_schema(DecisionSerializer, parameters=[CODE, *DECISION_FILTERS]),
    create=create_schema(
        DecisionSerializer,
        parameters=[CODE],
        description="Records a decided entry (default: today, by you) or a proposal.",
    ),
    retrieve=retrieve_schema(DecisionSerializer, parameters=[CODE, KEY]),
    update=update_schema(DecisionSerializer, parameters=[CODE, KEY]),
    partial_update=update_schema(
        DecisionSerializer,
        parameters=[CODE, KEY],
        description="A superseded decision is kept as it was (409).",
    ),
    destroy=destroy_schema(
        DecisionSerializer,
        parameters=[CODE, KEY],
        description="Only a proposal can be deleted (409 otherwise): taken decisions are "
        "superseded, never erased.",
    ),
)
@extend_schema(tags=["decisions"])
class DecisionViewSet(DecisionScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The program's decision log."""

    service_target = "decision"
    permission_actions = {
        "list": "decision.view",
        "retrieve": "decision.view",
        "create": "decision.change",
        "update": "decision.change",
        "partial_update": "decision.change",
        "destroy": "decision.change",
    }
    queryset = Decision.objects.none()
    serializer_class = DecisionSerializer
    filterset_class = DecisionFilterSet
    pagination_class = StandardPagination

    def get_queryset(self):
        return selectors.decision_list(program=self.program)

    def get_object(self) -> Decision:
        return self.decision()

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.values(*DecisionSerializer.row_fields))
        keys = link_keys_by_decision([row["id"] for row in page])
        for row in page:
            row["links"] = keys[row["id"]]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create_service(self, **kwargs):
        return services.decision_record(**kwargs)

    def update_service(self, **kwargs):
        return services.decision_update(**kwargs)

    def delete_service(self, **kwargs):
        services.decision_delete(**kwargs)


def _decision_step_schema(operation_id: str, request, description: str):
    return extend_schema(
        operation_id=operation_id,
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=request,
        responses={
            200: DecisionSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(DecisionSerializer),
        },
        description=description,
        tags=["decisions"],
    )


class DecisionDecideView(DecisionScopedMixin, VersionedMixin, ApiView):
    """Take a proposed decision."""

    permission_actions = {"post": "decision.change"}
    filter_backends: list = []

    @_decision_step_schema(
        "decision_decide", DecideSerializer, "Proposed -> decided (409 for anything else)."
    )
    def post(self, request, code: str, key: str):
        decision = self.decision()
        version = optional_version(request)
        serializer = DecideSerializer(data=request.data, context={"program": self.program})
        serializer.is_valid(raise_exception=True)
        try:
            with refusals_as_answers():
                decision = services.decision_decide(
                    actor=request.user,
                    decision=decision,
                    expected_version=version,
                    **serializer.validated_data,
                )
        except Conflict as exc:
            return conflict_response(exc)
        return self.answer(decision)


class DecisionSupersedeView(DecisionScopedMixin, VersionedMixin, ApiView):
    """Mark this decided decision as replaced by another decided one."""

    permission_actions = {"post": "decision.change"}
    filter_backends: list = []

    @_decision_step_schema(
        "decision_supersede",
        SupersedeSerializer,
        "Both must be decided and in this program; answers with the superseded decision.",
    )
    def post(self, request, code: str, key: str):
        decision = self.decision()
        version = optional_version(request)
        serializer = SupersedeSerializer(data=request.data, context={"program": self.program})
        serializer.is_valid(raise_exception=True)
        try:
            with refusals_as_answers():
                decision = services.decision_supersede(
                    actor=request.user,
                    decision=decision,
                    replacement=serializer.validated_data["replacement"],
                    expected_version=version,
                )
        except Conflict as exc:
            return conflict_response(exc)
        return self.answer(decision)
