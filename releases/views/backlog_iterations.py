"""Iteration pages: the list with each iteration's load against its capacity, the form (new,
edit), closing one (its unfinished items move to the next iteration or back to the backlog)
and deleting an empty one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from ..forms.backlog import IterationCloseForm, IterationEditForm, IterationForm, iteration_initial
from ..models import IterationStatus
from ..selectors import backlog as selectors
from ..services import backlog as services

NAV = "releases:backlog_list"


def iterations_url(code: str) -> str:
    return reverse("releases:iteration_list", kwargs={"code": code})


class IterationMixin(ProgramViewMixin):
    nav_section = NAV

    def get_iteration(self):
        return selectors.iteration_get(program=self.program, pk=self.kwargs["pk"])


class IterationListView(IterationMixin, TemplateView):
    permission_action = "backlog.view"
    template_name = "releases/backlog/iteration_list.html"

    def get_context_data(self, **kwargs):
        iterations = selectors.with_load(selectors.iteration_list(program=self.program))
        return super().get_context_data(
            iterations=iterations,
            can_change=self.access.can("backlog.groom"),
            **kwargs,
        )


class IterationCreateView(IterationMixin, TemplateView):
    permission_action = "backlog.groom"
    template_name = "releases/backlog/iteration_form.html"

    def get(self, request, code):
        return self.render_to_response(
            self.get_context_data(form=IterationForm(program=self.program))
        )

    def post(self, request, code):
        form = IterationForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                iteration = services.iteration_create(
                    actor=request.user, program=self.program, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{iteration.name} created.")
                return redirect(iterations_url(code))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class IterationEditView(IterationMixin, TemplateView):
    permission_action = "backlog.groom"
    template_name = "releases/backlog/iteration_form.html"

    def get(self, request, code, pk):
        iteration = self.get_iteration()
        form = IterationEditForm(program=self.program, initial=iteration_initial(iteration))
        return self.render_to_response(self.get_context_data(form=form, iteration=iteration))

    def post(self, request, code, pk):
        iteration = self.get_iteration()
        form = IterationEditForm(request.POST, program=self.program)
        status = 400
        if iteration.status == IterationStatus.CLOSED:
            form.fields["status"].choices = [(IterationStatus.CLOSED, "Closed")]
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                iteration = services.iteration_update(
                    actor=request.user, iteration=iteration, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{iteration.name} saved.")
                return redirect(iterations_url(code))
        return self.render_to_response(
            self.get_context_data(form=form, iteration=iteration), status=status
        )


class IterationCloseView(IterationMixin, TemplateView):
    permission_action = "backlog.groom"
    template_name = "releases/backlog/iteration_close.html"

    def context(self, iteration, form):
        open_items = list(
            iteration.items.filter(status__in=services.OPEN_BACKLOG_STATUSES)
            .select_related("workstream")
            .order_by("workstream__name", "rank")
        )
        return self.get_context_data(iteration=iteration, form=form, open_items=open_items)

    def get(self, request, code, pk):
        iteration = self.get_iteration()
        nxt = services.next_iteration(iteration)
        form = IterationCloseForm(
            iteration=iteration,
            initial={"version": iteration.version, "move_to": nxt.pk if nxt else None},
        )
        return self.render_to_response(self.context(iteration, form))

    def post(self, request, code, pk):
        iteration = self.get_iteration()
        form = IterationCloseForm(request.POST, iteration=iteration)
        status = 400
        if form.is_valid():
            move_to = form.cleaned_data["move_to"]
            try:
                moved = services.iteration_close(
                    actor=request.user, iteration=iteration,
                    expected_version=form.cleaned_data["version"], move_to=move_to,
                )  # fmt: skip
            except StaleVersionError as exc:
                form.report_conflict(exc)
                status = 409
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
                status = 409
            else:
                where = move_to.name if move_to else "the backlog"
                messages.success(
                    request,
                    f"{iteration.name} closed; {moved} unfinished item"
                    f"{'s' if moved != 1 else ''} moved to {where}.",
                )
                return redirect(iterations_url(code))
        return self.render_to_response(self.context(iteration, form), status=status)


class IterationDeleteView(IterationMixin, TemplateView):
    permission_action = "backlog.groom"
    template_name = "releases/backlog/confirm.html"

    def get(self, request, code, pk):
        iteration = self.get_iteration()
        planned = iteration.items.count()
        problem = ""
        if planned:
            problem = (
                f"{planned} item{'s are' if planned != 1 else ' is'} planned into "
                f"{iteration.name}. Move them, or close the iteration instead."
            )
        return self.render_to_response(
            self.get_context_data(
                problem=problem, title=f"Delete {iteration.name}?",
                text="Delete an iteration only when it was created in error.",
                version=iteration.version, button="Delete iteration",
                cancel_url=iterations_url(code), crumb=("Iterations", iterations_url(code)),
            )
        )  # fmt: skip

    def post(self, request, code, pk):
        iteration = self.get_iteration()
        try:
            services.iteration_delete(
                actor=request.user, iteration=iteration, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"{iteration.name} deleted.")
        return redirect(iterations_url(code))
