"""Forms of the release pages: the release, cancelling it, its scope, readiness criteria and
their manual check, sign-offs, go/no-go reviews (votes and the decision with its override), the
rollback plan and its steps, and the release log. People are the program's members only."""

from __future__ import annotations

from django import forms

from core.forms import VersionedForm
from core.models import User
from programs.models import Program
from programs.selectors import member_users

from ..models import (
    BacklogItem,
    CriterionKind,
    CycleKind,
    Decision,
    LogKind,
    MoSCoW,
    Release,
    Requirement,
    Severity,
    Vote,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
RELEASE_FIELDS = ("version_label", "name", "description", "planned_date", "owner")


def _person(user: User) -> str:
    name = user.full_name or user.email
    return f"{name} — {user.job_title}" if user.job_title else name


def _people(field: forms.Field, program: Program) -> None:
    field.queryset = member_users(program=program)
    field.label_from_instance = _person


class ReleaseForm(VersionedForm):
    version_label = forms.CharField(
        label="Version", max_length=40, help_text="How people name it: 1.0, 2026.3, Wave 2."
    )
    name = forms.CharField(max_length=200, required=False, help_text="e.g. Finance go-live.")
    planned_date = forms.DateField(label="Planned go-live", widget=DATE)
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody yet",
        help_text="The release manager.",
    )  # fmt: skip
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What goes live, for whom.",
    )

    def __init__(self, *args, program: Program, release: Release | None = None, **kwargs):
        if release is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(release, name) for name in RELEASE_FIELDS},
                "owner": release.owner_id,
                "version": release.version,
            }
        super().__init__(*args, **kwargs)
        _people(self.fields["owner"], program)
        self.fields["version"].required = release is not None

    def changes(self, release: Release | None = None) -> dict:
        data = {name: self.cleaned_data[name] for name in RELEASE_FIELDS}
        if release is None:
            return data
        return {name: value for name, value in data.items() if getattr(release, name) != value}


class ReasonForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the release is cancelled; it goes into the release log.",
    )


class ScopeAddForm(forms.Form):
    requirements = forms.ModelMultipleChoiceField(
        queryset=Requirement.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    backlog_items = forms.ModelMultipleChoiceField(
        queryset=BacklogItem.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirements"].queryset = Requirement.objects.filter(program=program)
        self.fields["backlog_items"].queryset = BacklogItem.objects.filter(program=program)

    def clean(self):
        data = super().clean()
        if not data.get("requirements") and not data.get("backlog_items"):
            raise forms.ValidationError("Tick the requirements or backlog items to add.")
        return data


SEVERITY_CHOICES = [("", "—")] + [
    (value, f"{label} or worse" if value > 1 else f"{label} only")
    for value, label in Severity.choices
]


class CriterionForm(VersionedForm):
    kind = forms.ChoiceField(choices=CriterionKind.choices)
    label = forms.CharField(
        max_length=200,
        required=False,
        help_text="Shown instead of the generated wording; required for a manual criterion.",
    )
    severity = forms.TypedChoiceField(
        choices=SEVERITY_CHOICES, coerce=int, required=False, empty_value=None,
        help_text="For “no open defects”: this severity or worse.",
    )  # fmt: skip
    threshold = forms.DecimalField(
        label="Threshold (%)", max_digits=5, decimal_places=2, min_value=0, max_value=100,
        required=False, help_text="For a pass rate, e.g. 95.",
    )  # fmt: skip
    cycle_kind = forms.ChoiceField(
        label="Cycle kind", choices=[("", "—"), *CycleKind.choices], required=False,
        help_text="For a pass rate: the release's cycles of this kind.",
    )  # fmt: skip
    priority = forms.ChoiceField(
        choices=[("", "—"), *MoSCoW.choices], required=False,
        help_text="For “requirements verified”: the scope requirements of this priority.",
    )  # fmt: skip

    FIELDS = ("kind", "label", "severity", "threshold", "cycle_kind", "priority")

    def __init__(self, *args, criterion=None, **kwargs):
        if criterion is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(criterion, name) for name in self.FIELDS},
                "version": criterion.version,
            }
        super().__init__(*args, **kwargs)
        self.fields["version"].required = criterion is not None

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class EvidenceForm(VersionedForm):
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you checked and where the record is (a document, a ticket, a log).",
    )


class SignoffForm(forms.Form):
    role = forms.CharField(max_length=120, help_text="e.g. Business owner, Finance, Security.")
    signer = forms.ModelChoiceField(queryset=User.objects.none(), empty_label="Choose a person…")

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        _people(self.fields["signer"], program)


class SignForm(VersionedForm):
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: conditions or remarks with your sign-off.",
    )  # fmt: skip


class DeclineForm(VersionedForm):
    comment = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What has to change before you sign.",
    )  # fmt: skip


class ReviewForm(VersionedForm):
    held_at = forms.DateTimeField(label="Held at", widget=DATETIME)
    attendees = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Each attendee can vote.",
    )  # fmt: skip
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was discussed: open defects, the test summary, the cut-over plan.",
    )  # fmt: skip

    def __init__(self, *args, program: Program, review=None, **kwargs):
        if review is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "held_at": review.held_at,
                "attendees": [a.pk for a in review.attendees.all()],
                "notes": review.notes,
                "version": review.version,
            }
        super().__init__(*args, **kwargs)
        _people(self.fields["attendees"], program)
        self.fields["version"].required = review is not None


class VoteForm(forms.Form):
    voter = forms.ModelChoiceField(queryset=User.objects.none(), empty_label=None)
    vote = forms.ChoiceField(choices=Vote.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for a no-go vote.",
    )  # fmt: skip

    def __init__(self, *args, voters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voter"].queryset = voters
        self.fields["voter"].label_from_instance = _person


class DecideForm(VersionedForm):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    conditions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a go: what must hold (e.g. hypercare staffed). For a no-go: what must "
        "change before the next review.",
    )  # fmt: skip
    override = forms.BooleanField(
        required=False,
        label="Override the failing readiness criteria",
        help_text="Only the program manager can; it is recorded with the reason.",
    )
    override_reason = forms.CharField(
        label="Reason for the override", required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class RollbackPlanForm(VersionedForm):
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody yet",
        help_text="Who decides and leads a rollback.",
    )  # fmt: skip
    trigger = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="When to roll back: the conditions and the point of no return.",
    )  # fmt: skip

    def __init__(self, *args, program: Program, plan=None, **kwargs):
        if plan is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "owner": plan.owner_id,
                "trigger": plan.trigger,
                "version": plan.version,
            }
        super().__init__(*args, **kwargs)
        _people(self.fields["owner"], program)
        self.fields["version"].required = plan is not None


class StepForm(VersionedForm):
    action = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody yet"
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=0, max_value=10080, required=False
    )

    def __init__(self, *args, program: Program, step=None, **kwargs):
        if step is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "action": step.action,
                "owner": step.owner_id,
                "duration_minutes": step.duration_minutes,
                "version": step.version,
            }
        super().__init__(*args, **kwargs)
        _people(self.fields["owner"], program)
        self.fields["version"].required = step is not None

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("action", "owner", "duration_minutes")}


SUCCEEDED_CHOICES = [("", "Not applicable"), ("yes", "Succeeded"), ("no", "Failed")]


class LogEntryForm(forms.Form):
    kind = forms.ChoiceField(choices=LogKind.choices)
    occurred_at = forms.DateTimeField(label="When", widget=DATETIME)
    environment = forms.CharField(
        max_length=80, required=False, help_text="e.g. Production, Pre-production."
    )
    succeeded = forms.TypedChoiceField(
        label="Outcome", choices=SUCCEEDED_CHOICES, required=False, empty_value=None,
        coerce=lambda value: value == "yes",
        help_text="For a deployment or a rollback. A successful production deployment after "
        "the go decision marks the release released.",
    )  # fmt: skip
    summary = forms.CharField(max_length=300)
    details = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    FIELDS = ("kind", "occurred_at", "environment", "succeeded", "summary", "details")

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}
