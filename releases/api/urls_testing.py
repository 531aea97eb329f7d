"""API routes of testing (included by releases/api/urls.py)."""

from django.urls import path

from . import testing as api
from . import testing_cases as cases_api
from . import testing_runs as runs_api

P = "programs/<str:code>/"
C = P + "test-cycles/<str:key>/"
T = P + "test-cases/<str:key>/"
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns: list = [
    path(P + "test-cycles/", api.CycleViewSet.as_view(LIST), name="releases_test_cycle_list"),
    path(C, api.CycleViewSet.as_view(ROW), name="releases_test_cycle_detail"),
    path(C + "stats/", api.CycleStatsView.as_view(), name="releases_test_cycle_stats"),
    path(C + "status/", api.CycleStatusView.as_view(), name="releases_test_cycle_status"),
    path(C + "plan/", api.CyclePlanView.as_view(), name="releases_test_cycle_plan"),
    path(C + "assign/", api.CycleAssignView.as_view(), name="releases_test_cycle_assign"),
    path(C + "cases/", api.CycleCaseListView.as_view(), name="releases_test_cycle_cases"),
    path(C + "runs/", runs_api.RunListView.as_view(), name="releases_test_cycle_runs"),
    path(
        C + "runs/<int:pk>/defect/",
        runs_api.RunRaiseDefectView.as_view(),
        name="releases_test_run_raise_defect",
    ),
    path(
        C + "runs/<int:pk>/evidence/<int:id>/",
        runs_api.EvidenceDownloadView.as_view(),
        name="releases_test_run_evidence",
    ),
    path(P + "test-cases/", cases_api.CaseViewSet.as_view(LIST), name="releases_test_case_list"),
    path(T, cases_api.CaseViewSet.as_view(ROW), name="releases_test_case_detail"),
    path(T + "retire/", cases_api.CaseRetireView.as_view(), name="releases_test_case_retire"),
    path(T + "restore/", cases_api.CaseRestoreView.as_view(), name="releases_test_case_restore"),
]
