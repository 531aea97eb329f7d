"""Invoice pages of the program: the list (filters by status, vendor, contract and month, status
tiles, totals, 50 a page), one invoice (lines, validation results, what it booked to actuals, its
contract's remaining value, history and the next steps), recording a received invoice and
correcting it (lines as a formset, "Add a line" without script), the steps (validate, approve,
reject with a reason, pay) and the PDF download."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate
from vendors.selectors.portal import portal_vendor_for

from ..forms.invoices import InvoiceForm, PayForm, RejectForm, line_formset
from ..models import InvoiceStatus
from ..selectors import invoices as selectors
from ..selectors.settings import budget_settings
from ..services import invoices as services
from ..services.invoice_validation import PROBLEM_CODES

log = logging.getLogger(__name__)
S = InvoiceStatus
NAV = "budgets:invoice_list"
PAGE_SIZE = 50
FILTERS = ("q", "status", "vendor", "contract", "month", "sort")


def status_badge(invoice) -> dict:
    return {
        "colour": selectors.STATUS_COLOURS[invoice.status],
        "icon": selectors.STATUS_ICONS[invoice.status],
    }


def problems_of(invoice) -> list[dict]:
    return [
        {**p, "label": PROBLEM_CODES.get(p.get("code"), p.get("code", ""))}
        for p in invoice.problems or []
    ]


def document_response(invoice):
    if not invoice.document:
        raise Http404("This invoice has no PDF.")
    try:
        handle = invoice.document.open("rb")
    except FileNotFoundError as exc:
        log.error("The PDF of %s is missing from storage", invoice.key)
        raise Http404("This PDF is missing from storage.") from exc
    name = f"{invoice.key} {invoice.invoice_number}.pdf".replace("/", "-")
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _with_card_rates(invoice) -> list:
    """The lines, each with `card_rate`: the contract's rate for its role and unit (or None)."""
    card = {(r.role.casefold(), r.unit): r.rate for r in selectors.rate_card(invoice.contract)}
    lines = selectors.invoice_lines(invoice)
    for line in lines:
        line.card_rate = card.get((line.role.casefold(), line.unit)) if line.role else None
    return lines


class InvoiceMixin(ProgramViewMixin):
    nav_section = NAV

    def invoice(self):
        return selectors.invoice_get(program=self.program, key=self.kwargs["key"])


class InvoiceListView(InvoiceMixin, TemplateView):
    permission_action = "invoice.view"
    template_name = "budgets/invoices/invoice_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "invoice-table")]

    def get_context_data(self, **kwargs):
        data = {k: self.request.GET[k] for k in FILTERS if self.request.GET.get(k)}
        filterset = selectors.InvoiceFilterSet(
            data or None,
            queryset=selectors.invoice_list(program=self.program),
            program=self.program,
        )
        queryset = filterset.qs
        page = paginate(self.request, selectors.with_row_figures(queryset), per_page=PAGE_SIZE)
        today = timezone.localdate()
        for invoice in page.object_list:
            invoice.badge = status_badge(invoice)
            invoice.is_overdue = selectors.overdue(invoice, today)
        return super().get_context_data(
            filter=filterset,
            filtered=any(k != "sort" for k in data),
            page_obj=page,
            totals=selectors.invoice_totals(queryset),
            counts=selectors.status_counts(program=self.program),
            currency=self.program.currency,
            can_change=self.access.can("invoice.change"),
            **kwargs,
        )


class InvoiceDetailView(InvoiceMixin, TemplateView):
    """The invoice, its lines, what validation found, what approval booked, and the steps."""

    permission_action = "invoice.view"
    template_name = "budgets/invoices/invoice_detail.html"

    def get_context_data(self, **kwargs):
        invoice = self.invoice()
        history = list(history_for_object(invoice).order_by("-id")[:30])
        user = self.request.user
        can_approve = self.access.can("invoice.approve")
        refusal = services.approval_refusal(invoice, user) if can_approve else None
        return super().get_context_data(
            invoice=invoice,
            badge=status_badge(invoice),
            lines=_with_card_rates(invoice),
            problems=problems_of(invoice),
            entries=selectors.booked_entries(invoice),
            position=selectors.contract_position(invoice),
            history=history,
            history_more=len(history) == 30,
            limit=budget_settings(self.program).invoice_approval_limit,
            is_open=invoice.status in services.OPEN,
            is_overdue=selectors.overdue(invoice, timezone.localdate()),
            can_change=self.access.can("invoice.change"),
            can_approve=can_approve,
            approve_refusal=refusal,
            can_pay=self.access.can("invoice.pay"),
            can_history=self.access.can("activity.view"),
            via_portal=invoice.submitted_by is not None
            and portal_vendor_for(program=self.program, user=invoice.submitted_by) is not None,
            **kwargs,
        )


class _InvoiceFormView(InvoiceMixin, TemplateView):
    """Recording (no key) or correcting (key) an invoice: header form and lines formset. Each
    subclass writes `save(form, formset, invoice)` calling its service."""

    permission_action = "invoice.change"
    template_name = "budgets/invoices/invoice_form.html"
    form_class = InvoiceForm

    def current(self):
        return None

    def form(self, data=None, files=None, invoice=None):
        return self.form_class(
            data, files, program=self.program, invoice=invoice, vendor=getattr(self, "vendor", None)
        )

    def render_form(self, form, formset, invoice=None, status=200):
        context = self.get_context_data(
            form=form,
            formset=formset,
            invoice=invoice,
            creating=invoice is None,
            roles=sorted({r["role"] for card in self.cards().values() for r in card}),
            cards=self.cards(),
            total=formset.total() if formset.is_bound else None,
        )
        return self.render_to_response(context, status=status)

    def cards(self):
        if not hasattr(self, "_cards"):
            self._cards = selectors.rate_cards(
                program=self.program, vendor=getattr(self, "vendor", None)
            )
        return self._cards

    def initial(self) -> dict:
        return {"received_on": timezone.localdate()}

    def get(self, request, code, key=None):
        invoice = self.current()
        form = self.form(invoice=invoice)
        if invoice is None:
            form.initial.update(self.initial())
            contract = request.GET.get("contract")
            if contract:
                found = next(
                    (c for c in form.contracts.values() if c.key == contract.upper()), None
                )
                if found is not None:
                    form.initial["contract"] = str(found.pk)
                    form.initial["currency"] = found.currency
        suggested = None if form.portal else services.default_budget_line(
            form.contracts.get(int(form.initial["contract"])) if form.initial.get("contract")
            else None
        )  # fmt: skip
        formset = line_formset(
            program=self.program, portal=form.portal, invoice=invoice, suggested_line=suggested
        )
        return self.render_form(form, formset, invoice)

    def post(self, request, code, key=None):
        invoice = self.current()
        form = self.form(request.POST, request.FILES, invoice=invoice)
        adding = "add_line" in request.POST
        formset = line_formset(
            request.POST, program=self.program, portal=form.portal, add_rows=1 if adding else 0
        )
        if adding:  # more rows asked for: nothing is saved, what was typed stays
            form.is_valid()
            return self.render_form(form, formset, invoice)
        forms_valid = form.is_valid() & formset.is_valid()
        if forms_valid:
            try:
                saved = self.save(form, formset, invoice)
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                if invoice is None:
                    form.add_error(None, exc.reason)
                else:
                    messages.error(request, exc.reason)
                    return redirect(self.detail_url(invoice))
            else:
                self.announce(saved, created=invoice is None)
                return redirect(self.detail_url(saved))
        return self.render_form(form, formset, invoice, status=400)

    def detail_url(self, invoice):
        return invoice.get_absolute_url()

    def announce(self, invoice, *, created: bool):
        verb = "recorded" if created else "corrected"
        if invoice.status == S.VALIDATED:
            text = f"{invoice.key} {verb}: validation found no problem, it can be approved."
        else:
            count = len(invoice.problems)
            text = (
                f"{invoice.key} {verb}. Validation found {count} problem"
                f"{'s' if count != 1 else ''}: see them below."
            )
        messages.success(self.request, text)


class InvoiceCreateView(_InvoiceFormView):
    """Record an invoice received from a vendor."""

    def save(self, form, formset, invoice):
        fields = form.fields_for_service()
        return services.invoice_receive(
            actor=self.request.user,
            program=self.program,
            lines=formset.lines(),
            document=form.cleaned_data.get("document") or None,
            **fields,
        )


class InvoiceEditView(_InvoiceFormView):
    """Correct a received or validated invoice; approved, paid and rejected ones are closed."""

    def current(self):
        invoice = self.invoice()
        if invoice.status not in services.OPEN:
            messages.info(
                self.request,
                f"{invoice.key} is {invoice.get_status_display().lower()}: it is no longer "
                "corrected.",
            )
            raise _Closed(invoice)
        return invoice

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except _Closed as closed:
            return redirect(closed.invoice)

    def save(self, form, formset, invoice):
        return services.invoice_update(
            actor=self.request.user,
            invoice=invoice,
            expected_version=form.cleaned_data["version"],
            lines=formset.lines(),
            document=form.cleaned_data.get("document") or None,
            **form.changes(),
        )


class _Closed(Exception):
    def __init__(self, invoice):
        self.invoice = invoice


class _StepView(InvoiceMixin, TemplateView):
    """A step posted from the invoice page; GET goes back to the page."""

    def get(self, request, code, key):
        return redirect(self.invoice())

    def post(self, request, code, key):
        invoice = self.invoice()
        try:
            self.step(invoice)
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing changed; look at it again.")
        except Refused as exc:
            messages.error(request, exc.reason)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect(invoice)


class InvoiceValidateView(_StepView):
    permission_action = "invoice.change"

    def step(self, invoice):
        checked = services.invoice_validate(
            actor=self.request.user,
            invoice=invoice,
            expected_version=posted_version(self.request),
        )
        if checked.problems:
            count = len(checked.problems)
            messages.warning(
                self.request,
                f"Validation found {count} problem{'s' if count != 1 else ''} on {checked.key}.",
            )
        else:
            messages.success(self.request, f"{checked.key} passed validation: it can be approved.")


class InvoiceApproveView(_StepView):
    permission_action = "invoice.approve"

    def step(self, invoice):
        approved = services.invoice_approve(
            actor=self.request.user,
            invoice=invoice,
            expected_version=posted_version(self.request),
        )
        count = approved.lines.count()
        messages.success(
            self.request,
            f"{approved.key} approved: {count} line{'s' if count != 1 else ''} booked to actuals.",
        )


class _FormStepView(InvoiceMixin, TemplateView):
    """A step with a small form (reject, pay) on a page of its own."""

    template_name = "budgets/invoices/invoice_step.html"
    form_class: type = RejectForm
    step_name = ""
    allowed: tuple = ()

    def _closed(self, invoice):
        if invoice.status in self.allowed:
            return None
        messages.info(
            self.request,
            f"{invoice.key} is {invoice.get_status_display().lower()}: it cannot be "
            f"{self.step_name} now.",
        )
        return redirect(invoice)

    def _render(self, invoice, form, status=200):
        context = self.get_context_data(
            invoice=invoice, form=form, step=self.step_name, badge=status_badge(invoice)
        )
        return self.render_to_response(context, status=status)

    def get(self, request, code, key):
        invoice = self.invoice()
        closed = self._closed(invoice)
        if closed is not None:
            return closed
        return self._render(invoice, self.form_class(initial=self.initial(invoice)))

    def initial(self, invoice) -> dict:
        return {"version": invoice.version}

    def post(self, request, code, key):
        invoice = self.invoice()
        closed = self._closed(invoice)
        if closed is not None:
            return closed
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.step(invoice, form)
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except (Refused, PermissionDenied) as exc:
                messages.error(request, getattr(exc, "reason", str(exc)))
                return redirect(invoice)
            else:
                return redirect(invoice)
        return self._render(invoice, form, status=400)


class InvoiceRejectView(_FormStepView):
    permission_action = "invoice.approve"
    form_class = RejectForm
    step_name = "rejected"
    allowed = services.OPEN

    def step(self, invoice, form):
        services.invoice_reject(
            actor=self.request.user,
            invoice=invoice,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
        messages.success(
            self.request, f"{invoice.key} rejected. The vendor's portal users have been e-mailed."
        )


class InvoicePayView(_FormStepView):
    permission_action = "invoice.pay"
    form_class = PayForm
    step_name = "paid"
    allowed = (S.APPROVED,)

    def initial(self, invoice) -> dict:
        return {"version": invoice.version, "paid_on": timezone.localdate()}

    def step(self, invoice, form):
        services.invoice_pay(
            actor=self.request.user,
            invoice=invoice,
            paid_on=form.cleaned_data["paid_on"],
            payment_reference=form.cleaned_data["payment_reference"],
            expected_version=form.cleaned_data["version"],
        )
        messages.success(self.request, f"{invoice.key} marked paid. The vendor has been e-mailed.")


class InvoiceDocumentView(InvoiceMixin, TemplateView):
    permission_action = "invoice.view"

    def get(self, request, code, key):
        return document_response(self.invoice())
