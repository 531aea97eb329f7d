from django.contrib import admin
from django.urls import include, path

from programs.views import HomeView
from schedules.views.calendar import FeedView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("core.urls")),
    path("programs/<str:code>/schedule/", include("schedules.urls")),
    path("programs/<str:code>/raid/", include("risks.urls")),
    path("programs/<str:code>/governance/", include("governance.urls")),
    path("programs/<str:code>/vendors/", include("vendors.urls")),
    path("programs/<str:code>/budget/", include("budgets.urls")),
    path("programs/<str:code>/releases/", include("releases.urls")),
    path("programs/<str:code>/reports/", include("reporting.urls")),
    path("portfolio/", include("reporting.urls_portfolio")),
    path("briefings/", include("reporting.urls_public")),
    path("programs/", include("programs.urls")),
    path("feeds/schedule/<str:token>.ics", FeedView.as_view(), name="schedule_feed"),
    path("api/", include("config.api_urls")),
    path("admin/", admin.site.urls),
]
