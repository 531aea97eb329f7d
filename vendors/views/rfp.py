"""RFP pages: the list (with the evaluations waiting for you), an RFP with its status steps,
criteria, responses and the evaluators' progress, the forms, the scoring sheet, the comparison
matrix and the selection.

What a page shows of the scores comes from `vendors.selectors.rfp`, which applies the sealing
rule: drafts only to their author; an evaluator sees the others' submitted scores of a response
once they have submitted their own. Forms keep what was typed and answer 400 with the errors; a
step the RFP's state refuses answers 409 with the reason; a stale version shows what changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.forms import apply_validation_error, posted_version
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.rfp import (
    EvaluatorForm,
    ResponseForm,
    RfpForm,
    ScoreForm,
    SelectForm,
    criterion_formset,
)
from ..models import EvaluationStatus, RfpStatus
from ..selectors import rfp as selectors
from ..services import rfp as services
from ..services.errors import Refused

NAV = "vendors:rfp_list"
T = "vendors/rfp/"
STEP_LABELS = {
    RfpStatus.OPEN: (
        "Issue the RFP",
        "ti-send",
        "Vendors may respond; the criteria stay editable.",
    ),
    RfpStatus.EVALUATION: (
        "Start the evaluation",
        "ti-clipboard-check",
        "The evaluators can score every response.",
    ),
    RfpStatus.CANCELLED: ("Cancel the RFP", "ti-ban", "Nothing is selected; the RFP is closed."),
}


def rfp_url(code: str, key: str, name: str = "rfp_detail", **kwargs) -> str:
    return reverse(f"vendors:{name}", kwargs={"code": code, "key": key, **kwargs})


class RfpMixin(ProgramViewMixin):
    nav_section = NAV

    def get_rfp(self):
        if not hasattr(self, "_rfp"):
            self._rfp = selectors.rfp_get(program=self.program, key=self.kwargs["key"])
        return self._rfp

    def get_response(self):
        return selectors.response_get(rfp=self.get_rfp(), pk=self.kwargs["pk"])

    def detail_url(self, anchor: str = "") -> str:
        url = rfp_url(self.program.code, self.get_rfp().key)
        return f"{url}#{anchor}" if anchor else url

    def refused(self, exc: Refused, anchor: str = ""):
        messages.error(self.request, exc.reason)
        return redirect(self.detail_url(anchor))


# --- the list -----------------------------------------------------------------------------


class RfpListView(RfpMixin, TemplateView):
    permission_action = "rfp.view"
    template_name = T + "rfp_list.html"

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status", "")
        status = status if status in RfpStatus.values else ""
        counts = selectors.rfp_status_counts(program=self.program)
        return super().get_context_data(
            page_obj=paginate(
                self.request, selectors.rfp_list(program=self.program, status=status)
            ),
            status=status,
            tabs=[(value, RfpStatus(value).label, counts[value]) for value in RfpStatus.values],
            total=sum(counts.values()),
            todo=selectors.my_evaluations_to_do(program=self.program, user=self.request.user)
            if self.access.can("rfp.evaluate")
            else [],
            can_change=self.access.can("rfp.change"),
            **kwargs,
        )


# --- create and edit ----------------------------------------------------------------------


class RfpCreateView(RfpMixin, TemplateView):
    permission_action = "rfp.change"
    template_name = T + "rfp_form.html"

    def get(self, request, code):
        form = RfpForm(program=self.program, creating=True)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = RfpForm(request.POST, program=self.program, creating=True)
        if form.is_valid():
            try:
                rfp = services.rfp_create(
                    actor=request.user, program=self.program, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request, f"{rfp.key} created. Add its weighted criteria, then issue it."
                )
                return redirect(rfp_url(code, rfp.key, "rfp_criteria"))
        return self.render_to_response(self.get_context_data(form=form, creating=True), status=400)


class RfpEditView(RfpMixin, TemplateView):
    permission_action = "rfp.change"
    template_name = T + "rfp_form.html"

    def problem(self, rfp) -> str:
        if rfp.status in services.CLOSED:
            return f"{rfp.key} is {services.state(rfp)}; it is kept as it was."
        return ""

    def context(self, form, **extra):
        rfp = self.get_rfp()
        frozen = selectors.rfp_has_submitted(rfp=rfp)
        if form is not None and frozen:
            form.fields["scale_max"].disabled = True
            form.fields[
                "scale_max"
            ].help_text = "Frozen: evaluations have been submitted on this scale."
        return self.get_context_data(
            form=form, rfp=rfp, problem=self.problem(rfp), frozen=frozen, **extra
        )

    def get(self, request, code, key):
        rfp = self.get_rfp()
        form = None
        if not self.problem(rfp):
            form = RfpForm(
                program=self.program,
                initial={
                    "version": rfp.version, "title": rfp.title, "description": rfp.description,
                    "owner": rfp.owner_id, "issued_on": rfp.issued_on,
                    "responses_due": rfp.responses_due, "scale_max": rfp.scale_max,
                },
            )  # fmt: skip
        return self.render_to_response(self.context(form))

    def post(self, request, code, key):
        rfp = self.get_rfp()
        form = RfpForm(request.POST, program=self.program, initial={"scale_max": rfp.scale_max})
        if selectors.rfp_has_submitted(rfp=rfp):
            form.fields["scale_max"].disabled = True
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            if data.get("owner") is None:  # the empty choice reads "Me"
                data["owner"] = request.user
            try:
                rfp = services.rfp_update(
                    actor=request.user, rfp=rfp, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(request, f"{rfp.key} saved.")
                return redirect(rfp_url(code, rfp.key))
        return self.render_to_response(self.context(form), status=status)


# --- the RFP ------------------------------------------------------------------------------


class RfpDetailView(RfpMixin, TemplateView):
    permission_action = "rfp.view"
    template_name = T + "rfp_detail.html"

    def get_context_data(self, **kwargs):
        rfp = self.get_rfp()
        criteria = selectors.criteria_with_shares(rfp=rfp)
        responses = list(rfp.responses.select_related("vendor").order_by("vendor__name", "id"))
        progress = selectors.evaluator_progress(rfp=rfp, responses=responses)
        submitted_by_response = [
            sum(1 for p in progress if p.cells[i] == EvaluationStatus.SUBMITTED)
            for i in range(len(responses))
        ]
        me = next((p for p in progress if p.evaluator.user_id == self.request.user.pk), None)
        steps = [
            {"to": to, "label": label, "icon": icon, "help": help_text}
            for to, (label, icon, help_text) in STEP_LABELS.items()
            if rfp.status in services.TRANSITIONS[to]
        ]
        cancel = [s for s in steps if s["to"] == RfpStatus.CANCELLED]
        steps = [s for s in steps if s["to"] != RfpStatus.CANCELLED]
        can_change = self.access.can("rfp.change")
        return super().get_context_data(
            rfp=rfp,
            criteria=criteria,
            total_weight=sum(c.weight for c in criteria),
            responses=list(zip(responses, submitted_by_response, strict=True)),
            progress=progress,
            me=me,
            my_cells=list(zip(responses, me.cells, strict=True)) if me else [],
            steps=steps if can_change else [],
            cancel_step=cancel[0] if cancel and can_change else None,
            frozen=any(submitted_by_response),
            can_change=can_change and rfp.status not in services.CLOSED,
            can_select=self.access.can("rfp.select") and rfp.status == RfpStatus.EVALUATION,
            can_evaluate=self.access.can("rfp.evaluate"),
            stepper=_stepper(rfp.status),
            **kwargs,
        )


def _stepper(status: str) -> list[dict]:
    order = [RfpStatus.DRAFT, RfpStatus.OPEN, RfpStatus.EVALUATION, RfpStatus.DECIDED]
    if status == RfpStatus.CANCELLED:
        return [{"label": "Cancelled", "state": "cancelled"}]
    here = order.index(status)
    if status == RfpStatus.DECIDED:
        here = len(order)  # the last step is done, not pending
    labels = ["Draft", "Open for responses", "Evaluation", "Vendor selected"]
    return [
        {"label": label, "state": "done" if i < here else "current" if i == here else "todo"}
        for i, label in enumerate(labels)
    ]


class RfpStatusView(RfpMixin, TemplateView):
    """One status step (POST `to`): issue, start the evaluation, cancel."""

    permission_action = "rfp.change"

    def get(self, request, code, key):
        return redirect(self.detail_url())

    def post(self, request, code, key):
        rfp = self.get_rfp()
        to = request.POST.get("to", "")
        try:
            rfp = services.rfp_transition(
                actor=request.user, rfp=rfp, to=to, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing changed; review it and try again.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{rfp.key} is now {services.state(rfp)}.")
        return redirect(self.detail_url())


# --- criteria -----------------------------------------------------------------------------


class RfpCriteriaView(RfpMixin, TemplateView):
    """The criteria and their weights, edited together (shares shown as % of the total)."""

    permission_action = "rfp.change"
    template_name = T + "criteria_form.html"

    def problem(self, rfp) -> str:
        if rfp.status in services.CLOSED:
            return f"{rfp.key} is {services.state(rfp)}; its criteria are kept."
        if selectors.rfp_has_submitted(rfp=rfp):
            return (
                f"Evaluations of {rfp.key} have been submitted, so its criteria and weights can "
                "no longer change: submitted scores were given against them."
            )
        return ""

    def render_page(self, formset, status=200):
        rfp = self.get_rfp()
        return self.render_to_response(
            self.get_context_data(
                rfp=rfp,
                formset=formset,
                problem=self.problem(rfp),
                criteria=selectors.criteria_with_shares(rfp=rfp),
            ),
            status=status,
        )

    def get(self, request, code, key):
        rfp = self.get_rfp()
        return self.render_page(criterion_formset(criteria=list(rfp.criteria.all())))

    def post(self, request, code, key):
        adding = "add_row" in request.POST
        formset = criterion_formset(request.POST, extra_rows=1 if adding else 0)
        if adding:
            return self.render_page(formset)
        status = 400
        if formset.is_valid():
            try:
                services.criteria_save(actor=request.user, rfp=self.get_rfp(), rows=formset.rows())
            except ValidationError as exc:
                formset._non_form_errors = formset.error_class(exc.messages)
            except Refused as exc:
                formset._non_form_errors = formset.error_class([exc.reason])
                status = 409
            else:
                messages.success(request, "Criteria saved.")
                return redirect(self.detail_url("criteria"))
        return self.render_page(formset, status=status)


# --- evaluators ---------------------------------------------------------------------------


class RfpEvaluatorsView(RfpMixin, TemplateView):
    """Who evaluates: the list with each one's progress, and adding one."""

    permission_action = "rfp.change"
    template_name = T + "evaluators.html"

    def render_page(self, form, status=200):
        rfp = self.get_rfp()
        responses = list(rfp.responses.select_related("vendor").order_by("vendor__name", "id"))
        return self.render_to_response(
            self.get_context_data(
                rfp=rfp,
                form=form if rfp.status not in services.CLOSED else None,
                progress=selectors.evaluator_progress(rfp=rfp, responses=responses),
                responses=responses,
            ),
            status=status,
        )

    def get(self, request, code, key):
        return self.render_page(EvaluatorForm(program=self.program, rfp=self.get_rfp()))

    def post(self, request, code, key):
        rfp = self.get_rfp()
        form = EvaluatorForm(request.POST, program=self.program, rfp=rfp)
        status = 400
        if form.is_valid():
            try:
                evaluator = services.evaluator_add(
                    actor=request.user, rfp=rfp, user=form.cleaned_data["user"]
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(request, f"{evaluator.user} now evaluates {rfp.key}.")
                return redirect(rfp_url(code, key, "rfp_evaluators"))
        return self.render_page(form, status=status)


class RfpEvaluatorRemoveView(RfpMixin, TemplateView):
    permission_action = "rfp.change"

    def get(self, request, code, key, pk):
        return redirect(rfp_url(code, key, "rfp_evaluators"))

    def post(self, request, code, key, pk):
        rfp = self.get_rfp()
        evaluator = rfp.evaluators.select_related("user").filter(pk=pk).first()
        if evaluator is None:
            messages.error(request, "That evaluator was already removed.")
        else:
            try:
                services.evaluator_remove(actor=request.user, evaluator=evaluator)
            except Refused as exc:
                messages.error(request, exc.reason)
            else:
                messages.success(request, f"{evaluator.user} no longer evaluates {rfp.key}.")
        return redirect(rfp_url(code, key, "rfp_evaluators"))


# --- responses ----------------------------------------------------------------------------


class RfpResponseCreateView(RfpMixin, TemplateView):
    permission_action = "rfp.change"
    template_name = T + "response_form.html"

    def problem(self, rfp) -> str:
        if rfp.status not in (RfpStatus.OPEN, RfpStatus.EVALUATION):
            return (
                f"{rfp.key} is {services.state(rfp)}; responses are recorded while "
                "it is open or in evaluation."
            )
        return ""

    def get(self, request, code, key):
        rfp = self.get_rfp()
        form = ResponseForm(program=self.program, rfp=rfp)
        return self.render_to_response(
            self.get_context_data(form=form, rfp=rfp, problem=self.problem(rfp), creating=True)
        )

    def post(self, request, code, key):
        rfp = self.get_rfp()
        form = ResponseForm(request.POST, program=self.program, rfp=rfp)
        status = 400
        if form.is_valid():
            try:
                response = services.response_add(actor=request.user, rfp=rfp, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(request, f"{response.vendor.name}'s response recorded.")
                return redirect(self.detail_url("responses"))
        return self.render_to_response(
            self.get_context_data(form=form, rfp=rfp, creating=True), status=status
        )


class RfpResponseEditView(RfpMixin, TemplateView):
    permission_action = "rfp.change"
    template_name = T + "response_form.html"

    def get(self, request, code, key, pk):
        rfp, response = self.get_rfp(), self.get_response()
        form = ResponseForm(
            program=self.program,
            rfp=rfp,
            response=response,
            initial={
                "version": response.version,
                "received_on": response.received_on,
                "price": response.price,
                "summary": response.summary,
            },
        )
        problem = ""
        if rfp.status in services.CLOSED:
            problem = f"{rfp.key} is {services.state(rfp)}; its responses are kept."
        return self.render_to_response(
            self.get_context_data(form=form, rfp=rfp, response=response, problem=problem)
        )

    def post(self, request, code, key, pk):
        rfp, response = self.get_rfp(), self.get_response()
        form = ResponseForm(request.POST, program=self.program, rfp=rfp, response=response)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            if data.get("received_on") is None:
                data["received_on"] = response.received_on
            try:
                services.response_update(
                    actor=request.user, response=response, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(request, f"{response.vendor.name}'s response saved.")
                return redirect(self.detail_url("responses"))
        return self.render_to_response(
            self.get_context_data(form=form, rfp=rfp, response=response), status=status
        )


class RfpResponseDeleteView(RfpMixin, TemplateView):
    permission_action = "rfp.change"
    template_name = T + "response_confirm_delete.html"

    def get(self, request, code, key, pk):
        rfp, response = self.get_rfp(), self.get_response()
        problem = ""
        if rfp.status in services.CLOSED:
            problem = f"{rfp.key} is {services.state(rfp)}; its responses are kept."
        elif response.evaluations.filter(status=EvaluationStatus.SUBMITTED).exists():
            problem = (
                f"{response.vendor.name}'s response has submitted evaluations; it stays part of "
                "the record."
            )
        drafts = response.evaluations.filter(status=EvaluationStatus.DRAFT).count()
        return self.render_to_response(
            self.get_context_data(rfp=rfp, response=response, problem=problem, drafts=drafts)
        )

    def post(self, request, code, key, pk):
        response = self.get_response()
        try:
            services.response_remove(
                actor=request.user, response=response, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was removed; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{response.vendor.name}'s response removed.")
        return redirect(self.detail_url("responses"))


# --- scoring ------------------------------------------------------------------------------


class RfpScoreView(RfpMixin, TemplateView):
    """The viewer's scoring sheet for one response: a score and comment per criterion, saved
    as a draft or submitted (then read-only, with the others' submitted scores beside it)."""

    permission_action = "rfp.evaluate"
    template_name = T + "score.html"

    def check_access(self) -> None:
        rfp = self.get_rfp()
        if not selectors.is_evaluator(rfp=rfp, user=self.request.user):
            raise PermissionDenied(
                f"You are not an evaluator of {rfp.key}; only its assigned evaluators score it."
            )

    def render_sheet(self, form=None, status=200):
        rfp, response = self.get_rfp(), self.get_response()
        view = selectors.evaluation_view(response=response, viewer=self.request.user)
        criteria = selectors.criteria_with_shares(rfp=rfp)
        editable = rfp.status == RfpStatus.EVALUATION and not view.submitted
        if form is None:
            initial = {"comment": view.evaluation.comment if view.evaluation else ""}
            for c in criteria:
                own = view.scores.get(c.pk)
                initial[f"score_{c.pk}"] = own.score if own else None
                initial[f"note_{c.pk}"] = own.comment if own else ""
            form = ScoreForm(initial=initial, criteria=criteria, scale_max=rfp.scale_max)
        if not editable:
            for field in form.fields.values():
                field.disabled = True
        responses = list(rfp.responses.select_related("vendor").order_by("vendor__name", "id"))
        index = [r.pk for r in responses].index(response.pk)
        return self.render_to_response(
            self.get_context_data(
                rfp=rfp,
                state=services.state(rfp),
                response=response,
                form=form,
                view=view,
                editable=editable,
                rows=[
                    {
                        "criterion": c,
                        "score": form[f"score_{c.pk}"],
                        "note": form[f"note_{c.pk}"],
                        "own": view.scores.get(c.pk),
                        "peers": [(p.evaluator, p.scores.get(c.pk)) for p in view.peers],
                    }
                    for c in criteria
                ],
                missing=[c.name for c in criteria if c.pk not in view.scores],
                previous=responses[index - 1] if index > 0 else None,
                next=responses[index + 1] if index + 1 < len(responses) else None,
                todo=[
                    t
                    for t in selectors.my_evaluations_to_do(
                        program=self.program, user=self.request.user
                    )
                    if t.rfp.pk == rfp.pk and t.response.pk != response.pk
                ],
            ),
            status=status,
        )

    def get(self, request, code, key, pk):
        return self.render_sheet()

    def post(self, request, code, key, pk):
        rfp, response = self.get_rfp(), self.get_response()
        criteria = list(rfp.criteria.all())
        form = ScoreForm(request.POST, criteria=criteria, scale_max=rfp.scale_max)
        submit = request.POST.get("action") == "submit"
        if not form.is_valid():
            return self.render_sheet(form, status=400)
        here = rfp_url(code, key, "rfp_score", pk=pk)
        try:
            evaluation = services.evaluation_save_scores(
                actor=request.user,
                response=response,
                scores=form.scores(),
                comments=form.comments(),
                comment=form.cleaned_data["comment"],
                expected_version=posted_version(request),
            )
        except StaleVersionError:
            form.add_error(
                None,
                "You saved this evaluation in another window meanwhile. Your scores are kept "
                "below; reload the page to see what was saved, or save again to keep these.",
            )
            return self.render_sheet(self._rebound(form), status=409)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.render_sheet(form, status=400)
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect(here)
        if not submit:
            messages.success(request, "Draft saved. Only you can see it until you submit.")
            return redirect(here)
        try:
            services.evaluation_submit(
                actor=request.user, response=response, expected_version=evaluation.version
            )
        except ValidationError as exc:
            form.add_error(
                None, f"Your draft is saved, but it was not submitted. {' '.join(exc.messages)}"
            )
            return self.render_sheet(form, status=400)
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect(here)
        messages.success(
            request,
            f"Your evaluation of {response.vendor.name} is submitted. The others' submitted "
            "scores are now shown beside yours.",
        )
        return redirect(here)

    def _rebound(self, form):
        """The same input with no version: saving again applies it over the newer draft."""
        data = form.data.copy()
        data.pop("version", None)
        rebound = ScoreForm(data, criteria=form.criteria, scale_max=form.scale_max)
        rebound.is_valid()
        for error in form.non_field_errors():
            rebound.add_error(None, error)
        return rebound


# --- the matrix and the selection ---------------------------------------------------------


class RfpMatrixView(RfpMixin, TemplateView):
    """Criteria x responses from submitted evaluations, with ranks and the evaluators' spread;
    responses the viewer must still evaluate are sealed."""

    permission_action = "rfp.view"
    template_name = T + "matrix.html"

    def get_context_data(self, **kwargs):
        rfp = self.get_rfp()
        matrix = selectors.rfp_matrix(rfp=rfp, viewer=self.request.user)
        return super().get_context_data(
            rfp=rfp,
            matrix=matrix,
            chart=matrix.chart_data() if len(matrix.ranked) > 0 else None,
            threshold=matrix.comparison.threshold if matrix.comparison else None,
            can_select=self.access.can("rfp.select") and rfp.status == RfpStatus.EVALUATION,
            **kwargs,
        )


class RfpSelectView(RfpMixin, TemplateView):
    """Choose the winning response and say why: recorded as a decision in the decision log."""

    permission_action = "rfp.select"
    template_name = T + "select.html"

    def form_for(self, data=None):
        rfp = self.get_rfp()
        matrix = selectors.rfp_matrix(rfp=rfp, viewer=self.request.user)
        labels = {
            c.response.pk: f"{c.response.vendor.name} · rank {c.result.rank}, {c.result.total}%"
            for c in matrix.ranked
        }
        form = SelectForm(data, rfp=rfp, labels=labels, initial={"version": rfp.version})
        order = Case(
            *[When(pk=pk, then=Value(i)) for i, pk in enumerate(labels)],
            output_field=IntegerField(),
        )
        if labels:
            form.fields["response"].queryset = form.fields["response"].queryset.order_by(order)
        if matrix.winner and data is None:
            form.initial["response"] = matrix.winner.response.pk
        return form, matrix

    def problem(self, rfp) -> str:
        if rfp.status != RfpStatus.EVALUATION:
            return (
                f"{rfp.key} is {services.state(rfp)}; a vendor is selected at the "
                "end of the evaluation."
            )
        return ""

    def render_form(self, form, matrix, status=200):
        rfp = self.get_rfp()
        return self.render_to_response(
            self.get_context_data(
                rfp=rfp,
                form=form,
                matrix=matrix,
                problem=self.problem(rfp),
                drafts=sum(
                    p.drafts
                    for p in selectors.evaluator_progress(
                        rfp=rfp, responses=list(rfp.responses.all())
                    )
                ),
            ),
            status=status,
        )

    def get(self, request, code, key):
        form, matrix = self.form_for()
        return self.render_form(form, matrix)

    def post(self, request, code, key):
        form, matrix = self.form_for(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                rfp = services.rfp_select(
                    actor=request.user,
                    rfp=self.get_rfp(),
                    response=data["response"],
                    rationale=data["rationale"],
                    forum=data["forum"],
                    expected_version=data["version"],
                )
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
                    request,
                    f"{rfp.selected_response.vendor.name} selected; the decision is recorded as "
                    f"{rfp.decision.key} in the decision log.",
                )
                return redirect(rfp_url(code, key))
        return self.render_form(form, matrix, status=status)
