"""API routes of variance and explanations (included by budgets/api/urls.py)."""

from django.urls import path

from . import variance as api

V = "programs/<str:code>/budget/variance/"
E = V + "explanations/"

urlpatterns = [
    path(V, api.VarianceView.as_view(), name="budgets_variance"),
    path(V + "unexplained/", api.UnexplainedView.as_view(), name="budgets_unexplained"),
    path(E, api.ExplanationViewSet.as_view({"get": "list"}), name="budgets_explanation_list"),
    path(E + "request/", api.ExplanationRequestView.as_view(), name="budgets_explanation_request"),
    path(
        E + "<int:pk>/",
        api.ExplanationViewSet.as_view({"get": "retrieve"}),
        name="budgets_explanation_detail",
    ),
    path(
        E + "<int:pk>/write/", api.ExplanationWriteView.as_view(), name="budgets_explanation_write"
    ),
    path(
        E + "<int:pk>/approve/",
        api.ExplanationApproveView.as_view(),
        name="budgets_explanation_approve",
    ),
    path(
        E + "<int:pk>/return/",
        api.ExplanationReturnView.as_view(),
        name="budgets_explanation_return",
    ),
]
