"""Vendor register pages: the list, a vendor (contacts, categories, checklists with inline
completion, contracts, history), its forms and status changes, categories and portal users."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial, wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.vendors import (
    TRANSITION_HELP,
    CategoryForm,
    ChecklistCompleteForm,
    ChecklistItemForm,
    ContactForm,
    OffboardingForm,
    PortalBindForm,
    VendorForm,
    VendorStatusForm,
)
from ..models import ChecklistKind, VendorStatus
from ..selectors import vendors as selectors
from ..services import vendors as services
from ..services.errors import Refused

NAV = "vendors:vendor_list"
DETAIL_TEMPLATE = "vendors/vendors/vendor_detail.html"
CONFIRM_TEMPLATE = "vendors/vendors/confirm.html"


def hx_redirect(url: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def _go(request, url: str) -> HttpResponse:
    """After a successful write: a full-page redirect, or HX-Redirect for an htmx form."""
    return hx_redirect(url) if request.htmx else redirect(url)


class VendorMixin(ProgramViewMixin):
    nav_section = NAV

    def get_vendor(self):
        return selectors.vendor_get(program=self.program, key=self.kwargs["key"])

    def detail_url(self, vendor, anchor: str = "") -> str:
        return vendor.get_absolute_url() + (f"#{anchor}" if anchor else "")


# --- the list and one vendor ----------------------------------------------------------------------


class VendorListView(VendorMixin, TemplateView):
    permission_action = "vendor.view"
    template_name = "vendors/vendors/vendor_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "vendor-table")]

    def get_context_data(self, **kwargs):
        filterset = selectors.VendorFilterSet(
            self.request.GET or None,
            queryset=selectors.vendor_list(program=self.program),
            program=self.program,
        )
        data = filterset.data or {}
        return super().get_context_data(
            filter=filterset,
            filtered=any(data.get(k) for k in ("q", "status", "category", "owner", "attention")),
            page_obj=paginate(self.request, filterset.qs),
            counts=selectors.status_counts(program=self.program),
            can_change=self.access.can("vendor.change"),
            **kwargs,
        )


def _transitions(vendor) -> list[dict]:
    """The status moves offered on the vendor's page, each with why it is not possible yet."""
    return [
        {
            "status": status,
            "label": VendorStatus(status).label,
            "help": (
                "Reinstated: work resumes; the suspension stays in the history."
                if vendor.status == VendorStatus.SUSPENDED and status == VendorStatus.ACTIVE
                else TRANSITION_HELP[status]
            ),
            "refusal": services.status_refusal(vendor, status, override=True),
        }
        for status in services.TRANSITIONS[vendor.status]
    ]


class VendorDetailView(VendorMixin, TemplateView):
    """The vendor with its contacts, categories, checklists, contracts and, on a tab, history.

    The checklists are one partial (`#checklists`): completing or reopening a step answers it
    when asked by htmx."""

    permission_action = "vendor.view"
    template_name = DETAIL_TEMPLATE

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "checklists")]

    def get_context_data(self, **kwargs):
        vendor = kwargs.pop("vendor", None) or self.get_vendor()
        tab = "history" if self.request.GET.get("tab") == "history" else "details"
        history = selectors.vendor_history(vendor=vendor)
        contracts = list(selectors.vendor_contracts(vendor=vendor))
        checklists = kwargs.pop("checklists", None) or selectors.checklists(vendor=vendor)
        offboarding_started = any(c["kind"] == ChecklistKind.OFFBOARDING for c in checklists)
        can_change = self.access.can("vendor.change")
        return super().get_context_data(
            vendor=vendor,
            tab=tab,
            status_colour=selectors.STATUS_COLOURS[vendor.status],
            status_icon=selectors.STATUS_ICONS[vendor.status],
            contacts=list(selectors.contact_list(vendor=vendor)),
            checklists=checklists,
            contracts=contracts,
            contract_totals={
                "current_value": sum(c.current_value for c in contracts),
                "remaining": sum(c.remaining for c in contracts),
            },
            portal_users=list(
                selectors.portal_user_list(program=self.program).filter(vendor=vendor)
            ),
            history=history[:100] if tab == "history" else None,
            history_count=history.count(),
            transitions=_transitions(vendor) if can_change else [],
            can_start_offboarding=(
                can_change
                and not offboarding_started
                and vendor.status
                in (VendorStatus.ONBOARDING, VendorStatus.ACTIVE, VendorStatus.SUSPENDED)
            ),
            can_change=can_change,
            can_delete=self.access.can("vendor.delete"),
            can_contracts=self.access.can("contract.view"),
            checklists_open=vendor.status != VendorStatus.OFFBOARDED,
            today=timezone.localdate(),
            **kwargs,
        )


class VendorCreateView(VendorMixin, TemplateView):
    permission_action = "vendor.change"
    template_name = "vendors/vendors/vendor_form.html"

    def get(self, request, code):
        form = VendorForm(program=self.program, initial={"relationship_owner": request.user.pk})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = VendorForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                vendor = services.vendor_create(
                    actor=request.user, program=self.program, **form.changes()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                text = f"{vendor.key} {vendor.name} created."
                if vendor.status == VendorStatus.ONBOARDING:
                    text += " Its onboarding checklist is ready."
                messages.success(request, text)
                return redirect(vendor)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class VendorEditView(VendorMixin, TemplateView):
    permission_action = "vendor.change"
    template_name = "vendors/vendors/vendor_form.html"

    def get(self, request, code, key):
        vendor = self.get_vendor()
        form = VendorForm(program=self.program, vendor=vendor)
        return self.render_to_response(self.get_context_data(form=form, vendor=vendor))

    def post(self, request, code, key):
        vendor = self.get_vendor()
        form = VendorForm(request.POST, program=self.program, vendor=vendor)
        if form.is_valid():
            try:
                vendor = services.vendor_update(
                    actor=request.user,
                    vendor=vendor,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(vendor),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{vendor.key} {vendor.name} saved.")
                return redirect(vendor)
        return self.render_to_response(self.get_context_data(form=form, vendor=vendor), status=400)


class VendorStatusView(VendorMixin, TemplateView):
    """Move the vendor along its life cycle (a modal from the vendor's page, or a page)."""

    permission_action = "vendor.change"
    template_name = "vendors/vendors/vendor_status.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "status-form")]

    def context(self, vendor, form):
        return self.get_context_data(
            vendor=vendor,
            form=form,
            transitions=_transitions(vendor),
            open_onboarding=vendor.checklist.filter(
                kind=ChecklistKind.ONBOARDING, completed_on__isnull=True
            ).count(),
        )

    def get(self, request, code, key):
        vendor = self.get_vendor()
        initial = {"version": vendor.version}
        if request.GET.get("status") in services.TRANSITIONS[vendor.status]:
            initial["status"] = request.GET["status"]
        form = VendorStatusForm(vendor=vendor, initial=initial)
        return self.render_to_response(self.context(vendor, form))

    def post(self, request, code, key):
        vendor = self.get_vendor()
        form = VendorStatusForm(request.POST, vendor=vendor)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                updated = services.vendor_update(
                    actor=request.user,
                    vendor=vendor,
                    expected_version=data["version"],
                    status=data["status"],
                    status_reason=data["status_reason"],
                    override_open_items=data.get("override_open_items", False),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(
                    request, f"{updated.name} is now {updated.get_status_display().lower()}."
                )
                return _go(request, updated.get_absolute_url())
        return self.render_to_response(self.context(vendor, form), status=status)


class VendorOffboardingView(VendorMixin, TemplateView):
    """Start offboarding: the default offboarding checklist is created."""

    permission_action = "vendor.change"
    template_name = "vendors/vendors/vendor_offboarding.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "offboarding-form")]

    def get(self, request, code, key):
        vendor = self.get_vendor()
        form = OffboardingForm(program=self.program, initial={"version": vendor.version})
        return self.render_to_response(self.get_context_data(vendor=vendor, form=form))

    def post(self, request, code, key):
        vendor = self.get_vendor()
        form = OffboardingForm(request.POST, program=self.program)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.vendor_start_offboarding(
                    actor=request.user,
                    vendor=vendor,
                    expected_version=data["version"],
                    owner=data["owner"],
                    due_date=data["due_date"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(
                    request,
                    f"Offboarding of {vendor.name} started: complete its checklist, then mark it "
                    "offboarded.",
                )
                return _go(request, self.detail_url(vendor, "checklist-offboarding"))
        return self.render_to_response(
            self.get_context_data(vendor=vendor, form=form), status=status
        )


class VendorDeleteView(VendorMixin, TemplateView):
    permission_action = "vendor.delete"
    template_name = CONFIRM_TEMPLATE

    def get(self, request, code, key):
        vendor = self.get_vendor()
        problem = ""
        if vendor.status != VendorStatus.PROSPECT:
            problem = (
                f"{vendor.name} is {vendor.get_status_display().lower()}; only a prospect can be "
                "deleted. Offboard it instead, so its history stays."
            )
        elif vendor.contract_count:
            problem = f"{vendor.name} has contracts; it cannot be deleted."
        return self.render_to_response(
            self.get_context_data(
                vendor=vendor,
                problem=problem,
                title=f"Delete {vendor.key} {vendor.name}?",
                text="Delete a vendor only when it was recorded in error or dropped out of "
                "selection. Its contacts and checklist go with it; the history stays in the "
                "program's activity log.",
                version=vendor.version,
                button="Delete vendor",
                cancel_url=vendor.get_absolute_url(),
            )
        )

    def post(self, request, code, key):
        vendor = self.get_vendor()
        try:
            services.vendor_delete(
                actor=request.user, vendor=vendor, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{vendor.key} {vendor.name} deleted.")
            return redirect("vendors:vendor_list", code=code)
        return redirect(vendor)


# --- contacts -------------------------------------------------------------------------------------


class ContactFormView(VendorMixin, TemplateView):
    """A contact's form: a modal on the vendor's page (htmx), or a page."""

    permission_action = "vendor.change"
    template_name = "vendors/vendors/contact_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "contact-form")]

    def get_contact(self, vendor):
        pk = self.kwargs.get("pk")
        return None if pk is None else selectors.contact_get(vendor=vendor, pk=pk)

    def get(self, request, code, key, pk=None):
        vendor = self.get_vendor()
        contact = self.get_contact(vendor)
        initial = None if contact else {"is_primary": not vendor.primary_contact_name}
        form = (
            ContactForm(contact=contact, initial=initial)
            if initial
            else ContactForm(contact=contact)
        )
        return self.render_to_response(
            self.get_context_data(vendor=vendor, contact=contact, form=form)
        )

    def post(self, request, code, key, pk=None):
        vendor = self.get_vendor()
        contact = self.get_contact(vendor)
        form = ContactForm(request.POST, contact=contact)
        if form.is_valid():
            try:
                if contact is None:
                    saved = services.contact_create(
                        actor=request.user, vendor=vendor, **form.changes()
                    )
                else:
                    saved = services.contact_update(
                        actor=request.user,
                        contact=contact,
                        expected_version=form.cleaned_data["version"],
                        **form.changes(contact),
                    )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{saved.name} saved as a contact of {vendor.name}.")
                return _go(request, self.detail_url(vendor, "contacts"))
        return self.render_to_response(
            self.get_context_data(vendor=vendor, contact=contact, form=form), status=400
        )


class ContactDeleteView(VendorMixin, TemplateView):
    permission_action = "vendor.change"
    template_name = CONFIRM_TEMPLATE

    def get(self, request, code, key, pk):
        vendor = self.get_vendor()
        contact = selectors.contact_get(vendor=vendor, pk=pk)
        text = "The history keeps what was recorded about them."
        if contact.is_primary:
            text = "They are the primary contact; the next contact by name takes over. " + text
        return self.render_to_response(
            self.get_context_data(
                vendor=vendor,
                title=f"Remove {contact.name} from {vendor.name}'s contacts?",
                text=text,
                version=contact.version,
                button="Remove contact",
                cancel_url=self.detail_url(vendor, "contacts"),
            )
        )

    def post(self, request, code, key, pk):
        vendor = self.get_vendor()
        contact = selectors.contact_get(vendor=vendor, pk=pk)
        try:
            services.contact_delete(
                actor=request.user, contact=contact, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was removed.")
        else:
            messages.success(request, f"{contact.name} removed from {vendor.name}'s contacts.")
        return redirect(self.detail_url(vendor, "contacts"))


# --- checklists ---------------------------------------------------------------------------------


class ChecklistMixin(VendorMixin):
    permission_action = "vendor.change"

    def get_item(self, vendor):
        return selectors.checklist_item_get(vendor=vendor, pk=self.kwargs["pk"])

    def checklist_answer(self, vendor, *, status: int = 200, **extra) -> HttpResponse:
        """The checklists partial (htmx) or the whole vendor page, with `extra` (the step being
        completed and its form, an error) in the context."""
        view = VendorDetailView()
        view.setup(self.request, code=self.program.code, key=vendor.key)
        view.access, view.program = self.access, self.program
        context = view.get_context_data(vendor=vendor, **extra)
        template = (
            DETAIL_TEMPLATE + "#checklists" if wants_partial(self.request) else DETAIL_TEMPLATE
        )
        return self.response_class(
            request=self.request, template=[template], context=context, status=status
        )


class ChecklistItemCompleteView(ChecklistMixin, TemplateView):
    """Mark a step done with its evidence, inline in the vendor's checklist."""

    def get(self, request, code, key, pk):
        vendor = self.get_vendor()
        item = self.get_item(vendor)
        if item.is_done or vendor.status == VendorStatus.OFFBOARDED:
            return redirect(self.detail_url(vendor, f"step-{item.pk}"))
        form = ChecklistCompleteForm(initial={"version": item.version})
        return self.checklist_answer(vendor, completing=item.pk, complete_form=form)

    def post(self, request, code, key, pk):
        vendor = self.get_vendor()
        item = self.get_item(vendor)
        form = ChecklistCompleteForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.checklist_item_complete(
                    actor=request.user,
                    item=item,
                    evidence=form.cleaned_data["evidence"],
                    completed_on=form.cleaned_data["completed_on"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                return self.refused(vendor, exc.reason)
            else:
                if request.htmx:
                    return self.checklist_answer(vendor, flash_item=item.pk)
                messages.success(request, f"“{item.title}” completed.")
                return redirect(self.detail_url(vendor, f"step-{item.pk}"))
        return self.checklist_answer(vendor, completing=item.pk, complete_form=form, status=status)

    def refused(self, vendor, reason: str) -> HttpResponse:
        if self.request.htmx:
            return self.checklist_answer(vendor, checklist_error=reason, status=409)
        messages.error(self.request, reason)
        return redirect(self.detail_url(vendor, "checklists"))


class ChecklistItemReopenView(ChecklistMixin, TemplateView):
    """Undo a completion recorded in error (POST only)."""

    def get(self, request, code, key, pk):
        vendor = self.get_vendor()
        return redirect(self.detail_url(vendor, f"step-{self.get_item(vendor).pk}"))

    def post(self, request, code, key, pk):
        vendor = self.get_vendor()
        item = self.get_item(vendor)
        try:
            services.checklist_item_reopen(
                actor=request.user, item=item, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            reason = f"{exc} Nothing was changed; look at the step again."
        except Refused as exc:
            reason = exc.reason
        else:
            if request.htmx:
                return self.checklist_answer(vendor, flash_item=item.pk)
            messages.success(request, f"“{item.title}” reopened.")
            return redirect(self.detail_url(vendor, f"step-{item.pk}"))
        if request.htmx:
            return self.checklist_answer(vendor, checklist_error=reason, status=409)
        messages.error(request, reason)
        return redirect(self.detail_url(vendor, f"step-{item.pk}"))


class ChecklistItemFormView(VendorMixin, TemplateView):
    """Add a step to a checklist (`?kind=`), or edit one: a modal or a page."""

    permission_action = "vendor.change"
    template_name = "vendors/vendors/checklist_item_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "item-form")]

    def get_item(self, vendor):
        pk = self.kwargs.get("pk")
        return None if pk is None else selectors.checklist_item_get(vendor=vendor, pk=pk)

    def render_form(self, vendor, item, form, status=200, problem=""):
        kind = item.kind if item else (form["kind"].value() or ChecklistKind.ONBOARDING)
        return self.render_to_response(
            self.get_context_data(
                vendor=vendor,
                item=item,
                form=form,
                kind_label=dict(ChecklistKind.choices).get(kind, ""),
                problem=problem,
            ),
            status=status,
        )

    def problem(self, vendor) -> str:
        if vendor.status == VendorStatus.OFFBOARDED:
            return f"{vendor.name} is offboarded; its checklists are the record and stay."
        return ""

    def get(self, request, code, key, pk=None):
        vendor = self.get_vendor()
        item = self.get_item(vendor)
        kind = request.GET.get("kind")
        if kind not in ChecklistKind.values:
            kind = ChecklistKind.ONBOARDING
        initial = None if item else {"kind": kind, "owner": vendor.relationship_owner_id}
        form = (
            ChecklistItemForm(program=self.program, item=item, initial=initial)
            if initial
            else (ChecklistItemForm(program=self.program, item=item))
        )
        return self.render_form(vendor, item, form, problem=self.problem(vendor))

    def post(self, request, code, key, pk=None):
        vendor = self.get_vendor()
        item = self.get_item(vendor)
        form = ChecklistItemForm(request.POST, program=self.program, item=item)
        status = 400
        if form.is_valid():
            try:
                if item is None:
                    saved = services.checklist_item_create(
                        actor=request.user, vendor=vendor, **form.changes()
                    )
                else:
                    saved = services.checklist_item_update(
                        actor=request.user,
                        item=item,
                        expected_version=form.cleaned_data["version"],
                        **form.changes(item),
                    )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(request, f"“{saved.title}” saved.")
                return _go(request, self.detail_url(vendor, f"step-{saved.pk}"))
        return self.render_form(vendor, item, form, status=status)


class ChecklistItemDeleteView(ChecklistMixin, TemplateView):
    template_name = CONFIRM_TEMPLATE

    def get(self, request, code, key, pk):
        vendor = self.get_vendor()
        item = self.get_item(vendor)
        problem = ""
        if vendor.status == VendorStatus.OFFBOARDED:
            problem = f"{vendor.name} is offboarded; its checklists are the record and stay."
        elif item.is_done:
            problem = f"“{item.title}” is completed; reopen it first if that was in error."
        return self.render_to_response(
            self.get_context_data(
                vendor=vendor,
                problem=problem,
                title=f"Remove “{item.title}” from the {item.get_kind_display().lower()} "
                "checklist?",
                text="Remove a step only when it does not apply to this vendor.",
                version=item.version,
                button="Remove step",
                cancel_url=self.detail_url(vendor, f"checklist-{item.kind}"),
            )
        )

    def post(self, request, code, key, pk):
        vendor = self.get_vendor()
        item = self.get_item(vendor)
        try:
            services.checklist_item_delete(
                actor=request.user, item=item, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was removed.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"“{item.title}” removed.")
        return redirect(self.detail_url(vendor, f"checklist-{item.kind}"))


# --- categories -----------------------------------------------------------------------------------


class CategoryListView(VendorMixin, TemplateView):
    permission_action = "vendor.view"
    template_name = "vendors/vendors/category_list.html"

    def get_context_data(self, **kwargs):
        can_change = self.access.can("vendor.change")
        if can_change:
            kwargs.setdefault("form", CategoryForm(creating=True))
        return super().get_context_data(
            categories=list(selectors.category_list(program=self.program)),
            can_change=can_change,
            **kwargs,
        )


def _category_list_url(code: str) -> str:
    return reverse("vendors:category_list", kwargs={"code": code})


class CategoryCreateView(VendorMixin, TemplateView):
    permission_action = "vendor.change"
    template_name = "vendors/vendors/category_list.html"

    def get(self, request, code):
        return redirect(_category_list_url(code))

    def post(self, request, code):
        form = CategoryForm(request.POST, creating=True)
        if form.is_valid():
            try:
                category = services.category_create(
                    actor=request.user, program=self.program, name=form.cleaned_data["name"]
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Category “{category.name}” added.")
                return redirect(_category_list_url(code))
        view = CategoryListView()
        view.setup(request, code=code)
        view.access, view.program = self.access, self.program
        return self.response_class(
            request=request,
            template=[self.template_name],
            context=view.get_context_data(form=form),
            status=400,
        )


class CategoryEditView(VendorMixin, TemplateView):
    permission_action = "vendor.change"
    template_name = "vendors/vendors/category_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "category-form")]

    def get(self, request, code, pk):
        category = selectors.category_get(program=self.program, pk=pk)
        form = CategoryForm(initial={"name": category.name, "version": category.version})
        return self.render_to_response(self.get_context_data(category=category, form=form))

    def post(self, request, code, pk):
        category = selectors.category_get(program=self.program, pk=pk)
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                category = services.category_rename(
                    actor=request.user,
                    category=category,
                    name=form.cleaned_data["name"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Category renamed to “{category.name}”.")
                return _go(request, _category_list_url(code))
        return self.render_to_response(
            self.get_context_data(category=category, form=form), status=400
        )


class CategoryDeleteView(VendorMixin, TemplateView):
    permission_action = "vendor.change"
    template_name = CONFIRM_TEMPLATE

    def get(self, request, code, pk):
        category = selectors.category_list(program=self.program).filter(pk=pk).first()
        if category is None:
            category = selectors.category_get(program=self.program, pk=pk)  # 404
        used = category.vendor_count
        text = "No vendor has it."
        if used:
            text = (
                f"{used} vendor{'s have' if used != 1 else ' has'} it; they lose it (recorded in "
                "their history)."
            )
        return self.render_to_response(
            self.get_context_data(
                title=f"Delete the category “{category.name}”?",
                text=text,
                version=category.version,
                button="Delete category",
                cancel_url=_category_list_url(code),
                crumb=("Categories", _category_list_url(code)),
            )
        )

    def post(self, request, code, pk):
        category = selectors.category_get(program=self.program, pk=pk)
        try:
            services.category_delete(
                actor=request.user, category=category, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted.")
        else:
            messages.success(request, f"Category “{category.name}” deleted.")
        return redirect(_category_list_url(code))


# --- portal users ---------------------------------------------------------------------------------


def _portal_users_url(code: str) -> str:
    return reverse("vendors:portal_users", kwargs={"code": code})


class PortalUsersView(VendorMixin, TemplateView):
    """Vendor-role members and the vendor each is bound to; bind and unbind."""

    permission_action = "vendor.view"
    template_name = "vendors/vendors/portal_users.html"

    def get_context_data(self, **kwargs):
        can_change = self.access.can("vendor.change")
        if can_change:
            kwargs.setdefault("form", PortalBindForm(program=self.program))
        members = list(selectors.vendor_members(program=self.program))
        return super().get_context_data(
            members=members,
            bound=sum(1 for m in members if hasattr(m, "vendor_binding")),
            can_change=can_change,
            can_members=self.access.can("membership.manage"),
            **kwargs,
        )


class PortalUserBindView(VendorMixin, TemplateView):
    permission_action = "vendor.change"
    template_name = "vendors/vendors/portal_users.html"

    def get(self, request, code):
        return redirect(_portal_users_url(code))

    def post(self, request, code):
        form = PortalBindForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                binding = services.portal_user_bind(
                    actor=request.user,
                    program=self.program,
                    user=form.cleaned_data["user"],
                    vendor=form.cleaned_data["vendor"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{binding.membership.user} now sees the portal of {binding.vendor.name}.",
                )
                return redirect(_portal_users_url(code))
        view = PortalUsersView()
        view.setup(request, code=code)
        view.access, view.program = self.access, self.program
        return self.response_class(
            request=request,
            template=[self.template_name],
            context=view.get_context_data(form=form),
            status=400,
        )


class PortalUserUnbindView(VendorMixin, TemplateView):
    permission_action = "vendor.change"
    template_name = CONFIRM_TEMPLATE

    def get(self, request, code, pk):
        binding = selectors.portal_user_get(program=self.program, pk=pk)
        user = binding.membership.user
        return self.render_to_response(
            self.get_context_data(
                title=f"Unbind {user} from {binding.vendor.name}?",
                text="They can no longer see the vendor portal; their membership of the "
                "program stays (remove it on the Members page).",
                version=binding.version,
                button="Unbind",
                cancel_url=_portal_users_url(code),
                crumb=("Portal users", _portal_users_url(code)),
            )
        )

    def post(self, request, code, pk):
        binding = selectors.portal_user_get(program=self.program, pk=pk)
        try:
            services.portal_user_unbind(
                actor=request.user, binding=binding, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was changed.")
        else:
            messages.success(
                request, f"{binding.membership.user} is no longer bound to {binding.vendor.name}."
            )
        return redirect(_portal_users_url(code))
