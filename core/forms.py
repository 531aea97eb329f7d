"""Form pieces shared by every app: the hidden version field and the stale-edit message."""

from __future__ import annotations

from django import forms

from .versioning import StaleVersionError


class VersionedForm(forms.Form):
    """Carries the version the editor loaded, so a save based on a stale copy can be refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def report_conflict(self, error: StaleVersionError) -> None:
        """Explain what changed meanwhile, keep the user's input, and accept the next save."""
        labels = {name: (f.label or name) for name, f in self.fields.items()}
        parts = []
        for field, (was, now) in error.changed_fields.items():
            label = labels.get(field, field.replace("_", " "))
            parts.append(f"{label}: {display_value(was)} → {display_value(now)}")
        who = ", ".join(error.changed_by) or "someone else"
        detail = "; ".join(parts) or "no visible fields"
        self.add_error(
            None,
            f"{who} changed this while you were editing ({detail}). Your changes are kept below; "
            "review them and save again to apply them.",
        )
        self.conflict = error
        data = self.data.copy()
        data["version"] = str(error.current.version)
        self.data = data


def display_value(value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, dict) and "repr" in value:
        return str(value["repr"])
    return str(value)
