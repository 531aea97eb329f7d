"""API: the budget variance report as CSV (streamed) or XLSX.

GET programs/<code>/budget/export/?format=csv|xlsx with the variance page's filters
(`workstream`, `category`, `vendor`, `from`, `to`) and, for CSV, `bom`. A bad filter answers
400 with a reason per parameter; the file otherwise, whatever `Accept` says.
"""

from __future__ import annotations

from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError

from core.api.renderers import ORJSONRenderer
from core.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, VALIDATION_ERROR
from core.api.views import ApiView
from programs.api.views import ProgramScopedMixin

from .. import exports
from ..selectors.settings import budget_settings

FORMATS = ("csv", "xlsx")


def _query(name: str, description: str, **kwargs) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.QUERY, description=description, **kwargs
    )


PARAMETERS = [
    OpenApiParameter(
        "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
    ),
    _query("format", "`csv` (default, streamed) or `xlsx`.", enum=list(FORMATS), required=False),
    _query("workstream", "A workstream's key (e.g. WS-2) or id.", required=False),
    _query("category", "A cost category's id (or its exact name).", required=False),
    _query("vendor", "A vendor's key (e.g. VND-3) or id.", required=False),
    _query("from", "The first month, YYYY-MM (default: the program's first).", required=False),
    _query("to", "The last month, YYYY-MM (default: the program's last).", required=False),
    _query(
        "bom",
        "CSV only: 1 to start the file with a UTF-8 byte-order mark (for Excel on Windows), 0 "
        "for none; default from the program's budget settings.",
        required=False,
        enum=["0", "1"],
    ),
]
FILE_DESCRIPTION = (
    "The budget variance report, one row per budget line and month: Program, Line key, Line, "
    "Workstream, Category, Expense type, Vendor, Month (ISO date of the month's first day), "
    "Currency, Plan (current budget), Forecast, Actual, Variance, Variance %, Accrued, Outturn. "
    "CSV: UTF-8, header row, `.` decimals with two places, no thousands separators; text that "
    "could run as a formula starts with `'`. XLSX: typed number and date cells, a frozen header, "
    "a totals row of values and an 'About this export' sheet."
)


class BudgetExportView(ProgramScopedMixin, ApiView):
    """The budget variance report as CSV or XLSX."""

    permission_actions = {"get": "budget.export"}
    filter_backends: list = []
    renderer_classes = [ORJSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # `format` names the file, not a renderer: errors are JSON whatever it says
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="budgets_export",
        parameters=PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description=FILE_DESCRIPTION),
            (200, exports.XLSX_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description=FILE_DESCRIPTION
            ),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        tags=["budgets"],
    )
    def get(self, request, code: str):
        params = request.query_params
        kind = (params.get("format") or "csv").strip().lower()
        errors: dict[str, list[str]] = {}
        if kind not in FORMATS:
            errors["format"] = [f"{kind!r}: choose csv or xlsx."]
        filters = bom = None
        try:
            filters = exports.parse_filters(self.program, params)
        except exports.ExportFilterError as exc:
            errors.update(exc.errors)
        try:
            bom = exports.parse_bom(params, budget_settings(self.program).export_bom)
        except exports.ExportFilterError as exc:
            errors.update(exc.errors)
        if errors or filters is None:
            raise ValidationError(errors)
        name = exports.export_filename(self.program, kind)
        if kind == "csv":
            response = StreamingHttpResponse(
                exports.csv_stream(self.program, filters, bom=bool(bom)),
                content_type=exports.CSV_TYPE,
            )
        else:
            response = FileResponse(
                exports.xlsx_export(self.program, filters, exported_by=str(request.user)),
                content_type=exports.XLSX_TYPE,
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
