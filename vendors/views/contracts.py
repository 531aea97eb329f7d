"""Contract pages: the list with remaining values and totals, a contract with its amendments,
payment milestones, rate card, SOWs and deliverables, the forms that change them, and the
vendor portal's read-only view of the vendor's own contracts.

Milestone and rate-card forms open in the shared modal through htmx (a full page without
JavaScript); a saved form sends the browser back to the contract, an invalid one comes back
with its errors and everything typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.forms import apply_validation_error, posted_version
from core.fragments import fragment_key
from core.htmx import page_or_partial, wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..filtersets_contracts import ContractFilterSet
from ..forms.contracts import (
    AmendmentForm,
    ContractForm,
    ContractStatusForm,
    MilestoneForm,
    RateForm,
)
from ..models import ContractStatus, Vendor
from ..selectors import contracts as selectors
from ..services import contracts as services
from ..services.errors import Refused
from .mixins import PortalViewMixin

NAV = "vendors:contract_list"
PAGE_SIZE = 50
FILTER_KEYS = ("q", "vendor", "status", "type", "kind", "sort")
STATUS_STEPS = {
    # target status: (button label, icon, button style, what happens)
    ContractStatus.ACTIVE: ("Activate", "ti-player-play", "btn-primary",
                            "The contract is signed and in force."),
    ContractStatus.ON_HOLD: ("Put on hold", "ti-player-pause", "btn-outline-warning",
                             "Work and payments pause; amendments stay possible."),
    ContractStatus.COMPLETED: ("Complete", "ti-circle-check", "btn-outline-primary",
                               "Everything was delivered and accepted; the contract closes."),
    ContractStatus.TERMINATED: ("Terminate", "ti-circle-x", "btn-outline-danger",
                                "The contract ends early; it closes and stays on record."),
}  # fmt: skip


def url_or_none(name: str, **kwargs) -> str | None:
    """A URL of another vendors area that may not be routed yet (then no link is shown)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def detail_url(code: str, key: str, anchor: str = "") -> str:
    url = reverse("vendors:contract_detail", kwargs={"code": code, "key": key})
    return f"{url}#{anchor}" if anchor else url


def done(request, url: str) -> HttpResponse:
    """After a saved form: htmx follows HX-Redirect, a plain form a 302."""
    if getattr(request, "htmx", None):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class ContractMixin(ProgramViewMixin):
    nav_section = NAV

    def get_contract(self):
        return selectors.contract_for_update(program=self.program, key=self.kwargs["key"])


# --- the list -----------------------------------------------------------------------------------


class ContractListView(ContractMixin, TemplateView):
    permission_action = "contract.view"
    template_name = "vendors/contracts/contract_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "contract-table")]

    def get_context_data(self, **kwargs):
        params = self.request.GET
        data = {k: params[k] for k in FILTER_KEYS if params.get(k)}
        filterset = ContractFilterSet(
            data or None,
            queryset=selectors.contract_list(program=self.program),
            program=self.program,
        )
        rows = filterset.qs
        # The totals count the matching contracts per currency: the pager needs no COUNT query.
        totals = selectors.contract_totals(queryset=rows)
        page = paginate(
            self.request, rows, per_page=PAGE_SIZE, count=sum(t["count"] for t in totals)
        )
        page.object_list = selectors.contract_page_rows(rows, page.start_index(), page.end_index())
        # The vendor picker's options, read as (id, name) pairs and given to the form, so that
        # the cached filter bar below is keyed on exactly what it shows.
        vendors = [
            (pk, f"{key} {name}")  # as str(vendor)
            for pk, key, name in Vendor.objects.filter(program=self.program)
            .order_by("name")
            .values_list("pk", "key", "name")
        ]
        form = filterset.form
        vendor_field = form.fields["vendor"]  # validates against its queryset, shows these:
        vendor_field.widget.choices = [("", vendor_field.empty_label), *vendors]
        # The filter bar and the table (head, rows, pager) are cached under a digest of all they
        # show: the query string (sort links, pager links, selected values), the errors, the
        # vendors, the count and every value of every row.
        query = self.request.META.get("QUERY_STRING", "")
        filters_key = fragment_key(
            "contract-filters", self.program.code, query, sorted(data.items()),
            sorted(form.errors), rows=vendors,
        )  # fmt: skip
        table_key = fragment_key(
            "contract-table", self.program.code, query, page.number, page.paginator.per_page,
            page.paginator.count, rows=(r.values() for r in page.object_list),
        )  # fmt: skip
        sort = data.get("sort", "")
        columns = []
        for label, param, css in (
            ("Key", "key", "w-1"),
            ("Contract", "title", ""),
            ("Vendor", "vendor", "d-none d-lg-table-cell"),
            ("Status", "status", "d-none d-sm-table-cell"),
            ("Current value", "value", "app-num d-none d-sm-table-cell"),
            ("Invoiced", "invoiced", "app-num d-none d-md-table-cell"),
            ("Remaining", "remaining", "app-num"),
            ("Ends", "end", "d-none d-md-table-cell"),
        ):  # fmt: skip
            active = sort.lstrip("-") == param
            descending = sort.startswith("-")
            columns.append(
                {
                    "label": label, "param": param, "css": css, "active": active,
                    "descending": descending,
                    "next": f"-{param}" if not active or not descending else param,
                }
            )  # fmt: skip
        return super().get_context_data(
            filter=filterset,
            page_obj=page,
            totals=totals,
            filters_key=filters_key,
            table_key=table_key,
            columns=columns,
            sort=sort,
            filtered=any(k != "sort" for k in data),
            can_change=self.access.can("contract.change"),
            **kwargs,
        )


# --- one contract -------------------------------------------------------------------------------


class ContractDetailView(ContractMixin, TemplateView):
    permission_action = "contract.view"
    template_name = "vendors/contracts/contract_detail.html"

    def get_context_data(self, **kwargs):
        contract = selectors.contract_get(program=self.program, key=self.kwargs["key"])
        data = selectors.contract_detail(contract=contract)
        code = self.program.code
        for deliverable in data["deliverables"]:
            deliverable.url = url_or_none(
                "vendors:deliverable_detail", code=code, key=deliverable.key
            )
        history = list(history_for_object(contract)[:30])
        can_change = self.access.can("contract.change")
        closed = contract.status in services.CLOSED_STATUSES
        return super().get_context_data(
            contract=contract,
            vendor_url=url_or_none("vendors:vendor_detail", code=code, key=contract.vendor.key),
            history=history,
            history_more=len(history) == 30,
            can_change=can_change,
            can_amend=can_change and contract.status in services.AMENDABLE_STATUSES,
            can_plan=can_change and not closed,
            can_set_milestone_status=can_change,
            steps=[
                (status, *STATUS_STEPS[status]) for status in services.TRANSITIONS[contract.status]
            ],
            **data,
            **kwargs,
        )


class ContractCreateView(ContractMixin, TemplateView):
    permission_action = "contract.change"
    template_name = "vendors/contracts/contract_form.html"

    def get(self, request, code):
        initial = {"owner": request.user.pk, "currency": self.program.currency}
        for name in ("vendor", "parent", "kind"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
        form = ContractForm(initial=initial, program=self.program)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = ContractForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                contract = services.contract_create(
                    actor=request.user, program=self.program, **form.service_fields()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{contract.key} {contract.title} recorded.")
                return redirect(detail_url(code, contract.key))
        return self.render_to_response(self.get_context_data(form=form, creating=True), status=400)


class ContractEditView(ContractMixin, TemplateView):
    permission_action = "contract.change"
    template_name = "vendors/contracts/contract_form.html"

    def get(self, request, code, key):
        contract = self.get_contract()
        form = ContractForm(
            program=self.program,
            contract=contract,
            initial={
                "version": contract.version, "title": contract.title,
                "vendor": contract.vendor_id, "kind": contract.kind, "parent": contract.parent_id,
                "contract_type": contract.contract_type, "value": contract.value,
                "currency": contract.currency, "start_date": contract.start_date,
                "end_date": contract.end_date, "po_number": contract.po_number,
                "owner": contract.owner_id, "signed_on": contract.signed_on,
                "description": contract.description,
            },
        )  # fmt: skip
        return self.render_to_response(self.get_context_data(form=form, contract=contract))

    def post(self, request, code, key):
        contract = self.get_contract()
        form = ContractForm(request.POST, program=self.program, contract=contract)
        status = 400
        if form.is_valid():
            try:
                contract = services.contract_update(
                    actor=request.user,
                    contract=contract,
                    expected_version=form.cleaned_data["version"],
                    **form.service_fields(),
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
                messages.success(request, f"{contract.key} saved.")
                return redirect(detail_url(code, contract.key))
        return self.render_to_response(
            self.get_context_data(form=form, contract=contract), status=status
        )


class ContractDeleteView(ContractMixin, TemplateView):
    permission_action = "contract.change"
    template_name = "vendors/contracts/contract_confirm_delete.html"

    def get(self, request, code, key):
        contract = self.get_contract()
        problem = ""
        if contract.status != ContractStatus.DRAFT:
            problem = (
                f"{contract.key} is {contract.get_status_display().lower()}; only a draft can be "
                "deleted. Complete or terminate a signed contract instead: it stays on record."
            )
        return self.render_to_response(self.get_context_data(contract=contract, problem=problem))

    def post(self, request, code, key):
        contract = self.get_contract()
        try:
            services.contract_delete(
                actor=request.user, contract=contract, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{contract.key} {contract.title} deleted.")
            return redirect("vendors:contract_list", code=code)
        return redirect(detail_url(code, contract.key))


class ContractStatusView(ContractMixin, TemplateView):
    """The status steps the contract allows now (activating a draft asks for its signature)."""

    permission_action = "contract.change"
    template_name = "vendors/contracts/contract_status.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "status-form")]

    def context(self, contract, form):
        steps = [(s, *STATUS_STEPS[s]) for s in services.TRANSITIONS[contract.status]]
        chosen = form["status"].value()
        if any(step[0] == chosen for step in steps):
            steps = [step for step in steps if step[0] == chosen]  # the button that opened it
        signed_on = form["signed_on"].value()
        return self.get_context_data(
            contract=contract,
            form=form,
            steps=steps,
            version=form["version"].value() or contract.version,
            signed_on_value=signed_on.isoformat() if hasattr(signed_on, "isoformat") else signed_on,
        )

    def get(self, request, code, key):
        contract = self.get_contract()
        form = ContractStatusForm(
            initial={"version": contract.version, "signed_on": contract.signed_on,
                     "status": request.GET.get("to", "")}
        )  # fmt: skip
        return self.render_to_response(self.context(contract, form))

    def post(self, request, code, key):
        contract = self.get_contract()
        form = ContractStatusForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                contract = services.contract_set_status(
                    actor=request.user,
                    contract=contract,
                    status=form.cleaned_data["status"],
                    expected_version=form.cleaned_data["version"],
                    signed_on=form.cleaned_data["signed_on"],
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
                    request, f"{contract.key} is now {contract.get_status_display().lower()}."
                )
                return done(request, detail_url(code, contract.key))
        return self.render_to_response(self.context(contract, form), status=status)


class AmendmentCreateView(ContractMixin, TemplateView):
    permission_action = "contract.change"
    template_name = "vendors/contracts/amendment_form.html"

    def context(self, contract, form, **extra):
        annotated = selectors.contract_get(program=self.program, key=contract.key)
        problem = ""
        if annotated.status not in services.AMENDABLE_STATUSES:
            problem = (
                f"{contract.key} is a draft: edit its value and dates directly."
                if annotated.status == ContractStatus.DRAFT
                else f"{contract.key} is {annotated.get_status_display().lower()}; a closed "
                "contract is not amended."
            )
        return self.get_context_data(
            contract=annotated,
            breakdown=selectors.contract_breakdown(annotated),
            form=form,
            problem=problem,
            **extra,
        )

    def get(self, request, code, key):
        contract = self.get_contract()
        form = AmendmentForm(
            program=self.program, contract=contract, initial={"version": contract.version}
        )
        return self.render_to_response(self.context(contract, form))

    def post(self, request, code, key):
        contract = self.get_contract()
        form = AmendmentForm(request.POST, program=self.program, contract=contract)
        status = 400
        if form.is_valid():
            try:
                amendment = services.amendment_create(
                    actor=request.user,
                    contract=contract,
                    expected_version=form.cleaned_data["version"],
                    **form.service_fields(),
                )
            except StaleVersionError as exc:
                form.add_error(
                    None,
                    f"{exc} The figures below are the current ones; check your amendment "
                    "against them and save again.",
                )
                data = form.data.copy()
                data["version"] = str(exc.current.version)
                form.data = data
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                worth = services.format_money(amendment.contract.current_value, contract.currency)
                messages.success(
                    request,
                    f"Amendment {amendment.label} recorded: {contract.key} is now worth {worth}.",
                )
                return redirect(detail_url(code, contract.key, "amendments"))
        return self.render_to_response(self.context(contract, form), status=status)


# --- payment milestones and the rate card (modal forms) ----------------------------------------


class ContractPartMixin(ContractMixin):
    """A form on one part of a contract (a milestone, a rate), in the modal or as a page."""

    template_name = "vendors/contracts/part_form.html"
    part = ""  # "milestone" | "rate"
    anchor = ""

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "part-form")]

    def render_form(self, contract, form, status=200, **extra):
        return self.render_to_response(
            self.get_context_data(
                contract=contract, form=form, part=self.part, modal=wants_partial(self.request),
                back_url=detail_url(self.program.code, contract.key, self.anchor), **extra,
            ),
            status=status,
        )  # fmt: skip

    def save(self, request, contract, form, call, success: str, **extra):
        """Run the service `call`; answer with the redirect or the form and its errors."""
        status = 400
        if form.is_valid():
            try:
                call(dict(form.cleaned_data))
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                messages.success(request, success)
                return done(request, detail_url(self.program.code, contract.key, self.anchor))
        return self.render_form(contract, form, status=status, **extra)


class MilestoneCreateView(ContractPartMixin, TemplateView):
    permission_action = "contract.change"
    part, anchor = "milestone", "milestones"

    def get(self, request, code, key):
        contract = self.get_contract()
        return self.render_form(
            contract, MilestoneForm(contract=contract, creating=True), creating=True
        )

    def post(self, request, code, key):
        contract = self.get_contract()
        form = MilestoneForm(request.POST, contract=contract, creating=True)

        def call(data):
            services.milestone_create(actor=request.user, contract=contract, **data)

        return self.save(
            request, contract, form, call, f"Payment milestone added to {contract.key}.",
            creating=True,
        )  # fmt: skip


class MilestoneEditView(ContractPartMixin, TemplateView):
    permission_action = "contract.change"
    part, anchor = "milestone", "milestones"

    def get(self, request, code, key, pk):
        contract = self.get_contract()
        milestone = selectors.milestone_get(contract=contract, pk=pk)
        form = MilestoneForm(
            contract=contract,
            initial={"version": milestone.version, "title": milestone.title,
                     "due_date": milestone.due_date, "amount": milestone.amount,
                     "status": milestone.status, "deliverable": milestone.deliverable_id},
        )  # fmt: skip
        return self.render_form(contract, form, row=milestone)

    def post(self, request, code, key, pk):
        contract = self.get_contract()
        milestone = selectors.milestone_get(contract=contract, pk=pk)
        form = MilestoneForm(request.POST, contract=contract)

        def call(data):
            services.milestone_update(
                actor=request.user, milestone=milestone, expected_version=data.pop("version"),
                **data,
            )  # fmt: skip

        return self.save(
            request, contract, form, call, f"'{milestone.title}' saved.", row=milestone
        )


class MilestoneDeleteView(ContractPartMixin, TemplateView):
    permission_action = "contract.change"
    part, anchor = "milestone", "milestones"
    template_name = "vendors/contracts/part_confirm_delete.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "delete-form")]

    def get(self, request, code, key, pk):
        contract = self.get_contract()
        row = selectors.milestone_get(contract=contract, pk=pk)
        return self.render_form(contract, None, row=row, row_label=row.title)

    def post(self, request, code, key, pk):
        contract = self.get_contract()
        row = selectors.milestone_get(contract=contract, pk=pk)
        try:
            services.milestone_delete(
                actor=request.user, milestone=row, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"Payment milestone '{row.title}' deleted.")
        return done(request, detail_url(code, contract.key, self.anchor))


class RateCreateView(ContractPartMixin, TemplateView):
    permission_action = "contract.change"
    part, anchor = "rate", "rates"

    def get(self, request, code, key):
        contract = self.get_contract()
        return self.render_form(contract, RateForm(contract=contract, creating=True), creating=True)

    def post(self, request, code, key):
        contract = self.get_contract()
        form = RateForm(request.POST, contract=contract, creating=True)

        def call(data):
            services.rate_create(actor=request.user, contract=contract, **data)

        return self.save(
            request, contract, form, call, f"Rate added to the rate card of {contract.key}.",
            creating=True,
        )  # fmt: skip


class RateEditView(ContractPartMixin, TemplateView):
    permission_action = "contract.change"
    part, anchor = "rate", "rates"

    def get(self, request, code, key, pk):
        contract = self.get_contract()
        rate = selectors.rate_get(contract=contract, pk=pk)
        form = RateForm(
            contract=contract,
            initial={"version": rate.version, "role": rate.role, "rate": rate.rate,
                     "unit": rate.unit},
        )  # fmt: skip
        return self.render_form(contract, form, row=rate)

    def post(self, request, code, key, pk):
        contract = self.get_contract()
        rate = selectors.rate_get(contract=contract, pk=pk)
        form = RateForm(request.POST, contract=contract)

        def call(data):
            services.rate_update(
                actor=request.user, entry=rate, expected_version=data.pop("version"), **data
            )

        return self.save(request, contract, form, call, f"Rate for {rate.role} saved.", row=rate)


class RateDeleteView(ContractPartMixin, TemplateView):
    permission_action = "contract.change"
    part, anchor = "rate", "rates"
    template_name = "vendors/contracts/part_confirm_delete.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "delete-form")]

    def get(self, request, code, key, pk):
        contract = self.get_contract()
        row = selectors.rate_get(contract=contract, pk=pk)
        return self.render_form(contract, None, row=row, row_label=str(row))

    def post(self, request, code, key, pk):
        contract = self.get_contract()
        row = selectors.rate_get(contract=contract, pk=pk)
        try:
            services.rate_delete(
                actor=request.user, entry=row, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"Rate for {row.role} deleted.")
        return done(request, detail_url(code, contract.key, self.anchor))


# --- the vendor portal --------------------------------------------------------------------------


class PortalContractListView(PortalViewMixin, TemplateView):
    """The bound vendor's signed contracts, with what is left to invoice on each."""

    template_name = "vendors/contracts/portal_contract_list.html"

    def get_context_data(self, **kwargs):
        rows = selectors.contracts_for_vendor(vendor=self.vendor)
        return super().get_context_data(
            page_obj=paginate(self.request, rows, per_page=PAGE_SIZE),
            totals=selectors.contract_totals(queryset=rows),
            **kwargs,
        )


class PortalContractDetailView(PortalViewMixin, TemplateView):
    """One of the vendor's contracts, read-only: value, amendments, milestones, rate card."""

    template_name = "vendors/contracts/portal_contract_detail.html"

    def get_context_data(self, **kwargs):
        contract = selectors.portal_contract_get(vendor=self.vendor, key=self.kwargs["key"])
        data = selectors.contract_detail(contract=contract, internal=False)
        return super().get_context_data(contract=contract, **data, **kwargs)
