"""Forecast pages: the grid (lines by workstream; closed months show actuals, open months the
latest forecast; EAC and variance at completion per line), one line's forecast with its
movement, the line's re-forecast form (the line's version is the row lock: a stale save is
refused and the input kept), copying the remaining plan into the forecast, and the program's
forecast movement."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.forms import apply_validation_error
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from ..forms.forecasts import CopyPlanForm, ForecastLineForm, month_field_name
from ..months import month_label
from ..selectors import forecasts as selectors
from ..services import forecasts as services

NAV = "budgets:forecasts"


def line_url(code: str, key: str) -> str:
    return reverse("budgets:forecast_line", kwargs={"code": code, "key": key})


class ForecastMixin(ProgramViewMixin):
    nav_section = NAV


class ForecastGridView(ForecastMixin, TemplateView):
    permission_action = "budget.view"
    template_name = "budgets/forecasts/grid.html"

    def get_context_data(self, **kwargs):
        show_closed = self.request.GET.get("closed") == "1"
        grid = selectors.forecast_grid(self.program, show_closed=show_closed)
        return super().get_context_data(
            grid=grid,
            show_closed=show_closed,
            can_change=self.access.can("budget.change"),
            **kwargs,
        )


class ForecastMovementView(ForecastMixin, TemplateView):
    """How the program's forecast moved: EAC by as-of date, a chart and the table."""

    permission_action = "budget.view"
    template_name = "budgets/forecasts/movement.html"

    def get_context_data(self, **kwargs):
        points = selectors.forecast_history(self.program)
        book = selectors.program_ledger(self.program)
        budget = book.total().plan
        return super().get_context_data(
            points=points,
            points_desc=list(reversed(points)),
            chart=selectors.history_chart(points, budget),
            budget=budget,
            eac=book.eac(),
            **kwargs,
        )


class ForecastLineView(ForecastMixin, TemplateView):
    """One line: its months, EAC, and how its forecast moved."""

    permission_action = "budget.view"
    template_name = "budgets/forecasts/line.html"

    def get_context_data(self, **kwargs):
        line = selectors.line_for_forecast(program=self.program, key=self.kwargs["key"])
        data = selectors.line_forecast(self.program, line)
        points = selectors.forecast_history(self.program, line=line)
        return super().get_context_data(
            line=line,
            points=points,
            points_desc=list(reversed(points)),
            chart=selectors.history_chart(points, data["budget"]),
            can_change=self.access.can("budget.change"),
            **data,
            **kwargs,
        )


class ForecastEditView(ForecastMixin, TemplateView):
    """Re-forecast one line's open months (one row of the grid)."""

    permission_action = "budget.change"
    template_name = "budgets/forecasts/edit.html"

    def context(self, line, form, **extra):
        data = selectors.line_forecast(self.program, line)
        rows = [
            {**cell, "field": form[month_field_name(cell["month"])] if not cell["closed"] else None}
            for cell in data["months"]
        ]
        return self.get_context_data(line=line, form=form, rows=rows, **data, **extra)

    def get(self, request, code, key):
        line = selectors.line_for_forecast(program=self.program, key=key)
        months = selectors.open_months(self.program)
        data = selectors.line_forecast(self.program, line)
        initial = {"version": line.version}
        for cell in data["months"]:
            if not cell["closed"] and cell["forecast"] is not None:
                initial[month_field_name(cell["month"])] = f"{cell['forecast']:.2f}"
        form = ForecastLineForm(initial=initial, months=months)
        return self.render_to_response(self.context(line, form))

    def post(self, request, code, key):
        line = selectors.line_for_forecast(program=self.program, key=key)
        form = ForecastLineForm(request.POST, months=selectors.open_months(self.program))
        status = 400
        if form.is_valid():
            try:
                line, saved = services.forecast_line_save(
                    actor=request.user,
                    line=line,
                    amounts=form.amounts(),
                    expected_version=form.cleaned_data["version"],
                    note=form.cleaned_data["note"],
                )
            except StaleVersionError as exc:
                form.add_error(
                    None,
                    f"Someone saved {line.key}'s forecast or plan while you were editing. The "
                    "figures beside your input are the current ones; your input is kept: check "
                    "it against them and save again.",
                )
                form.conflict = exc
                data = form.data.copy()
                data["version"] = str(exc.current.version)
                form.data = data
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc, aliases=form.aliases())
            else:
                if saved:
                    months = ", ".join(month_label(e.month) for e in saved)
                    messages.success(request, f"{line.key} re-forecast: {months}.")
                else:
                    messages.info(request, f"{line.key}: nothing changed, nothing recorded.")
                return redirect(line_url(code, line.key))
        return self.render_to_response(self.context(line, form), status=status)


class ForecastCopyPlanView(ForecastMixin, TemplateView):
    """Forecast every open month of a line at its current budget."""

    permission_action = "budget.change"
    http_method_names = ["post"]

    def post(self, request, code, key):
        line = selectors.line_for_forecast(program=self.program, key=key)
        form = CopyPlanForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The form lacked the line's version; nothing was copied.")
            return redirect(line_url(code, line.key))
        try:
            line, saved = services.forecast_copy_plan(
                actor=request.user, line=line, expected_version=form.cleaned_data["version"]
            )
        except StaleVersionError:
            messages.error(
                request,
                f"{line.key} changed while you were looking at it; nothing was copied. Check the "
                "figures below and copy again.",
            )
        else:
            messages.success(
                request,
                f"{line.key}: the remaining plan is now the forecast "
                f"({len(saved)} month{'s' if len(saved) != 1 else ''} changed).",
            )
        return redirect(line_url(code, line.key))
