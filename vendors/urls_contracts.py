"""Pages of the vendors app: contracts (included by vendors/urls.py)."""

from django.urls import path

from .views import contracts as views

C = "contracts/<str:key>/"

urlpatterns: list = [
    path("contracts/", views.ContractListView.as_view(), name="contract_list"),
    path("contracts/new/", views.ContractCreateView.as_view(), name="contract_create"),
    path(C, views.ContractDetailView.as_view(), name="contract_detail"),
    path(C + "edit/", views.ContractEditView.as_view(), name="contract_edit"),
    path(C + "delete/", views.ContractDeleteView.as_view(), name="contract_delete"),
    path(C + "status/", views.ContractStatusView.as_view(), name="contract_status"),
    path(C + "amendments/new/", views.AmendmentCreateView.as_view(), name="amendment_create"),
    path(C + "milestones/new/", views.MilestoneCreateView.as_view(), name="milestone_create"),
    path(C + "milestones/<int:pk>/edit/", views.MilestoneEditView.as_view(), name="milestone_edit"),
    path(
        C + "milestones/<int:pk>/delete/",
        views.MilestoneDeleteView.as_view(),
        name="milestone_delete",
    ),
    path(C + "rates/new/", views.RateCreateView.as_view(), name="rate_create"),
    path(C + "rates/<int:pk>/edit/", views.RateEditView.as_view(), name="rate_edit"),
    path(C + "rates/<int:pk>/delete/", views.RateDeleteView.as_view(), name="rate_delete"),
    path("portal/contracts/", views.PortalContractListView.as_view(), name="portal_contract_list"),
    path(
        "portal/contracts/<str:key>/",
        views.PortalContractDetailView.as_view(),
        name="portal_contract_detail",
    ),
]
