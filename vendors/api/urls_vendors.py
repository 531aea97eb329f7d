"""API routes of the vendors app: vendors (included by vendors/api/urls.py). Fixed paths come
before `<str:key>/`, which would otherwise take them."""

from django.urls import path

from . import vendors as api

V = "programs/<str:code>/vendors/"
K = V + "<str:key>/"
LIST = {"get": "list", "post": "create"}
ROW = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns: list = [
    path(V, api.VendorViewSet.as_view(LIST), name="vendors_vendor_list"),
    path(V + "categories/", api.VendorCategoryViewSet.as_view(LIST), name="vendors_category_list"),
    path(
        V + "categories/<int:id>/",
        api.VendorCategoryViewSet.as_view(ROW),
        name="vendors_category_detail",
    ),
    path(
        V + "portal-users/",
        api.VendorPortalUserViewSet.as_view(LIST),
        name="vendors_portal_user_list",
    ),
    path(
        V + "portal-users/<int:id>/",
        api.VendorPortalUserViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="vendors_portal_user_detail",
    ),
    path(V + "portal/me/", api.PortalMeView.as_view(), name="vendors_portal_me"),
    path(K, api.VendorViewSet.as_view(ROW), name="vendors_vendor_detail"),
    path(
        K + "history/",
        api.VendorHistoryViewSet.as_view({"get": "list"}),
        name="vendors_vendor_history",
    ),
    path(
        K + "offboarding/", api.VendorOffboardingView.as_view(), name="vendors_vendor_offboarding"
    ),
    path(K + "contacts/", api.VendorContactViewSet.as_view(LIST), name="vendors_contact_list"),
    path(
        K + "contacts/<int:id>/",
        api.VendorContactViewSet.as_view(ROW),
        name="vendors_contact_detail",
    ),
    path(
        K + "checklist/",
        api.VendorChecklistViewSet.as_view(LIST),
        name="vendors_checklist_item_list",
    ),
    path(
        K + "checklist/<int:id>/",
        api.VendorChecklistViewSet.as_view(ROW),
        name="vendors_checklist_item_detail",
    ),
    path(
        K + "checklist/<int:id>/complete/",
        api.VendorChecklistCompleteView.as_view(),
        name="vendors_checklist_item_complete",
    ),
    path(
        K + "checklist/<int:id>/reopen/",
        api.VendorChecklistReopenView.as_view(),
        name="vendors_checklist_item_reopen",
    ),
]
