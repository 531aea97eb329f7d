"""API routes of the vendors app: contracts (included by vendors/api/urls.py)."""

from django.urls import path

from . import contracts as api

V = "programs/<str:code>/vendors/"
C = V + "contracts/<str:key>/"
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns: list = [
    path(V + "contracts/", api.ContractViewSet.as_view(LIST), name="vendors_contract_list"),
    path(C, api.ContractViewSet.as_view(ROW), name="vendors_contract_detail"),
    path(C + "status/", api.ContractStatusView.as_view(), name="vendors_contract_status"),
    path(
        C + "amendments/",
        api.AmendmentViewSet.as_view(LIST),
        name="vendors_contract_amendment_list",
    ),
    path(
        C + "milestones/",
        api.MilestoneViewSet.as_view(LIST),
        name="vendors_contract_milestone_list",
    ),
    path(
        C + "milestones/<int:pk>/",
        api.MilestoneViewSet.as_view(ROW),
        name="vendors_contract_milestone_detail",
    ),
    path(C + "rates/", api.RateViewSet.as_view(LIST), name="vendors_contract_rate_list"),
    path(
        C + "rates/<int:pk>/",
        api.RateViewSet.as_view(ROW),
        name="vendors_contract_rate_detail",
    ),
    path(
        V + "portal/contracts/",
        api.PortalContractViewSet.as_view({"get": "list"}),
        name="vendors_portal_contract_list",
    ),
    path(
        V + "portal/contracts/<str:key>/",
        api.PortalContractViewSet.as_view({"get": "retrieve"}),
        name="vendors_portal_contract_detail",
    ),
]
