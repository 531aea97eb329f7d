"""Briefing subscription pages under /programs/<code>/reports/: the list, the form (new and
edit), deactivate, "Send now", the preview (the e-mail as the recipient sees it and both PDFs,
framed) and the delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.delivery import SubscriptionForm
from ..models import DeliveryStatus
from ..selectors import delivery as selectors
from ..services import delivery as delivery_services
from ..services import subscriptions as services

NAV = "reporting:subscription_list"
PDFS = ("briefing", "deck")


def _list_url(program) -> str:
    from django.urls import reverse

    return reverse("reporting:subscription_list", kwargs={"code": program.code})


class SubscriptionMixin(ProgramViewMixin):
    nav_section = NAV

    def subscription(self):
        return selectors.subscription_get(program=self.program, pk=self.kwargs["pk"])

    def base_context(self) -> dict:
        return {
            "can_change": self.access.can("subscription.change"),
            "can_send": self.access.can("subscription.send"),
            "zone": self.program.time_zone,
        }


class SubscriptionListView(SubscriptionMixin, TemplateView):
    permission_action = "subscription.view"
    template_name = "reporting/delivery/subscription_list.html"

    def get_context_data(self, **kwargs):
        rows = list(selectors.subscription_list(program=self.program))
        for row in rows:
            row.next_at = delivery_services.next_slot(row) if row.active else None
            row.last_colour = selectors.STATUS_COLOURS.get(row.last_status, "secondary")
        return super().get_context_data(**self.base_context(), subscriptions=rows, **kwargs)


class SubscriptionCreateView(SubscriptionMixin, TemplateView):
    permission_action = "subscription.change"
    template_name = "reporting/delivery/subscription_form.html"

    def get(self, request, code):
        form = SubscriptionForm(program=self.program)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = SubscriptionForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                subscription = services.subscription_create(
                    actor=request.user, program=self.program, **form.values()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    f"“{subscription.name}” saved. Its first briefing goes out on "
                    f"{delivery_services.next_slot(subscription):%A %d %B at %H:%M}.",
                )
                return redirect("reporting:subscription_list", code=code)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SubscriptionEditView(SubscriptionMixin, TemplateView):
    permission_action = "subscription.change"
    template_name = "reporting/delivery/subscription_form.html"

    def get(self, request, code, pk):
        subscription = self.subscription()
        form = SubscriptionForm(program=self.program, subscription=subscription)
        context = self.get_context_data(form=form, subscription=subscription)
        return self.render_to_response(context)

    def post(self, request, code, pk):
        subscription = self.subscription()
        form = SubscriptionForm(request.POST, program=self.program, subscription=subscription)
        if form.is_valid():
            try:
                subscription = services.subscription_update(
                    actor=request.user,
                    subscription=subscription,
                    expected_version=form.cleaned_data["version"],
                    **form.values(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"“{subscription.name}” saved.")
                return redirect("reporting:subscription_list", code=code)
        context = self.get_context_data(form=form, subscription=subscription)
        return self.render_to_response(context, status=400)


class SubscriptionDeactivateView(SubscriptionMixin, View):
    """POST: stop sending (the subscription and its log stay; edit it to reactivate)."""

    permission_action = "subscription.change"

    def get(self, request, code, pk):
        return redirect("reporting:subscription_list", code=code)

    def post(self, request, code, pk):
        subscription = self.subscription()
        try:
            services.subscription_deactivate(
                actor=request.user,
                subscription=subscription,
                expected_version=posted_version(request),
            )
        except StaleVersionError:
            messages.error(
                request, f"“{subscription.name}” was changed meanwhile; nothing was deactivated."
            )
        else:
            messages.success(request, f"“{subscription.name}” deactivated: nothing more is sent.")
        return redirect("reporting:subscription_list", code=code)


class SubscriptionSendNowView(SubscriptionMixin, View):
    """POST: send the current period's briefing now (a worker makes and sends it)."""

    permission_action = "subscription.send"

    def get(self, request, code, pk):
        return redirect("reporting:subscription_list", code=code)

    def post(self, request, code, pk):
        subscription = self.subscription()
        try:
            delivery = delivery_services.send_now(actor=request.user, subscription=subscription)
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect("reporting:subscription_list", code=code)
        messages.success(
            request,
            f"The briefing for week {delivery.period} is being made and sent to "
            f"{len(delivery_services._active_recipients(subscription))} recipient(s); "
            "its progress shows in the delivery log.",
        )
        return redirect("reporting:delivery_list", code=code)


class SubscriptionPreviewView(SubscriptionMixin, TemplateView):
    permission_action = "subscription.view"
    template_name = "reporting/delivery/subscription_preview.html"

    def get_context_data(self, **kwargs):
        subscription = self.subscription()
        message = delivery_services.preview_email(subscription)
        recipients = list(subscription.recipients.all())
        return super().get_context_data(
            **self.base_context(),
            subscription=subscription,
            message=message,
            period=delivery_services.current_period(self.program),
            recipients=recipients,
            **kwargs,
        )


@method_decorator(xframe_options_sameorigin, name="dispatch")
class SubscriptionPreviewEmailView(SubscriptionMixin, View):
    """The e-mail's HTML alone (framed by the preview page; `?format=text` the text part).
    E-mail HTML needs inline styles, so this response alone allows them."""

    permission_action = "subscription.view"

    def get(self, request, code, pk):
        message = delivery_services.preview_email(self.subscription())
        if request.GET.get("format") == "text":
            response = HttpResponse(message.text, content_type="text/plain; charset=utf-8")
        else:
            response = HttpResponse(message.html, content_type="text/html; charset=utf-8")
        response._csp_replace = {"style-src": ["'unsafe-inline'"], "frame-ancestors": ["'self'"]}
        return response


@method_decorator(xframe_options_sameorigin, name="dispatch")
class SubscriptionPreviewPdfView(SubscriptionMixin, View):
    permission_action = "subscription.view"

    def get(self, request, code, pk, which):
        if which not in PDFS:
            raise Http404("Only the briefing and the deck.")
        subscription = self.subscription()
        period = delivery_services.current_period(self.program)
        content = delivery_services.preview_pdf(subscription, which, period)
        response = HttpResponse(content, content_type="application/pdf")
        name = f"{self.program.code}-{which}-{period}-preview.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        response._csp_replace = {"frame-ancestors": ["'self'"]}
        return response


class DeliveryListView(SubscriptionMixin, TemplateView):
    permission_action = "subscription.view"
    template_name = "reporting/delivery/delivery_list.html"
    nav_section = NAV

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "delivery-table")]

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status", "")
        if status not in DeliveryStatus.values:
            status = ""
        page = paginate(self.request, selectors.delivery_list(program=self.program, status=status))
        for row in page.object_list:
            row.colour = selectors.STATUS_COLOURS.get(row.status, "secondary")
            row.retrying = (row.status == DeliveryStatus.CLAIMED and bool(row.last_error)) or (
                row.status == DeliveryStatus.FAILED
                and row.attempts < delivery_services.MAX_ATTEMPTS
            )
        return super().get_context_data(
            **self.base_context(),
            page_obj=page,
            status=status,
            statuses=DeliveryStatus.choices,
            max_attempts=delivery_services.MAX_ATTEMPTS,
            **kwargs,
        )
