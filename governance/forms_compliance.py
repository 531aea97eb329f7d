"""Forms of the compliance register: an obligation and an evidence upload."""

from __future__ import annotations

from django import forms

from core.forms import VersionedForm
from programs.selectors import member_users

from .models.compliance import ComplianceStatus, ObligationKind
from .services.compliance import ACCEPTED_TYPES_TEXT, EVIDENCE_TYPES, evidence_max_bytes

OBLIGATION_FIELDS = (
    "title", "kind", "reference", "text", "control", "owner", "review_date", "status", "notes",
)  # fmt: skip


class ObligationForm(VersionedForm):
    """A new obligation (no version) or an edit (carries the version the editor loaded)."""

    title = forms.CharField(max_length=200, help_text="A short name people recognise.")
    kind = forms.ChoiceField(choices=ObligationKind.choices, initial=ObligationKind.REGULATION)
    reference = forms.CharField(
        max_length=120, help_text="Where it comes from, e.g. “GDPR Art. 32” or “MSA §14.2”."
    )
    text = forms.CharField(
        label="Obligation",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What it requires, in its own words.",
    )
    control = forms.CharField(
        label="Control",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How the program meets it, and how that is checked.",
    )
    owner = forms.ModelChoiceField(queryset=None, empty_label="Choose the owner…")
    review_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="When the control is next reviewed; the owner is reminded a week before.",
    )
    status = forms.ChoiceField(
        choices=ComplianceStatus.choices,
        initial=ComplianceStatus.NOT_ASSESSED,
        help_text="Non-compliant is escalated to the program manager at once.",
    )
    notes = forms.CharField(
        label="Findings",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the last assessment found.",
    )

    def __init__(self, *args, program, obligation=None, **kwargs):
        if obligation is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(obligation, name) for name in OBLIGATION_FIELDS},
                "owner": obligation.owner_id,
                "version": obligation.version,
            }
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_users(program=program)
        self.fields["owner"].label_from_instance = lambda u: (
            f"{u.full_name} — {u.job_title}" if u.job_title else u.full_name
        )
        self.fields["version"].required = obligation is not None

    def changes(self, obligation=None) -> dict:
        """The cleaned fields (all of them for a new obligation; the changed ones otherwise)."""
        data = {name: self.cleaned_data[name] for name in OBLIGATION_FIELDS}
        if obligation is None:
            return data
        return {name: value for name, value in data.items() if getattr(obligation, name) != value}


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(
        label="Evidence file",
        allow_empty_file=True,  # the service says "is empty" with the file's name
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(sorted(EVIDENCE_TYPES))}),
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What it shows, e.g. “Q3 access review, signed by the controller”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_mb = evidence_max_bytes() // (1024 * 1024)
        self.fields["file"].help_text = f"Up to {limit_mb} MB: {ACCEPTED_TYPES_TEXT}."
