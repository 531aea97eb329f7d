"""Invoice pages (included by budgets/urls.py): the program's under invoices/, the vendor
portal's under portal/invoices/."""

from django.urls import path

from .views import invoices as views
from .views import portal_invoices as portal

V = views
I = "invoices/<str:key>/"  # noqa: E741 - the invoice routes' prefix
P = "portal/invoices/"
urlpatterns: list = [
    path("invoices/", V.InvoiceListView.as_view(), name="invoice_list"),
    path("invoices/new/", V.InvoiceCreateView.as_view(), name="invoice_create"),
    path(I, V.InvoiceDetailView.as_view(), name="invoice_detail"),
    path(I + "edit/", V.InvoiceEditView.as_view(), name="invoice_edit"),
    path(I + "validate/", V.InvoiceValidateView.as_view(), name="invoice_validate"),
    path(I + "approve/", V.InvoiceApproveView.as_view(), name="invoice_approve"),
    path(I + "reject/", V.InvoiceRejectView.as_view(), name="invoice_reject"),
    path(I + "pay/", V.InvoicePayView.as_view(), name="invoice_pay"),
    path(I + "document/", V.InvoiceDocumentView.as_view(), name="invoice_document"),
    path(P, portal.PortalInvoiceListView.as_view(), name="portal_invoices"),
    path(P + "new/", portal.PortalInvoiceCreateView.as_view(), name="portal_invoice_create"),
    path(P + "<str:key>/", portal.PortalInvoiceDetailView.as_view(), name="portal_invoice_detail"),
    path(
        P + "<str:key>/document/",
        portal.PortalInvoiceDocumentView.as_view(),
        name="portal_invoice_document",
    ),
]
