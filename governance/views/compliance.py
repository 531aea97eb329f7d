"""Compliance register pages: the list (filters, sorting, paging, status counts), an obligation
with its evidence and history, the forms, evidence upload/download and the auditors' package."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import TemplateView

from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms_compliance import EvidenceUploadForm, ObligationForm
from ..selectors import compliance as selectors
from ..services import compliance as services

log = logging.getLogger(__name__)
NAV = "governance:compliance_list"


def _keys(request) -> list[str]:
    """Obligation keys from `?obligations=CMP-1&obligations=CMP-2` or `?obligations=CMP-1,CMP-2`."""
    keys: list[str] = []
    for value in request.GET.getlist("obligations"):
        keys += [k.strip() for k in value.split(",") if k.strip()]
    return keys


class ComplianceListView(ProgramViewMixin, TemplateView):
    permission_action = "compliance.view"
    nav_section = NAV
    template_name = "governance/compliance_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "obligation-table")]

    def get_context_data(self, **kwargs):
        filterset = selectors.ObligationFilterSet(
            self.request.GET or None,
            queryset=selectors.obligation_list(program=self.program),
            program=self.program,
        )
        today = timezone.localdate()
        data = filterset.data or {}
        return super().get_context_data(
            filter=filterset,
            filtered=any(data.get(k) for k in ("q", "status", "kind", "owner", "review")),
            page_obj=paginate(self.request, filterset.qs),
            counts=selectors.status_counts(program=self.program),
            today=today,
            soon=today + dt.timedelta(days=selectors.REVIEW_SOON_DAYS),
            can_change=self.access.can("compliance.change"),
            **kwargs,
        )


class ObligationCreateView(ProgramViewMixin, TemplateView):
    permission_action = "compliance.change"
    nav_section = NAV
    template_name = "governance/compliance_form.html"

    def get(self, request, code):
        form = ObligationForm(
            program=self.program,
            initial={
                "owner": request.user.pk,
                "review_date": timezone.localdate() + dt.timedelta(90),
            },
        )
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = ObligationForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                obligation = services.obligation_create(
                    actor=request.user, program=self.program, **form.changes()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _saved_message(obligation, created=True))
                return redirect(obligation)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _saved_message(obligation, *, created: bool = False, escalated: bool = False) -> str:
    text = f"{obligation.key} {'created' if created else 'saved'}."
    if escalated:
        text += " It is non-compliant: the program manager has been e-mailed."
    return text


class ObligationDetailView(ProgramViewMixin, TemplateView):
    """The obligation, its evidence (with the upload form) and, on its own tab, its history."""

    permission_action = "compliance.view"
    nav_section = NAV
    template_name = "governance/compliance_detail.html"

    def get_context_data(self, **kwargs):
        obligation = kwargs.pop("obligation", None) or selectors.obligation_get(
            program=self.program, key=self.kwargs["key"]
        )
        tab = kwargs.pop("tab", None) or self.request.GET.get("tab", "details")
        can_upload = self.access.can("compliance.evidence")
        if can_upload:
            kwargs.setdefault("upload_form", EvidenceUploadForm())
        history = selectors.obligation_history(obligation=obligation)
        return super().get_context_data(
            obligation=obligation,
            tab="history" if tab == "history" else "details",
            evidence=list(selectors.evidence_list(obligation=obligation)),
            history=history[:100] if tab == "history" else None,
            history_count=history.count(),
            escalation=services.escalation_summary(obligation),
            today=timezone.localdate(),
            can_change=self.access.can("compliance.change"),
            can_upload=can_upload,
            **kwargs,
        )


class ObligationEditView(ProgramViewMixin, TemplateView):
    permission_action = "compliance.change"
    nav_section = NAV
    template_name = "governance/compliance_form.html"

    def get(self, request, code, key):
        obligation = selectors.obligation_get(program=self.program, key=key)
        form = ObligationForm(program=self.program, obligation=obligation)
        return self.render_to_response(self.get_context_data(form=form, obligation=obligation))

    def post(self, request, code, key):
        obligation = selectors.obligation_get(program=self.program, key=key)
        form = ObligationForm(request.POST, program=self.program, obligation=obligation)
        if form.is_valid():
            was = obligation.status
            try:
                obligation = services.obligation_update(
                    actor=request.user,
                    obligation=obligation,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(obligation),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                escalated = obligation.is_non_compliant and was != obligation.status
                messages.success(request, _saved_message(obligation, escalated=escalated))
                return redirect(obligation)
        context = self.get_context_data(form=form, obligation=obligation)
        return self.render_to_response(context, status=400)


class ObligationDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "compliance.change"
    nav_section = NAV
    template_name = "governance/compliance_confirm_delete.html"

    def get(self, request, code, key):
        obligation = selectors.obligation_get(program=self.program, key=key)
        files = selectors.evidence_list(obligation=obligation).count()
        return self.render_to_response(self.get_context_data(obligation=obligation, files=files))

    def post(self, request, code, key):
        obligation = selectors.obligation_get(program=self.program, key=key)
        try:
            services.obligation_delete(
                actor=request.user, obligation=obligation, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
            return redirect(obligation)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(obligation)
        messages.success(request, f"{obligation.key} {obligation.title} deleted.")
        return redirect("governance:compliance_list", code=code)


class EvidenceUploadView(ProgramViewMixin, TemplateView):
    permission_action = "compliance.evidence"
    nav_section = NAV
    template_name = "governance/compliance_detail.html"

    def get(self, request, code, key):
        obligation = selectors.obligation_get(program=self.program, key=key)
        return redirect(obligation.get_absolute_url() + "#evidence")

    def post(self, request, code, key):
        obligation = selectors.obligation_get(program=self.program, key=key)
        form = EvidenceUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                evidence = services.evidence_add(
                    actor=request.user,
                    obligation=obligation,
                    upload=form.cleaned_data["file"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{evidence.file_name} added to {obligation.key}.")
                return redirect(obligation.get_absolute_url() + "#evidence")
        view = ObligationDetailView()
        view.setup(request, code=code, key=key)
        view.access, view.program = self.access, self.program
        context = view.get_context_data(obligation=obligation, upload_form=form, tab="details")
        return self.response_class(
            request=request, template=[self.template_name], context=context, status=400
        )


class EvidenceDownloadView(ProgramViewMixin, TemplateView):
    permission_action = "compliance.view"

    def get(self, request, code, key, pk):
        obligation = selectors.obligation_get(program=self.program, key=key)
        evidence = selectors.evidence_get(obligation=obligation, pk=pk)
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError as exc:
            log.error("Evidence %s of %s is missing from storage", evidence.pk, obligation.key)
            raise Http404("The file of this evidence is missing from storage.") from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=evidence.file_name,
            content_type=evidence.content_type,
        )


class EvidenceDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "compliance.change"
    nav_section = NAV
    template_name = "governance/compliance_confirm_delete.html"

    def get(self, request, code, key, pk):
        obligation = selectors.obligation_get(program=self.program, key=key)
        evidence = selectors.evidence_get(obligation=obligation, pk=pk)
        return self.render_to_response(
            self.get_context_data(obligation=obligation, evidence=evidence)
        )

    def post(self, request, code, key, pk):
        obligation = selectors.obligation_get(program=self.program, key=key)
        evidence = selectors.evidence_get(obligation=obligation, pk=pk)
        try:
            services.evidence_delete(
                actor=request.user, evidence=evidence, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was removed.")
        else:
            messages.success(request, f"{evidence.file_name} removed from {obligation.key}.")
        return redirect(obligation.get_absolute_url() + "#evidence")


class EvidencePackageView(ProgramViewMixin, TemplateView):
    """The auditors' zip: the ticked obligations (`?obligations=`), or every one."""

    permission_action = "compliance.view"

    def get(self, request, code):
        obligations = selectors.package_obligations(program=self.program, keys=_keys(request))
        archive = selectors.evidence_package(program=self.program, obligations=obligations)
        return FileResponse(
            archive,
            as_attachment=True,
            filename=selectors.package_filename(self.program),
            content_type="application/zip",
        )
