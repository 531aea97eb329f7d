"""Status report edits and workflow steps: the narrative, refreshing the figures, a RAG
override (with its mandatory reason) and removing it, a workstream's commentary, submit for
review, return to draft, publish. A published report refuses every one of them with the reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.versioning import StaleVersionError

from ..forms.reports import CommentaryForm, NarrativeForm, OverrideForm
from ..models import ReportStatus
from ..services import reports as services
from .reports import DIMENSION_LABELS, ReportMixin, report_context


def done(request, url: str) -> HttpResponse:
    """After a saved form or a step: htmx follows HX-Redirect, a plain form a 302."""
    if getattr(request, "htmx", None):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class _ReportForm(ReportMixin, TemplateView):
    """A form page about one report; a published report sends the visitor back to it."""

    def frozen(self, report):
        if report.status == ReportStatus.PUBLISHED:
            messages.error(
                self.request,
                f"The {report.period} report is published: its figures are frozen and it can no "
                "longer change.",
            )
            return redirect(report)
        return None


# --- the narrative -----------------------------------------------------------------------------


class ReportEditView(_ReportForm):
    permission_action = "report.change"
    template_name = "reporting/reports/report_form.html"

    def get(self, request, code, period):
        report = self.get_report()
        if response := self.frozen(report):
            return response
        form = NarrativeForm(report=report)
        return self.render_to_response(self.get_context_data(form=form, report=report))

    def post(self, request, code, period):
        report = self.get_report()
        form = NarrativeForm(request.POST, report=report)
        if form.is_valid():
            try:
                report = services.report_update(
                    actor=request.user,
                    report=report,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(report),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, f"The {report.period} report's narrative is saved.")
                return done(request, report.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, report=report), status=400)


# --- workflow steps (POST; a GET goes back to the report) -------------------------------------


class _ReportStep(ReportMixin, TemplateView):
    step = None  # the service
    success = ""

    def get(self, request, code, period):
        return redirect(self.get_report())

    def post(self, request, code, period):
        report = self.get_report()
        try:
            report = self.step(
                actor=request.user, report=report, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was changed; review the report first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, self.success.format(period=report.period))
        return done(request, report.get_absolute_url())


class ReportRefreshView(_ReportStep):
    permission_action = "report.change"
    step = staticmethod(services.report_refresh)
    success = "Figures of {period} computed again."


class ReportSubmitView(_ReportStep):
    permission_action = "report.change"
    step = staticmethod(services.report_submit)
    success = "The {period} report is in review: the program manager publishes it."


class ReportReturnView(_ReportStep):
    permission_action = "report.change"
    step = staticmethod(services.report_return)
    success = "The {period} report is a draft again."


class ReportPublishView(_ReportForm):
    """GET: what publishing freezes, to confirm; POST: publish."""

    permission_action = "report.publish"
    template_name = "reporting/reports/report_publish.html"

    def get(self, request, code, period):
        report = self.get_report()
        if response := self.frozen(report):
            return response
        return self.render_to_response(self.get_context_data(**report_context(self, report)))

    def post(self, request, code, period):
        report = self.get_report()
        try:
            report = services.report_publish(
                actor=request.user, report=report, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(
                request,
                f"{exc} Nothing was published: look at the report as it is now, then publish.",
            )
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(
                request,
                f"The {report.period} report is published: its figures are frozen, and the "
                "briefing sends them.",
            )
        return done(request, report.get_absolute_url())


# --- overrides ---------------------------------------------------------------------------------


class ReportOverrideView(_ReportForm):
    permission_action = "report.override"
    template_name = "reporting/reports/report_override.html"

    def context(self, report, form):
        snapshot = report_context(self, report)
        return self.get_context_data(form=form, **snapshot)

    def get(self, request, code, period):
        report = self.get_report()
        if response := self.frozen(report):
            return response
        dimension = request.GET.get("dimension", "overall")
        if dimension not in DIMENSION_LABELS:
            dimension = "overall"
        existing = report.overrides.filter(dimension=dimension).first()
        form = OverrideForm(
            initial={
                "dimension": dimension,
                "version": report.version,
                "rag": existing.rag if existing else "",
                "reason": existing.reason if existing else "",
            }
        )
        return self.render_to_response(self.context(report, form))

    def post(self, request, code, period):
        report = self.get_report()
        form = OverrideForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.override_set(
                    actor=request.user,
                    report=report,
                    dimension=data["dimension"],
                    rag=data["rag"],
                    reason=data["reason"],
                    expected_version=data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                label = DIMENSION_LABELS[data["dimension"]]
                messages.success(request, f"{label} is overridden to {data['rag']}.")
                return done(request, report.get_absolute_url())
        report = self.get_report()
        return self.render_to_response(self.context(report, form), status=400)


class ReportOverrideRemoveView(ReportMixin, TemplateView):
    permission_action = "report.override"

    def get(self, request, code, period):
        return redirect(self.get_report())

    def post(self, request, code, period):
        report = self.get_report()
        dimension = request.POST.get("dimension", "")
        try:
            services.override_remove(
                actor=request.user,
                report=report,
                dimension=dimension,
                expected_version=posted_version(request),
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was changed.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            label = DIMENSION_LABELS.get(dimension, dimension)
            messages.success(request, f"{label} is back to its computed rating.")
        return done(request, report.get_absolute_url())


# --- workstream commentary ---------------------------------------------------------------------


class ReportCommentaryView(_ReportForm):
    """A workstream's commentary: its lead writes their own, a coordinator or the manager any."""

    permission_action = "report.change"
    template_name = "reporting/reports/report_commentary.html"

    def writable(self):
        return [
            w
            for w in self.program.workstreams.order_by("name")
            if services.can_comment(self.program, self.request.user, w, self.access.role)
        ]

    def context(self, report, form, workstreams):
        existing = {c.workstream.key: c for c in report.commentary.all()}
        return self.get_context_data(
            form=form, report=report, workstreams=workstreams, existing=existing
        )

    def get(self, request, code, period):
        report = self.get_report()
        if response := self.frozen(report):
            return response
        workstreams = self.writable()
        keys = [w.key for w in workstreams]
        wanted = request.GET.get("workstream", "")
        key = wanted if wanted in keys else (keys[0] if keys else "")
        row = next((c for c in report.commentary.all() if c.workstream.key == key), None)
        form = CommentaryForm(
            workstreams=workstreams,
            initial={
                "workstream": key,
                "rag": row.rag if row else "grey",
                "text": row.text if row else "",
                "version": row.version if row else None,
            },
        )
        return self.render_to_response(self.context(report, form, workstreams))

    def post(self, request, code, period):
        report = self.get_report()
        workstreams = self.writable()
        form = CommentaryForm(request.POST, workstreams=workstreams)
        if form.is_valid():
            data = form.cleaned_data
            workstream = next(w for w in workstreams if w.key == data["workstream"])
            try:
                if request.POST.get("remove"):
                    services.commentary_delete(
                        actor=request.user, report=report, workstream=workstream
                    )
                    text = f"{workstream.name}'s commentary removed."
                else:
                    services.commentary_save(
                        actor=request.user,
                        report=report,
                        workstream=workstream,
                        rag=data["rag"],
                        text=data["text"],
                        expected_version=data["version"],
                    )
                    text = f"{workstream.name}'s commentary saved."
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except (Refused, PermissionDenied) as exc:
                form.add_error(None, getattr(exc, "reason", None) or str(exc))
            else:
                messages.success(request, text)
                return done(request, report.get_absolute_url() + "#commentary")
        report = self.get_report()
        return self.render_to_response(self.context(report, form, workstreams), status=400)
