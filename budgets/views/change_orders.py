"""Change order pages: the list (status filter, totals), a change order with its amounts and the
reserve movements citing it, the form (title, reason, change request, amounts per line and
month) while it is a draft, deletion of a draft, and approval or rejection by budget.approve
(never by its author). Approved change orders make the current budget and are never edited."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.versioning import StaleVersionError

from ..forms.plan import ChangeOrderForm, DecisionForm, amount_formset
from ..models import ChangeOrderStatus
from ..months import month_label
from ..selectors import plan as selectors
from ..services import structure as services
from .plan import CONFIRM, BudgetPageMixin


class ChangeOrderMixin(BudgetPageMixin):
    nav_section = "budgets:change_order_list"

    def get_order(self):
        return selectors.change_order_get(program=self.program, key=self.kwargs["key"])

    def decide_problem(self, order) -> str:
        if order.status != ChangeOrderStatus.DRAFT:
            return f"{order.key} is {order.get_status_display().lower()} already."
        if order.created_by_id == self.request.user.pk:
            return f"You created {order.key}; another manager or executive approves or rejects it."
        return ""


class ChangeOrderListView(ChangeOrderMixin, TemplateView):
    permission_action = "budget.view"
    template_name = "budgets/plan/change_order_list.html"

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status", "")
        if status not in ChangeOrderStatus.values:
            status = ""
        totals = selectors.change_order_totals(program=self.program)
        tabs = [{"value": "", "label": "All", "count": sum(t["count"] for t in totals.values())}]
        tabs += [
            {"value": value, "label": label, "count": totals[value]["count"]}
            for value, label in ChangeOrderStatus.choices
        ]
        return super().get_context_data(
            orders=list(selectors.change_order_list(program=self.program, status=status)),
            status=status,
            tabs=tabs,
            totals=totals,
            can_create=self.access.can("budget.change_order"),
            currency=self.program.currency,
            **kwargs,
        )


class ChangeOrderDetailView(ChangeOrderMixin, TemplateView):
    permission_action = "budget.view"
    template_name = "budgets/plan/change_order_detail.html"

    def get_context_data(self, **kwargs):
        order = self.get_order()
        amounts = selectors.change_order_amounts(change_order=order)
        draft = order.status == ChangeOrderStatus.DRAFT
        can_decide = self.access.can("budget.approve") and draft
        return super().get_context_data(
            order=order,
            amounts=amounts,
            total=sum((a.amount for a in amounts), services.ZERO),
            movements=selectors.change_order_movements(change_order=order),
            can_edit=self.access.can("budget.change_order") and draft,
            can_decide=can_decide,
            decide_problem=self.decide_problem(order) if can_decide else "",
            currency=self.program.currency,
            **kwargs,
        )


class ChangeOrderFormMixin(ChangeOrderMixin):
    template_name = "budgets/plan/change_order_form.html"

    def render_form(self, form, formset, order=None, status=200, problem=""):
        return self.render_to_response(
            self.get_context_data(
                form=form,
                formset=formset,
                order=order,
                creating=order is None,
                problem=problem,
                currency=self.program.currency,
            ),
            status=status,
        )

    def save(self, form, formset, call, order=None):
        status = 400
        if form.is_valid() and formset.is_valid():
            try:
                order = call(form.cleaned_data, formset.rows())
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
                if hasattr(exc, "error_dict") and "amounts" in exc.error_dict:
                    formset.amount_errors = exc.error_dict["amounts"]
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(self.request, f"{order.key} {order.title} saved as a draft.")
                return redirect(self.url("change_order_detail", key=order.key))
        return self.render_form(form, formset, order, status=status)


class ChangeOrderCreateView(ChangeOrderFormMixin, TemplateView):
    permission_action = "budget.change_order"

    def get(self, request, code):
        form = ChangeOrderForm(program=self.program, creating=True)
        return self.render_form(form, amount_formset(program=self.program, extra=6))

    def post(self, request, code):
        form = ChangeOrderForm(request.POST, program=self.program, creating=True)
        formset = amount_formset(request.POST, program=self.program)

        def call(data, rows):
            return services.change_order_create(
                actor=request.user, program=self.program, title=data["title"],
                reason=data["reason"], change_request=data["change_request"], amounts=rows,
            )  # fmt: skip

        return self.save(form, formset, call)


class ChangeOrderEditView(ChangeOrderFormMixin, TemplateView):
    permission_action = "budget.change_order"

    def get(self, request, code, key):
        order = self.get_order()
        amounts = selectors.change_order_amounts(change_order=order)
        form = ChangeOrderForm(
            program=self.program,
            initial={"version": order.version, "title": order.title, "reason": order.reason,
                     "change_request": order.change_request_id},
        )  # fmt: skip
        formset = amount_formset(
            program=self.program,
            initial=[
                {"line": a.line_id, "month": month_label(a.month), "amount": f"{a.amount:.2f}"}
                for a in amounts
            ],
            extra=3,
        )
        problem = ""
        if order.status != ChangeOrderStatus.DRAFT:
            problem = (
                f"{order.key} is {order.get_status_display().lower()}; only a draft is edited. "
                "Record a new change order to move the budget again."
            )
        return self.render_form(form, formset, order, problem=problem)

    def post(self, request, code, key):
        order = self.get_order()
        form = ChangeOrderForm(request.POST, program=self.program)
        formset = amount_formset(request.POST, program=self.program)

        def call(data, rows):
            return services.change_order_update(
                actor=request.user, change_order=order, expected_version=data["version"],
                title=data["title"], reason=data["reason"],
                change_request=data["change_request"], amounts=rows,
            )  # fmt: skip

        return self.save(form, formset, call, order)


class ChangeOrderDeleteView(ChangeOrderMixin, TemplateView):
    permission_action = "budget.change_order"
    template_name = CONFIRM

    def get(self, request, code, key):
        order = self.get_order()
        problem = ""
        if order.status != ChangeOrderStatus.DRAFT:
            problem = (
                f"{order.key} is {order.get_status_display().lower()}; only a draft can be "
                "deleted. It stays on record."
            )
        return self.render_to_response(
            self.get_context_data(
                title=f"Delete the draft {order.key} {order.title}?",
                text="Its amounts go with it. The deletion is recorded in the activity feed.",
                problem=problem,
                version=order.version,
                button="Delete draft",
                cancel_url=self.url("change_order_detail", key=order.key),
                crumb=("Change orders", self.url("change_order_list")),
            )
        )

    def post(self, request, code, key):
        order = self.get_order()
        try:
            services.change_order_delete(
                actor=request.user, change_order=order, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{order.key} deleted.")
            return redirect(self.url("change_order_list"))
        return redirect(self.url("change_order_detail", key=order.key))


class ChangeOrderDecideView(ChangeOrderMixin, TemplateView):
    """Approve or reject a draft (GET: the confirmation with both buttons)."""

    permission_action = "budget.approve"
    template_name = "budgets/plan/change_order_decide.html"

    def get(self, request, code, key):
        order = self.get_order()
        amounts = selectors.change_order_amounts(change_order=order)
        return self.render_to_response(
            self.get_context_data(
                order=order,
                amounts=amounts,
                total=sum((a.amount for a in amounts), services.ZERO),
                problem=self.decide_problem(order),
                chosen=request.GET.get("decision", ""),
                currency=self.program.currency,
            )
        )

    def post(self, request, code, key):
        order = self.get_order()
        form = DecisionForm(request.POST)
        detail = self.url("change_order_detail", key=order.key)
        if not form.is_valid():
            messages.error(request, "Choose approve or reject.")
            return redirect(detail)
        approve = form.cleaned_data["decision"] == "approve"
        try:
            order = services.change_order_decide(
                actor=request.user,
                change_order=order,
                approve=approve,
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersionError as exc:
            messages.error(
                request, f"{exc} Nothing was decided; review the change order and decide again."
            )
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            if approve:
                messages.success(
                    request, f"{order.key} approved: its amounts are now in the current budget."
                )
            else:
                messages.success(request, f"{order.key} rejected; the budget is unchanged.")
        return redirect(detail)
