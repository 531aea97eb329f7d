"""The vendor portal's invoices: my company's invoices with their status, rejection reasons and
payments; one invoice (its lines and, when rejected, why); submitting a new one with its PDF
for one of our active contracts. Every query is filtered by the bound vendor (another vendor's
key answers 404) and nothing of the program's budget is shown."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.views.generic import TemplateView

from programs.mixins import paginate
from vendors.views.mixins import PortalViewMixin

from ..forms.invoices import PortalInvoiceForm
from ..models import InvoiceStatus
from ..selectors import invoices as selectors
from ..services import invoices as services
from .invoices import _InvoiceFormView, document_response, status_badge

S = InvoiceStatus
PORTAL_NAV = "budgets:portal_invoices"

# what the vendor reads for each status (the program's internal steps stay internal)
PORTAL_STATUS_TEXT = {
    S.RECEIVED: "Received: being checked by the program's finance team.",
    S.VALIDATED: "Checked: awaiting approval.",
    S.APPROVED: "Approved: payment is being prepared.",
    S.REJECTED: "Rejected: see the reason. Send a corrected invoice with a new number.",
    S.PAID: "Paid.",
}


class PortalInvoiceMixin(PortalViewMixin):
    permission_action = "portal.invoice"
    nav_section = PORTAL_NAV

    def invoice(self):
        return selectors.invoice_get(
            program=self.program, key=self.kwargs["key"], vendor=self.vendor
        )


class PortalInvoiceListView(PortalInvoiceMixin, TemplateView):
    template_name = "budgets/invoices/portal_list.html"

    def get_context_data(self, **kwargs):
        queryset = selectors.invoice_list(program=self.program, vendor=self.vendor)
        status = self.request.GET.get("status", "")
        if status in S.values:
            queryset = queryset.filter(status=status)
        else:
            status = ""
        page = paginate(self.request, selectors.with_row_figures(queryset), per_page=50)
        for invoice in page.object_list:
            invoice.badge = status_badge(invoice)
        return super().get_context_data(
            page_obj=page,
            status=status,
            counts=selectors.status_counts(program=self.program, vendor=self.vendor),
            totals=selectors.invoice_totals(queryset),
            **kwargs,
        )


class PortalInvoiceDetailView(PortalInvoiceMixin, TemplateView):
    template_name = "budgets/invoices/portal_detail.html"

    def get_context_data(self, **kwargs):
        invoice = self.invoice()
        return super().get_context_data(
            invoice=invoice,
            badge=status_badge(invoice),
            status_text=PORTAL_STATUS_TEXT[invoice.status],
            lines=list(invoice.lines.order_by("id")),
            **kwargs,
        )


class PortalInvoiceCreateView(PortalInvoiceMixin, _InvoiceFormView):
    """Submit an invoice: contract, number, dates, period, lines and the PDF."""

    permission_action = "portal.invoice"
    nav_section = PORTAL_NAV
    template_name = "budgets/invoices/portal_form.html"
    form_class = PortalInvoiceForm

    def initial(self) -> dict:
        return {}

    def save(self, form, formset, invoice):
        return services.invoice_submit(
            actor=self.request.user,
            program=self.program,
            lines=formset.lines(),
            document=form.cleaned_data["document"],
            **form.fields_for_service(),
        )

    def detail_url(self, invoice):
        return reverse(
            "budgets:portal_invoice_detail", kwargs={"code": self.program.code, "key": invoice.key}
        )

    def announce(self, invoice, *, created: bool):
        messages.success(
            self.request,
            f"Invoice {invoice.invoice_number} submitted ({invoice.key}). The program's finance "
            "team has been told; its status will show here.",
        )


class PortalInvoiceDocumentView(PortalInvoiceMixin, TemplateView):
    def get(self, request, code, key):
        return document_response(self.invoice())
