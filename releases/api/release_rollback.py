"""Releases API: the rollback plan (GET, PUT to write it, approve), its steps, and the release
log, under /api/v1/programs/<code>/releases/<key>/. An approved plan that changes returns to
draft; log entries are never edited, and a successful production deployment after the go
decision marks the release released."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
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
    stale_response,
    update_schema,
)
from core.api.serializers import UserRefSerializer, format_datetime, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet

from ..models import LogKind, ReleaseLogEntry, RollbackPlan, RollbackPlanStatus, RollbackStep
from ..selectors import releases as selectors
from ..services import release_rollback as rollback_services
from .releases import (
    CODE,
    ID,
    KEY,
    TAGS,
    VERSION_HELP,
    ReleaseChildMixin,
    ReleaseScopedMixin,
    owner_field,
)


def _person(user) -> dict | None:
    return None if user is None else user_ref(user.pk, user.full_name)


# --- rollback plan --------------------------------------------------------------------------


class RollbackStepSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    action = serializers.CharField(max_length=5000)
    owner_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, write_only=True
    )
    owner = UserRefSerializer(read_only=True, allow_null=True)
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10080
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        if "owner_id" in attrs:
            attrs["owner"] = owner_field(self.context["program"], attrs.pop("owner_id"), "owner_id")
        return attrs

    def to_representation(self, step: RollbackStep) -> dict:
        return {
            "id": step.pk,
            "position": step.position,
            "action": step.action,
            "owner": _person(step.owner),
            "duration_minutes": step.duration_minutes,
            "version": step.version,
        }


class RollbackPlanSerializer(serializers.Serializer):
    owner_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, write_only=True
    )
    owner = UserRefSerializer(read_only=True, allow_null=True)
    trigger = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    status = serializers.ChoiceField(choices=RollbackPlanStatus.choices, read_only=True)
    approved_by = UserRefSerializer(read_only=True, allow_null=True)
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    steps = RollbackStepSerializer(many=True, read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        if "owner_id" in attrs:
            attrs["owner"] = owner_field(self.context["program"], attrs.pop("owner_id"), "owner_id")
        return attrs

    def to_representation(self, plan: RollbackPlan) -> dict:
        return {
            "owner": _person(plan.owner),
            "trigger": plan.trigger,
            "status": plan.status,
            "approved_by": _person(plan.approved_by),
            "approved_at": format_datetime(plan.approved_at),
            "steps": [RollbackStepSerializer(s).data for s in plan.steps.all()],
            "version": plan.version,
        }


def _plan_or_404(release) -> RollbackPlan:
    plan = selectors.rollback_plan(release)
    if plan is None:
        raise Http404("This release has no rollback plan yet.")
    return plan


PLAN_RESPONSES = {
    200: RollbackPlanSerializer,
    400: VALIDATION_ERROR,
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: REFUSED,
    412: stale_response(RollbackPlanSerializer),
}


class RollbackPlanView(ReleaseScopedMixin, VersionedMixin, ApiView):
    """The release's rollback plan: GET (404 until written), PUT to write or change it (an
    approved plan that changes returns to draft; If-Match once it exists)."""

    permission_actions = {"get": "release.view", "put": "release.change"}

    def serialize_current(self, instance) -> dict:
        return RollbackPlanSerializer(_plan_or_404(instance.release)).data

    @extend_schema(
        operation_id="releases_release_rollback_plan",
        parameters=[CODE, KEY, ETAG],
        responses={200: RollbackPlanSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, code: str, key: str):
        return Response(RollbackPlanSerializer(_plan_or_404(self.get_release())).data)

    @extend_schema(
        operation_id="releases_release_rollback_plan_write",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=RollbackPlanSerializer,
        responses=PLAN_RESPONSES,
        tags=TAGS,
    )
    def put(self, request, code: str, key: str):
        release = self.get_release()
        exists = selectors.rollback_plan(release) is not None
        version = self.expected_version() if exists else optional_version(request)
        serializer = RollbackPlanSerializer(data=request.data, context={"program": self.program})
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            rollback_services.rollback_plan_save(
                actor=request.user,
                release=release,
                expected_version=version,
                **serializer.validated_data,
            )
        return Response(RollbackPlanSerializer(_plan_or_404(release)).data)


class RollbackPlanApproveView(ReleaseScopedMixin, VersionedMixin, ApiView):
    """The program manager approves the plan (it needs an owner and a step: 409)."""

    permission_actions = {"post": "release.change"}

    def serialize_current(self, instance) -> dict:
        return RollbackPlanSerializer(_plan_or_404(instance.release)).data

    @extend_schema(
        operation_id="releases_release_rollback_plan_approve",
        parameters=[CODE, KEY, IF_MATCH],
        request=None,
        responses=PLAN_RESPONSES,
        tags=TAGS,
    )
    def post(self, request, code: str, key: str):
        release = self.get_release()
        version = optional_version(request)
        with refusals_as_409():
            rollback_services.rollback_plan_approve(
                actor=request.user, release=release, expected_version=version
            )
        return Response(RollbackPlanSerializer(_plan_or_404(release)).data)


@extend_schema_view(
    create=create_schema(
        RollbackStepSerializer,
        parameters=[CODE, KEY],
        description="A step at the end of the plan (an approved plan returns to draft).",
    ),
    update=update_schema(RollbackStepSerializer, parameters=[CODE, KEY, ID]),
    partial_update=update_schema(RollbackStepSerializer, parameters=[CODE, KEY, ID]),
    destroy=destroy_schema(RollbackStepSerializer, parameters=[CODE, KEY, ID]),
)
@extend_schema(tags=TAGS)
class RollbackStepViewSet(ReleaseChildMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    service_target = "step"
    permission_actions = {
        "create": "release.change",
        "update": "release.change",
        "partial_update": "release.change",
        "destroy": "release.change",
    }
    queryset = RollbackStep.objects.none()
    serializer_class = RollbackStepSerializer
    pagination_class = None

    def get_object(self):
        return selectors.rollback_step_get(self.get_release(), self.kwargs["id"])

    def serialize_current(self, instance) -> dict:
        return RollbackStepSerializer(
            RollbackStep.objects.select_related("owner").get(pk=instance.pk)
        ).data

    def create_service(self, **kwargs):
        return rollback_services.rollback_step_add(**kwargs)

    def update_service(self, **kwargs):
        return rollback_services.rollback_step_update(**kwargs)

    def delete_service(self, **kwargs):
        rollback_services.rollback_step_delete(**kwargs)


# --- log ------------------------------------------------------------------------------------


class ReleaseLogEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=LogKind.choices)
    occurred_at = serializers.DateTimeField()
    environment = serializers.CharField(max_length=80, required=False, allow_blank=True)
    succeeded = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Required for a deployment or rollback.",
    )
    summary = serializers.CharField(max_length=300)
    details = serializers.CharField(required=False, allow_blank=True)
    recorded_by = UserRefSerializer(read_only=True, allow_null=True)

    def to_representation(self, e: ReleaseLogEntry) -> dict:
        return {
            "id": e.pk,
            "kind": e.kind,
            "occurred_at": format_datetime(e.occurred_at),
            "environment": e.environment,
            "succeeded": e.succeeded,
            "summary": e.summary,
            "details": e.details,
            "recorded_by": _person(e.recorded_by),
        }


@extend_schema_view(
    list=list_schema(
        ReleaseLogEntrySerializer, parameters=[CODE, KEY], description="Newest first."
    ),
    create=create_schema(
        ReleaseLogEntrySerializer,
        parameters=[CODE, KEY],
        description="Entries are never edited. A successful production deployment after the go "
        "decision marks the release released; a successful rollback of a released release "
        "marks it rolled back.",
    ),
)
@extend_schema(tags=TAGS)
class LogEntryViewSet(ReleaseScopedMixin, ApiViewSet):
    permission_actions = {"list": "release.view", "create": "release.change"}
    queryset = ReleaseLogEntry.objects.none()
    serializer_class = ReleaseLogEntrySerializer
    pagination_class = None

    def list(self, request, *args, **kwargs):
        entries = selectors.log_entries(self.get_release())
        return Response(ReleaseLogEntrySerializer(entries, many=True).data)

    def create(self, request, *args, **kwargs):
        release = self.get_release()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            entry = rollback_services.log_entry_add(
                actor=request.user, release=release, **serializer.validated_data
            )
        return Response(ReleaseLogEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
