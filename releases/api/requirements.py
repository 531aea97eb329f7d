"""Requirements API under /api/v1/programs/<code>/requirements/: the list (filters as on the
page), one requirement by key (REQ-n), create, update with If-Match (a baselined wording needs
`change_request`, else 409 with the reason), delete (a proposed one nothing refers to), the
status steps as POST .../<key>/<step>/ (409 with the reason when refused) and the baselined
revisions, read-only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.refusals import REFUSED, optional_version, refusals_as_409
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
from core.api.serializers import UserRefSerializer, format_datetime, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from governance.models import ChangeRequest
from programs.api.views import ProgramScopedMixin
from programs.models import Workstream
from schedules.models import Item

from ..models import (
    MoSCoW,
    QualityAttribute,
    Requirement,
    RequirementRevision,
    RequirementSource,
    RequirementStatus,
    RequirementType,
)
from ..selectors import requirements as selectors
from ..services import requirements as services

MAX_ID = 2**63 - 1
CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The requirement's key: REQ-3."
)
FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="The key, or words in the title, "
                     "statement or source detail."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=RequirementStatus.values),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=MoSCoW.values),
    OpenApiParameter("type", OpenApiTypes.STR, enum=RequirementType.values),
    OpenApiParameter("source", OpenApiTypes.STR, enum=RequirementSource.values),
    OpenApiParameter("workstream", OpenApiTypes.INT, description="A workstream's id."),
    OpenApiParameter("owner", OpenApiTypes.INT, description="The owner's user id."),
    OpenApiParameter("sort", OpenApiTypes.STR, description="key, title, priority, status or "
                     "updated; prefix - for descending."),
]  # fmt: skip
VERSION_HELP = "The version you edited (or send If-Match)."


def _keys(program, model, keys: list[str], field: str, **extra) -> list:
    wanted = list(dict.fromkeys(str(key).strip().upper() for key in keys))
    found = {row.key: row for row in model.objects.filter(program=program, key__in=wanted, **extra)}
    missing = [key for key in wanted if key not in found]
    if missing:
        raise serializers.ValidationError(
            {field: [f"Not found in {program.code}: {', '.join(missing)}."]}
        )
    return [found[key] for key in wanted]


class RequirementWorkstreamRefSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


class RequirementSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. REQ-3.")
    title = serializers.CharField(max_length=300)
    statement = serializers.CharField()
    acceptance_criteria = serializers.CharField(
        required=False, allow_blank=True, help_text="One criterion per line."
    )
    type = serializers.ChoiceField(choices=RequirementType.choices, required=False)
    quality_attribute = serializers.ChoiceField(
        choices=QualityAttribute.choices,
        required=False,
        allow_blank=True,
        help_text="Required for a non-functional requirement, empty for a functional one.",
    )
    priority = serializers.ChoiceField(choices=MoSCoW.choices, required=False)
    source = serializers.ChoiceField(choices=RequirementSource.choices, required=False)
    source_detail = serializers.CharField(max_length=300, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=RequirementStatus.choices,
        read_only=True,
        help_text="Changed only by the steps: POST .../<key>/approve/ and so on.",
    )
    status_reason = serializers.CharField(read_only=True)
    workstream = RequirementWorkstreamRefSerializer(read_only=True, allow_null=True)
    workstream_id = serializers.IntegerField(
        write_only=True, required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    owner = UserRefSerializer(read_only=True, allow_null=True)
    owner_id = serializers.IntegerField(
        write_only=True, required=False, allow_null=True, min_value=1, max_value=MAX_ID,
        help_text="An internal member's user id, or null.",
    )  # fmt: skip
    deliverables = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        help_text="Keys of the plan's deliverables and milestones that build it (replaces all).",
    )
    change_requests = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        help_text="Keys of the change requests that added or changed it (replaces all).",
    )
    change_request = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="Changing a baselined title, statement or criteria: the key of the approved "
        "or implemented change request that allows it (the new wording becomes the next "
        "revision). Without it such a change answers 409.",
    )
    revision_note = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=2000
    )
    baseline_revision = serializers.IntegerField(
        read_only=True, help_text="The baselined revision in force (0: not baselined)."
    )
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    case_count = serializers.IntegerField(read_only=True, help_text="Linked test cases in use.")
    open_defects = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program = self.context["program"]
        attrs.pop("version", None)
        if "workstream_id" in attrs:
            ws_id = attrs.pop("workstream_id")
            attrs["workstream"] = None
            if ws_id is not None:
                attrs["workstream"] = Workstream.objects.filter(program=program, pk=ws_id).first()
                if attrs["workstream"] is None:
                    raise serializers.ValidationError(
                        {"workstream_id": [f"No workstream {ws_id} in {program.code}."]}
                    )
        if "owner_id" in attrs:
            owner_id = attrs.pop("owner_id")
            attrs["owner"] = None
            if owner_id is not None:
                attrs["owner"] = selectors.internal_members(program).filter(pk=owner_id).first()
                if attrs["owner"] is None:
                    raise serializers.ValidationError(
                        {"owner_id": [f"User {owner_id} is not an internal member of "
                                      f"{program.code}."]}
                    )  # fmt: skip
        if "deliverables" in attrs:
            attrs["deliverables"] = _keys(program, Item, attrs["deliverables"], "deliverables")
        if "change_requests" in attrs:
            attrs["change_requests"] = _keys(
                program, ChangeRequest, attrs["change_requests"], "change_requests"
            )
        key = (attrs.pop("change_request", "") or "").strip()
        if self.instance is None:
            attrs.pop("revision_note", None)
        elif key:
            attrs["change_request"] = _keys(program, ChangeRequest, [key], "change_request")[0]
        if self.instance is not None:  # only what differs, so a PUT of the same wording passes
            attrs = {
                name: value
                for name, value in attrs.items()
                if name not in services.EDITABLE_FIELDS or getattr(self.instance, name) != value
            }
        return attrs

    def to_representation(self, r: Requirement) -> dict[str, Any]:
        ws = r.workstream
        return {
            "id": r.pk,
            "key": r.key,
            "title": r.title,
            "statement": r.statement,
            "acceptance_criteria": r.acceptance_criteria,
            "type": r.type,
            "quality_attribute": r.quality_attribute,
            "priority": r.priority,
            "source": r.source,
            "source_detail": r.source_detail,
            "status": r.status,
            "status_reason": r.status_reason,
            "workstream": {"key": ws.key, "title": ws.name} if ws else None,
            "owner": user_ref(r.owner_id, r.owner.full_name) if r.owner_id else None,
            "deliverables": sorted(
                (i.key for i in r.deliverables.all()), key=lambda k: (len(k), k)
            ),
            "change_requests": sorted(
                (c.key for c in r.change_requests.all()), key=lambda k: (len(k), k)
            ),
            "baseline_revision": r.baseline_revision,
            "approved_at": format_datetime(r.approved_at),
            "accepted_at": format_datetime(r.accepted_at),
            "case_count": getattr(r, "case_count", 0),
            "open_defects": getattr(r, "open_defects", 0),
            "version": r.version,
            "created_at": format_datetime(r.created_at),
            "updated_at": format_datetime(r.updated_at),
        }


class RequirementRevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    statement = serializers.CharField(read_only=True)
    acceptance_criteria = serializers.CharField(read_only=True)
    change_request = serializers.CharField(read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, rev: RequirementRevision) -> dict[str, Any]:
        by = rev.created_by
        return {
            "revision": rev.revision,
            "title": rev.title,
            "statement": rev.statement,
            "acceptance_criteria": rev.acceptance_criteria,
            "change_request": rev.change_request.key if rev.change_request_id else None,
            "note": rev.note,
            "created_by": user_ref(by.pk, by.full_name) if by else None,
            "created_at": format_datetime(rev.created_at),
        }


class RequirementStepSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why: required to reject or defer.",
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class RequirementScopedMixin(ProgramScopedMixin):
    """The requirement named by `{key}` in the program (404 otherwise), looked up once."""

    def requirement(self) -> Requirement:
        cached = getattr(self, "_requirement", None)
        if cached is None:
            cached = self._requirement = selectors.requirement_get(
                program=self.program, key=self.kwargs["key"]
            )
        return cached

    def answer_row(self, requirement: Requirement) -> Requirement:
        return (
            selectors.requirement_list(program=self.program)
            .prefetch_related("deliverables", "change_requests")
            .get(pk=requirement.pk)
        )


@extend_schema_view(
    list=list_schema(
        RequirementSerializer,
        parameters=[CODE, *FILTERS],
        description="The program's requirements (paginated; `page_size` up to 500).",
    ),
    create=create_schema(
        RequirementSerializer,
        parameters=[CODE],
        description="A new requirement is proposed; approving it baselines its wording.",
    ),
    retrieve=retrieve_schema(RequirementSerializer, parameters=[CODE, KEY]),
    update=update_schema(
        RequirementSerializer,
        parameters=[CODE, KEY],
        description="Changing a baselined title, statement or criteria needs `change_request`; "
        "without it 409 with the reason.",
    ),
    partial_update=update_schema(
        RequirementSerializer,
        parameters=[CODE, KEY],
        description="Changing a baselined title, statement or criteria needs `change_request`; "
        "without it 409 with the reason.",
    ),
    destroy=destroy_schema(
        RequirementSerializer,
        parameters=[CODE, KEY],
        description="Only a proposed requirement nothing refers to; otherwise 409 naming what "
        "links it.",
    ),
)
@extend_schema(tags=["requirements"])
class RequirementViewSet(RequirementScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """The program's requirements, from proposed to accepted."""

    service_target = "requirement"
    permission_actions = {
        "list": "requirement.view",
        "retrieve": "requirement.view",
        "create": "requirement.change",
        "update": "requirement.change",
        "partial_update": "requirement.change",
        "destroy": "requirement.change",
    }
    queryset = Requirement.objects.none()
    serializer_class = RequirementSerializer
    filterset_class = selectors.RequirementFilterSet

    def get_queryset(self):
        return selectors.requirement_list(program=self.program).prefetch_related(
            "deliverables", "change_requests"
        )

    def get_object(self):
        return self.requirement()

    def retrieve(self, request, *args, **kwargs):
        return Response(self.serialize_current(self.requirement()))

    def serialize_current(self, instance) -> dict[str, Any]:
        return self.get_serializer(self.answer_row(instance)).data

    def create_service(self, **kwargs):
        return services.requirement_create(**kwargs)

    def update_service(self, **kwargs):
        return services.requirement_update(**kwargs)

    def delete_service(self, **kwargs):
        services.requirement_delete(**kwargs)


@extend_schema_view(
    list=list_schema(
        RequirementRevisionSerializer,
        parameters=[CODE, KEY],
        description="The baselined wordings, newest first: revision 1 at approval, then one "
        "per change request that changed it.",
    )
)
@extend_schema(tags=["requirements"])
class RequirementRevisionViewSet(RequirementScopedMixin, ApiViewSet):
    permission_actions = {"list": "requirement.view"}
    queryset = RequirementRevision.objects.none()
    serializer_class = RequirementRevisionSerializer
    filter_backends: list = []

    def list(self, request, *args, **kwargs):
        rows = (
            RequirementRevision.objects.filter(requirement=self.requirement())
            .select_related("change_request", "created_by")
            .order_by("-revision")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RequirementStepView(RequirementScopedMixin, VersionedMixin, ApiView):
    """A status step; subclasses name it (see services.requirements.TRANSITIONS)."""

    transition = ""
    filter_backends: list = []

    def post(self, request, code: str, key: str):
        requirement = self.requirement()
        version = optional_version(request)
        serializer = RequirementStepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            requirement = services.requirement_transition(
                actor=request.user,
                requirement=requirement,
                transition=self.transition,
                expected_version=version,
                reason=serializer.validated_data.get("reason", ""),
            )
        return Response(self.serialize_current(requirement))

    def serialize_current(self, instance) -> dict[str, Any]:
        return RequirementSerializer(
            self.answer_row(instance), context={"program": self.program}
        ).data


def _step_view(name: str) -> type[RequirementStepView]:
    step = services.TRANSITIONS[name]
    sources = " or ".join(RequirementStatus(s).label.lower() for s in step.sources)
    description = (
        f"{step.label}: {sources} → {RequirementStatus(step.target).label.lower()}. {step.help} "
        "Refused with 409 and the reason when the requirement's state does not allow it."
    )

    def post(self, request, code: str, key: str):
        return RequirementStepView.post(self, request, code, key)

    post = extend_schema(
        operation_id=f"releases_requirement_{name}",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=RequirementStepSerializer,
        responses={
            200: RequirementSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(RequirementSerializer),
        },
        description=description,
        tags=["requirements"],
    )(post)
    return type(
        f"Requirement{name.capitalize()}ApiView",
        (RequirementStepView,),
        {
            "transition": name,
            "permission_actions": {"post": step.permission},
            "post": post,
            "__doc__": description,
            "__module__": __name__,
        },
    )


STEP_VIEWS = {name: _step_view(name) for name in services.TRANSITIONS}
