"""Forecasts API routes (included by budgets/api/urls.py)."""

from django.urls import path

from . import forecasts as api

F = "programs/<str:code>/budget/forecasts/"

urlpatterns = [
    path(F, api.ForecastGridView.as_view(), name="budgets_forecast_grid"),
    path(F + "history/", api.ForecastHistoryView.as_view(), name="budgets_forecast_history"),
    path(F + "<str:key>/", api.ForecastLineView.as_view(), name="budgets_forecast_line"),
    path(
        F + "<str:key>/copy-plan/",
        api.ForecastCopyPlanView.as_view(),
        name="budgets_forecast_copy_plan",
    ),
]
