"""Pages of the vendors app: vendors (included by vendors/urls.py). Fixed paths come before
the `<str:key>/` routes, which would otherwise take them."""

from django.urls import path

from .views import portal as portal_views
from .views import vendors as views

V = views
urlpatterns: list = [
    path("", V.VendorListView.as_view(), name="vendor_list"),
    path("new/", V.VendorCreateView.as_view(), name="vendor_create"),
    path("categories/", V.CategoryListView.as_view(), name="category_list"),
    path("categories/new/", V.CategoryCreateView.as_view(), name="category_create"),
    path("categories/<int:pk>/edit/", V.CategoryEditView.as_view(), name="category_edit"),
    path("categories/<int:pk>/delete/", V.CategoryDeleteView.as_view(), name="category_delete"),
    path("portal-users/", V.PortalUsersView.as_view(), name="portal_users"),
    path("portal-users/bind/", V.PortalUserBindView.as_view(), name="portal_user_bind"),
    path(
        "portal-users/<int:pk>/unbind/",
        V.PortalUserUnbindView.as_view(),
        name="portal_user_unbind",
    ),
    path("portal/", portal_views.PortalHomeView.as_view(), name="portal_home"),
    path("<str:key>/", V.VendorDetailView.as_view(), name="vendor_detail"),
    path("<str:key>/edit/", V.VendorEditView.as_view(), name="vendor_edit"),
    path("<str:key>/status/", V.VendorStatusView.as_view(), name="vendor_status"),
    path("<str:key>/offboarding/", V.VendorOffboardingView.as_view(), name="vendor_offboarding"),
    path("<str:key>/delete/", V.VendorDeleteView.as_view(), name="vendor_delete"),
    path("<str:key>/contacts/new/", V.ContactFormView.as_view(), name="contact_create"),
    path("<str:key>/contacts/<int:pk>/edit/", V.ContactFormView.as_view(), name="contact_edit"),
    path(
        "<str:key>/contacts/<int:pk>/delete/", V.ContactDeleteView.as_view(), name="contact_delete"
    ),
    path(
        "<str:key>/checklist/new/", V.ChecklistItemFormView.as_view(), name="checklist_item_create"
    ),
    path(
        "<str:key>/checklist/<int:pk>/edit/",
        V.ChecklistItemFormView.as_view(),
        name="checklist_item_edit",
    ),
    path(
        "<str:key>/checklist/<int:pk>/complete/",
        V.ChecklistItemCompleteView.as_view(),
        name="checklist_item_complete",
    ),
    path(
        "<str:key>/checklist/<int:pk>/reopen/",
        V.ChecklistItemReopenView.as_view(),
        name="checklist_item_reopen",
    ),
    path(
        "<str:key>/checklist/<int:pk>/delete/",
        V.ChecklistItemDeleteView.as_view(),
        name="checklist_item_delete",
    ),
]
