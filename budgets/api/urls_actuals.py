"""Actuals API routes: cost entries, GL imports, accruals (included by budgets/api/urls.py)."""

from django.urls import path

from . import actuals as api

B = "programs/<str:code>/budget/"

urlpatterns = [
    path(B + "cost-entries/", api.CostEntryListView.as_view(), name="budgets_cost_entry_list"),
    path(
        B + "cost-entries/<int:pk>/",
        api.CostEntryDetailView.as_view(),
        name="budgets_cost_entry_detail",
    ),
    path(B + "gl-imports/", api.GLImportView.as_view(), name="budgets_gl_import"),
    path(B + "accruals/", api.AccrualListView.as_view(), name="budgets_accrual_list"),
    path(B + "accruals/<str:key>/", api.AccrualDetailView.as_view(), name="budgets_accrual_detail"),
    path(
        B + "accruals/<str:key>/cancel/",
        api.AccrualCancelView.as_view(),
        name="budgets_accrual_cancel",
    ),
]
