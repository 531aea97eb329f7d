"""API routes of the vendors app: deliverables (included by vendors/api/urls.py)."""

from django.urls import path

from . import deliverables as api

V = "programs/<str:code>/vendors/"
D = V + "deliverables/<str:key>/"
P = V + "portal/deliverables/"
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
CRITERION = {"put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns: list = [
    path(
        V + "deliverables/", api.DeliverableViewSet.as_view(LIST), name="vendors_deliverable_list"
    ),
    path(D, api.DeliverableViewSet.as_view(ROW), name="vendors_deliverable_detail"),
    path(
        D + "criteria/",
        api.CriterionViewSet.as_view(LIST),
        name="vendors_deliverable_criterion_list",
    ),
    path(
        D + "criteria/order/",
        api.CriteriaOrderView.as_view(),
        name="vendors_deliverable_criteria_order",
    ),
    path(
        D + "criteria/<int:id>/",
        api.CriterionViewSet.as_view(CRITERION),
        name="vendors_deliverable_criterion_detail",
    ),
    path(
        D + "submissions/",
        api.SubmissionListView.as_view(),
        name="vendors_deliverable_submission_list",
    ),
    path(D + "review/", api.ReviewView.as_view(), name="vendors_deliverable_review"),
    path(D + "withdraw/", api.WithdrawView.as_view(), name="vendors_deliverable_withdraw"),
    path(
        D + "files/<int:id>/download/",
        api.FileDownloadView.as_view(),
        name="vendors_deliverable_file_download",
    ),
    path(
        P,
        api.PortalDeliverableViewSet.as_view({"get": "list"}),
        name="vendors_portal_deliverable_list",
    ),
    path(
        P + "<str:key>/",
        api.PortalDeliverableViewSet.as_view({"get": "retrieve"}),
        name="vendors_portal_deliverable_detail",
    ),
    path(
        P + "<str:key>/submissions/",
        api.PortalSubmitView.as_view(),
        name="vendors_portal_deliverable_submit",
    ),
    path(
        P + "<str:key>/files/<int:id>/download/",
        api.PortalFileDownloadView.as_view(),
        name="vendors_portal_deliverable_file_download",
    ),
]
