"""Recording runs: the run form (a modal from the cycle's cases table, a page without htmx) with
evidence and "raise a defect" in the same step, removing a planned case, raising a defect from
an earlier failed run, and evidence downloads (checked against the program, served as an
attachment, never straight from MEDIA)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error
from core.htmx import wants_partial
from programs.mixins import ProgramViewMixin

from ..forms.testing import RaiseDefectForm, RunForm
from ..models import CycleStatus, RunResult
from ..selectors import testing as selectors
from ..services import testing as services
from ..services import testing_runs as run_services

log = logging.getLogger(__name__)
NAV = "releases:cycle_list"


def _go(request, url: str):
    """A redirect, or for htmx (the modal) a full-page redirect."""
    if request.htmx:
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _next(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class RunRecordView(ProgramViewMixin, TemplateView):
    permission_action = "test.run"
    nav_section = NAV
    template_name = "releases/testing/run_form.html"

    def get_template_names(self):
        if wants_partial(self.request):
            return [f"{self.template_name}#run-form"]
        return [self.template_name]

    def _load(self, key: str, id: int):
        cycle = selectors.cycle_get(program=self.program, key=key)
        cycle_case = selectors.cycle_case_get(cycle=cycle, pk=id)
        if not run_services.may_record(cycle_case, self.request.user, self.access.role):
            raise PermissionDenied(
                f"{cycle_case.case.key} is assigned to {cycle_case.tester or 'nobody'}: only its "
                "tester, the program manager or a coordinator records its results."
            )
        return cycle, cycle_case

    def _render(self, cycle_case, form, status=200):
        case = selectors.case_detail(program=self.program, key=cycle_case.case.key)
        context = self.get_context_data(
            cycle=cycle_case.cycle,
            cycle_case=cycle_case,
            case=case,
            form=form,
            next=_next(self.request, cycle_case.cycle.get_absolute_url()),
            defect_open=bool(form.is_bound and form.data.get("raise_defect")),
            can_defect=self.access.can("defect.add"),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, code, key, id):
        cycle, cycle_case = self._load(key, id)
        if cycle.status == CycleStatus.CLOSED:
            messages.info(request, f"{cycle.key} is closed: no more results are recorded in it.")
            return _go(request, cycle.get_absolute_url())
        initial = {}
        if request.GET.get("result") in RunResult.values:
            initial["result"] = request.GET["result"]
        return self._render(cycle_case, RunForm(cycle_case=cycle_case, initial=initial))

    def post(self, request, code, key, id):
        cycle, cycle_case = self._load(key, id)
        form = RunForm(request.POST, request.FILES, cycle_case=cycle_case)
        valid = form.is_valid()
        if valid and form.cleaned_data["raise_defect"] and not self.access.can("defect.add"):
            form.add_error("raise_defect", "Your role does not raise defects.")
            valid = False
        if valid:
            data = form.cleaned_data
            try:
                run = run_services.run_record(
                    actor=request.user,
                    cycle_case=cycle_case,
                    result=data["result"],
                    notes=data["notes"],
                    build=data["build"],
                    executed_at=data["executed_at"],
                    files=data["evidence"],
                    raise_defect=form.defect_data() if data["raise_defect"] else None,
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return _go(request, cycle.get_absolute_url())
            else:
                text = f"{run.get_result_display()} recorded for {cycle_case.case.key}"
                if run.raised_defect is not None:
                    text += f"; {run.raised_defect.key} raised"
                messages.success(request, text + ".")
                return _go(request, _next(request, cycle.get_absolute_url()))
        return self._render(cycle_case, form, status=400)


class CycleCaseRemoveView(ProgramViewMixin, TemplateView):
    permission_action = "test.change"
    nav_section = NAV

    def get(self, request, code, key, id):
        return redirect(selectors.cycle_get(program=self.program, key=key))

    def post(self, request, code, key, id):
        cycle = selectors.cycle_get(program=self.program, key=key)
        cycle_case = selectors.cycle_case_get(cycle=cycle, pk=id)
        try:
            services.cycle_case_remove(actor=request.user, cycle_case=cycle_case)
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{cycle_case.case.key} taken out of {cycle.key}.")
        return redirect(_next(request, cycle.get_absolute_url()))


class RunRaiseDefectView(ProgramViewMixin, TemplateView):
    """A defect from a failed or blocked run recorded earlier."""

    permission_action = "defect.add"
    nav_section = NAV
    template_name = "releases/testing/run_defect.html"

    def _render(self, run, form, status=200):
        context = self.get_context_data(run=run, cycle_case=run.cycle_case, form=form)
        return self.render_to_response(context, status=status)

    def _load(self, pk: int):
        run = selectors.run_get(program=self.program, pk=pk)
        if run.result not in run_services.NEEDS_NOTES:
            messages.info(self.request, "That run passed: defects are raised from failed runs.")
            return run, False
        return run, True

    def get(self, request, code, pk):
        run, ok = self._load(pk)
        if not ok:
            return redirect(run.cycle_case.case)
        return self._render(run, RaiseDefectForm(cycle_case=run.cycle_case))

    def post(self, request, code, pk):
        run, ok = self._load(pk)
        if not ok:
            return redirect(run.cycle_case.case)
        form = RaiseDefectForm(request.POST, cycle_case=run.cycle_case)
        if form.is_valid():
            try:
                defect = run_services.run_raise_defect(
                    actor=request.user, run=run, **form.defect_data()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect(run.cycle_case.case)
            else:
                messages.success(
                    request, f"{defect.key} raised from the run of {run.cycle_case.case.key}."
                )
                url = reverse(
                    "releases:case_detail", kwargs={"code": code, "key": run.cycle_case.case.key}
                )
                return redirect(f"{url}#run-{run.pk}")
        return self._render(run, form, status=400)


class EvidenceDownloadView(ProgramViewMixin, TemplateView):
    permission_action = "test.view"

    def get(self, request, code, id):
        found = selectors.evidence_get(program=self.program, pk=id)
        try:
            handle = found.file.open("rb")
        except FileNotFoundError as exc:
            log.error("Evidence %s is missing from storage", found.pk)
            raise Http404("This file is missing from storage.") from exc
        response = FileResponse(
            handle, as_attachment=True, filename=found.file_name, content_type=found.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
