"""Forms of contract deliverables: the deliverable (with its first criteria), a criterion, the
submission (several files and a note), the review (a decision per criterion) and withdrawal.
Choice querysets are scoped to the program."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.forms import VersionedForm
from core.models import User
from core.permissions import MATRIX
from core.uploads import human_size
from programs.models import Program
from schedules.models import Item

from ..models import AcceptanceCriterion, Contract, ContractStatus, Deliverable
from ..services import deliverables as services

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DELIVERABLE_FIELDS = ("contract", "title", "description", "due_date", "wbs_item", "reviewer")


def _person(user: User) -> str:
    return f"{user.full_name} — {user.job_title}" if user.job_title else user.full_name


class DeliverableForm(VersionedForm):
    """A new deliverable (with its acceptance criteria, one per line) or an edit."""

    title = forms.CharField(max_length=300, help_text="What is owed, as the SOW names it.")
    contract = forms.ModelChoiceField(
        queryset=Contract.objects.none(),
        empty_label="Choose the contract or SOW…",
        help_text="Active or draft contracts; the deliverable's vendor is the contract's.",
    )
    due_date = forms.DateField(widget=DATE)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Scope, format, where the SOW defines it.",
    )
    wbs_item = forms.ModelChoiceField(
        queryset=Item.objects.none(),
        required=False,
        label="WBS deliverable",
        empty_label="Not linked to the plan",
        help_text="The deliverable or milestone of the WBS it fulfils.",
    )
    reviewer = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="The contract owner, else the program managers",
        help_text="Who reviews submissions (e-mailed when one arrives).",
    )
    criteria = forms.CharField(
        label="Acceptance criteria",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line: testable statements the reviewer will mark met or not met.",
    )

    def __init__(self, *args, program: Program, deliverable: Deliverable | None = None, **kwargs):
        if deliverable is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(deliverable, name) for name in DELIVERABLE_FIELDS},
                "contract": deliverable.contract_id,
                "wbs_item": deliverable.wbs_item_id,
                "reviewer": deliverable.reviewer_id,
                "version": deliverable.version,
            }
        super().__init__(*args, **kwargs)
        contracts = Contract.objects.filter(program=program).select_related("vendor")
        open_ = contracts.filter(status__in=services.OPEN_CONTRACT)
        if deliverable is not None:
            open_ = contracts.filter(
                pk__in=[*open_.values_list("pk", flat=True), deliverable.contract_id]
            )
            del self.fields["criteria"]  # criteria are edited one by one once it exists
        self.fields["contract"].queryset = open_.order_by("vendor__name", "number")
        self.fields["contract"].label_from_instance = lambda c: (
            f"{c.key} {c.title} ({c.vendor.name})"
            + ("" if c.status == ContractStatus.ACTIVE else f", {c.get_status_display().lower()}")
        )
        self.fields["wbs_item"].queryset = Item.objects.filter(
            program=program, kind__in=services.WBS_KINDS
        ).order_by("outline_path", "id")
        self.fields["wbs_item"].label_from_instance = lambda i: (
            f"{i.wbs} {i.name} ({i.key}, {i.get_kind_display().lower()})".strip()
        )
        self.fields["reviewer"].queryset = (
            User.objects.filter(
                memberships__program=program,
                memberships__role__in=MATRIX["deliverable.review"],
                is_active=True,
            )
            .distinct()
            .order_by("full_name")
        )
        self.fields["reviewer"].label_from_instance = _person
        self.fields["version"].required = deliverable is not None

    def criteria_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("criteria", "").splitlines()]

    def changes(self, deliverable: Deliverable | None = None) -> dict:
        """The cleaned fields (all of them when new; only the changed ones for an edit)."""
        data = {name: self.cleaned_data[name] for name in DELIVERABLE_FIELDS}
        if deliverable is None:
            return data
        return {name: value for name, value in data.items() if getattr(deliverable, name) != value}


class CriterionForm(VersionedForm):
    text = forms.CharField(
        label="Criterion",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A statement a reviewer can check, e.g. “All 14 interfaces documented”.",
    )

    def __init__(self, *args, criterion: AcceptanceCriterion | None = None, **kwargs):
        if criterion is not None and "initial" not in kwargs:
            kwargs["initial"] = {"text": criterion.text, "version": criterion.version}
        super().__init__(*args, **kwargs)
        self.fields["version"].required = criterion is not None


class WithdrawForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the program no longer needs it, e.g. “Descoped by CR-7”. "
        "The vendor sees it.",
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class SubmissionForm(VersionedForm):
    """A round: the files (checked by content, all problems at once) and a note."""

    files = MultipleFileField(
        label="Files",
        required=False,  # "Attach at least one file." comes from the check below
        allow_empty_file=True,  # the check names the empty file
    )
    note = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What this round contains; for a resubmission, what changed since the last.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        policy = services.DELIVERABLE_UPLOADS
        self.fields["files"].widget.attrs.update(accept=policy.accept_attribute(), multiple=True)
        self.fields["files"].help_text = (
            f"Up to {services.MAX_FILES_PER_SUBMISSION} files of at most "
            f"{human_size(policy.max_bytes())} each: {policy.accepted_text}."
        )
        self.fields["version"].required = False

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        try:
            services.check_submission_files(files)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["files"]) from exc
        return files


MET, NOT_MET = "met", "not_met"


class ReviewForm(VersionedForm):
    """One decision (met / not met) and a reason per criterion, and a summary.

    Every criterion needs a decision and every one not met a reason; the rows that lack them are
    marked (`row.missing`, `row.needs_reason`) so the page shows where to look."""

    summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: an overall comment for the vendor.",
    )

    def __init__(self, *args, criteria: list[AcceptanceCriterion], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"met_{criterion.pk}"] = forms.ChoiceField(
                label="Decision",
                choices=[(MET, "Met"), (NOT_MET, "Not met")],
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"reason_{criterion.pk}"] = forms.CharField(
                label="Reason",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[dict]:
        rows = []
        for number, criterion in enumerate(self.criteria, start=1):
            met = self[f"met_{criterion.pk}"]
            reason = self[f"reason_{criterion.pk}"]
            rows.append(
                {
                    "number": number,
                    "criterion": criterion,
                    "met": met,
                    "reason": reason,
                    "value": met.value(),
                    "missing": bool(met.errors),
                    "needs_reason": bool(reason.errors),
                }
            )
        return rows

    def clean(self):
        cleaned = super().clean()
        missing, unexplained = [], []
        for number, criterion in enumerate(self.criteria, start=1):
            decision = cleaned.get(f"met_{criterion.pk}")
            reason = (cleaned.get(f"reason_{criterion.pk}") or "").strip()
            if not decision:
                self.add_error(f"met_{criterion.pk}", "Decide: met or not met.")
                missing.append(str(number))
            elif decision == NOT_MET and not reason:
                self.add_error(f"reason_{criterion.pk}", "Say why it is not met.")
                unexplained.append(str(number))
        if missing:
            self.add_error(
                None,
                f"{len(missing)} of {len(self.criteria)} criteria have no decision yet "
                f"(criteri{'a' if len(missing) > 1 else 'on'} {', '.join(missing)}): a "
                "deliverable is accepted or rejected only with a decision on every criterion.",
            )
        if unexplained:
            self.add_error(
                None,
                f"Criteri{'a' if len(unexplained) > 1 else 'on'} {', '.join(unexplained)} "
                f"{'are' if len(unexplained) > 1 else 'is'} not met without a reason: the "
                "vendor needs to know what to fix.",
            )
        return cleaned

    def results(self) -> list[dict]:
        return [
            {
                "criterion": c.pk,
                "met": self.cleaned_data[f"met_{c.pk}"] == MET,
                "reason": self.cleaned_data.get(f"reason_{c.pk}", ""),
            }
            for c in self.criteria
        ]
