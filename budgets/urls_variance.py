"""Variance and explanation pages (included by budgets/urls.py)."""

from django.urls import path

from .views import variance as views

V = "variance/"
E = V + "explanations/"

urlpatterns = [
    path(V, views.VarianceView.as_view(), name="variance"),
    path(V + "unexplained/", views.UnexplainedListView.as_view(), name="unexplained"),
    path(E, views.ExplanationListView.as_view(), name="explanation_list"),
    path(E + "request/", views.ExplanationRequestView.as_view(), name="explanation_request"),
    path(
        E + "request-all/",
        views.ExplanationRequestAllView.as_view(),
        name="explanation_request_all",
    ),
    path(E + "<int:pk>/", views.ExplanationDetailView.as_view(), name="explanation_detail"),
    path(E + "<int:pk>/write/", views.ExplanationWriteView.as_view(), name="explanation_write"),
    path(E + "<int:pk>/review/", views.ExplanationReviewView.as_view(), name="explanation_review"),
]
