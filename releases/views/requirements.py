"""Requirement pages: the list (htmx filters, status tabs, inline status steps), a requirement
with everything it traces to and its revision history, the forms, the status steps and delete.

A list page is a fixed handful of queries whatever the number of rows: the status counts, the
page count, the page of rows with their counts as subqueries, the filter bar's choices.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial, wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.requirements import RequirementForm, RequirementTransitionForm
from ..models import RequirementStatus
from ..selectors import requirements as selectors
from ..services import requirements as services
from ..services.requirements import TRANSITIONS

NAV = "releases:requirement_list"
TEMPLATES = "releases/requirements/"
LIST_TEMPLATE = TEMPLATES + "requirement_list.html"
FILTER_KEYS = ("q", "priority", "type", "source", "workstream", "owner", "sort")
CHANGED_EVENT = "requirement-changed"


def _url_of(row) -> str:
    """The row's page, or "" while the area that shows it is not there (pages of the releases
    app are built area by area)."""
    try:
        return row.get_absolute_url()
    except NoReverseMatch:
        return ""


def _with_urls(rows, program):
    for row in rows:
        row.program = program  # the same program: no query per row for its code
        row.url = _url_of(row)
    return rows


def _go(request, url: str) -> HttpResponse:
    """After a successful write: a redirect, or HX-Redirect for an htmx form."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class RequirementMixin(ProgramViewMixin):
    nav_section = NAV

    def get_requirement(self):
        return selectors.requirement_get(program=self.program, key=self.kwargs["key"])

    def steps_for(self, status: str) -> list:
        """The status steps this user may take from `status`."""
        return [t for t in services.transitions_from(status) if self.access.can(t.permission)]


# --- the list -------------------------------------------------------------------------------------


class RequirementListView(RequirementMixin, TemplateView):
    permission_action = "requirement.view"
    template_name = LIST_TEMPLATE

    def get_template_names(self):
        if wants_partial(self.request) and self.request.GET.get("part") == "tabs":
            return [f"{self.template_name}#requirement-tabs"]
        return [page_or_partial(self.request, self.template_name, "requirement-table")]

    def get_context_data(self, **kwargs):
        params = self.request.GET.copy()
        for name in ("part", "page", "per_page"):
            params.pop(name, None)
        status = params.pop("status", [""])[-1]
        status = status if status in RequirementStatus.values else ""
        filterset = selectors.RequirementFilterSet(
            params or None,
            queryset=selectors.requirement_list(program=self.program),
            program=self.program,
        )
        filtered = filterset.qs
        counts = selectors.status_counts(queryset=filtered)
        rows = filtered.filter(status=status) if status else filtered
        count = counts[status] if status else sum(counts.values())
        page = paginate(self.request, rows, count=count)
        can_change = self.access.can("requirement.change")
        for row in page.object_list:
            row.steps = self.steps_for(row.status) if can_change else []
            row.status_colour = selectors.STATUS_COLOURS[row.status]
            row.priority_colour = selectors.PRIORITY_COLOURS[row.priority]
        return super().get_context_data(
            filter=filterset,
            page_obj=page,
            status=status,
            tabs=[
                (
                    value,
                    RequirementStatus(value).label,
                    counts[value],
                    selectors.STATUS_COLOURS[value],
                )
                for value in RequirementStatus.values
            ],
            total=sum(counts.values()),
            filtered_by=any(params.get(name) for name in FILTER_KEYS if name != "sort"),
            can_change=can_change,
            changed_event=CHANGED_EVENT,
            **kwargs,
        )


class RequirementRowStatusView(RequirementMixin, TemplateView):
    """The list's inline status step: POST a transition (and a reason where one is needed) and
    get the row back; a step that needs a reason, a refusal or a conflict comes back as the row
    with the message, keeping what was typed. GET answers the plain row (cancel)."""

    permission_action = "requirement.change"
    template_name = LIST_TEMPLATE

    def row_response(self, requirement, *, form=None, error="", status=200, saved=False):
        row = selectors.requirement_list(program=self.program).get(pk=requirement.pk)
        row.steps = self.steps_for(row.status)
        row.status_colour = selectors.STATUS_COLOURS[row.status]
        row.priority_colour = selectors.PRIORITY_COLOURS[row.priority]
        context = self.get_context_data(
            r=row, form=form, row_error=error, saved=saved, can_change=True
        )
        response = self.response_class(
            request=self.request,
            template=[f"{self.template_name}#requirement-row"],
            context=context,
            status=status,
        )
        if saved:
            response["HX-Trigger"] = CHANGED_EVENT
        return response

    def get(self, request, code, key):
        requirement = self.get_requirement()
        step = TRANSITIONS.get(request.GET.get("transition", ""))
        if step is not None and step.needs_reason:
            form = RequirementTransitionForm(
                initial={"transition": step.name, "version": requirement.version}
            )
            return self.row_response(requirement, form=form)
        return self.row_response(requirement)

    def post(self, request, code, key):
        requirement = self.get_requirement()
        step = TRANSITIONS.get(request.POST.get("transition", ""))
        if step is not None and step.needs_reason and "reason" not in request.POST:
            # chosen in the row's menu: ask for the reason first
            form = RequirementTransitionForm(
                initial={"transition": step.name, "version": request.POST.get("version")}
            )
            return self.row_response(requirement, form=form)
        form = RequirementTransitionForm(request.POST)
        if not form.is_valid():
            if "transition" in form.errors or "version" in form.errors:
                return self.row_response(
                    requirement, error="Choose a step from the list.", status=400
                )
            return self.row_response(requirement, form=form, status=422)
        step = TRANSITIONS[form.cleaned_data["transition"]]
        if not self.access.can(step.permission):
            return self.row_response(
                requirement,
                error=f"Only the program manager can {step.label.lower()} a requirement.",
                status=403,
            )
        try:
            updated = services.requirement_transition(
                actor=request.user,
                requirement=requirement,
                transition=step.name,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data.get("reason", ""),
            )
        except StaleVersionError as exc:
            who = ", ".join(exc.changed_by) or "Someone else"
            return self.row_response(
                exc.current,
                error=f"{who} changed {exc.current.key} meanwhile (now "
                f"{exc.current.get_status_display().lower()}, version {exc.current.version}); "
                "nothing was saved. Check it and choose again.",
                status=409,
            )
        except Refused as exc:
            return self.row_response(requirement, error=exc.reason, status=409)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.row_response(requirement, form=form, status=422)
        if not request.htmx:
            messages.success(request, f"{updated.key} is now {updated.get_status_display()}.")
            return redirect(reverse(NAV, kwargs={"code": code}))
        return self.row_response(updated, saved=True)


# --- one requirement ------------------------------------------------------------------------------


class RequirementDetailView(RequirementMixin, TemplateView):
    permission_action = "requirement.view"
    template_name = TEMPLATES + "requirement_detail.html"

    def get_context_data(self, **kwargs):
        requirement = self.get_requirement()
        tab = self.request.GET.get("tab")
        tab = tab if tab in ("revisions", "history") else "details"
        history = history_for_object(requirement).order_by("-id")
        can_change = self.access.can("requirement.change")
        steps = self.steps_for(requirement.status) if can_change else []
        revisions = selectors.revision_history(requirement)
        links = selectors.requirement_links(requirement)
        for name in ("defects", "backlog_items", "releases"):
            _with_urls(links[name], self.program)
        case_results = selectors.case_results(requirement) if tab == "details" else []
        _with_urls((item.case for item in case_results), self.program)
        return super().get_context_data(
            requirement=requirement,
            tab=tab,
            status_colour=selectors.STATUS_COLOURS[requirement.status],
            priority_colour=selectors.PRIORITY_COLOURS[requirement.priority],
            links=links,
            case_results=case_results,
            revisions=revisions,
            history=list(history[:100]) if tab == "history" else None,
            history_count=history.count(),
            steps=steps,
            can_change=can_change,
            can_delete=can_change and requirement.status == RequirementStatus.PROPOSED,
            can_view_tests=self.access.can("test.view"),
            can_view_changes=self.access.can("change.view"),
            can_view_schedule=self.access.can("schedule.view"),
            result_colours=selectors.RESULT_COLOURS,
            **kwargs,
        )


class RequirementCreateView(RequirementMixin, TemplateView):
    permission_action = "requirement.change"
    template_name = TEMPLATES + "requirement_form.html"

    def get(self, request, code):
        initial = {"owner": request.user.pk}
        form = RequirementForm(program=self.program, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = RequirementForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                requirement = services.requirement_create(
                    actor=request.user, program=self.program, **form.changes()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{requirement.key} {requirement.title} proposed. The program manager "
                    "approves it to baseline it.",
                )
                return redirect(requirement)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class RequirementEditView(RequirementMixin, TemplateView):
    permission_action = "requirement.change"
    template_name = TEMPLATES + "requirement_form.html"

    def get(self, request, code, key):
        requirement = self.get_requirement()
        form = RequirementForm(program=self.program, requirement=requirement)
        return self.render_to_response(self.get_context_data(form=form, requirement=requirement))

    def post(self, request, code, key):
        requirement = self.get_requirement()
        form = RequirementForm(request.POST, program=self.program, requirement=requirement)
        baseline_refusal = ""
        if form.is_valid():
            try:
                updated = services.requirement_update(
                    actor=request.user,
                    requirement=requirement,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except Refused as exc:
                # shown in the baseline box above the wording, next to the request picker
                baseline_refusal = exc.reason
                if not form.baselined:
                    form.add_error(None, exc.reason)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                text = f"{updated.key} saved."
                if updated.baseline_revision != requirement.baseline_revision:
                    text = (
                        f"{updated.key} saved: revision {updated.baseline_revision} is now the "
                        "baseline; the earlier wording stays in its revision history."
                    )
                messages.success(request, text)
                return redirect(updated)
        return self.render_to_response(
            self.get_context_data(
                form=form, requirement=requirement, baseline_refusal=baseline_refusal
            ),
            status=400,
        )


# --- status steps ---------------------------------------------------------------------------------


class RequirementTransitionView(RequirementMixin, TemplateView):
    """One status step: GET explains it (and why it is not possible now, if so), POST takes
    it. A modal on the requirement's page (htmx), or a page. Subclasses name the step."""

    transition = ""
    template_name = TEMPLATES + "requirement_transition.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "transition-form")]

    def context(self, requirement, form, **extra):
        step = TRANSITIONS[self.transition]
        return self.get_context_data(
            requirement=requirement,
            step=step,
            form=form,
            refusal=services.transition_refusal(requirement, step.name),
            status_colour=selectors.STATUS_COLOURS[requirement.status],
            target_colour=selectors.STATUS_COLOURS[step.target],
            target_label=RequirementStatus(step.target).label,
            form_url=reverse(
                f"releases:requirement_{step.name}",
                kwargs={"code": self.program.code, "key": requirement.key},
            ),
            **extra,
        )

    def get(self, request, code, key):
        requirement = self.get_requirement()
        form = RequirementTransitionForm(
            initial={"transition": self.transition, "version": requirement.version}
        )
        return self.render_to_response(self.context(requirement, form))

    def post(self, request, code, key):
        requirement = self.get_requirement()
        data = request.POST.copy()
        data["transition"] = self.transition
        form = RequirementTransitionForm(data)
        status = 400
        if form.is_valid():
            try:
                updated = services.requirement_transition(
                    actor=request.user,
                    requirement=requirement,
                    transition=self.transition,
                    expected_version=form.cleaned_data["version"],
                    reason=form.cleaned_data.get("reason", ""),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                requirement = exc.current
                status = 409
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _done_message(updated, self.transition))
                return _go(request, updated.get_absolute_url())
        return self.render_to_response(self.context(requirement, form), status=status)


def _done_message(requirement, transition: str) -> str:
    if transition == "approve":
        return (
            f"{requirement.key} approved and baselined (revision "
            f"{requirement.baseline_revision}). Changing its wording now needs a change request."
        )
    return f"{requirement.key} is now {requirement.get_status_display().lower()}."


def _step_view(name: str) -> type[RequirementTransitionView]:
    step = TRANSITIONS[name]
    return type(
        f"Requirement{name.capitalize()}View",
        (RequirementTransitionView,),
        {
            "transition": name,
            "permission_action": step.permission,
            "__doc__": f"{step.label}: {step.help}",
            "__module__": __name__,
        },
    )


RequirementApproveView = _step_view("approve")
RequirementStartView = _step_view("start")
RequirementVerifyView = _step_view("verify")
RequirementAcceptView = _step_view("accept")
RequirementRejectView = _step_view("reject")
RequirementDeferView = _step_view("defer")
RequirementReproposeView = _step_view("repropose")
STEP_VIEWS = {
    "approve": RequirementApproveView,
    "start": RequirementStartView,
    "verify": RequirementVerifyView,
    "accept": RequirementAcceptView,
    "reject": RequirementRejectView,
    "defer": RequirementDeferView,
    "repropose": RequirementReproposeView,
}


class RequirementDeleteView(RequirementMixin, TemplateView):
    permission_action = "requirement.change"
    template_name = TEMPLATES + "requirement_confirm_delete.html"

    def get(self, request, code, key):
        requirement = self.get_requirement()
        return self.render_to_response(
            self.get_context_data(
                requirement=requirement, problem=services.delete_refusal(requirement)
            )
        )

    def post(self, request, code, key):
        requirement = self.get_requirement()
        try:
            services.requirement_delete(
                actor=request.user,
                requirement=requirement,
                expected_version=posted_version(request),
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{requirement.key} {requirement.title} deleted.")
            return redirect(NAV, code=code)
        return redirect(requirement)
