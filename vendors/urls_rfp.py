"""Pages of the vendors app: RFPs and their evaluation (included by vendors/urls.py)."""

from django.urls import path

from .views import rfp as V

R = "rfps/<str:key>/"

urlpatterns = [
    path("rfps/", V.RfpListView.as_view(), name="rfp_list"),
    path("rfps/new/", V.RfpCreateView.as_view(), name="rfp_create"),
    path(R, V.RfpDetailView.as_view(), name="rfp_detail"),
    path(R + "edit/", V.RfpEditView.as_view(), name="rfp_edit"),
    path(R + "status/", V.RfpStatusView.as_view(), name="rfp_status"),
    path(R + "criteria/", V.RfpCriteriaView.as_view(), name="rfp_criteria"),
    path(R + "evaluators/", V.RfpEvaluatorsView.as_view(), name="rfp_evaluators"),
    path(
        R + "evaluators/<int:pk>/remove/",
        V.RfpEvaluatorRemoveView.as_view(),
        name="rfp_evaluator_remove",
    ),
    path(R + "responses/new/", V.RfpResponseCreateView.as_view(), name="rfp_response_create"),
    path(R + "responses/<int:pk>/edit/", V.RfpResponseEditView.as_view(), name="rfp_response_edit"),
    path(
        R + "responses/<int:pk>/delete/",
        V.RfpResponseDeleteView.as_view(),
        name="rfp_response_delete",
    ),
    path(R + "responses/<int:pk>/score/", V.RfpScoreView.as_view(), name="rfp_score"),
    path(R + "matrix/", V.RfpMatrixView.as_view(), name="rfp_matrix"),
    path(R + "select/", V.RfpSelectView.as_view(), name="rfp_select"),
]
