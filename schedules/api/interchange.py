"""API: import an MS Project XML (MSPDI) file; export the schedule as MSPDI or the WBS as CSV.

The import takes a multipart `file` field or the XML as the raw request body
(`Content-Type: application/xml`), with `replace` as a form field or a query parameter. It is
all or nothing: a refused file answers 400 with every problem in `non_field_errors`.
"""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.renderers import ORJSONRenderer
from core.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, VALIDATION_ERROR
from core.api.views import ApiView
from programs.api.views import ProgramScopedMixin

from ..interchange import (
    MspdiImportError,
    csv_filename,
    export_filename,
    export_mspdi,
    import_mspdi,
    wbs_csv_rows,
)

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
REPLACE = OpenApiParameter(
    "replace",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    required=False,
    description="Replace the program's current schedule (else a program with items is refused).",
)
MAX_BYTES = 50 * 1024 * 1024
TRUE = {"1", "true", "yes", "on"}


class XmlBodyParser(BaseParser):
    """The raw request body of an XML upload, as bytes (at most MAX_BYTES)."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_BYTES + 1) if stream is not None else b""
        if len(data) > MAX_BYTES:
            raise ParseError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        return {"__xml__": data}


class TextXmlBodyParser(XmlBodyParser):
    media_type = "text/xml"


class _FileDownloadMixin:
    """A download: the file itself on success, a JSON error otherwise, whatever `Accept` says
    (a client asking for `application/xml` gets the 404 in JSON, not a 406)."""

    filter_backends: list = []
    renderer_classes = [ORJSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


class ImportResultSerializer(serializers.Serializer):
    items = serializers.IntegerField(help_text="Items created.")
    links = serializers.IntegerField()
    holidays = serializers.IntegerField()
    baselines = serializers.IntegerField()
    replaced = serializers.IntegerField(help_text="Items of the replaced schedule (0 if none).")
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What could not be represented and was left out (the rest was imported).",
    )


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The .xml file saved by MS Project.")
    replace = serializers.BooleanField(required=False, default=False)


class MspdiImportView(ProgramScopedMixin, ApiView):
    """Import an MS Project XML file into the program's schedule (all or nothing)."""

    permission_actions = {"post": "schedule.import"}
    filter_backends: list = []
    parser_classes = [MultiPartParser, FormParser, XmlBodyParser, TextXmlBodyParser]

    @extend_schema(
        operation_id="schedule_import_mspdi",
        parameters=[CODE, REPLACE],
        request={
            "multipart/form-data": ImportUploadSerializer,
            "application/xml": OpenApiTypes.BINARY,
        },
        responses={
            201: ImportResultSerializer,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=(
            "Send the file as a multipart `file` field or as the raw body with "
            "`Content-Type: application/xml`. The whole file is checked first; a refused file "
            "answers 400 with every problem (`Task UID 12 (line 340): ...`) and nothing is "
            "imported. A program that already has items is refused unless `replace` is true."
        ),
        tags=["schedule"],
    )
    def post(self, request, code: str):
        data = request.data
        filename = ""
        if "__xml__" in data:
            content = data["__xml__"]
        elif "file" in data:
            upload = data["file"]
            if not hasattr(upload, "read"):
                raise ValidationError({"file": ["Send the file itself, not its name."]})
            if upload.size > MAX_BYTES:
                raise ValidationError(
                    {"file": [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."]}
                )
            content, filename = upload.read(), upload.name
        else:
            raise ValidationError(
                {"file": ["Send an MSPDI file as `file` (multipart) or as an XML body."]}
            )
        if not content:
            raise ValidationError({"file": ["The file is empty."]})
        flag = request.query_params.get("replace") or (
            data.get("replace") if hasattr(data, "get") and "__xml__" not in data else None
        )
        replace = str(flag or "").strip().lower() in TRUE
        try:
            result = import_mspdi(
                self.program, content, request.user, replace=replace, filename=filename
            )
        except MspdiImportError as exc:
            raise ValidationError({"non_field_errors": list(exc.messages)}) from exc
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)


class MspdiExportView(_FileDownloadMixin, ProgramScopedMixin, ApiView):
    """The schedule as MS Project XML, with our computed dates, slack and critical flags."""

    permission_actions = {"get": "schedule.view"}

    @extend_schema(
        operation_id="schedule_export_mspdi",
        parameters=[CODE],
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="An MSPDI document (e.g. ERP-schedule-2026-11-28.xml).",
            ),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["schedule"],
    )
    def get(self, request, code: str):
        response = HttpResponse(
            export_mspdi(self.program), content_type="application/xml; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{export_filename(self.program)}"'
        return response


class CsvExportView(_FileDownloadMixin, ProgramScopedMixin, ApiView):
    """The WBS as CSV: one row per item in outline order (streamed)."""

    permission_actions = {"get": "schedule.view"}

    @extend_schema(
        operation_id="schedule_export_csv",
        parameters=[CODE],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="UTF-8 CSV with a header row, ISO dates, `.` decimals and a "
                "currency column; cells that could run as formulas start with `'`.",
            ),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["schedule"],
    )
    def get(self, request, code: str):
        response = StreamingHttpResponse(
            wbs_csv_rows(self.program), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{csv_filename(self.program)}"'
        return response
