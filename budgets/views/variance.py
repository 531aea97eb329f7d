"""Variance pages: plan vs actual vs forecast by month, category, workstream, vendor or line with
the burn rate; the variances that still need an explanation (with one-click requests); the
explanations, and writing and reviewing one."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from ..forms.variance import ExplanationReviewForm, ExplanationWriteForm, VarianceFilterForm
from ..models import BudgetLine, ExplanationStatus
from ..months import parse_month
from ..selectors import variance as selectors
from ..selectors.ledger import variance_percent
from ..services import variance as services


def _back(request, code: str, default: str = "budgets:unexplained"):
    """The page the request came from (`next`, same site only), else `default`."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(default, code=code)


class VarianceView(ProgramViewMixin, TemplateView):
    permission_action = "budget.view"
    nav_section = "budgets:variance"
    template_name = "budgets/variance/variance.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "variance-table")]

    def get_context_data(self, **kwargs):
        params = self.request.GET
        filters = selectors.VarianceFilters.from_query(params)
        group_by = params.get("group") if params.get("group") in selectors.GROUPS else "month"
        view = selectors.variance_view(self.program, group_by=group_by, filters=filters)
        query = filters.as_query()
        export_query = urlencode({**query, "group": group_by} if group_by != "month" else query)
        group_links = [
            (key, label, urlencode({**query, "group": key} if key != "month" else query))
            for key, label in selectors.GROUPS.items()
        ]
        form = VarianceFilterForm({**dict(params.items()), "group": group_by}, program=self.program)
        form.is_valid()
        for name, message in filters.errors.items():
            if name in form.fields:
                form.add_error(name, message)
        return super().get_context_data(
            view=view,
            form=form,
            currency=self.program.currency,
            export_query=export_query,
            group_links=group_links,
            group_label=selectors.GROUPS[group_by],
            can_review=self.access.can("variance.review"),
            can_export=self.access.can("budget.export"),
            **kwargs,
        )


class UnexplainedListView(ProgramViewMixin, TemplateView):
    permission_action = "budget.view"
    nav_section = "budgets:explanation_list"
    template_name = "budgets/variance/unexplained.html"

    def get_context_data(self, **kwargs):
        state = self.request.GET.get("state") or None
        if state not in selectors.UNEXPLAINED_STATES:
            state = None
        every = selectors.unexplained_variances(self.program)
        rows = [r for r in every if state is None or r.state == state]
        counts = dict.fromkeys(selectors.UNEXPLAINED_STATES, 0)
        for row in every:
            counts[row.state] += 1
        role = self.access.role
        for row in rows:
            row.can_write = row.explanation is not None and services.may_write(
                row.explanation, self.request.user, role
            )
        return super().get_context_data(
            rows=rows,
            total=len(every),
            state=state,
            states=[(k, label, counts[k]) for k, label in selectors.UNEXPLAINED_STATES.items()],
            not_requested=counts["not_requested"],
            settings=selectors.budget_settings(self.program),
            currency=self.program.currency,
            can_review=self.access.can("variance.review"),
            **kwargs,
        )


class ExplanationRequestView(ProgramViewMixin, TemplateView):
    """POST line (key) and month (YYYY-MM): request that variance's explanation."""

    permission_action = "variance.review"
    http_method_names = ["post"]

    def post(self, request, code):
        key = (request.POST.get("line") or "").strip().upper()
        line = BudgetLine.objects.filter(program=self.program, key=key).first()
        try:
            month = parse_month(request.POST.get("month", ""))
        except ValueError as exc:
            messages.error(request, str(exc))
            return _back(request, code)
        if line is None:
            messages.error(request, f"There is no budget line {key or '(none given)'}.")
            return _back(request, code)
        try:
            explanation = services.explanation_request(actor=request.user, line=line, month=month)
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            owner = line.owner
            whom = f" from {owner}." if owner else " (the line has no owner: a manager writes it)."
            messages.success(request, f"Explanation of {line.key} in {month:%b %Y} requested{whom}")
            if request.POST.get("open"):
                return redirect("budgets:explanation_detail", code=code, pk=explanation.pk)
        return _back(request, code)


class ExplanationRequestAllView(ProgramViewMixin, TemplateView):
    permission_action = "variance.review"
    http_method_names = ["post"]

    def post(self, request, code):
        try:
            created = services.explanation_request_all(actor=request.user, program=self.program)
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            if created:
                messages.success(
                    request,
                    f"{len(created)} explanation{'s' if len(created) != 1 else ''} requested "
                    "from the lines' owners.",
                )
            else:
                messages.info(request, "Every variance beyond the thresholds is requested already.")
        return _back(request, code)


class ExplanationListView(ProgramViewMixin, TemplateView):
    permission_action = "budget.view"
    nav_section = "budgets:explanation_list"
    template_name = "budgets/variance/explanation_list.html"

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status") or ""
        if status not in ExplanationStatus.values:
            status = ""
        rows = list(selectors.explanation_list(program=self.program, status=status or None))
        for row in rows:
            row.variance = row.actual - row.plan  # as it stood when requested
        return super().get_context_data(
            rows=rows,
            status=status,
            statuses=ExplanationStatus.choices,
            currency=self.program.currency,
            unexplained=len(selectors.unexplained_variances(self.program)),
            **kwargs,
        )


class ExplanationMixin(ProgramViewMixin):
    nav_section = "budgets:explanation_list"
    template_name = "budgets/variance/explanation_detail.html"

    def get_explanation(self):
        return selectors.explanation_get(program=self.program, pk=self.kwargs["pk"])

    def page(self, explanation, *, write_form=None, review_form=None, status=200):
        editable = explanation.status in services.EDITABLE
        can_write = editable and services.may_write(
            explanation, self.request.user, self.access.role
        )
        can_review = (
            self.access.can("variance.review") and explanation.status == ExplanationStatus.SUBMITTED
        )
        if can_write and write_form is None:
            write_form = ExplanationWriteForm(
                initial={"version": explanation.version, "text": explanation.text}
            )
        if can_review and review_form is None:
            review_form = ExplanationReviewForm(
                initial={"version": explanation.version, "decision": ExplanationStatus.APPROVED}
            )
        variance = explanation.actual - explanation.plan
        context = self.get_context_data(
            explanation=explanation,
            line=explanation.line,
            variance=variance,
            variance_percent=variance_percent(variance, explanation.plan),
            currency=self.program.currency,
            write_form=write_form if can_write else None,
            review_form=review_form if can_review else None,
            variance_url=reverse("budgets:variance", kwargs={"code": self.program.code})
            + "?"
            + urlencode({"group": "line", "workstream": explanation.line.workstream_id}),
        )
        return self.render_to_response(context, status=status)


class ExplanationDetailView(ExplanationMixin, TemplateView):
    permission_action = "budget.view"

    def get(self, request, code, pk):
        return self.page(self.get_explanation())


class ExplanationWriteView(ExplanationMixin, TemplateView):
    permission_action = "variance.explain"
    http_method_names = ["post"]

    def post(self, request, code, pk):
        explanation = self.get_explanation()
        form = ExplanationWriteForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.explanation_write(
                    actor=request.user,
                    explanation=explanation,
                    text=form.cleaned_data["text"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect("budgets:explanation_detail", code=code, pk=pk)
            else:
                messages.success(request, "Explanation sent to finance for approval.")
                return redirect("budgets:explanation_detail", code=code, pk=pk)
        return self.page(self.get_explanation(), write_form=form, status=status)


class ExplanationReviewView(ExplanationMixin, TemplateView):
    permission_action = "variance.review"
    http_method_names = ["post"]

    def post(self, request, code, pk):
        explanation = self.get_explanation()
        form = ExplanationReviewForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            step = (
                services.explanation_approve
                if data["decision"] == ExplanationStatus.APPROVED
                else services.explanation_return
            )
            try:
                step(
                    actor=request.user,
                    explanation=explanation,
                    note=data["note"],
                    expected_version=data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect("budgets:explanation_detail", code=code, pk=pk)
            else:
                done = "approved" if data["decision"] == ExplanationStatus.APPROVED else "returned"
                messages.success(request, f"Explanation {done}.")
                return redirect("budgets:explanation_detail", code=code, pk=pk)
        return self.page(self.get_explanation(), review_form=form, status=status)
