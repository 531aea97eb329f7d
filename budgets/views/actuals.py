"""Actuals pages: cost entries (filtered, paginated, with the total of what is filtered; manual
ones added, edited and deleted, the others read-only with the reason), the general-ledger
import (upload, check, preview, confirm; all or nothing) and accruals (list, post, detail,
cancel).

The GL import keeps the checked file between the preview and the confirmation in the default
storage under `gl-imports/` for at most STAGED_HOURS, named by a signed token bound to the
program and the user; confirming checks it again (documents may have been imported meanwhile).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.actuals import (
    AccrualCancelForm,
    AccrualForm,
    CostEntryEditForm,
    CostEntryForm,
    GLUploadForm,
    cost_entry_initial,
)
from ..models import AccrualStatus, BudgetLine, CostSource
from ..selectors import actuals as selectors
from ..services import actuals as services
from ..services import gl_import
from ..services.gl_import import GLImportError, Problem

PAGE_SIZE = 50
STAGED_DIR = "gl-imports"
STAGED_HOURS = 2
STAGE_SALT = "budgets.gl_import.staged"
ENTRY_FILTERS = ("line", "workstream", "category", "month_from", "month_to", "source", "vendor",
                 "q", "gl_import")  # fmt: skip


def list_url(code: str) -> str:
    return reverse("budgets:actuals", kwargs={"code": code})


class ActualsMixin(ProgramViewMixin):
    nav_section = "budgets:actuals"


# --- cost entries -------------------------------------------------------------------------------


class CostEntryListView(ActualsMixin, TemplateView):
    permission_action = "budget.view"
    template_name = "budgets/actuals/entry_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "entry-table")]

    def get_context_data(self, **kwargs):
        data = {k: self.request.GET[k] for k in ENTRY_FILTERS if self.request.GET.get(k)}
        filterset = selectors.CostEntryFilterSet(
            data or None, queryset=selectors.cost_entries(program=self.program),
            program=self.program,
        )  # fmt: skip
        rows = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        page = paginate(self.request, rows, per_page=PAGE_SIZE)
        return super().get_context_data(
            filter=filterset,
            page_obj=page,
            totals=selectors.cost_entry_totals(rows),
            filtered=bool(data),
            can_change=self.access.can("actual.change"),
            **kwargs,
        )


class CostEntryCreateView(ActualsMixin, TemplateView):
    permission_action = "actual.change"
    template_name = "budgets/actuals/entry_form.html"

    def get(self, request, code):
        initial = {"posted_on": dt.date.today()}
        if request.GET.get("line"):
            initial["line"] = BudgetLine.objects.filter(
                program=self.program, key=request.GET["line"].upper()
            ).first()
        form = CostEntryForm(initial=initial, program=self.program)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = CostEntryForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                entry = services.cost_entry_create(actor=request.user, **form.service_fields())
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    f"Cost entry booked to {entry.line.key} in {entry.month:%B %Y}.",
                )
                return redirect(list_url(code))
        return self.render_to_response(self.get_context_data(form=form, creating=True), status=400)


class CostEntryEditView(ActualsMixin, TemplateView):
    """Edit a manual entry; any other shows read-only with why (and a POST is refused, 409)."""

    permission_action = "actual.change"
    template_name = "budgets/actuals/entry_form.html"

    def context(self, entry, form, **extra):
        return self.get_context_data(
            entry=entry, form=form, read_only=services.read_only_reason(entry),
            history=list(history_for_object(entry)[:20]), **extra,
        )  # fmt: skip

    def get(self, request, code, pk):
        entry = selectors.cost_entry_get(program=self.program, pk=pk)
        form = CostEntryEditForm(initial=cost_entry_initial(entry), program=self.program)
        return self.render_to_response(self.context(entry, form))

    def post(self, request, code, pk):
        entry = selectors.cost_entry_get(program=self.program, pk=pk)
        form = CostEntryEditForm(request.POST, program=self.program)
        status = 400
        if form.is_valid():
            try:
                entry = services.cost_entry_update(
                    actor=request.user, entry=entry,
                    expected_version=form.cleaned_data["version"], **form.service_fields(),
                )  # fmt: skip
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(request, f"Cost entry of {entry.line.key} saved.")
                return redirect(list_url(code))
        elif services.read_only_reason(entry):
            status = 409
        return self.render_to_response(self.context(entry, form), status=status)


class CostEntryDeleteView(ActualsMixin, TemplateView):
    permission_action = "actual.change"
    template_name = "budgets/actuals/entry_confirm_delete.html"

    def get(self, request, code, pk):
        entry = selectors.cost_entry_get(program=self.program, pk=pk)
        return self.render_to_response(
            self.get_context_data(entry=entry, read_only=services.read_only_reason(entry))
        )

    def post(self, request, code, pk):
        entry = selectors.cost_entry_get(program=self.program, pk=pk)
        try:
            services.cost_entry_delete(
                actor=request.user, entry=entry, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(
                request, f"Cost entry of {entry.line.key} in {entry.month:%B %Y} deleted."
            )
        return redirect(list_url(code))


# --- the general-ledger import ------------------------------------------------------------------


def _stage(*, program, user, data: bytes, filename: str) -> str:
    _clear_stale()
    suffix = ".xlsx" if data[:4] == b"PK\x03\x04" else ".csv"
    name = default_storage.save(
        f"{STAGED_DIR}/{program.pk}-{uuid.uuid4().hex}{suffix}", ContentFile(data)
    )
    return signing.dumps(
        {"f": name, "p": program.pk, "u": user.pk, "n": filename[:200]}, salt=STAGE_SALT
    )


def _unstage(token: str, *, program, user) -> tuple[str, bytes, str] | None:
    try:
        payload = signing.loads(token, salt=STAGE_SALT, max_age=STAGED_HOURS * 3600)
    except signing.BadSignature:
        return None
    name = payload.get("f", "")
    if (
        payload.get("p") != program.pk
        or payload.get("u") != user.pk
        or not name.startswith(f"{STAGED_DIR}/")
        or not default_storage.exists(name)
    ):
        return None
    with default_storage.open(name, "rb") as handle:
        return name, handle.read(), payload.get("n", "")


def _clear_stale() -> None:
    """Remove staged files older than STAGED_HOURS (checked, never confirmed)."""
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


class GLImportView(ActualsMixin, TemplateView):
    """Upload a general-ledger extract: checked and previewed, imported on confirmation."""

    permission_action = "actual.change"
    template_name = "budgets/actuals/gl_import.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            columns=gl_import.COLUMNS,
            imports=selectors.gl_imports(program=self.program)[:10],
            **kwargs,
        )

    def get(self, request, code):
        return self.render_to_response(self.get_context_data(form=GLUploadForm()))

    def post(self, request, code):
        if "token" in request.POST:
            return self._confirm(request)
        form = GLUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            plan = gl_import.gl_import_check(program=self.program, data=data, filename=upload.name)
        except GLImportError as exc:
            return self._refused(form, exc.problems, upload.name)
        token = _stage(program=self.program, user=request.user, data=data, filename=upload.name)
        return self.render_to_response(
            self.get_context_data(
                form=GLUploadForm(), plan=plan, token=token, filename=upload.name,
                preview_rows=plan.rows[:100],
            )
        )  # fmt: skip

    def _refused(self, form, problems: list[Problem], filename: str):
        rows = len({p.where for p in problems if p.where})
        return self.render_to_response(
            self.get_context_data(form=form, problems=problems, problem_rows=rows,
                                  filename=filename),
            status=400,
        )  # fmt: skip

    def _confirm(self, request):
        staged = _unstage(request.POST["token"], program=self.program, user=request.user)
        if staged is None:
            problem = Problem(
                "", "", f"The checked file is no longer kept (after {STAGED_HOURS} hours, or it "
                "was imported already). Upload it again.",
            )  # fmt: skip
            return self._refused(GLUploadForm(), [problem], "")
        name, data, filename = staged
        try:
            plan = gl_import.gl_import_run(
                actor=request.user, program=self.program, data=data, filename=filename
            )
        except GLImportError as exc:
            return self._refused(GLUploadForm(), exc.problems, filename)
        finally:
            default_storage.delete(name)
        messages.success(
            request,
            f"Imported {filename or 'the file'}: {len(plan.rows)} cost "
            f"entr{'ies' if len(plan.rows) != 1 else 'y'}, {plan.total:,.2f} "
            f"{self.program.currency}.",
        )
        return redirect(f"{list_url(self.program.code)}?gl_import={plan.gl_import.pk}")


class GLTemplateView(ProgramViewMixin, View):
    """The import template: the header and two example rows, as CSV or XLSX."""

    permission_action = "budget.view"
    extension = "csv"

    def get(self, request, code):
        rows = gl_import.template_rows(self.program)
        filename = f"gl-import-template-{self.program.code}.{self.extension}"
        if self.extension == "csv":
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerows(rows)
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(_template_xlsx(rows), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _template_xlsx(rows: list[list[str]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("GL extract")
    bold = book.add_format({"bold": True, "bg_color": "#eef1f6"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})
    text = book.add_format({"num_format": "@"})
    header = rows[0]
    sheet.write_row(0, 0, header, bold)
    for r, row in enumerate(rows[1:], start=1):
        for c, value in enumerate(row):
            name = header[c]
            if name == "Posting date" and value:
                sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), date)
            elif name == "Amount" and value:
                sheet.write_number(r, c, float(value), money)
            else:
                sheet.write_string(r, c, value, text)
    sheet.set_column(0, len(header) - 1, 18)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


# --- accruals -----------------------------------------------------------------------------------


def accrual_url(code: str, key: str) -> str:
    return reverse("budgets:accrual_detail", kwargs={"code": code, "key": key})


class AccrualMixin(ProgramViewMixin):
    nav_section = "budgets:accrual_list"


class AccrualListView(AccrualMixin, TemplateView):
    permission_action = "budget.view"
    template_name = "budgets/actuals/accrual_list.html"

    def get_context_data(self, **kwargs):
        data = {
            k: self.request.GET[k] for k in ("month", "status", "line") if self.request.GET.get(k)
        }
        filterset = selectors.AccrualFilterSet(
            data or None, queryset=selectors.accruals(program=self.program), program=self.program
        )
        rows = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        return super().get_context_data(
            filter=filterset,
            page_obj=paginate(self.request, rows, per_page=PAGE_SIZE),
            totals=selectors.accrual_totals(rows),
            filtered=bool(data),
            can_change=self.access.can("actual.change"),
            **kwargs,
        )


class AccrualCreateView(AccrualMixin, TemplateView):
    permission_action = "actual.change"
    template_name = "budgets/actuals/accrual_form.html"

    def get(self, request, code):
        return self.render_to_response(
            self.get_context_data(form=AccrualForm(program=self.program))
        )

    def post(self, request, code):
        form = AccrualForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                accrual = services.accrual_create(
                    actor=request.user, program=self.program, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{accrual.key} posted to {accrual.month:%B %Y}; it reverses on "
                    f"{services.next_month(accrual.month):%-d %B %Y}.",
                )
                return redirect(accrual_url(code, accrual.key))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AccrualDetailView(AccrualMixin, TemplateView):
    permission_action = "budget.view"
    template_name = "budgets/actuals/accrual_detail.html"

    def get_context_data(self, **kwargs):
        accrual = selectors.accrual_get(program=self.program, key=self.kwargs["key"])
        can_change = self.access.can("actual.change")
        form = kwargs.pop("form", None) or AccrualCancelForm(initial={"version": accrual.version})
        return super().get_context_data(
            accrual=accrual,
            entries=selectors.accrual_entries(accrual),
            history=list(history_for_object(accrual)[:20]),
            cancel_problem=services.cancel_problem(accrual),
            deadline=services.cancel_deadline(accrual),
            can_change=can_change,
            cancelled=accrual.status == AccrualStatus.CANCELLED,
            form=form,
            sources=CostSource,
            **kwargs,
        )


class AccrualCancelView(AccrualMixin, TemplateView):
    permission_action = "actual.change"
    template_name = "budgets/actuals/accrual_detail.html"
    http_method_names = ["post"]

    def post(self, request, code, key):
        accrual = selectors.accrual_get(program=self.program, key=key)
        form = AccrualCancelForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.accrual_cancel(
                    actor=request.user, accrual=accrual,
                    expected_version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                )  # fmt: skip
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(
                    request, f"{accrual.key} cancelled: offsetting entries booked in both months."
                )
                return redirect(accrual_url(code, accrual.key))
        view = AccrualDetailView()
        view.setup(request, code=code, key=key)
        view.access, view.program = self.access, self.program
        return view.render_to_response(view.get_context_data(form=form), status=status)
