"""Governance pages: change control, decisions, RACI, compliance (/programs/<code>/governance/)."""

from django.urls import path

from .views import changes as change_views
from .views import compliance as compliance_views
from .views import decisions as decision_views
from .views import raci as raci_views
from .views import raid_actions as action_views

app_name = "governance"

urlpatterns: list = []

# Change control (views/changes.py) and actions from the RAID log (views/raid_actions.py)
A = action_views
C = change_views
urlpatterns += [
    path("changes/", C.ChangeRequestListView.as_view(), name="change_list"),
    path("changes/new/", C.ChangeRequestCreateView.as_view(), name="change_create"),
    path("changes/pending/", C.ChangeRequestPendingView.as_view(), name="change_pending"),
    path("change-policy/", C.ChangePolicyView.as_view(), name="change_policy"),
    path("changes/<str:key>/", C.ChangeRequestDetailView.as_view(), name="change_detail"),
    path("changes/<str:key>/edit/", C.ChangeRequestEditView.as_view(), name="change_edit"),
    path("changes/<str:key>/delete/", C.ChangeRequestDeleteView.as_view(), name="change_delete"),
    path("changes/<str:key>/submit/", C.ChangeRequestSubmitView.as_view(), name="change_submit"),
    path("changes/<str:key>/assess/", C.ChangeRequestAssessView.as_view(), name="change_assess"),
    path("changes/<str:key>/approve/", C.ChangeRequestApproveView.as_view(), name="change_approve"),
    path("changes/<str:key>/reject/", C.ChangeRequestRejectView.as_view(), name="change_reject"),
    path("changes/<str:key>/defer/", C.ChangeRequestDeferView.as_view(), name="change_defer"),
    path(
        "changes/<str:key>/implement/",
        C.ChangeRequestImplementView.as_view(),
        name="change_implement",
    ),
    path("changes/<str:key>/close/", C.ChangeRequestCloseView.as_view(), name="change_close"),
    path("changes/<str:key>/outcome/", C.ChangeRequestOutcomeView.as_view(), name="change_outcome"),
    path(
        "changes/<str:key>/actions/new/",
        A.ChangeRequestActionCreateView.as_view(),
        name="change_action_create",
    ),
]

# The decision log (views/decisions.py)
D = decision_views
urlpatterns += [
    path("decisions/", D.DecisionListView.as_view(), name="decision_list"),
    path("decisions/new/", D.DecisionCreateView.as_view(), name="decision_create"),
    path("decisions/<str:key>/", D.DecisionDetailView.as_view(), name="decision_detail"),
    path("decisions/<str:key>/edit/", D.DecisionEditView.as_view(), name="decision_edit"),
    path("decisions/<str:key>/decide/", D.DecisionDecideView.as_view(), name="decision_decide"),
    path(
        "decisions/<str:key>/supersede/",
        D.DecisionSupersedeView.as_view(),
        name="decision_supersede",
    ),
    path("decisions/<str:key>/delete/", D.DecisionDeleteView.as_view(), name="decision_delete"),
    path(
        "decisions/<str:key>/actions/new/",
        A.DecisionActionCreateView.as_view(),
        name="decision_action_create",
    ),
]

# The RACI matrix (views/raci.py)
urlpatterns += [
    path("raci/", raci_views.RaciGridView.as_view(), name="raci"),
    path("raci/export.csv", raci_views.RaciExportCsvView.as_view(), name="raci_export_csv"),
    path("raci/export.xlsx", raci_views.RaciExportXlsxView.as_view(), name="raci_export_xlsx"),
    path("raci/rows/new/", raci_views.RaciRowCreateView.as_view(), name="raci_row_create"),
    path("raci/rows/<int:pk>/", raci_views.RaciRowCellsView.as_view(), name="raci_row_cells"),
    path("raci/rows/<int:pk>/edit/", raci_views.RaciRowEditView.as_view(), name="raci_row_edit"),
    path("raci/rows/<int:pk>/move/", raci_views.RaciRowMoveView.as_view(), name="raci_row_move"),
    path(
        "raci/rows/<int:pk>/delete/", raci_views.RaciRowDeleteView.as_view(), name="raci_row_delete"
    ),
    path("raci/columns/new/", raci_views.RaciColumnCreateView.as_view(), name="raci_column_create"),
    path(
        "raci/columns/<int:pk>/edit/",
        raci_views.RaciColumnEditView.as_view(),
        name="raci_column_edit",
    ),
    path(
        "raci/columns/<int:pk>/move/",
        raci_views.RaciColumnMoveView.as_view(),
        name="raci_column_move",
    ),
    path(
        "raci/columns/<int:pk>/delete/",
        raci_views.RaciColumnDeleteView.as_view(),
        name="raci_column_delete",
    ),
]

# The compliance register (views/compliance.py)
urlpatterns += [
    path("compliance/", compliance_views.ComplianceListView.as_view(), name="compliance_list"),
    path(
        "compliance/new/",
        compliance_views.ObligationCreateView.as_view(),
        name="compliance_create",
    ),
    path(
        "compliance/evidence-package.zip",
        compliance_views.EvidencePackageView.as_view(),
        name="compliance_package",
    ),
    path(
        "compliance/<str:key>/",
        compliance_views.ObligationDetailView.as_view(),
        name="compliance_detail",
    ),
    path(
        "compliance/<str:key>/edit/",
        compliance_views.ObligationEditView.as_view(),
        name="compliance_edit",
    ),
    path(
        "compliance/<str:key>/delete/",
        compliance_views.ObligationDeleteView.as_view(),
        name="compliance_delete",
    ),
    path(
        "compliance/<str:key>/evidence/",
        compliance_views.EvidenceUploadView.as_view(),
        name="compliance_evidence_upload",
    ),
    path(
        "compliance/<str:key>/evidence/<int:pk>/",
        compliance_views.EvidenceDownloadView.as_view(),
        name="compliance_evidence_download",
    ),
    path(
        "compliance/<str:key>/evidence/<int:pk>/delete/",
        compliance_views.EvidenceDeleteView.as_view(),
        name="compliance_evidence_delete",
    ),
]
