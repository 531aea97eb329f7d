"""Testing pages (included by releases/urls.py): cycles, their planned cases and runs, test
cases, evidence downloads."""

from django.urls import path

from .views import testing as cycles
from .views import testing_cases as cases
from .views import testing_runs as runs

C = "cycles/<str:key>/"
P = C + "planned/<int:id>/"  # a planned case (CycleCase) by id
T = "cases/<str:key>/"
urlpatterns: list = [
    path("cycles/", cycles.CycleListView.as_view(), name="cycle_list"),
    path("cycles/new/", cycles.CycleCreateView.as_view(), name="cycle_create"),
    path(C, cycles.CycleDetailView.as_view(), name="cycle_detail"),
    path(C + "requirements/", cycles.CycleRequirementsView.as_view(), name="cycle_requirements"),
    path(C + "testers/", cycles.CycleTestersView.as_view(), name="cycle_testers"),
    path(C + "runs/", cycles.CycleRunsView.as_view(), name="cycle_runs"),
    path(C + "edit/", cycles.CycleEditView.as_view(), name="cycle_edit"),
    path(C + "delete/", cycles.CycleDeleteView.as_view(), name="cycle_delete"),
    path(C + "start/", cycles.CycleStartView.as_view(), name="cycle_start"),
    path(C + "close/", cycles.CycleCloseView.as_view(), name="cycle_close"),
    path(C + "reopen/", cycles.CycleReopenView.as_view(), name="cycle_reopen"),
    path(C + "plan/", cycles.CyclePlanView.as_view(), name="cycle_plan"),
    path(C + "assign/", cycles.CycleAssignView.as_view(), name="cycle_assign"),
    path(P + "run/", runs.RunRecordView.as_view(), name="run_record"),
    path(P + "remove/", runs.CycleCaseRemoveView.as_view(), name="cycle_case_remove"),
    path("runs/<int:pk>/defect/", runs.RunRaiseDefectView.as_view(), name="run_raise_defect"),
    path("evidence/<int:id>/", runs.EvidenceDownloadView.as_view(), name="evidence_download"),
    path("cases/", cases.CaseListView.as_view(), name="case_list"),
    path("cases/new/", cases.CaseCreateView.as_view(), name="case_create"),
    path(T, cases.CaseDetailView.as_view(), name="case_detail"),
    path(T + "edit/", cases.CaseEditView.as_view(), name="case_edit"),
    path(T + "retire/", cases.CaseRetireView.as_view(), name="case_retire"),
    path(T + "restore/", cases.CaseRestoreView.as_view(), name="case_restore"),
    path(T + "delete/", cases.CaseDeleteView.as_view(), name="case_delete"),
]
