"""Defect pages under /programs/<code>/releases/defects/ (included by releases/urls.py)."""

from django.urls import path

from .views import defects as views

V = views
D = "defects/<str:key>/"
urlpatterns: list = [
    path("defects/", V.DefectListView.as_view(), name="defect_list"),
    path("defects/new/", V.DefectCreateView.as_view(), name="defect_create"),
    path("defects/summary/", V.DefectSummaryView.as_view(), name="defect_summary"),
    path(D, V.DefectDetailView.as_view(), name="defect_detail"),
    path(D + "edit/", V.DefectEditView.as_view(), name="defect_edit"),
    path(D + "delete/", V.DefectDeleteView.as_view(), name="defect_delete"),
    path(D + "transition/", V.DefectTransitionView.as_view(), name="defect_transition"),
    path(D + "status/", V.DefectStatusView.as_view(), name="defect_status"),
]
