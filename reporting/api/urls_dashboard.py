"""API routes of the dashboards (included by reporting/api/urls.py under /api/v1/)."""

from django.urls import path

from . import dashboard as api

urlpatterns = [
    path(
        "programs/<str:code>/dashboard/",
        api.ProgramDashboardView.as_view(),
        name="reporting_dashboard",
    ),
    path("portfolio/", api.PortfolioView.as_view(), name="reporting_portfolio"),
]
