"""Budget structure pages: the time-phased plan grid with its htmx row editor, the cost
categories, and the reserves with their movements.

The grid shows the original plan (editable a row at a time by budget.change) or the current
budget (original + approved change orders, read-only). A row's save carries the line's version:
a save based on a stale row is refused with who changed which month meanwhile, the typed amounts
kept. One bad cell refuses the whole row (nothing is saved) with a message on that cell.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error, display_value, posted_version
from core.htmx import page_or_partial, wants_partial
from core.templatetags.money import money
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin
from programs.models import Workstream

from ..forms.plan import CategoryForm, MovementForm, PlanRowForm, ReserveForm
from ..models import CostCategory, ReserveKind
from ..months import month_label
from ..selectors import plan as selectors
from ..services import structure as services

GRID = "budgets/plan/grid.html"
CONFIRM = "budgets/plan/confirm.html"


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class BudgetPageMixin(ProgramViewMixin):
    def url(self, name: str, **kwargs) -> str:
        return reverse(f"budgets:{name}", kwargs={"code": self.program.code, **kwargs})


# --- the grid -----------------------------------------------------------------------------------


class PlanGridMixin(BudgetPageMixin):
    nav_section = "budgets:plan"

    def filters(self) -> dict:
        params = self.request.GET
        return {
            "ws": _int(params.get("ws")),
            "category": _int(params.get("category")),
            "view": "current" if params.get("view") == "current" else "original",
        }

    def filter_qs(self, filters: dict) -> str:
        return urlencode({k: v for k, v in filters.items() if v and v != "original"})

    def grid_context(self, *, editing=None, saved_key: str = "") -> dict:
        filters = self.filters()
        current = filters["view"] == "current"
        grid = selectors.plan_grid(
            self.program, current=current, workstream=filters["ws"], category=filters["category"]
        )
        can_edit = self.access.can("budget.change") and not current
        return {
            "grid": grid,
            "filters": filters,
            "filter_qs": self.filter_qs(filters),
            "workstreams": list(Workstream.objects.filter(program=self.program).order_by("name")),
            "categories": list(CostCategory.objects.filter(program=self.program)),
            "can_edit": can_edit,
            "editing": editing,  # (line key, form) of a row shown in edit mode
            "saved_key": saved_key,
            "currency": self.program.currency,
            "column_count": len(grid.months) + 2,
        }


class PlanGridView(PlanGridMixin, TemplateView):
    """Rows = budget lines by workstream, columns = the program's months, totals both ways."""

    permission_action = "budget.view"
    template_name = GRID

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "plan-grid")]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.grid_context(), **kwargs)


class PlanRowView(PlanGridMixin, TemplateView):
    """htmx row editor: GET swaps the row for inputs (`?cancel=1`: back to figures), POST saves
    the row and answers the refreshed grid (totals move), or the editor with its errors."""

    permission_action = "budget.change"
    template_name = GRID

    def line(self):
        return selectors.line_get(program=self.program, key=self.kwargs["key"])

    def row_response(self, line, *, form=None, status=200, conflict=None):
        row = selectors.plan_line_row(self.program, line)
        context = self.get_context_data(
            **self.grid_context(),
            row=row,
            form=form,
            conflict=conflict,
            months=row and selectors.program_month_list(self.program),
        )
        context["can_edit"] = True
        partial = "row-edit" if form is not None else "row"
        return self.response_class(
            request=self.request,
            template=[f"{self.template_name}#{partial}"],
            context=context,
            status=status,
        )

    def form_for(self, line, data=None) -> PlanRowForm:
        months = selectors.program_month_list(self.program)
        if data is not None:
            return PlanRowForm(data, months=months)
        row = selectors.plan_line_row(self.program, line)
        initial = {"version": line.version}
        for month, amount in zip(months, row.amounts, strict=True):
            initial[PlanRowForm.field_name(month)] = f"{amount:.2f}" if amount else ""
        return PlanRowForm(initial=initial, months=months)

    def get(self, request, code, key):
        line = self.line()
        if request.GET.get("cancel"):
            return self.row_response(line)
        return self.row_response(line, form=self.form_for(line))

    def post(self, request, code, key):
        line = self.line()
        form = self.form_for(line, request.POST)
        status = 400
        conflict = None
        if form.is_valid():
            try:
                services.line_plan_set(
                    actor=request.user,
                    line=line,
                    amounts=form.amounts(),
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                conflict = _conflict_text(exc)
                data = form.data.copy()
                data["version"] = str(exc.current.version)
                form.data = data
                status = 409
            except ValidationError as exc:
                apply_validation_error(
                    form,
                    exc,
                    aliases={month_label(m): PlanRowForm.field_name(m) for m in form.months},
                )
            else:
                return self.saved(line)
        if not wants_partial(request):
            context = self.get_context_data(**self.grid_context(editing=(line.key, form)))
            context["conflict"] = conflict
            return self.response_class(
                request=request, template=[self.template_name], context=context, status=status
            )
        return self.row_response(line, form=form, status=status, conflict=conflict)

    def saved(self, line):
        if not wants_partial(self.request):
            messages.success(self.request, f"{line.key} {line.name}: plan saved.")
            query = self.filter_qs(self.filters())
            return redirect(f"{self.url('plan')}{'?' + query if query else ''}#line-{line.key}")
        context = self.get_context_data(**self.grid_context(saved_key=line.key))
        response = self.response_class(
            request=self.request, template=[f"{self.template_name}#plan-grid"], context=context
        )
        response["HX-Retarget"] = "#plan-grid"
        response["HX-Reswap"] = "outerHTML"
        return response


def _money_text(value) -> str:
    text = display_value(value)
    return money(text) if text[:1].isdigit() else text


def _conflict_text(exc: StaleVersionError) -> str:
    who = ", ".join(exc.changed_by) or "Someone else"
    parts = []
    for field, (was, now) in exc.changed_fields.items():
        label = field.removeprefix("plan ")
        parts.append(f"{label}: {_money_text(was)} → {_money_text(now)}")
    detail = "; ".join(parts) or "the line itself"
    return (
        f"{who} changed this row while you were editing ({detail}). Your amounts are kept "
        "below; check them against the change and save again to apply them."
    )


# --- cost categories ----------------------------------------------------------------------------


class CategoryMixin(BudgetPageMixin):
    nav_section = "budgets:category_list"


class CategoryListView(CategoryMixin, TemplateView):
    permission_action = "budget.view"
    template_name = "budgets/plan/category_list.html"

    def get_context_data(self, **kwargs):
        can_change = self.access.can("budget.change")
        if can_change:
            kwargs.setdefault("form", CategoryForm(creating=True))
        return super().get_context_data(
            categories=list(selectors.category_list(program=self.program)),
            can_change=can_change,
            **kwargs,
        )


class CategoryCreateView(CategoryMixin, TemplateView):
    permission_action = "budget.change"
    template_name = "budgets/plan/category_list.html"

    def get(self, request, code):
        return redirect(self.url("category_list"))

    def post(self, request, code):
        form = CategoryForm(request.POST, creating=True)
        if form.is_valid():
            try:
                category = services.category_create(
                    actor=request.user, program=self.program, **form.service_fields()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Category “{category.name}” added.")
                return redirect(self.url("category_list"))
        return self.response_class(
            request=request,
            template=[self.template_name],
            context=self.get_context_data(
                categories=list(selectors.category_list(program=self.program)),
                can_change=True,
                form=form,
            ),
            status=400,
        )


class CategoryEditView(CategoryMixin, TemplateView):
    permission_action = "budget.change"
    template_name = "budgets/plan/category_form.html"

    def get(self, request, code, pk):
        category = selectors.category_get(program=self.program, pk=pk)
        form = CategoryForm(
            initial={
                "version": category.version, "name": category.name, "kind": category.kind,
                "expense_type": category.expense_type, "gl_account": category.gl_account,
                "position": category.position,
            }
        )  # fmt: skip
        return self.render_to_response(self.get_context_data(category=category, form=form))

    def post(self, request, code, pk):
        category = selectors.category_get(program=self.program, pk=pk)
        form = CategoryForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                category = services.category_update(
                    actor=request.user,
                    category=category,
                    expected_version=form.cleaned_data["version"],
                    **form.service_fields(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Category “{category.name}” saved.")
                return redirect(self.url("category_list"))
        return self.render_to_response(
            self.get_context_data(category=category, form=form), status=status
        )


class CategoryDeleteView(CategoryMixin, TemplateView):
    permission_action = "budget.change"
    template_name = CONFIRM

    def get(self, request, code, pk):
        category = selectors.category_list(program=self.program).filter(pk=pk).first()
        if category is None:
            category = selectors.category_get(program=self.program, pk=pk)  # 404
        problem = ""
        count = category.line_count
        if count:
            problem = (
                f"{count} budget line{'s use' if count != 1 else ' uses'} “{category.name}”. "
                f"Move {'them' if count != 1 else 'it'} to another category first; a category "
                "in use cannot be deleted."
            )
        back = self.url("category_list")
        return self.render_to_response(
            self.get_context_data(
                title=f"Delete the category “{category.name}”?",
                text="No budget line uses it. The deletion is recorded in the activity feed.",
                problem=problem,
                version=category.version,
                button="Delete category",
                cancel_url=back,
                crumb=("Cost categories", back),
            )
        )

    def post(self, request, code, pk):
        category = selectors.category_get(program=self.program, pk=pk)
        try:
            services.category_delete(
                actor=request.user, category=category, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"Category “{category.name}” deleted.")
        return redirect(self.url("category_list"))


# --- reserves -----------------------------------------------------------------------------------


class ReserveMixin(BudgetPageMixin):
    nav_section = "budgets:reserves"


class ReservesView(ReserveMixin, TemplateView):
    """Management and contingency reserves: set aside, moved, balance; every movement."""

    permission_action = "budget.view"
    template_name = "budgets/plan/reserves.html"

    def get_context_data(self, **kwargs):
        balances = selectors.reserve_balances(self.program)
        can_change = self.access.can("budget.change")
        if can_change:
            kwargs.setdefault(
                "movement_form",
                MovementForm(program=self.program, initial={"on": _today()}),
            )
        return super().get_context_data(
            reserves=balances,
            total={
                "amount": sum(r["amount"] for r in balances),
                "movements": sum(r["movements_total"] for r in balances),
                "balance": sum(r["balance"] for r in balances),
            },
            movements=list(selectors.reserve_movements(program=self.program)[:200]),
            can_change=can_change,
            currency=self.program.currency,
            **kwargs,
        )


def _today() -> dt.date:
    return dt.date.today()


class ReserveEditView(ReserveMixin, TemplateView):
    permission_action = "budget.change"
    template_name = "budgets/plan/reserve_form.html"

    def reserve(self):
        return selectors.reserve_get(program=self.program, kind=self.kwargs["key"])

    def context(self, form, reserve):
        return self.get_context_data(
            form=form,
            reserve=reserve,
            kind_label=ReserveKind(self.kwargs["key"]).label,
            currency=self.program.currency,
        )

    def get(self, request, code, key):
        reserve = self.reserve()
        initial = {}
        if reserve is not None:
            initial = {"version": reserve.version, "amount": f"{reserve.amount:.2f}",
                       "note": reserve.note}  # fmt: skip
        return self.render_to_response(self.context(ReserveForm(initial=initial), reserve))

    def post(self, request, code, key):
        reserve = self.reserve()
        form = ReserveForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                reserve = services.reserve_set(
                    actor=request.user,
                    program=self.program,
                    kind=key,
                    amount=form.cleaned_data["amount"],
                    note=form.cleaned_data["note"],
                    expected_version=form.cleaned_data["version"] if reserve else None,
                )
            except StaleVersionError as exc:
                who = ", ".join(exc.changed_by) or "Someone else"
                form.add_error(
                    None,
                    f"{who} changed this reserve while you were editing (amount now "
                    f"{exc.current.amount}). Your figure is kept; save again to apply it.",
                )
                data = form.data.copy()
                data["version"] = str(exc.current.version)
                form.data = data
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{reserve}: amount set aside saved.")
                return redirect(self.url("reserves"))
        return self.render_to_response(self.context(form, reserve), status=status)


class MovementCreateView(ReserveMixin, TemplateView):
    permission_action = "budget.change"
    template_name = "budgets/plan/reserves.html"

    def get(self, request, code):
        return redirect(self.url("reserves"))

    def post(self, request, code):
        form = MovementForm(request.POST, program=self.program)
        if form.is_valid():
            data = form.cleaned_data
            reserve = selectors.reserve_get(program=self.program, kind=data["reserve"])
            if reserve is None:
                form.add_error(
                    "reserve",
                    f"Set the {ReserveKind(data['reserve']).label.lower()}'s amount first.",
                )
            else:
                try:
                    movement = services.reserve_movement_create(
                        actor=request.user,
                        reserve=reserve,
                        amount=data["amount"],
                        on=data["on"],
                        reason=data["reason"],
                        change_order=data["change_order"],
                    )
                except ValidationError as exc:
                    apply_validation_error(form, exc)
                else:
                    kind = "Draw on" if movement.amount < 0 else "Top-up of"
                    messages.success(request, f"{kind} the {reserve} recorded.")
                    return redirect(self.url("reserves"))
        view = ReservesView()
        view.setup(request, code=code)
        view.access, view.program = self.access, self.program
        return self.response_class(
            request=request,
            template=[self.template_name],
            context=view.get_context_data(movement_form=form),
            status=400,
        )
