"""Release pages: the list (status, planned date, readiness badge, scope size), one release with
its readiness at a glance (the banner and the checklist with the evidence) and its tabs (scope,
tests and defects, sign-offs, go/no-go, rollback plan, log, release notes), the release form,
cancel and delete, the scope editor (htmx), and the release notes as Markdown or plain text.

The actions of the tabs (criteria, sign-offs, reviews, rollback plan, log) are in
releases_actions.py and releases_reviews.py; `ReleaseActionView` and `ReleasePostView` here are
their bases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView

from core.errors import Refused
from core.forms import apply_validation_error, posted_version
from core.htmx import wants_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from ..forms.releases import ReasonForm, ReleaseForm, ScopeAddForm
from ..models import BacklogItem, ReleaseStatus, Requirement
from ..selectors import readiness as readiness_selectors
from ..selectors import releases as selectors
from ..services import release_reviews as review_services
from ..services import releases as services

NAV = "releases:release_list"
TABS = (
    ("readiness", "Readiness", "ti-checklist"),
    ("scope", "Scope", "ti-list-check"),
    ("tests", "Tests & defects", "ti-test-pipe"),
    ("signoffs", "Sign-offs", "ti-signature"),
    ("reviews", "Go/no-go", "ti-gavel"),
    ("rollback", "Rollback plan", "ti-arrow-back-up"),
    ("log", "Log", "ti-timeline-event"),
    ("notes", "Release notes", "ti-notes"),
)
TAB_NAMES = {name for name, _label, _icon in TABS}
LINK_ROUTES = {
    "defect": "releases:defect_detail",
    "requirement": "releases:requirement_detail",
    "case": "releases:case_detail",
    "cycle": "releases:cycle_detail",
    "backlog_item": "releases:backlog_detail",
}


def url_or_none(name: str, **kwargs) -> str | None:
    """A page of another releases area, which may not be routed (then no link is shown)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def tab_url(program, release, tab: str = "", anchor: str = "") -> str:
    url = reverse("releases:release_detail", kwargs={"code": program.code, "key": release.key})
    if tab and tab != "readiness":
        url += f"?tab={tab}"
    return f"{url}#{anchor}" if anchor else url


def done(request, url: str) -> HttpResponse:
    """After a saved form: htmx follows HX-Redirect, a plain form a 302."""
    if getattr(request, "htmx", None):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def evidence_links(program, release, links) -> list[dict]:
    """The evidence rows as {text, url}: pages of other areas, or this release's tabs."""
    out = []
    for link in links:
        kind, key = (link["kind"], link["key"]) if isinstance(link, dict) else (link.kind, link.key)
        if kind == "signoff":
            url = tab_url(program, release, "signoffs")
        elif kind == "rollback_plan":
            out.append({"text": "Rollback plan", "url": tab_url(program, release, "rollback")})
            continue
        else:
            route = LINK_ROUTES.get(kind)
            url = url_or_none(route, code=program.code, key=key) if route else None
        out.append({"text": key, "url": url})
    return out


def checklist_rows(program, release, readiness, criteria) -> list[dict]:
    """Each result with its criterion row (for the actions) and its evidence links."""
    by_id = {c.pk: c for c in criteria}
    return [
        {
            "result": result,
            "criterion": by_id.get(result.criterion_id),
            "links": evidence_links(program, release, result.links),
        }
        for result in readiness.results
    ]


class ReleaseMixin(ProgramViewMixin):
    nav_section = NAV

    def get_release(self):
        return selectors.release_get(program=self.program, key=self.kwargs["key"])


# --- list -----------------------------------------------------------------------------------


class ReleaseListView(ProgramViewMixin, TemplateView):
    permission_action = "release.view"
    nav_section = NAV
    template_name = "releases/releases/release_list.html"

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status", "")
        if status not in ReleaseStatus.values:
            status = ""
        releases = selectors.releases_with_readiness(program=self.program, status=status)
        return super().get_context_data(
            releases=releases,
            status=status,
            statuses=ReleaseStatus.choices,
            can_change=self.access.can("release.change"),
            **kwargs,
        )


class ReleaseCreateView(ProgramViewMixin, TemplateView):
    permission_action = "release.change"
    nav_section = NAV
    template_name = "releases/releases/release_form.html"

    def get(self, request, code):
        form = ReleaseForm(program=self.program, initial={"owner": request.user.pk})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, code):
        form = ReleaseForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                release = services.release_create(
                    actor=request.user, program=self.program, **form.changes()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{release.key} {release} created. Add its scope and readiness criteria.",
                )
                return redirect(release)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- detail ---------------------------------------------------------------------------------


class ReleaseDetailView(ReleaseMixin, TemplateView):
    """Readiness at a glance (banner, checklist) and one tab of the release's record."""

    permission_action = "release.view"
    template_name = "releases/releases/release_detail.html"

    def get_template_names(self):
        if wants_partial(self.request) and self.request.GET.get("part") == "body":
            return [f"{self.template_name}#release-body"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        release = kwargs.pop("release", None) or self.get_release()
        tab = self.request.GET.get("tab", "readiness")
        if tab not in TAB_NAMES:
            tab = "readiness"
        return super().get_context_data(**release_context(self, release, tab), **kwargs)


def release_context(view, release, tab: str) -> dict:
    """Everything the detail page (and its htmx body) shows for `tab`."""
    program, access = view.program, view.access
    readiness, criteria = readiness_selectors.readiness_with_criteria(release)
    context = {
        "release": release,
        "readiness": readiness,
        "failing_rows": [
            {"result": r, "links": evidence_links(program, release, r.links)}
            for r in readiness.failing
        ],
        "tab": tab,
        "tabs": TABS,
        "counts": selectors.tab_counts(release),
        "status_colour": selectors.STATUS_COLOURS[release.status],
        "status_icon": selectors.STATUS_ICONS[release.status],
        "can_change": access.can("release.change"),
        "can_decide": access.can("release.decide"),
        "can_vote": access.can("release.vote"),
        "open": release.status in (ReleaseStatus.PLANNED, ReleaseStatus.GO),
        "frozen": release.status in services.FROZEN,
        "criteria_open": access.can("release.change") and release.status not in services.CLOSED,
        "deletable": not services.delete_blockers(release)
        if access.can("release.change")
        else False,
    }
    if tab == "readiness":
        context["checklist"] = checklist_rows(program, release, readiness, criteria)
    elif tab == "scope":
        context.update(scope_context(view, release))
    elif tab == "tests":
        context.update(cycles=selectors.cycles(release), defects=selectors.defects(release))
        for defect in context["defects"]:
            defect.url = url_or_none("releases:defect_detail", code=program.code, key=defect.key)
        for row in context["cycles"]:
            row.url = url_or_none("releases:cycle_detail", code=program.code, key=row.cycle.key)
    elif tab == "signoffs":
        signoffs = selectors.signoffs(release)
        for signoff in signoffs:
            signoff.state = review_services.signoff_state(signoff)
            signoff.mine = signoff.signer_id == view.request.user.pk
        context["signoffs"] = signoffs
    elif tab == "reviews":
        context["reviews"] = selectors.reviews(release)
    elif tab == "rollback":
        plan = context["plan"] = selectors.rollback_plan(release)
        if plan is not None:
            total = sum(step.duration_minutes or 0 for step in plan.steps.all())
            context["plan_duration"] = divmod(total, 60)
        context["is_manager"] = access.role == "manager"
    elif tab == "log":
        context["entries"] = selectors.log_entries(release)
    elif tab == "notes":
        context["notes"] = selectors.release_notes(release)
    return context


def scope_context(view, release) -> dict:
    requirements = selectors.scope_requirements(release)
    backlog = selectors.scope_backlog(release)
    code = view.program.code
    for requirement in requirements:
        requirement.url = url_or_none("releases:requirement_detail", code=code, key=requirement.key)
    for item in backlog:
        item.url = url_or_none("releases:backlog_detail", code=code, key=item.key)
    return {"scope_requirements": requirements, "scope_backlog": backlog}


# --- edit, cancel, delete -------------------------------------------------------------------


class ReleaseEditView(ReleaseMixin, TemplateView):
    permission_action = "release.change"
    template_name = "releases/releases/release_form.html"

    def get(self, request, code, key):
        release = self.get_release()
        form = ReleaseForm(program=self.program, release=release)
        return self.render_to_response(self.get_context_data(form=form, release=release))

    def post(self, request, code, key):
        release = self.get_release()
        form = ReleaseForm(request.POST, program=self.program, release=release)
        if form.is_valid():
            try:
                release = services.release_update(
                    actor=request.user,
                    release=release,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(release),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, f"{release.key} saved.")
                return redirect(release)
        return self.render_to_response(
            self.get_context_data(form=form, release=release), status=400
        )


class ReleaseCancelView(ReleaseMixin, TemplateView):
    permission_action = "release.change"
    template_name = "releases/releases/release_confirm.html"

    def get(self, request, code, key):
        release = self.get_release()
        form = ReasonForm(initial={"version": release.version})
        return self.render_to_response(
            self.get_context_data(release=release, form=form, action="cancel")
        )

    def post(self, request, code, key):
        release = self.get_release()
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                services.release_cancel(
                    actor=request.user,
                    release=release,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect(release)
            else:
                messages.success(request, f"{release.key} cancelled.")
                return redirect(release)
        return self.render_to_response(
            self.get_context_data(release=release, form=form, action="cancel"), status=400
        )


class ReleaseDeleteView(ReleaseMixin, TemplateView):
    permission_action = "release.change"
    template_name = "releases/releases/release_confirm.html"

    def get(self, request, code, key):
        release = self.get_release()
        return self.render_to_response(
            self.get_context_data(
                release=release, action="delete", blockers=services.delete_blockers(release)
            )
        )

    def post(self, request, code, key):
        release = self.get_release()
        try:
            services.release_delete(
                actor=request.user, release=release, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
            return redirect(release)
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect(release)
        messages.success(request, f"{release.key} {release} deleted.")
        return redirect("releases:release_list", code=code)


# --- scope (htmx) ---------------------------------------------------------------------------


class ScopeCandidatesView(ReleaseMixin, TemplateView):
    """The requirements and backlog items that can be added, filtered by words or workstream
    (the scope tab's search, swapped in by htmx)."""

    permission_action = "release.change"
    template_name = "releases/releases/_scope_candidates.html"

    def get(self, request, *args, **kwargs):
        if not wants_partial(request):  # opened as a page: the scope tab holds the search
            return redirect(tab_url(self.program, self.get_release(), "scope"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        release = self.get_release()
        q = self.request.GET.get("q", "").strip()[:100]
        workstream = self.request.GET.get("workstream", "")
        workstream = workstream if workstream.isdigit() else ""
        return super().get_context_data(
            release=release,
            q=q,
            requirement_candidates=selectors.requirement_candidates(
                release, q=q, workstream=workstream
            ),
            backlog_candidates=selectors.backlog_candidates(release, q=q, workstream=workstream),
            **kwargs,
        )


class _ScopeWrite(ReleaseMixin, TemplateView):
    permission_action = "release.change"
    template_name = "releases/releases/release_detail.html"

    def get(self, request, code, key):
        return redirect(tab_url(self.program, self.get_release(), "scope"))

    def answer(self, release, *, error: str = "", text: str = ""):
        if error:
            messages.error(self.request, error)
        elif text:
            messages.success(self.request, text)
        if wants_partial(self.request):
            release = self.get_release()
            context = self.get_context_data(**release_context(self, release, "scope"))
            return self.response_class(
                request=self.request,
                template=[f"{self.template_name}#release-body"],
                context=context,
                status=400 if error else 200,
            )
        return redirect(tab_url(self.program, release, "scope"))


class ScopeAddView(_ScopeWrite):
    def post(self, request, code, key):
        release = self.get_release()
        form = ScopeAddForm(request.POST, program=self.program)
        if not form.is_valid():
            errors = [e for field in form.errors.values() for e in field]
            return self.answer(release, error=" ".join(errors))
        try:
            added = services.scope_add(
                actor=request.user,
                release=release,
                requirements=form.cleaned_data["requirements"],
                backlog_items=form.cleaned_data["backlog_items"],
            )
        except (Refused, ValidationError) as exc:
            return self.answer(release, error=_reason(exc))
        keys = [*added["requirements"], *added["backlog_items"]]
        text = f"Added to {release.key}: {', '.join(keys)}." if keys else "Already in the scope."
        return self.answer(release, text=text)


class ScopeRemoveView(_ScopeWrite):
    def post(self, request, code, key):
        release = self.get_release()
        wanted = request.POST.get("item", "").strip().upper()
        requirements = Requirement.objects.filter(program=self.program, key=wanted)
        items = BacklogItem.objects.filter(program=self.program, key=wanted)
        if not wanted:
            return self.answer(release, error="Say which requirement or backlog item to remove.")
        try:
            removed = services.scope_remove(
                actor=request.user, release=release, requirements=requirements,
                backlog_items=items,
            )  # fmt: skip
        except Refused as exc:
            return self.answer(release, error=exc.reason)
        keys = [*removed["requirements"], *removed["backlog_items"]]
        if not keys:
            return self.answer(release, error=f"{wanted} is not in the scope of {release.key}.")
        return self.answer(release, text=f"{', '.join(keys)} removed from {release.key}.")


def _reason(exc) -> str:
    if isinstance(exc, Refused):
        return exc.reason
    if hasattr(exc, "message_dict"):
        return " ".join(m for messages_ in exc.message_dict.values() for m in messages_)
    return " ".join(exc.messages)


# --- release notes --------------------------------------------------------------------------


class ReleaseNotesDownloadView(ReleaseMixin, TemplateView):
    """The release notes as a file: ?format=md (Markdown, the default) or ?format=txt."""

    permission_action = "release.view"

    def get(self, request, code, key):
        release = self.get_release()
        kind = request.GET.get("format", "md")
        if kind not in ("md", "txt"):
            raise Http404("Release notes come as md or txt.")
        notes = selectors.release_notes(release)
        if kind == "md":
            body, content_type = selectors.notes_as_markdown(notes), "text/markdown"
        else:
            body, content_type = selectors.notes_as_text(notes), "text/plain"
        response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
        filename = selectors.notes_filename(release, kind)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- the bases of the tabs' actions ---------------------------------------------------------


class ReleaseActionView(ReleaseMixin, TemplateView):
    """A small form about a release (add a criterion, sign, vote …): GET shows it (in the
    shared modal when htmx asks), POST validates and calls `perform`, which returns the success
    message; errors keep the input; the answer goes back to the release's `tab`."""

    template_name = "releases/releases/action_form.html"
    tab = "readiness"
    title = ""
    submit_label = "Save"
    submit_icon = "ti-device-floppy"
    submit_style = "btn-primary"
    intro = ""
    # each action provides these two: the form (bound to `data` on POST) and the step it runs,
    # returning the success message
    build_form: Callable[..., Any]
    perform: Callable[[Any], str]

    def setup_objects(self) -> None:
        self.release = self.get_release()

    def refusal(self, reason: str):
        """Where a refusal goes: back to the tab with the reason."""
        messages.error(self.request, reason)
        return done(self.request, self.success_url())

    def success_url(self) -> str:
        return tab_url(self.program, self.release, self.tab)

    def form_context(self) -> dict:
        return {}

    def render_form(self, form, status=200):
        context = self.get_context_data(
            release=self.release,
            form=form,
            title=self.get_title(),
            intro=self.get_intro(),
            submit_label=self.submit_label,
            submit_icon=self.submit_icon,
            submit_style=self.submit_style,
            back_url=self.success_url(),
            tab_label={n: label for n, label, _i in TABS}.get(self.tab, ""),
            **self.form_context(),
        )
        template = self.template_name
        if wants_partial(self.request):
            template = f"{template}#action-form"
        return self.response_class(
            request=self.request, template=[template], context=context, status=status
        )

    def get_title(self) -> str:
        return self.title

    def get_intro(self) -> str:
        return self.intro

    def get(self, request, *args, **kwargs):
        self.setup_objects()
        return self.render_form(self.build_form())

    def post(self, request, *args, **kwargs):
        self.setup_objects()
        form = self.build_form(request.POST)
        if form.is_valid():
            try:
                text = self.perform(form)
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                if text:
                    messages.success(request, text)
                return done(request, self.success_url())
        return self.render_form(form, status=400)


class ReleasePostView(ReleaseMixin, TemplateView):
    """A one-click step about a release (remove, approve, move …): POST only; the answer and
    any refusal go back to the release's `tab` as a message."""

    tab = "readiness"
    perform: Callable[[], str]  # each step provides it: runs the step, returns the message

    def setup_objects(self) -> None:
        self.release = self.get_release()

    def success_url(self) -> str:
        return tab_url(self.program, self.release, self.tab)

    def get(self, request, *args, **kwargs):
        self.setup_objects()
        return redirect(self.success_url())

    def post(self, request, *args, **kwargs):
        self.setup_objects()
        try:
            text = self.perform()
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was changed; review it and try again.")
        except ValidationError as exc:
            messages.error(request, _reason(exc))
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            if text:
                messages.success(request, text)
        return done(request, self.success_url())
