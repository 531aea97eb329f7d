"""The program dashboard page (included by reporting/urls.py under /programs/<code>/reports/)."""

from django.urls import path

from .views.dashboard import ProgramDashboardView

urlpatterns = [
    path("dashboard/", ProgramDashboardView.as_view(), name="dashboard"),
]
