"""Actuals, GL import and accrual pages under /programs/<code>/budget/ (included by
budgets/urls.py)."""

from django.urls import path

from .views import actuals as views

B = ""
A = B + "actuals/"
R = B + "accruals/"

urlpatterns = [
    path(A, views.CostEntryListView.as_view(), name="actuals"),
    path(A + "new/", views.CostEntryCreateView.as_view(), name="cost_entry_create"),
    path(A + "<int:pk>/edit/", views.CostEntryEditView.as_view(), name="cost_entry_edit"),
    path(A + "<int:pk>/delete/", views.CostEntryDeleteView.as_view(), name="cost_entry_delete"),
    path(A + "import/", views.GLImportView.as_view(), name="gl_import"),
    path(
        A + "import/template.csv",
        views.GLTemplateView.as_view(extension="csv"),
        name="gl_import_template_csv",
    ),
    path(
        A + "import/template.xlsx",
        views.GLTemplateView.as_view(extension="xlsx"),
        name="gl_import_template_xlsx",
    ),
    path(R, views.AccrualListView.as_view(), name="accrual_list"),
    path(R + "new/", views.AccrualCreateView.as_view(), name="accrual_create"),
    path(R + "<str:key>/", views.AccrualDetailView.as_view(), name="accrual_detail"),
    path(R + "<str:key>/cancel/", views.AccrualCancelView.as_view(), name="accrual_cancel"),
]
