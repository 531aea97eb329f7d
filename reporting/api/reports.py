"""Status reports API, under /api/v1/programs/<code>/reports/: the list (one row per period) and
opening a report for a period; one report with its snapshot JSON (what the page and the PDFs
show) and its narrative (PATCH with If-Match); the workflow steps (refresh, submit, return,
publish); the manager's RAG overrides; the workstreams' commentary; the briefing and deck files;
the program's RAG thresholds.

A published report refuses every change with 409 and the reason.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.refusals import REFUSED, optional_version, refusals_as_409
from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    PRECONDITION_REQUIRED,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    stale_response,
)
from core.api.serializers import UserRefSerializer, format_date, format_datetime, user_ref
from core.api.versioning import VersionedMixin, expected_version
from core.api.views import ApiView
from programs.api.views import CODE, ProgramScopedMixin

from ..models import (
    DIMENSION_CHOICES,
    RAG_CHOICES,
    ReportStatus,
    StatusReport,
    WorkstreamCommentary,
)
from ..pdf import briefing, deck
from ..selectors import reports as selectors
from ..services import reports as services
from ..snapshot import to_json
from ..views.reports import PDF, PPTX, filename, pptx_module

TAGS = ["reports"]
PERIOD = OpenApiParameter(
    "period", OpenApiTypes.STR, OpenApiParameter.PATH, description="The ISO week, e.g. 2026-W48."
)
RATING_CHOICES = [("green", "Green"), ("amber", "Amber"), ("red", "Red")]  # an override's


def _name(user) -> str | None:
    return (user.get_full_name() or user.email) if user else None


def _ref(user) -> dict | None:
    return user_ref(user.pk, _name(user)) if user else None


# --- serializers -------------------------------------------------------------------------------


class ReportRowSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The ISO week, e.g. 2026-W48.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    overall_rag = serializers.ChoiceField(choices=RAG_CHOICES, help_text="After the overrides.")
    rag = serializers.DictField(
        child=serializers.ChoiceField(choices=RAG_CHOICES),
        help_text="Each dimension's rating as the report says it (overrides applied).",
    )
    spi = serializers.CharField(allow_null=True, help_text="As a decimal string.")
    cpi = serializers.CharField(allow_null=True, help_text="As a decimal string.")
    risk_exposure = serializers.IntegerField()
    headline = serializers.CharField()
    computed_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    published_by = UserRefSerializer(allow_null=True)
    version = serializers.IntegerField()


class ReportOverrideSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=DIMENSION_CHOICES)
    rag = serializers.ChoiceField(choices=RATING_CHOICES)
    reason = serializers.CharField(
        max_length=5000, allow_blank=True, help_text="Required: why the rules are overridden."
    )
    by = UserRefSerializer(read_only=True)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The report's version you saw (or If-Match)."
    )


class ReportCommentarySerializer(serializers.Serializer):
    workstream = serializers.CharField(max_length=16, help_text="The workstream's key, e.g. WS-2.")
    workstream_name = serializers.CharField(read_only=True)
    rag = serializers.ChoiceField(choices=RAG_CHOICES, help_text="The lead's own rating.")
    text = serializers.CharField(max_length=10000, allow_blank=True)
    author = UserRefSerializer(read_only=True, allow_null=True)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The commentary's version when replacing it."
    )


class ReportSerializer(ReportRowSerializer):
    achievements = serializers.CharField(help_text="One point per line.")
    next_steps = serializers.CharField(help_text="One point per line.")
    decisions = serializers.CharField(help_text="Decisions taken, one per line.")
    help_needed = serializers.CharField(help_text="One point per line.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_by = UserRefSerializer(allow_null=True)
    overrides = ReportOverrideSerializer(many=True)
    commentary = ReportCommentarySerializer(many=True)
    snapshot = serializers.JSONField(
        help_text="The report's figures as the page and the PDFs show them (reporting.snapshot): "
        "the stored snapshot once published, else composed now from the last computed figures."
    )


class ReportNarrativeSerializer(serializers.Serializer):
    headline = serializers.CharField(max_length=300, required=False, allow_blank=True)
    achievements = serializers.CharField(required=False, allow_blank=True)
    next_steps = serializers.CharField(required=False, allow_blank=True)
    decisions = serializers.CharField(required=False, allow_blank=True)
    help_needed = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        return attrs


class ReportOpenSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=8, help_text="The ISO week, e.g. 2026-W48.")


class ReportStepSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)


def _row(report: StatusReport, snapshot) -> dict:
    burn = snapshot.budget
    return {
        "period": report.period,
        "period_start": format_date(report.period_start),
        "period_end": format_date(report.period_end),
        "status": report.status,
        "overall_rag": (snapshot.rag_of("overall").rag if snapshot.rag_of("overall") else "grey"),
        "rag": {line.dimension: line.rag for line in snapshot.rag},
        "spi": str(burn.spi) if burn and burn.spi is not None else None,
        "cpi": str(burn.cpi) if burn and burn.cpi is not None else None,
        "risk_exposure": snapshot.risk_exposure,
        "headline": report.headline,
        "computed_at": format_datetime(report.computed_at),
        "published_at": format_datetime(report.published_at),
        "published_by": _ref(report.published_by),
        "version": report.version,
    }


def override_data(row) -> dict:
    return {"dimension": row.dimension, "rag": row.rag, "reason": row.reason, "by": _ref(row.by)}


def commentary_data(row: WorkstreamCommentary) -> dict:
    return {
        "workstream": row.workstream.key,
        "workstream_name": row.workstream.name,
        "rag": row.rag,
        "text": row.text,
        "author": _ref(row.author),
        "version": row.version,
    }


def report_data(report: StatusReport) -> dict:
    snapshot = selectors.report_snapshot(report)
    return {
        **_row(report, snapshot),
        **{name: getattr(report, name) for name in services.NARRATIVE_FIELDS},
        "submitted_at": format_datetime(report.submitted_at),
        "submitted_by": _ref(report.submitted_by),
        "overrides": [override_data(o) for o in report.overrides.all()],
        "commentary": [
            commentary_data(c)
            for c in sorted(report.commentary.all(), key=lambda c: c.workstream.name)
        ],
        "snapshot": to_json(snapshot),
    }


# --- views -------------------------------------------------------------------------------------


def _errors(extra: dict | None = None) -> dict:
    return {
        400: VALIDATION_ERROR,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: REFUSED,
        **(extra or {}),
    }


class ReportScopedMixin(ProgramScopedMixin):
    filter_backends: list = []

    def get_report(self) -> StatusReport:
        return selectors.report_get(program=self.program, period=self.kwargs["period"])

    def fresh(self, report: StatusReport) -> StatusReport:
        return selectors.report_get(program=self.program, period=report.period)

    def serialize_current(self, instance) -> dict:
        if isinstance(instance, WorkstreamCommentary):
            return commentary_data(instance)
        return report_data(self.fresh(instance))


class ReportListApiView(ProgramScopedMixin, ApiView):
    """Every report of the program, newest period first; POST opens the report of a period."""

    permission_actions = {"get": "report.view", "post": "report.change"}
    filter_backends: list = []

    @extend_schema(
        operation_id="reporting_report_list",
        parameters=[CODE],
        responses={
            200: ReportRowSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, code: str):
        return Response(
            [_row(row.report, row.snapshot) for row in selectors.report_rows(self.program)]
        )

    @extend_schema(
        operation_id="reporting_report_open",
        parameters=[CODE, ETAG],
        request=ReportOpenSerializer,
        responses={201: ReportSerializer, **_errors()},
        description="A draft with its figures computed now; 409 when the period has a report.",
        tags=TAGS,
    )
    def post(self, request, code: str):
        serializer = ReportOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            report = services.report_open(
                actor=request.user, program=self.program, period=serializer.validated_data["period"]
            )
        data = report_data(selectors.report_get(program=self.program, period=report.period))
        response = Response(data, status=status.HTTP_201_CREATED)
        response["ETag"] = f'"{report.version}"'
        return response


class ReportDetailApiView(ReportScopedMixin, VersionedMixin, ApiView):
    """One report with its snapshot; PATCH writes the narrative (If-Match required)."""

    permission_actions = {"get": "report.view", "patch": "report.change"}

    @extend_schema(
        operation_id="reporting_report_detail",
        parameters=[CODE, PERIOD, ETAG],
        responses={200: ReportSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, code: str, period: str):
        return Response(report_data(self.get_report()))

    @extend_schema(
        operation_id="reporting_report_narrative",
        parameters=[CODE, PERIOD, IF_MATCH, ETAG],
        request=ReportNarrativeSerializer,
        responses=_errors(
            {
                200: ReportSerializer,
                412: stale_response(ReportSerializer),
                428: PRECONDITION_REQUIRED,
            }
        ),
        description="Headline, achievements, next steps, decisions taken, help needed (one point "
        "per line). A published report answers 409.",
        tags=TAGS,
    )
    def patch(self, request, code: str, period: str):
        report = self.get_report()
        version = expected_version(request)
        serializer = ReportNarrativeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            report = services.report_update(
                actor=request.user,
                report=report,
                expected_version=version,
                **serializer.validated_data,
            )
        return Response(report_data(self.fresh(report)))


STEPS = {
    "refresh": (services.report_refresh, "report.change", "Compute the figures again."),
    "submit": (services.report_submit, "report.change", "Draft -> in review."),
    "return": (services.report_return, "report.change", "In review -> draft."),
    "publish": (
        services.report_publish,
        "report.publish",
        "Freeze the report: the composed snapshot is stored and never changes again.",
    ),
}


def step_view(name: str) -> type:
    service, action, description = STEPS[name]

    class ReportStepApiView(ReportScopedMixin, VersionedMixin, ApiView):
        permission_actions = {"post": action}

        @extend_schema(
            operation_id=f"reporting_report_{name}",
            parameters=[CODE, PERIOD, IF_MATCH, ETAG],
            request=ReportStepSerializer,
            responses=_errors({200: ReportSerializer, 412: stale_response(ReportSerializer)}),
            description=description + " If-Match (or `version`) is checked when sent.",
            tags=TAGS,
        )
        def post(self, request, code: str, period: str):
            report = self.get_report()
            version = optional_version(request)
            with refusals_as_409():
                report = service(actor=request.user, report=report, expected_version=version)
            return Response(report_data(self.fresh(report)))

    ReportStepApiView.__name__ = ReportStepApiView.__qualname__ = (
        f"Report{name.capitalize()}ApiView"
    )
    return ReportStepApiView


ReportRefreshApiView = step_view("refresh")
ReportSubmitApiView = step_view("submit")
ReportReturnApiView = step_view("return")
ReportPublishApiView = step_view("publish")


class OverrideListApiView(ReportScopedMixin, VersionedMixin, ApiView):
    """The manager's overrides; POST sets (or replaces) one, with its mandatory reason."""

    permission_actions = {"get": "report.view", "post": "report.override"}

    @extend_schema(
        operation_id="reporting_override_list",
        parameters=[CODE, PERIOD],
        responses={
            200: ReportOverrideSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, code: str, period: str):
        return Response([override_data(o) for o in self.get_report().overrides.all()])

    @extend_schema(
        operation_id="reporting_override_set",
        parameters=[CODE, PERIOD, IF_MATCH],
        request=ReportOverrideSerializer,
        responses=_errors({200: ReportSerializer, 412: stale_response(ReportSerializer)}),
        description="Without a reason: 400. Answers the report with the override applied.",
        tags=TAGS,
    )
    def post(self, request, code: str, period: str):
        report = self.get_report()
        version = optional_version(request)
        serializer = ReportOverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with refusals_as_409():
            services.override_set(
                actor=request.user,
                report=report,
                dimension=data["dimension"],
                rag=data["rag"],
                reason=data["reason"],
                expected_version=version,
            )
        return Response(report_data(self.fresh(report)))


class OverrideDetailApiView(ReportScopedMixin, VersionedMixin, ApiView):
    permission_actions = {"delete": "report.override"}

    @extend_schema(
        operation_id="reporting_override_remove",
        parameters=[
            CODE,
            PERIOD,
            IF_MATCH,
            OpenApiParameter(
                "key",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The dimension: schedule, cost, scope, risk, quality or overall.",
                enum=[value for value, _ in DIMENSION_CHOICES],
            ),
        ],
        request=None,
        responses=_errors(
            {
                204: OpenApiResponse(description="Back to the computed rating."),
                412: stale_response(ReportSerializer),
            }
        ),
        tags=TAGS,
    )
    def delete(self, request, code: str, period: str, key: str):
        dimension = key
        report = self.get_report()
        version = optional_version(request)
        with refusals_as_409():
            services.override_remove(
                actor=request.user, report=report, dimension=dimension, expected_version=version
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _workstream(program, key: str):
    found = program.workstreams.filter(key=(key or "").strip().upper()).first()
    if found is None:
        raise serializers.ValidationError({"workstream": [f"{program.code} has no {key}."]})
    return found


class CommentaryListApiView(ReportScopedMixin, VersionedMixin, ApiView):
    """The workstreams' commentary; POST writes (or replaces) one: its lead writes their own
    workstream's, a coordinator or the manager any (403 otherwise)."""

    permission_actions = {"get": "report.view", "post": "report.change"}

    @extend_schema(
        operation_id="reporting_commentary_list",
        parameters=[CODE, PERIOD],
        responses={
            200: ReportCommentarySerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, code: str, period: str):
        rows = sorted(self.get_report().commentary.all(), key=lambda c: c.workstream.name)
        return Response([commentary_data(c) for c in rows])

    @extend_schema(
        operation_id="reporting_commentary_save",
        parameters=[CODE, PERIOD],
        request=ReportCommentarySerializer,
        responses=_errors(
            {200: ReportCommentarySerializer, 412: stale_response(ReportCommentarySerializer)}
        ),
        tags=TAGS,
    )
    def post(self, request, code: str, period: str):
        report = self.get_report()
        serializer = ReportCommentarySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        workstream = _workstream(self.program, data["workstream"])
        with refusals_as_409():
            row = services.commentary_save(
                actor=request.user,
                report=report,
                workstream=workstream,
                rag=data["rag"],
                text=data["text"],
                expected_version=data.get("version"),
            )
        return Response(commentary_data(row))


class CommentaryDetailApiView(ReportScopedMixin, ApiView):
    permission_actions = {"delete": "report.change"}

    @extend_schema(
        operation_id="reporting_commentary_remove",
        parameters=[
            CODE,
            PERIOD,
            OpenApiParameter(
                "key",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The workstream's key, e.g. WS-2.",
            ),
        ],
        request=None,
        responses=_errors({204: OpenApiResponse(description="Removed.")}),
        tags=TAGS,
    )
    def delete(self, request, code: str, period: str, key: str):
        workstream = key
        report = self.get_report()
        row = self.program.workstreams.filter(key=workstream.upper()).first()
        if row is None:
            raise Http404(f"{self.program.code} has no workstream {workstream}.")
        with refusals_as_409():
            services.commentary_delete(actor=request.user, report=report, workstream=row)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- files -------------------------------------------------------------------------------------

FILES = {
    "briefing": (lambda: briefing.render, "briefing", "pdf", PDF, "The executive briefing."),
    "deck": (lambda: deck.render, "deck", "pdf", PDF, "The deck as 16:9 PDF slides."),
    "pptx": (lambda: pptx_module().render, "deck", "pptx", PPTX, "The deck as PowerPoint."),
}


def file_view(name: str) -> type:
    renderer, kind, extension, content_type, description = FILES[name]

    class ReportFileApiView(ReportScopedMixin, ApiView):
        permission_actions = {"get": "report.view"}

        def perform_content_negotiation(self, request, force=False):
            # the answer is a file whatever Accept says; errors are JSON
            return super().perform_content_negotiation(request, force=True)

        @extend_schema(
            operation_id=f"reporting_report_{name}_file",
            parameters=[CODE, PERIOD],
            responses={
                (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description=description),
                401: UNAUTHORIZED,
                403: FORBIDDEN,
                404: NOT_FOUND,
            },
            description=description + " Drawn from the report's snapshot (the stored one once "
            "published); a draft's file says DRAFT.",
            tags=TAGS,
        )
        def get(self, request, code: str, period: str):
            report = self.get_report()
            body = renderer()(selectors.report_snapshot(report))
            response = HttpResponse(body, content_type=content_type)
            response["Content-Disposition"] = (
                f'attachment; filename="{filename(report, kind, extension)}"'
            )
            response["Cache-Control"] = "private, no-store"
            return response

    ReportFileApiView.__name__ = ReportFileApiView.__qualname__ = (
        f"Report{name.capitalize()}FileApiView"
    )
    return ReportFileApiView


ReportBriefingFileApiView = file_view("briefing")
ReportDeckFileApiView = file_view("deck")
ReportPptxFileApiView = file_view("pptx")
