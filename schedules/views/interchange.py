"""MS Project XML import (a page) and the MS Project XML and CSV downloads."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.views import View
from django.views.generic import TemplateView

from programs.mixins import ProgramViewMixin

from ..interchange import (
    MspdiImportError,
    csv_filename,
    export_filename,
    export_mspdi,
    import_mspdi,
    wbs_csv_rows,
)
from ..models import Baseline, Dependency, Item

MAX_BYTES = 50 * 1024 * 1024  # a 5,000-task plan saved by Project is about 20 MB


class MspdiImportForm(forms.Form):
    file = forms.FileField(
        label="MS Project XML file",
        help_text="In Microsoft Project: File > Save As > XML format (*.xml).",
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )
    replace = forms.BooleanField(
        label="Replace the current schedule",
        required=False,
        help_text="Deletes every item, link, holiday and baseline of this program first. "
        "The deletions are kept in the activity history.",
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class ImportView(ProgramViewMixin, TemplateView):
    """Upload an MSPDI file: all of it is imported, or nothing and every problem is listed."""

    permission_action = "schedule.import"
    nav_section = "schedules:grid"
    template_name = "schedules/import.html"

    def get_context_data(self, **kwargs):
        program = self.program
        return super().get_context_data(
            item_count=Item.objects.filter(program=program).count(),
            link_count=Dependency.objects.filter(program=program).count(),
            baseline_count=Baseline.objects.filter(program=program).count(),
            max_mb=MAX_BYTES // (1024 * 1024),
            **kwargs,
        )

    def get(self, request, code):
        return self.render_to_response(self.get_context_data(form=MspdiImportForm()))

    def post(self, request, code):
        form = MspdiImportForm(request.POST, request.FILES)
        errors: list[str] = []
        upload = form.files.get("file") if form.files else None
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_BYTES:
                errors = [
                    f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Save the plan "
                    "without timephased data (Project: File > Options > Save) and try again."
                ]
            else:
                try:
                    result = import_mspdi(
                        self.program,
                        upload,
                        request.user,
                        replace=form.cleaned_data["replace"],
                        filename=upload.name,
                    )
                except MspdiImportError as exc:
                    errors = list(exc.messages)
                else:
                    grid = reverse("schedules:grid", kwargs={"code": code})
                    replaced = (
                        f" It replaced the previous schedule of {_plural(result.replaced, 'item')}."
                        if result.replaced
                        else ""
                    )
                    messages.success(
                        request,
                        format_html(
                            "Imported {}: {}, {}, {} and {}.{} "
                            '<a href="{}" class="alert-link">Open the WBS grid</a>',
                            upload.name,
                            _plural(result.items, "item"),
                            _plural(result.links, "link"),
                            _plural(result.holidays, "holiday"),
                            _plural(result.baselines, "baseline"),
                            replaced,
                            grid,
                        ),
                    )
                    for warning in result.warnings:
                        messages.warning(request, warning)
                    return redirect("schedules:import", code=code)
        context = self.get_context_data(
            form=form, errors=errors, filename=getattr(upload, "name", "") or ""
        )
        return self.render_to_response(context, status=400)


class ExportMspdiView(ProgramViewMixin, View):
    """The schedule as MS Project XML, e.g. ERP-schedule-2026-11-28.xml."""

    permission_action = "schedule.view"

    def get(self, request, code):
        response = HttpResponse(
            export_mspdi(self.program), content_type="application/xml; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{export_filename(self.program)}"'
        return response


class ExportCsvView(ProgramViewMixin, View):
    """The WBS as CSV (streamed), e.g. ERP-wbs-2026-11-28.csv."""

    permission_action = "schedule.view"

    def get(self, request, code):
        response = StreamingHttpResponse(
            wbs_csv_rows(self.program), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{csv_filename(self.program)}"'
        return response
