"""The grooming view of one workstream's backlog: the lead's ranking (or WSJF order) with
move up/down/top buttons and keyboard, "rank by WSJF", inline planning into iterations with
each iteration's load against its capacity, and cross-team dependencies flagged.

Only backlog.groom roles and the workstream's lead may reorder and plan (`can_groom`); others
see the same page read-only. Every action answers the `#grooming` partial to htmx, or redirects
back to the page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.errors import Refused
from core.htmx import page_or_partial

from ..models import Iteration
from ..selectors import backlog as selectors
from ..services import backlog as services
from .backlog import BacklogMixin

TEMPLATE = "releases/backlog/grooming.html"


def grooming_url(code: str, workstream, order: str = "rank") -> str:
    query = {"workstream": workstream.key}
    if order == "wsjf":
        query["order"] = "wsjf"
    return reverse("releases:backlog_grooming", kwargs={"code": code}) + "?" + urlencode(query)


class GroomingView(BacklogMixin, TemplateView):
    permission_action = "backlog.view"
    template_name = TEMPLATE

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "grooming")]

    def pick_workstream(self, workstreams):
        wanted = self.request.GET.get("workstream") or self.request.POST.get("workstream") or ""
        if wanted:
            found = next((w for w in workstreams if w.key == wanted.upper()), None)
            if found is None:
                raise Http404("No such workstream")
            return found
        led = [w for w in workstreams if w.lead_id == self.request.user.pk]
        with_items = [w for w in workstreams if w.open_items]
        return (led or with_items or workstreams or [None])[0]

    def get_context_data(self, **kwargs):
        workstreams = selectors.groomable_workstreams(program=self.program)
        workstream = kwargs.pop("workstream", None) or self.pick_workstream(workstreams)
        order = kwargs.pop("order", None) or self.request.GET.get("order", "rank")
        order = order if order in ("rank", "wsjf") else "rank"
        context = {"workstreams": workstreams, "workstream": workstream, "order": order}
        if workstream is not None:
            view = selectors.grooming(program=self.program, workstream=workstream, order=order)
            can_groom = selectors.can_groom(self.access, self.request.user, workstream)
            choices = [
                (i.pk, i.name if i.workstream_id else f"{i.name} (program-wide)")
                for i in view.iterations if i.status != "closed"
            ]  # fmt: skip
            context.update(
                view=view, can_groom=can_groom, iteration_choices=choices,
                page_url=grooming_url(self.program.code, workstream, order),
            )  # fmt: skip
        return super().get_context_data(**context, **kwargs)


class _GroomingAction(BacklogMixin, TemplateView):
    """A grooming step: allowed to backlog.groom roles and the workstream's lead."""

    permission_action = "backlog.change"
    template_name = TEMPLATE
    http_method_names = ["post"]

    def require_groom(self, workstream) -> None:
        if not selectors.can_groom(self.access, self.request.user, workstream):
            raise PermissionDenied(
                f"Only the program manager, a coordinator or {workstream.name}'s lead reorders "
                "and plans its backlog."
            )

    def answer(self, workstream, *, moved: str = "", error: str = ""):
        order = self.request.POST.get("order", "rank")
        if not self.request.htmx:
            if error:
                messages.error(self.request, error)
            return redirect(grooming_url(self.program.code, workstream, order))
        view = GroomingView()
        view.setup(self.request, code=self.program.code)
        view.access, view.program = self.access, self.program
        context = view.get_context_data(workstream=workstream, order=order, moved=moved,
                                        action_error=error)  # fmt: skip
        return self.response_class(
            request=self.request, template=[f"{TEMPLATE}#grooming"], context=context,
            status=409 if error else 200,
        )  # fmt: skip


class ItemMoveView(_GroomingAction):
    def post(self, request, code, key):
        item = self.get_item()
        self.require_groom(item.workstream)
        direction = request.POST.get("direction", "")
        error = ""
        try:
            if request.POST.get("position"):
                services.backlog_item_move(
                    actor=request.user, item=item, position=int(request.POST["position"])
                )
            else:
                services.backlog_item_move(actor=request.user, item=item, direction=direction)
        except (ValueError, ValidationError) as exc:
            error = " ".join(getattr(exc, "messages", [str(exc)]))
        except Refused as exc:
            error = exc.reason
        return self.answer(item.workstream, moved=item.key, error=error)


class ItemAssignView(_GroomingAction):
    def post(self, request, code, key):
        item = self.get_item()
        self.require_groom(item.workstream)
        raw = request.POST.get("iteration", "")
        iteration = None
        error = ""
        if raw:
            iteration = (
                Iteration.objects.filter(program=self.program, pk=raw).first()
                if (raw.isdigit())
                else None
            )
            if iteration is None:
                error = "That iteration does not exist in this program."
        if not error:
            try:
                services.backlog_item_assign(actor=request.user, item=item, iteration=iteration)
            except ValidationError as exc:
                error = " ".join(exc.messages)
        if not error and not request.htmx:
            messages.success(
                request, f"{item.key} planned into {iteration.name}." if iteration
                else f"{item.key} is back in the backlog (not planned).",
            )  # fmt: skip
        return self.answer(item.workstream, moved=item.key, error=error)


class RankByWsjfView(_GroomingAction):
    def post(self, request, code):
        workstream = self.program.workstreams.filter(
            key=request.POST.get("workstream", "").upper()
        ).first()
        if workstream is None:
            messages.error(request, "Choose the workstream whose ranking follows WSJF.")
            return redirect(reverse("releases:backlog_grooming", kwargs={"code": code}))
        self.require_groom(workstream)
        changed = services.backlog_rank_by_wsjf(actor=request.user, workstream=workstream)
        messages.success(
            request,
            f"{workstream.name}'s ranking now follows WSJF ({changed} item"
            f"{'s' if changed != 1 else ''} moved).",
        )
        return redirect(grooming_url(code, workstream))
