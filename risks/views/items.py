"""One RAID item: create, detail (with its actions, WBS links and history), edit, delete; and for
risks, record a review and raise an issue when the risk occurs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from core.audit import history_for_object
from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin

from .. import selectors, services
from ..choices import PROBABILITY_PERCENT, RaidType, score_band
from ..forms import FORMS, RaiseIssueForm, RiskReviewForm
from ..models import Action, Assumption, Dependency, Issue, RaidItem, Risk
from .common import BAND_COLOURS, ESCALATION_COLOURS, SEVERITY_COLOURS, STATUS_COLOURS, TYPES
from .common import hx_redirect as _hx_redirect
from .log import RaidTypeMixin


def list_url(program, raid_type: str) -> str:
    return reverse(f"risks:{TYPES[raid_type].singular}_list", kwargs={"code": program.code})


class ItemMixin(RaidTypeMixin):
    """The item named in the URL, and whether this user may change it (matrix + ownership)."""

    def get_item(self) -> Any:
        return selectors.raid_item_get(
            program=self.program, raid_type=self.raid_type, key=self.kwargs["key"]
        )

    def may_change(self, item: RaidItem) -> bool:
        return self.access.can("raid.change") and services.may_change(
            role=self.access.role, user=self.request.user, owner_id=item.owner_id
        )

    def require_change(self, item: RaidItem) -> None:
        services.require_may_change(self.request.user, item)


def _subject_for(program, ref: str | None):
    """What an action is being added to: a RAID item's key (`?on=RSK-3`) or any object of this
    program that has a key, named `app_label.model:pk` (`?on=governance.changerequest:5`), so
    other apps can offer "Add action" on their own pages. None for a stand-alone action."""
    if not ref:
        return None
    if ":" not in ref:
        subject = selectors.raid_item_by_key(program=program, key=ref)
    else:
        subject = selectors.subject_by_ref(program=program, ref=ref)
    if subject is None or isinstance(subject, Action):
        raise Http404("No such item to attach an action to")
    return subject


class ItemCreateView(RaidTypeMixin, ProgramViewMixin, TemplateView):
    """A modal form when opened by htmx, a plain page otherwise. Actions may be created `on` an
    item (`?on=RSK-3`); everything can start from values in the query string."""

    permission_action = "raid.add"
    nav_section = "risks:raid_log"
    template_name = "risks/item_form.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "item-form")]

    def _subject(self, params):
        """Only actions are created on something."""
        if self.raid_type != RaidType.ACTION:
            return None
        return _subject_for(self.program, params.get("on"))

    def _form(self, data=None, initial=None):
        return FORMS[self.raid_type](
            data, program=self.program, user=self.request.user, initial=initial
        )

    def _context(self, form, subject):
        return self.get_context_data(
            form=form,
            creating=True,
            info=self.info,
            raid_type=self.raid_type,
            subject=subject,
            subject_ref=selectors.subject_ref(subject) if subject is not None else "",
        )

    def get(self, request, code, **kwargs):
        subject = self._subject(request.GET)
        initial: dict[str, Any] = {"owner": request.user.pk}
        form_class = FORMS[self.raid_type]
        for name in form_class.base_fields:
            if name in request.GET and name not in ("version", "wbs_items"):
                initial[name] = request.GET[name]
        if subject is not None:
            initial.setdefault("workstream", getattr(subject, "workstream_id", None))
        return self.render_to_response(self._context(self._form(initial=initial), subject))

    def post(self, request, code, **kwargs):
        subject = self._subject(request.POST)
        form = self._form(request.POST)
        if form.is_valid():
            fields = form.service_kwargs()
            if self.raid_type == RaidType.ACTION:
                fields["subject"] = subject
            try:
                item = services.raid_item_create(
                    actor=request.user, program=self.program, model=self.info.model, **fields
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{item.key} {item.title} created.")
                url = item.get_absolute_url()
                if subject is not None:
                    url = subject.get_absolute_url() + "#actions"
                return _hx_redirect(url) if request.htmx else redirect(url)
        return self.render_to_response(self._context(form, subject), status=400)


def _facts(item: RaidItem) -> list[tuple[str, Any]]:
    """The type's own fields, as (label, value) pairs for the details card."""
    if isinstance(item, Issue):
        return [
            ("Severity", item.get_severity_display()),
            ("Priority", item.get_priority_display()),
            ("Due", item.due_date),
            ("Resolved on", item.resolved_on),
        ]
    if isinstance(item, Assumption):
        return [("Validate by", item.validate_by), ("Validated on", item.validated_on)]
    if isinstance(item, Dependency):
        return [
            ("Direction", item.get_direction_display()),
            ("Giver", item.giver),
            ("Receiver", item.receiver),
            ("Needed by", item.needed_by),
        ]
    if isinstance(item, Action):
        return [("Due", item.due_date), ("Completed on", item.completed_on)]
    assert isinstance(item, Risk)
    return [
        ("Category", item.get_category_display()),
        ("Response", item.get_response_strategy_display()),
        ("Proximity", item.proximity_date),
        ("Next review", item.review_date),
        ("Last reviewed", item.last_reviewed_on),
    ]


class ItemDetailView(ItemMixin, ProgramViewMixin, TemplateView):
    permission_action = "raid.view"
    nav_section = "risks:raid_log"
    template_name = "risks/item_detail.html"

    def get_context_data(self, **kwargs):
        item = kwargs.pop("item", None) or self.get_item()
        today = timezone.localdate()
        may_change = self.may_change(item)
        context: dict[str, Any] = {
            "item": item,
            "info": self.info,
            "raid_type": self.raid_type,
            "facts": _facts(item),
            "status_colour": STATUS_COLOURS.get(item.status, "secondary"),
            "actions": list(selectors.action_list_for_subject(subject=item))
            if self.raid_type != RaidType.ACTION
            else [],
            "wbs_items": selectors.wbs_items_of(item),
            "history": list(history_for_object(item).order_by("-timestamp", "-id")[:50]),
            "may_change": may_change,
            "can_change": self.access.can("raid.change"),
            "can_add": self.access.can("raid.add"),
            "can_delete": self.access.can("raid.delete"),
            "contributor_locked": self.access.can("raid.change") and not may_change,
            "today": today,
            "overdue": _is_overdue(item, today),
        }
        if isinstance(item, Risk):
            context.update(
                band=score_band(item.score),
                band_colour=BAND_COLOURS.get(score_band(item.score) or "", "secondary"),
                residual_band=score_band(item.residual_score),
                residual_colour=BAND_COLOURS.get(score_band(item.residual_score) or "", ""),
                probability_percent=PROBABILITY_PERCENT.get(item.probability),
                raised_issues=list(item.issues.order_by("number")),
                statement=_statement(item),
            )
            if may_change:
                kwargs.setdefault("review_form", RiskReviewForm(risk=item))
        context["model_name"] = item._meta.model_name
        context["has_escalation"] = hasattr(item, "escalation_level")
        if hasattr(item, "escalation_level"):
            context["escalation_colour"] = ESCALATION_COLOURS.get(item.escalation_level)
        if hasattr(item, "severity"):
            context["severity_colour"] = SEVERITY_COLOURS.get(item.severity)
        if isinstance(item, Action):
            context["subject"] = selectors.action_subject(item)
        context.update(kwargs)
        return super().get_context_data(**context)


def _statement(risk: Risk) -> list[tuple[str, str]]:
    """The cause-event-effect statement as (connecting words, the risk's words) pieces."""
    pieces, said = [], False
    for text, first, then in (
        (risk.cause, "Because of", "Because of"),
        (risk.event, "There is a risk that", "there is a risk that"),
        (risk.effect, "It would lead to", "which would lead to"),
    ):
        text = (text or "").strip().rstrip(".")
        if text:
            pieces.append(((f", {then}" if said else first), text))
            said = True
    return pieces


def _is_overdue(item: RaidItem, today) -> bool:
    due = getattr(item, selectors.DUE_FIELD[item.raid_type], None)
    return bool(due and due < today and item.is_active)


class ItemEditView(ItemMixin, ProgramViewMixin, TemplateView):
    """Every field of the item. Contributors reach only the items they own."""

    permission_action = "raid.change"
    nav_section = "risks:raid_log"
    template_name = "risks/item_form.html"

    def _form(self, item, data=None):
        return FORMS[self.raid_type](
            data, program=self.program, user=self.request.user, instance=item
        )

    def _render(self, form, item, status=200):
        context = self.get_context_data(
            form=form, item=item, info=self.info, raid_type=self.raid_type, creating=False
        )
        return self.render_to_response(context, status=status)

    def get(self, request, code, key, **kwargs):
        item = self.get_item()
        self.require_change(item)
        return self._render(self._form(item), item)

    def post(self, request, code, key, **kwargs):
        item = self.get_item()
        self.require_change(item)
        form = self._form(item, request.POST)
        if form.is_valid():
            try:
                item = services.raid_item_update(
                    actor=request.user,
                    item=item,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{item.key} saved.")
                return redirect(item)
        return self._render(form, item, status=400)


class ItemDeleteView(ItemMixin, ProgramViewMixin, TemplateView):
    permission_action = "raid.delete"
    nav_section = "risks:raid_log"
    template_name = "risks/item_confirm_delete.html"

    def get(self, request, code, key, **kwargs):
        item = self.get_item()
        actions = (
            selectors.action_list_for_subject(subject=item).count()
            if self.raid_type != RaidType.ACTION
            else 0
        )
        return self.render_to_response(
            self.get_context_data(item=item, info=self.info, attached_actions=actions)
        )

    def post(self, request, code, key, **kwargs):
        item = self.get_item()
        try:
            services.raid_item_delete(
                actor=request.user, item=item, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
            return redirect(item)
        messages.success(request, f"{item.key} {item.title} deleted.")
        return redirect(list_url(self.program, self.raid_type))


class RiskReviewView(ItemMixin, ProgramViewMixin, TemplateView):
    """Record today's review of a risk (re-rating it if needed) and the next review date."""

    permission_action = "raid.change"
    nav_section = "risks:raid_log"
    template_name = "risks/item_detail.html"

    def get(self, request, code, key, **kwargs):
        return redirect(self.get_item())

    def post(self, request, code, key, **kwargs):
        risk = self.get_item()
        self.require_change(risk)
        form = RiskReviewForm(request.POST, risk=risk)
        if form.is_valid():
            try:
                services.risk_review(
                    actor=request.user,
                    risk=risk,
                    expected_version=form.cleaned_data["version"],
                    **form.service_kwargs(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc, aliases={"review_date": "next_review"})
            else:
                messages.success(request, f"Review of {risk.key} recorded.")
                return redirect(risk)
        detail = ItemDetailView()
        detail.setup(request, **self.kwargs)
        detail.access, detail.program = self.access, self.program
        context = detail.get_context_data(item=risk, review_form=form, review_open=True)
        return self.response_class(
            request=request, template=[self.template_name], context=context, status=400
        )


class RiskRaiseIssueView(ItemMixin, ProgramViewMixin, TemplateView):
    """The risk occurred: raise an issue from it; the risk is marked as occurred."""

    permission_action = "raid.change"
    nav_section = "risks:raid_log"
    template_name = "risks/raise_issue.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "raise-form")]

    def _check(self, risk):
        self.require_change(risk)
        if not self.access.can("raid.add"):
            raise PermissionDenied("Your role cannot raise issues.")

    def get(self, request, code, key, **kwargs):
        risk = self.get_item()
        self._check(risk)
        form = RaiseIssueForm(initial={"version": risk.version, "title": risk.title})
        return self.render_to_response(self.get_context_data(form=form, item=risk))

    def post(self, request, code, key, **kwargs):
        risk = self.get_item()
        self._check(risk)
        form = RaiseIssueForm(request.POST)
        if form.is_valid():
            try:
                issue = services.risk_raise_issue(
                    actor=request.user,
                    risk=risk,
                    expected_version=form.cleaned_data["version"],
                    **form.service_kwargs(),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{issue.key} raised from {risk.key}.")
                url = issue.get_absolute_url()
                return _hx_redirect(url) if request.htmx else redirect(url)
        return self.render_to_response(self.get_context_data(form=form, item=risk), status=400)


class ActionSubjectView(ItemMixin, ProgramViewMixin, TemplateView):
    """From an action to what it is attached to (lists link here: no query per row)."""

    permission_action = "raid.view"
    nav_section = "risks:raid_log"

    def get(self, request, code, key, **kwargs):
        action = self.get_item()
        subject = selectors.action_subject(action)
        if subject is None or getattr(subject, "program_id", None) != self.program.pk:
            messages.info(request, f"{action.key} is not attached to anything that still exists.")
            return redirect(action)
        url = getattr(subject, "get_absolute_url", None)
        return redirect(url() if url else action.get_absolute_url())
