"""API: the traceability matrix as JSON pages, CSV (streamed) or XLSX.

GET programs/<code>/traceability/ with the page's filters (`q`, `gap`, `status`, `priority`,
`workstream`, `release`) and `format=json` (default: a page of rows and the counts of the
scope; `page`, `page_size`), `csv` or `xlsx` (every row under the filters). A bad filter answers
400 with a reason per parameter.
"""

from __future__ import annotations

from django.core.paginator import InvalidPage
from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.api.renderers import ORJSONRenderer
from core.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, VALIDATION_ERROR
from core.api.views import ApiView
from programs.api.views import ProgramScopedMixin

from ..exports import traceability as exports
from ..selectors import traceability as selectors

FORMATS = ("json", "csv", "xlsx")
MAX_PAGE_SIZE = 500

# ---------------------------------------------------------------------------------------------
# The JSON shape (documentation; rows are built as plain dicts)
# ---------------------------------------------------------------------------------------------


class _KeyTitle(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()


class _Case(_KeyTitle):
    latest_result = serializers.ChoiceField(
        choices=["pass", "fail", "blocked", "not_run"],
        help_text="Of the case's most recent run in any cycle; not_run when never run.",
    )
    latest_run_at = serializers.DateTimeField(allow_null=True)


class _Defect(_KeyTitle):
    severity = serializers.IntegerField(help_text="1 critical … 4 cosmetic; 1-2 block.")
    status = serializers.CharField()


class _ChangeRequest(_KeyTitle):
    status = serializers.CharField()


class _Release(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.CharField()


class TraceabilityRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    priority = serializers.CharField()
    status = serializers.CharField()
    workstream = serializers.CharField(help_text="Its name; empty when none.")
    releases = _Release(many=True)
    deliverables = _KeyTitle(many=True, help_text="WBS deliverables (schedule items).")
    test_cases = _Case(many=True, help_text="Retired cases are left out.")
    open_defects = _Defect(many=True, help_text="Open defects against it or one of its test cases.")
    change_requests = _ChangeRequest(many=True)
    gaps = serializers.ListField(
        child=serializers.ChoiceField(choices=[gap.key for gap in selectors.GAPS]),
        help_text='Its coverage gaps, or ["covered"] when it has none.',
    )


class TraceabilitySummarySerializer(serializers.Serializer):
    requirements = serializers.IntegerField()
    with_tests = serializers.IntegerField()
    passing = serializers.IntegerField(help_text="Tested, and every case's latest result pass.")
    accepted = serializers.IntegerField()
    coverage_percent = serializers.IntegerField(allow_null=True)
    gaps = serializers.DictField(child=serializers.IntegerField())


class TraceabilityPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Rows under every filter (the gap included).")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    filters = serializers.DictField(child=serializers.CharField())
    summary = TraceabilitySummarySerializer(
        help_text="Counts over every filter but the gap (what the gap filter chooses from)."
    )
    results = TraceabilityRowSerializer(many=True)


def row_data(row: selectors.Row) -> dict:
    return {
        "key": row.key,
        "title": row.title,
        "priority": row.priority,
        "status": row.status,
        "workstream": row.workstream,
        "releases": [{"key": r.key, "version": r.state} for r in row.releases],
        "deliverables": [{"key": d.key, "title": d.title} for d in row.deliverables],
        "test_cases": [
            {"key": c.key, "title": c.title, "latest_result": c.state, "latest_run_at": c.at}
            for c in row.cases
        ],
        "open_defects": [
            {"key": d.key, "title": d.title, "severity": d.severity, "status": d.state}
            for d in row.defects
        ],
        "change_requests": [
            {"key": c.key, "title": c.title, "status": c.state} for c in row.change_requests
        ],
        "gaps": row.gap_keys,
    }


def summary_data(summary: selectors.Summary) -> dict:
    return {
        "requirements": summary.requirements,
        "with_tests": summary.with_tests,
        "passing": summary.passing,
        "accepted": summary.accepted,
        "coverage_percent": summary.coverage_percent,
        "gaps": summary.gaps,
    }


# ---------------------------------------------------------------------------------------------
# The view
# ---------------------------------------------------------------------------------------------


def _query(name: str, description: str, **kwargs) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.QUERY, description=description, **kwargs
    )


PARAMETERS = [
    OpenApiParameter(
        "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
    ),
    _query("format", "`json` (default: a page), `csv` or `xlsx` (every row).", enum=list(FORMATS)),
    _query(
        "q",
        "Search the key, title and statement; a TC-, DEF-, CR- or TSK- key finds the "
        "requirements linked to it.",
    ),
    _query("gap", "Only requirements with this gap.", enum=[gap.key for gap in selectors.GAPS]),
    _query("status", "A requirement status, e.g. approved."),
    _query("priority", "must, should, could or wont."),
    _query("workstream", "A workstream's key (e.g. WS-2) or id."),
    _query("release", "A release's key (e.g. REL-1) or id: the requirements in its scope."),
    OpenApiParameter("page", OpenApiTypes.INT, OpenApiParameter.QUERY, description="JSON only."),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        OpenApiParameter.QUERY,
        description=f"JSON only: rows per page, 1-{MAX_PAGE_SIZE} (default {selectors.PAGE_SIZE}).",
    ),
]
FILE_DESCRIPTION = (
    "The filtered matrix, one row per requirement: " + ", ".join(exports.HEADER) + ". CSV: "
    "UTF-8 with a byte-order mark, header row, ISO 8601 UTC timestamps; lists joined with '; '; "
    "text that could run as a formula starts with `'`. XLSX: the same columns, a frozen header "
    "and an 'About this export' sheet with the filters and the time it was generated."
)


def _positive(params, name: str, default: int, maximum: int | None, errors: dict) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" up to {maximum}" if maximum else ""
        errors[name] = [f"“{raw}”: give a whole number from 1{limit}."]
        return default
    return value


class TraceabilityView(ProgramScopedMixin, ApiView):
    """The traceability matrix: requirement, deliverables, test cases and their latest
    results, open defects, change requests and the coverage gaps."""

    permission_actions = {"get": "requirement.view"}
    filter_backends: list = []
    renderer_classes = [ORJSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # `format` names the file, not a renderer: errors are JSON whatever it says
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="releases_traceability",
        parameters=PARAMETERS,
        responses={
            (200, "application/json"): TraceabilityPageSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description=FILE_DESCRIPTION),
            (200, exports.XLSX_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description=FILE_DESCRIPTION
            ),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["releases"],
    )
    def get(self, request, code: str):
        params = request.query_params
        kind = (params.get("format") or "json").strip().lower()
        filters, errors = selectors.parse_filters(self.program, params)
        if kind not in FORMATS:
            errors["format"] = [f"“{kind}”: choose json, csv or xlsx."]
        page = _positive(params, "page", 1, None, errors)
        page_size = _positive(params, "page_size", selectors.PAGE_SIZE, MAX_PAGE_SIZE, errors)
        if errors:
            raise ValidationError(errors)
        if kind == "json":
            return self.page(request, filters, page, page_size)
        name = exports.export_filename(self.program, kind)
        if kind == "csv":
            response = StreamingHttpResponse(
                exports.csv_lines(self.program, filters), content_type=exports.CSV_TYPE
            )
        else:
            response = FileResponse(
                exports.xlsx_file(self.program, filters, exported_by=str(request.user)),
                content_type=exports.XLSX_TYPE,
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response

    def page(self, request, filters, page: int, page_size: int) -> Response:
        try:
            matrix = selectors.matrix_page(
                self.program, filters, page=page, per_page=page_size, strict=True
            )
        except InvalidPage as exc:
            raise NotFound(f"There is no page {page}.") from exc
        page_obj = matrix.page
        url = request.build_absolute_uri()

        def link(number: int) -> str:
            return replace_query_param(url, "page", number) if number > 1 else (
                remove_query_param(url, "page")
            )  # fmt: skip

        return Response(
            {
                "count": page_obj.paginator.count,
                "page": page_obj.number,
                "pages": page_obj.paginator.num_pages,
                "next": link(page_obj.next_page_number()) if page_obj.has_next() else None,
                "previous": (
                    link(page_obj.previous_page_number()) if page_obj.has_previous() else None
                ),
                "filters": filters.as_query(),
                "summary": summary_data(matrix.summary),
                "results": [row_data(row) for row in matrix.rows],
            }
        )
