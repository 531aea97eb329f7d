"""Status report pages (included by reporting/urls.py, first): the list is the app's root
/programs/<code>/reports/, a report is /programs/<code>/reports/2026-W48/ (the `isoweek`
converter only matches a week, so the other areas' fixed paths are never shadowed)."""

from django.urls import path, register_converter

from .views import reports as views
from .views import reports_actions as actions


class IsoWeekConverter:
    """An ISO week, "2026-W48"."""

    regex = r"\d{4}-W\d{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IsoWeekConverter, "isoweek")

P = "<isoweek:period>/"
urlpatterns: list = [
    path("", views.ReportListView.as_view(), name="report_list"),
    path("open/", views.ReportOpenView.as_view(), name="report_open"),
    path("settings/", views.ReportSettingsView.as_view(), name="report_settings"),
    path(P, views.ReportDetailView.as_view(), name="report_detail"),
    path(P + "briefing.pdf", views.ReportBriefingView.as_view(), name="report_briefing"),
    path(P + "deck.pdf", views.ReportDeckView.as_view(), name="report_deck"),
    path(P + "edit/", actions.ReportEditView.as_view(), name="report_edit"),
    path(P + "refresh/", actions.ReportRefreshView.as_view(), name="report_refresh"),
    path(P + "submit/", actions.ReportSubmitView.as_view(), name="report_submit"),
    path(P + "return/", actions.ReportReturnView.as_view(), name="report_return"),
    path(P + "publish/", actions.ReportPublishView.as_view(), name="report_publish"),
    path(P + "override/", actions.ReportOverrideView.as_view(), name="report_override"),
    path(
        P + "override/remove/",
        actions.ReportOverrideRemoveView.as_view(),
        name="report_override_remove",
    ),
    path(P + "commentary/", actions.ReportCommentaryView.as_view(), name="report_commentary"),
]
if views.pptx_module() is not None:  # the .pptx export is another part's; linked once it is there
    urlpatterns.append(path(P + "deck.pptx", views.ReportPptxView.as_view(), name="report_pptx"))
