"""Deliverable pages. The program's side: the list (filters, status counts, overdue in red), a
deliverable with its criteria, rounds, reviews and acceptance record, the forms (deliverable,
criteria, review, submission on the vendor's behalf, withdrawal) and file downloads. The vendor
portal: my vendor's deliverables, one deliverable with its review reasons, the submission form
and downloads, every query filtered by the bound vendor (another vendor's key answers 404)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from core.forms import apply_validation_error, posted_version
from core.htmx import page_or_partial
from core.versioning import StaleVersionError
from programs.mixins import ProgramViewMixin, paginate

from ..forms.deliverables import (
    CriterionForm,
    DeliverableForm,
    ReviewForm,
    SubmissionForm,
    WithdrawForm,
)
from ..models import AcceptanceCriterion, Contract, Deliverable, DeliverableStatus
from ..selectors import deliverables as selectors
from ..services import deliverables as services
from ..services.errors import Refused
from .mixins import PortalViewMixin

log = logging.getLogger(__name__)
S = DeliverableStatus
NAV = "vendors:deliverable_list"
PORTAL_NAV = "vendors:portal_deliverables"
SUBMITTABLE = (S.PLANNED, S.REJECTED)


def _detail_url(program, key: str, *, portal: bool = False) -> str:
    name = "vendors:portal_deliverable_detail" if portal else "vendors:deliverable_detail"
    return reverse(name, kwargs={"code": program.code, "key": key})


def _file_response(found, deliverable_key: str):
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as exc:
        log.error("File %s of %s is missing from storage", found.pk, deliverable_key)
        raise Http404("This file is missing from storage.") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=found.file_name, content_type=found.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _acceptance(rounds: list[selectors.RoundView]):
    """The round whose review accepted the deliverable, or None."""
    for round_ in rounds:
        if round_.review is not None and round_.review.outcome == "accepted":
            return round_
    return None


def _detail_context(deliverable) -> dict:
    rounds = selectors.rounds_of(deliverable)
    criteria = list(deliverable.criteria.all())
    judged = {r["result"].criterion_id for round_ in rounds for r in round_.results}
    return {
        "deliverable": deliverable,
        "criteria": criteria,
        "judged": judged,
        "rounds": rounds,
        "acceptance": _acceptance(rounds),
        "awaiting": rounds[0] if rounds and rounds[0].review is None else None,
        "status_colour": selectors.STATUS_COLOURS[deliverable.status],
        "status_icon": selectors.STATUS_ICONS[deliverable.status],
        "overdue": deliverable.status in SUBMITTABLE
        and deliverable.due_date < timezone.localdate(),
        "today": timezone.localdate(),
    }


# --- the program's pages --------------------------------------------------------------------


class DeliverableListView(ProgramViewMixin, TemplateView):
    permission_action = "deliverable.view"
    nav_section = NAV
    template_name = "vendors/deliverables/deliverable_list.html"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "deliverable-table")]

    def get_context_data(self, **kwargs):
        filterset = selectors.DeliverableFilterSet(
            self.request.GET or None,
            queryset=selectors.deliverable_list(program=self.program),
            program=self.program,
        )
        data = filterset.data or {}
        return super().get_context_data(
            filter=filterset,
            filtered=any(data.get(k) for k in ("q", "vendor", "contract", "status", "due")),
            page_obj=paginate(self.request, filterset.qs),
            counts=selectors.status_counts(program=self.program),
            colours=selectors.STATUS_COLOURS,
            today=timezone.localdate(),
            can_change=self.access.can("deliverable.change"),
            **kwargs,
        )


class DeliverableCreateView(ProgramViewMixin, TemplateView):
    permission_action = "deliverable.change"
    nav_section = NAV
    template_name = "vendors/deliverables/deliverable_form.html"

    def get(self, request, code):
        initial = {}
        contract = request.GET.get("contract")
        if contract:
            initial["contract"] = (
                self._contracts().filter(key=contract.upper()).values_list("pk", flat=True).first()
            )
        form = DeliverableForm(program=self.program, initial=initial)
        return self.render_to_response(self.get_context_data(form=form))

    def _contracts(self):
        return Contract.objects.filter(program=self.program)

    def post(self, request, code):
        form = DeliverableForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                deliverable = services.deliverable_create(
                    actor=request.user,
                    program=self.program,
                    criteria=form.criteria_lines(),
                    **form.changes(),
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                count = deliverable.criteria.count()
                messages.success(
                    request,
                    f"{deliverable.key} created with {count} acceptance "
                    f"criteri{'on' if count == 1 else 'a'}.",
                )
                return redirect(deliverable)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DeliverableDetailView(ProgramViewMixin, TemplateView):
    """The deliverable, its criteria, every round (note, files, review per criterion) and the
    acceptance record."""

    permission_action = "deliverable.view"
    nav_section = NAV
    template_name = "vendors/deliverables/deliverable_detail.html"

    def get_context_data(self, **kwargs):
        deliverable = selectors.deliverable_detail(program=self.program, key=self.kwargs["key"])
        return super().get_context_data(
            **_detail_context(deliverable),
            can_change=self.access.can("deliverable.change"),
            can_review=self.access.can("deliverable.review"),
            can_history=self.access.can("activity.view"),
            **kwargs,
        )


class DeliverableEditView(ProgramViewMixin, TemplateView):
    permission_action = "deliverable.change"
    nav_section = NAV
    template_name = "vendors/deliverables/deliverable_form.html"

    def get(self, request, code, key):
        deliverable = selectors.deliverable_get(program=self.program, key=key)
        form = DeliverableForm(program=self.program, deliverable=deliverable)
        return self.render_to_response(self.get_context_data(form=form, deliverable=deliverable))

    def post(self, request, code, key):
        deliverable = selectors.deliverable_get(program=self.program, key=key)
        form = DeliverableForm(request.POST, program=self.program, deliverable=deliverable)
        if form.is_valid():
            try:
                deliverable = services.deliverable_update(
                    actor=request.user,
                    deliverable=deliverable,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(deliverable),
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, f"{deliverable.key} saved.")
                return redirect(deliverable)
        context = self.get_context_data(form=form, deliverable=deliverable)
        return self.render_to_response(context, status=400)


class DeliverableDeleteView(ProgramViewMixin, TemplateView):
    permission_action = "deliverable.change"
    nav_section = NAV
    template_name = "vendors/deliverables/deliverable_confirm.html"

    def get(self, request, code, key):
        deliverable = selectors.deliverable_get(program=self.program, key=key)
        return self.render_to_response(
            self.get_context_data(deliverable=deliverable, action="delete")
        )

    def post(self, request, code, key):
        deliverable = selectors.deliverable_get(program=self.program, key=key)
        try:
            services.deliverable_delete(
                actor=request.user,
                deliverable=deliverable,
                expected_version=posted_version(request),
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was deleted; review it first.")
            return redirect(deliverable)
        except Refused as exc:
            messages.error(request, exc.reason)
            return redirect(deliverable)
        messages.success(request, f"{deliverable.key} {deliverable.title} deleted.")
        return redirect("vendors:deliverable_list", code=code)


class DeliverableWithdrawView(ProgramViewMixin, TemplateView):
    permission_action = "deliverable.change"
    nav_section = NAV
    template_name = "vendors/deliverables/deliverable_confirm.html"

    def get(self, request, code, key):
        deliverable = selectors.deliverable_get(program=self.program, key=key)
        form = WithdrawForm(initial={"version": deliverable.version})
        return self.render_to_response(
            self.get_context_data(deliverable=deliverable, form=form, action="withdraw")
        )

    def post(self, request, code, key):
        deliverable = selectors.deliverable_get(program=self.program, key=key)
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.deliverable_withdraw(
                    actor=request.user,
                    deliverable=deliverable,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect(deliverable)
            else:
                messages.success(request, f"{deliverable.key} withdrawn.")
                return redirect(deliverable)
        return self.render_to_response(
            self.get_context_data(deliverable=deliverable, form=form, action="withdraw"),
            status=400,
        )


class DeliverableReviewView(ProgramViewMixin, TemplateView):
    """The review of the round awaiting it: met / not met and a reason, per criterion."""

    permission_action = "deliverable.review"
    nav_section = NAV
    template_name = "vendors/deliverables/deliverable_review.html"

    def _load(self, key):
        deliverable = selectors.deliverable_detail(program=self.program, key=key)
        if deliverable.status != S.SUBMITTED:
            messages.info(
                self.request, f"{deliverable.key} has no round awaiting review right now."
            )
            return deliverable, None
        return deliverable, list(deliverable.criteria.all())

    def _render(self, deliverable, form, status=200):
        context = self.get_context_data(**_detail_context(deliverable), form=form, rows=form.rows())
        return self.render_to_response(context, status=status)

    def get(self, request, code, key):
        deliverable, criteria = self._load(key)
        if criteria is None:
            return redirect(deliverable)
        form = ReviewForm(criteria=criteria, initial={"version": deliverable.version})
        return self._render(deliverable, form)

    def post(self, request, code, key):
        deliverable, criteria = self._load(key)
        if criteria is None:
            return redirect(deliverable)
        form = ReviewForm(request.POST, criteria=criteria)
        if form.is_valid():
            try:
                review = services.deliverable_review(
                    actor=request.user,
                    deliverable=deliverable,
                    results=form.results(),
                    summary=form.cleaned_data["summary"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect(deliverable)
            else:
                if review.outcome == "accepted":
                    text = f"{deliverable.key} accepted: every criterion is met."
                else:
                    missed = review.results.filter(met=False).count()
                    text = (
                        f"Round {review.submission.round} of {deliverable.key} rejected "
                        f"({missed} criteri{'on' if missed == 1 else 'a'} not met). "
                        "The vendor has been e-mailed the reasons."
                    )
                messages.success(request, text)
                return redirect(deliverable)
        return self._render(deliverable, form, status=400)


class _SubmitBase(TemplateView):
    """The submission form: shared by the portal and by staff submitting on the vendor's behalf."""

    template_name = "vendors/deliverables/deliverable_submit.html"
    portal = False
    deliverable: Callable[[str], Deliverable]  # the portal's or staff's lookup by key

    def _closed(self, deliverable):
        """A redirect with the reason when no round can be submitted now, else None."""
        if deliverable.status in SUBMITTABLE and deliverable.criteria.exists():
            return None
        if deliverable.status == S.SUBMITTED:
            text = (
                f"Round {deliverable.rounds} of {deliverable.key} is awaiting review; a new "
                "round can be submitted once it has been reviewed."
            )
        elif deliverable.status in SUBMITTABLE:
            text = f"{deliverable.key} has no acceptance criteria yet: nothing can be submitted."
        else:
            text = f"{deliverable.key} is {deliverable.get_status_display().lower()}: nothing "
            text += "more to submit."
        messages.info(self.request, text)
        return redirect(_detail_url(self.program, deliverable.key, portal=self.portal))

    def _render(self, deliverable, form, status=200):
        context = self.get_context_data(**_detail_context(deliverable), form=form)
        return self.render_to_response(context, status=status)

    def get(self, request, code, key):
        deliverable = self.deliverable(key)
        closed = self._closed(deliverable)
        if closed is not None:
            return closed
        return self._render(deliverable, SubmissionForm(initial={"version": deliverable.version}))

    def post(self, request, code, key):
        deliverable = self.deliverable(key)
        closed = self._closed(deliverable)
        if closed is not None:
            return closed
        form = SubmissionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                submission = services.deliverable_submit(
                    actor=request.user,
                    deliverable=deliverable,
                    files=form.cleaned_data["files"],
                    note=form.cleaned_data["note"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, exc.reason)
                return redirect(_detail_url(self.program, deliverable.key, portal=self.portal))
            else:
                files = len(form.cleaned_data["files"])
                messages.success(
                    request,
                    f"Round {submission.round} of {deliverable.key} submitted with {files} "
                    f"file{'s' if files != 1 else ''}. The program has been told; its review "
                    "will appear here.",
                )
                return redirect(_detail_url(self.program, deliverable.key, portal=self.portal))
        return self._render(deliverable, form, status=400)


class DeliverableSubmitView(ProgramViewMixin, _SubmitBase):
    """Program staff submit a round on the vendor's behalf (e.g. files that came by e-mail)."""

    permission_action = "deliverable.change"
    nav_section = NAV

    def deliverable(self, key):
        return selectors.deliverable_detail(program=self.program, key=key)


class DeliverableFileView(ProgramViewMixin, TemplateView):
    permission_action = "deliverable.view"

    def get(self, request, code, key, id):
        found = selectors.submission_file_get(program=self.program, key=key, pk=id)
        return _file_response(found, key)


class CriteriaView(ProgramViewMixin, TemplateView):
    """The criteria of a deliverable, each editable until a review has judged it; POST adds."""

    permission_action = "deliverable.change"
    nav_section = NAV
    template_name = "vendors/deliverables/deliverable_criteria.html"

    def _render(self, deliverable, *, add_form=None, edit=None, edit_form=None, status=200):
        context = _detail_context(deliverable)
        locked = services.criteria_locked_reason(deliverable)
        return self.render_to_response(
            self.get_context_data(
                **context,
                locked=locked,
                add_form=add_form or CriterionForm(),
                edit=edit,
                edit_form=edit_form,
            ),
            status=status,
        )

    def get(self, request, code, key):
        deliverable = selectors.deliverable_detail(program=self.program, key=key)
        edit = edit_form = None
        if request.GET.get("edit"):
            edit = _criterion(deliverable, request.GET["edit"])
            edit_form = CriterionForm(criterion=edit)
        return self._render(deliverable, edit=edit, edit_form=edit_form)

    def post(self, request, code, key):
        deliverable = selectors.deliverable_detail(program=self.program, key=key)
        form = CriterionForm(request.POST)
        if form.is_valid():
            try:
                services.criterion_add(
                    actor=request.user, deliverable=deliverable, text=form.cleaned_data["text"]
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, f"Criterion added to {deliverable.key}.")
                return redirect("vendors:deliverable_criteria", code=code, key=deliverable.key)
        return self._render(deliverable, add_form=form, status=400)


def _criterion(deliverable, pk) -> AcceptanceCriterion:
    for criterion in deliverable.criteria.all():
        if str(criterion.pk) == str(pk):
            return criterion
    raise Http404("No such criterion")


class CriterionEditView(CriteriaView):
    def get(self, request, code, key, id):
        return redirect(
            reverse("vendors:deliverable_criteria", kwargs={"code": code, "key": key})
            + f"?edit={id}#criterion-{id}"
        )

    def post(self, request, code, key, id):
        deliverable = selectors.deliverable_detail(program=self.program, key=key)
        criterion = _criterion(deliverable, id)
        form = CriterionForm(request.POST, criterion=criterion)
        if form.is_valid():
            try:
                services.criterion_update(
                    actor=request.user,
                    criterion=criterion,
                    text=form.cleaned_data["text"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersionError as exc:
                form.report_conflict(exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, "Criterion saved.")
                return redirect("vendors:deliverable_criteria", code=code, key=deliverable.key)
        return self._render(deliverable, edit=criterion, edit_form=form, status=400)


class CriterionDeleteView(CriteriaView):
    def get(self, request, code, key, id):
        return redirect("vendors:deliverable_criteria", code=code, key=key)

    def post(self, request, code, key, id):
        deliverable = selectors.deliverable_detail(program=self.program, key=key)
        criterion = _criterion(deliverable, id)
        try:
            services.criterion_delete(
                actor=request.user, criterion=criterion, expected_version=posted_version(request)
            )
        except StaleVersionError as exc:
            messages.error(request, f"{exc} Nothing was removed.")
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, "Criterion removed.")
        return redirect("vendors:deliverable_criteria", code=code, key=deliverable.key)


class CriterionMoveView(CriteriaView):
    """Move a criterion one place up or down (`direction`)."""

    def get(self, request, code, key, id):
        return redirect("vendors:deliverable_criteria", code=code, key=key)

    def post(self, request, code, key, id):
        deliverable = selectors.deliverable_detail(program=self.program, key=key)
        criterion = _criterion(deliverable, id)
        order = [c.pk for c in deliverable.criteria.all()]
        at = order.index(criterion.pk)
        to = at - 1 if request.POST.get("direction") == "up" else at + 1
        if 0 <= to < len(order):
            order[at], order[to] = order[to], order[at]
            try:
                services.criteria_reorder(actor=request.user, deliverable=deliverable, order=order)
            except Refused as exc:
                messages.error(request, exc.reason)
        return redirect(
            reverse("vendors:deliverable_criteria", kwargs={"code": code, "key": key})
            + f"#criterion-{criterion.pk}"
        )


# --- the vendor portal ----------------------------------------------------------------------


class PortalDeliverableListView(PortalViewMixin, TemplateView):
    """My company's deliverables: due dates, status and what to do next."""

    permission_action = "portal.view"
    nav_section = PORTAL_NAV
    template_name = "vendors/deliverables/portal_list.html"

    def get_context_data(self, **kwargs):
        queryset = selectors.portal_deliverable_list(program=self.program, vendor=self.vendor)
        status = self.request.GET.get("status", "")
        if status == "todo":
            queryset = queryset.filter(status__in=SUBMITTABLE)
        elif status in S.values:
            queryset = queryset.filter(status=status)
        else:
            status = ""
        page = paginate(self.request, queryset)
        today = timezone.localdate()
        for deliverable in page.object_list:
            deliverable.next_step = selectors.next_step(deliverable, today=today)
        counts = selectors.status_counts(program=self.program, vendor=self.vendor)
        by_value = {c["value"]: c["count"] for c in counts}
        return super().get_context_data(
            page_obj=page,
            status=status,
            todo=by_value[S.PLANNED] + by_value[S.REJECTED],
            counts=counts,
            colours=selectors.STATUS_COLOURS,
            today=today,
            **kwargs,
        )


class PortalDeliverableDetailView(PortalViewMixin, TemplateView):
    permission_action = "portal.view"
    nav_section = PORTAL_NAV
    template_name = "vendors/deliverables/portal_detail.html"

    def get_context_data(self, **kwargs):
        deliverable = selectors.deliverable_detail(
            program=self.program, key=self.kwargs["key"], vendor=self.vendor
        )
        context = _detail_context(deliverable)
        latest = context["rounds"][0] if context["rounds"] else None
        deliverable.not_met = len(latest.not_met) if latest else 0
        return super().get_context_data(
            **context,
            next=selectors.next_step(deliverable),
            **kwargs,
        )


class PortalDeliverableSubmitView(PortalViewMixin, _SubmitBase):
    permission_action = "portal.submit"
    nav_section = PORTAL_NAV
    portal = True

    def deliverable(self, key):
        return selectors.deliverable_detail(program=self.program, key=key, vendor=self.vendor)


class PortalDeliverableFileView(PortalViewMixin, TemplateView):
    permission_action = "portal.view"

    def get(self, request, code, key, id):
        found = selectors.submission_file_get(
            program=self.program, key=key, pk=id, vendor=self.vendor
        )
        return _file_response(found, key)
