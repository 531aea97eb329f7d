"""Forms of the requirement pages: a requirement (with the change request that allows editing a
baselined wording), a status step, and the delete confirmation."""

from __future__ import annotations

from django import forms
from django.db.models.functions import Length

from core.forms import VersionedForm
from governance.models import ChangeRequest
from programs.models import Program, Workstream
from schedules.models import Item

from ..models import (
    MoSCoW,
    QualityAttribute,
    Requirement,
    RequirementSource,
    RequirementType,
)
from ..selectors.requirements import internal_members
from ..services.requirements import (
    CR_STATUSES_FOR_BASELINE,
    DELIVERABLE_KINDS,
    EDITABLE_FIELDS,
    TRANSITIONS,
)

TEXTAREA = {"rows": 3}


def _person_label(user) -> str:
    return f"{user.full_name} — {user.job_title}" if user.job_title else user.full_name


def _item_label(item: Item) -> str:
    return f"{item.key} {item.name} ({item.get_kind_display().lower()})"


def _cr_label(cr: ChangeRequest) -> str:
    return f"{cr.key} {cr.title} ({cr.get_status_display().lower()})"


def change_requests_of(program: Program):
    return ChangeRequest.objects.filter(program=program).order_by(Length("key"), "key")


class RequirementForm(VersionedForm):
    """A new requirement, or an edit (which carries the version). On a baselined requirement the
    wording changes only with an approved change request, picked in `change_request`."""

    title = forms.CharField(max_length=300)
    statement = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="The need, in one testable sentence or a few: “The system shall …”.",
    )
    acceptance_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One criterion per line: how the business will accept it.",
    )
    type = forms.ChoiceField(choices=RequirementType.choices, initial=RequirementType.FUNCTIONAL)
    quality_attribute = forms.ChoiceField(
        choices=[("", "—"), *QualityAttribute.choices],
        required=False,
        help_text="Required for a non-functional requirement (ISO/IEC 25010).",
    )
    priority = forms.ChoiceField(choices=MoSCoW.choices, initial=MoSCoW.SHOULD, label="Priority")
    source = forms.ChoiceField(choices=RequirementSource.choices)
    source_detail = forms.CharField(
        max_length=300,
        required=False,
        label="Source detail",
        help_text="Who or what asked for it: a stakeholder, a regulation's article, a clause.",
    )
    workstream = forms.ModelChoiceField(queryset=Workstream.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=None, required=False)
    deliverables = forms.ModelMultipleChoiceField(
        queryset=Item.objects.none(),
        required=False,
        label="Plan deliverables",
        help_text="The WBS deliverables and milestones that build it.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    change_requests = forms.ModelMultipleChoiceField(
        queryset=ChangeRequest.objects.none(),
        required=False,
        label="Change requests",
        help_text="The change requests that added or changed it.",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    change_request = forms.ModelChoiceField(
        queryset=ChangeRequest.objects.none(),
        required=False,
        label="Change request allowing the new wording",
        help_text="Approved or implemented; the new wording becomes the next baselined "
        "revision, linked to it.",
    )
    revision_note = forms.CharField(
        max_length=2000,
        required=False,
        label="Note on the revision",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changed and why, for the revision history.",
    )

    def __init__(self, *args, program: Program, requirement: Requirement | None = None, **kwargs):
        if requirement is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(requirement, name) for name in EDITABLE_FIELDS},
                "workstream": requirement.workstream_id,
                "owner": requirement.owner_id,
                "deliverables": [item.pk for item in requirement.deliverables.all()],
                "change_requests": [cr.pk for cr in requirement.change_requests.all()],
                "version": requirement.version,
            }
        super().__init__(*args, **kwargs)
        self.requirement = requirement
        self.fields["workstream"].queryset = Workstream.objects.filter(program=program)
        self.fields["workstream"].empty_label = "No workstream"
        self.fields["owner"].queryset = internal_members(program)
        self.fields["owner"].label_from_instance = _person_label
        self.fields["owner"].empty_label = "Nobody yet"
        self.fields["deliverables"].queryset = Item.objects.filter(
            program=program, kind__in=DELIVERABLE_KINDS
        ).order_by("outline_path", "pk")
        self.fields["deliverables"].label_from_instance = _item_label
        self.fields["change_requests"].queryset = change_requests_of(program)
        self.fields["change_requests"].label_from_instance = _cr_label
        self.fields["change_request"].queryset = change_requests_of(program).filter(
            status__in=CR_STATUSES_FOR_BASELINE
        )
        self.fields["change_request"].label_from_instance = _cr_label
        self.fields["change_request"].empty_label = "None: keep the baselined wording"
        if requirement is None:
            del self.fields["version"]
        if requirement is None or not requirement.is_baselined:
            del self.fields["change_request"]
            del self.fields["revision_note"]

    @property
    def baselined(self) -> bool:
        return "change_request" in self.fields

    def clean(self):
        data = super().clean()
        if data.get("type") == RequirementType.NON_FUNCTIONAL and not data.get("quality_attribute"):
            self.add_error(
                "quality_attribute", "Say which quality a non-functional requirement is about."
            )
        if data.get("type") == RequirementType.FUNCTIONAL and data.get("quality_attribute"):
            self.add_error(
                "quality_attribute",
                "A functional requirement has no quality attribute; choose non-functional.",
            )
        return data

    def changes(self) -> dict:
        """The service's keyword arguments: every field for a new requirement, the changed
        ones for an edit, plus the links and (editing a baseline) the change request."""
        data = {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}
        data["quality_attribute"] = data["quality_attribute"] or ""
        for name in ("statement", "acceptance_criteria"):  # CRLF from the browser is no change
            data[name] = (data[name] or "").replace("\r\n", "\n").strip()
        requirement = self.requirement
        if requirement is not None:
            data = {k: v for k, v in data.items() if getattr(requirement, k) != v}
        data["deliverables"] = list(self.cleaned_data["deliverables"])
        data["change_requests"] = list(self.cleaned_data["change_requests"])
        if self.baselined:
            data["change_request"] = self.cleaned_data.get("change_request")
            data["revision_note"] = self.cleaned_data.get("revision_note", "")
        return data


class RequirementTransitionForm(VersionedForm):
    """One status step (its name in `transition`), with the reason rejecting or deferring
    needs."""

    transition = forms.ChoiceField(choices=[(t.name, t.label) for t in TRANSITIONS.values()])
    reason = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to reject or defer: it is shown on the requirement.",
    )

    def clean(self):
        data = super().clean()
        step = TRANSITIONS.get(data.get("transition") or "")
        if step is not None and step.needs_reason and not (data.get("reason") or "").strip():
            self.add_error("reason", f"Say why ({step.label.lower()} needs a reason).")
        return data
