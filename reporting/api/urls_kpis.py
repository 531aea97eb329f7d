"""KPI API routes under /api/v1/programs/<code>/kpis/ (included by reporting/api/urls.py)."""

from django.urls import path

from . import kpis as api

B = "programs/<str:code>/kpis/"
K = B + "<str:key>/"
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns: list = [
    path(B, api.KpiViewSet.as_view(LIST), name="reporting_kpi_list"),
    path(B + "standard/", api.KpiStandardView.as_view(), name="reporting_kpi_standard"),
    path(B + "record/", api.KpiRecordView.as_view(), name="reporting_kpi_record"),
    path(K, api.KpiViewSet.as_view(ROW), name="reporting_kpi_detail"),
    path(K + "values/", api.KpiValueListView.as_view(), name="reporting_kpi_values"),
]
