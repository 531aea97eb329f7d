from django.contrib import admin
from django.urls import include, path

from programs.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("core.urls")),
    path("programs/", include("programs.urls")),
    path("api/", include("config.api_urls")),
    path("admin/", admin.site.urls),
]
