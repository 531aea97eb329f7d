"""Governance API routes, under /api/v1/programs/<code>/governance/ (namespace `api_v1`)."""

from django.urls import path

from . import changes as change_api
from . import compliance as compliance_api
from . import decisions as decision_api
from . import raci as raci_api

urlpatterns: list = []

# Change control (api/changes.py) and the decision log (api/decisions.py)
G = "programs/<str:code>/governance/"
changes = change_api.ChangeRequestViewSet.as_view({"get": "list", "post": "create"})
change = change_api.ChangeRequestViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
change_transitions = change_api.ChangeRequestTransitionViewSet.as_view({"get": "list"})
decisions = decision_api.DecisionViewSet.as_view({"get": "list", "post": "create"})
decision = decision_api.DecisionViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
urlpatterns += [
    path(G + "changes/", changes, name="change_request_list"),
    path(G + "changes/<str:key>/", change, name="change_request_detail"),
    path(
        G + "changes/<str:key>/transitions/",
        change_transitions,
        name="change_request_transitions",
    ),
    path(
        G + "changes/<str:key>/outcome/",
        change_api.ChangeRequestOutcomeView.as_view(),
        name="change_request_outcome",
    ),
    *[
        path(
            G + f"changes/<str:key>/{step}/",
            getattr(change_api, f"ChangeRequest{step.capitalize()}View").as_view(),
            name=f"change_request_{step}",
        )
        for step in ("submit", "assess", "approve", "reject", "defer", "implement", "close")
    ],
    path(G + "change-policy/", change_api.ChangePolicyView.as_view(), name="change_request_policy"),
    path(G + "decisions/", decisions, name="decision_list"),
    path(G + "decisions/<str:key>/", decision, name="decision_detail"),
    path(
        G + "decisions/<str:key>/decide/",
        decision_api.DecisionDecideView.as_view(),
        name="decision_decide",
    ),
    path(
        G + "decisions/<str:key>/supersede/",
        decision_api.DecisionSupersedeView.as_view(),
        name="decision_supersede",
    ),
]

# The RACI matrix (api/raci.py)
R = "programs/<str:code>/governance/raci/"
raci_columns = raci_api.RaciColumnViewSet.as_view({"get": "list", "post": "create"})
raci_column = raci_api.RaciColumnViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
raci_rows = raci_api.RaciRowViewSet.as_view({"get": "list", "post": "create"})
raci_row = raci_api.RaciRowViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
urlpatterns += [
    path(R, raci_api.RaciMatrixView.as_view(), name="raci_matrix"),
    path(R + "columns/", raci_columns, name="raci_column_list"),
    path(R + "columns/<int:id>/", raci_column, name="raci_column_detail"),
    path(R + "rows/", raci_rows, name="raci_row_list"),
    path(R + "rows/<int:id>/", raci_row, name="raci_row_detail"),
    path(
        R + "rows/<int:id>/cells/<int:pk>/",
        raci_api.RaciCellView.as_view(),
        name="raci_cell_detail",
    ),
    path(R + "export.csv", raci_api.RaciExportCsvView.as_view(), name="raci_export_csv"),
    path(R + "export.xlsx", raci_api.RaciExportXlsxView.as_view(), name="raci_export_xlsx"),
]

# The compliance register (api/compliance.py)
K = "programs/<str:code>/governance/compliance/"
obligations = compliance_api.ObligationViewSet.as_view({"get": "list", "post": "create"})
obligation = compliance_api.ObligationViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
obligation_history = compliance_api.ObligationHistoryViewSet.as_view({"get": "list"})
evidence_files = compliance_api.EvidenceViewSet.as_view({"get": "list", "post": "create"})
evidence_file = compliance_api.EvidenceViewSet.as_view({"get": "retrieve", "delete": "destroy"})
urlpatterns += [
    path(K + "obligations/", obligations, name="compliance_obligation_list"),
    path(K + "obligations/<str:key>/", obligation, name="compliance_obligation_detail"),
    path(
        K + "obligations/<str:key>/history/",
        obligation_history,
        name="compliance_obligation_history",
    ),
    path(K + "obligations/<str:key>/evidence/", evidence_files, name="compliance_evidence_list"),
    path(
        K + "obligations/<str:key>/evidence/<int:id>/",
        evidence_file,
        name="compliance_evidence_detail",
    ),
    path(
        K + "obligations/<str:key>/evidence/<int:id>/download/",
        compliance_api.EvidenceDownloadView.as_view(),
        name="compliance_evidence_download",
    ),
    path(
        K + "evidence-package.zip",
        compliance_api.EvidencePackageView.as_view(),
        name="compliance_evidence_package",
    ),
]
