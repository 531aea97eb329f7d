"""Releases API: the traceability matrix (JSON, CSV, XLSX)."""

from django.urls import path

from .traceability import TraceabilityView

urlpatterns = [
    path(
        "programs/<str:code>/traceability/",
        TraceabilityView.as_view(),
        name="releases_traceability",
    ),
]
