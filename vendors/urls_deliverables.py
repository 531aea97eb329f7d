"""Pages of the vendors app: deliverables (included by vendors/urls.py), for the program under
deliverables/ and for the vendor portal under portal/deliverables/."""

from django.urls import path

from .views import deliverables as views

V = views
D = "deliverables/<str:key>/"
P = "portal/deliverables/"
urlpatterns: list = [
    path("deliverables/", V.DeliverableListView.as_view(), name="deliverable_list"),
    path("deliverables/new/", V.DeliverableCreateView.as_view(), name="deliverable_create"),
    path(D, V.DeliverableDetailView.as_view(), name="deliverable_detail"),
    path(D + "edit/", V.DeliverableEditView.as_view(), name="deliverable_edit"),
    path(D + "delete/", V.DeliverableDeleteView.as_view(), name="deliverable_delete"),
    path(D + "withdraw/", V.DeliverableWithdrawView.as_view(), name="deliverable_withdraw"),
    path(D + "review/", V.DeliverableReviewView.as_view(), name="deliverable_review"),
    path(D + "submit/", V.DeliverableSubmitView.as_view(), name="deliverable_submit"),
    path(D + "criteria/", V.CriteriaView.as_view(), name="deliverable_criteria"),
    path(D + "criteria/<int:id>/edit/", V.CriterionEditView.as_view(), name="criterion_edit"),
    path(D + "criteria/<int:id>/delete/", V.CriterionDeleteView.as_view(), name="criterion_delete"),
    path(D + "criteria/<int:id>/move/", V.CriterionMoveView.as_view(), name="criterion_move"),
    path(D + "files/<int:id>/", V.DeliverableFileView.as_view(), name="deliverable_file"),
    path(P, V.PortalDeliverableListView.as_view(), name="portal_deliverables"),
    path(
        P + "<str:key>/",
        V.PortalDeliverableDetailView.as_view(),
        name="portal_deliverable_detail",
    ),
    path(
        P + "<str:key>/submit/",
        V.PortalDeliverableSubmitView.as_view(),
        name="portal_deliverable_submit",
    ),
    path(
        P + "<str:key>/files/<int:id>/",
        V.PortalDeliverableFileView.as_view(),
        name="portal_deliverable_file",
    ),
]
