"""API routes of the vendors app: performance (included by vendors/api/urls.py)."""

from django.urls import path

from . import performance as api

V = "programs/<str:code>/vendors/"
S = V + "slas/<int:pk>/"
E = V + "escalations/<str:key>/"

urlpatterns: list = [
    path(V + "slas/", api.SLAListView.as_view(), name="vendors_sla_list"),
    path(S, api.SLADetailView.as_view(), name="vendors_sla_detail"),
    path(S + "deactivate/", api.SLADeactivateView.as_view(), name="vendors_sla_deactivate"),
    path(S + "reactivate/", api.SLAReactivateView.as_view(), name="vendors_sla_reactivate"),
    path(S + "measurements/", api.MeasurementListView.as_view(), name="vendors_measurement_list"),
    path(
        V + "measurements/<int:pk>/",
        api.MeasurementDetailView.as_view(),
        name="vendors_measurement_detail",
    ),
    path(V + "escalations/", api.EscalationListView.as_view(), name="vendors_escalation_list"),
    path(E, api.EscalationDetailView.as_view(), name="vendors_escalation_detail"),
    *[
        path(
            E + f"{step}/",
            getattr(api, f"Escalation{step.capitalize()}View").as_view(),
            name=f"vendors_escalation_{step}",
        )
        for step in ("escalate", "resolve", "close", "reopen")
    ],
    path(V + "scorecards/", api.ScorecardListView.as_view(), name="vendors_scorecard_list"),
    path(
        V + "scorecards/<str:key>/",
        api.ScorecardDetailView.as_view(),
        name="vendors_scorecard_detail",
    ),
    path(
        V + "portal/scorecard/",
        api.PortalScorecardView.as_view(),
        name="vendors_portal_scorecard",
    ),
    path(V + "portal/slas/", api.PortalSLAListView.as_view(), name="vendors_portal_sla_list"),
    path(
        V + "portal/slas/<int:pk>/measurements/",
        api.PortalMeasurementListView.as_view(),
        name="vendors_portal_measurement_list",
    ),
]
