"""Invoices API routes (included by budgets/api/urls.py): the program's under
budget/invoices/, the vendor portal's under budget/portal/invoices/."""

from django.urls import path

from . import invoices as api
from . import portal_invoices as portal

B = "programs/<str:code>/budget/"
I = B + "invoices/<str:key>/"  # noqa: E741 - the invoice routes' prefix

urlpatterns = [
    path(B + "invoices/", api.InvoiceListView.as_view(), name="budgets_invoice_list"),
    path(I, api.InvoiceDetailView.as_view(), name="budgets_invoice_detail"),
    path(I + "validate/", api.InvoiceValidateView.as_view(), name="budgets_invoice_validate"),
    path(I + "approve/", api.InvoiceApproveView.as_view(), name="budgets_invoice_approve"),
    path(I + "reject/", api.InvoiceRejectView.as_view(), name="budgets_invoice_reject"),
    path(I + "pay/", api.InvoicePayView.as_view(), name="budgets_invoice_pay"),
    path(
        B + "portal/invoices/",
        portal.PortalInvoiceListView.as_view(),
        name="budgets_portal_invoice_list",
    ),
    path(
        B + "portal/invoices/<str:key>/",
        portal.PortalInvoiceDetailView.as_view(),
        name="budgets_portal_invoice_detail",
    ),
]
