"""Finance exports: the variance report as CSV and XLSX, and the page that picks its filters."""

from django.urls import path

from .views import exports

urlpatterns = [
    path("exports/", exports.ExportPageView.as_view(), name="exports"),
    path("export.csv", exports.ExportCsvView.as_view(), name="export_csv"),
    path("export.xlsx", exports.ExportXlsxView.as_view(), name="export_xlsx"),
]
