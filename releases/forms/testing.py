"""Forms of testing: a cycle, a case with its steps (a formset: edit, reorder by number, delete,
add rows), planning and assigning, a run (result, notes, evidence, and "raise a defect" in the
same step), raising a defect from an earlier run, closing a cycle. Choices are the program's."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.forms import VersionedForm
from core.models import User
from core.uploads import human_size
from programs.models import Program, Workstream
from programs.selectors import member_users

from ..models import (
    CycleCase,
    CycleKind,
    DefectPriority,
    MoSCoW,
    Release,
    Requirement,
    RunResult,
    Severity,
    TestCase,
    TestCaseStatus,
    TestCycle,
)
from ..selectors import testing as selectors
from ..services import testing_cases
from ..services import testing_runs as run_services

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
CYCLE_FIELDS = (
    "name",
    "kind",
    "release",
    "start_date",
    "end_date",
    "owner",
    "environment",
    "entry_criteria",
    "exit_criteria",
)
CASE_FIELDS = (
    "title",
    "workstream",
    "priority",
    "status",
    "objective",
    "preconditions",
    "expected_result",
)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.email


class CycleForm(VersionedForm):
    name = forms.CharField(max_length=200, help_text="e.g. System integration test, cycle 2.")
    kind = forms.ChoiceField(choices=CycleKind.choices)
    release = forms.ModelChoiceField(
        queryset=Release.objects.none(),
        required=False,
        empty_label="No release",
        help_text="The release this cycle tests: its pass rate counts towards readiness.",
    )
    start_date = forms.DateField(required=False, widget=DATE)
    end_date = forms.DateField(required=False, widget=DATE)
    owner = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="No test lead yet",
        label="Test lead",
    )
    environment = forms.CharField(
        max_length=120, required=False, help_text="Where it runs, e.g. QA (SIT), pre-production."
    )
    entry_criteria = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    exit_criteria = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, program: Program, cycle: TestCycle | None = None, **kwargs):
        if cycle is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(cycle, name) for name in CYCLE_FIELDS},
                "release": cycle.release_id,
                "owner": cycle.owner_id,
                "version": cycle.version,
            }
        super().__init__(*args, **kwargs)
        if cycle is None:
            self.fields["version"].required = False
        self.fields["release"].queryset = Release.objects.filter(program=program).order_by(
            "planned_date", "number"
        )
        self.fields["owner"].queryset = member_users(program=program)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must be on or after the start date.")
        return data

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in CYCLE_FIELDS}


class CaseForm(VersionedForm):
    title = forms.CharField(
        max_length=300, help_text="What it verifies, e.g. “Post a split journal entry”."
    )
    workstream = forms.ModelChoiceField(
        queryset=Workstream.objects.none(), required=False, empty_label="No workstream"
    )
    priority = forms.ChoiceField(choices=MoSCoW.choices, initial=MoSCoW.SHOULD)
    status = forms.ChoiceField(
        choices=[(TestCaseStatus.READY, "Ready"), (TestCaseStatus.DRAFT, "Draft")],
        initial=TestCaseStatus.READY,
        help_text="Only ready cases are planned into cycles in bulk.",
    )
    objective = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    preconditions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Data, roles and settings the tester needs first.",
    )
    expected_result = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The outcome that makes the whole case pass.",
    )
    requirements = forms.ModelMultipleChoiceField(
        queryset=Requirement.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="The requirements this case verifies (Ctrl or ⌘ to pick several).",
    )

    def __init__(self, *args, program: Program, case: TestCase | None = None, **kwargs):
        if case is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(case, name) for name in CASE_FIELDS},
                "workstream": case.workstream_id,
                "requirements": [r.pk for r in case.requirements.all()],
                "version": case.version,
            }
        super().__init__(*args, **kwargs)
        if case is None:
            self.fields["version"].required = False
        self.fields["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )
        self.fields["requirements"].queryset = Requirement.objects.filter(program=program).order_by(
            "number"
        )
        self.fields["requirements"].label_from_instance = lambda r: f"{r.key} {r.title}"

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in CASE_FIELDS}


class StepForm(forms.Form):
    action = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Action"
    )
    expected = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Expected result"
    )


BaseStepFormSet = forms.formset_factory(
    StepForm,
    extra=0,
    can_order=True,
    can_delete=True,
    max_num=testing_cases.MAX_STEPS,
    validate_max=True,
    absolute_max=testing_cases.MAX_STEPS,
)
STEP_PREFIX = "steps"


def step_formset(data=None, *, steps=(), extra_rows: int = 0):
    """The steps with room for more: two empty rows, plus `extra_rows` asked for."""
    if data is not None:
        if extra_rows:
            data = data.copy()
            total = int(data.get(f"{STEP_PREFIX}-TOTAL_FORMS") or 0)
            data[f"{STEP_PREFIX}-TOTAL_FORMS"] = str(
                min(total + extra_rows, testing_cases.MAX_STEPS)
            )
        return BaseStepFormSet(data, prefix=STEP_PREFIX)
    initial = [{"action": s.action, "expected": s.expected, "ORDER": s.position} for s in steps]
    rows = min(len(initial) + 2, testing_cases.MAX_STEPS)
    initial += [{} for _ in range(rows - len(initial))]
    return BaseStepFormSet(initial=initial, prefix=STEP_PREFIX)


def formset_steps(formset) -> list[dict]:
    """The rows kept, in the order their numbers say (ties and blanks keep the form's order)."""
    rows = []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        if not (data.get("action") or "").strip() and not (data.get("expected") or "").strip():
            continue
        order = data.get("ORDER")
        rows.append((order if order is not None else 10**6 + index, index, data))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [{"action": r[2]["action"], "expected": r[2]["expected"]} for r in rows]


class PlanForm(forms.Form):
    cases = forms.ModelMultipleChoiceField(
        queryset=TestCase.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        label="Pick cases",
        help_text="Ready cases not yet in the cycle (Ctrl or ⌘ to pick several).",
    )
    workstream = forms.ModelChoiceField(
        queryset=Workstream.objects.none(),
        required=False,
        empty_label="No workstream",
        label="Every ready case of a workstream",
    )
    release_scope = forms.BooleanField(
        required=False,
        label="Every ready case verifying the release's scope",
    )
    tester = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody yet",
        label="Assign them to",
    )

    def __init__(self, *args, cycle: TestCycle, **kwargs):
        super().__init__(*args, **kwargs)
        program = cycle.program
        self.fields["cases"].queryset = selectors.plannable_cases(cycle=cycle)
        self.fields["cases"].label_from_instance = lambda c: f"{c.key} {c.title}"
        self.fields["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )
        self.fields["tester"].queryset = selectors.testers_for(program=program)
        if cycle.release_id is None:
            self.fields["release_scope"].disabled = True
            self.fields["release_scope"].help_text = "This cycle tests no release."
        else:
            self.fields[
                "release_scope"
            ].help_text = f"Cases linked to a requirement in the scope of {cycle.release}."

    def clean(self):
        data = super().clean()
        if not (data.get("cases") or data.get("workstream") or data.get("release_scope")):
            raise ValidationError("Pick cases, a workstream or the release's scope.")
        return data


class AssignForm(forms.Form):
    cycle_cases = forms.ModelMultipleChoiceField(
        queryset=CycleCase.objects.none(),
        error_messages={"required": "Tick the cases to assign."},
    )
    tester = PersonChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Choose a tester…"
    )
    unassign = forms.BooleanField(required=False)  # the "Unassign" button

    def __init__(self, *args, cycle: TestCycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle_cases"].queryset = CycleCase.objects.filter(cycle=cycle).select_related(
            "cycle", "case", "tester"
        )
        self.fields["tester"].queryset = selectors.testers_for(program=cycle.program)

    def clean(self):
        data = super().clean()
        if data.get("unassign"):
            data["tester"] = None
        elif not data.get("tester"):
            self.add_error("tester", "Choose the tester to assign them to (or Unassign).")
        return data


class CloseForm(VersionedForm):
    confirm = forms.BooleanField(required=False, label="Close it with these cases not run")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class DefectFieldsMixin(forms.Form):
    """The defect to raise: title (prefilled), severity, priority, owner, requirement."""

    defect_title = forms.CharField(max_length=300, required=False, label="Defect title")
    defect_severity = forms.TypedChoiceField(
        choices=Severity.choices,
        coerce=int,
        initial=Severity.MAJOR,
        label="Severity",
        required=False,
        empty_value=None,
    )
    defect_priority = forms.ChoiceField(
        choices=DefectPriority.choices,
        initial=DefectPriority.HIGH,
        label="Priority",
        required=False,
    )
    defect_owner = PersonChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Not yet (triage decides)",
        label="Owner",
    )
    defect_requirement = forms.ModelChoiceField(
        queryset=Requirement.objects.none(),
        required=False,
        empty_label="The case's first requirement",
        label="Requirement",
    )

    def setup_defect(self, cycle_case: CycleCase) -> None:
        program = cycle_case.program
        self.fields["defect_owner"].queryset = member_users(program=program)
        requirements = cycle_case.case.requirements.order_by("number")
        self.fields["defect_requirement"].queryset = requirements
        self.fields["defect_requirement"].label_from_instance = lambda r: f"{r.key} {r.title}"
        self.fields["defect_title"].initial = run_services.defect_title(cycle_case)

    def defect_data(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data.get("defect_title") or "",
            "severity": data.get("defect_severity") or Severity.MAJOR,
            "priority": data.get("defect_priority") or DefectPriority.HIGH,
            "owner": data.get("defect_owner"),
            "requirement": data.get("defect_requirement"),
        }


class RunForm(DefectFieldsMixin):
    result = forms.ChoiceField(
        choices=[(r, label) for r, label in RunResult.choices if r != RunResult.NOT_RUN],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose pass, fail or blocked."},
    )
    notes = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What happened; required for fail or blocked.",
    )
    build = forms.CharField(
        max_length=80, required=False, help_text="The build or version tested, e.g. 1.0-rc2."
    )
    executed_at = forms.DateTimeField(
        required=False,
        widget=DATETIME,
        label="Executed at",
        help_text="Leave empty for now; fill in for a run done earlier.",
    )
    evidence = MultipleFileField(required=False, allow_empty_file=True, label="Evidence")
    raise_defect = forms.BooleanField(required=False, label="Raise a defect from this run")

    def __init__(self, *args, cycle_case: CycleCase, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_defect(cycle_case)
        policy = run_services.EVIDENCE_UPLOADS
        self.fields["evidence"].widget.attrs.update(accept=policy.accept_attribute(), multiple=True)
        self.fields["evidence"].help_text = (
            f"Up to {run_services.MAX_EVIDENCE} files of at most "
            f"{human_size(policy.max_bytes())} each: {policy.accepted_text}."
        )

    def clean(self):
        data = super().clean()
        if data.get("raise_defect") and data.get("result") == RunResult.PASS:
            self.add_error("raise_defect", "A defect is raised from a failed or blocked run.")
        return data


class RaiseDefectForm(DefectFieldsMixin):
    def __init__(self, *args, cycle_case: CycleCase, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_defect(cycle_case)
