"""Defects API, under /api/v1/programs/<code>/defects/: CRUD by key (ETag/If-Match), the
list's filters (the page's FilterSet), one workflow step (`DEF-3/transition/`: 409 with the
reason and the allowed next steps when the move is illegal) and the summary (open by severity
and status, ageing, mean time to fix).

References are keys (`requirement: "REQ-4"`, `test_case: "TC-2"`, `found_in_cycle: "CYC-1"`,
`target_release: "REL-2"`, `workstream: "WS-1"`), the failed run by id, people by user id.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
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
from core.api.serializers import format_datetime, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin
from programs.models import Program, Workstream
from programs.selectors import member_users

from ..models import (
    Defect,
    DefectPriority,
    DefectStatus,
    RejectionReason,
    Release,
    Requirement,
    Severity,
    TestCase,
    TestCycle,
    TestRun,
)
from ..selectors import defects as selectors
from ..services import defects as services

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The defect's key, e.g. DEF-3."
)
FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="The key, or words of title/description."),
    OpenApiParameter(
        "state", OpenApiTypes.STR, enum=["open", "closed", "all"], description="Default: all."
    ),
    OpenApiParameter("status", OpenApiTypes.STR, enum=DefectStatus.values),
    OpenApiParameter("severity", OpenApiTypes.INT, enum=Severity.values),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=DefectPriority.values),
    OpenApiParameter("owner", OpenApiTypes.INT, description="The owner's user id."),
    OpenApiParameter("workstream", OpenApiTypes.INT, description="The workstream's id."),
    OpenApiParameter("cycle", OpenApiTypes.INT, description="The id of the cycle it was found in."),
    OpenApiParameter("release", OpenApiTypes.INT, description="The target release's id."),
    OpenApiParameter("requirement", OpenApiTypes.INT, description="The requirement's id."),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        description="severity, key, raised, updated, status or title; prefix - for descending.",
    ),
]
VERSION_HELP = "The version you edited (or send If-Match)."
KEYED = {
    "workstream": (Workstream, "workstream"),
    "found_in_cycle": (TestCycle, "test cycle"),
    "test_case": (TestCase, "test case"),
    "requirement": (Requirement, "requirement"),
    "target_release": (Release, "release"),
}


def _key_field(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        max_length=16, required=False, allow_null=True, allow_blank=True, help_text=help_text
    )


def _lookup(program: Program, name: str, value: str | None):
    model, label = KEYED[name]
    key = (value or "").strip().upper()
    if not key:
        return None
    row = model.objects.filter(program=program, key=key).first()
    if row is None:
        raise serializers.ValidationError({name: [f"There is no {label} {key} in {program.code}."]})
    return row


class TransitionRecordSerializer(serializers.Serializer):
    from_status = serializers.CharField(help_text="Empty for the step that raised it.")
    to_status = serializers.CharField()
    by = serializers.DictField(allow_null=True, help_text="{id, full_name}")
    at = serializers.DateTimeField()
    comment = serializers.CharField()


class DefectSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. DEF-3.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    priority = serializers.ChoiceField(choices=DefectPriority.choices, required=False)
    status = serializers.ChoiceField(
        choices=DefectStatus.choices, read_only=True, help_text="Changed through transition/."
    )
    owner = serializers.DictField(read_only=True, allow_null=True, help_text="{id, full_name}")
    owner_id = serializers.IntegerField(
        write_only=True, required=False, allow_null=True, min_value=1, help_text="A member."
    )
    workstream = _key_field("The workstream's key, e.g. WS-1.")
    found_in_cycle = _key_field("The test cycle it was found in, e.g. CYC-1.")
    test_case = _key_field("The test case, e.g. TC-4; closing then needs a passing run of it.")
    test_run = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="The id of the failed run."
    )
    requirement = _key_field("The requirement, e.g. REQ-12.")
    target_release = _key_field("The release it must be fixed for, e.g. REL-1.")
    resolution = serializers.CharField(read_only=True)
    fixed_in_build = serializers.CharField(read_only=True)
    rejection_reason = serializers.CharField(read_only=True)
    duplicate_of = serializers.CharField(read_only=True, allow_null=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    age_days = serializers.IntegerField(
        read_only=True, help_text="Days from raised to closed (or now)."
    )
    next_statuses = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Where transition/ may move it."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program: Program = self.context["program"]
        attrs.pop("version", None)
        for name in KEYED:
            if name in attrs:
                attrs[name] = _lookup(program, name, attrs[name])
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
        if "test_run" in attrs:
            run_id = attrs["test_run"]
            run = None
            if run_id is not None:
                run = (
                    TestRun.objects.filter(program=program, pk=run_id)
                    .select_related("cycle_case")
                    .first()
                )
                if run is None:
                    raise serializers.ValidationError(
                        {"test_run": [f"There is no test run {run_id} in {program.code}."]}
                    )
            attrs["test_run"] = run
        return attrs

    def to_representation(self, d: Defect) -> dict[str, Any]:
        now = self.context.get("now") or timezone.now()
        return {
            "key": d.key,
            "title": d.title,
            "description": d.description,
            "severity": d.severity,
            "priority": d.priority,
            "status": d.status,
            "owner": user_ref(d.owner_id, d.owner.full_name) if d.owner_id else None,
            "workstream": d.workstream.key if d.workstream_id else None,
            "found_in_cycle": d.found_in_cycle.key if d.found_in_cycle_id else None,
            "test_case": d.test_case.key if d.test_case_id else None,
            "test_run": d.test_run_id,
            "requirement": d.requirement.key if d.requirement_id else None,
            "target_release": d.target_release.key if d.target_release_id else None,
            "resolution": d.resolution,
            "fixed_in_build": d.fixed_in_build,
            "rejection_reason": d.rejection_reason,
            "duplicate_of": d.duplicate_of.key if d.duplicate_of_id else None,
            "resolved_at": format_datetime(d.resolved_at),
            "closed_at": format_datetime(d.closed_at),
            "age_days": selectors.days_open(d, now),
            "next_statuses": list(dict.fromkeys(s.target for s in services.steps_from(d.status))),
            "version": d.version,
            "created_at": format_datetime(d.created_at),
            "updated_at": format_datetime(d.updated_at),
        }


class DefectDetailSerializer(DefectSerializer):
    transitions = TransitionRecordSerializer(many=True, read_only=True, help_text="Oldest first.")


def _rows(program: Program):
    return selectors.defect_list(program=program).select_related("duplicate_of")


def _detail(program: Program, defect: Defect) -> dict:
    current = selectors.defect_detail(program=program, key=defect.key)
    data = DefectSerializer(current).data
    data["transitions"] = [
        {
            "from_status": t.from_status,
            "to_status": t.to_status,
            "by": user_ref(t.by_id, t.by.full_name) if t.by_id else None,
            "at": format_datetime(t.at),
            "comment": t.comment,
        }
        for t in current.transitions.all()
    ]
    return data


class DefectScopedMixin(ProgramScopedMixin):
    queryset = Defect.objects.none()

    def get_object(self):
        return selectors.defect_get(program=self.program, key=self.kwargs["key"])

    def serialize_current(self, instance) -> dict:
        return _detail(self.program, instance)


@extend_schema_view(
    list=list_schema(DefectSerializer, parameters=[CODE, *FILTERS]),
    create=create_schema(
        DefectDetailSerializer,
        request=DefectSerializer,
        parameters=[CODE],
        description="Raise a defect (status new).",
    ),
    retrieve=retrieve_schema(DefectDetailSerializer, parameters=[CODE, KEY]),
    update=update_schema(
        DefectDetailSerializer,
        request=DefectSerializer,
        parameters=[CODE, KEY],
        description="Edit the fields and links; the status moves through transition/.",
    ),
    partial_update=update_schema(
        DefectDetailSerializer, request=DefectSerializer, parameters=[CODE, KEY]
    ),
    destroy=destroy_schema(
        DefectDetailSerializer,
        parameters=[CODE, KEY],
        description="Only a new defect, by the person who raised it or a program manager "
        "(409 otherwise: reject it instead).",
    ),
)
@extend_schema(tags=["defects"])
class DefectViewSet(DefectScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """Defects: what testing found, how bad it is, who fixes it and for which release."""

    service_target = "defect"
    permission_actions = {
        "list": "defect.view",
        "retrieve": "defect.view",
        "create": "defect.add",
        "update": "defect.change",
        "partial_update": "defect.change",
        "destroy": "defect.change",
    }
    serializer_class = DefectSerializer
    filterset_class = selectors.DefectFilterSet
    pagination_class = StandardPagination

    def get_queryset(self):
        return _rows(self.program)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def create_service(self, **kwargs):
        return services.defect_create(**kwargs)

    def update_service(self, **kwargs):
        return services.defect_update(**kwargs)

    def delete_service(self, **kwargs):
        services.defect_delete(**kwargs)


class DefectTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=DefectStatus.choices, help_text="The new status.")
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="Required to reopen, to close a defect without a test case, to reject as "
        "not a defect, and to defer without a release.",
    )
    resolution = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="Required for fixed."
    )
    fixed_in_build = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=80,
        help_text="The build with the fix; required for retest unless given when fixed.",
    )
    owner_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Triage: the owner (a member)."
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    priority = serializers.ChoiceField(choices=DefectPriority.choices, required=False)
    rejection_reason = serializers.ChoiceField(
        choices=RejectionReason.choices, required=False, help_text="Required for rejected."
    )
    duplicate_of = serializers.CharField(
        required=False, allow_blank=True, max_length=16, help_text="DEF-n, for a duplicate."
    )
    target_release = _key_field("Deferred: a later planned release (REL-n).")
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program: Program = self.context["program"]
        attrs.pop("version", None)
        if "target_release" in attrs:
            attrs["target_release"] = _lookup(program, "target_release", attrs["target_release"])
        if attrs.get("owner_id") is not None:
            owner = member_users(program=program).filter(pk=attrs["owner_id"]).first()
            if owner is None:
                raise serializers.ValidationError(
                    {"owner_id": [f"User {attrs['owner_id']} is not a member of {program.code}."]}
                )
            attrs["owner"] = owner
        attrs.pop("owner_id", None)
        return {k: v for k, v in attrs.items() if v not in (None, "") or k == "to"}


@extend_schema(tags=["defects"])
class DefectTransitionView(DefectScopedMixin, VersionedMixin, ApiView):
    """Move a defect one step through its workflow."""

    permission_actions = {"post": "defect.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="releases_defect_transition",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=DefectTransitionSerializer,
        responses={
            200: DefectDetailSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(DefectDetailSerializer),
        },
        description="new→triaged (owner, severity, priority), triaged→in_progress, "
        "in_progress→fixed (resolution), fixed→retest (fixed_in_build), retest→closed (a "
        "passing run of the linked test case after the fix, or a comment saying how it was "
        "verified), retest→reopened (comment), reopened→in_progress, any open→rejected "
        "(rejection_reason; duplicate_of for a duplicate), any open→deferred (a later planned "
        "target_release, or a comment), closed or rejected→reopened (manager or coordinator, "
        "comment), deferred→triaged (comment). An illegal move answers 409 naming the allowed "
        "next steps; If-Match is optional (412 when stale).",
    )
    def post(self, request, code: str, key: str):
        defect = self.get_object()
        version = optional_version(request)
        serializer = DefectTransitionSerializer(
            data=request.data, context={"program": self.program}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        to = data.pop("to")
        with refusals_as_409():
            defect = services.defect_transition(
                actor=request.user, defect=defect, to=to, expected_version=version, **data
            )
        return Response(_detail(self.program, defect))


SUMMARY = inline_serializer(
    name="DefectSummary",
    fields={
        "open_total": serializers.IntegerField(),
        "open_by_severity": serializers.DictField(
            child=serializers.IntegerField(), help_text='{"1": n, "2": n, "3": n, "4": n}'
        ),
        "by_status": serializers.DictField(child=serializers.IntegerField()),
        "ageing": serializers.DictField(
            child=serializers.DictField(child=serializers.IntegerField()),
            help_text='Open defects per severity and days open: {"1": {"0-7": n, "8-14": n, '
            '"15-30": n, ">30": n}, ...}.',
        ),
        "average_age_days": serializers.FloatField(allow_null=True),
        "oldest": serializers.DictField(allow_null=True, help_text="{key, title, days}"),
        "fixed_count": serializers.IntegerField(),
        "mean_time_to_fix_days": serializers.FloatField(
            allow_null=True, help_text="Raised to fixed, over every defect fixed so far."
        ),
    },
)
BUCKET_NAMES = ("0-7", "8-14", "15-30", ">30")


@extend_schema(tags=["defects"])
class DefectSummaryView(ProgramScopedMixin, ApiView):
    """Open defects by severity and status, ageing and mean time to fix."""

    permission_actions = {"get": "defect.view"}
    filter_backends: list = []

    @extend_schema(
        operation_id="releases_defect_summary",
        parameters=[CODE],
        responses={
            200: OpenApiResponse(SUMMARY),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, code: str):
        s = selectors.defect_summary(program=self.program)
        return Response(
            {
                "open_total": s["open_total"],
                "open_by_severity": {str(r["severity"]): r["count"] for r in s["open_by_severity"]},
                "by_status": {r["status"]: r["count"] for r in s["by_status"]},
                "ageing": {
                    str(r["severity"]): dict(zip(BUCKET_NAMES, r["cells"], strict=True))
                    for r in s["ageing"]
                },
                "average_age_days": s["average_age_days"],
                "oldest": s["oldest"],
                "fixed_count": s["fixed_count"],
                "mean_time_to_fix_days": s["mean_time_to_fix_days"],
            }
        )
