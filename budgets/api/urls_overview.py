"""API routes of the budget overview and settings (included by budgets/api/urls.py)."""

from django.urls import path

from . import overview as api

B = "programs/<str:code>/budget/"

urlpatterns = [
    path(B + "overview/", api.BudgetOverviewView.as_view(), name="budgets_overview"),
    path(B + "settings/", api.BudgetSettingsView.as_view(), name="budgets_settings"),
]
