"""Schedule pages, under /programs/<code>/schedule/. Each area's views live in views/<area>.py."""

from django.urls import path

from .views import baselines, calendar, gantt, grid, interchange

app_name = "schedules"

urlpatterns = [
    # the WBS grid and items (views/grid.py)
    path("", grid.WbsGridView.as_view(), name="grid"),
    path("bulk/", grid.BulkEditView.as_view(), name="bulk_edit"),
    path("items/new/", grid.ItemCreateView.as_view(), name="item_create"),
    path("items/<str:key>/", grid.ItemDetailView.as_view(), name="item_detail"),
    path("items/<str:key>/edit/", grid.ItemEditView.as_view(), name="item_edit"),
    path("items/<str:key>/inline/", grid.ItemInlineView.as_view(), name="item_inline"),
    path("items/<str:key>/move/", grid.ItemMoveView.as_view(), name="item_move"),
    path("items/<str:key>/delete/", grid.ItemDeleteView.as_view(), name="item_delete"),
    path("items/<str:key>/signoff/", grid.ItemSignoffView.as_view(), name="item_signoff"),
    path("items/<str:key>/links/new/", grid.LinkCreateView.as_view(), name="link_create"),
    path("links/<int:pk>/edit/", grid.LinkEditView.as_view(), name="link_edit"),
    path("links/<int:pk>/delete/", grid.LinkDeleteView.as_view(), name="link_delete"),
    # Gantt and milestone charts (views/gantt.py)
    path("gantt/", gantt.GanttView.as_view(), name="gantt"),
    path("milestones/", gantt.MilestoneChartView.as_view(), name="milestones"),
    path("milestones/trend/", gantt.MilestoneTrendView.as_view(), name="milestone_trend"),
    # baselines and their comparison (views/baselines.py)
    path("baselines/", baselines.BaselineListView.as_view(), name="baseline_list"),
    path("baselines/new/", baselines.BaselineCreateView.as_view(), name="baseline_create"),
    path(
        "baselines/<int:pk>/current/",
        baselines.BaselineSetCurrentView.as_view(),
        name="baseline_set_current",
    ),
    path(
        "baselines/<int:pk>/delete/", baselines.BaselineDeleteView.as_view(), name="baseline_delete"
    ),
    path(
        "baselines/<int:pk>/compare/",
        baselines.BaselineCompareView.as_view(),
        name="baseline_compare",
    ),
    path(
        "items/<str:key>/remediation/",
        baselines.RemediationEditView.as_view(),
        name="remediation_edit",
    ),
    # calendar, settings and the iCalendar feed address (views/calendar.py)
    path("calendar/", calendar.CalendarView.as_view(), name="calendar"),
    path("calendar/settings/", calendar.ScheduleSettingsView.as_view(), name="settings"),
    path("calendar/holidays/new/", calendar.HolidayCreateView.as_view(), name="holiday_create"),
    path(
        "calendar/holidays/<int:pk>/edit/", calendar.HolidayEditView.as_view(), name="holiday_edit"
    ),
    path(
        "calendar/holidays/<int:pk>/delete/",
        calendar.HolidayDeleteView.as_view(),
        name="holiday_delete",
    ),
    path("calendar/import/", calendar.IcsImportView.as_view(), name="ics_import"),
    path("calendar/feed-token/", calendar.FeedTokenRotateView.as_view(), name="feed_rotate"),
    # MS Project and CSV (views/interchange.py)
    path("import/", interchange.ImportView.as_view(), name="import"),
    path("export.xml", interchange.ExportMspdiView.as_view(), name="export_mspdi"),
    path("export.csv", interchange.ExportCsvView.as_view(), name="export_csv"),
]
