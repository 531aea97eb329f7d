"""Defect pages under /programs/<code>/releases/defects/: the list (summary strip with open
defects by severity and the ageing table, htmx filters, an inline status change per row), a
defect with its links, workflow trail and history, the forms to raise and edit one, a workflow
step (a page, or the shared modal through htmx) and deletion of one raised by mistake."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial, wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.defects import DefectForm, TransitionForm
from ..models import DefectStatus
from ..selectors import defects as selectors
from ..services import defects as services

NAV = "releases:defect_list"
LIST_TEMPLATE = "releases/defects/defect_list.html"
FILTER_KEYS = (
    "q", "state", "status", "severity", "priority", "owner", "workstream", "cycle", "release",
    "requirement",
)  # fmt: skip


def _decorate(defect, *, now, role) -> None:
    """What a row shows besides the fields: age, colours and the steps the user may take."""
    defect.age_days = selectors.days_open(defect, now)
    defect.severity_badge = selectors.SEVERITY_BADGES[defect.severity]
    defect.status_colour = selectors.STATUS_COLOURS[defect.status]
    defect.steps = services.allowed_steps(defect.status, role)


MAIN_PATH = (
    DefectStatus.NEW,
    DefectStatus.TRIAGED,
    DefectStatus.IN_PROGRESS,
    DefectStatus.FIXED,
    DefectStatus.RETEST,
    DefectStatus.CLOSED,
)
# where an off-path status sits on the main path (the steps before it are done)
PATH_POSITION = {DefectStatus.REOPENED: 2, DefectStatus.REJECTED: None, DefectStatus.DEFERRED: None}


def workflow_path(status: str) -> list[dict]:
    """The main path new -> closed with each step done, current or to do."""
    at = MAIN_PATH.index(status) if status in MAIN_PATH else PATH_POSITION.get(status)
    steps = []
    for index, value in enumerate(MAIN_PATH):
        if at is None:
            state = "skipped"
        elif index < at or (index == at and value == DefectStatus.CLOSED):
            state = "done"
        elif index == at:
            state = "current"
        else:
            state = "todo"
        steps.append({"status": value, "label": DefectStatus(value).label, "state": state})
    return steps


def _ids(defect) -> str:
    """Field ids of a row's inline editor, unique on the page."""
    return f"dfx-{defect.key}-%s"


def _status_message(defect) -> str:
    return f"{defect.key} is now {defect.get_status_display().lower()}."


class DefectMixin(ProgramViewMixin):
    nav_section = NAV

    def base_context(self) -> dict:
        return {
            "can_change": self.access.can("defect.change"),
            "can_add": self.access.can("defect.add"),
            "severity_colours": selectors.SEVERITY_COLOURS,
            "status_colours": selectors.STATUS_COLOURS,
        }


class DefectListView(DefectMixin, TemplateView):
    permission_action = "defect.view"
    template_name = LIST_TEMPLATE

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "defect-table")]

    def filter_data(self) -> QueryDict:
        data = self.request.GET.copy()
        if "state" not in data:
            data["state"] = "open"  # the page opens on what needs work
        return data

    def get_context_data(self, **kwargs):
        filterset = selectors.DefectFilterSet(
            self.filter_data(),
            queryset=selectors.defect_list(program=self.program),
            program=self.program,
        )
        page = paginate(self.request, filterset.qs)
        now = timezone.now()
        for defect in page.object_list:
            _decorate(defect, now=now, role=self.access.role)
        data = filterset.data
        context = {
            "filter": filterset,
            "filtered": any(data.get(k) for k in FILTER_KEYS if k != "state")
            or data.get("state") != "open",
            "page_obj": page,
        }
        if not wants_partial(self.request):
            context["summary"] = selectors.defect_summary(program=self.program, now=now)
        return super().get_context_data(**self.base_context(), **context, **kwargs)


class DefectSummaryView(DefectMixin, TemplateView):
    """The summary strip alone (refreshed after an inline status change)."""

    permission_action = "defect.view"
    template_name = LIST_TEMPLATE

    def get(self, request, *args, **kwargs):
        if not wants_partial(request):  # opened as a page: the defect list holds the strip
            return redirect("releases:defect_list", code=self.program.code)
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        return [f"{LIST_TEMPLATE}#defect-summary"]

    def get_context_data(self, **kwargs):
        summary = selectors.defect_summary(program=self.program)
        return super().get_context_data(summary=summary, **kwargs)


class DefectDetailView(DefectMixin, TemplateView):
    permission_action = "defect.view"
    template_name = "releases/defects/defect_detail.html"

    def get_context_data(self, **kwargs):
        defect = selectors.defect_detail(program=self.program, key=self.kwargs["key"])
        _decorate(defect, now=timezone.now(), role=self.access.role)
        transitions = list(defect.transitions.all())
        reporter = transitions[0].by if transitions and not transitions[0].from_status else None
        history = list(history_for_object(defect).order_by("-id")[:30])
        can_delete = (
            defect.status == DefectStatus.NEW
            and self.access.can("defect.change")
            and (
                self.access.role == "manager" or (reporter and reporter.pk == self.request.user.pk)
            )
        )
        return super().get_context_data(
            **self.base_context(),
            defect=defect,
            transitions=transitions,
            reporter=reporter,
            history=history,
            history_more=len(history) == 30,
            can_delete=can_delete,
            can_history=self.access.can("activity.view"),
            all_steps=services.steps_from(defect.status),
            path=workflow_path(defect.status),
            **kwargs,
        )


class DefectCreateView(DefectMixin, TemplateView):
    permission_action = "defect.add"
    template_name = "releases/defects/defect_form.html"

    def get(self, request, code):
        initial = {}
        for name in ("requirement", "test_case", "found_in_cycle", "target_release"):
            if request.GET.get(name, "").isdigit():
                initial[name] = int(request.GET[name])
        form = DefectForm(program=self.program, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = DefectForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                defect = services.defect_create(
                    actor=request.user, program=self.program, **form.changes()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{defect.key} raised. Triage it to give it an owner.")
                return redirect(defect)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DefectEditView(DefectMixin, TemplateView):
    permission_action = "defect.change"
    template_name = "releases/defects/defect_form.html"

    def get(self, request, code, key):
        defect = selectors.defect_get(program=self.program, key=key)
        form = DefectForm(program=self.program, defect=defect)
        return self.render_to_response(self.get_context_data(form=form, defect=defect))

    def post(self, request, code, key):
        defect = selectors.defect_get(program=self.program, key=key)
        form = DefectForm(request.POST, program=self.program, defect=defect)
        if form.is_valid():
            try:
                defect = services.defect_update(
                    actor=request.user,
                    defect=defect,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(defect),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, f"{defect.key} saved.")
                return redirect(defect)
        return self.render_to_response(self.get_context_data(form=form, defect=defect), status=400)


class DefectDeleteView(DefectMixin, TemplateView):
    permission_action = "defect.change"
    template_name = "releases/defects/defect_confirm_delete.html"

    def get(self, request, code, key):
        defect = selectors.defect_get(program=self.program, key=key)
        return self.render_to_response(self.get_context_data(defect=defect))

    def post(self, request, code, key):
        defect = selectors.defect_get(program=self.program, key=key)
        try:
            services.defect_delete(
                actor=request.user, defect=defect, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
            return redirect(defect)
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect(defect)
        messages.success(request, f"{defect.key} {defect.title} deleted.")
        return redirect("releases:defect_list", code=code)


def _run_step(request, form: TransitionForm, defect):
    """Take the form's step; the moved defect, or None with the reason on the form."""
    try:
        return services.defect_transition(
            actor=request.user,
            defect=defect,
            to=form.cleaned_data["to"],
            expected_version=form.cleaned_data["version"],
            **form.inputs(),
        )
    except StaleVersionError as exc:
        form.report_conflict(exc)
    except ValidationError as exc:
        apply_validation_error(form, exc)
    except (Refused, PermissionDenied) as exc:
        form.add_error(None, getattr(exc, "reason", None) or str(exc))
    return None


class DefectTransitionView(DefectMixin, TemplateView):
    """One workflow step as a form: a page, or the shared modal's body through htmx."""

    permission_action = "defect.change"
    template_name = "releases/defects/defect_transition.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "transition-form")]

    def _render(self, defect, form, status=200):
        context = self.get_context_data(
            **self.base_context(), defect=defect, form=form, steps=form.steps
        )
        return self.render_to_response(context, status=status)

    def _load(self, key):
        defect = selectors.defect_get(program=self.program, key=key)
        _decorate(defect, now=timezone.now(), role=self.access.role)
        return defect, services.allowed_steps(defect.status, self.access.role)

    def get(self, request, code, key):
        defect, steps = self._load(key)
        form = TransitionForm(defect=defect, steps=steps, to=request.GET.get("to"))
        return self._render(defect, form)

    def post(self, request, code, key):
        defect, steps = self._load(key)
        form = TransitionForm(request.POST, defect=defect, steps=steps)
        if form.is_valid():
            moved = _run_step(request, form, defect)
            if moved is not None:
                messages.success(request, _status_message(moved))
                response = redirect(moved)
                if wants_partial(request):
                    response.status_code = 204
                    response["HX-Redirect"] = moved.get_absolute_url()
                return response
        return self._render(defect, form, status=400)


class DefectStatusView(DefectMixin, TemplateView):
    """The inline status change of a list row (htmx): GET shows the row with the next statuses
    (and, once one is chosen, what it asks for); POST takes the step and answers the row."""

    permission_action = "defect.change"
    template_name = LIST_TEMPLATE

    def get_template_names(self):
        return [f"{LIST_TEMPLATE}#defect-row"]

    def _row(self, defect, *, form=None, status=200):
        defect = selectors.defect_list(program=self.program).get(pk=defect.pk)
        _decorate(defect, now=timezone.now(), role=self.access.role)
        context = self.get_context_data(
            **self.base_context(), d=defect, form=form, editing=form is not None
        )
        return self.render_to_response(context, status=status)

    def get(self, request, code, key):
        defect = selectors.defect_get(program=self.program, key=key)
        if not wants_partial(request):
            target = defect.get_absolute_url() + "transition/"
            if request.GET.get("to"):
                target += f"?to={request.GET['to']}"
            return redirect(target)
        if request.GET.get("cancel"):
            return self._row(defect)
        steps = services.allowed_steps(defect.status, self.access.role)
        form = TransitionForm(
            defect=defect, steps=steps, to=request.GET.get("to") or None, auto_id=_ids(defect)
        )
        return self._row(defect, form=form)

    def post(self, request, code, key):
        defect = selectors.defect_get(program=self.program, key=key)
        if not wants_partial(request):  # the inline editor needs htmx: use the step's page
            return redirect(defect.get_absolute_url() + "transition/")
        steps = services.allowed_steps(defect.status, self.access.role)
        form = TransitionForm(request.POST, defect=defect, steps=steps, auto_id=_ids(defect))
        if form.is_valid():
            moved = _run_step(request, form, defect)
            if moved is not None:
                response = self._row(moved)
                response["HX-Trigger"] = "defects-changed"
                return response
        return self._row(defect, form=form, status=400)
