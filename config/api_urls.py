"""The API: /api/v1/ (each app's api/urls.py, namespace `api_v1`), the schema and its docs."""

from django.urls import include, path

from core.api.views import DocsView, SchemaView

v1 = [
    path("", include("core.api.urls")),
    path("", include("programs.api.urls")),
    path("", include("schedules.api.urls")),
    path("", include("risks.api.urls")),
    path("", include("governance.api.urls")),
    path("", include("vendors.api.urls")),
    path("", include("budgets.api.urls")),
    path("", include("releases.api.urls")),
    path("", include("reporting.api.urls")),
]

urlpatterns = [
    path("v1/", include((v1, "api_v1"))),
    path("schema/", SchemaView.as_view(), name="api_schema"),
    path("docs/", DocsView.as_view(url_name="api_schema"), name="api_docs"),
]
