"""The traceability matrix and its CSV/XLSX downloads."""

from django.urls import path

from .views import traceability

urlpatterns = [
    path("traceability/", traceability.TraceabilityView.as_view(), name="traceability"),
    path(
        "traceability/export.csv",
        traceability.TraceabilityCsvView.as_view(),
        name="traceability_csv",
    ),
    path(
        "traceability/export.xlsx",
        traceability.TraceabilityXlsxView.as_view(),
        name="traceability_xlsx",
    ),
]
