"""The program's RAG thresholds, under /api/v1/programs/<code>/reports/settings/: members read
them, the program manager changes them (If-Match)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api.schema import ETAG, FORBIDDEN, NOT_FOUND, UNAUTHORIZED, update_schema
from core.api.versioning import VersionedMixin
from core.api.views import ApiView
from programs.api.views import ProgramScopedMixin

from ..models import ReportSettings
from ..models.settings import THRESHOLD_FIELDS
from ..selectors.common import report_settings
from ..services import reports as services
from .reports import CODE, TAGS


class ReportSettingsSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = ReportSettings
        fields = [*THRESHOLD_FIELDS, "version"]

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs


class ReportSettingsApiView(ProgramScopedMixin, VersionedMixin, ApiView):
    """Where amber and red begin for each dimension (an index below its value, a count or an
    amount at or above it)."""

    permission_actions = {
        "get": "report.view",
        "put": "report.settings",
        "patch": "report.settings",
    }
    filter_backends: list = []

    def serialize_current(self, instance) -> dict:
        return ReportSettingsSerializer(instance).data

    @extend_schema(
        operation_id="reporting_settings",
        parameters=[CODE, ETAG],
        responses={
            200: ReportSettingsSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, code: str):
        return Response(self.serialize_current(report_settings(self.program)))

    def _write(self, request, partial: bool):
        current = report_settings(self.program)
        version = self.expected_version()
        serializer = ReportSettingsSerializer(current, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = {
            name: value
            for name, value in serializer.validated_data.items()
            if getattr(current, name) != value
        }
        updated = services.report_settings_update(
            actor=request.user, program=self.program, expected_version=version, **changes
        )
        return Response(self.serialize_current(updated))

    @update_schema(
        ReportSettingsSerializer,
        parameters=[CODE],
        operation_id="reporting_settings_update",
        tags=TAGS,
    )
    def put(self, request, code: str):
        return self._write(request, partial=False)

    @update_schema(
        ReportSettingsSerializer,
        parameters=[CODE],
        operation_id="reporting_settings_partial_update",
        tags=TAGS,
    )
    def patch(self, request, code: str):
        return self._write(request, partial=True)
