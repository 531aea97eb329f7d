"""Requirement pages (included by releases/urls.py) under /programs/<code>/releases/requirements/.
Keys in URLs are REQ-n; fixed paths come before `<str:key>/`."""

from django.urls import path

from .views import requirements as views

R = "requirements/"
K = R + "<str:key>/"
urlpatterns: list = [
    path(R, views.RequirementListView.as_view(), name="requirement_list"),
    path(R + "new/", views.RequirementCreateView.as_view(), name="requirement_create"),
    path(K, views.RequirementDetailView.as_view(), name="requirement_detail"),
    path(K + "edit/", views.RequirementEditView.as_view(), name="requirement_edit"),
    path(K + "delete/", views.RequirementDeleteView.as_view(), name="requirement_delete"),
    path(K + "status/", views.RequirementRowStatusView.as_view(), name="requirement_row_status"),
    *[
        path(K + f"{name}/", view.as_view(), name=f"requirement_{name}")
        for name, view in views.STEP_VIEWS.items()
    ],
]
