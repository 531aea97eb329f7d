"""Forms of the status report pages: open a report, its narrative, a RAG override, a
workstream's commentary, and the program's RAG thresholds."""

from __future__ import annotations

from django import forms
from django.forms.models import fields_for_model

from core.forms import VersionedForm

from ..models import DIMENSION_CHOICES, ReportSettings
from ..models.settings import THRESHOLD_FIELDS

LINES = "One point per line."
RATING_CHOICES = [("green", "Green"), ("amber", "Amber"), ("red", "Red")]
COMMENTARY_CHOICES = [*RATING_CHOICES, ("grey", "Not rated")]


class OpenReportForm(forms.Form):
    period = forms.RegexField(
        regex=r"^\d{4}-[Ww]\d{2}$",
        max_length=8,
        label="Week",
        help_text="An ISO week such as 2026-W48 (this week or one before it).",
        error_messages={"invalid": "Give an ISO week such as 2026-W48."},
        widget=forms.TextInput(attrs={"placeholder": "2026-W48", "autocomplete": "off"}),
    )

    def clean_period(self) -> str:
        return self.cleaned_data["period"].upper()


def _lines(label: str, help_text: str = LINES, rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )  # fmt: skip


class NarrativeForm(VersionedForm):
    headline = forms.CharField(
        max_length=300, required=False,
        help_text="One sentence an executive reads first, e.g. “Wave 1 holds if the archive "
        "decision is made by Friday.”",
    )  # fmt: skip
    achievements = _lines("Achievements", "What was done this week; one point per line.")
    next_steps = _lines("Next steps", "What happens next week; one point per line.")
    decisions = _lines("Decisions taken", "Decisions taken this week; one point per line.", 3)
    help_needed = _lines("Help needed", "What you ask of the executives; one point per line.", 3)

    FIELDS = ("headline", "achievements", "next_steps", "decisions", "help_needed")

    def __init__(self, *args, report=None, **kwargs):
        if report is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(report, name) for name in self.FIELDS},
                "version": report.version,
            }
        super().__init__(*args, **kwargs)

    def changes(self, report) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.FIELDS
            if (getattr(report, name) or "") != (self.cleaned_data[name] or "").strip()
        }


class OverrideForm(VersionedForm):
    dimension = forms.ChoiceField(choices=DIMENSION_CHOICES)
    rag = forms.ChoiceField(label="Rating", choices=RATING_CHOICES, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason (required)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the computed rating does not tell the truth. Executives read it "
        "next to the rating.",
    )


class CommentaryForm(forms.Form):
    workstream = forms.ChoiceField(choices=())
    rag = forms.ChoiceField(
        label="Lead's rating", choices=COMMENTARY_CHOICES, widget=forms.RadioSelect,
        initial="grey",
    )  # fmt: skip
    text = forms.CharField(
        label="Commentary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What happened in the workstream this week, and what it needs.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, workstreams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workstream"].choices = [(w.key, w.name) for w in workstreams]


class ReportSettingsForm(VersionedForm):
    def __init__(self, *args, settings: ReportSettings, **kwargs):
        kwargs.setdefault(
            "initial",
            {**{name: getattr(settings, name) for name in THRESHOLD_FIELDS},
             "version": settings.version},
        )  # fmt: skip
        super().__init__(*args, **kwargs)
        version = self.fields.pop("version")
        for name, field in fields_for_model(ReportSettings, fields=THRESHOLD_FIELDS).items():
            field.widget.attrs.setdefault("class", "form-control")
            self.fields[name] = field
        self.fields["version"] = version
        for _label, metrics in self.GROUPS:
            for _metric, amber, red, word in metrics:
                if amber:
                    self.fields[amber].label = f"Amber {word}"
                self.fields[red].label = f"Red {word}"

    def changes(self, settings: ReportSettings) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in THRESHOLD_FIELDS
            if getattr(settings, name) != self.cleaned_data[name]
        }

    # (dimension, [(metric, amber field or None, red field, "below" for an index)])
    GROUPS = (
        ("Schedule", [("SPI", "spi_amber", "spi_red", "below"),
                      ("Slipped milestones", "slipped_amber", "slipped_red", "from")]),
        ("Cost", [("CPI", "cpi_amber", "cpi_red", "below"),
                  ("Forecast over budget (%)", "overrun_amber", "overrun_red", "from")]),
        ("Scope", [("Open change requests", "open_changes_amber", "open_changes_red", "from"),
                   ("Change requests past their decision date", "overdue_changes_amber",
                    "overdue_changes_red", "from")]),
        ("Risk", [("Risk exposure (sum of open risks' scores)", "exposure_amber", "exposure_red",
                   "from"),
                  ("High risks raised in the week", "new_high_risks_amber", "new_high_risks_red",
                   "from")]),
        ("Quality", [("Open severity-1 defects", None, "sev1_red", "from"),
                     ("Open severity-2 defects", "sev2_amber", "sev2_red", "from")]),
    )  # fmt: skip

    def groups(self):
        """[(dimension, [(metric, amber bound field or None, red bound field)])], the fields
        labelled "Amber below" / "Red from" … for the grid."""
        out = []
        for label, metrics in self.GROUPS:
            rows = []
            for metric, amber, red, _word in metrics:
                rows.append((metric, self[amber] if amber else None, self[red]))
            out.append((label, rows))
        return out
