"""Change request pages: the list with its status tabs, "waiting for my decision", a request
with its impact, workflow, timeline and history, the forms, one page per workflow step (loaded
into the shared modal by htmx), the outcome and the program's change control policy.

Pages that a role may open but a person cannot act on (a contributor opening someone else's
request to edit, an approver opening a step the request is not at) answer 200 with the reason
instead of the form: a shared link explains itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial, wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..choices import (
    CHANGE_STATUS_COLOURS,
    CHANGE_STATUS_ORDER,
    ApprovalLevel,
    ChangeStatus,
)
from ..filtersets import ChangeRequestFilterSet
from ..forms_changes import (
    AssessForm,
    ChangeRequestForm,
    ImplementForm,
    OutcomeForm,
    PolicyForm,
    TransitionForm,
)
from ..outcomes import outcomes_for
from ..selectors import changes as selectors
from ..selectors.decisions import decisions_linked_to
from ..services import change_rules as rules
from ..services import changes as services
from . import raid_actions

NAV = "governance:change_list"


def _detail_url(code: str, key: str) -> str:
    return reverse("governance:change_detail", kwargs={"code": code, "key": key})


def _done(request, url: str) -> HttpResponse:
    """After a successful write: htmx (the modal) reloads the page, a plain form redirects."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, services.TransitionRefused):
        return exc.reason
    return str(exc.args[0]) if exc.args else "You cannot do this."


class ChangeMixin(ProgramViewMixin):
    nav_section = NAV

    def get_change_request(self):
        return selectors.change_request_get(program=self.program, key=self.kwargs["key"])

    def policy(self):
        if not hasattr(self, "_policy"):
            self._policy = selectors.change_policy_get(program=self.program)
        return self._policy


# --- lists ------------------------------------------------------------------------------------


class ChangeRequestListView(ChangeMixin, TemplateView):
    permission_action = "change.view"
    template_name = "governance/change_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "change-table")]

    def get_context_data(self, **kwargs):
        policy = self.policy()
        params = self.request.GET.copy()
        status = params.pop("status", [""])[-1]
        status = status if status in ChangeStatus.values else ""
        filterset = ChangeRequestFilterSet(
            params or None,
            queryset=selectors.change_request_list(program=self.program, policy=policy),
            program=self.program,
        )
        filtered = filterset.qs
        counts = selectors.change_request_status_counts(queryset=filtered)
        rows = filtered.filter(status=status) if status else filtered
        page = paginate(self.request, rows)
        filtered_by = any(params.get(name) for name in ("q", "kind", "requester", "workstream",
                                                        "approval"))  # fmt: skip
        pending = None
        if self.access.can("change.approve"):
            pending = selectors.change_request_pending_for(
                program=self.program, user=self.request.user, role=self.access.role, policy=policy
            ).count()
        return super().get_context_data(
            filter=filterset,
            page_obj=page,
            status=status,
            tabs=[
                (value, ChangeStatus(value).label, counts[value], CHANGE_STATUS_COLOURS[value])
                for value in CHANGE_STATUS_ORDER
            ],
            total=sum(counts.values()),
            filtered_by=filtered_by,
            policy=policy,
            pending_count=pending,
            can_add=self.access.can("change.add"),
            today=timezone.localdate(),
            **kwargs,
        )


class ChangeRequestPendingView(ChangeMixin, TemplateView):
    """Assessed requests waiting for the signed-in approver's decision."""

    permission_action = "change.approve"
    template_name = "governance/change_pending.html"

    def get_context_data(self, **kwargs):
        policy = self.policy()
        rows = selectors.change_request_pending_for(
            program=self.program, user=self.request.user, role=self.access.role, policy=policy
        )
        page = paginate(self.request, rows)
        keys = selectors.affected_keys_by_request(ids=[cr.pk for cr in page])
        for cr in page:
            cr.affected_keys = keys[cr.pk]
        is_sponsor = self.program.sponsor_id == self.request.user.pk
        return super().get_context_data(
            page_obj=page,
            policy=policy,
            is_sponsor=is_sponsor,
            is_manager=self.access.role == "manager",
            decision_buttons=[
                ("approve", "Approve", "btn-primary"),
                ("reject", "Reject", "btn-outline-danger"),
                ("defer", "Defer", "btn-outline-warning"),
            ],
            **kwargs,
        )


# --- one request ------------------------------------------------------------------------------


class ChangeRequestDetailView(ChangeMixin, TemplateView):
    permission_action = "change.view"
    template_name = "governance/change_detail.html"

    def get_context_data(self, **kwargs):
        cr = self.get_change_request()
        policy = self.policy()
        user = self.request.user
        role = self.access.role
        level = selectors.approval_level(cr, policy)
        checks = rules.change_request_checks(
            actor=user, change_request=cr, role=role, policy=policy
        )
        history = list(history_for_object(cr)[:30])
        transitions = list(
            selectors.change_request_transitions(change_request=cr).select_related("actor")
        )
        return super().get_context_data(
            cr=cr,
            policy=policy,
            level=level,
            level_label=ApprovalLevel(level).label,
            approval_why=rules.approval_explanation(cr, policy),
            checks=checks,
            step_groups=_group_checks(checks),
            edit_problem=rules.change_request_edit_problem(
                actor=user, change_request=cr, role=role
            ),
            can_delete=cr.status == ChangeStatus.DRAFT
            and (self.access.can("change.change") or user.pk == cr.requester_id)
            and self.access.can("change.add"),
            can_outcome=cr.status in rules.OUTCOME_STATUSES and self.access.can("change.change"),
            items=selectors.affected_items(change_request=cr),
            transitions=transitions,
            history=history,
            history_more=len(history) == 30,
            related_decisions=[d for d in decisions_linked_to(obj=cr) if d.pk != cr.decision_id],
            outcomes=outcomes_for(cr, self.access),
            status_colour=CHANGE_STATUS_COLOURS[cr.status],
            steps=_steps(cr, transitions),
            today=timezone.localdate(),
            raid=raid_actions.panel(
                access=self.access,
                subject=cr,
                add_url=reverse(
                    "governance:change_action_create",
                    kwargs={"code": cr.program.code, "key": cr.key},
                ),
            ),
            **kwargs,
        )


def _group_checks(checks) -> list[dict]:
    """Next steps for the page: allowed steps as buttons side by side, refused ones grouped by
    their reason (approve, reject and defer usually share one)."""
    groups: list[dict] = []
    allowed = [c for c in checks if c.allowed]
    if allowed:
        groups.append({"allowed": True, "checks": allowed, "reason": "", "id": "allowed"})
    for check in checks:
        if check.allowed:
            continue
        same = next((g for g in groups if not g["allowed"] and g["reason"] == check.reason), None)
        if same is None:
            groups.append(
                {"allowed": False, "checks": [check], "reason": check.reason, "id": check.name}
            )
        else:
            same["checks"].append(check)
    return groups


def _steps(cr, transitions) -> list[dict]:
    """The workflow stepper: where the request is, the decision branch it took, and the steps
    a rejected or deferred request skipped on its way to closed."""
    S = ChangeStatus
    decision = ""
    if cr.status in (S.APPROVED, S.REJECTED, S.DEFERRED):
        decision = cr.status
    elif cr.status == S.IMPLEMENTED:
        decision = S.APPROVED
    elif cr.status == S.CLOSED and transitions:
        previous = transitions[-1].from_status
        decision = S.APPROVED if previous == S.IMPLEMENTED else previous
    reached = {
        S.DRAFT: 0, S.SUBMITTED: 1, S.ASSESSED: 2, S.APPROVED: 3, S.REJECTED: 3,
        S.DEFERRED: 3, S.IMPLEMENTED: 4, S.CLOSED: 5,
    }[cr.status]  # fmt: skip
    labels = ["Draft", "Submitted", "Assessed", ChangeStatus(decision).label if decision else
              "Decision", "Implemented", "Closed"]  # fmt: skip
    skipped = {4} if decision in (S.REJECTED, S.DEFERRED) else set()
    steps = []
    for index, label in enumerate(labels):
        if index in skipped:
            state = "skipped"
        elif index == reached:
            state = "current"
        else:
            state = "done" if index < reached else "todo"
        steps.append({"label": label, "state": state, "decision": index == 3 and decision})
    return steps


class ChangeRequestCreateView(ChangeMixin, TemplateView):
    permission_action = "change.add"
    template_name = "governance/change_form.html"

    def form(self, data=None):
        return ChangeRequestForm(
            data,
            program=self.program,
            creating=True,
            can_set_requester=self.access.can("change.change"),
            initial={"requester": self.request.user.pk},
        )

    def get(self, request, code):
        return self.render_to_response(self.get_context_data(form=self.form(), creating=True))

    def post(self, request, code):
        form = self.form(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                with transaction.atomic():  # a refused submit leaves no half-saved draft
                    cr = services.change_request_create(
                        actor=request.user, program=self.program, **data
                    )
                    if "submit_now" in request.POST:
                        cr = services.change_request_submit(actor=request.user, change_request=cr)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, _refusal_text(exc))
            else:
                done = "raised and submitted" if cr.status == ChangeStatus.SUBMITTED else "saved"
                messages.success(request, f"{cr.key} {done}.")
                return redirect(_detail_url(code, cr.key))
        return self.render_to_response(self.get_context_data(form=form, creating=True), status=400)


class ChangeRequestEditView(ChangeMixin, TemplateView):
    permission_action = "change.add"
    template_name = "governance/change_form.html"

    def problem(self, cr) -> str:
        return rules.change_request_edit_problem(
            actor=self.request.user, change_request=cr, role=self.access.role
        )

    def form(self, cr, data=None):
        initial = {
            "version": cr.version, "title": cr.title, "kind": cr.kind,
            "requester": cr.requester_id, "workstream": cr.workstream_id,
            "needed_by": cr.needed_by, "description": cr.description, "reason": cr.reason,
            "schedule_impact_days": cr.schedule_impact_days, "cost_impact": cr.cost_impact,
            "scope_impact": cr.scope_impact, "risk_impact": cr.risk_impact,
            "affected_items": [i.key for i in selectors.affected_items(change_request=cr)],
        }  # fmt: skip
        return ChangeRequestForm(
            data,
            program=self.program,
            can_set_requester=self.access.can("change.change"),
            initial=initial,
        )

    def get(self, request, code, key):
        cr = self.get_change_request()
        problem = self.problem(cr)
        form = None if problem else self.form(cr)
        return self.render_to_response(self.get_context_data(cr=cr, form=form, problem=problem))

    def post(self, request, code, key):
        cr = self.get_change_request()
        form = self.form(cr, request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                cr = services.change_request_update(
                    actor=request.user, change_request=cr, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except (PermissionDenied, services.TransitionRefused) as exc:
                form.add_error(None, _refusal_text(exc))
            else:
                messages.success(request, f"{cr.key} saved.")
                return redirect(_detail_url(code, cr.key))
        return self.render_to_response(self.get_context_data(cr=cr, form=form), status=400)


class ChangeRequestDeleteView(ChangeMixin, TemplateView):
    permission_action = "change.add"
    template_name = "governance/change_confirm_delete.html"

    def get(self, request, code, key):
        cr = self.get_change_request()
        problem = ""
        if cr.status != ChangeStatus.DRAFT:
            problem = f"{cr.key} is {cr.get_status_display().lower()}; only a draft can be deleted."
        elif not (self.access.can("change.change") or request.user.pk == cr.requester_id):
            problem = (
                f"Only the requester ({cr.requester}) or a program manager or coordinator can "
                f"delete {cr.key}."
            )
        return self.render_to_response(self.get_context_data(cr=cr, problem=problem))

    def post(self, request, code, key):
        cr = self.get_change_request()
        try:
            services.change_request_delete(
                actor=request.user, change_request=cr, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except (PermissionDenied, services.TransitionRefused) as exc:
            messages.error(request, _refusal_text(exc))
        else:
            messages.success(request, f"{cr.key} {cr.title} deleted.")
            return redirect("governance:change_list", code=code)
        return redirect(_detail_url(code, cr.key))


# --- the workflow steps -------------------------------------------------------------------------


class ChangeRequestTransitionView(ChangeMixin, TemplateView):
    """One workflow step: GET shows its form (or why it is not possible), POST takes it."""

    template_name = "governance/change_transition.html"
    transition_name = ""
    form_class: type[TransitionForm] = TransitionForm

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "transition-form")]

    def check(self, cr):
        return rules.change_request_check(
            actor=self.request.user,
            change_request=cr,
            name=self.transition_name,
            role=self.access.role,
            policy=self.policy(),
        )

    def form_kwargs(self, cr, check) -> dict:
        return {"program": self.program, "comment_required": check.comment_required}

    def initial(self, cr) -> dict:
        return {"version": cr.version}

    def context(self, cr, check, form, **extra):
        policy = self.policy()
        return self.get_context_data(
            cr=cr,
            check=check,
            form=form,
            transition=self.transition_name,
            policy=policy,
            level=selectors.approval_level(cr, policy),
            approval_why=rules.approval_explanation(cr, policy),
            modal=wants_partial(self.request),
            **extra,
        )

    def get(self, request, code, key):
        cr = self.get_change_request()
        check = self.check(cr)
        form = self.form_class(initial=self.initial(cr), **self.form_kwargs(cr, check))
        return self.render_to_response(self.context(cr, check, form))

    def post(self, request, code, key):
        cr = self.get_change_request()
        check = self.check(cr)
        form = self.form_class(request.POST, **self.form_kwargs(cr, check))
        status = 400
        if form.is_valid():
            version = form.cleaned_data["version"]
            service = services.TRANSITION_SERVICES[self.transition_name]
            try:
                cr = service(
                    actor=request.user,
                    change_request=cr,
                    expected_version=version,
                    **form.service_kwargs(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except (PermissionDenied, services.TransitionRefused) as exc:
                form.add_error(None, _refusal_text(exc))
                status = 409
            else:
                messages.success(request, self.success_message(cr))
                return _done(request, _detail_url(code, cr.key))
        return self.render_to_response(self.context(cr, check, form), status=status)

    def success_message(self, cr) -> str:
        text = f"{cr.key} {rules.TRANSITIONS[self.transition_name].past}."
        if self.transition_name in ("approve", "reject") and cr.decision_id:
            text += f" The decision is recorded as {cr.decision.key}."
        if self.transition_name == "assess":
            level = selectors.approval_level(cr, self.policy())
            who = "the sponsor" if level == ApprovalLevel.SPONSOR else "a program manager"
            text += f" It now waits for {who} to decide."
        return text


class ChangeRequestSubmitView(ChangeRequestTransitionView):
    permission_action = "change.add"
    transition_name = "submit"


class ChangeRequestAssessView(ChangeRequestTransitionView):
    permission_action = "change.change"
    transition_name = "assess"
    form_class = AssessForm

    def initial(self, cr) -> dict:
        return {
            "version": cr.version,
            "schedule_impact_days": cr.schedule_impact_days,
            "cost_impact": cr.cost_impact,
            "scope_impact": cr.scope_impact,
            "risk_impact": cr.risk_impact,
            "affected_items": [i.key for i in selectors.affected_items(change_request=cr)],
        }


class ChangeRequestApproveView(ChangeRequestTransitionView):
    permission_action = "change.approve"
    transition_name = "approve"


class ChangeRequestRejectView(ChangeRequestTransitionView):
    permission_action = "change.approve"
    transition_name = "reject"


class ChangeRequestDeferView(ChangeRequestTransitionView):
    permission_action = "change.approve"
    transition_name = "defer"


class ChangeRequestImplementView(ChangeRequestTransitionView):
    permission_action = "change.change"
    transition_name = "implement"
    form_class = ImplementForm

    def form_kwargs(self, cr, check) -> dict:
        return {
            **super().form_kwargs(cr, check),
            "can_baseline": self.access.can("schedule.baseline"),
        }

    def initial(self, cr) -> dict:
        return {"version": cr.version, "baseline": cr.baseline_id,
                "budget_reference": cr.budget_reference}  # fmt: skip


class ChangeRequestCloseView(ChangeRequestTransitionView):
    permission_action = "change.change"
    transition_name = "close"


# --- the outcome and the policy -----------------------------------------------------------------


class ChangeRequestOutcomeView(ChangeMixin, TemplateView):
    """The baseline and budget change an approved request caused (recorded or corrected)."""

    permission_action = "change.change"
    template_name = "governance/change_outcome.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "outcome-form")]

    def problem(self, cr) -> str:
        if cr.status in rules.OUTCOME_STATUSES:
            return ""
        return (
            f"{cr.key} is {cr.get_status_display().lower()}; only an approved request has an "
            "outcome to record."
        )

    def form(self, cr, data=None):
        return OutcomeForm(
            data,
            program=self.program,
            can_baseline=self.access.can("schedule.baseline"),
            initial={"version": cr.version, "baseline": cr.baseline_id,
                     "budget_reference": cr.budget_reference},
        )  # fmt: skip

    def get(self, request, code, key):
        cr = self.get_change_request()
        problem = self.problem(cr)
        return self.render_to_response(
            self.get_context_data(
                cr=cr, form=None if problem else self.form(cr), problem=problem,
                modal=wants_partial(request),
            )
        )  # fmt: skip

    def post(self, request, code, key):
        cr = self.get_change_request()
        form = self.form(cr, request.POST)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                cr = services.change_request_record_outcome(
                    actor=request.user,
                    change_request=cr,
                    expected_version=data["version"],
                    baseline=data["baseline"],
                    new_baseline_name=data.get("new_baseline_name") or "",
                    budget_reference=data["budget_reference"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except (PermissionDenied, services.TransitionRefused) as exc:
                form.add_error(None, _refusal_text(exc))
                status = 409
            else:
                messages.success(request, f"The outcome of {cr.key} is recorded.")
                return _done(request, _detail_url(code, cr.key))
        return self.render_to_response(
            self.get_context_data(cr=cr, form=form, modal=wants_partial(request)), status=status
        )


class ChangePolicyView(ChangeMixin, TemplateView):
    permission_action = "change.settings"
    template_name = "governance/change_policy.html"

    def form(self, data=None):
        policy = self.policy()
        return PolicyForm(
            data,
            program=self.program,
            initial={
                "version": policy.version,
                "sponsor_cost_threshold": policy.sponsor_cost_threshold,
                "sponsor_schedule_threshold_days": policy.sponsor_schedule_threshold_days,
                "allow_self_approval": policy.allow_self_approval,
            },
        )

    def get(self, request, code):
        return self.render_to_response(self.get_context_data(form=self.form()))

    def post(self, request, code):
        form = self.form(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.change_policy_update(
                    actor=request.user, program=self.program, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Change control policy saved.")
                return redirect("governance:change_list", code=code)
        return self.render_to_response(self.get_context_data(form=form), status=400)
