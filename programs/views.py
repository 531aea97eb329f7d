"""Pages for programs, workstreams, members and the activity feed (htmx partials where useful)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.fragments import fragment_key
from core.htmx import page_or_partial
from core.permissions import Role, can_create_programs
from core.versioning import StaleVersionError

from . import selectors, services
from .choices import ProgramStatus
from .filtersets import ActivityFilterSet, MembershipFilterSet, WorkstreamFilterSet
from .forms import (
    MemberAddForm,
    MemberRoleForm,
    ProgramCreateForm,
    ProgramEditForm,
    WorkstreamForm,
    WorkstreamInlineForm,
)
from .mixins import ProgramViewMixin, paginate


class HomeView(LoginRequiredMixin, View):
    """The site root: straight to the user's programs."""

    access_policy = "authenticated"

    def get(self, request):
        return redirect("programs:program_list")


class ProgramListView(LoginRequiredMixin, TemplateView):
    access_policy = "authenticated"
    template_name = "programs/program_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "program-table")]

    def get_context_data(self, **kwargs):
        q = self.request.GET.get("q", "").strip()
        status = self.request.GET.get("status", "")
        programs = selectors.program_list_for_user(user=self.request.user, search=q, status=status)
        return super().get_context_data(
            page_obj=paginate(self.request, programs),
            q=q,
            status=status,
            status_choices=ProgramStatus.choices,
            can_create=can_create_programs(self.request.user),
            today=timezone.localdate(),
            **kwargs,
        )


class ProgramCreateView(LoginRequiredMixin, View):
    access_policy = "can_create_programs"
    template_name = "programs/program_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_create_programs(request.user):
            raise PermissionDenied("You may not start programs; ask an administrator.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": ProgramCreateForm(), "creating": True})

    def post(self, request):
        form = ProgramCreateForm(request.POST)
        if form.is_valid():
            try:
                program = services.program_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Program {program.code} created. You are its manager.")
                return redirect(program)
        return render(request, self.template_name, {"form": form, "creating": True}, status=400)


class ProgramHomeView(ProgramViewMixin, TemplateView):
    permission_action = "program.view"
    nav_section = "programs:program_home"
    template_name = "programs/program_home.html"

    def get(self, request, *args, **kwargs):
        # Vendor users see only their vendor's portal (by URL name: programs never imports it).
        if self.access.can("portal.view"):
            return redirect(reverse("vendors:portal_home", kwargs={"code": self.program.code}))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        program = self.program
        today = timezone.localdate()
        total_days = max((program.end_date - program.start_date).days, 1)
        elapsed = min(max((today - program.start_date).days, 0), total_days)
        context = {
            "today": today,
            "elapsed_pct": round(100 * elapsed / total_days),
            "days_left": (program.end_date - today).days,
        }
        if self.access.can("workstream.view"):
            context["workstreams"] = list(selectors.workstream_list(program=program))
        if self.access.can("membership.view"):
            counts = selectors.role_counts(program=program)
            context["role_counts"] = [
                (Role(role).label, counts[role]) for role in Role.values if counts.get(role)
            ]
            context["member_total"] = sum(counts.values())
        if self.access.can("activity.view"):
            context["recent_activity"] = list(selectors.activity_list(program=program)[:8])
        return super().get_context_data(**context, **kwargs)


class ProgramEditView(ProgramViewMixin, TemplateView):
    permission_action = "program.change"
    nav_section = "programs:program_home"
    template_name = "programs/program_form.html"

    def get(self, request, code):
        p = self.program
        form = ProgramEditForm(
            program=p,
            initial={
                "version": p.version, "name": p.name, "description": p.description,
                "sponsor": p.sponsor_id, "start_date": p.start_date, "end_date": p.end_date,
                "currency": p.currency, "time_zone": p.time_zone, "status": p.status,
            },
        )  # fmt: skip
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = ProgramEditForm(request.POST, program=self.program)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.program_update(
                    actor=request.user, program=self.program, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Program details saved.")
                return redirect(self.program)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class WorkstreamListView(ProgramViewMixin, TemplateView):
    permission_action = "workstream.view"
    nav_section = "programs:workstream_list"
    template_name = "programs/workstream_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "workstream-table")]

    def get_context_data(self, **kwargs):
        filterset = WorkstreamFilterSet(
            self.request.GET or None,
            queryset=selectors.workstream_list(program=self.program),
            program=self.program,
        )
        page = paginate(self.request, filterset.qs)
        rows_key = fragment_key(
            self.program.code,
            self.access.can("workstream.change"),
            rows=(
                (w.pk, w.version, w.lead_id, w.lead and w.lead.full_name, w.lead and w.lead.email)
                for w in page
            ),
        )
        return super().get_context_data(
            filter=filterset, page_obj=page, rows_key=rows_key, **kwargs
        )


class WorkstreamCreateView(ProgramViewMixin, TemplateView):
    """A modal form when opened by htmx, a plain page otherwise."""

    permission_action = "workstream.add"
    nav_section = "programs:workstream_list"
    template_name = "programs/workstream_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "workstream-form")]

    def get(self, request, code):
        form = WorkstreamForm(program=self.program, creating=True)
        return self.render_to_response(self.get_context_data(form=form, creating=True))

    def post(self, request, code):
        form = WorkstreamForm(request.POST, program=self.program, creating=True)
        if form.is_valid():
            try:
                workstream = services.workstream_create(
                    actor=request.user, program=self.program, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Workstream {workstream.key} {workstream.name} created.")
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse(
                        "programs:workstream_list", kwargs={"code": code}
                    )
                    return response
                return redirect("programs:workstream_list", code=code)
        context = self.get_context_data(form=form, creating=True)
        return self.render_to_response(context, status=400)


class WorkstreamDetailView(ProgramViewMixin, TemplateView):
    permission_action = "workstream.view"
    nav_section = "programs:workstream_list"
    template_name = "programs/workstream_detail.html"

    def get_context_data(self, **kwargs):
        workstream = selectors.workstream_get(program=self.program, key=self.kwargs["key"])
        return super().get_context_data(
            workstream=workstream, history=history_for_object(workstream)[:20], **kwargs
        )


class WorkstreamEditView(ProgramViewMixin, TemplateView):
    permission_action = "workstream.change"
    nav_section = "programs:workstream_list"
    template_name = "programs/workstream_form.html"

    def get(self, request, code, key):
        ws = selectors.workstream_get(program=self.program, key=key)
        form = WorkstreamForm(
            program=self.program,
            initial={"version": ws.version, "name": ws.name, "lead": ws.lead_id,
                     "status": ws.status, "description": ws.description},
        )  # fmt: skip
        return self.render_to_response(self.get_context_data(form=form, workstream=ws))

    def post(self, request, code, key):
        ws = selectors.workstream_get(program=self.program, key=key)
        form = WorkstreamForm(request.POST, program=self.program)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                ws = services.workstream_update(
                    actor=request.user, workstream=ws, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{ws.key} saved.")
                return redirect(ws)
        return self.render_to_response(self.get_context_data(form=form, workstream=ws), status=400)


class WorkstreamInlineEditView(ProgramViewMixin, TemplateView):
    """htmx row editor: GET swaps the row for inputs, POST saves and swaps the row back."""

    permission_action = "workstream.change"
    template_name = "programs/workstream_list.html"

    def _row(self, ws, form=None, status=200):
        context = self.get_context_data(ws=ws, form=form, editing=form is not None)
        partial = "workstream-row-edit" if form is not None else "workstream-row"
        return self.response_class(
            request=self.request,
            template=[f"{self.template_name}#{partial}"],
            context=context,
            status=status,
        )

    def get(self, request, code, key):
        ws = selectors.workstream_get(program=self.program, key=key)
        if request.GET.get("cancel"):
            return self._row(ws)
        form = WorkstreamInlineForm(
            program=self.program,
            initial={
                "version": ws.version,
                "name": ws.name,
                "lead": ws.lead_id,
                "status": ws.status,
            },
        )
        return self._row(ws, form)

    def post(self, request, code, key):
        ws = selectors.workstream_get(program=self.program, key=key)
        form = WorkstreamInlineForm(request.POST, program=self.program)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                ws = services.workstream_update(
                    actor=request.user, workstream=ws, expected_version=version, **data
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                return self._row(ws)
        # htmx swaps 4xx bodies only when told to; the row keeps the typed values either way.
        return self._row(ws, form, status=422)


class WorkstreamDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "workstream.delete"
    nav_section = "programs:workstream_list"
    template_name = "programs/workstream_confirm_delete.html"

    def get(self, request, code, key):
        ws = selectors.workstream_get(program=self.program, key=key)
        return self.render_to_response(self.get_context_data(workstream=ws))

    def post(self, request, code, key):
        ws = selectors.workstream_get(program=self.program, key=key)
        try:
            services.workstream_delete(
                actor=request.user, workstream=ws, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Review it before deleting.")
            return redirect(ws)
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect(ws)
        messages.success(request, f"Workstream {ws.key} {ws.name} deleted.")
        return redirect("programs:workstream_list", code=code)


class MemberListView(ProgramViewMixin, TemplateView):
    permission_action = "membership.view"
    nav_section = "programs:member_list"
    template_name = "programs/member_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "member-table")]

    def get_context_data(self, **kwargs):
        filterset = MembershipFilterSet(
            self.request.GET or None, queryset=selectors.membership_list(program=self.program)
        )
        kwargs.setdefault("add_form", MemberAddForm())
        return super().get_context_data(
            filter=filterset,
            page_obj=paginate(self.request, filterset.qs, per_page=50),
            role_choices=Role.choices,
            can_manage=self.access.can("membership.manage"),
            **kwargs,
        )


class MemberAddView(ProgramViewMixin, TemplateView):
    permission_action = "membership.manage"
    nav_section = "programs:member_list"
    template_name = "programs/member_list.html"

    def get(self, request, code):
        return redirect("programs:member_list", code=code)

    def post(self, request, code):
        form = MemberAddForm(request.POST)
        if form.is_valid():
            try:
                membership = services.membership_add(
                    actor=request.user, program=self.program, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{membership.user} added as {membership.get_role_display()}."
                    + (
                        ""
                        if membership.user.has_usable_password()
                        else " An invitation is on its way."
                    ),
                )
                return redirect("programs:member_list", code=code)
        view = MemberListView()
        view.setup(request, code=code)
        view.access, view.program = self.access, self.program
        return view.render_to_response(view.get_context_data(add_form=form), status=400)


class MemberRoleView(ProgramViewMixin, TemplateView):
    """htmx: change a member's role in place."""

    permission_action = "membership.manage"
    template_name = "programs/member_list.html"

    def get(self, request, code, pk):
        return redirect("programs:member_list", code=code)

    def post(self, request, code, pk):
        membership = selectors.membership_get(program=self.program, pk=pk)
        form = MemberRoleForm(request.POST)
        error = ""
        status = 200
        if form.is_valid():
            try:
                membership = services.membership_change_role(
                    actor=request.user,
                    membership=membership,
                    role=form.cleaned_data["role"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                membership, error, status = exc.current, str(exc), 409
            except ValidationError as exc:
                error, status = " ".join(exc.messages), 400
        else:
            error, status = "Choose a valid role.", 400
        if not request.htmx:
            (messages.error if error else messages.success)(
                request, error or f"{membership.user} is now {membership.get_role_display()}."
            )
            return redirect("programs:member_list", code=code)
        context = self.get_context_data(
            m=membership, row_error=error, role_choices=Role.choices, can_manage=True
        )
        return self.response_class(
            request=request,
            template=[f"{self.template_name}#member-row"],
            context=context,
            status=200 if status == 200 else status,
        )


class MemberRemoveView(ProgramViewMixin, TemplateView):
    permission_action = "membership.manage"
    nav_section = "programs:member_list"
    template_name = "programs/member_confirm_remove.html"

    def get(self, request, code, pk):
        membership = selectors.membership_get(program=self.program, pk=pk)
        return self.render_to_response(self.get_context_data(membership=membership))

    def post(self, request, code, pk):
        membership = selectors.membership_get(program=self.program, pk=pk)
        try:
            services.membership_remove(
                actor=request.user,
                membership=membership,
                expected_version=posted_version(request),
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was removed; review the member first.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{membership.user} no longer has access to {code}.")
        return redirect("programs:member_list", code=code)


class ActivityView(ProgramViewMixin, TemplateView):
    permission_action = "activity.view"
    nav_section = "programs:activity"
    template_name = "programs/activity.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "activity-feed")]

    def get_context_data(self, **kwargs):
        filterset = ActivityFilterSet(
            self.request.GET or None,
            queryset=selectors.activity_list(program=self.program),
            program=self.program,
        )
        page = paginate(self.request, filterset.qs, per_page=50)
        return super().get_context_data(
            filter=filterset,
            page_obj=page,
            # Audit entries never change: their ids (and the time zone) say what the feed shows.
            feed_key=fragment_key(self.program.code, rows=((e.pk,) for e in page)),
            object_types=selectors.activity_object_types(program=self.program),
            **kwargs,
        )


class ObjectHistoryView(ProgramViewMixin, TemplateView):
    """Every recorded change of one object of this program, newest first."""

    permission_action = "activity.view"
    nav_section = "programs:activity"
    template_name = "programs/object_history.html"

    def get_context_data(self, **kwargs):
        try:
            ct = ContentType.objects.get_by_natural_key(self.kwargs["app"], self.kwargs["model"])
        except ContentType.DoesNotExist as exc:
            raise Http404("No such kind of object") from exc
        entries = selectors.activity_list(program=self.program).filter(
            content_type=ct, object_id=self.kwargs["object_id"]
        )
        page = paginate(self.request, entries, per_page=50)
        if not page.object_list:
            raise Http404("No history for this object in this program")
        model = ct.model_class()
        current = None
        if model is not None:
            try:
                current = model._default_manager.filter(pk=self.kwargs["object_id"]).first()
            except (ValueError, ValidationError):
                current = None
            if current is not None and getattr(current, "program_id", None) not in (
                None,
                self.program.pk,
            ):
                raise Http404("No history for this object in this program")
        return super().get_context_data(
            page_obj=page,
            object_label=page.object_list[0].object_repr,
            type_label=ct.name,
            current=current,
            **kwargs,
        )
