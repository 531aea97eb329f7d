"""Test case pages: the list (filters, latest result in any cycle), a case (steps, requirements,
the cycles it is planned in, run history across cycles with evidence, defects raised), the form
(fields, requirements and the whole step list as a formset), retire, restore and delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.testing import CaseForm, formset_steps, step_formset
from ..selectors import testing as selectors
from ..services import testing_cases as services

NAV = "releases:case_list"
ADD_ROWS = 3


class CaseListView(ProgramViewMixin, TemplateView):
    permission_action = "test.view"
    nav_section = NAV
    template_name = "releases/testing/case_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "case-table")]

    def get_context_data(self, **kwargs):
        filterset = selectors.CaseFilterSet(
            self.request.GET or None,
            queryset=selectors.case_list(program=self.program),
            program=self.program,
        )
        data = filterset.data or {}
        return super().get_context_data(
            filter=filterset,
            filtered=any(
                data.get(k)
                for k in ("q", "workstream", "status", "priority", "requirement", "result")
            ),
            page_obj=paginate(self.request, filterset.qs, per_page=50),
            result_colours=selectors.RESULT_COLOURS,
            status_colours=selectors.CASE_STATUS_COLOURS,
            can_change=self.access.can("test.change"),
            **kwargs,
        )


class CaseDetailView(ProgramViewMixin, TemplateView):
    permission_action = "test.view"
    nav_section = NAV
    template_name = "releases/testing/case_detail.html"

    def get_context_data(self, **kwargs):
        case = selectors.case_detail(program=self.program, key=self.kwargs["key"])
        return super().get_context_data(
            case=case,
            runs=selectors.case_runs(case=case),
            planned_in=selectors.case_cycles(case=case),
            defects=selectors.case_defects(case=case),
            result_colours=selectors.RESULT_COLOURS,
            result_icons=selectors.RESULT_ICONS,
            status_colour=selectors.CASE_STATUS_COLOURS[case.status],
            can_change=self.access.can("test.change"),
            can_defect=self.access.can("defect.add"),
            can_history=self.access.can("activity.view"),
            **kwargs,
        )


class CaseFormMixin(ProgramViewMixin):
    permission_action = "test.change"
    nav_section = NAV
    template_name = "releases/testing/case_form.html"

    def render_form(self, form, formset, case=None, status=200):
        context = self.get_context_data(form=form, formset=formset, case=case)
        return self.render_to_response(context, status=status)


def _more_rows(request) -> bool:
    return "add_steps" in request.POST


class CaseCreateView(CaseFormMixin, TemplateView):
    def get(self, request, code):
        initial = {}
        requirement = request.GET.get("requirement")
        if requirement:
            initial["requirements"] = list(
                selectors.Requirement.objects.filter(
                    program=self.program, key=requirement.upper()
                ).values_list("pk", flat=True)
            )
        form = CaseForm(program=self.program, initial=initial)
        return self.render_form(form, step_formset())

    def post(self, request, code):
        form = CaseForm(request.POST, program=self.program)
        formset = step_formset(request.POST, extra_rows=ADD_ROWS if _more_rows(request) else 0)
        if _more_rows(request):
            return self.render_form(form, formset)
        if form.is_valid() and formset.is_valid():
            try:
                case = services.case_create(
                    actor=request.user,
                    program=self.program,
                    requirements=form.cleaned_data["requirements"],
                    steps=formset_steps(formset),
                    **form.changes(),
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{case.key} created.")
                return redirect(case)
        return self.render_form(form, formset, status=400)


class CaseEditView(CaseFormMixin, TemplateView):
    def get(self, request, code, key):
        case = selectors.case_detail(program=self.program, key=key)
        if case.status == "retired":
            messages.info(request, f"{case.key} is retired: restore it to change it.")
            return redirect(case)
        form = CaseForm(program=self.program, case=case)
        return self.render_form(form, step_formset(steps=case.step_list), case)

    def post(self, request, code, key):
        case = selectors.case_detail(program=self.program, key=key)
        form = CaseForm(request.POST, program=self.program, case=case)
        formset = step_formset(request.POST, extra_rows=ADD_ROWS if _more_rows(request) else 0)
        if _more_rows(request):
            return self.render_form(form, formset, case)
        if form.is_valid() and formset.is_valid():
            try:
                case = services.case_update(
                    actor=request.user,
                    case=case,
                    expected_version=form.cleaned_data["version"],
                    requirements=form.cleaned_data["requirements"],
                    steps=formset_steps(formset),
                    **form.changes(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect(case)
            else:
                messages.success(request, f"{case.key} saved.")
                return redirect(case)
        return self.render_form(form, formset, case, status=400)


class CaseStepView(ProgramViewMixin, TemplateView):
    """A status step posted from the case page (retire or restore)."""

    permission_action = "test.change"
    nav_section = NAV
    service = staticmethod(services.case_retire)
    done = "retired: it stays with its runs and is no longer planned"

    def get(self, request, code, key):
        return redirect(selectors.case_get(program=self.program, key=key))

    def post(self, request, code, key):
        case = selectors.case_get(program=self.program, key=key)
        try:
            self.service(actor=request.user, case=case, expected_version=posted_version(request))
        except (Refused, StaleVersionError) as exc:
            messages.error(request, getattr(exc, "reason", str(exc)))
        else:
            messages.success(request, f"{case.key} {self.done}.")
        return redirect(case)


class CaseRetireView(CaseStepView):
    pass


class CaseRestoreView(CaseStepView):
    service = staticmethod(services.case_restore)
    done = "restored as a draft: mark it ready when reviewed"


class CaseDeleteView(CaseFormMixin, TemplateView):
    template_name = "releases/testing/case_confirm.html"

    def get(self, request, code, key):
        case = selectors.case_get(program=self.program, key=key)
        return self.render_to_response(self.get_context_data(case=case))

    def post(self, request, code, key):
        case = selectors.case_get(program=self.program, key=key)
        try:
            services.case_delete(
                actor=request.user, case=case, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
            return redirect(case)
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect(case)
        messages.success(request, f"{case.key} {case.title} deleted.")
        return redirect("releases:case_list", code=code)
