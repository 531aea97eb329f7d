"""API routes of the status reports (included by reporting/api/urls.py), under
/api/v1/programs/<code>/reports/; a report is named by its ISO week (…/reports/2026-W48/)."""

from django.urls import path

from .. import urls_reports  # noqa: F401 (registers the `isoweek` path converter)
from ..views.reports import pptx_module
from . import reports as api
from .reports_settings import ReportSettingsApiView

P = "programs/<str:code>/reports/"
R = P + "<isoweek:period>/"

urlpatterns: list = [
    path(P, api.ReportListApiView.as_view(), name="reporting_report_list"),
    path(P + "settings/", ReportSettingsApiView.as_view(), name="reporting_settings"),
    path(R, api.ReportDetailApiView.as_view(), name="reporting_report_detail"),
    path(R + "refresh/", api.ReportRefreshApiView.as_view(), name="reporting_report_refresh"),
    path(R + "submit/", api.ReportSubmitApiView.as_view(), name="reporting_report_submit"),
    path(R + "return/", api.ReportReturnApiView.as_view(), name="reporting_report_return"),
    path(R + "publish/", api.ReportPublishApiView.as_view(), name="reporting_report_publish"),
    path(R + "overrides/", api.OverrideListApiView.as_view(), name="reporting_override_list"),
    path(
        R + "overrides/<str:key>/",
        api.OverrideDetailApiView.as_view(),
        name="reporting_override_detail",
    ),
    path(R + "commentary/", api.CommentaryListApiView.as_view(), name="reporting_commentary_list"),
    path(
        R + "commentary/<str:key>/",
        api.CommentaryDetailApiView.as_view(),
        name="reporting_commentary_detail",
    ),
    path(
        R + "briefing.pdf",
        api.ReportBriefingFileApiView.as_view(),
        name="reporting_report_briefing",
    ),
    path(R + "deck.pdf", api.ReportDeckFileApiView.as_view(), name="reporting_report_deck"),
]
if pptx_module() is not None:  # the .pptx export is another part's; offered once it is there
    urlpatterns.append(
        path(R + "deck.pptx", api.ReportPptxFileApiView.as_view(), name="reporting_report_pptx")
    )
