"""API routes of the vendors app: RFPs and their evaluation (included by vendors/api/urls.py)."""

from django.urls import path

from . import rfp as api

V = "programs/<str:code>/vendors/"
R = V + "rfps/<str:key>/"

rfps = api.RfpViewSet.as_view({"get": "list", "post": "create"})
rfp = api.RfpViewSet.as_view({"get": "retrieve", "patch": "partial_update"})
criteria = api.RfpCriterionViewSet.as_view({"get": "list", "post": "create"})
criterion = api.RfpCriterionViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
evaluators = api.RfpEvaluatorViewSet.as_view({"get": "list", "post": "create"})
evaluator = api.RfpEvaluatorViewSet.as_view({"get": "retrieve", "delete": "destroy"})
responses = api.RfpResponseViewSet.as_view({"get": "list", "post": "create"})
response = api.RfpResponseViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    path(V + "rfps/", rfps, name="vendors_rfp_list"),
    path(
        V + "rfps/my-evaluations/",
        api.RfpMyEvaluationsView.as_view(),
        name="vendors_rfp_my_evaluations",
    ),
    path(R, rfp, name="vendors_rfp_detail"),
    path(R + "status/", api.RfpStatusView.as_view(), name="vendors_rfp_status"),
    path(R + "criteria/", criteria, name="vendors_rfp_criterion_list"),
    path(R + "criteria/<int:pk>/", criterion, name="vendors_rfp_criterion_detail"),
    path(R + "evaluators/", evaluators, name="vendors_rfp_evaluator_list"),
    path(R + "evaluators/<int:pk>/", evaluator, name="vendors_rfp_evaluator_detail"),
    path(R + "responses/", responses, name="vendors_rfp_response_list"),
    path(R + "responses/<int:pk>/", response, name="vendors_rfp_response_detail"),
    path(
        R + "responses/<int:pk>/evaluation/",
        api.RfpEvaluationView.as_view(),
        name="vendors_rfp_evaluation",
    ),
    path(
        R + "responses/<int:pk>/evaluation/submit/",
        api.RfpEvaluationSubmitView.as_view(),
        name="vendors_rfp_evaluation_submit",
    ),
    path(R + "matrix/", api.RfpMatrixView.as_view(), name="vendors_rfp_matrix"),
    path(R + "select/", api.RfpSelectView.as_view(), name="vendors_rfp_select"),
]
