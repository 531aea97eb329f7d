"""API: import a CSV or XLSX RAID log (all or nothing); export the log as CSV or XLSX.

The import takes a multipart `file` (and `dry_run` to check without importing). A refused file
answers 400 with every problem in `non_field_errors` ("Risks row 7: Probability: 7 is outside
1-5."), and nothing is imported. The exports take the list's filters as query parameters with
`type` (one of risks, issues, assumptions, dependencies, actions); without `type` they hold the
whole log.
"""

from __future__ import annotations

from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.renderers import ORJSONRenderer
from core.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, VALIDATION_ERROR
from core.api.views import ApiView
from programs.api.views import ProgramScopedMixin

from .. import exports
from ..choices import RaidType
from ..imports import ALL_TYPES, MAX_BYTES, RaidImportError, import_raid
from ..views.log import filter_data

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
TYPE = OpenApiParameter(
    "type",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    enum=list(ALL_TYPES),
    description="One type, filtered and sorted like its list (the list's filter parameters "
    "apply, e.g. `state=all`, `status`, `owner`, `sort=-score`; without `state` open items "
    "only). Without `type`: the whole RAID log, every type and state.",
)
TRUE = {"1", "true", "yes", "on"}


class RaidImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .csv or .xlsx RAID log (see the import template).")
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Check everything and report, import nothing."
    )


class RaidImportedItemSerializer(serializers.Serializer):
    line = serializers.CharField(help_text="Where the row is, e.g. `Line 4` or `Risks row 4`.")
    type = serializers.ChoiceField(choices=RaidType.choices)
    file_key = serializers.CharField(help_text="The row's key in the file (may be empty).")
    key = serializers.CharField(help_text="The item's key in the program, e.g. RSK-12.")
    title = serializers.CharField()


class RaidImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.IntegerField(help_text="Items created (0 for a dry run).")
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows per type: {risks: 3, issues: 1, ...}."
    )
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Columns not recognised (ignored) and sheets skipped.",
    )
    items = RaidImportedItemSerializer(many=True)


class RaidImportView(ProgramScopedMixin, ApiView):
    """Import a CSV or XLSX RAID log into the program: every row, or none."""

    permission_actions = {"post": "raid.import"}
    filter_backends: list = []
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="raid_import",
        parameters=[CODE],
        request={"multipart/form-data": RaidImportUploadSerializer},
        responses={
            200: OpenApiResponse(
                RaidImportResultSerializer,
                description="Dry run: what would be created (`key` is the key it would get now).",
            ),
            201: RaidImportResultSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=(
            "Every row is checked before anything is written. A refused file answers 400 with "
            "every problem in `non_field_errors`, each naming its line (CSV) or sheet and row "
            "(XLSX) and the column; nothing is imported."
        ),
        tags=["raid"],
    )
    def post(self, request, code: str):
        upload = request.data.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise ValidationError({"file": ["Send the CSV or XLSX file as `file` (multipart)."]})
        if upload.size > MAX_BYTES:
            raise ValidationError(
                {"file": [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."]}
            )
        flag = request.data.get("dry_run") or request.query_params.get("dry_run") or ""
        dry_run = str(flag).strip().lower() in TRUE
        try:
            result = import_raid(
                actor=request.user,
                program=self.program,
                data=upload.read(),
                filename=upload.name or "",
                dry_run=dry_run,
            )
        except RaidImportError as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from exc
        return Response(
            result.as_dict(), status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED
        )


class _Download(ProgramScopedMixin, ApiView):
    """A file on success, a JSON error otherwise, whatever `Accept` says."""

    permission_actions = {"get": "raid.view"}
    filter_backends: list = []
    renderer_classes = [ORJSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    def export_args(self, request) -> dict:
        raid_type = request.query_params.get("type") or None
        if raid_type is not None and raid_type not in ALL_TYPES:
            raise ValidationError({"type": [f"Choose one of {', '.join(ALL_TYPES)}."]})
        data = None
        if raid_type:
            data = filter_data(raid_type, request.query_params)
            try:
                exports.export_queryset(
                    program=self.program, raid_type=raid_type, data=data, strict=True
                )
            except exports.ExportFilterError as exc:
                raise ValidationError(exc.errors) from exc
        return {"program": self.program, "raid_type": raid_type, "data": data}


def _file_schema(operation_id: str, media: str, description: str):
    return extend_schema(
        operation_id=operation_id,
        parameters=[CODE, TYPE],
        responses={
            (200, media): OpenApiResponse(OpenApiTypes.BINARY, description=description),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["raid"],
    )


class RaidExportCsvView(_Download):
    """The RAID log as CSV (streamed)."""

    @_file_schema(
        "raid_export_csv",
        "text/csv",
        "UTF-8 CSV (with a BOM) with a header row and a Type column, ISO dates, `.` decimals "
        "and a currency column; cells that could run as formulas start with `'`.",
    )
    def get(self, request, code: str):
        args = self.export_args(request)
        response = StreamingHttpResponse(
            exports.csv_lines(**args), content_type="text/csv; charset=utf-8"
        )
        name = exports.export_filename(self.program, args["raid_type"], "csv")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class RaidExportXlsxView(_Download):
    """The RAID log as an Excel workbook: a sheet per type."""

    @_file_schema(
        "raid_export_xlsx",
        exports.XLSX_TYPE,
        "An .xlsx workbook with a sheet per type (dates and numbers as real cells) and an "
        "'About this export' sheet; it imports as it is into another program.",
    )
    def get(self, request, code: str):
        args = self.export_args(request)
        response = FileResponse(
            exports.xlsx_file(**args, exported_by=str(request.user)),
            content_type=exports.XLSX_TYPE,
        )
        name = exports.export_filename(self.program, args["raid_type"], "xlsx")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
