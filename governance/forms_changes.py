"""Forms of change control: the request, the workflow steps, the outcome and the policy.
Choice querysets are scoped to the program; WBS items are typed as their keys (TSK-12)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from core.forms import VersionedForm
from core.models import User
from programs.models import Program, Workstream
from programs.selectors import member_users
from schedules.models import Baseline

from .choices import ChangeKind
from .models.changes import MAX_IMPACT_DAYS, MAX_MONEY
from .selectors.changes import items_for_keys
from .selectors.links import split_keys

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 3}


class KeysField(forms.CharField):
    """Keys separated by commas or spaces (`TSK-12, TSK-40`); cleans to a list of keys."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)
        self.widget.attrs.update(autocomplete="off", spellcheck="false")

    def to_python(self, value):
        return split_keys(super().to_python(value))

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value


def impact_fields(currency: str) -> dict[str, forms.Field]:
    return {
        "schedule_impact_days": forms.IntegerField(
            label="Schedule impact (working days)",
            required=False,
            min_value=-MAX_IMPACT_DAYS,
            max_value=MAX_IMPACT_DAYS,
            help_text="Positive: the plan moves later; negative: earlier; 0: no change.",
        ),
        "cost_impact": forms.DecimalField(
            label=f"Cost impact ({currency})",
            required=False,
            max_digits=14,
            decimal_places=2,
            min_value=-MAX_MONEY,
            max_value=MAX_MONEY,
            help_text="Positive: costs more; negative: saves money; 0: no change.",
            widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        ),
        "scope_impact": forms.CharField(
            label="Scope impact", required=False, widget=forms.Textarea(attrs=TEXT)
        ),
        "risk_impact": forms.CharField(
            label="Risk impact", required=False, widget=forms.Textarea(attrs=TEXT)
        ),
        "affected_items": KeysField(
            label="Affected WBS items",
            help_text="Keys of the plan items this changes, e.g. TSK-12, TSK-40.",
        ),
    }


class ItemKeysMixin:
    """Turns the typed keys into the program's items, naming each key that is not one."""

    program: Program

    def clean_affected_items(self):
        keys = self.cleaned_data["affected_items"]  # type: ignore[attr-defined]
        try:
            return items_for_keys(program=self.program, keys=keys)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["affected_items"]) from exc


class ChangeRequestForm(ItemKeysMixin, VersionedForm):
    title = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=ChangeKind.choices, initial=ChangeKind.SCOPE)
    requester = forms.ModelChoiceField(
        queryset=User.objects.none(), help_text="Who asks for the change."
    )
    workstream = forms.ModelChoiceField(queryset=Workstream.objects.none(), required=False)
    needed_by = forms.DateField(
        label="Decision needed by",
        required=False,
        widget=DATE,
        help_text="When the decision is needed to keep this option open.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="What would change."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Why it is needed, and what happens if it is not done.",
    )

    field_order = ["title", "kind", "requester", "workstream", "needed_by", "description",
                   "reason"]  # fmt: skip

    def __init__(
        self, *args, program: Program, creating: bool = False, can_set_requester: bool = True,
        **kwargs,
    ):  # fmt: skip
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields.update(impact_fields(program.currency))
        self.fields["requester"].queryset = member_users(program=program)
        self.fields["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )
        self.fields["workstream"].empty_label = "No workstream"
        if creating:
            del self.fields["version"]
        if not can_set_requester:
            del self.fields["requester"]

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the request a title.")
        return title


class TransitionForm(VersionedForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), required=False, max_length=5000, label="Comment"
    )

    def __init__(self, *args, program: Program, comment_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        if comment_required:
            self.fields["comment"].required = True
            self.fields["comment"].label = "Reason"
            self.fields["comment"].error_messages["required"] = (
                "Say why: the requester and the record need the reason."
            )

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class AssessForm(ItemKeysMixin, TransitionForm):
    """The assessment: the impact (schedule and cost required), the affected items, a note."""

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, program=program, **kwargs)
        fields = impact_fields(program.currency)
        fields["schedule_impact_days"].required = True
        fields["cost_impact"].required = True
        comment = self.fields.pop("comment")
        comment.label = "Assessment note"
        self.fields.update(fields)
        self.fields["comment"] = comment


class ImplementForm(TransitionForm):
    baseline = forms.ModelChoiceField(
        queryset=Baseline.objects.none(),
        required=False,
        label="Baseline it caused",
        help_text="If the change was re-baselined, the baseline that holds it.",
    )
    new_baseline_name = forms.CharField(
        max_length=200,
        required=False,
        label="Or save a new baseline now, named",
        help_text="Saves every item's current dates and cost, and makes it the current baseline.",
    )
    budget_reference = forms.CharField(
        max_length=200,
        required=False,
        label="Budget change",
        help_text="The change order or contingency draw it caused, e.g. CO-12.",
    )

    def __init__(self, *args, program: Program, can_baseline: bool = False, **kwargs):
        super().__init__(*args, program=program, **kwargs)
        self.fields["baseline"].queryset = Baseline.objects.filter(program=program).order_by(
            "-created_at", "-pk"
        )
        self.fields["baseline"].empty_label = "No baseline"
        if not can_baseline:
            del self.fields["new_baseline_name"]
        comment = self.fields.pop("comment")
        self.fields["comment"] = comment

    def clean(self):
        data = super().clean()
        if data.get("baseline") and (data.get("new_baseline_name") or "").strip():
            self.add_error(
                "new_baseline_name", "Pick an existing baseline or save a new one, not both."
            )
        return data


class OutcomeForm(VersionedForm):
    baseline = ImplementForm.base_fields["baseline"]
    new_baseline_name = ImplementForm.base_fields["new_baseline_name"]
    budget_reference = ImplementForm.base_fields["budget_reference"]

    def __init__(self, *args, program: Program, can_baseline: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["baseline"].queryset = Baseline.objects.filter(program=program).order_by(
            "-created_at", "-pk"
        )
        self.fields["baseline"].empty_label = "No baseline"
        if not can_baseline:
            del self.fields["new_baseline_name"]

    def clean(self):
        data = super().clean()
        if data.get("baseline") and (data.get("new_baseline_name") or "").strip():
            self.add_error(
                "new_baseline_name", "Pick an existing baseline or save a new one, not both."
            )
        return data


class PolicyForm(VersionedForm):
    sponsor_cost_threshold = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_MONEY,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    sponsor_schedule_threshold_days = forms.IntegerField(min_value=0, max_value=MAX_IMPACT_DAYS)
    allow_self_approval = forms.BooleanField(required=False)

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "sponsor_cost_threshold"
        ].label = f"Sponsor approves a cost impact above ({program.currency})"
        self.fields[
            "sponsor_cost_threshold"
        ].help_text = "Up or down: a saving of this size needs the sponsor too."
        self.fields[
            "sponsor_schedule_threshold_days"
        ].label = "Sponsor approves a schedule impact above (working days)"
        self.fields["sponsor_schedule_threshold_days"].help_text = "Later or earlier."
        self.fields["allow_self_approval"].label = "Requesters may decide on their own requests"
        self.fields[
            "allow_self_approval"
        ].help_text = (
            "Leave off to keep segregation of duties: someone other than the requester approves."
        )
