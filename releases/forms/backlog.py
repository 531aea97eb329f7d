"""Forms of the backlog pages: an item (WSJF scores on the 1-20 scale), its status, its
dependencies and requirements, an iteration (and closing it), and the Jira upload. Choice
querysets are scoped to the program."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from core.forms import VersionedForm
from core.uploads import check_upload
from programs.models import Program, Workstream
from programs.selectors import member_users

from ..models import (
    FIBONACCI,
    BacklogItem,
    BacklogKind,
    BacklogStatus,
    Iteration,
    IterationStatus,
    MoSCoW,
    Requirement,
)
from ..services.jira_import import UPLOAD

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SCORE_CHOICES = [("", "Not scored"), *[(str(n), str(n)) for n in FIBONACCI]]
SCORE_HELP = {
    "business_value": "What it is worth to users and the business, relative to the others.",
    "time_criticality": "How fast its value decays: a fixed date, a penalty, users waiting.",
    "risk_reduction": "How much it lowers risk or enables other work (opportunity).",
    "job_size": "The effort relative to the others (small = 1). WSJF divides by it.",
}
ITEM_FIELDS = (
    "workstream", "title", "description", "kind", "status", "priority", "business_value",
    "time_criticality", "risk_reduction", "job_size", "estimate", "iteration", "assignee",
    "external_key", "labels",
)  # fmt: skip


def iteration_label(iteration: Iteration) -> str:
    scope = iteration.workstream.name if iteration.workstream_id else "program-wide"
    dates = f"{iteration.start_date:%-d %b} to {iteration.end_date:%-d %b %Y}"
    closed = ", closed" if iteration.status == IterationStatus.CLOSED else ""
    return f"{iteration.name} ({scope}, {dates}{closed})"


def workstream_label(workstream: Workstream) -> str:
    return workstream.name


def item_label(item: BacklogItem) -> str:
    return f"{item.key} {item.title} ({item.workstream.name})"


def score_field(name: str, label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        choices=SCORE_CHOICES, coerce=int, empty_value=None, required=False, label=label,
        help_text=SCORE_HELP[name],
    )  # fmt: skip


class BacklogItemForm(forms.Form):
    title = forms.CharField(max_length=300, help_text="What it delivers, in a few words.")
    workstream = forms.ModelChoiceField(queryset=Workstream.objects.none())
    kind = forms.ChoiceField(choices=BacklogKind.choices, initial=BacklogKind.STORY, label="Type")
    status = forms.ChoiceField(choices=BacklogStatus.choices, initial=BacklogStatus.NEW)
    priority = forms.ChoiceField(
        choices=MoSCoW.choices, initial=MoSCoW.SHOULD, label="MoSCoW",
        help_text="Must, Should, Could or Won't for this release.",
    )  # fmt: skip
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The story (As a … I want … so that …) and its acceptance criteria.",
    )  # fmt: skip
    business_value = score_field("business_value", "Business value")
    time_criticality = score_field("time_criticality", "Time criticality")
    risk_reduction = score_field("risk_reduction", "Risk reduction / opportunity")
    job_size = score_field("job_size", "Job size")
    estimate = forms.DecimalField(
        max_digits=6, decimal_places=1, min_value=0, max_value=9999, required=False,
        label="Estimate (story points)",
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )  # fmt: skip
    iteration = forms.ModelChoiceField(
        queryset=Iteration.objects.none(), required=False, empty_label="Not planned (backlog)",
        help_text="Its workstream's iterations or a program-wide one.",
    )  # fmt: skip
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody yet")
    requirements = forms.ModelMultipleChoiceField(
        queryset=Requirement.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="The requirements it delivers (Ctrl/⌘-click for several).",
    )  # fmt: skip
    labels = forms.CharField(max_length=300, required=False, help_text="Comma-separated.")
    external_key = forms.CharField(
        max_length=40, required=False, label="Tracker key",
        help_text="Its key in Jira or another tracker, e.g. FIN-231.",
    )  # fmt: skip

    def __init__(self, *args, program: Program, item: BacklogItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["workstream"].queryset = Workstream.objects.filter(program=program)
        self.fields["workstream"].label_from_instance = workstream_label
        iterations = Iteration.objects.filter(program=program).exclude(
            status=IterationStatus.CLOSED
        )
        if item is not None and item.iteration_id:
            iterations = Iteration.objects.filter(
                Q(pk__in=iterations.values("pk")) | Q(pk=item.iteration_id)
            )
        self.fields["iteration"].queryset = iterations.select_related("workstream").order_by(
            "start_date", "name"
        )
        self.fields["iteration"].label_from_instance = iteration_label
        self.fields["assignee"].queryset = member_users(program=program)
        self.fields["requirements"].queryset = Requirement.objects.filter(program=program).order_by(
            "number"
        )
        self.fields["requirements"].label_from_instance = lambda r: f"{r.key} {r.title}"

    def clean_external_key(self):
        return self.cleaned_data["external_key"].strip().upper()

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in ITEM_FIELDS}
        fields["requirements"] = list(data["requirements"])
        return fields


class BacklogItemEditForm(BacklogItemForm, VersionedForm):
    pass


def item_initial(item: BacklogItem) -> dict:
    initial = {name: getattr(item, name) for name in ITEM_FIELDS}
    for name in ("workstream", "iteration", "assignee"):
        initial[name] = getattr(item, f"{name}_id")
    for name in ("business_value", "time_criticality", "risk_reduction", "job_size"):
        initial[name] = "" if initial[name] is None else str(initial[name])
    initial["requirements"] = [r.pk for r in item.requirements.all()]
    initial["version"] = item.version
    return initial


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=BacklogStatus.choices)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class DependencyForm(forms.Form):
    depends_on = forms.ModelChoiceField(
        queryset=BacklogItem.objects.none(), label="Depends on",
        help_text="An item that must be done first; another workstream's is flagged cross-team.",
    )  # fmt: skip

    def __init__(self, *args, item: BacklogItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["depends_on"].queryset = (
            BacklogItem.objects.filter(program_id=item.program_id)
            .exclude(pk=item.pk)
            .select_related("workstream")
            .order_by("workstream__name", "rank", "number")
        )
        self.fields["depends_on"].label_from_instance = item_label


class RequirementLinkForm(forms.Form):
    requirement = forms.ModelChoiceField(
        queryset=Requirement.objects.none(), label="Link a requirement",
        empty_label="Choose the requirement it delivers…",
    )  # fmt: skip

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].queryset = Requirement.objects.filter(program=program).order_by(
            "number"
        )
        self.fields["requirement"].label_from_instance = lambda r: f"{r.key} {r.title}"


class IterationForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="e.g. FI Sprint 14, PI 3.2")
    workstream = forms.ModelChoiceField(
        queryset=Workstream.objects.none(), required=False, empty_label="Program-wide",
        help_text="A team's sprint, or program-wide (a PI) that every workstream can use.",
    )  # fmt: skip
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE)
    capacity = forms.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, required=False,
        label="Capacity (story points)", help_text="What the team expects to finish.",
    )  # fmt: skip
    status = forms.ChoiceField(
        choices=[(IterationStatus.PLANNED, "Planned"), (IterationStatus.ACTIVE, "Active")],
        initial=IterationStatus.PLANNED,
        help_text="Close an iteration from the iterations list: it moves unfinished items on.",
    )
    goal = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workstream"].queryset = Workstream.objects.filter(program=program)
        self.fields["workstream"].label_from_instance = workstream_label

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must be on or after the start date.")
        return data


class IterationEditForm(IterationForm, VersionedForm):
    pass


def iteration_initial(iteration: Iteration) -> dict:
    return {
        "name": iteration.name, "workstream": iteration.workstream_id,
        "start_date": iteration.start_date, "end_date": iteration.end_date,
        "capacity": iteration.capacity, "status": iteration.status, "goal": iteration.goal,
        "version": iteration.version,
    }  # fmt: skip


class IterationCloseForm(VersionedForm):
    move_to = forms.ModelChoiceField(
        queryset=Iteration.objects.none(), required=False,
        empty_label="Back to the backlog (not planned)", label="Unfinished items go to",
    )  # fmt: skip

    def __init__(self, *args, iteration: Iteration, **kwargs):
        super().__init__(*args, **kwargs)
        rows = (
            Iteration.objects.filter(program_id=iteration.program_id)
            .exclude(pk=iteration.pk)
            .exclude(status=IterationStatus.CLOSED)
        )
        if iteration.workstream_id:
            rows = rows.filter(Q(workstream_id=iteration.workstream_id) | Q(workstream=None))
        self.fields["move_to"].queryset = rows.select_related("workstream").order_by(
            "start_date", "name"
        )
        self.fields["move_to"].label_from_instance = iteration_label


class JiraUploadForm(forms.Form):
    file = forms.FileField(
        label="Jira CSV export",
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD.accept_attribute()}),
        help_text=UPLOAD.help_text(),
    )
    workstream = forms.ModelChoiceField(
        queryset=Workstream.objects.none(),
        help_text="New issues join this workstream's backlog; known ones keep theirs.",
    )
    create_missing = forms.BooleanField(
        required=False, label="Create missing iterations",
        help_text="A sprint with no iteration of that name becomes a two-week planned iteration "
        "of the workstream; otherwise it is listed as a problem.",
    )  # fmt: skip

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workstream"].queryset = Workstream.objects.filter(program=program)
        self.fields["workstream"].label_from_instance = workstream_label

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_upload(upload, UPLOAD)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["file"]) from None
        return upload
