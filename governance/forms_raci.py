"""Forms of the RACI matrix: a column (person or role), a row (plan item or activity, with its
letters) and the letters of one row as the grid posts them.

The forms check the row rule themselves (the same function the services use), so a refused
save shows the reason next to the user's letters; the services check again when saving.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.forms import VersionedForm
from programs.selectors import member_users

from .models.raci import LETTER_TEXT, RaciColumn, RaciColumnKind, RaciLetter, raci_rule_problems
from .selectors.raci import raci_item_choices

CELL_PREFIX = "cell-"
# The empty choice shows an en dash (no letter).
CELL_CHOICES = [("", "\u2013")] + [(value, LETTER_TEXT[value]) for value in RaciLetter.values]
# The row form has room to say what each letter means.
CELL_CHOICES_LONG = [("", "\u2013 none")] + [
    (value, f"{LETTER_TEXT[value]} \u00b7 {label}") for value, label in RaciLetter.choices
]
RADIO = forms.RadioSelect(attrs={"class": "form-check-input"})


def cell_field_name(column: RaciColumn) -> str:
    return f"{CELL_PREFIX}{column.pk}"


class CellsMixin:
    """One select per column (`cell-<column id>`), and the rule checked in `clean()`."""

    columns: list[RaciColumn]
    fields: dict
    cleaned_data: dict

    def add_cell_fields(
        self, columns: list[RaciColumn], letters: dict[int, str] | None, *, long: bool = False
    ) -> None:
        self.columns = columns
        for column in columns:
            self.fields[cell_field_name(column)] = forms.ChoiceField(
                label=column.label,
                choices=CELL_CHOICES_LONG if long else CELL_CHOICES,
                required=False,
                initial=(letters or {}).get(column.pk, ""),
            )

    def cells(self) -> dict[int, str]:
        """{column id: letter} of the cleaned form (empty letters left out)."""
        return {
            c.pk: self.cleaned_data.get(cell_field_name(c)) or ""
            for c in self.columns
            if self.cleaned_data.get(cell_field_name(c))
        }

    def cell_fields(self):
        return [(column, self[cell_field_name(column)]) for column in self.columns]

    def check_rule(self, label: str) -> None:
        pairs = [(c.label, self.cleaned_data.get(cell_field_name(c)) or "") for c in self.columns]
        problems = raci_rule_problems(label, pairs)
        if problems:
            raise ValidationError(problems)


class RaciCellsForm(CellsMixin, VersionedForm):
    """The letters of one row, as the grid saves them (with the row's version)."""

    def __init__(self, *args, columns: list[RaciColumn], row, letters=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.row = row
        self.add_cell_fields(columns, letters)

    def clean(self):
        cleaned = super().clean()
        self.check_rule(self.row.label)
        return cleaned


class RaciRowForm(CellsMixin, forms.Form):
    """A new row, or every field of an existing one: what it stands for and its letters."""

    SOURCE_CHOICES = [
        ("item", "A deliverable or milestone of the plan"),
        ("activity", "An activity"),
    ]

    source = forms.ChoiceField(
        label="The row is", choices=SOURCE_CHOICES, widget=RADIO, initial="item"
    )
    item = forms.ModelChoiceField(
        label="Deliverable or milestone",
        queryset=None,
        required=False,
        empty_label="Choose from the plan…",
        help_text="Items that already have a row are not offered.",
    )
    activity = forms.CharField(
        label="Activity",
        max_length=300,
        required=False,
        help_text="Work that is not an item of the plan, e.g. “Data cutover rehearsal”.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, program, columns, row=None, letters=None, **kwargs):
        if row is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "source": "item" if row.live_item is not None else "activity",
                "item": row.item_id if row.live_item is not None else None,
                "activity": "" if row.live_item is not None else row.activity,
                "version": row.version,
            }
        super().__init__(*args, **kwargs)
        self.program = program
        self.row = row
        items = raci_item_choices(program=program, row=row)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda i: (
            f"{i.key} {i.name} ({i.get_kind_display()})"
        )
        if row is not None:
            self.fields["version"].required = True
        self.add_cell_fields(columns, letters, long=True)

    def clean(self):
        cleaned = super().clean()
        source = cleaned.get("source")
        label = None
        if source == "item":
            item = cleaned.get("item")
            if item is None:
                self.add_error("item", "Choose the deliverable or milestone this row stands for.")
            else:
                cleaned["activity"] = ""
                label = f"{item.key} {item.name}"
        elif source == "activity":
            activity = (cleaned.get("activity") or "").strip()
            if not activity:
                self.add_error("activity", "Name the activity.")
            else:
                cleaned["item"] = None
                cleaned["activity"] = activity
                label = activity
        if label is not None:
            self.check_rule(label)
        return cleaned

    def service_kwargs(self) -> dict:
        return {
            "item": self.cleaned_data.get("item"),
            "activity": self.cleaned_data.get("activity") or "",
            "cells": self.cells(),
        }


class RaciColumnForm(forms.Form):
    kind = forms.ChoiceField(
        label="The column is",
        choices=RaciColumnKind.choices,
        widget=RADIO,
        initial=RaciColumnKind.PERSON,
    )
    user = forms.ModelChoiceField(
        label="Person",
        queryset=None,
        required=False,
        empty_label="Choose a member…",
        help_text="Members of the program who have no column yet.",
    )
    role_name = forms.CharField(
        label="Role",
        max_length=100,
        required=False,
        help_text="A role or body, e.g. “Steering committee” or “Data protection officer”.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, program, column=None, **kwargs):
        if column is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": column.kind,
                "user": column.user_id,
                "role_name": column.role_name,
                "version": column.version,
            }
        super().__init__(*args, **kwargs)
        taken = RaciColumn.objects.filter(program=program, user__isnull=False)
        if column is not None:
            taken = taken.exclude(pk=column.pk)
            self.fields["version"].required = True
        users = member_users(program=program).exclude(pk__in=taken.values("user_id"))
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.full_name} — {u.job_title}" if u.job_title else u.full_name
        )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == RaciColumnKind.PERSON and not cleaned.get("user"):
            self.add_error("user", "Choose the person this column stands for.")
        if kind == RaciColumnKind.ROLE and not (cleaned.get("role_name") or "").strip():
            self.add_error("role_name", "Name the role, e.g. “Steering committee”.")
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        if data["kind"] == RaciColumnKind.PERSON:
            return {"kind": data["kind"], "user": data["user"], "role_name": ""}
        return {"kind": data["kind"], "user": None, "role_name": data["role_name"].strip()}
