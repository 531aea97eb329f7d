"""Forecast pages under /programs/<code>/budget/forecasts/ (included by budgets/urls.py)."""

from django.urls import path

from .views import forecasts as views

F = "forecasts/"

urlpatterns = [
    path(F, views.ForecastGridView.as_view(), name="forecasts"),
    path(F + "movement/", views.ForecastMovementView.as_view(), name="forecast_movement"),
    path(F + "<str:key>/", views.ForecastLineView.as_view(), name="forecast_line"),
    path(F + "<str:key>/edit/", views.ForecastEditView.as_view(), name="forecast_edit"),
    path(
        F + "<str:key>/copy-plan/",
        views.ForecastCopyPlanView.as_view(),
        name="forecast_copy_plan",
    ),
]
