"""Forms of the RAID log: one per type, used whole on the create/edit pages and as a subset of
fields in the log's inline row editor. Choice querysets are scoped to the program (and, for the
other program of a dependency, to the user's own programs).

The forms are ModelForms for their fields, labels and initial values only: they never save or
run model validation themselves. The view hands `changes()` (edit) or `service_kwargs()` (create)
to the service, which validates, saves and audits; its errors come back onto the form's fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.validators import MinValueValidator

from core.forms import VersionedForm
from programs.models import Program, ProgramMembership, Workstream
from programs.selectors import member_users
from schedules.models import Item

from .choices import IMPACT_LABELS, PROBABILITY_LABELS, RATINGS, RaidType, Severity
from .models import Action, Assumption, Dependency, Issue, RaidItem, Risk

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT3 = forms.Textarea(attrs={"rows": 3})
TEXT2 = forms.Textarea(attrs={"rows": 2})


def _rating_choices(labels: dict[int, str]) -> list[tuple[int, str]]:
    return [(r, f"{r} · {labels[r]}") for r in RATINGS]


def rating_field(label: str, labels: dict[int, str], *, required: bool = True, help_text=""):
    choices: list[tuple[Any, str]] = _rating_choices(labels)
    if not required:
        choices = [("", "Not assessed"), *choices]
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=int,
        empty_value=None,
        required=required,
        initial=3 if required else None,  # the model's default for a new risk
        help_text=help_text,
        error_messages={"invalid_choice": "Choose a rating from 1 to 5."},
    )


class WbsItemsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Item) -> str:
        return f"{obj.wbs}  {obj.name} ({obj.key})"


class RaidItemForm(VersionedForm, forms.ModelForm):
    """Base of the five forms: program-scoped choices, the version, and what changed."""

    RAID_TYPE = ""
    INLINE_FIELDS: tuple[str, ...] = ("title", "owner", "status")
    FIELDSETS: tuple = ()  # (legend, ((field, column classes), ...)) for the form page

    wbs_items = WbsItemsField(
        queryset=Item.objects.none(),
        required=False,
        label="Linked WBS items",
        help_text="Hold Ctrl (⌘ on a Mac) to pick several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = RaidItem
        fields: list[str] = []

    def __init__(
        self,
        data=None,
        *,
        program: Program,
        user=None,
        instance: RaidItem | None = None,
        fields: tuple[str, ...] | None = None,
        **kwargs,
    ):
        if instance is not None:
            kwargs.setdefault("initial", {})
            kwargs["initial"].setdefault("version", instance.version)
        super().__init__(data, instance=instance, **kwargs)
        self.program = program
        self.user = user
        self.creating = instance is None or instance.pk is None
        if self.creating:
            del self.fields["version"]
        if fields is not None:
            keep = set(fields) | {"version"}
            for name in list(self.fields):
                if name not in keep:
                    del self.fields[name]
        if "owner" in self.fields:
            self.fields["owner"].queryset = member_users(program=program)
            self.fields["owner"].empty_label = "No owner"
        if "workstream" in self.fields:
            self.fields["workstream"].queryset = Workstream.objects.filter(
                program=program
            ).order_by("name")
            self.fields["workstream"].empty_label = "No workstream"
        if "wbs_items" in self.fields:
            self.fields["wbs_items"].queryset = (
                Item.objects.filter(program=program)
                .order_by("outline_path")
                .only("pk", "key", "name", "wbs", "outline_path")
            )
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DATE

    def fieldsets(self) -> list[tuple[str, list[tuple[Any, str]]]]:
        """The form's sections with bound fields, for the template (fields not in the form are
        left out, so a subset form still renders)."""
        out = []
        for legend, fields in self.FIELDSETS:
            bound = [(self[name], css) for name, css in fields if name in self.fields]
            if bound:
                out.append((legend, bound))
        return out

    def _post_clean(self):
        """No model validation here: the service validates (and reports onto these fields)."""

    def service_kwargs(self) -> dict[str, Any]:
        """The service's keyword arguments for a new item (call after is_valid)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    def changes(self) -> dict[str, Any]:
        """What the user changed, as the update service's keyword arguments."""
        item = self.instance
        out: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name == "version" or name not in self.fields:
                continue
            if name == "wbs_items":
                if {i.pk for i in value} != set(item.wbs_items.values_list("pk", flat=True)):
                    out[name] = list(value)
                continue
            current = getattr(item, name)
            if value != current:
                out[name] = value
        return out


class RiskForm(RaidItemForm):
    RAID_TYPE = RaidType.RISK
    FIELDSETS = (
        ("", (("title", "col-12"), ("category", "col-12 col-sm-6 col-lg-3"),
              ("workstream", "col-12 col-sm-6 col-lg-3"), ("owner", "col-12 col-sm-6 col-lg-3"),
              ("status", "col-12 col-sm-6 col-lg-3"), ("description", "col-12"))),
        ("Risk statement", (("cause", "col-12 col-md-4"), ("event", "col-12 col-md-4"),
                            ("effect", "col-12 col-md-4"))),
        ("Assessment", (("probability", "col-12 col-lg-4"),
                        ("impact_schedule", "col-6 col-sm-3 col-lg-2"),
                        ("impact_cost", "col-6 col-sm-3 col-lg-2"),
                        ("impact_scope", "col-6 col-sm-3 col-lg-2"),
                        ("impact_quality", "col-6 col-sm-3 col-lg-2"),
                        ("proximity_date", "col-12 col-sm-6"),
                        ("cost_impact_amount", "col-12 col-sm-6"))),
        ("Response", (("response_strategy", "col-12 col-sm-6"), ("trigger", "col-12"),
                      ("mitigation_plan", "col-12 col-md-6"),
                      ("contingency_plan", "col-12 col-md-6"))),
        ("After mitigation and review", (("residual_probability", "col-12 col-sm-4"),
                                         ("residual_impact", "col-12 col-sm-4"),
                                         ("review_date", "col-12 col-sm-4"))),
        ("Links", (("wbs_items", "col-12"),)),
    )  # fmt: skip
    INLINE_FIELDS = (
        "title", "owner", "status", "probability", "impact_schedule", "impact_cost",
        "impact_scope", "impact_quality", "review_date",
    )  # fmt: skip

    probability = rating_field("Probability", PROBABILITY_LABELS)
    impact_schedule = rating_field("Schedule impact", IMPACT_LABELS)
    impact_cost = rating_field("Cost impact", IMPACT_LABELS)
    impact_scope = rating_field("Scope impact", IMPACT_LABELS)
    impact_quality = rating_field("Quality impact", IMPACT_LABELS)
    residual_probability = rating_field(
        "Residual probability",
        PROBABILITY_LABELS,
        required=False,
        help_text="After the mitigation; leave empty until assessed.",
    )
    residual_impact = rating_field(
        "Residual impact", IMPACT_LABELS, required=False, help_text="The highest impact left."
    )

    class Meta:
        model = Risk
        fields = [
            "title", "category", "workstream", "owner", "status", "description", "cause",
            "event", "effect", "probability", "impact_schedule", "impact_cost", "impact_scope",
            "impact_quality", "proximity_date", "response_strategy", "mitigation_plan",
            "contingency_plan", "trigger", "residual_probability", "residual_impact",
            "cost_impact_amount", "review_date", "wbs_items",
        ]  # fmt: skip
        widgets = {
            "description": TEXT2,
            "cause": TEXT2,
            "event": TEXT2,
            "effect": TEXT2,
            "mitigation_plan": TEXT3,
            "contingency_plan": TEXT3,
            "trigger": TEXT2,
        }
        labels = {"cause": "Cause", "event": "Event", "effect": "Effect"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "cost_impact_amount" in self.fields:
            field = cast(forms.DecimalField, self.fields["cost_impact_amount"])
            field.label = f"Cost if it occurs ({self.program.currency})"
            field.validators.append(MinValueValidator(Decimal("0")))
            field.widget.attrs.update(step="0.01", min="0", inputmode="decimal")

    def clean(self):
        data = super().clean() or {}
        if "residual_probability" in self.fields and "residual_impact" in self.fields:
            rp, ri = data.get("residual_probability"), data.get("residual_impact")
            if (rp is None) != (ri is None):
                missing = "residual_impact" if ri is None else "residual_probability"
                if missing not in self.errors:
                    self.add_error(
                        missing, "Give both residual probability and residual impact, or neither."
                    )
        return data


class IssueForm(RaidItemForm):
    RAID_TYPE = RaidType.ISSUE
    FIELDSETS = (
        ("", (("title", "col-12"), ("workstream", "col-12 col-sm-6"),
              ("owner", "col-12 col-sm-6"), ("severity", "col-6 col-sm-3"),
              ("priority", "col-6 col-sm-3"), ("due_date", "col-6 col-sm-3"),
              ("status", "col-6 col-sm-3"), ("description", "col-12"))),
        ("Resolution", (("resolution", "col-12"), ("raised_from_risk", "col-12"))),
        ("Links", (("wbs_items", "col-12"),)),
    )  # fmt: skip
    INLINE_FIELDS = ("title", "owner", "status", "severity", "priority", "due_date")

    class Meta:
        model = Issue
        fields = [
            "title", "workstream", "owner", "status", "severity", "priority", "due_date",
            "description", "resolution", "raised_from_risk", "wbs_items",
        ]  # fmt: skip
        widgets = {"description": TEXT3, "resolution": TEXT3}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "raised_from_risk" in self.fields:
            self.fields["raised_from_risk"].queryset = Risk.objects.filter(
                program=self.program
            ).order_by("number")
            self.fields["raised_from_risk"].empty_label = "Not from a risk"


class AssumptionForm(RaidItemForm):
    RAID_TYPE = RaidType.ASSUMPTION
    FIELDSETS = (
        ("", (("title", "col-12"), ("workstream", "col-12 col-sm-6"),
              ("owner", "col-12 col-sm-6"), ("validate_by", "col-6 col-sm-6"),
              ("status", "col-6 col-sm-6"), ("description", "col-12"),
              ("consequence_if_false", "col-12"))),
        ("Links", (("wbs_items", "col-12"),)),
    )  # fmt: skip
    INLINE_FIELDS = ("title", "owner", "status", "validate_by")

    class Meta:
        model = Assumption
        fields = [
            "title", "workstream", "owner", "status", "validate_by", "description",
            "consequence_if_false", "wbs_items",
        ]  # fmt: skip
        widgets = {"description": TEXT3, "consequence_if_false": TEXT3}


class DependencyForm(RaidItemForm):
    RAID_TYPE = RaidType.DEPENDENCY
    FIELDSETS = (
        ("", (("title", "col-12"), ("direction", "col-12 col-sm-6"),
              ("needed_by", "col-6 col-sm-3"), ("status", "col-6 col-sm-3"),
              ("workstream", "col-12 col-sm-6"), ("owner", "col-12 col-sm-6"),
              ("description", "col-12"))),
        ("Who gives (name one)", (("giver_workstream", "col-12 col-md-4"),
                                  ("giver_program", "col-12 col-md-4"),
                                  ("giver_external", "col-12 col-md-4"))),
        ("Who receives (name one)", (("receiver_workstream", "col-12 col-md-4"),
                                     ("receiver_program", "col-12 col-md-4"),
                                     ("receiver_external", "col-12 col-md-4"))),
        ("Links", (("wbs_items", "col-12"),)),
    )  # fmt: skip
    INLINE_FIELDS = ("title", "owner", "status", "needed_by")

    class Meta:
        model = Dependency
        fields = [
            "title", "direction", "workstream", "owner", "status", "needed_by", "description",
            "giver_program", "giver_workstream", "giver_external", "receiver_program",
            "receiver_workstream", "receiver_external", "wbs_items",
        ]  # fmt: skip
        widgets = {"description": TEXT3}
        labels = {
            "giver_program": "Giver: another program",
            "giver_workstream": "Giver: a workstream of this program",
            "giver_external": "Giver: an external party",
            "receiver_program": "Receiver: another program",
            "receiver_workstream": "Receiver: a workstream of this program",
            "receiver_external": "Receiver: an external party",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mine = ProgramMembership.objects.filter(user=self.user).values("program_id")
        for side in Dependency.SIDES:
            name = f"{side}_program"
            if name in self.fields:
                self.fields[name].queryset = (
                    Program.objects.filter(pk__in=mine).exclude(pk=self.program.pk)
                    if self.user is not None
                    else Program.objects.none()
                )
                self.fields[name].empty_label = "—"
            name = f"{side}_workstream"
            if name in self.fields:
                self.fields[name].queryset = Workstream.objects.filter(
                    program=self.program
                ).order_by("name")
                self.fields[name].empty_label = "—"
            name = f"{side}_external"
            if name in self.fields:
                self.fields[name].widget.attrs["placeholder"] = "e.g. SAP, the bank, HMRC"

    def clean(self):
        data = super().clean() or {}
        for side in Dependency.SIDES:
            names = [f"{side}_program", f"{side}_workstream", f"{side}_external"]
            if not all(n in self.fields for n in names) or any(n in self.errors for n in names):
                continue
            given = [n for n in names if data.get(n) not in (None, "")]
            if len(given) != 1:
                self.add_error(
                    names[0],
                    f"Name exactly one {side}: another program, a workstream or an external party.",
                )
        return data


class ActionForm(RaidItemForm):
    RAID_TYPE = RaidType.ACTION
    FIELDSETS = (
        ("", (("title", "col-12"), ("workstream", "col-12 col-sm-6"),
              ("owner", "col-12 col-sm-6"), ("due_date", "col-6"), ("status", "col-6"),
              ("description", "col-12"))),
        ("Links", (("wbs_items", "col-12"),)),
    )  # fmt: skip
    INLINE_FIELDS = ("title", "owner", "status", "due_date")

    class Meta:
        model = Action
        fields = [
            "title", "workstream", "owner", "status", "due_date", "description", "wbs_items",
        ]  # fmt: skip
        widgets = {"description": TEXT3}


FORMS: dict[str, type[RaidItemForm]] = {
    RaidType.RISK: RiskForm,
    RaidType.ISSUE: IssueForm,
    RaidType.ASSUMPTION: AssumptionForm,
    RaidType.DEPENDENCY: DependencyForm,
    RaidType.ACTION: ActionForm,
}


class RiskReviewForm(VersionedForm):
    """Record a review: re-rate if needed and set the next review date."""

    probability = rating_field("Probability", PROBABILITY_LABELS)
    impact_schedule = rating_field("Schedule impact", IMPACT_LABELS)
    impact_cost = rating_field("Cost impact", IMPACT_LABELS)
    impact_scope = rating_field("Scope impact", IMPACT_LABELS)
    impact_quality = rating_field("Quality impact", IMPACT_LABELS)
    next_review = forms.DateField(
        widget=DATE, required=False, label="Next review", help_text="Empty: no review planned."
    )

    def __init__(self, *args, risk: Risk, **kwargs):
        initial = {
            "version": risk.version,
            "probability": risk.probability,
            "impact_schedule": risk.impact_schedule,
            "impact_cost": risk.impact_cost,
            "impact_scope": risk.impact_scope,
            "impact_quality": risk.impact_quality,
            "next_review": risk.review_date,
        }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.risk = risk

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {"next_review": data.get("next_review")}
        for name in Risk.RATING_FIELDS:
            if data[name] != getattr(self.risk, name):
                kwargs[name] = data[name]
        return kwargs


class RaiseIssueForm(VersionedForm):
    """The risk occurred: the new issue's first details."""

    title = forms.CharField(max_length=300)
    severity = forms.TypedChoiceField(choices=Severity.choices, coerce=int, initial=Severity.HIGH)
    due_date = forms.DateField(widget=DATE, required=False)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data[k] for k in ("title", "severity", "due_date") if data.get(k) is not None}
