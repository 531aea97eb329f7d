"""RACI pages: the grid (a select per cell, rows saved one at a time over htmx with their version),
row and column forms, moves, removals and the CSV/XLSX exports.

Without JavaScript every control still works: each row is a plain form (its selects point at it
with the `form` attribute), and refusals re-render the grid with the user's letters kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.forms import apply_validation_error, display_value, posted_version
from core.htmx import page_or_partial, wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from ..forms_raci import CELL_CHOICES, RaciCellsForm, RaciColumnForm, RaciRowForm, cell_field_name
from ..models.raci import LETTER_TEXT, RaciLetter, normalise_letter
from ..selectors import raci as selectors
from ..services import raci as services

GRID_TEMPLATE = "governance/raci_grid.html"


def _grid_url(code: str, *, focus: str = "") -> str:
    url = reverse("governance:raci", kwargs={"code": code})
    return f"{url}?focus={focus}" if focus else url


def _hx_redirect(url: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def _messages_of(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _conflict_text(exc: StaleVersionError, what: str, kept: str = "letters") -> str:
    parts = [
        f"{field.replace('_', ' ').capitalize()}: {display_value(was)} → {display_value(now)}"
        for field, (was, now) in exc.changed_fields.items()
    ]
    who = ", ".join(exc.changed_by) or "Someone else"
    detail = "; ".join(parts) or "no visible fields"
    return (
        f"{who} changed {what} while you were editing ({detail}). Your {kept} are kept below; "
        "review them and save again to apply them."
    )


def _posted_letters(data, columns) -> dict[int, str]:
    """The letters a form posted, as far as they are letters (the rest is shown as empty)."""
    letters = {}
    for column in columns:
        try:
            letter = normalise_letter(data.get(cell_field_name(column), ""))
        except ValueError:
            letter = ""
        if letter:
            letters[column.pk] = letter
    return letters


class RaciViewMixin:
    """The grid's context, shared by the page and by the actions that answer with it."""

    nav_section = "governance:raci"

    def grid_context(self, **overrides) -> dict:
        matrix = selectors.raci_matrix(program=self.program)
        override_row = overrides.pop("override_row", None)
        if override_row is not None:
            matrix.rows = [
                override_row if r.row.pk == override_row.row.pk else r for r in matrix.rows
            ]
        can_change = self.access.can("raci.change")
        return {
            "matrix": matrix,
            "column_counts": matrix.column_counts(),
            "can_change": can_change,
            "cell_choices": CELL_CHOICES,
            "letter_text": LETTER_TEXT,
            "letter_legend": [(v, LETTER_TEXT[v], label) for v, label in RaciLetter.choices],
            **overrides,
        }

    def render_grid(self, *, status: int = 200, partial: bool | None = None, **overrides):
        partial = wants_partial(self.request) if partial is None else partial
        template = f"{GRID_TEMPLATE}#raci-grid" if partial else GRID_TEMPLATE
        context = self.get_context_data(**self.grid_context(**overrides))
        return self.response_class(
            request=self.request, template=[template], context=context, status=status
        )


class RaciGridView(RaciViewMixin, ProgramViewMixin, TemplateView):
    permission_action = "raci.view"
    template_name = GRID_TEMPLATE

    def get(self, request, code):
        return self.render_grid(focus=request.GET.get("focus", ""))


class RaciRowCellsView(RaciViewMixin, ProgramViewMixin, TemplateView):
    """Save the letters of one row (htmx answers with the row; a plain POST with the page).

    GET gives the row as stored (the grid's "revert"), or the grid page without htmx."""

    permission_action = "raci.change"
    template_name = GRID_TEMPLATE

    def _row_response(self, matrix_row, *, status=200, errors=(), conflict="", saved=False):
        matrix_row.errors, matrix_row.conflict, matrix_row.saved = list(errors), conflict, saved
        context = self.get_context_data(**self.grid_context(), mrow=matrix_row)
        return self.response_class(
            request=self.request,
            template=[f"{GRID_TEMPLATE}#raci-row"],
            context=context,
            status=status,
        )

    def get(self, request, code, pk):
        row = selectors.raci_row_get(program=self.program, pk=pk)
        if not request.htmx:
            return redirect(_grid_url(code, focus=f"row-{row.pk}"))
        columns = list(selectors.raci_columns(program=self.program))
        return self._row_response(selectors.raci_matrix_row(row=row, columns=columns))

    def post(self, request, code, pk):
        row = selectors.raci_row_get(program=self.program, pk=pk)
        columns = list(selectors.raci_columns(program=self.program))
        form = RaciCellsForm(request.POST, columns=columns, row=row)
        errors: list[str] = []
        conflict = ""
        status = 200
        if form.is_valid():
            try:
                row = services.raci_row_update(
                    actor=request.user,
                    row=row,
                    expected_version=form.cleaned_data["version"],
                    cells=form.cells(),
                )
            except StaleVersionError as exc:
                conflict, status = _conflict_text(exc, "this row"), 409
                row = exc.current  # the next save is based on what is stored now
            except ValidationError as exc:
                errors, status = _messages_of(exc), 400
        else:
            errors = [e for field_errors in form.errors.values() for e in field_errors]
            status = 400
        if status == 200:
            row = selectors.raci_row_get(program=self.program, pk=row.pk)
            if not request.htmx:
                messages.success(request, f"Row “{row.label}” saved.")
                return redirect(_grid_url(code, focus=f"row-{row.pk}"))
            return self._row_response(
                selectors.raci_matrix_row(row=row, columns=columns), saved=True
            )
        kept = selectors.raci_matrix_row(
            row=row, columns=columns, letters=_posted_letters(request.POST, columns)
        )
        if not request.htmx:
            kept.errors, kept.conflict = errors, conflict
            return self.render_grid(
                status=status, partial=False, override_row=kept, focus=f"row-{row.pk}"
            )
        return self._row_response(kept, status=status, errors=errors, conflict=conflict)


class RaciRowCreateView(ProgramViewMixin, TemplateView):
    """A new row with its letters: a modal over the grid (htmx) or a page."""

    permission_action = "raci.change"
    nav_section = "governance:raci"
    template_name = "governance/raci_row_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "raci-row-form")]

    def _form(self, data=None):
        columns = list(selectors.raci_columns(program=self.program))
        return RaciRowForm(data, program=self.program, columns=columns), columns

    def get(self, request, code):
        form, columns = self._form()
        return self.render_to_response(self.get_context_data(form=form, columns=columns))

    def post(self, request, code):
        form, columns = self._form(request.POST)
        if form.is_valid():
            try:
                row = services.raci_row_create(
                    actor=request.user, program=self.program, **form.service_kwargs()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Row “{row.label}” added.")
                url = _grid_url(code, focus=f"row-{row.pk}")
                return _hx_redirect(url) if request.htmx else redirect(url)
        context = self.get_context_data(form=form, columns=columns)
        return self.render_to_response(context, status=400)


class RaciRowEditView(ProgramViewMixin, TemplateView):
    """Every field of a row: what it stands for and its letters (also the no-JS editor)."""

    permission_action = "raci.change"
    nav_section = "governance:raci"
    template_name = "governance/raci_row_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "raci-row-form")]

    def _form(self, row, data=None):
        columns = list(selectors.raci_columns(program=self.program))
        letters = dict(row.cells.values_list("column_id", "letter"))
        form = RaciRowForm(data, program=self.program, columns=columns, row=row, letters=letters)
        return form, columns

    def get(self, request, code, pk):
        row = selectors.raci_row_get(program=self.program, pk=pk)
        form, columns = self._form(row)
        return self.render_to_response(self.get_context_data(form=form, columns=columns, row=row))

    def post(self, request, code, pk):
        row = selectors.raci_row_get(program=self.program, pk=pk)
        form, columns = self._form(row, request.POST)
        if form.is_valid():
            data = form.service_kwargs()
            try:
                row = services.raci_row_update(
                    actor=request.user,
                    row=row,
                    expected_version=form.cleaned_data["version"],
                    **data,
                )
            except StaleVersionError as exc:
                form.add_error(None, _conflict_text(exc, "this row"))
                form.conflict = exc
                form.data = form.data.copy()
                form.data["version"] = str(exc.current.version)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Row “{row.label}” saved.")
                url = _grid_url(code, focus=f"row-{row.pk}")
                return _hx_redirect(url) if request.htmx else redirect(url)
        context = self.get_context_data(form=form, columns=columns, row=row)
        return self.render_to_response(context, status=400)


class RaciRowMoveView(RaciViewMixin, ProgramViewMixin, TemplateView):
    """Move a row up or down; htmx gets the refreshed grid."""

    permission_action = "raci.change"
    template_name = GRID_TEMPLATE

    def get(self, request, code, pk):
        return redirect(_grid_url(code))

    def post(self, request, code, pk):
        row = selectors.raci_row_get(program=self.program, pk=pk)
        direction = request.POST.get("direction")
        message, kind, status = "", "success", 200
        if direction not in ("up", "down"):
            message, kind, status = "Say whether to move the row up or down.", "danger", 400
        else:
            try:
                services.raci_row_move(
                    actor=request.user,
                    row=row,
                    expected_version=posted_version(request),
                    delta=-1 if direction == "up" else 1,
                )
            except StaleVersionError as exc:
                message = f"{exc} Nothing was moved; the grid now shows the current rows."
                kind, status = "warning", 409
            else:
                message = f"Row “{row.label}” moved {direction}."
        if not request.htmx:
            (messages.success if status == 200 else messages.error)(request, message)
            return redirect(_grid_url(code, focus=f"row-{row.pk}"))
        return self.render_grid(
            status=status,
            partial=True,
            grid_message=message,
            grid_message_kind=kind,
            focus=f"row-{row.pk}",
        )


class RaciRowDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "raci.change"
    nav_section = "governance:raci"
    template_name = "governance/raci_confirm_delete.html"

    def get(self, request, code, pk):
        row = selectors.raci_row_get(program=self.program, pk=pk)
        return self.render_to_response(self.get_context_data(row=row, what="row"))

    def post(self, request, code, pk):
        row = selectors.raci_row_get(program=self.program, pk=pk)
        try:
            services.raci_row_delete(
                actor=request.user, row=row, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was removed; review the row first.")
            return redirect(_grid_url(code, focus=f"row-{row.pk}"))
        messages.success(request, f"Row “{row.label}” removed from the matrix.")
        return redirect(_grid_url(code))


class RaciColumnCreateView(ProgramViewMixin, TemplateView):
    permission_action = "raci.change"
    nav_section = "governance:raci"
    template_name = "governance/raci_column_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "raci-column-form")]

    def get(self, request, code):
        form = RaciColumnForm(program=self.program)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = RaciColumnForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                column = services.raci_column_create(
                    actor=request.user, program=self.program, **form.service_kwargs()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Column “{column.label}” added.")
                url = _grid_url(code)
                return _hx_redirect(url) if request.htmx else redirect(url)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class RaciColumnEditView(ProgramViewMixin, TemplateView):
    permission_action = "raci.change"
    nav_section = "governance:raci"
    template_name = "governance/raci_column_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "raci-column-form")]

    def get(self, request, code, pk):
        column = selectors.raci_column_get(program=self.program, pk=pk)
        form = RaciColumnForm(program=self.program, column=column)
        return self.render_to_response(self.get_context_data(form=form, column=column))

    def post(self, request, code, pk):
        column = selectors.raci_column_get(program=self.program, pk=pk)
        form = RaciColumnForm(request.POST, program=self.program, column=column)
        if form.is_valid():
            try:
                column = services.raci_column_update(
                    actor=request.user,
                    column=column,
                    expected_version=form.cleaned_data["version"],
                    **form.service_kwargs(),
                )
            except StaleVersionError as exc:
                form.add_error(None, _conflict_text(exc, "this column", kept="changes"))
                form.conflict = exc
                form.data = form.data.copy()
                form.data["version"] = str(exc.current.version)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Column “{column.label}” saved.")
                url = _grid_url(code)
                return _hx_redirect(url) if request.htmx else redirect(url)
        context = self.get_context_data(form=form, column=column)
        return self.render_to_response(context, status=400)


class RaciColumnMoveView(RaciViewMixin, ProgramViewMixin, TemplateView):
    permission_action = "raci.change"
    template_name = GRID_TEMPLATE

    def get(self, request, code, pk):
        return redirect(_grid_url(code))

    def post(self, request, code, pk):
        column = selectors.raci_column_get(program=self.program, pk=pk)
        direction = request.POST.get("direction")
        message, kind, status = "", "success", 200
        if direction not in ("left", "right"):
            message, kind, status = "Say whether to move the column left or right.", "danger", 400
        else:
            try:
                services.raci_column_move(
                    actor=request.user,
                    column=column,
                    expected_version=posted_version(request),
                    delta=-1 if direction == "left" else 1,
                )
            except StaleVersionError as exc:
                message = f"{exc} Nothing was moved; the grid now shows the current columns."
                kind, status = "warning", 409
            else:
                message = f"Column “{column.label}” moved {direction}."
        if not request.htmx:
            (messages.success if status == 200 else messages.error)(request, message)
            return redirect(_grid_url(code))
        return self.render_grid(
            status=status, partial=True, grid_message=message, grid_message_kind=kind
        )


class RaciColumnDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "raci.change"
    nav_section = "governance:raci"
    template_name = "governance/raci_confirm_delete.html"

    def get(self, request, code, pk):
        column = selectors.raci_column_get(program=self.program, pk=pk)
        return self.render_to_response(
            self.get_context_data(column=column, what="column", letters=column.cells.count())
        )

    def post(self, request, code, pk):
        column = selectors.raci_column_get(program=self.program, pk=pk)
        try:
            rows = services.raci_column_delete(
                actor=request.user, column=column, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was removed; review the column first.")
            return redirect(_grid_url(code))
        except ValidationError as exc:
            context = self.get_context_data(
                column=column,
                what="column",
                letters=column.cells.count(),
                refusal=" ".join(exc.messages),
            )
            return self.render_to_response(context, status=400)
        extra = f"; {rows} row{'s' if rows != 1 else ''} lost a letter" if rows else ""
        messages.success(request, f"Column “{column.label}” removed{extra}.")
        return redirect(_grid_url(code))


class RaciExportCsvView(ProgramViewMixin, TemplateView):
    permission_action = "raci.view"

    def get(self, request, code):
        response = StreamingHttpResponse(
            selectors.raci_csv_lines(program=self.program), content_type="text/csv; charset=utf-8"
        )
        filename = selectors.export_filename(self.program, "csv")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RaciExportXlsxView(ProgramViewMixin, TemplateView):
    permission_action = "raci.view"

    def get(self, request, code):
        response = HttpResponse(
            selectors.raci_xlsx_bytes(program=self.program), content_type=XLSX_TYPE
        )
        filename = selectors.export_filename(self.program, "xlsx")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
