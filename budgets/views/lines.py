"""Budget line pages: the list (with each line's original and current budget), add, edit,
delete (refused, saying what, when money is booked, forecast or changed against the line) and a
line's page with its months: original plan, approved change orders, current plan."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.versioning import StaleVersionError
from programs.models import Workstream

from ..forms.plan import LineForm
from ..models import CostCategory
from ..selectors import plan as selectors
from ..services import structure as services
from .plan import CONFIRM, BudgetPageMixin, _int


class LineMixin(BudgetPageMixin):
    nav_section = "budgets:line_list"

    def get_line(self):
        return selectors.line_get(program=self.program, key=self.kwargs["key"])


class LineListView(LineMixin, TemplateView):
    permission_action = "budget.view"
    template_name = "budgets/plan/line_list.html"

    def get_context_data(self, **kwargs):
        ws, category = _int(self.request.GET.get("ws")), _int(self.request.GET.get("category"))
        lines, book = selectors.line_list(program=self.program, workstream=ws, category=category)
        total = book.total()
        return super().get_context_data(
            lines=lines,
            total=total,
            filters={"ws": ws, "category": category},
            workstreams=list(Workstream.objects.filter(program=self.program).order_by("name")),
            categories=list(CostCategory.objects.filter(program=self.program)),
            can_change=self.access.can("budget.change"),
            currency=self.program.currency,
            **kwargs,
        )


class LineCreateView(LineMixin, TemplateView):
    permission_action = "budget.change"
    template_name = "budgets/plan/line_form.html"

    def get(self, request, code):
        initial = {k: request.GET[k] for k in ("workstream", "category") if request.GET.get(k)}
        form = LineForm(program=self.program, creating=True, initial=initial)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = LineForm(request.POST, program=self.program, creating=True)
        if form.is_valid():
            try:
                line = services.line_create(
                    actor=request.user, program=self.program, **form.service_fields()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request, f"{line.key} {line.name} added; plan its months in the grid."
                )
                return redirect(self.url("line_detail", key=line.key))
        return self.render_to_response(self.get_context_data(form=form, creating=True), status=400)


class LineDetailView(LineMixin, TemplateView):
    permission_action = "budget.view"
    template_name = "budgets/plan/line_detail.html"

    def get_context_data(self, **kwargs):
        line = self.get_line()
        months, total = selectors.line_months(self.program, line)
        history = list(history_for_object(line).order_by("-id")[:10])
        return super().get_context_data(
            line=line,
            months=months,
            total=total,
            change_orders=selectors.line_change_orders(line=line),
            history=history,
            can_change=self.access.can("budget.change"),
            currency=self.program.currency,
            **kwargs,
        )


class LineEditView(LineMixin, TemplateView):
    permission_action = "budget.change"
    template_name = "budgets/plan/line_form.html"

    def get(self, request, code, key):
        line = self.get_line()
        form = LineForm(
            program=self.program,
            initial={
                "version": line.version, "workstream": line.workstream_id,
                "category": line.category_id, "name": line.name, "owner": line.owner_id,
                "vendor": line.vendor_id, "contract": line.contract_id, "notes": line.notes,
            },
        )  # fmt: skip
        return self.render_to_response(self.get_context_data(form=form, line=line))

    def post(self, request, code, key):
        line = self.get_line()
        form = LineForm(request.POST, program=self.program)
        status = 400
        if form.is_valid():
            try:
                line = services.line_update(
                    actor=request.user,
                    line=line,
                    expected_version=form.cleaned_data["version"],
                    **form.service_fields(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{line.key} saved.")
                return redirect(self.url("line_detail", key=line.key))
        return self.render_to_response(self.get_context_data(form=form, line=line), status=status)


class LineDeleteView(LineMixin, TemplateView):
    permission_action = "budget.change"
    template_name = CONFIRM

    def get(self, request, code, key):
        line = self.get_line()
        found = services.line_dependants(line)
        problem = ""
        if found:
            problem = (
                f"{line.key} has {', '.join(found)}. A line with money booked, forecast or "
                "changed against it stays on record; set its plan to zero in the grid instead."
            )
        back = self.url("line_detail", key=line.key)
        return self.render_to_response(
            self.get_context_data(
                title=f"Delete {line.key} {line.name}?",
                text="Its planned months are deleted with it. The deletion is recorded in the "
                "activity feed.",
                problem=problem,
                version=line.version,
                button="Delete line",
                cancel_url=back,
                crumb=("Budget lines", self.url("line_list")),
            )
        )

    def post(self, request, code, key):
        line = self.get_line()
        try:
            services.line_delete(
                actor=request.user, line=line, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{line.key} {line.name} deleted.")
            return redirect(self.url("line_list"))
        return redirect(self.url("line_detail", key=line.key))
