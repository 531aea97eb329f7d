"""Budget overview and settings pages (included by budgets/urls.py)."""

from django.urls import path

from .views import overview as views

B = ""

urlpatterns = [
    path(B, views.BudgetOverviewView.as_view(), name="overview"),
    path(B + "settings/", views.BudgetSettingsView.as_view(), name="settings"),
]
