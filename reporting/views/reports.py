"""Status report pages: the list with the history (one row per period, each dimension's RAG) and
the trend of SPI, CPI and exposure over the published weeks; one report exactly as its snapshot
says it; opening a report for a week; the briefing and deck downloads (drawn from the stored
snapshot); the program's RAG thresholds.

The report's edits and workflow steps are in reports_actions.py."""

from __future__ import annotations

import importlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from budgets.selectors.evm import program_today
from core.errors import Refused
from core.forms import apply_validation_error
from core.htmx import wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from ..forms.reports import OpenReportForm, ReportSettingsForm
from ..models import ReportStatus, StatusReport
from ..pdf import briefing, deck
from ..periods import period_of, shift
from ..rag import DIMENSIONS
from ..selectors import reports as selectors
from ..selectors.common import report_settings
from ..services import reports as services

NAV = "reporting:report_list"
DIMENSION_LABELS = {
    "schedule": "Schedule",
    "cost": "Cost",
    "scope": "Scope",
    "risk": "Risk",
    "quality": "Quality",
    "overall": "Overall",
}
STATUS_COLOURS = {
    ReportStatus.DRAFT: "secondary",
    ReportStatus.REVIEW: "azure",
    ReportStatus.PUBLISHED: "green",
}


def pptx_module():
    """`reporting.pptx` when it is installed (another part of the app writes it), else None."""
    try:
        return importlib.import_module("reporting.pptx")
    except ImportError:
        return None


def this_week(program) -> str:
    return period_of(program_today(program))


class ReportMixin(ProgramViewMixin):
    nav_section = NAV

    def get_report(self):
        return selectors.report_get(program=self.program, period=self.kwargs["period"])


# --- the list ------------------------------------------------------------------------------------


class ReportListView(ProgramViewMixin, TemplateView):
    permission_action = "report.view"
    nav_section = NAV
    template_name = "reporting/reports/report_list.html"

    def get_context_data(self, **kwargs):
        rows = selectors.report_rows(self.program)
        week = this_week(self.program)
        current = next((row.report for row in rows if row.report.period == week), None)
        trend = selectors.report_trend(self.program)
        return super().get_context_data(
            rows=rows,
            dimensions=[(d, DIMENSION_LABELS[d]) for d in DIMENSIONS],
            trend=trend,
            trend_rows=list(
                zip(
                    trend["periods"],
                    trend["spi"],
                    trend["cpi"],
                    trend["exposure"],
                    trend["rag"],
                    strict=True,
                )
            )[::-1],
            this_week=week,
            last_week=shift(week, -1),
            current_report=current,
            status_colours=STATUS_COLOURS,
            can_change=self.access.can("report.change"),
            can_settings=self.access.can("report.settings"),
            **kwargs,
        )


class ReportOpenView(ProgramViewMixin, TemplateView):
    """Open the report of a week (this week unless another is given); a week that has one
    already goes to it."""

    permission_action = "report.change"
    nav_section = NAV
    template_name = "reporting/reports/report_open.html"

    def get(self, request, code):
        form = OpenReportForm(
            initial={"period": request.GET.get("period") or this_week(self.program)}
        )
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        data = request.POST.copy()
        if not data.get("period"):
            data["period"] = this_week(self.program)
        form = OpenReportForm(data)
        if form.is_valid():
            period = form.cleaned_data["period"]
            existing = StatusReport.objects.filter(program=self.program, period=period).first()
            if existing is not None:
                messages.info(request, f"The {period} report is open already: here it is.")
                return redirect(existing)
            try:
                report = services.report_open(
                    actor=request.user, program=self.program, period=period
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(
                    request,
                    f"The {report.period} report is open as a draft with the figures computed "
                    "now. Write the narrative, then submit it for review.",
                )
                return redirect(report)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- one report ----------------------------------------------------------------------------------


def report_context(view, report) -> dict:
    """Everything the detail page shows: the snapshot and what the user may do with it."""
    access, program = view.access, view.program
    snapshot = selectors.report_snapshot(report)
    open_ = report.status != ReportStatus.PUBLISHED
    role = access.role
    workstreams = list(program.workstreams.order_by("name"))
    writable = [w for w in workstreams if services.can_comment(program, view.request.user, w, role)]
    written = {c.workstream_id for c in report.commentary.all()}
    keys = {w.name: w.key for w in workstreams}
    writable_keys = {w.key for w in writable}
    return {
        "report": report,
        "snapshot": snapshot,
        "rag_lines": [
            (line, DIMENSION_LABELS.get(line.dimension, line.dimension))
            for line in snapshot.rag
            if line.dimension != "overall"
        ],
        "overall": snapshot.rag_of("overall"),
        "status_colour": STATUS_COLOURS[report.status],
        "open": open_,
        "can_change": open_ and access.can("report.change"),
        "can_publish": open_ and access.can("report.publish"),
        "can_override": open_ and access.can("report.override"),
        "can_comment": open_ and access.can("report.change") and bool(writable),
        "missing_commentary": [w for w in workstreams if w.pk not in written],
        "commentary_rows": [
            (
                line,
                keys.get(line.workstream, ""),
                open_
                and access.can("report.change")
                and keys.get(line.workstream) in writable_keys,
            )
            for line in snapshot.commentary
        ],
        "overrides": {o.dimension: o for o in report.overrides.all()},
        "pptx": pptx_module() is not None,
        "dimension_labels": DIMENSION_LABELS,
    }


class ReportDetailView(ReportMixin, TemplateView):
    permission_action = "report.view"
    template_name = "reporting/reports/report_detail.html"

    def get_template_names(self):
        if wants_partial(self.request):
            return [f"{self.template_name}#report-body"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**report_context(self, self.get_report()), **kwargs)


# --- downloads -----------------------------------------------------------------------------------


def _file(body: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


PDF = "application/pdf"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def filename(report, kind: str, extension: str) -> str:
    draft = "" if report.is_published else "-DRAFT"
    return f"{report.program.code}-{report.period}-{kind}{draft}.{extension}"


class ReportBriefingView(ReportMixin, View):
    """The one-to-two-page executive briefing, drawn from the report's snapshot."""

    permission_action = "report.view"

    def get(self, request, code, period):
        report = self.get_report()
        body = briefing.render(selectors.report_snapshot(report))
        return _file(body, filename(report, "briefing", "pdf"), PDF)


class ReportDeckView(ReportMixin, View):
    """The 16:9 deck as PDF slides, drawn from the report's snapshot."""

    permission_action = "report.view"

    def get(self, request, code, period):
        report = self.get_report()
        body = deck.render(selectors.report_snapshot(report))
        return _file(body, filename(report, "deck", "pdf"), PDF)


class ReportPptxView(ReportMixin, View):
    """The deck as PowerPoint, when the .pptx export is installed (404 otherwise)."""

    permission_action = "report.view"

    def get(self, request, code, period):
        module = pptx_module()
        if module is None:
            raise Http404("The PowerPoint export is not installed.")
        report = self.get_report()
        body = module.render(selectors.report_snapshot(report))
        return _file(body, filename(report, "deck", "pptx"), PPTX)


# --- settings ------------------------------------------------------------------------------------


class ReportSettingsView(ProgramViewMixin, TemplateView):
    permission_action = "report.settings"
    nav_section = NAV
    template_name = "reporting/reports/report_settings.html"

    def get(self, request, code):
        settings = report_settings(self.program)
        form = ReportSettingsForm(settings=settings)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        settings = report_settings(self.program)
        form = ReportSettingsForm(request.POST, settings=settings)
        if form.is_valid():
            try:
                services.report_settings_update(
                    actor=request.user,
                    program=self.program,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(settings),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    "Thresholds saved. New reports and refreshed drafts are rated with them; "
                    "published reports keep their ratings.",
                )
                return redirect(reverse("reporting:report_list", kwargs={"code": code}))
        return self.render_to_response(self.get_context_data(form=form), status=400)
