"""Backlog pages: the filtered list (htmx filters, inline status), an item (WSJF breakdown,
dependencies both ways with cross-team flags, requirements, history), its forms, status,
dependencies and requirement links. Grooming, iterations and the Jira import are in
backlog_grooming.py, backlog_iterations.py and backlog_import.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.backlog import (
    SCORE_HELP,
    BacklogItemEditForm,
    BacklogItemForm,
    DependencyForm,
    RequirementLinkForm,
    StatusForm,
    item_initial,
)
from ..models import BacklogItem, BacklogStatus, Requirement
from ..selectors import backlog as selectors
from ..services import backlog as services

NAV = "releases:backlog_list"
FILTERS = ("q", "workstream", "status", "kind", "priority", "iteration", "assignee",
           "cross_team", "sort")  # fmt: skip


def list_url(code: str) -> str:
    return reverse("releases:backlog_list", kwargs={"code": code})


class BacklogMixin(ProgramViewMixin):
    nav_section = NAV

    def get_item(self) -> BacklogItem:
        return selectors.item_get(program=self.program, key=self.kwargs["key"])


class BacklogListView(BacklogMixin, TemplateView):
    permission_action = "backlog.view"
    template_name = "releases/backlog/backlog_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "backlog-table")]

    def get_context_data(self, **kwargs):
        data = {k: self.request.GET[k] for k in FILTERS if self.request.GET.get(k)}
        filterset = selectors.BacklogFilterSet(
            data or None, queryset=selectors.backlog_list(program=self.program),
            program=self.program,
        )  # fmt: skip
        rows = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        page = paginate(self.request, rows, per_page=50)
        page.object_list = selectors.annotate_links(page.object_list)
        return super().get_context_data(
            filter=filterset,
            page_obj=page,
            filtered=any(k != "sort" for k in data),
            counts=selectors.status_counts(program=self.program),
            statuses=BacklogStatus.choices,
            can_change=self.access.can("backlog.change"),
            can_import=self.access.can("backlog.import"),
            **kwargs,
        )


class BacklogDetailView(BacklogMixin, TemplateView):
    permission_action = "backlog.view"
    template_name = "releases/backlog/backlog_detail.html"

    def get_context_data(self, **kwargs):
        item = kwargs.pop("item", None) or self.get_item()
        can_change = self.access.can("backlog.change")
        history = history_for_object(item)
        scores = [
            {"label": label, "value": getattr(item, name), "help": SCORE_HELP[name]}
            for name, label in (("business_value", "Business value"),
                                ("time_criticality", "Time criticality"),
                                ("risk_reduction", "Risk reduction / opportunity"))
        ]  # fmt: skip
        cost_of_delay = (
            None if any(s["value"] is None for s in scores) else sum(s["value"] for s in scores)
        )
        return super().get_context_data(
            item=item,
            links=selectors.links_of(item),
            labels=[label.strip() for label in item.labels.split(",") if label.strip()],
            requirements=list(item.requirements.all()),
            scores=scores,
            cost_of_delay=cost_of_delay,
            history=list(history[:15]),
            history_count=history.count(),
            status_colour=selectors.STATUS_COLOURS[item.status],
            priority_colour=selectors.PRIORITY_COLOURS[item.priority],
            can_change=can_change,
            can_groom=selectors.can_groom(self.access, self.request.user, item.workstream),
            dependency_form=kwargs.pop("dependency_form", None) or DependencyForm(item=item),
            requirement_form=kwargs.pop("requirement_form", None)
            or RequirementLinkForm(program=self.program),
            status_form=StatusForm(initial={"status": item.status, "version": item.version}),
            statuses=BacklogStatus.choices,
            **kwargs,
        )


class BacklogCreateView(BacklogMixin, TemplateView):
    permission_action = "backlog.change"
    template_name = "releases/backlog/backlog_form.html"

    def get(self, request, code):
        initial = {}
        ws = request.GET.get("workstream")
        if ws:
            initial["workstream"] = self.program.workstreams.filter(key=ws.upper()).first()
        if request.GET.get("requirement"):
            found = Requirement.objects.filter(
                program=self.program, key=request.GET["requirement"].upper()
            ).first()
            if found:
                initial["requirements"] = [found.pk]
        form = BacklogItemForm(program=self.program, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = BacklogItemForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                item = services.backlog_item_create(
                    actor=request.user, program=self.program, **form.service_fields()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{item.key} added to {item.workstream.name}'s backlog.")
                return redirect(item)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class BacklogEditView(BacklogMixin, TemplateView):
    permission_action = "backlog.change"
    template_name = "releases/backlog/backlog_form.html"

    def get(self, request, code, key):
        item = self.get_item()
        form = BacklogItemEditForm(program=self.program, item=item, initial=item_initial(item))
        return self.render_to_response(self.get_context_data(form=form, item=item))

    def post(self, request, code, key):
        item = self.get_item()
        form = BacklogItemEditForm(request.POST, program=self.program, item=item)
        status = 400
        if form.is_valid():
            fields = form.service_fields()
            try:
                item = services.backlog_item_update(
                    actor=request.user, item=item,
                    expected_version=form.cleaned_data["version"], **fields,
                )  # fmt: skip
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{item.key} saved.")
                return redirect(item)
        return self.render_to_response(self.get_context_data(form=form, item=item), status=status)


class BacklogDeleteView(BacklogMixin, TemplateView):
    permission_action = "backlog.change"
    template_name = "releases/backlog/confirm.html"

    def get(self, request, code, key):
        item = self.get_item()
        blocks = [link.item.key for link in selectors.links_of(item).blocks]
        problem = ""
        if blocks:
            problem = (
                f"{', '.join(blocks)} depend{'s' if len(blocks) == 1 else ''} on {item.key}. "
                "Remove those dependencies first, or set its status to Removed."
            )
        return self.render_to_response(
            self.get_context_data(
                item=item, problem=problem, title=f"Delete {item.key} {item.title}?",
                text="Delete an item only when it was created in error; an item the program "
                "decided not to do is better set to Removed, so the decision stays visible. Its "
                "history stays in the program's activity log.",
                version=item.version, button="Delete item", cancel_url=item.get_absolute_url(),
            )
        )  # fmt: skip

    def post(self, request, code, key):
        item = self.get_item()
        try:
            services.backlog_item_delete(
                actor=request.user, item=item, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{item.key} {item.title} deleted.")
            return redirect(list_url(code))
        return redirect(item)


class BacklogStatusView(BacklogMixin, TemplateView):
    """Change an item's status: inline on the list (answers the row) or from its page."""

    permission_action = "backlog.change"
    template_name = "releases/backlog/_row.html"
    http_method_names = ["post"]

    def post(self, request, code, key):
        item = self.get_item()
        form = StatusForm(request.POST)
        error = ""
        if form.is_valid():
            try:
                services.backlog_item_set_status(
                    actor=request.user, item=item, status=form.cleaned_data["status"],
                    expected_version=form.cleaned_data["version"],
                )  # fmt: skip
            except StaleVersionError as exc:
                error = f"{exc} Reload to see the change."
            except ValidationError as exc:
                error = " ".join(exc.messages)
        else:
            error = "Choose a status."
        if not request.htmx:
            (messages.error if error else messages.success)(
                request, error or f"{item.key} is now {BacklogStatus(form.data['status']).label}."
            )
            return redirect(item)
        row = selectors.annotate_links([self.get_item()])[0]
        return self.render_to_response(
            self.get_context_data(i=row, row_error=error, statuses=BacklogStatus.choices,
                                  can_change=True),
            status=409 if error else 200,
        )  # fmt: skip


class _LinkView(BacklogMixin, TemplateView):
    """Add or remove a dependency or requirement link from the item's page."""

    permission_action = "backlog.change"
    template_name = "releases/backlog/backlog_detail.html"
    http_method_names = ["post"]

    def refuse(self, item, **forms) -> HttpResponse:
        view = BacklogDetailView()
        view.setup(self.request, code=self.program.code, key=item.key)
        view.access, view.program = self.access, self.program
        return view.render_to_response(view.get_context_data(item=item, **forms), status=400)


class DependencyAddView(_LinkView):
    def post(self, request, code, key):
        item = self.get_item()
        form = DependencyForm(request.POST, item=item)
        if form.is_valid():
            needed = form.cleaned_data["depends_on"]
            try:
                services.backlog_dependency_add(actor=request.user, item=item, depends_on=needed)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                text = f"{item.key} now depends on {needed.key}."
                if needed.workstream_id != item.workstream_id:
                    text += f" Cross-team: {needed.workstream.name} delivers it."
                messages.success(request, text)
                return redirect(item.get_absolute_url() + "#dependencies")
        return self.refuse(item, dependency_form=form)


class DependencyRemoveView(_LinkView):
    def post(self, request, code, key):
        item = self.get_item()
        needed = BacklogItem.objects.filter(
            program=self.program, key=request.POST.get("depends_on", "").upper()
        ).first()
        if needed is not None:
            services.backlog_dependency_remove(actor=request.user, item=item, depends_on=needed)
            messages.success(request, f"{item.key} no longer depends on {needed.key}.")
        return redirect(item.get_absolute_url() + "#dependencies")


class RequirementLinkView(_LinkView):
    def post(self, request, code, key):
        item = self.get_item()
        form = RequirementLinkForm(request.POST, program=self.program)
        if form.is_valid():
            requirement = form.cleaned_data["requirement"]
            services.backlog_requirement_link(
                actor=request.user, item=item, requirement=requirement
            )
            messages.success(request, f"{item.key} now delivers {requirement.key}.")
            return redirect(item.get_absolute_url() + "#requirements")
        return self.refuse(item, requirement_form=form)


class RequirementUnlinkView(_LinkView):
    def post(self, request, code, key):
        item = self.get_item()
        requirement = Requirement.objects.filter(
            program=self.program, key=request.POST.get("requirement", "").upper()
        ).first()
        if requirement is not None:
            services.backlog_requirement_unlink(
                actor=request.user, item=item, requirement=requirement
            )
            messages.success(request, f"{requirement.key} unlinked from {item.key}.")
        return redirect(item.get_absolute_url() + "#requirements")
