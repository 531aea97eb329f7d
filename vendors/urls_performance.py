"""Pages of the vendors app: performance (included by vendors/urls.py): scorecards, SLAs and
their measurements, escalations, and the portal's scorecard and SLAs."""

from django.urls import path

from .views import performance as views

S = "slas/<int:pk>/"
M = "measurements/<int:pk>/"
E = "escalations/<str:key>/"

urlpatterns: list = [
    path("scorecards/", views.ScorecardListView.as_view(), name="scorecard_list"),
    path("scorecards/<str:key>/", views.VendorScorecardView.as_view(), name="vendor_scorecard"),
    path("slas/", views.SLAListView.as_view(), name="sla_list"),
    path("slas/new/", views.SLACreateView.as_view(), name="sla_create"),
    path(S, views.SLADetailView.as_view(), name="sla_detail"),
    path(S + "edit/", views.SLAEditView.as_view(), name="sla_edit"),
    path(S + "active/", views.SLAActiveView.as_view(), name="sla_active"),
    path(S + "measurements/", views.MeasurementCreateView.as_view(), name="measurement_create"),
    path(M + "edit/", views.MeasurementEditView.as_view(), name="measurement_edit"),
    path(M + "delete/", views.MeasurementDeleteView.as_view(), name="measurement_delete"),
    path(M + "escalate/", views.EscalationFromBreachView.as_view(), name="measurement_escalate"),
    path("escalations/", views.EscalationListView.as_view(), name="escalation_list"),
    path("escalations/new/", views.EscalationCreateView.as_view(), name="escalation_create"),
    path(E, views.EscalationDetailView.as_view(), name="escalation_detail"),
    path(E + "edit/", views.EscalationEditView.as_view(), name="escalation_edit"),
    path(E + "escalate/", views.EscalationEscalateView.as_view(), name="escalation_escalate"),
    path(E + "resolve/", views.EscalationResolveView.as_view(), name="escalation_resolve"),
    path(E + "close/", views.EscalationCloseView.as_view(), name="escalation_close"),
    path(E + "reopen/", views.EscalationReopenView.as_view(), name="escalation_reopen"),
    path("portal/scorecard/", views.PortalScorecardView.as_view(), name="portal_scorecard"),
    path("portal/slas/", views.PortalSLAListView.as_view(), name="portal_slas"),
]
