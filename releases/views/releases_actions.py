"""The release tabs' actions: readiness criteria (add, edit, delete, the five defaults, the
manual check and its undoing), sign-offs (ask, sign, decline or withdraw, stop asking), the
rollback plan (owner and trigger, steps, approval) and the release log."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from core.forms import posted_version

from ..forms.releases import (
    CriterionForm,
    DeclineForm,
    EvidenceForm,
    LogEntryForm,
    RollbackPlanForm,
    SignForm,
    SignoffForm,
    StepForm,
)
from ..models import CriterionKind
from ..selectors import releases as selectors
from ..services import release_reviews as review_services
from ..services import release_rollback as rollback_services
from ..services import releases as services
from .releases import ReleaseActionView, ReleasePostView

# --- readiness criteria ---------------------------------------------------------------------


class CriterionCreateView(ReleaseActionView):
    permission_action = "release.change"
    title = "Add a readiness criterion"
    submit_label = "Add criterion"
    submit_icon = "ti-plus"
    intro = (
        "Each kind is evaluated from the release's data; a manual criterion is checked by a "
        "person who writes down the evidence."
    )

    def build_form(self, data=None):
        return CriterionForm(data)

    def perform(self, form) -> str:
        criterion = services.criterion_create(
            actor=self.request.user, release=self.release, **form.values()
        )
        return f"Criterion “{criterion.label or criterion.get_kind_display()}” added."

    def form_context(self):
        return {"criterion_form": True}


class _CriterionMixin:
    def setup_objects(self) -> None:
        self.release = self.get_release()
        self.criterion = selectors.criterion_get(self.release, self.kwargs["id"])


class CriterionEditView(_CriterionMixin, ReleaseActionView):
    permission_action = "release.change"
    title = "Edit a readiness criterion"

    def build_form(self, data=None):
        return CriterionForm(data, criterion=self.criterion)

    def perform(self, form) -> str:
        values = form.values()
        services.criterion_update(
            actor=self.request.user,
            criterion=self.criterion,
            expected_version=form.cleaned_data["version"],
            **values,
        )
        return "Criterion saved."

    def form_context(self):
        return {"criterion_form": True}


class CriterionDeleteView(_CriterionMixin, ReleasePostView):
    permission_action = "release.change"

    def perform(self) -> str:
        services.criterion_delete(
            actor=self.request.user,
            criterion=self.criterion,
            expected_version=posted_version(self.request),
        )
        return f"Criterion “{self.criterion}” removed."


class CriteriaDefaultsView(ReleasePostView):
    permission_action = "release.change"

    def perform(self) -> str:
        added = services.criteria_add_defaults(actor=self.request.user, release=self.release)
        if not added:
            return "The release already has the five default criteria."
        return f"{len(added)} default criteri{'on' if len(added) == 1 else 'a'} added."


class CriterionCheckView(_CriterionMixin, ReleaseActionView):
    permission_action = "release.change"
    submit_label = "Mark as met"
    submit_icon = "ti-check"

    def get_title(self) -> str:
        return f"Check “{self.criterion}”"

    def get_intro(self) -> str:
        return "You confirm this criterion is met. Your name, the time and the evidence are kept."

    def setup_objects(self) -> None:
        super().setup_objects()
        if self.criterion.kind != CriterionKind.MANUAL:
            raise Http404("Only a manual criterion is checked by hand.")

    def build_form(self, data=None):
        return EvidenceForm(data, initial={"version": self.criterion.version})

    def perform(self, form) -> str:
        services.criterion_check(
            actor=self.request.user,
            criterion=self.criterion,
            evidence=form.cleaned_data["evidence"],
            expected_version=form.cleaned_data["version"],
        )
        return f"“{self.criterion}” checked."


class CriterionUncheckView(_CriterionMixin, ReleasePostView):
    permission_action = "release.change"

    def perform(self) -> str:
        services.criterion_uncheck(
            actor=self.request.user,
            criterion=self.criterion,
            expected_version=posted_version(self.request),
        )
        return f"The check of “{self.criterion}” was taken back."


# --- sign-offs ------------------------------------------------------------------------------


class SignoffCreateView(ReleaseActionView):
    permission_action = "release.change"
    tab = "signoffs"
    title = "Ask for a sign-off"
    submit_label = "Ask for sign-off"
    submit_icon = "ti-signature"
    intro = (
        "Only the person you name can give this sign-off; the release is not ready until they do."
    )

    def build_form(self, data=None):
        return SignoffForm(data, program=self.program)

    def perform(self, form) -> str:
        signoff = review_services.signoff_create(
            actor=self.request.user, release=self.release, **form.cleaned_data
        )
        return f"{signoff.signer} is asked for the “{signoff.role}” sign-off."


class _SignoffMixin:
    tab = "signoffs"

    def setup_objects(self) -> None:
        self.release = self.get_release()
        self.signoff = selectors.signoff_get(self.release, self.kwargs["id"])


class SignoffSignView(_SignoffMixin, ReleaseActionView):
    permission_action = "release.signoff"
    submit_label = "Sign off"
    submit_icon = "ti-signature"

    def get_title(self) -> str:
        return f"Sign off {self.release.key} as {self.signoff.role}"

    def get_intro(self) -> str:
        return (
            f"You confirm, as {self.signoff.role}, that {self.release.key} {self.release} can "
            "go live. Your name and the time are recorded."
        )

    def build_form(self, data=None):
        return SignForm(data, initial={"version": self.signoff.version})

    def perform(self, form) -> str:
        review_services.signoff_sign(
            actor=self.request.user,
            signoff=self.signoff,
            comment=form.cleaned_data["comment"],
            expected_version=form.cleaned_data["version"],
        )
        return f"Signed off as {self.signoff.role}."


class SignoffDeclineView(_SignoffMixin, ReleaseActionView):
    permission_action = "release.signoff"
    submit_style = "btn-danger"
    submit_icon = "ti-x"

    def get_title(self) -> str:
        verb = "Withdraw" if self.signoff.signed_at else "Decline"
        return f"{verb} the {self.signoff.role} sign-off"

    @property
    def submit_label(self) -> str:  # type: ignore[override]
        return "Withdraw sign-off" if self.signoff.signed_at else "Decline"

    def build_form(self, data=None):
        return DeclineForm(data, initial={"version": self.signoff.version})

    def perform(self, form) -> str:
        review_services.signoff_decline(
            actor=self.request.user,
            signoff=self.signoff,
            comment=form.cleaned_data["comment"],
            expected_version=form.cleaned_data["version"],
        )
        return f"The {self.signoff.role} sign-off is declined; the reason is shown to the team."


class SignoffDeleteView(_SignoffMixin, ReleasePostView):
    permission_action = "release.change"

    def perform(self) -> str:
        review_services.signoff_delete(
            actor=self.request.user,
            signoff=self.signoff,
            expected_version=posted_version(self.request),
        )
        return f"The “{self.signoff.role}” sign-off is no longer asked for."


# --- rollback plan --------------------------------------------------------------------------


class RollbackPlanEditView(ReleaseActionView):
    permission_action = "release.change"
    tab = "rollback"
    submit_label = "Save plan"

    def setup_objects(self) -> None:
        self.release = self.get_release()
        self.plan = selectors.rollback_plan(self.release)

    def get_title(self) -> str:
        return "Edit the rollback plan" if self.plan else "Write the rollback plan"

    def get_intro(self) -> str:
        if self.plan and self.plan.status == "approved":
            return "The plan is approved: saving a change returns it to draft for approval again."
        return "Who leads a rollback and when it is triggered; add the steps on the plan's tab."

    def build_form(self, data=None):
        return RollbackPlanForm(data, program=self.program, plan=self.plan)

    def perform(self, form) -> str:
        rollback_services.rollback_plan_save(
            actor=self.request.user,
            release=self.release,
            expected_version=form.cleaned_data["version"],
            owner=form.cleaned_data["owner"],
            trigger=form.cleaned_data["trigger"],
        )
        return "Rollback plan saved."


class RollbackPlanApproveView(ReleasePostView):
    permission_action = "release.change"
    tab = "rollback"

    def perform(self) -> str:
        rollback_services.rollback_plan_approve(actor=self.request.user, release=self.release)
        return "Rollback plan approved."


class RollbackStepCreateView(ReleaseActionView):
    permission_action = "release.change"
    tab = "rollback"
    title = "Add a rollback step"
    submit_label = "Add step"
    submit_icon = "ti-plus"

    def build_form(self, data=None):
        return StepForm(data, program=self.program)

    def perform(self, form) -> str:
        step = rollback_services.rollback_step_add(
            actor=self.request.user, release=self.release, **form.values()
        )
        return f"Step {step.position} added."


class _StepMixin:
    tab = "rollback"

    def setup_objects(self) -> None:
        self.release = self.get_release()
        self.step = selectors.rollback_step_get(self.release, self.kwargs["id"])


class RollbackStepEditView(_StepMixin, ReleaseActionView):
    permission_action = "release.change"

    def get_title(self) -> str:
        return f"Edit step {self.step.position}"

    def build_form(self, data=None):
        return StepForm(data, program=self.program, step=self.step)

    def perform(self, form) -> str:
        rollback_services.rollback_step_update(
            actor=self.request.user,
            step=self.step,
            expected_version=form.cleaned_data["version"],
            **form.values(),
        )
        return f"Step {self.step.position} saved."


class RollbackStepDeleteView(_StepMixin, ReleasePostView):
    permission_action = "release.change"

    def perform(self) -> str:
        rollback_services.rollback_step_delete(
            actor=self.request.user, step=self.step, expected_version=posted_version(self.request)
        )
        return f"Step {self.step.position} removed."


class RollbackStepMoveView(_StepMixin, ReleasePostView):
    permission_action = "release.change"

    def perform(self) -> str:
        direction = self.request.POST.get("direction", "")
        rollback_services.rollback_step_move(
            actor=self.request.user, step=self.step, direction=direction
        )
        return ""


# --- release log ----------------------------------------------------------------------------


class LogEntryCreateView(ReleaseActionView):
    permission_action = "release.change"
    tab = "log"
    title = "Add to the release log"
    submit_label = "Add entry"
    submit_icon = "ti-plus"
    intro = (
        "The log is kept as written: entries are never edited. A successful production "
        "deployment after the go decision marks the release released; a successful rollback "
        "marks it rolled back."
    )

    def build_form(self, data=None):
        now = timezone.localtime().replace(second=0, microsecond=0)
        return LogEntryForm(data, initial={"occurred_at": now})

    def perform(self, form) -> str:
        before = self.release.status
        entry = rollback_services.log_entry_add(
            actor=self.request.user, release=self.release, **form.values()
        )
        self.release.refresh_from_db()
        text = f"{entry.get_kind_display()} logged."
        if self.release.status != before:
            text += f" {self.release.key} is now {self.release.get_status_display().lower()}."
        return text
