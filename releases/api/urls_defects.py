"""Defects API routes under /api/v1/programs/<code>/defects/ (included by releases/api/urls.py)."""

from django.urls import path

from . import defects as api

B = "programs/<str:code>/defects/"
D = B + "<str:key>/"
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns: list = [
    path(B, api.DefectViewSet.as_view(LIST), name="releases_defect_list"),
    path(B + "summary/", api.DefectSummaryView.as_view(), name="releases_defect_summary"),
    path(D, api.DefectViewSet.as_view(ROW), name="releases_defect_detail"),
    path(D + "transition/", api.DefectTransitionView.as_view(), name="releases_defect_transition"),
]
