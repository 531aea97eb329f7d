"""Releases API: a release's readiness criteria, under
/api/v1/programs/<code>/releases/<key>/criteria/ (CRUD with If-Match, the five defaults, the manual
check and its undoing). Each kind needs its parameters and no others (400 names them)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.refusals import REFUSED, optional_version, refusals_as_409
from core.api.schema import (
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

from ..models import CriterionKind, CycleKind, MoSCoW, ReadinessCriterion
from ..selectors import releases as selectors
from ..services import releases as services
from .releases import CODE, ID, KEY, TAGS, VERSION_HELP, ReleaseChildMixin, ReleaseScopedMixin

# --- criteria -------------------------------------------------------------------------------


class ReadinessCriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=CriterionKind.choices)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    severity = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=4,
        help_text="no_open_defects: this severity or worse (1 = critical only).",
    )
    threshold = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        min_value=0,
        max_value=100,
        help_text='pass_rate: percent, e.g. "95.00".',
    )
    cycle_kind = serializers.ChoiceField(
        choices=CycleKind.choices,
        required=False,
        allow_blank=True,
        help_text="pass_rate: the kind of the release's cycles counted.",
    )
    priority = serializers.ChoiceField(
        choices=MoSCoW.choices,
        required=False,
        allow_blank=True,
        help_text="requirements_verified: the scope requirements of this priority.",
    )
    manual_met = serializers.BooleanField(read_only=True)
    manual_evidence = serializers.CharField(read_only=True)
    manual_checked_by = UserRefSerializer(read_only=True, allow_null=True)
    manual_checked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs

    def to_representation(self, c: ReadinessCriterion) -> dict:
        return {
            "id": c.pk,
            "position": c.position,
            "kind": c.kind,
            "label": c.label,
            "severity": c.severity,
            "threshold": None if c.threshold is None else str(c.threshold),
            "cycle_kind": c.cycle_kind,
            "priority": c.priority,
            "manual_met": c.manual_met,
            "manual_evidence": c.manual_evidence,
            "manual_checked_by": (
                user_ref(c.manual_checked_by_id, c.manual_checked_by.full_name)
                if c.manual_checked_by_id
                else None
            ),
            "manual_checked_at": format_datetime(c.manual_checked_at),
            "version": c.version,
        }


@extend_schema_view(
    list=list_schema(ReadinessCriterionSerializer, parameters=[CODE, KEY]),
    create=create_schema(
        ReadinessCriterionSerializer,
        parameters=[CODE, KEY],
        description="Each kind needs its parameters and no others (400 names them).",
    ),
    retrieve=retrieve_schema(ReadinessCriterionSerializer, parameters=[CODE, KEY, ID]),
    update=update_schema(ReadinessCriterionSerializer, parameters=[CODE, KEY, ID]),
    partial_update=update_schema(ReadinessCriterionSerializer, parameters=[CODE, KEY, ID]),
    destroy=destroy_schema(ReadinessCriterionSerializer, parameters=[CODE, KEY, ID]),
)
@extend_schema(tags=TAGS)
class CriterionViewSet(ReleaseChildMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """A release's readiness criteria."""

    service_target = "criterion"
    permission_actions = {
        "list": "release.view",
        "retrieve": "release.view",
        "create": "release.change",
        "update": "release.change",
        "partial_update": "release.change",
        "destroy": "release.change",
    }
    queryset = ReadinessCriterion.objects.none()
    serializer_class = ReadinessCriterionSerializer
    pagination_class = None

    def get_queryset(self):
        return self.get_release().criteria.select_related("manual_checked_by")

    def get_object(self):
        return selectors.criterion_get(self.get_release(), self.kwargs["id"])

    def serialize_current(self, instance) -> dict:
        return ReadinessCriterionSerializer(
            ReadinessCriterion.objects.select_related("manual_checked_by").get(pk=instance.pk)
        ).data

    def create_service(self, **kwargs):
        return services.criterion_create(**kwargs)

    def update_service(self, **kwargs):
        return services.criterion_update(**kwargs)

    def delete_service(self, **kwargs):
        services.criterion_delete(**kwargs)


class CriteriaDefaultsView(ReleaseScopedMixin, ApiView):
    """Add the five default criteria (those already there are skipped)."""

    permission_actions = {"post": "release.change"}

    @extend_schema(
        operation_id="releases_release_criteria_defaults",
        parameters=[CODE, KEY],
        request=None,
        responses={
            200: ReadinessCriterionSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
        },
        description="No open severity-1 defects; UAT pass rate ≥ 95 %; all Must requirements "
        "verified; sign-offs collected; rollback plan approved. Answers the criteria added.",
        tags=TAGS,
    )
    def post(self, request, code: str, key: str):
        with refusals_as_409():
            added = services.criteria_add_defaults(actor=request.user, release=self.get_release())
        return Response(ReadinessCriterionSerializer(added, many=True).data)


class ReadinessEvidenceSerializer(serializers.Serializer):
    evidence = serializers.CharField(max_length=5000, help_text="What was checked, where.")
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class _CriterionStep(ReleaseScopedMixin, VersionedMixin, ApiView):
    permission_actions = {"post": "release.change"}

    def serialize_current(self, instance) -> dict:
        return ReadinessCriterionSerializer(
            ReadinessCriterion.objects.select_related("manual_checked_by").get(pk=instance.pk)
        ).data


class CriterionCheckView(_CriterionStep):
    """A person confirms a manual criterion with the evidence (409 for other kinds)."""

    @extend_schema(
        operation_id="releases_release_criterion_check",
        parameters=[CODE, KEY, ID, IF_MATCH],
        request=ReadinessEvidenceSerializer,
        responses={
            200: ReadinessCriterionSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(ReadinessCriterionSerializer),
        },
        tags=TAGS,
    )
    def post(self, request, code: str, key: str, id: int):
        criterion = selectors.criterion_get(self.get_release(), id)
        version = optional_version(request)
        serializer = ReadinessEvidenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            criterion = services.criterion_check(
                actor=request.user,
                criterion=criterion,
                evidence=serializer.validated_data["evidence"],
                expected_version=version,
            )
        return Response(self.serialize_current(criterion))


class CriterionUncheckView(_CriterionStep):
    """Take a manual check back."""

    @extend_schema(
        operation_id="releases_release_criterion_uncheck",
        parameters=[CODE, KEY, ID, IF_MATCH],
        request=None,
        responses={
            200: ReadinessCriterionSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(ReadinessCriterionSerializer),
        },
        tags=TAGS,
    )
    def post(self, request, code: str, key: str, id: int):
        criterion = selectors.criterion_get(self.get_release(), id)
        version = optional_version(request)
        with refusals_as_409():
            criterion = services.criterion_uncheck(
                actor=request.user, criterion=criterion, expected_version=version
            )
        return Response(self.serialize_current(criterion))
