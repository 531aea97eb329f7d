"""Test cycle pages: the cycles list (progress and pass rate per cycle, htmx filters), a cycle
(progress tiles, a stacked bar, its cases with tester and latest result, filters, bulk plan and
assign; tabs for per-requirement and per-tester results and the runs), the cycle form, status
steps (start, close with a confirmation when cases are not run, reopen) and deletion."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.testing import AssignForm, CloseForm, CycleForm, PlanForm
from ..models import CycleStatus, TestCycle
from ..selectors import testing as selectors
from ..services import testing as services

NAV = "releases:cycle_list"
TABS = (
    ("cases", "Cases", "releases:cycle_detail", "ti-list-check"),
    ("requirements", "Requirements", "releases:cycle_requirements", "ti-target-arrow"),
    ("testers", "Testers", "releases:cycle_testers", "ti-users"),
    ("runs", "Runs", "releases:cycle_runs", "ti-player-play"),
)
BAR_PARTS = (
    ("pass", "Pass", "bg-green"),
    ("fail", "Fail", "bg-red"),
    ("blocked", "Blocked", "bg-orange"),
)


def bar(stats: selectors.Stats) -> list[dict]:
    """The stacked bar's segments (pass, fail, blocked; the rest is not run)."""
    return [
        {"label": label, "css": css, "share": stats.share(part)}
        for part, label, css in BAR_PARTS
        if stats.share(part)
    ]


def cycle_rows(cycles) -> list[dict]:
    rows = []
    for cycle in cycles:
        stats = selectors._stats(cycle)
        rows.append({"cycle": cycle, "stats": stats, "bar": bar(stats)})
    return rows


class CycleListView(ProgramViewMixin, TemplateView):
    permission_action = "test.view"
    nav_section = NAV
    template_name = "releases/testing/cycle_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "cycle-table")]

    def get_context_data(self, **kwargs):
        filterset = selectors.CycleFilterSet(
            self.request.GET or None,
            queryset=selectors.cycle_list(program=self.program),
            program=self.program,
        )
        data = filterset.data or {}
        page_obj = paginate(self.request, filterset.qs)
        return super().get_context_data(
            filter=filterset,
            filtered=any(data.get(k) for k in ("q", "kind", "status", "release")),
            page_obj=page_obj,
            rows=cycle_rows(page_obj.object_list),
            status_colours=selectors.STATUS_COLOURS,
            can_change=self.access.can("test.change"),
            **kwargs,
        )


class CycleFormMixin(ProgramViewMixin):
    permission_action = "test.change"
    nav_section = NAV
    template_name = "releases/testing/cycle_form.html"


class CycleCreateView(CycleFormMixin, TemplateView):
    def get(self, request, code):
        form = CycleForm(program=self.program, initial={"kind": request.GET.get("kind", "uat")})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = CycleForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                cycle = services.cycle_create(
                    actor=request.user, program=self.program, **form.changes()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{cycle.key} created: plan cases into it next.")
                return redirect(cycle)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CycleEditView(CycleFormMixin, TemplateView):
    def get(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        if cycle.status == CycleStatus.CLOSED:
            messages.info(request, f"{cycle.key} is closed: reopen it to change its details.")
            return redirect(cycle)
        form = CycleForm(program=self.program, cycle=cycle)
        return self.render_to_response(self.get_context_data(form=form, cycle=cycle))

    def post(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        form = CycleForm(request.POST, program=self.program, cycle=cycle)
        if form.is_valid():
            try:
                cycle = services.cycle_update(
                    actor=request.user,
                    cycle=cycle,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect(cycle)
            else:
                messages.success(request, f"{cycle.key} saved.")
                return redirect(cycle)
        return self.render_to_response(self.get_context_data(form=form, cycle=cycle), status=400)


class CycleDeleteView(CycleFormMixin, TemplateView):
    template_name = "releases/testing/cycle_confirm.html"

    def get(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        return self.render_to_response(
            self.get_context_data(cycle=cycle, action="delete", stats=selectors.stats_of(cycle))
        )

    def post(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        try:
            services.cycle_delete(
                actor=request.user, cycle=cycle, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
            return redirect(cycle)
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect(cycle)
        messages.success(request, f"{cycle.key} {cycle.name} deleted.")
        return redirect("releases:cycle_list", code=code)


class CycleStartView(CycleFormMixin, TemplateView):
    def get(self, request, code, key):
        return redirect(selectors.cycle_get(program=self.program, key=key))

    def post(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        try:
            services.cycle_start(
                actor=request.user, cycle=cycle, expected_version=posted_version(request)
            )
        except (Refused, StaleVersionError) as exc:
            messages.error(request, getattr(exc, "reason", str(exc)))
        else:
            messages.success(request, f"{cycle.key} started: testers can record results.")
        return redirect(cycle)


class CycleReopenView(CycleStartView):
    def post(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        try:
            services.cycle_reopen(
                actor=request.user, cycle=cycle, expected_version=posted_version(request)
            )
        except (Refused, StaleVersionError) as exc:
            messages.error(request, getattr(exc, "reason", str(exc)))
        else:
            messages.success(request, f"{cycle.key} reopened.")
        return redirect(cycle)


class CycleCloseView(CycleFormMixin, TemplateView):
    """Close; with cases not run, a page that says how many and asks to confirm."""

    template_name = "releases/testing/cycle_confirm.html"

    def _render(self, cycle, form, status=200):
        context = self.get_context_data(
            cycle=cycle, form=form, action="close", stats=selectors.stats_of(cycle)
        )
        return self.render_to_response(context, status=status)

    def get(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        if cycle.status != CycleStatus.ACTIVE:
            messages.info(request, f"{cycle.key} is not in progress: there is nothing to close.")
            return redirect(cycle)
        return self._render(cycle, CloseForm(initial={"version": cycle.version}))

    def post(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        form = CloseForm(request.POST)
        form.fields["version"].required = False
        if form.is_valid():
            try:
                services.cycle_close(
                    actor=request.user,
                    cycle=cycle,
                    expected_version=form.cleaned_data["version"],
                    confirm=form.cleaned_data["confirm"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except Refused as exc:
                if cycle.status != CycleStatus.ACTIVE:
                    messages.error(request, exc.reason)
                    return redirect(cycle)
                form.add_error("confirm", exc.reason)
            else:
                messages.success(request, f"{cycle.key} closed.")
                return redirect(cycle)
        return self._render(cycle, form, status=400)


# --- the cycle page and its tabs ------------------------------------------------------------


class CycleTabMixin(ProgramViewMixin):
    permission_action = "test.view"
    nav_section = NAV
    template_name = "releases/testing/cycle_detail.html"
    tab = "cases"

    def cycle_context(self, cycle: TestCycle) -> dict:
        stats = selectors.stats_of(cycle)
        return {
            "cycle": cycle,
            "stats": stats,
            "bar": bar(stats),
            "tab": self.tab,
            "tabs": TABS,
            "status_colour": selectors.STATUS_COLOURS[cycle.status],
            "result_colours": selectors.RESULT_COLOURS,
            "result_icons": selectors.RESULT_ICONS,
            "can_change": self.access.can("test.change"),
            "can_run": self.access.can("test.run"),
            "can_defect": self.access.can("defect.add"),
            "can_history": self.access.can("activity.view"),
        }


class CycleDetailView(CycleTabMixin, TemplateView):
    """The cases tab: filters (result, tester, my cases, workstream), bulk assign, record."""

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "cycle-cases")]

    def get_context_data(self, **kwargs):
        cycle = selectors.cycle_get(program=self.program, key=self.kwargs["key"])
        filterset = selectors.CycleCaseFilterSet(
            self.request.GET or None,
            queryset=selectors.cycle_cases(cycle=cycle),
            program=self.program,
            user=self.request.user,
        )
        data = filterset.data or {}
        page_obj = paginate(self.request, filterset.qs, per_page=50)
        role_changes = self.access.can("test.change")
        user = self.request.user
        rows = [
            {
                "cc": cc,
                "may_record": cycle.status != CycleStatus.CLOSED
                and (role_changes or (self.access.can("test.run") and cc.tester_id == user.pk)),
            }
            for cc in page_obj.object_list
        ]
        assign_form = AssignForm(cycle=cycle) if role_changes else None
        return super().get_context_data(
            **self.cycle_context(cycle),
            filter=filterset,
            filtered=any(data.get(k) for k in ("q", "result", "tester", "workstream")),
            page_obj=page_obj,
            rows=rows,
            assign_form=assign_form,
            query=self.request.GET.urlencode(),
            **kwargs,
        )


class CycleRequirementsView(CycleTabMixin, TemplateView):
    tab = "requirements"

    def get_context_data(self, **kwargs):
        cycle = selectors.cycle_get(program=self.program, key=self.kwargs["key"])
        rows = selectors.requirement_stats(
            program=self.program, cycles=TestCycle.objects.filter(pk=cycle.pk)
        )
        for row in rows:
            row["bar"] = bar(row["stats"])
        return super().get_context_data(
            **self.cycle_context(cycle), requirement_rows=rows, **kwargs
        )


class CycleTestersView(CycleTabMixin, TemplateView):
    tab = "testers"

    def get_context_data(self, **kwargs):
        cycle = selectors.cycle_get(program=self.program, key=self.kwargs["key"])
        rows = selectors.tester_stats(cycle=cycle)
        for row in rows:
            row["bar"] = bar(row["stats"])
        return super().get_context_data(**self.cycle_context(cycle), tester_rows=rows, **kwargs)


class CycleRunsView(CycleTabMixin, TemplateView):
    tab = "runs"

    def get_context_data(self, **kwargs):
        cycle = selectors.cycle_get(program=self.program, key=self.kwargs["key"])
        page_obj = paginate(self.request, selectors.cycle_runs(cycle=cycle), per_page=50)
        return super().get_context_data(**self.cycle_context(cycle), page_obj=page_obj, **kwargs)


# --- planning and assignment ----------------------------------------------------------------


class CyclePlanView(CycleFormMixin, TemplateView):
    template_name = "releases/testing/cycle_plan.html"

    def _render(self, cycle, form, status=200):
        return self.render_to_response(
            self.get_context_data(cycle=cycle, form=form, stats=selectors.stats_of(cycle)),
            status=status,
        )

    def get(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        if cycle.status == CycleStatus.CLOSED:
            messages.info(request, f"{cycle.key} is closed: reopen it to plan more cases.")
            return redirect(cycle)
        return self._render(cycle, PlanForm(cycle=cycle))

    def post(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        form = PlanForm(request.POST, cycle=cycle)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.cycle_plan(
                    actor=request.user,
                    cycle=cycle,
                    cases=data["cases"],
                    workstream=data["workstream"],
                    release_scope=bool(data["release_scope"]),
                    tester=data["tester"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect(cycle)
            else:
                level = messages.SUCCESS if result.added else messages.WARNING
                messages.add_message(request, level, result.message(cycle))
                return redirect(cycle)
        return self._render(cycle, form, status=400)


class CycleAssignView(CycleFormMixin, TemplateView):
    """The bulk assignment posted from the cases table (ticked rows and a tester)."""

    def get(self, request, code, key):
        return redirect(selectors.cycle_get(program=self.program, key=key))

    def post(self, request, code, key):
        cycle = selectors.cycle_get(program=self.program, key=key)
        back = reverse("releases:cycle_detail", kwargs={"code": code, "key": cycle.key})
        query = request.POST.get("query", "")
        if query:
            back += "?" + query
        form = AssignForm(request.POST, cycle=cycle)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        tester = form.cleaned_data["tester"]
        try:
            rows = services.cycle_cases_assign(
                actor=request.user,
                cycle=cycle,
                cycle_cases=form.cleaned_data["cycle_cases"],
                tester=tester,
            )
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            done = f"assigned to {tester.full_name}" if tester else "unassigned"
            messages.success(request, f"{len(rows)} case{'s' if len(rows) != 1 else ''} {done}.")
        return redirect(back)
