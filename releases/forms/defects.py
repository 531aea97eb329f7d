"""Forms of defects: raise or edit one, and one step of its workflow (with what the step asks
for). Choice querysets are scoped to the program."""

from __future__ import annotations

from django import forms

from core.forms import VersionedForm
from core.models import User
from programs.models import Program, Workstream

from ..models import (
    Defect,
    DefectPriority,
    DefectStatus,
    RejectionReason,
    Release,
    ReleaseStatus,
    Requirement,
    Severity,
    TestCase,
    TestCycle,
    TestRun,
)
from ..services import defects as services

DEFECT_FIELDS = services.EDITABLE


def _person(user: User) -> str:
    return f"{user.full_name} — {user.job_title}" if user.job_title else user.full_name


def _members(program: Program):
    return (
        User.objects.filter(memberships__program=program, is_active=True)
        .distinct()
        .order_by("full_name")
    )


def _release_label(release: Release) -> str:
    name = f" {release.name}" if release.name else ""
    return f"{release.version_label}{name} ({release.planned_date:%d %b %Y})"


class DefectForm(VersionedForm):
    """A new defect or an edit of one (never its status: that is the workflow's)."""

    title = forms.CharField(
        max_length=300, help_text="What goes wrong, where: e.g. “Payment run skips vendor 4711”."
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Steps to reproduce, expected result, actual result, data used.",
    )
    severity = forms.TypedChoiceField(
        choices=Severity.choices,
        coerce=int,
        initial=Severity.MAJOR,
        help_text="1 blocks a business process with no workaround; 4 is cosmetic.",
    )
    priority = forms.ChoiceField(choices=DefectPriority.choices, initial=DefectPriority.MEDIUM)
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Not assigned yet",
        help_text="Who fixes it (set when it is triaged).",
    )
    workstream = forms.ModelChoiceField(
        queryset=Workstream.objects.none(), required=False, empty_label="No workstream"
    )
    found_in_cycle = forms.ModelChoiceField(
        queryset=TestCycle.objects.none(),
        required=False,
        label="Found in test cycle",
        empty_label="Not found in a test cycle",
    )
    test_case = forms.ModelChoiceField(
        queryset=TestCase.objects.none(),
        required=False,
        label="Test case",
        empty_label="No test case",
        help_text="Closing it then needs a passing run of this case after the fix.",
    )
    test_run = forms.ModelChoiceField(
        queryset=TestRun.objects.none(),
        required=False,
        label="Failed run",
        empty_label="No run",
        help_text="The failed or blocked run that found it.",
    )
    requirement = forms.ModelChoiceField(
        queryset=Requirement.objects.none(), required=False, empty_label="No requirement"
    )
    target_release = forms.ModelChoiceField(
        queryset=Release.objects.none(),
        required=False,
        label="Target release",
        empty_label="Not targeted yet",
        help_text="The release it must be fixed for; open defects count against its readiness.",
    )

    def __init__(self, *args, program: Program, defect: Defect | None = None, **kwargs):
        if defect is not None and "initial" not in kwargs:
            initial = {
                name: getattr(defect, name)
                for name in ("title", "description", "severity", "priority")
            }
            for name in DEFECT_FIELDS:
                if name not in initial:
                    initial[name] = getattr(defect, f"{name}_id")
            kwargs["initial"] = {**initial, "version": defect.version}
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _members(program)
        self.fields["owner"].label_from_instance = _person
        self.fields["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )
        self.fields["found_in_cycle"].queryset = TestCycle.objects.filter(program=program).order_by(
            "number"
        )
        self.fields["test_case"].queryset = TestCase.objects.filter(program=program).order_by(
            "number"
        )
        self.fields["test_run"].queryset = (
            TestRun.objects.filter(program=program, result__in=("fail", "blocked"))
            .select_related("cycle_case__case", "cycle_case__cycle")
            .order_by("-executed_at")
        )
        self.fields["test_run"].label_from_instance = lambda r: (
            f"{r.cycle_case.case.key} in {r.cycle_case.cycle.key}, {r.get_result_display()} "
            f"{r.executed_at:%d %b %Y}"
        )
        self.fields["requirement"].queryset = Requirement.objects.filter(program=program).order_by(
            "number"
        )
        self.fields["target_release"].queryset = Release.objects.filter(program=program).order_by(
            "planned_date", "number"
        )
        self.fields["target_release"].label_from_instance = _release_label
        self.fields["version"].required = defect is not None

    def changes(self, defect: Defect | None = None) -> dict:
        """The cleaned fields (all of them when new; only the changed ones for an edit)."""
        data = {name: self.cleaned_data[name] for name in DEFECT_FIELDS}
        if defect is None:
            return data
        return {name: value for name, value in data.items() if getattr(defect, name) != value}


class TransitionForm(VersionedForm):
    """One workflow step: the target status and what it asks for. The fields a step does not
    ask for are dropped, so the form shows only what is needed (see services.WORKFLOW)."""

    to = forms.ChoiceField(label="New status", choices=())
    resolution = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was changed to fix it (transport, configuration, code).",
    )
    fixed_in_build = forms.CharField(
        label="Fixed in build",
        required=False,
        max_length=80,
        help_text="The build or transport testers retest in, e.g. 1.0-rc3 or TR-DEVK904512.",
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Choose who fixes it…"
    )
    severity = forms.TypedChoiceField(choices=Severity.choices, coerce=int, required=False)
    priority = forms.ChoiceField(choices=DefectPriority.choices, required=False)
    rejection_reason = forms.ChoiceField(
        label="Why reject it",
        required=False,
        choices=[("", "Choose…"), *RejectionReason.choices],
        widget=forms.RadioSelect,
    )
    duplicate_of = forms.CharField(
        label="Duplicate of",
        required=False,
        max_length=16,
        help_text="The key of the defect it duplicates, e.g. DEF-4.",
    )
    target_release = forms.ModelChoiceField(
        queryset=Release.objects.none(),
        required=False,
        label="Later release",
        empty_label="No release: say why in the comment",
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, defect: Defect, steps: list, to: str | None = None, **kwargs):
        kwargs.setdefault(
            "initial",
            {"version": defect.version, "owner": defect.owner_id, "severity": defect.severity,
             "priority": defect.priority, "fixed_in_build": defect.fixed_in_build},
        )  # fmt: skip
        super().__init__(*args, **kwargs)
        self.defect = defect
        self.steps = steps
        self.fields["to"].choices = [(s.target, DefectStatus(s.target).label) for s in steps]
        chosen = self.data.get("to") if self.is_bound else to
        if chosen is None and len(steps) == 1:
            chosen = steps[0].target
        self.step = next((s for s in steps if s.target == chosen), None)
        if self.step is not None:
            self.initial["to"] = self.step.target
        wanted = set(self.step.needs + self.step.asks) if self.step else set()
        triage = self.step is not None and self.step.target == DefectStatus.TRIAGED
        if triage and defect.status != DefectStatus.NEW:  # picking a deferred one up again
            wanted -= {"owner", "severity", "priority"}
        for name in list(self.fields):
            if name not in ("to", "version", "comment") and name not in wanted:
                del self.fields[name]
        if "owner" in self.fields:
            self.fields["owner"].queryset = _members(defect.program)
            self.fields["owner"].label_from_instance = _person
        if "target_release" in self.fields:
            releases = Release.objects.filter(
                program_id=defect.program_id, status=ReleaseStatus.PLANNED
            ).order_by("planned_date", "number")
            if defect.target_release_id and self.step.target == DefectStatus.DEFERRED:
                releases = releases.filter(planned_date__gt=defect.target_release.planned_date)
            self.fields["target_release"].queryset = releases
            self.fields["target_release"].label_from_instance = _release_label
            if self.step.target == DefectStatus.TRIAGED:
                self.fields["target_release"].label = "Target release"
                self.fields["target_release"].empty_label = "Keep as it is"
        self.fields["comment"].label = self._comment_label()
        if self.step is not None and "comment" in self.step.needs:
            self.fields["comment"].required = True

    def _comment_label(self) -> str:
        if self.step is None:
            return "Comment"
        target = self.step.target
        if target == DefectStatus.CLOSED and not self.defect.test_case_id:
            return "How was the fix verified?"
        if target == DefectStatus.REOPENED:
            return (
                "Why reopen it?"
                if self.defect.status != DefectStatus.RETEST
                else ("What still fails?")
            )
        if target == DefectStatus.DEFERRED:
            return "Why it waits (required without a release)"
        if target == DefectStatus.REJECTED:
            return "Comment (required for “not a defect”)"
        if "comment" in self.step.needs:
            return "Comment"
        return "Comment (optional)"

    def clean(self):
        cleaned = super().clean()
        if self.step is None and not self.errors.get("to"):
            self.add_error("to", "Choose one of the next steps.")
        return cleaned

    def inputs(self) -> dict:
        """The step's inputs for services.defect_transition."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("to", "version") and value not in (None, "")
        }
        data.setdefault("comment", "")
        return data
