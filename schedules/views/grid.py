"""The WBS grid (htmx inline edits, moves, filters, bulk edit) and the item and link pages."""

from __future__ import annotations

import json
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from .. import services
from ..filtersets import ItemFilterSet
from ..forms import (
    INLINE_FIELDS,
    PROGRESS_ONLY_FIELDS,
    BulkEditForm,
    ItemCreateForm,
    ItemForm,
    LinkCreateForm,
    LinkEditForm,
    MoveForm,
    SignoffForm,
    minutes_to_days,
)
from ..models import ItemKind
from ..selectors import grid as selectors

GRID_TEMPLATE = "schedules/grid.html"
GRID_PAGE_SIZE = 100


def _show_error(form, exc) -> None:
    apply_validation_error(form, exc, aliases={"duration_minutes": "duration_days"})


FILTER_KEYS = ("q", "workstream", "owner", "status", "kind", "critical", "late")


def _editable_item(view, key: str):
    """The item, if this user may edit something on it: progress-only roles have nothing to
    edit on a summary, whose progress rolls up from the items below it."""
    item = selectors.item_get(program=view.program, key=key)
    if item.kind == ItemKind.SUMMARY and not view.access.can("schedule.change"):
        raise PermissionDenied("A summary's progress comes from the items below it.")
    return item


def _hx_redirect(url: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


class GridContextMixin:
    """The grid's rows and filters, from the query string (GET) or the included filter form
    (POST from a move or bulk edit, which answer with the refreshed table)."""

    def grid_context(self, params) -> dict:
        program = self.program
        data = {k: params.get(k) for k in FILTER_KEYS if params.get(k)}
        filterset = ItemFilterSet(
            data or None, queryset=selectors.item_grid_rows(program=program), program=program
        )
        page = paginate(SimpleNamespace(GET=params), filterset.qs, per_page=GRID_PAGE_SIZE)
        schedule = services.schedule_for(program)
        calendar = services.program_calendar(program, schedule)
        page.object_list = selectors.with_summary_spans(page.object_list, calendar=calendar)
        can_change = self.access.can("schedule.change")
        return {
            "filter": filterset,
            "filtered": bool(data),
            "page_obj": page,
            "schedule": schedule,
            "today": timezone.localdate(),
            "can_change": can_change,
            "can_progress": self.access.can("schedule.progress"),
            "bulk_form": BulkEditForm(program=program) if can_change else None,
        }

    def render_table(self, params, *, status=200, message="", message_kind="success", focus=""):
        context = self.get_context_data(
            **self.grid_context(params),
            grid_message=message,
            grid_message_kind=message_kind,
            focus_key=focus,
        )
        return self.response_class(
            request=self.request,
            template=[f"{GRID_TEMPLATE}#grid-table"],
            context=context,
            status=status,
        )


class WbsGridView(GridContextMixin, ProgramViewMixin, TemplateView):
    permission_action = "schedule.view"
    nav_section = "schedules:grid"
    template_name = GRID_TEMPLATE

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "grid-table")]

    def get_context_data(self, **kwargs):
        context = self.grid_context(self.request.GET)
        context["focus_key"] = self.request.GET.get("focus", "")
        context.update(kwargs)
        return super().get_context_data(**context)


class BulkEditView(GridContextMixin, ProgramViewMixin, TemplateView):
    """Set owner, status or workstream on the checked rows."""

    permission_action = "schedule.change"
    nav_section = "schedules:grid"
    template_name = GRID_TEMPLATE

    def get(self, request, code):
        return redirect("schedules:grid", code=code)

    def post(self, request, code):
        form = BulkEditForm(request.POST, program=self.program)
        message, kind, status = "", "success", 200
        if form.is_valid():
            try:
                count = services.items_bulk_update(
                    actor=request.user,
                    program=self.program,
                    items=list(form.cleaned_data["items"].order_by("outline_path")),
                    **form.service_kwargs(),
                )
            except ValidationError as exc:
                message, kind, status = " ".join(exc.messages), "danger", 400
            else:
                picked = len(form.cleaned_data["items"])
                message = f"{count} of {picked} item{'s' if picked != 1 else ''} changed."
        else:
            errors = [e for errs in form.errors.values() for e in errs]
            message, kind, status = " ".join(errors), "danger", 400
        if not request.htmx:
            (messages.success if status == 200 else messages.error)(request, message)
            return redirect("schedules:grid", code=code)
        return self.render_table(request.POST, status=status, message=message, message_kind=kind)


class ItemCreateView(ProgramViewMixin, TemplateView):
    """A modal form when opened by htmx, a plain page otherwise."""

    permission_action = "schedule.change"
    nav_section = "schedules:grid"
    template_name = "schedules/item_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "item-form")]

    def get(self, request, code):
        initial = {}
        parent_key = request.GET.get("parent")
        if parent_key:
            parent = selectors.item_get(program=self.program, key=parent_key)
            initial["parent"] = parent.pk
        form = ItemCreateForm(program=self.program, initial=initial)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = ItemCreateForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                item = services.item_create(
                    actor=request.user, program=self.program, **form.service_kwargs()
                )
            except ValidationError as exc:
                _show_error(form, exc)
            else:
                messages.success(request, f"{item.key} {item.name} created at WBS {item.wbs}.")
                # A query, not a #fragment: htmx's redirect to the same page plus a fragment
                # would not reload it.
                url = reverse("schedules:grid", kwargs={"code": code}) + f"?focus={item.key}"
                return _hx_redirect(url) if request.htmx else redirect(url)
        context = self.get_context_data(form=form, creating=True)
        return self.render_to_response(context, status=400)


class ItemDetailView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.view"
    nav_section = "schedules:grid"
    template_name = "schedules/item_detail.html"

    def get_context_data(self, **kwargs):
        program = self.program
        item = kwargs.pop("item", None) or selectors.item_get(
            program=program, key=self.kwargs["key"]
        )
        predecessors, successors = selectors.item_links(item=item)
        calendar = services.program_calendar(program)
        can_change = self.access.can("schedule.change")
        if can_change:
            kwargs.setdefault("link_form", LinkCreateForm(program=program, item=item))
            kwargs.setdefault(
                "move_form",
                MoveForm(
                    program=program,
                    item=item,
                    initial={"action": "under", "parent": item.parent_id, "version": item.version},
                ),
            )
        if item.accepts_signoff and self.access.can("schedule.signoff"):
            kwargs.setdefault("signoff_form", SignoffForm(initial={"version": item.version}))
        return super().get_context_data(
            item=item,
            predecessors=predecessors,
            successors=successors,
            baseline=selectors.item_baseline(item=item, calendar=calendar),
            below=selectors.descendant_count(item=item),
            history=history_for_object(item).order_by("-id")[:8],
            today=timezone.localdate(),
            duration_days=(
                calendar.working_days(item.start, item.finish)  # a summary spans its items
                if item.kind == "summary" and item.start and item.finish
                else minutes_to_days(item.duration_minutes)
            ),
            free_float_days=(
                None
                if item.free_float_minutes is None
                else minutes_to_days(item.free_float_minutes)
            ),
            total_float_days=(
                None
                if item.total_float_minutes is None
                else minutes_to_days(item.total_float_minutes)
            ),
            can_change=can_change,
            **kwargs,
        )


class ItemEditView(ProgramViewMixin, TemplateView):
    """Every editable field; contributors (progress only) see the progress fields."""

    permission_action = "schedule.progress"
    nav_section = "schedules:grid"
    template_name = "schedules/item_form.html"

    def _form(self, item, data=None):
        fields = None if self.access.can("schedule.change") else PROGRESS_ONLY_FIELDS
        kwargs = {"fields": fields} if fields else {}
        return ItemForm(data, program=self.program, item=item, **kwargs)

    def get(self, request, code, key):
        item = _editable_item(self, key)
        return self.render_to_response(self.get_context_data(form=self._form(item), item=item))

    def post(self, request, code, key):
        item = _editable_item(self, key)
        form = self._form(item, request.POST)
        if form.is_valid():
            try:
                item = services.item_update(
                    actor=request.user,
                    item=item,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                _show_error(form, exc)
            else:
                messages.success(request, f"{item.key} saved.")
                return redirect(item)
        return self.render_to_response(self.get_context_data(form=form, item=item), status=400)


class ItemInlineView(GridContextMixin, ProgramViewMixin, TemplateView):
    """htmx row editor: GET swaps the row for inputs, POST saves and swaps the row back."""

    permission_action = "schedule.progress"
    template_name = GRID_TEMPLATE

    def _form(self, item, data=None):
        fields = INLINE_FIELDS if self.access.can("schedule.change") else PROGRESS_ONLY_FIELDS
        return ItemForm(data, program=self.program, item=item, fields=fields)

    def _row(self, item, form=None, status=200, saved=False):
        if item.kind == ItemKind.SUMMARY:
            selectors.with_summary_spans([item], calendar=services.program_calendar(self.program))
        context = self.get_context_data(
            item=item,
            form=form,
            today=timezone.localdate(),
            can_change=self.access.can("schedule.change"),
            can_progress=True,
            saved=saved,
        )
        partial = "grid-row-edit" if form is not None else "grid-row"
        response = self.response_class(
            request=self.request,
            template=[f"{self.template_name}#{partial}"],
            context=context,
            status=status,
        )
        if saved:
            # Other rows' dates may have moved with this one: the grid reloads its rows.
            response["HX-Trigger"] = json.dumps({"grid-refresh": {"focus": f"item-{item.key}"}})
        return response

    def get(self, request, code, key):
        item = _editable_item(self, key)
        if request.GET.get("cancel"):
            return self._row(item)
        return self._row(item, self._form(item))

    def post(self, request, code, key):
        item = _editable_item(self, key)
        form = self._form(item, request.POST)
        if form.is_valid():
            try:
                services.item_update(
                    actor=request.user,
                    item=item,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                _show_error(form, exc)
            else:
                item = selectors.item_get(program=self.program, key=key)
                return self._row(item, saved=True)
        return self._row(item, form, status=422)


class ItemMoveView(GridContextMixin, ProgramViewMixin, TemplateView):
    """Indent, outdent, move up/down or under another item. htmx gets the refreshed grid."""

    permission_action = "schedule.change"
    nav_section = "schedules:grid"
    template_name = GRID_TEMPLATE

    def get(self, request, code, key):
        item = selectors.item_get(program=self.program, key=key)
        return redirect(item)

    def post(self, request, code, key):
        item = selectors.item_get(program=self.program, key=key)
        form = MoveForm(request.POST, program=self.program, item=item)
        message, kind, status = "", "success", 200
        if not form.is_valid():
            errors = [e for errs in form.errors.values() for e in errs]
            message, kind, status = " ".join(errors), "danger", 400
        else:
            data = form.cleaned_data
            version = data.get("version")
            action = data["action"]
            try:
                if action == "indent":
                    moved = services.item_indent(
                        actor=request.user, item=item, expected_version=version
                    )
                elif action == "outdent":
                    moved = services.item_outdent(
                        actor=request.user, item=item, expected_version=version
                    )
                elif action in ("up", "down"):
                    moved = services.item_reorder(
                        actor=request.user,
                        item=item,
                        expected_version=version,
                        delta=-1 if action == "up" else 1,
                    )
                else:
                    moved = services.item_move(
                        actor=request.user,
                        item=item,
                        expected_version=version,
                        parent=data.get("parent"),
                    )
            except StaleVersionError as exc:
                message = f"{exc} Nothing was moved; the grid now shows the current outline."
                kind, status = "warning", 409
            except ValidationError as exc:
                message, kind, status = " ".join(exc.messages), "warning", 400
            else:
                message = f"{moved.key} is now WBS {moved.wbs}."
        if not request.htmx:
            (messages.success if status == 200 else messages.error)(request, message)
            return redirect(item)
        return self.render_table(
            request.POST, status=status, message=message, message_kind=kind, focus=item.key
        )


class ItemDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.change"
    nav_section = "schedules:grid"
    template_name = "schedules/item_confirm_delete.html"

    def get(self, request, code, key):
        item = selectors.item_get(program=self.program, key=key)
        return self.render_to_response(
            self.get_context_data(item=item, below=selectors.descendant_count(item=item))
        )

    def post(self, request, code, key):
        item = selectors.item_get(program=self.program, key=key)
        try:
            count = services.item_delete(
                actor=request.user, item=item, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
            return redirect(item)
        extra = f" and {count - 1} item{'s' if count != 2 else ''} below it" if count > 1 else ""
        messages.success(request, f"{item.key} {item.name}{extra} deleted.")
        return redirect("schedules:grid", code=code)


class ItemSignoffView(ProgramViewMixin, TemplateView):
    """Accept a milestone or deliverable (with the evidence), or revoke the acceptance."""

    permission_action = "schedule.signoff"
    nav_section = "schedules:grid"
    template_name = "schedules/item_detail.html"

    def get(self, request, code, key):
        item = selectors.item_get(program=self.program, key=key)
        return redirect(item)

    def post(self, request, code, key):
        item = selectors.item_get(program=self.program, key=key)
        if not item.accepts_signoff:
            messages.error(request, "Only milestones and deliverables are signed off.")
            return redirect(item)
        if request.POST.get("action") == "revoke":
            try:
                services.item_signoff_revoke(
                    actor=request.user, item=item, expected_version=posted_version(request)
                )
            except StaleVersionError as exc:
                messages.error(request, f"{exc} The sign-off was not revoked; review it first.")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Sign-off of {item.key} revoked.")
            return redirect(item)
        form = SignoffForm(request.POST)
        if form.is_valid():
            try:
                services.item_signoff(
                    actor=request.user,
                    item=item,
                    expected_version=form.cleaned_data["version"],
                    evidence=form.cleaned_data["evidence"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "acceptance_evidence" in exc.error_dict:
                    form.add_error("evidence", exc.error_dict["acceptance_evidence"])
                else:
                    _show_error(form, exc)
            else:
                messages.success(request, f"{item.key} signed off.")
                return redirect(item)
        view = ItemDetailView()
        view.setup(request, code=code, key=key)
        view.access, view.program = self.access, self.program
        context = view.get_context_data(item=item, signoff_form=form)
        return self.response_class(
            request=request, template=[self.template_name], context=context, status=400
        )


class LinkCreateView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.change"
    nav_section = "schedules:grid"
    template_name = "schedules/link_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "link-form")]

    def get(self, request, code, key):
        item = selectors.item_get(program=self.program, key=key)
        initial = {"direction": request.GET.get("direction", "predecessor")}
        form = LinkCreateForm(program=self.program, item=item, initial=initial)
        return self.render_to_response(self.get_context_data(form=form, item=item, creating=True))

    def post(self, request, code, key):
        item = selectors.item_get(program=self.program, key=key)
        form = LinkCreateForm(request.POST, program=self.program, item=item)
        if form.is_valid():
            try:
                link = services.dependency_create(
                    actor=request.user, program=self.program, **form.service_kwargs()
                )
            except ValidationError as exc:
                _show_error(form, exc)
            else:
                messages.success(request, f"Link {link} added.")
                url = item.get_absolute_url() + "#links"
                return _hx_redirect(url) if request.htmx else redirect(url)
        context = self.get_context_data(form=form, item=item, creating=True)
        return self.render_to_response(context, status=400)


class LinkEditView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.change"
    nav_section = "schedules:grid"
    template_name = "schedules/link_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "link-form")]

    def _item(self, link):
        """The item whose page the editor came from (the successor unless told otherwise)."""
        back = self.request.GET.get("from") or self.request.POST.get("from")
        return link.predecessor if back == link.predecessor.key else link.successor

    def get(self, request, code, pk):
        link = selectors.link_get(program=self.program, pk=pk)
        form = LinkEditForm(
            initial={
                "version": link.version,
                "type": link.type,
                "lag_days": minutes_to_days(link.lag_minutes),
            }
        )
        context = self.get_context_data(form=form, link=link, item=self._item(link))
        return self.render_to_response(context)

    def post(self, request, code, pk):
        link = selectors.link_get(program=self.program, pk=pk)
        form = LinkEditForm(request.POST)
        item = self._item(link)
        if form.is_valid():
            try:
                link = services.dependency_update(
                    actor=request.user,
                    dependency=link,
                    expected_version=form.cleaned_data["version"],
                    **form.service_kwargs(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                _show_error(form, exc)
            else:
                messages.success(request, f"Link {link} saved.")
                url = item.get_absolute_url() + "#links"
                return _hx_redirect(url) if request.htmx else redirect(url)
        context = self.get_context_data(form=form, link=link, item=item)
        return self.render_to_response(context, status=400)


class LinkDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.change"
    nav_section = "schedules:grid"
    template_name = "schedules/link_confirm_delete.html"

    def _item(self, link):
        back = self.request.GET.get("from") or self.request.POST.get("from")
        return link.predecessor if back == link.predecessor.key else link.successor

    def get(self, request, code, pk):
        link = selectors.link_get(program=self.program, pk=pk)
        return self.render_to_response(self.get_context_data(link=link, item=self._item(link)))

    def post(self, request, code, pk):
        link = selectors.link_get(program=self.program, pk=pk)
        item = self._item(link)
        try:
            services.dependency_delete(
                actor=request.user, dependency=link, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review the link first.")
        else:
            messages.success(request, f"Link {link} removed.")
        return redirect(item.get_absolute_url() + "#links")
