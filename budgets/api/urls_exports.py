"""Budgets API: the variance report export."""

from django.urls import path

from .exports import BudgetExportView

urlpatterns = [
    path("programs/<str:code>/budget/export/", BudgetExportView.as_view(), name="budgets_export"),
]
