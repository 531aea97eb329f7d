"""Forms of the RFP pages: the RFP, its criteria (a small formset), an evaluator, a response,
the scoring sheet (one score and comment per criterion) and the selection."""

from __future__ import annotations

from django import forms

from core.forms import VersionedForm
from core.models import User
from programs.models import Program

from ..models import Rfp, RfpResponse, Vendor, VendorStatus
from ..services.rfp import EVALUATOR_ROLES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 3}
MAX_CRITERIA = 20


def _person(user) -> str:
    return f"{user.full_name} — {user.job_title}" if user.job_title else user.full_name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _person(obj)


class RfpForm(VersionedForm):
    title = forms.CharField(
        max_length=300, help_text="What is being bought, e.g. Integration platform (iPaaS)."
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Scope and background, as sent to the vendors.",
    )
    owner = PersonChoiceField(
        queryset=User.objects.none(), required=False, help_text="Who runs the evaluation."
    )
    issued_on = forms.DateField(
        required=False, widget=DATE, label="Issued on", help_text="Empty: set when it is issued."
    )
    responses_due = forms.DateField(required=False, widget=DATE, label="Responses due")
    scale_max = forms.IntegerField(
        min_value=2,
        max_value=100,
        initial=5,
        label="Scoring scale: 0 to",
        help_text="Evaluators score each criterion from 0 to this number. Frozen once an "
        "evaluation is submitted.",
    )

    def __init__(self, *args, program: Program, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            User.objects.filter(
                memberships__program=program, memberships__role__in=EVALUATOR_ROLES, is_active=True
            )
            .order_by("full_name")
            .distinct()
        )
        self.fields["owner"].empty_label = "Me"
        if creating:
            del self.fields["version"]

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the RFP a title.")
        return title


class CriterionForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(max_length=200, required=False, label="Criterion")
    weight = forms.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=1000, required=False, label="Weight"
    )
    description = forms.CharField(
        required=False, label="What evaluators look for", widget=forms.Textarea(attrs={"rows": 1})
    )
    DELETE = forms.BooleanField(required=False, label="Remove")

    def clean(self):
        data = super().clean()
        name = (data.get("name") or "").strip()
        data["name"] = name
        if data.get("DELETE"):
            return data
        if name and data.get("weight") is None:
            self.add_error("weight", "Give it a weight (0 to 1000).")
        if not name and (data.get("weight") is not None or data.get("description")):
            self.add_error("name", "Name this criterion.")
        return data


class BaseCriterionFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            name = form.cleaned_data.get("name", "")
            if not name or form.cleaned_data.get("DELETE"):
                continue
            if name.casefold() in seen:
                form.add_error("name", "Another criterion has this name.")
            seen.add(name.casefold())

    def rows(self) -> list[dict]:
        """The service's rows: filled rows in order; emptied existing rows are removed."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data:
                continue
            if data.get("DELETE") or not data.get("name"):
                if data.get("id"):
                    rows.append({"id": data["id"], "delete": True})
                continue
            rows.append(
                {
                    "id": data.get("id"),
                    "name": data["name"],
                    "weight": data["weight"],
                    "description": data.get("description") or "",
                }
            )
        return rows


CriterionFormSet = forms.formset_factory(
    CriterionForm,
    formset=BaseCriterionFormSet,
    extra=0,
    max_num=MAX_CRITERIA,
    validate_max=True,
    absolute_max=MAX_CRITERIA,
)


def criterion_formset(data=None, *, criteria=(), extra_rows: int = 0):
    """The criteria as a formset with one empty row more (and `extra_rows` asked for)."""
    if data is not None:
        if extra_rows:
            data = data.copy()
            total = int(data.get("criteria-TOTAL_FORMS") or 0)
            data["criteria-TOTAL_FORMS"] = str(min(total + extra_rows, MAX_CRITERIA))
        return CriterionFormSet(data, prefix="criteria")
    initial = [
        {"id": c.pk, "name": c.name, "weight": c.weight, "description": c.description}
        for c in criteria
    ]
    rows = min(max(len(initial) + 1, 3), MAX_CRITERIA)
    return CriterionFormSet(initial=initial + [{}] * (rows - len(initial)), prefix="criteria")


class EvaluatorForm(forms.Form):
    user = PersonChoiceField(queryset=User.objects.none(), label="Evaluator")

    def __init__(self, *args, program: Program, rfp: Rfp, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(
                memberships__program=program, memberships__role__in=EVALUATOR_ROLES, is_active=True
            )
            .exclude(pk__in=rfp.evaluators.values("user_id"))
            .order_by("full_name")
            .distinct()
        )
        self.fields["user"].empty_label = "Choose a member…"


class ResponseForm(VersionedForm):
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.none(), help_text="Prospects first.")
    received_on = forms.DateField(widget=DATE, required=False, help_text="Empty: today.")
    price = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        label="Proposed price",
        help_text="Total over the contract term, in the program's currency.",
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="The offer in a few lines: scope, approach, notable terms.",
    )

    def __init__(self, *args, program: Program, rfp: Rfp, response: RfpResponse | None = None,
                 **kwargs):  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["price"].label = f"Proposed price ({program.currency})"
        if response is None:
            del self.fields["version"]
            vendors = (
                Vendor.objects.filter(program=program)
                .exclude(status=VendorStatus.OFFBOARDED)
                .exclude(pk__in=rfp.responses.values("vendor_id"))
            )
            self.fields["vendor"].queryset = vendors.order_by("-status", "name")
            self.fields["vendor"].label_from_instance = lambda v: (
                f"{v.name} ({v.get_status_display().lower()})"
            )
            self.fields["vendor"].empty_label = "Choose a vendor…"
        else:
            del self.fields["vendor"]


class ScoreForm(forms.Form):
    """One score (0..scale, whole number) and a comment per criterion; blank scores are allowed
    in a draft (submitting then names the missing ones)."""

    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Overall comment",
        help_text="Your summary of this response (visible to the others once you have all "
        "submitted).",
    )

    def __init__(self, *args, criteria, scale_max: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.scale_max = scale_max
        message = f"Give a whole number from 0 to {scale_max}."
        for c in self.criteria:
            self.fields[f"score_{c.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=scale_max,
                required=False,
                label=c.name,
                error_messages={"invalid": message, "min_value": message, "max_value": message},
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": scale_max,
                        "step": 1,
                        "inputmode": "numeric",
                        "class": "form-control rfp-score-input",
                    }
                ),
            )
            self.fields[f"note_{c.pk}"] = forms.CharField(
                required=False,
                label=f"Comment on {c.name}",
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )

    def rows(self):
        """(criterion, score field, comment field) for the template."""
        return [(c, self[f"score_{c.pk}"], self[f"note_{c.pk}"]) for c in self.criteria]

    def scores(self) -> dict[int, int | None]:
        return {c.pk: self.cleaned_data.get(f"score_{c.pk}") for c in self.criteria}

    def comments(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data.get(f"note_{c.pk}") or "" for c in self.criteria}


class SelectForm(VersionedForm):
    response = forms.ModelChoiceField(
        queryset=RfpResponse.objects.none(),
        widget=forms.RadioSelect,
        label="Selected response",
        empty_label=None,
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why this vendor over the others: the decision log keeps it with the scores.",
    )
    forum = forms.CharField(
        max_length=200,
        required=False,
        label="Decided in",
        help_text="The meeting or body, e.g. Steering committee 11 Aug 2026.",
    )

    def __init__(self, *args, rfp: Rfp, labels: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["response"].queryset = rfp.responses.select_related("vendor").filter(
            pk__in=list(labels)
        )
        self.fields["response"].label_from_instance = lambda r: labels.get(r.pk, r.vendor.name)

    def clean_rationale(self):
        text = self.cleaned_data["rationale"].strip()
        if not text:
            raise forms.ValidationError("Say why this vendor: the decision log keeps it.")
        return text
