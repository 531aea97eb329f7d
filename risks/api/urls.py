"""RAID API routes under /api/v1/programs/<code>/raid/ (namespace `api_v1`, names `raid_*`).

Each type has a list (`raid_<type>_list`: GET, POST) and a detail address
(`raid_<type>_detail`: GET, PUT, PATCH, DELETE) keyed by the item's key.
"""

from typing import Any

from django.urls import path

from . import io, views

P = "programs/<str:code>/raid/"

LIST: dict[str, Any] = {"get": "list", "post": "create"}
DETAIL: dict[str, Any] = {
    "get": "retrieve",
    "put": "update",
    "patch": "partial_update",
    "delete": "destroy",
}
VIEWSETS = [
    ("risks", "risk", views.RiskViewSet),
    ("issues", "issue", views.IssueViewSet),
    ("assumptions", "assumption", views.AssumptionViewSet),
    ("dependencies", "dependency", views.DependencyViewSet),
    ("actions", "action", views.ActionViewSet),
]

urlpatterns = [
    path(P + "heat-map/", views.HeatMapView.as_view(), name="raid_heat_map"),
    path(P + "snapshots/", views.SnapshotListView.as_view(), name="raid_snapshots"),
    path(P + "overdue/", views.OverdueView.as_view(), name="raid_overdue"),
    # import and export (risks/api/io.py)
    path(P + "import/", io.RaidImportView.as_view(), name="raid_import"),
    path(P + "export.csv", io.RaidExportCsvView.as_view(), name="raid_export_csv"),
    path(P + "export.xlsx", io.RaidExportXlsxView.as_view(), name="raid_export_xlsx"),
]
for segment, name, viewset in VIEWSETS:
    urlpatterns += [
        path(f"{P}{segment}/", viewset.as_view(LIST), name=f"raid_{name}_list"),
        path(f"{P}{segment}/<str:key>/", viewset.as_view(DETAIL), name=f"raid_{name}_detail"),
    ]
