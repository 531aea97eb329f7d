"""Decision log pages: the list, a decision with its options and links, recording and editing
one, taking a proposed one, replacing one with a new decision, deleting a proposal."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
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

from ..choices import DECISION_STATUS_COLOURS, DecisionStatus
from ..filtersets import DecisionFilterSet
from ..forms_decisions import (
    DecideForm,
    DecisionForm,
    formset_options,
    option_formset,
)
from ..selectors import decisions as selectors
from ..services import decisions as services
from ..services.errors import TransitionRefused
from . import raid_actions

NAV = "governance:decision_list"


def _detail_url(code: str, key: str) -> str:
    return reverse("governance:decision_detail", kwargs={"code": code, "key": key})


class DecisionMixin(ProgramViewMixin):
    nav_section = NAV

    def get_decision(self):
        return selectors.decision_get(program=self.program, key=self.kwargs["key"])


class DecisionListView(DecisionMixin, TemplateView):
    permission_action = "decision.view"
    template_name = "governance/decision_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "decision-table")]

    def get_context_data(self, **kwargs):
        params = self.request.GET.copy()
        status = params.pop("status", [""])[-1]
        status = status if status in DecisionStatus.values else ""
        filterset = DecisionFilterSet(
            params or None,
            queryset=selectors.decision_list(program=self.program),
            program=self.program,
        )
        filtered = filterset.qs
        counts = selectors.decision_status_counts(queryset=filtered)
        rows = filtered.filter(status=status) if status else filtered
        return super().get_context_data(
            filter=filterset,
            page_obj=paginate(self.request, rows),
            status=status,
            tabs=[
                (value, DecisionStatus(value).label, counts[value], DECISION_STATUS_COLOURS[value])
                for value in DecisionStatus.values
            ],
            total=sum(counts.values()),
            filtered_by=any(params.get(n) for n in ("q", "decided_by", "decided_after")),
            can_change=self.access.can("decision.change"),
            **kwargs,
        )


class DecisionDetailView(DecisionMixin, TemplateView):
    permission_action = "decision.view"
    template_name = "governance/decision_detail.html"

    def get_context_data(self, **kwargs):
        decision = self.get_decision()
        history = list(history_for_object(decision)[:30])
        change_requests = list(decision.change_requests.order_by("id"))
        return super().get_context_data(
            decision=decision,
            links=selectors.decision_links(decision=decision),
            supersedes=list(selectors.decisions_superseded_by(decision=decision)),
            change_requests=change_requests,
            change_request_keys={cr.key for cr in change_requests},
            history=history,
            history_more=len(history) == 30,
            status_colour=DECISION_STATUS_COLOURS[decision.status],
            can_change=self.access.can("decision.change"),
            today=timezone.localdate(),
            raid=raid_actions.panel(
                access=self.access,
                subject=decision,
                add_url=reverse(
                    "governance:decision_action_create",
                    kwargs={"code": self.program.code, "key": decision.key},
                ),
            ),
            **kwargs,
        )


class DecisionFormMixin(DecisionMixin):
    """The decision form and its options formset, with "Add an option" re-rendering the page
    (no JavaScript needed) and keeping everything typed."""

    template_name = "governance/decision_form.html"

    def render_form(self, form, formset, status=200, **extra):
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset, **extra), status=status
        )

    def bound(self, request, **form_kwargs):
        form = DecisionForm(request.POST, program=self.program, **form_kwargs)
        adding = "add_option" in request.POST
        formset = option_formset(request.POST, extra_rows=1 if adding else 0)
        return form, formset, adding

    def fields_of(self, form, formset) -> dict:
        data = dict(form.cleaned_data)
        data.pop("version", None)
        data["options"] = formset_options(formset)
        return data


class DecisionCreateView(DecisionFormMixin, TemplateView):
    permission_action = "decision.change"

    def get(self, request, code):
        keys = request.GET.get("links", "")
        initial = {"decided_by": request.user.pk, "links": keys}
        form = DecisionForm(initial=initial, program=self.program, creating=True)
        return self.render_form(form, option_formset(), creating=True)

    def post(self, request, code):
        form, formset, adding = self.bound(request, creating=True)
        if adding:
            return self.render_form(form, formset, creating=True)
        if form.is_valid() and formset.is_valid():
            data = self.fields_of(form, formset)
            try:
                decision = services.decision_record(
                    actor=request.user, program=self.program, **data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{decision.key} recorded in the decision log.")
                return redirect(_detail_url(code, decision.key))
        return self.render_form(form, formset, status=400, creating=True)


class DecisionEditView(DecisionFormMixin, TemplateView):
    permission_action = "decision.change"

    def get(self, request, code, key):
        decision = self.get_decision()
        problem = self.problem(decision)
        form = formset = None
        if not problem:
            form = DecisionForm(
                program=self.program,
                initial={
                    "version": decision.version, "title": decision.title,
                    "statement": decision.statement, "context": decision.context,
                    "rationale": decision.rationale, "decided_by": decision.decided_by_id,
                    "forum": decision.forum, "decided_on": decision.decided_on,
                    "needed_by": decision.needed_by,
                    "links": selectors.decision_link_keys(decision=decision),
                },
            )  # fmt: skip
            formset = option_formset(options=decision.options)
        return self.render_form(form, formset, decision=decision, problem=problem)

    def problem(self, decision) -> str:
        if decision.status == DecisionStatus.SUPERSEDED:
            return (
                f"{decision.key} was superseded by {decision.superseded_by.key}; the log keeps it "
                "as it was."
            )
        return ""

    def post(self, request, code, key):
        decision = self.get_decision()
        form, formset, adding = self.bound(request)
        if adding:
            return self.render_form(form, formset, decision=decision)
        if form.is_valid() and formset.is_valid():
            data = self.fields_of(form, formset)
            data.pop("status", None)
            links = data.pop("links")
            try:
                decision = services.decision_update(
                    actor=request.user,
                    decision=decision,
                    expected_version=form.cleaned_data["version"],
                    links=links,
                    **data,
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except TransitionRefused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, f"{decision.key} saved.")
                return redirect(_detail_url(code, decision.key))
        return self.render_form(form, formset, status=400, decision=decision)


class DecisionSupersedeView(DecisionFormMixin, TemplateView):
    """Record the decision that replaces this one; the old entry is marked superseded."""

    permission_action = "decision.change"

    def problem(self, decision) -> str:
        if decision.status != DecisionStatus.DECIDED:
            return (
                f"{decision.key} is {decision.get_status_display().lower()}; only a decided "
                "decision can be superseded."
            )
        return ""

    def get(self, request, code, key):
        old = self.get_decision()
        problem = self.problem(old)
        form = formset = None
        if not problem:
            form = DecisionForm(
                program=self.program,
                creating=True,
                initial={
                    "title": old.title,
                    "context": old.context,
                    "decided_by": request.user.pk,
                    "links": selectors.decision_link_keys(decision=old),
                },
            )
            form.fields["status"].choices = [(DecisionStatus.DECIDED, "Decided")]
            formset = option_formset(options=old.options)
        return self.render_form(
            form, formset, creating=True, superseding=old, problem=problem,
            old_version=old.version,
        )  # fmt: skip

    def post(self, request, code, key):
        old = self.get_decision()
        form, formset, adding = self.bound(request, creating=True)
        form.fields["status"].choices = [(DecisionStatus.DECIDED, "Decided")]
        context = {"creating": True, "superseding": old, "old_version": posted_version(request)}
        if adding:
            return self.render_form(form, formset, **context)
        if form.is_valid() and formset.is_valid():
            data = self.fields_of(form, formset)
            try:
                decision = services.decision_record(
                    actor=request.user,
                    program=self.program,
                    supersedes=old,
                    supersedes_version=posted_version(request),
                    **data,
                )
            except StaleVersionError as exc:
                form.add_error(
                    None, f"{exc} Review {old.key} again before replacing it; your text is kept."
                )
                context["old_version"] = exc.current.version
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except TransitionRefused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(
                    request, f"{decision.key} recorded; {old.key} is now marked superseded by it."
                )
                return redirect(_detail_url(code, decision.key))
        return self.render_form(form, formset, status=400, **context)


class DecisionDecideView(DecisionMixin, TemplateView):
    """Take a proposed decision: who, when, where, why."""

    permission_action = "decision.change"
    template_name = "governance/decision_decide.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "decide-form")]

    def get(self, request, code, key):
        decision = self.get_decision()
        form = DecideForm(
            program=self.program,
            initial={
                "version": decision.version,
                "decided_by": decision.decided_by_id,
                "forum": decision.forum,
                "rationale": decision.rationale,
            },
        )
        return self.render_to_response(self.get_context_data(decision=decision, form=form))

    def post(self, request, code, key):
        decision = self.get_decision()
        form = DecideForm(request.POST, program=self.program)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                decision = services.decision_decide(
                    actor=request.user,
                    decision=decision,
                    expected_version=data.pop("version"),
                    **data,
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except TransitionRefused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(request, f"{decision.key} is decided.")
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = _detail_url(code, decision.key)
                    return response
                return redirect(_detail_url(code, decision.key))
        return self.render_to_response(
            self.get_context_data(decision=decision, form=form), status=status
        )


class DecisionDeleteView(DecisionMixin, TemplateView):
    permission_action = "decision.change"
    template_name = "governance/decision_confirm_delete.html"

    def get(self, request, code, key):
        decision = self.get_decision()
        problem = ""
        if decision.status != DecisionStatus.PROPOSED:
            problem = (
                f"{decision.key} is {decision.get_status_display().lower()}; the log keeps taken "
                "decisions. Supersede it with a new decision instead."
            )
        return self.render_to_response(self.get_context_data(decision=decision, problem=problem))

    def post(self, request, code, key):
        decision = self.get_decision()
        try:
            services.decision_delete(
                actor=request.user, decision=decision, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except TransitionRefused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{decision.key} {decision.title} deleted.")
            return redirect("governance:decision_list", code=code)
        return redirect(_detail_url(code, decision.key))
