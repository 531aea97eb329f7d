"""Schedule API routes, under /api/v1/programs/<code>/schedule/ (namespace `api_v1`)."""

from django.urls import path

from . import gantt, interchange, views

P = "programs/<str:code>/schedule/"

items = views.ItemViewSet.as_view({"get": "list", "post": "create"})
item = views.ItemViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
links = views.DependencyViewSet.as_view({"get": "list", "post": "create"})
link = views.DependencyViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
baselines = views.BaselineViewSet.as_view({"get": "list", "post": "create"})
baseline = views.BaselineViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
holidays = views.HolidayViewSet.as_view({"get": "list", "post": "create"})
holiday = views.HolidayViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    path(P, views.ScheduleView.as_view(), name="schedule_detail"),
    path(P + "recompute/", views.RecomputeView.as_view(), name="schedule_recompute"),
    path(P + "items/", items, name="item_list"),
    path(P + "items/bulk/", views.ItemBulkView.as_view(), name="item_bulk"),
    path(P + "items/<str:key>/", item, name="item_detail"),
    path(P + "items/<str:key>/move/", views.ItemMoveView.as_view(), name="item_move"),
    path(P + "items/<str:key>/signoff/", views.ItemSignoffView.as_view(), name="item_signoff"),
    path(P + "links/", links, name="link_list"),
    path(P + "links/<int:id>/", link, name="link_detail"),
    path(P + "baselines/", baselines, name="baseline_list"),
    path(P + "baselines/<int:id>/", baseline, name="baseline_detail"),
    path(
        P + "baselines/<int:id>/current/",
        views.BaselineSetCurrentView.as_view(),
        name="baseline_set_current",
    ),
    path(
        P + "baselines/<int:id>/comparison/",
        views.BaselineComparisonView.as_view(),
        name="baseline_comparison",
    ),
    path(
        P + "slipped-milestones/",
        views.SlippedMilestonesView.as_view(),
        name="slipped_milestones",
    ),
    path(P + "holidays/", holidays, name="holiday_list"),
    path(P + "holidays/<int:id>/", holiday, name="holiday_detail"),
    path(P + "gantt/", gantt.GanttDataView.as_view(), name="gantt_data"),
    path(P + "import/", interchange.MspdiImportView.as_view(), name="schedule_import"),
    path(P + "export.xml", interchange.MspdiExportView.as_view(), name="schedule_export_mspdi"),
    path(P + "export.csv", interchange.CsvExportView.as_view(), name="schedule_export_csv"),
]
