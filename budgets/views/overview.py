"""The budget overview (tiles, reserves, the cumulative chart, breakdowns) and the program's
budget settings page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from ..forms.variance import BudgetSettingsForm
from ..selectors.overview import budget_overview
from ..selectors.settings import budget_settings
from ..services.settings import FIELDS, budget_settings_update


class BudgetOverviewView(ProgramViewMixin, TemplateView):
    permission_action = "budget.view"
    nav_section = "budgets:overview"
    template_name = "budgets/overview/overview.html"

    def get_context_data(self, **kwargs):
        overview = budget_overview(self.program)
        return super().get_context_data(
            overview=overview,
            figures=overview.figures,
            currency=self.program.currency,
            can_settings=self.access.can("budget.settings"),
            can_review=self.access.can("variance.review"),
            **kwargs,
        )


class BudgetSettingsView(ProgramViewMixin, TemplateView):
    permission_action = "budget.settings"
    nav_section = "budgets:settings"
    template_name = "budgets/overview/settings.html"

    def form(self, data=None) -> BudgetSettingsForm:
        row = budget_settings(self.program)
        initial = {name: getattr(row, name) for name in FIELDS}
        return BudgetSettingsForm(
            data, program=self.program, initial={"version": row.version, **initial}
        )

    def get(self, request, code):
        return self.render_to_response(self.get_context_data(form=self.form()))

    def post(self, request, code):
        form = self.form(request.POST)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                budget_settings_update(
                    actor=request.user, program=self.program, expected_version=version, **data
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
                messages.success(request, "Budget settings saved.")
                return redirect("budgets:settings", code=code)
        return self.render_to_response(self.get_context_data(form=form), status=status)
