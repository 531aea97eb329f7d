"""Releases API, under /api/v1/programs/<code>/releases/: releases (CRUD by key with
ETag/If-Match, cancel), their readiness (each criterion met or not with its evidence), scope
(add and remove requirements and backlog items by key), readiness criteria (CRUD, the five
defaults, the manual check) and the release notes (?format=md or txt as a file, JSON otherwise).

Sign-offs, go/no-go reviews, the rollback plan and the log are in release_reviews.py.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import renderers, serializers
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.refusals import REFUSED, optional_version, refusals_as_409
from core.api.renderers import ORJSONRenderer
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
from core.api.serializers import UserRefSerializer, format_date, format_datetime, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin
from programs.models import Program
from programs.selectors import member_users

from ..models import (
    BacklogItem,
    CriterionKind,
    Release,
    ReleaseStatus,
    Requirement,
)
from ..readiness import Readiness
from ..selectors import readiness as readiness_selectors
from ..selectors import releases as selectors
from ..services import releases as services

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The release's key, e.g. REL-1."
)
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The row's id.")
VERSION_HELP = "The version you edited (or send If-Match)."
TAGS = ["releases"]


def owner_field(program: Program, user_id: int | None, field: str):
    if user_id is None:
        return None
    user = member_users(program=program).filter(pk=user_id).first()
    if user is None:
        raise serializers.ValidationError(
            {field: [f"User {user_id} is not a member of {program.code}."]}
        )
    return user


# --- readiness ------------------------------------------------------------------------------


class ReadinessLinkSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="defect, requirement, case, cycle, backlog_item, signoff or rollback_plan."
    )
    key = serializers.CharField(help_text="The row's key (a sign-off's role).")


class ReadinessResultSerializer(serializers.Serializer):
    criterion_id = serializers.IntegerField(allow_null=True)
    kind = serializers.ChoiceField(choices=CriterionKind.choices)
    label = serializers.CharField()
    met = serializers.BooleanField()
    evidence = serializers.CharField(help_text="One line with the numbers, e.g. “UAT pass rate …”.")
    links = ReadinessLinkSerializer(many=True, help_text="The rows behind the evidence.")


class ReadinessSerializer(serializers.Serializer):
    ready = serializers.BooleanField(help_text="Criteria exist and every one is met.")
    summary = serializers.CharField(help_text="“Ready”, “Not ready: 3 of 5 criteria fail” …")
    criteria = ReadinessResultSerializer(many=True)


def readiness_data(readiness: Readiness) -> dict:
    return {
        "ready": readiness.ready,
        "summary": readiness.summary,
        "criteria": readiness.as_list(),
    }


# --- releases -------------------------------------------------------------------------------


class ReadinessSummarySerializer(serializers.Serializer):
    ready = serializers.BooleanField()
    summary = serializers.CharField()


class ReleaseSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. REL-1.")
    version_label = serializers.CharField(max_length=40, help_text="e.g. 1.0, 2026.3, Wave 2.")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    planned_date = serializers.DateField()
    owner_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        write_only=True,
        help_text="A member of the program: the release manager.",
    )
    owner = UserRefSerializer(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=ReleaseStatus.choices, read_only=True)
    released_at = serializers.DateTimeField(read_only=True, allow_null=True)
    requirement_count = serializers.IntegerField(read_only=True)
    backlog_count = serializers.IntegerField(read_only=True)
    readiness = ReadinessSummarySerializer(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if "owner_id" in attrs:
            attrs["owner"] = owner_field(self.context["program"], attrs.pop("owner_id"), "owner_id")
        return attrs


def release_data(release: Release, readiness: Readiness) -> dict:
    return {
        "key": release.key,
        "version_label": release.version_label,
        "name": release.name,
        "description": release.description,
        "planned_date": format_date(release.planned_date),
        "owner": user_ref(release.owner_id, release.owner.full_name) if release.owner else None,
        "status": release.status,
        "released_at": format_datetime(release.released_at),
        "requirement_count": release.requirement_count,
        "backlog_count": release.backlog_count,
        "readiness": {"ready": readiness.ready, "summary": readiness.summary},
        "version": release.version,
    }


class ReleaseScopedMixin(ProgramScopedMixin):
    filter_backends: list = []

    def get_release(self) -> Release:
        return selectors.release_get(program=self.program, key=self.kwargs["key"])


class ReleaseChildMixin(ReleaseScopedMixin):
    """A viewset of a release's rows (criteria, sign-offs, reviews, rollback steps): new rows
    are created on the release (ServiceCrudMixin.create_parent)."""

    def create_parent(self) -> dict:
        return {"release": self.get_release()}


@extend_schema_view(
    list=list_schema(
        ReleaseSerializer,
        parameters=[
            CODE,
            OpenApiParameter("status", OpenApiTypes.STR, enum=ReleaseStatus.values),
        ],
        description="Every release of the program, planned date first, with its readiness.",
    ),
    create=create_schema(ReleaseSerializer, parameters=[CODE], description="A planned release."),
    retrieve=retrieve_schema(ReleaseSerializer, parameters=[CODE, KEY]),
    update=update_schema(
        ReleaseSerializer,
        parameters=[CODE, KEY],
        description="A cancelled release does not change; a released one keeps its version and "
        "planned date (409).",
    ),
    partial_update=update_schema(ReleaseSerializer, parameters=[CODE, KEY]),
    destroy=destroy_schema(
        ReleaseSerializer,
        parameters=[CODE, KEY],
        description="Only a planned release with nothing recorded (reviews, log, signatures, "
        "test cycles, defects) is deleted; otherwise 409: cancel it instead.",
    ),
)
@extend_schema(tags=TAGS)
class ReleaseViewSet(ReleaseScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    service_target = "release"
    permission_actions = {
        "list": "release.view",
        "retrieve": "release.view",
        "create": "release.change",
        "update": "release.change",
        "partial_update": "release.change",
        "destroy": "release.change",
    }
    queryset = Release.objects.none()
    serializer_class = ReleaseSerializer
    pagination_class = None

    def list(self, request, *args, **kwargs):
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in ReleaseStatus.values:
            raise serializers.ValidationError(
                {"status": [f"Use one of {', '.join(ReleaseStatus.values)}."]}
            )
        rows = selectors.releases_with_readiness(program=self.program, status=wanted)
        return Response([release_data(r, r.readiness) for r in rows])

    def get_object(self):
        return self.get_release()

    def serialize_current(self, instance) -> dict:
        release = selectors.release_list(program=self.program).get(pk=instance.pk)
        return release_data(release, readiness_selectors.release_readiness(release))

    def create_service(self, **kwargs):
        return services.release_create(**kwargs)

    def update_service(self, **kwargs):
        return services.release_update(**kwargs)

    def delete_service(self, **kwargs):
        services.release_delete(**kwargs)


class ReleaseCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="Why; it goes into the log.")
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class ReleaseCancelView(ReleaseScopedMixin, VersionedMixin, ApiView):
    """Cancel a planned (or go) release; the reason goes into its log."""

    permission_actions = {"post": "release.change"}

    def serialize_current(self, instance) -> dict:
        release = selectors.release_list(program=self.program).get(pk=instance.pk)
        return release_data(release, readiness_selectors.release_readiness(release))

    @extend_schema(
        operation_id="releases_release_cancel",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=ReleaseCancelSerializer,
        responses={
            200: ReleaseSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
            412: stale_response(ReleaseSerializer),
        },
        tags=TAGS,
    )
    def post(self, request, code: str, key: str):
        release = self.get_release()
        version = optional_version(request)
        serializer = ReleaseCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            release = services.release_cancel(
                actor=request.user,
                release=release,
                reason=serializer.validated_data["reason"],
                expected_version=version,
            )
        return Response(self.serialize_current(release))


class ReadinessView(ReleaseScopedMixin, ApiView):
    """The release's readiness now: each criterion met or not, with its evidence and links."""

    permission_actions = {"get": "release.view"}

    @extend_schema(
        operation_id="releases_release_readiness",
        parameters=[CODE, KEY],
        responses={200: ReadinessSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, code: str, key: str):
        readiness = readiness_selectors.release_readiness(self.get_release())
        return Response(readiness_data(readiness))


# --- scope ----------------------------------------------------------------------------------


class ReleaseScopeRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    workstream = serializers.CharField(allow_null=True)
    priority = serializers.CharField(required=False)


class ReleaseScopeSerializer(serializers.Serializer):
    requirements = ReleaseScopeRowSerializer(many=True)
    backlog_items = ReleaseScopeRowSerializer(many=True)


class ReleaseScopeChangeSerializer(serializers.Serializer):
    requirements = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        default=list,
        help_text='Requirement keys, e.g. ["REQ-3", "REQ-7"].',
    )
    backlog_items = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        default=list,
        help_text='Backlog item keys, e.g. ["PBI-12"].',
    )

    def validate(self, attrs):
        program: Program = self.context["program"]
        if not attrs["requirements"] and not attrs["backlog_items"]:
            raise serializers.ValidationError("Name requirements or backlog items by key.")
        for name, model in (("requirements", Requirement), ("backlog_items", BacklogItem)):
            keys = [k.strip().upper() for k in attrs[name]]
            found = {row.key: row for row in model.objects.filter(program=program, key__in=keys)}
            missing = [k for k in keys if k not in found]
            if missing:
                raise serializers.ValidationError(
                    {name: [f"Not in {program.code}: {', '.join(missing)}."]}
                )
            attrs[name] = list(found.values())
        return attrs


class ReleaseScopeChangedSerializer(serializers.Serializer):
    requirements = serializers.ListField(child=serializers.CharField())
    backlog_items = serializers.ListField(child=serializers.CharField())


def scope_data(release: Release) -> dict:
    return {
        "requirements": [
            {
                "key": r.key,
                "title": r.title,
                "status": r.status,
                "priority": r.priority,
                "workstream": r.workstream.name if r.workstream else None,
            }
            for r in selectors.scope_requirements(release)
        ],
        "backlog_items": [
            {
                "key": b.key,
                "title": b.title,
                "status": b.status,
                "priority": b.priority,
                "workstream": b.workstream.name,
            }
            for b in selectors.scope_backlog(release)
        ],
    }


class ScopeView(ReleaseScopedMixin, ApiView):
    """The requirements and backlog items in the release's scope."""

    permission_actions = {"get": "release.view"}

    @extend_schema(
        operation_id="releases_release_scope",
        parameters=[CODE, KEY],
        responses={200: ReleaseScopeSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, code: str, key: str):
        return Response(scope_data(self.get_release()))


def _scope_schema(verb: str):
    return extend_schema(
        operation_id=f"releases_release_scope_{verb}",
        parameters=[CODE, KEY],
        request=ReleaseScopeChangeSerializer,
        responses={
            200: ReleaseScopeChangedSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
        },
        description=f"Answers the keys {verb}ed (rows already {'in' if verb == 'add' else 'out of'}"
        " the scope are skipped). The scope of a released, rolled-back or cancelled release is "
        "frozen (409).",
        tags=TAGS,
    )


class ScopeAddView(ReleaseScopedMixin, ApiView):
    permission_actions = {"post": "release.change"}

    @_scope_schema("add")
    def post(self, request, code: str, key: str):
        release = self.get_release()
        serializer = ReleaseScopeChangeSerializer(
            data=request.data, context={"program": self.program}
        )
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            added = services.scope_add(
                actor=request.user, release=release, **serializer.validated_data
            )
        return Response(added)


class ScopeRemoveView(ReleaseScopedMixin, ApiView):
    permission_actions = {"post": "release.change"}

    @_scope_schema("remove")
    def post(self, request, code: str, key: str):
        release = self.get_release()
        serializer = ReleaseScopeChangeSerializer(
            data=request.data, context={"program": self.program}
        )
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            removed = services.scope_remove(
                actor=request.user, release=release, **serializer.validated_data
            )
        return Response(removed)


# --- release notes --------------------------------------------------------------------------


class MarkdownRenderer(renderers.BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode("utf-8")
        return str((data or {}).get("detail", data)).encode("utf-8")  # an error's reason


class PlainTextRenderer(MarkdownRenderer):
    media_type = "text/plain"
    format = "txt"


class ReleaseNotesGroupSerializer(serializers.Serializer):
    workstream = serializers.CharField()
    requirements = ReleaseScopeRowSerializer(many=True)


class ReleaseKnownIssueSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    severity = serializers.IntegerField(help_text="1 critical … 4 cosmetic.")


class ReleaseNotesSerializer(serializers.Serializer):
    key = serializers.CharField()
    version_label = serializers.CharField()
    name = serializers.CharField()
    features = ReleaseNotesGroupSerializer(many=True)
    backlog_done = ReleaseScopeRowSerializer(many=True)
    known_issues = ReleaseKnownIssueSerializer(many=True)
    deferred = ReleaseScopeRowSerializer(many=True)
    markdown = serializers.CharField()


def _row(row, **extra) -> dict:
    return {"key": row.key, "title": row.title, "status": row.status, **extra}


class ReleaseNotesView(ReleaseScopedMixin, ApiView):
    """Release notes generated from the scope: JSON, or a Markdown (?format=md) or plain-text
    (?format=txt) file."""

    permission_actions = {"get": "release.view"}
    renderer_classes = [ORJSONRenderer, MarkdownRenderer, PlainTextRenderer]

    @extend_schema(
        operation_id="releases_release_notes",
        parameters=[
            CODE,
            KEY,
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", "md", "txt"],
                description="md or txt answer a file (Content-Disposition: attachment).",
            ),
        ],
        responses={
            (200, "application/json"): ReleaseNotesSerializer,
            (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="Markdown."),
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="Plain text."),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, code: str, key: str):
        release = self.get_release()
        notes = selectors.release_notes(release)
        kind = getattr(request.accepted_renderer, "format", "json")
        if kind in ("md", "txt"):
            body = (
                selectors.notes_as_markdown(notes)
                if kind == "md"
                else selectors.notes_as_text(notes)
            )
            response = Response(body)
            filename = selectors.notes_filename(release, kind)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return Response(
            {
                "key": release.key,
                "version_label": release.version_label,
                "name": release.name,
                "features": [
                    {
                        "workstream": g.name,
                        "requirements": [
                            _row(r, priority=r.priority, workstream=g.name) for r in g.rows
                        ],
                    }
                    for g in notes.features
                ],
                "backlog_done": [_row(b, workstream=b.workstream.name) for b in notes.done_items],
                "known_issues": [_row(d, severity=d.severity) for d in notes.known_issues],
                "deferred": [_row(r, workstream=None) for r in notes.deferred],
                "markdown": selectors.notes_as_markdown(notes),
            }
        )
