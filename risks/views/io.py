"""RAID log import (upload, check, preview, confirm), the import templates and the exports.

The import is two steps: the uploaded file is checked completely (every row, and a rehearsal of
the import that is rolled back), then a preview lists what would be created, or every problem
with its line. Confirming imports the same file, kept meanwhile in the default storage under
`raid-imports/` for at most STAGED_HOURS and named by a signed token bound to the program and
the user; the rows are checked again then (the log may have changed), and all are created or none.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views import View
from django.views.generic import TemplateView

from programs.mixins import ProgramViewMixin

from .. import exports
from ..choices import RaidType
from ..imports import (
    ALL_TYPES,
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    TYPE_LABEL,
    ImportResult,
    Problem,
    RaidImportError,
    import_raid,
)
from .common import TYPES
from .log import filter_data

STAGED_DIR = "raid-imports"
STAGED_HOURS = 2
STAGE_SALT = "risks.import.staged"
PREVIEW_ROWS = 200
ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="A .csv or .xlsx file: one sheet per type, or one table with a Type column.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


def counts_text(counts: dict[str, int]) -> str:
    parts = [
        f"{n} {TYPES[t].plural.lower() if n != 1 else TYPES[t].lower}"
        for t, n in counts.items()
        if n
    ]
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0] if parts else "nothing"


# ---------------------------------------------------------------------------------------------
# Staging a checked file between the preview and the confirmation
# ---------------------------------------------------------------------------------------------


def _stage(*, program, user, data: bytes, filename: str) -> str:
    _clear_stale()
    suffix = ".xlsx" if data[:4] == b"PK\x03\x04" else ".csv"
    name = default_storage.save(
        f"{STAGED_DIR}/{program.pk}-{uuid.uuid4().hex}{suffix}", ContentFile(data)
    )
    payload = {"f": name, "p": program.pk, "u": user.pk, "n": filename[:200]}
    return signing.dumps(payload, salt=STAGE_SALT)


class StagedFileGone(Exception):
    pass


def _unstage(token: str, *, program, user) -> tuple[str, bytes, str]:
    try:
        payload = signing.loads(token, salt=STAGE_SALT, max_age=STAGED_HOURS * 3600)
    except signing.BadSignature as exc:
        raise StagedFileGone from exc
    if payload.get("p") != program.pk or payload.get("u") != user.pk:
        raise StagedFileGone
    name = payload["f"]
    if not name.startswith(f"{STAGED_DIR}/") or not default_storage.exists(name):
        raise StagedFileGone
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    return name, data, payload.get("n", "")


def _clear_stale() -> None:
    """Remove staged files older than STAGED_HOURS (an upload that was never confirmed)."""
    try:
        _, files = default_storage.listdir(STAGED_DIR)
    except (FileNotFoundError, NotImplementedError):
        return
    cutoff = timezone.now() - dt.timedelta(hours=STAGED_HOURS)
    for file in files:
        name = f"{STAGED_DIR}/{file}"
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
        except (FileNotFoundError, NotImplementedError):
            continue


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


class ImportView(ProgramViewMixin, TemplateView):
    """Upload a CSV or XLSX RAID log: checked and previewed first, imported on confirmation."""

    permission_action = "raid.import"
    nav_section = "risks:raid_log"
    template_name = "risks/io_import.html"

    def get_context_data(self, **kwargs):
        columns = [
            {
                "label": c.label,
                "types": (
                    "All"
                    if len(c.types) == len(ALL_TYPES)
                    else ", ".join(TYPE_LABEL[t] for t in c.types)
                ),
                "help": c.help,
                "aliases": ", ".join(a for a in c.aliases if len(a) > 1),
            }
            for c in COLUMNS
        ]
        return super().get_context_data(
            columns=columns,
            max_mb=MAX_BYTES // (1024 * 1024),
            max_rows=MAX_ROWS,
            **kwargs,
        )

    def get(self, request, code):
        return self.render_to_response(self.get_context_data(form=ImportUploadForm()))

    def post(self, request, code):
        if "token" in request.POST:
            return self._confirm(request, code)
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._refused(form, [], "")
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            problem = Problem("", "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
            return self._refused(form, [problem], upload.name)
        data = upload.read()
        try:
            result = import_raid(
                actor=request.user,
                program=self.program,
                data=data,
                filename=upload.name,
                dry_run=True,
            )
        except RaidImportError as exc:
            return self._refused(form, exc.problems, upload.name)
        token = _stage(program=self.program, user=request.user, data=data, filename=upload.name)
        return self.render_to_response(
            self.get_context_data(
                form=ImportUploadForm(),
                preview=self._preview(result),
                token=token,
                filename=upload.name,
            )
        )

    def _preview(self, result: ImportResult) -> dict:
        rows = result.plan.rows
        return {
            "total": result.total,
            "counts": [
                {
                    "label": (TYPES[t].lower if n == 1 else TYPES[t].plural.lower()),
                    "icon": TYPES[t].icon,
                    "count": n,
                }
                for t, n in result.counts.items()
                if n
            ],
            "summary": counts_text(result.counts),
            "notes": result.plan.notes,
            "rows": rows[:PREVIEW_ROWS],
            "more": max(0, len(rows) - PREVIEW_ROWS),
        }

    def _refused(self, form, problems: list[Problem], filename: str, status: int = 400):
        lines = len({p.where for p in problems if p.where})
        context = self.get_context_data(
            form=form, problems=problems, problem_rows=lines, filename=filename
        )
        return self.render_to_response(context, status=status)

    def _confirm(self, request, code):
        form = ImportUploadForm()
        try:
            name, data, filename = _unstage(
                request.POST["token"], program=self.program, user=request.user
            )
        except StagedFileGone:
            problem = Problem(
                "", "", f"The checked file is no longer kept (after {STAGED_HOURS} hours, or it "
                "was imported already). Upload it again."
            )  # fmt: skip
            return self._refused(form, [problem], "")
        try:
            result = import_raid(
                actor=request.user, program=self.program, data=data, filename=filename
            )
        except RaidImportError as exc:
            return self._refused(form, exc.problems, filename)
        finally:
            default_storage.delete(name)
        messages.success(
            request,
            format_html(
                "Imported {}: {} ({}). The history of each item records the import.",
                filename or "the file",
                f"{result.total} item{'s' if result.total != 1 else ''}",
                counts_text(result.counts),
            ),
        )
        # The log's tab of the first type imported, with closed items too (imports bring both).
        first_type = next((t for t in ALL_TYPES if result.counts.get(t)), RaidType.RISK)
        target = reverse(f"risks:{TYPES[first_type].singular}_list", kwargs={"code": code})
        return redirect(f"{target}?state=all")


class ImportTemplateView(ProgramViewMixin, View):
    """The import template: an XLSX workbook (a sheet per type, drop-downs, column notes) or
    the CSV header of a one-table log."""

    permission_action = "raid.view"
    extension = "xlsx"

    def get(self, request, code):
        filename = f"raid-import-template.{self.extension}"
        if self.extension == "csv":
            response = HttpResponse(exports.template_csv(), content_type="text/csv; charset=utf-8")
        else:
            target = exports.spooled()
            exports.template_xlsx(target)
            target.seek(0)
            response = FileResponse(target, content_type=exports.XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def export_request(request) -> tuple[str | None, object]:
    """The type asked for (None: the whole log) and the list's filters for it."""
    raid_type = request.GET.get("type") or None
    if raid_type not in (None, *ALL_TYPES):
        raid_type = None
    data = filter_data(raid_type, request.GET) if raid_type else None
    return raid_type, data


class ExportView(ProgramViewMixin, View):
    """The RAID log as CSV (streamed) or XLSX: one type with the list's filters and sort
    (`?type=risks&...`, what the tab shows, every page), or the whole log without `type`."""

    permission_action = "raid.view"
    extension = "csv"

    def get(self, request, code):
        raid_type, data = export_request(request)
        filename = exports.export_filename(self.program, raid_type, self.extension)
        if self.extension == "csv":
            response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
                exports.csv_lines(program=self.program, raid_type=raid_type, data=data),
                content_type="text/csv; charset=utf-8",
            )
        else:
            response = FileResponse(
                exports.xlsx_file(
                    program=self.program,
                    raid_type=raid_type,
                    data=data,
                    exported_by=str(request.user),
                ),
                content_type=exports.XLSX_TYPE,
            )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
