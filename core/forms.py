"""Form pieces shared by every app: the hidden version field and the stale-edit message."""

from __future__ import annotations

from django import forms
from django.forms.utils import pretty_name

from .versioning import StaleVersionError


def apply_validation_error(form, exc, *, aliases: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on `form`: each field's errors on that field (or on the
    field that stands for it, per `aliases`), anything else at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = (aliases or {}).get(field, field)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def posted_version(request) -> int | None:
    """The `version` a form carried (None, so no check, for a POST without one)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


class VersionedForm(forms.Form):
    """Carries the version the editor loaded, so a save based on a stale copy can be refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def report_conflict(self, error: StaleVersionError) -> None:
        """Explain what changed meanwhile, keep the user's input, and accept the next save."""
        # Unlabelled fields read as Django shows them ("Start date"), not as code ("start_date").
        labels = {name: (f.label or pretty_name(name)) for name, f in self.fields.items()}
        parts = []
        data = self.data.copy()
        for field, (was, now) in error.changed_fields.items():
            label = labels.get(field, pretty_name(field))
            choices = dict(getattr(self.fields.get(field), "choices", None) or [])
            parts.append(f"{label}: {display_value(was, choices)} → {display_value(now, choices)}")
            # A field this editor left as it was takes the other person's value, so saving again
            # applies only what this editor changed instead of silently undoing the other change.
            if field in self.fields and _raw(data.get(field)) == _raw(was):
                data[field] = _raw(now)
        who = ", ".join(error.changed_by) or "someone else"
        detail = "; ".join(parts) or "no visible fields"
        self.add_error(
            None,
            f"{who} changed this while you were editing ({detail}). Your changes are kept below; "
            "review them and save again to apply them.",
        )
        self.conflict = error
        data["version"] = str(error.current.version)
        self.data = data


def display_value(value, choices: dict | None = None) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, dict) and "repr" in value:
        return str(value["repr"])
    if choices and value in choices:
        return str(choices[value])
    return str(value)


def _raw(value) -> str:
    """An audit value (or posted value) as the string a form would post for it."""
    if isinstance(value, dict) and "id" in value:
        value = value["id"]
    return "" if value is None else str(value)
