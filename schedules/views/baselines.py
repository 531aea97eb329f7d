"""Baselines: the list, saving one, making one current, deleting, and the plan compared with one.

The remediation plan of a slipped milestone is edited in place on the comparison page. It needs
`schedule.change` (manager, coordinator), not `schedule.progress`: a remediation plan is a
commitment about the plan itself (re-sequencing, added resources, a new date) made by the people
who own the plan, whereas contributors only report progress on their own items.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView

from core.forms import VersionedForm, apply_validation_error, posted_version
from core.htmx import page_or_partial, wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate
from programs.models import Workstream

from .. import services
from ..models import Baseline, Item
from ..selectors import baselines as selectors


def _list_url(code: str) -> str:
    return reverse("schedules:baseline_list", kwargs={"code": code})


def _compare_url(code: str, pk: int) -> str:
    return reverse("schedules:baseline_compare", kwargs={"code": code, "pk": pk})


# --- forms --------------------------------------------------------------------------------------


class BaselineForm(forms.Form):
    name = forms.CharField(max_length=200)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Why this baseline was taken, e.g. the change request that approved it.",
    )
    make_current = forms.BooleanField(
        required=False,
        initial=True,
        label="Make it the current baseline",
        help_text="Variances and slipped milestones are measured against the current baseline.",
    )

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class RemediationForm(VersionedForm):
    remediation_plan = forms.CharField(
        label="Remediation plan",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )


# --- the list -----------------------------------------------------------------------------------


class BaselineListView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.view"
    nav_section = "schedules:baseline_list"
    template_name = "schedules/baseline_list.html"

    def get_context_data(self, **kwargs):
        baselines = list(selectors.baseline_list(program=self.program))
        current = next((b for b in baselines if b.is_current), None)
        return super().get_context_data(
            baselines=baselines,
            current=current,
            can_baseline=self.access.can("schedule.baseline"),
            item_total=Item.objects.filter(program=self.program).count(),
            **kwargs,
        )


class BaselineCreateView(ProgramViewMixin, TemplateView):
    """A modal form when opened by htmx, a plain page otherwise."""

    permission_action = "schedule.baseline"
    nav_section = "schedules:baseline_list"
    template_name = "schedules/baseline_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "baseline-form")]

    def get(self, request, code):
        today = timezone.localdate()
        form = BaselineForm(initial={"name": f"Baseline {today:%d %b %Y}", "make_current": True})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = BaselineForm(request.POST)
        if form.is_valid():
            try:
                baseline = services.baseline_create(
                    actor=request.user, program=self.program, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                current = " It is now the current baseline." if baseline.is_current else ""
                messages.success(request, f"Baseline “{baseline.name}” saved.{current}")
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = _list_url(code)
                    return response
                return redirect("schedules:baseline_list", code=code)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class BaselineSetCurrentView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.baseline"
    template_name = "schedules/baseline_list.html"

    def get(self, request, code, pk):
        return redirect("schedules:baseline_list", code=code)

    def post(self, request, code, pk):
        baseline = selectors.baseline_get(program=self.program, pk=pk)
        try:
            services.baseline_set_current(
                actor=request.user, baseline=baseline, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing changed; check the list and try again.")
        else:
            messages.success(
                request, f"“{baseline.name}” is now the current baseline: variances use it."
            )
        return redirect("schedules:baseline_list", code=code)


class BaselineDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "schedule.baseline"
    nav_section = "schedules:baseline_list"
    template_name = "schedules/baseline_confirm_delete.html"

    def get(self, request, code, pk):
        baseline = selectors.baseline_get(program=self.program, pk=pk)
        return self.render_to_response(self.get_context_data(baseline=baseline))

    def post(self, request, code, pk):
        baseline = selectors.baseline_get(program=self.program, pk=pk)
        try:
            services.baseline_delete(
                actor=request.user, baseline=baseline, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
        else:
            messages.success(request, f"Baseline “{baseline.name}” deleted.")
        return redirect("schedules:baseline_list", code=code)


# --- the comparison ------------------------------------------------------------------------------


class BaselineCompareView(ProgramViewMixin, TemplateView):
    """The plan beside a baseline; filters (only slipped, workstream) refresh the table by htmx."""

    permission_action = "schedule.view"
    nav_section = "schedules:baseline_list"
    template_name = "schedules/baseline_compare.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "baseline-table")]

    def get(self, request, code, pk):
        chosen = request.GET.get("baseline", "")
        if chosen and chosen != str(pk):  # the picker, without JavaScript: go to that baseline
            other = selectors.baseline_get(program=self.program, pk=chosen)
            query = request.GET.copy()
            query.pop("baseline", None)
            query.pop("page", None)
            url = _compare_url(code, other.pk)
            return redirect(f"{url}?{query.urlencode()}" if query else url)
        return super().get(request, code=code, pk=pk)

    def get_context_data(self, **kwargs):
        baseline = selectors.baseline_get(program=self.program, pk=self.kwargs["pk"])
        comparison = selectors.baseline_comparison(program=self.program, baseline=baseline)
        workstreams = list(
            Workstream.objects.filter(program=self.program).order_by("name").values("pk", "name")
        )
        only_slipped = self.request.GET.get("slipped") == "1"
        try:
            workstream = int(self.request.GET.get("workstream") or 0) or None
        except ValueError:
            workstream = None
        rows = comparison.rows
        if only_slipped:
            rows = [r for r in rows if (r["finish_variance_days"] or 0) > 0]
        if workstream:
            rows = [r for r in rows if r["workstream_id"] == workstream]
        schedule = services.schedule_for(self.program)
        return super().get_context_data(
            baseline=baseline,
            baselines=list(
                Baseline.objects.filter(program=self.program)
                .order_by("-created_at", "-pk")
                .values("pk", "name", "is_current")
            ),
            summary=comparison.summary,
            page_obj=paginate(self.request, rows, per_page=100),
            filtered=only_slipped or bool(workstream),
            only_slipped=only_slipped,
            workstream=workstream,
            workstreams=workstreams,
            slipped=selectors.slipped_milestones(self.program, baseline=baseline),
            threshold=schedule.slip_threshold_days,
            can_change=self.access.can("schedule.change"),
            can_settings=self.access.can("schedule.settings"),
            **kwargs,
        )


class RemediationEditView(ProgramViewMixin, TemplateView):
    """htmx: GET swaps the remediation plan for a form, POST saves it (versioned) and swaps back.

    Without JavaScript the same form is a small page that returns to where it came from.
    """

    permission_action = "schedule.change"
    nav_section = "schedules:baseline_list"
    template_name = "schedules/baseline_compare.html"
    page_template = "schedules/baseline_remediation.html"

    def _item(self, key: str) -> Item:
        try:
            return Item.objects.get(program=self.program, key=key)
        except Item.DoesNotExist as exc:
            raise Http404("No such item in this program") from exc

    def _next(self) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=False
        ):
            return target
        current = selectors.baseline_current(program=self.program)
        if current is not None:
            return _compare_url(self.program.code, current.pk)
        return _list_url(self.program.code)

    def _render(self, item: Item, form=None, status: int = 200):
        context = self.get_context_data(m=item, form=form, can_change=True, next_url=self._next())
        if wants_partial(self.request):
            partial = "remediation-edit" if form is not None else "remediation"
            template = [f"{self.template_name}#{partial}"]
        else:
            template = [self.page_template]
        return self.response_class(
            request=self.request, template=template, context=context, status=status
        )

    def get(self, request, code, key):
        item = self._item(key)
        if request.GET.get("cancel"):
            return self._render(item)
        form = RemediationForm(
            initial={"version": item.version, "remediation_plan": item.remediation_plan}
        )
        return self._render(item, form)

    def post(self, request, code, key):
        item = self._item(key)
        form = RemediationForm(request.POST)
        if form.is_valid():
            try:
                item = services.item_update(
                    actor=request.user,
                    item=item,
                    expected_version=form.cleaned_data["version"],
                    remediation_plan=form.cleaned_data["remediation_plan"].strip(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                return self._render(exc.current, form, status=409)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                if wants_partial(request):
                    return self._render(item)
                messages.success(request, f"Remediation plan of {item.key} saved.")
                return redirect(self._next())
        return self._render(item, form, status=400)
