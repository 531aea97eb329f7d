"""The traceability matrix page (htmx filters, gap filter, paging) and its CSV/XLSX downloads.

Each cell links to the row it names (requirement, deliverable, case, defect, change request,
release); the detail pages live in other areas, so a link is left out while its URL name does not
resolve.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views import View
from django.views.generic import TemplateView

from core.fragments import fragment_key
from core.htmx import page_or_partial, wants_partial
from programs.mixins import ProgramViewMixin
from programs.models import Workstream

from ..exports import traceability as exports
from ..models import MoSCoW, Release, RequirementStatus
from ..selectors import traceability as selectors

NAV = "releases:traceability"
TEMPLATE = "releases/traceability/matrix.html"
PLACEHOLDER = "KEY0PLACEHOLDER"
ROWS_VERSION = 1  # bump when the rows' markup changes: cached rows then miss


class LinkUrls:
    """Detail URLs by key: each URL name reversed once per request, then a string replace."""

    NAMES = {
        "requirement": "releases:requirement_detail",
        "case": "releases:case_detail",
        "defect": "releases:defect_detail",
        "release": "releases:release_detail",
        "deliverable": "schedules:item_detail",
        "change_request": "governance:change_detail",
    }

    def __init__(self, code: str):
        self.patterns: dict[str, str | None] = {}
        for kind, name in self.NAMES.items():
            try:
                self.patterns[kind] = reverse(name, kwargs={"code": code, "key": PLACEHOLDER})
            except NoReverseMatch:
                self.patterns[kind] = None

    def url(self, kind: str, key: str) -> str | None:
        pattern = self.patterns[kind]
        return pattern.replace(PLACEHOLDER, key) if pattern else None

    def decorate(self, rows: list[selectors.Row]) -> None:
        for row in rows:
            row.url = self.url("requirement", row.key)
            for kind, links in (
                ("deliverable", row.deliverables),
                ("case", row.cases),
                ("defect", row.defects),
                ("change_request", row.change_requests),
                ("release", row.releases),
            ):
                for link in links:
                    link.url = self.url(kind, link.key)


def _query(filters: selectors.MatrixFilters, **changes: str) -> str:
    query = {**filters.as_query(), **changes}
    return urlencode({k: v for k, v in query.items() if v})


class TraceabilityView(ProgramViewMixin, TemplateView):
    """Requirement ↔ deliverable ↔ test cases ↔ latest results ↔ open defects ↔ change requests,
    with the coverage gaps highlighted."""

    permission_action = "requirement.view"
    nav_section = NAV
    template_name = TEMPLATE

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "trace-results")]

    def get_context_data(self, **kwargs):
        program = self.program
        partial = wants_partial(self.request)
        params = self.request.GET
        workstreams = releases = None
        if not partial:  # the filter bar lists them; a fragment only needs them to parse
            workstreams = list(
                Workstream.objects.filter(program=program).order_by("name").only("key", "name")
            )
            releases = list(
                Release.objects.filter(program=program)
                .order_by("planned_date", "number")
                .only("key", "version_label", "name")
            )
        filters, errors = selectors.parse_filters(
            program, params, workstreams=workstreams, releases=releases
        )
        matrix = selectors.matrix_page(program, filters, page=params.get("page"))
        rows = matrix.rows
        LinkUrls(program.code).decorate(rows)
        # the rendered rows are cached under a digest of everything they show
        rows_key = fragment_key(ROWS_VERSION, program.code, rows=((repr(r),) for r in rows))
        summary = matrix.summary
        gap_options = [
            {"gap": gap, "count": summary.gaps[gap.key], "active": filters.gap == gap.key}
            for gap in selectors.GAPS
        ]
        export_query = _query(filters)
        return super().get_context_data(
            matrix=matrix,
            rows=rows,
            rows_key=rows_key,
            page_obj=matrix.page,
            summary=summary,
            filters=filters,
            errors=errors,
            partial=partial,
            gaps=selectors.GAPS,
            gap_options=gap_options,
            workstreams=workstreams,
            releases=releases,
            statuses=RequirementStatus.choices,
            priorities=MoSCoW.choices,
            matching=summary.count(filters.gap),
            active_gap=selectors.GAP_BY_KEY.get(filters.gap),
            scope_filtered=any(name != "gap" for name in filters.as_query()),
            export_query=f"?{export_query}" if export_query else "",
            **kwargs,
        )


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class _ExportView(ProgramViewMixin, View):
    permission_action = "requirement.view"
    nav_section = NAV

    def filters(self) -> tuple[selectors.MatrixFilters, dict]:
        return selectors.parse_filters(self.program, self.request.GET)

    def refused(self, errors: dict[str, list[str]]) -> HttpResponse:
        return render(
            self.request,
            "releases/traceability/export_refused.html",
            {"program": self.program, "errors": errors},
            status=400,
        )


class TraceabilityCsvView(_ExportView):
    """The filtered matrix as CSV, one row per requirement, streamed as it is read."""

    def get(self, request, code):
        filters, errors = self.filters()
        if errors:
            return self.refused(errors)
        response = StreamingHttpResponse(
            exports.csv_lines(self.program, filters), content_type=exports.CSV_TYPE
        )
        return attachment(response, exports.export_filename(self.program, "csv"))


class TraceabilityXlsxView(_ExportView):
    """The filtered matrix as an Excel workbook with an "About this export" sheet."""

    def get(self, request, code):
        filters, errors = self.filters()
        if errors:
            return self.refused(errors)
        handle = exports.xlsx_file(self.program, filters, exported_by=str(request.user))
        response = FileResponse(handle, content_type=exports.XLSX_TYPE)
        return attachment(response, exports.export_filename(self.program, "xlsx"))
