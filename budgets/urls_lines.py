"""A budget line's pages (loaded last by budgets/urls.py: `lines/<str:key>/` would shadow the
other areas' `lines/...` routes)."""

from django.urls import path

from .views import lines as views

L = "lines/<str:key>/"

urlpatterns: list = [
    path(L, views.LineDetailView.as_view(), name="line_detail"),
    path(L + "edit/", views.LineEditView.as_view(), name="line_edit"),
    path(L + "delete/", views.LineDeleteView.as_view(), name="line_delete"),
]
