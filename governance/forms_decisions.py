"""Forms of the decision log: a decision with its options (a small formset) and links, taking a
proposed decision, and replacing one."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.forms import VersionedForm
from core.models import User
from programs.models import Program
from programs.selectors import member_users

from .choices import DecisionStatus
from .forms_changes import DATE, TEXT, KeysField
from .models.decisions import MAX_OPTIONS
from .selectors.links import objects_for_keys


class OptionForm(forms.Form):
    option = forms.CharField(max_length=300, required=False, label="Option")
    pros = forms.CharField(
        max_length=2000, required=False, label="Pros", widget=forms.Textarea(attrs={"rows": 2})
    )
    cons = forms.CharField(
        max_length=2000, required=False, label="Cons", widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if (data.get("pros") or data.get("cons")) and not (data.get("option") or "").strip():
            self.add_error("option", "Name the option these pros and cons belong to.")
        return data


OptionFormSet = forms.formset_factory(
    OptionForm, extra=0, max_num=MAX_OPTIONS, validate_max=True, absolute_max=MAX_OPTIONS
)


def option_formset(data=None, *, options=None, extra_rows: int = 0) -> forms.BaseFormSet:
    """The options as a formset with room for more: at least three rows, one empty row more
    than there are options, plus `extra_rows` the user asked for with "Add an option"."""
    options = list(options or [])
    if data is not None:
        total = int(data.get("options-TOTAL_FORMS") or 0)
        if extra_rows:
            data = data.copy()
            data["options-TOTAL_FORMS"] = str(min(total + extra_rows, MAX_OPTIONS))
        return OptionFormSet(data, prefix="options")
    rows = min(max(3, len(options) + 1), MAX_OPTIONS)
    initial = options + [{} for _ in range(rows - len(options))]
    return OptionFormSet(initial=initial, prefix="options")


def formset_options(formset) -> list[dict[str, str]]:
    return [
        {name: (f.cleaned_data.get(name) or "").strip() for name in ("option", "pros", "cons")}
        for f in formset.forms
        if (f.cleaned_data.get("option") or "").strip()
    ]


class DecisionForm(VersionedForm):
    title = forms.CharField(max_length=300)
    status = forms.ChoiceField(
        choices=[(DecisionStatus.DECIDED, "Decided"), (DecisionStatus.PROPOSED, "Proposed")],
        initial=DecisionStatus.DECIDED,
        help_text="Proposed: the log holds it until it is taken.",
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Decision",
        help_text="What was decided, in one or two sentences people can quote.",
    )
    context = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        help_text="The situation that called for a decision.",
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        help_text="Why this option over the others.",
    )
    decided_by = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Decided by"
    )
    forum = forms.CharField(
        max_length=200,
        required=False,
        label="Decided in",
        help_text="The meeting or body, e.g. Steering committee 11 Aug 2026.",
    )
    decided_on = forms.DateField(required=False, widget=DATE, label="Decided on")
    needed_by = forms.DateField(
        required=False, widget=DATE, label="Decision needed by", help_text="For a proposal."
    )
    links = KeysField(
        label="Linked items",
        help_text="Keys of what this decision concerns, e.g. CR-3, TSK-12, RSK-4.",
    )

    def __init__(self, *args, program: Program, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["decided_by"].queryset = member_users(program=program)
        self.fields["decided_by"].empty_label = "Not recorded"
        if creating:
            del self.fields["version"]
        else:
            del self.fields["status"]

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the decision a title.")
        return title

    def clean_links(self):
        try:
            return objects_for_keys(
                program=self.program, keys=self.cleaned_data["links"], field="links"
            )
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["links"]) from exc


class DecideForm(VersionedForm):
    decided_by = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    decided_on = forms.DateField(required=False, widget=DATE, help_text="Empty: today.")
    forum = forms.CharField(max_length=200, required=False, label="Decided in")
    rationale = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False)

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_by"].queryset = member_users(program=program)
        self.fields["decided_by"].empty_label = "Me"
