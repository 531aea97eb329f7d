"""Forms for the WBS grid and item pages. Choice querysets are scoped to the program.

Durations and lags are shown and typed in working days; the models keep working minutes.
Start and finish are the engine's dates: a form passes them to the service only when the user
changed them, because the service translates a typed date into a constraint or a duration, as
MS Project does.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from core.forms import VersionedForm
from core.models import User
from programs.models import Program, Workstream
from programs.selectors import member_users

from .models import MINUTES_PER_DAY, Constraint, Item, ItemKind, ItemStatus, LinkType
from .selectors.grid import link_candidates, parent_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
KIND_CHOICES = [c for c in ItemKind.choices if c[0] != ItemKind.SUMMARY]
NO_DATE_CONSTRAINTS = (Constraint.ASAP, Constraint.ALAP)


def days_to_minutes(days: Decimal | float | int) -> int:
    return round(Decimal(days) * MINUTES_PER_DAY)


def minutes_to_days(minutes: int | None) -> Decimal | None:
    if minutes is None:
        return None
    return (Decimal(minutes) / MINUTES_PER_DAY).quantize(Decimal("0.01")).normalize() + 0


class ItemChoiceField(forms.ModelChoiceField):
    """An item picker that reads like the outline: WBS code, name and key."""

    def label_from_instance(self, obj: Item) -> str:
        indent = "\u2003" * min(obj.depth, 12)
        return f"{indent}{obj.wbs}  {obj.name} ({obj.key})"


class DaysField(forms.DecimalField):
    """Working days, in steps of a hundredth; never negative."""

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        kwargs.setdefault("max_digits", 8)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.allow_negative = allow_negative
        self.widget.attrs.update(step="0.5", inputmode="decimal")
        if not allow_negative:
            self.widget.attrs["min"] = "0"

    def validate(self, value):
        super().validate(value)
        if value is not None and value < 0 and not self.allow_negative:
            raise forms.ValidationError("A duration cannot be negative.", code="negative")


def _scope(form: forms.Form, program: Program) -> None:
    if "owner" in form.fields:
        form.fields["owner"].queryset = member_users(program=program)
        form.fields["owner"].empty_label = "No owner"
    if "workstream" in form.fields:
        form.fields["workstream"].empty_label = "No workstream"
        form.fields["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )


def _check_constraint(form: forms.Form, data: dict) -> None:
    constraint = data.get("constraint")
    if constraint is None:
        return
    if constraint in NO_DATE_CONSTRAINTS:
        data["constraint_date"] = None
    elif not data.get("constraint_date") and "constraint_date" not in form.errors:
        form.add_error("constraint_date", "This constraint needs a date.")


def _check_actuals(form: forms.Form, data: dict) -> None:
    a_start, a_finish = data.get("actual_start"), data.get("actual_finish")
    if a_start and a_finish and a_finish < a_start:
        form.add_error("actual_finish", "The actual finish cannot be before the actual start.")


# ---------------------------------------------------------------------------------------------
# Create
# ---------------------------------------------------------------------------------------------


class ItemCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=KIND_CHOICES, initial=ItemKind.TASK)
    name = forms.CharField(max_length=300)
    parent = ItemChoiceField(
        queryset=Item.objects.none(),
        required=False,
        empty_label="Top level",
        label="Under",
        help_text="The new item goes last under this one.",
    )
    workstream = forms.ModelChoiceField(queryset=Workstream.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    start = forms.DateField(widget=DATE, required=False, help_text="Empty: as soon as possible.")
    finish = forms.DateField(widget=DATE, required=False)
    duration_days = DaysField(label="Duration (working days)", help_text="Or give a finish date.")
    constraint = forms.ChoiceField(choices=Constraint.choices, initial=Constraint.ASAP)
    constraint_date = forms.DateField(widget=DATE, required=False)
    deadline = forms.DateField(widget=DATE, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    acceptance_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Milestones and deliverables: what must be true to sign it off.",
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        _scope(self, program)
        self.fields["parent"].queryset = parent_choices(program=program)

    def clean(self):
        data = super().clean()
        kind, start, finish = data.get("kind"), data.get("start"), data.get("finish")
        duration = data.get("duration_days")
        if kind == ItemKind.MILESTONE:
            if start and finish and start != finish:
                self.add_error(
                    "finish", "A milestone is on one day: give the same start and finish."
                )
        else:
            if start and finish and finish < start:
                self.add_error("finish", "The finish cannot be before the start.")
            elif finish and not start:
                self.add_error("start", "Give the start too, or a duration instead of a finish.")
            if finish and duration is not None:
                self.add_error(
                    "duration_days", "Give either a finish date or a duration, not both."
                )
        if start and data.get("constraint") not in (None, *NO_DATE_CONSTRAINTS):
            self.add_error(
                "constraint",
                "Give either a start date or a constraint: a start date already makes the "
                "item start no earlier than that day.",
            )
        _check_constraint(self, data)
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        duration = data.pop("duration_days", None)
        kwargs = {k: v for k, v in data.items() if v not in (None, "") or k == "parent"}
        if data["kind"] == ItemKind.MILESTONE:
            kwargs["duration_minutes"] = 0
            if data.get("start") and not data.get("finish"):
                kwargs["finish"] = kwargs.pop("start")
        elif duration is not None:
            kwargs["duration_minutes"] = days_to_minutes(duration)
        return kwargs


# ---------------------------------------------------------------------------------------------
# Edit (the page and the grid row share one form class with different fields)
# ---------------------------------------------------------------------------------------------

EDIT_FIELDS = (
    "name", "kind", "workstream", "owner", "description", "manual", "start", "finish",
    "duration_days", "percent_complete", "actual_start", "actual_finish", "status",
    "constraint", "constraint_date", "deadline", "cost", "acceptance_criteria",
    "remediation_plan",
)  # fmt: skip
INLINE_FIELDS = (
    "name", "owner", "workstream", "duration_days", "start", "finish", "percent_complete",
    "status",
)  # fmt: skip
PROGRESS_ONLY_FIELDS = ("percent_complete", "status", "actual_start", "actual_finish")


class ItemForm(VersionedForm):
    """Every editable field of an item; `fields=` keeps a subset (the grid row, progress only)."""

    name = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=KIND_CHOICES)
    workstream = forms.ModelChoiceField(queryset=Workstream.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    manual = forms.BooleanField(
        required=False,
        label="Manually scheduled",
        help_text="Keeps the dates you type whatever its links say.",
    )
    start = forms.DateField(widget=DATE, required=False)
    finish = forms.DateField(widget=DATE, required=False)
    duration_days = DaysField(label="Duration (working days)")
    percent_complete = forms.IntegerField(
        min_value=0, max_value=100, label="% complete", widget=forms.NumberInput(attrs={"step": 5})
    )
    actual_start = forms.DateField(widget=DATE, required=False)
    actual_finish = forms.DateField(widget=DATE, required=False)
    status = forms.ChoiceField(choices=ItemStatus.choices)
    constraint = forms.ChoiceField(choices=Constraint.choices)
    constraint_date = forms.DateField(widget=DATE, required=False)
    deadline = forms.DateField(widget=DATE, required=False)
    cost = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    acceptance_criteria = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    remediation_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What is being done about it, if this milestone has slipped.",
    )

    def __init__(self, *args, program: Program, item: Item, fields=EDIT_FIELDS, **kwargs):
        kwargs.setdefault("initial", self.initial_for(item))
        super().__init__(*args, **kwargs)
        self.item = item
        keep = set(fields) | {"version"}
        if item.kind == ItemKind.SUMMARY:
            # A summary's dates, duration and progress (so its status) roll up from below.
            keep -= {
                "kind", "duration_days", "start", "finish", "percent_complete", "manual",
                "status",
            }  # fmt: skip
            if not item.manual:
                keep -= {"actual_start", "actual_finish"}
        if item.kind == ItemKind.MILESTONE:
            keep -= {"duration_days", "start"}
            self.fields["finish"].label = "Date"
        if not item.accepts_signoff and "kind" not in keep:
            keep.discard("acceptance_criteria")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "description" not in fields:  # the grid row: short labels above narrow inputs
            for name, label in (("duration_days", "Days"), ("percent_complete", "% done")):
                if name in self.fields:
                    self.fields[name].label = label
        _scope(self, program)

    @staticmethod
    def initial_for(item: Item) -> dict:
        start = item.manual_start if item.manual and item.manual_start else item.start
        finish = item.manual_finish if item.manual and item.manual_finish else item.finish
        initial = {
            name: getattr(item, name)
            for name in EDIT_FIELDS
            if name not in ("start", "finish", "duration_days", "workstream", "owner")
        }
        initial.update(
            version=item.version,
            workstream=item.workstream_id,
            owner=item.owner_id,
            start=start,
            finish=finish,
            duration_days=minutes_to_days(item.duration_minutes),
        )
        return initial

    def clean(self):
        data = super().clean()
        initial = self.initial_for(self.item)
        start, finish = data.get("start"), data.get("finish")
        # A new start alone moves the item (the finish shown goes with it); a new finish must
        # not come before the start.
        finish_changed = finish is not None and finish != initial["finish"]
        if finish_changed and start and finish < start and "finish" not in self.errors:
            self.add_error("finish", "The finish cannot be before the start.")
        if (
            "duration_days" in self.fields
            and data.get("duration_days") is None
            and "duration_days" not in self.errors
            and data.get("kind", self.item.kind) != ItemKind.MILESTONE
        ):
            self.add_error("duration_days", "Give a duration (0 makes it a point in time).")
        _check_actuals(self, data)
        _check_constraint(self, data)
        if {"finish", "duration_minutes"} <= set(self.changes()):
            self.add_error(
                "duration_days", "Change either the finish or the duration, not both at once."
            )
        return data

    def changes(self) -> dict:
        """What the user changed, as `item_update` keyword arguments (call after is_valid)."""
        item, data = self.item, self.cleaned_data
        initial = self.initial_for(item)
        out = {}
        for name in self.fields:
            if name in ("version", "start", "finish", "duration_days") or name not in data:
                continue
            value = data[name]
            current = getattr(item, name)
            if name == "cost" and value is None:
                value = Decimal("0")
            if value != current:
                out[name] = value
        if "duration_days" in data and data["duration_days"] is not None:
            minutes = days_to_minutes(data["duration_days"])
            if minutes != item.duration_minutes:
                out["duration_minutes"] = minutes
        for name in ("start", "finish"):
            if name in data and data[name] is not None and data[name] != initial[name]:
                out[name] = data[name]
        return out


class LinkCreateForm(forms.Form):
    """A link between this item and another: the other item is before or after it."""

    direction = forms.ChoiceField(
        choices=[("predecessor", "Comes before this item"), ("successor", "Comes after this item")],
        initial="predecessor",
        label="The other item",
    )
    other = ItemChoiceField(queryset=Item.objects.none(), label="Item", empty_label="Choose…")
    type = forms.ChoiceField(choices=LinkType.choices, initial=LinkType.FS, label="Link type")
    lag_days = DaysField(
        allow_negative=True,
        label="Lag (working days)",
        initial=0,
        help_text="Negative for a lead: the successor may begin that many days early.",
    )

    def __init__(self, *args, program: Program, item: Item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = link_candidates(program=program).exclude(pk=item.pk)
        self.item = item

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        other, item = data["other"], self.item
        pred, succ = (other, item) if data["direction"] == "predecessor" else (item, other)
        return {
            "predecessor": pred,
            "successor": succ,
            "type": data["type"],
            "lag_minutes": days_to_minutes(data.get("lag_days") or 0),
        }


class LinkEditForm(VersionedForm):
    type = forms.ChoiceField(choices=LinkType.choices, label="Link type")
    lag_days = DaysField(allow_negative=True, label="Lag (working days)", required=True)

    def service_kwargs(self) -> dict:
        return {
            "type": self.cleaned_data["type"],
            "lag_minutes": days_to_minutes(self.cleaned_data["lag_days"]),
            "lag_percent": None,
        }


class SignoffForm(VersionedForm):
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Evidence",
        help_text="What the acceptance rests on: a test report, a signed form, a meeting.",
    )


KEEP = ""
CLEAR = "none"


class BulkEditForm(forms.Form):
    """Owner, status and workstream for the checked rows; each may be left as it is."""

    items = forms.ModelMultipleChoiceField(
        queryset=Item.objects.none(),
        error_messages={"required": "Tick at least one row first."},
    )
    owner = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        required=False, choices=[(KEEP, "Status: keep"), *ItemStatus.choices]
    )
    workstream = forms.ChoiceField(required=False)

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = Item.objects.filter(program=program)
        self.users = {str(u.pk): u for u in member_users(program=program)}
        self.workstreams = {
            str(w.pk): w for w in Workstream.objects.filter(program=program).order_by("name")
        }
        self.fields["owner"].choices = [
            (KEEP, "Owner: keep"),
            (CLEAR, "No owner"),
            *((pk, str(u)) for pk, u in self.users.items()),
        ]
        self.fields["workstream"].choices = [
            (KEEP, "Workstream: keep"),
            (CLEAR, "No workstream"),
            *((pk, w.name) for pk, w in self.workstreams.items()),
        ]

    def clean(self):
        data = super().clean()
        if not any(data.get(f) for f in ("owner", "status", "workstream")):
            raise forms.ValidationError("Choose an owner, a status or a workstream to set.")
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        out = {}
        if data.get("owner"):
            out["owner"] = None if data["owner"] == CLEAR else self.users[data["owner"]]
        if data.get("workstream"):
            out["workstream"] = (
                None if data["workstream"] == CLEAR else self.workstreams[data["workstream"]]
            )
        if data.get("status"):
            out["status"] = data["status"]
        return out


class MoveForm(forms.Form):
    """Indent, outdent, up, down, or under another item (empty parent: the top level)."""

    action = forms.ChoiceField(
        choices=[
            ("indent", "Indent"),
            ("outdent", "Outdent"),
            ("up", "Move up"),
            ("down", "Move down"),
            ("under", "Move under"),
        ]
    )
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    parent = ItemChoiceField(
        queryset=Item.objects.none(), required=False, empty_label="Top level", label="Move under"
    )

    def __init__(self, *args, program: Program, item: Item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parent_choices(program=program, moving=item)
