"""KPI pages under /programs/<code>/reports/kpis/ (included by reporting/urls.py)."""

from django.urls import path

from .views import kpis as V

K = "kpis/<str:key>/"
urlpatterns = [
    path("kpis/", V.KpiListView.as_view(), name="kpi_list"),
    path("kpis/new/", V.KpiCreateView.as_view(), name="kpi_create"),
    path("kpis/standard/", V.KpiStandardView.as_view(), name="kpi_standard"),
    path("kpis/record/", V.KpiRecordView.as_view(), name="kpi_record"),
    path(K, V.KpiDetailView.as_view(), name="kpi_detail"),
    path(K + "edit/", V.KpiEditView.as_view(), name="kpi_edit"),
    path(K + "delete/", V.KpiDeleteView.as_view(), name="kpi_delete"),
    path(K + "values/", V.KpiValueCreateView.as_view(), name="kpi_value_create"),
]
