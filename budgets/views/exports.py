"""The variance report's downloads (CSV streamed, XLSX from a temporary file) and the export
page that picks their filters. The variance page links to the downloads with its own filters."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views import View
from django.views.generic import TemplateView

from programs.mixins import ProgramViewMixin
from programs.models import Workstream
from vendors.models import Vendor

from .. import exports
from ..models import BudgetLine, CostCategory
from ..selectors.settings import budget_settings
from ..services.checks import program_months

NAV = "budgets:variance"


def variance_url(program) -> str | None:
    """The variance page, when its area is installed."""
    try:
        return reverse("budgets:variance", kwargs={"code": program.code})
    except NoReverseMatch:
        return None


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class _ExportView(ProgramViewMixin, View):
    permission_action = "budget.export"
    nav_section = NAV

    def refused(self, request, error: exports.ExportFilterError) -> HttpResponse:
        return render(
            request,
            "budgets/exports/export_refused.html",
            {
                "program": self.program,
                "errors": error.errors,
                "variance_url": variance_url(self.program),
                "exports_url": reverse("budgets:exports", kwargs={"code": self.program.code}),
            },
            status=400,
        )


class ExportCsvView(_ExportView):
    """The variance report as CSV, streamed as it is read (`?bom=1` for a byte-order mark)."""

    def get(self, request, code):
        try:
            filters = exports.parse_filters(self.program, request.GET)
            bom = exports.parse_bom(request.GET, budget_settings(self.program).export_bom)
        except exports.ExportFilterError as error:
            return self.refused(request, error)
        response = StreamingHttpResponse(
            exports.csv_stream(self.program, filters, bom=bom), content_type=exports.CSV_TYPE
        )
        return attachment(response, exports.export_filename(self.program, "csv"))


class ExportXlsxView(_ExportView):
    """The variance report as an Excel workbook."""

    def get(self, request, code):
        try:
            filters = exports.parse_filters(self.program, request.GET)
        except exports.ExportFilterError as error:
            return self.refused(request, error)
        handle = exports.xlsx_export(self.program, filters, exported_by=str(request.user))
        response = FileResponse(handle, content_type=exports.XLSX_TYPE)
        return attachment(response, exports.export_filename(self.program, "xlsx"))


class ExportPageView(ProgramViewMixin, TemplateView):
    """Pick the filters and download the variance report as CSV or XLSX."""

    permission_action = "budget.export"
    nav_section = NAV
    template_name = "budgets/exports/export_page.html"

    def get_context_data(self, **kwargs):
        program = self.program
        first, last = program_months(program)
        settings = budget_settings(program)
        return super().get_context_data(
            workstreams=Workstream.objects.filter(program=program).order_by("key"),
            categories=CostCategory.objects.filter(program=program).order_by("position", "name"),
            vendors=Vendor.objects.filter(program=program).order_by("name"),
            lines=BudgetLine.objects.filter(program=program).count(),
            first_month=first,
            last_month=last,
            export_bom=settings.export_bom,
            monthly_export=settings.monthly_export,
            columns=exports.HEADER,
            rules=exports.report.RULES,
            variance_url=variance_url(program),
            **kwargs,
        )
