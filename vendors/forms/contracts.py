"""Forms of contracts: the contract, its status steps, amendments, payment milestones and rate
card lines. Choice querysets are scoped to the program (vendors, master agreements, members,
change requests, the contract's deliverables)."""

from __future__ import annotations

from django import forms

from core.forms import VersionedForm
from core.models import User
from programs.models import Program
from programs.selectors import member_users

from ..models import (
    Contract,
    ContractKind,
    ContractStatus,
    ContractType,
    Deliverable,
    PaymentMilestoneStatus,
    RateUnit,
    Vendor,
)
from ..models.common import MAX_MONEY
from ..selectors.contracts import amendment_change_requests

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 14, "decimal_places": 2}


def money_field(label: str, *, signed: bool = False, **kwargs) -> forms.DecimalField:
    field = forms.DecimalField(
        label=label,
        min_value=-MAX_MONEY if signed else 0,
        max_value=MAX_MONEY,
        **MONEY,
        **kwargs,
    )
    field.widget.attrs.update(inputmode="decimal", step="0.01")
    return field


class ContractForm(VersionedForm):
    """Create (with the first status: draft, or active with its signature date) or edit.

    On a signed contract the value, currency, vendor and dates are shown read-only: they change
    through amendments."""

    title = forms.CharField(max_length=300)
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.none())
    kind = forms.ChoiceField(choices=ContractKind.choices, initial=ContractKind.SOW)
    parent = forms.ModelChoiceField(
        queryset=Contract.objects.none(),
        required=False,
        label="Under master agreement",
        help_text="For a SOW or order under a master agreement of the same vendor.",
    )
    contract_type = forms.ChoiceField(
        choices=ContractType.choices, label="Type", initial=ContractType.FIXED_PRICE
    )
    value = money_field("Value", help_text="The value as signed, before any amendment.")
    currency = forms.CharField(
        max_length=3, min_length=3, help_text="ISO 4217, e.g. EUR.", required=False
    )
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE)
    po_number = forms.CharField(max_length=60, required=False, label="Purchase order number")
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="Who manages this contract for the program.",
    )
    status = forms.ChoiceField(
        choices=[(ContractStatus.DRAFT, "Draft (being negotiated)"),
                 (ContractStatus.ACTIVE, "Active (signed)")],
        initial=ContractStatus.DRAFT,
    )  # fmt: skip
    signed_on = forms.DateField(
        widget=DATE, required=False, label="Signed on", help_text="Needed for an active contract."
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Scope in brief."
    )

    LOCKED_WHEN_SIGNED = ("vendor", "value", "currency", "start_date", "end_date")

    def __init__(self, *args, program: Program, contract: Contract | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.contract = contract
        self.fields["vendor"].queryset = Vendor.objects.filter(program=program).order_by("name")
        masters = Contract.objects.filter(program=program, kind=ContractKind.MASTER)
        if contract is not None:
            masters = masters.exclude(pk=contract.pk)
        self.fields["parent"].queryset = masters.select_related("vendor").order_by("number")
        self.fields["parent"].label_from_instance = lambda c: f"{c.key} {c.title} ({c.vendor.name})"
        self.fields["parent"].empty_label = "None (stand-alone)"
        self.fields["owner"].queryset = member_users(program=program)
        self.fields["owner"].empty_label = "Nobody yet"
        self.fields["currency"].initial = program.currency
        if contract is None:
            del self.fields["version"]
        else:
            del self.fields["status"]
            if contract.status != ContractStatus.DRAFT:
                for name in self.LOCKED_WHEN_SIGNED:
                    self.fields[name].disabled = True  # a posted value is ignored: initial wins
                    self.fields[name].initial = getattr(
                        contract, "vendor_id" if name == "vendor" else name
                    )
                    self.fields[name].help_text = (
                        "Fixed once signed."
                        if name in ("vendor", "currency")
                        else "Signed: change it with an amendment."
                    )

    @property
    def signed(self) -> bool:
        return self.contract is not None and self.contract.status != ContractStatus.DRAFT

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or self.program.currency).upper()

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the contract a title.")
        return title

    def clean(self):
        data = super().clean()
        if data.get("status") == ContractStatus.ACTIVE and not data.get("signed_on"):
            self.add_error("signed_on", "An active contract needs the date it was signed.")
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if self.signed:
            for name in self.LOCKED_WHEN_SIGNED:
                data.pop(name, None)
        return data


class ContractStatusForm(VersionedForm):
    status = forms.ChoiceField(choices=ContractStatus.choices, widget=forms.HiddenInput)
    signed_on = forms.DateField(widget=DATE, required=False, label="Signed on")


class AmendmentForm(VersionedForm):
    """A new amendment; `version` is the contract's, so one based on stale figures is refused."""

    title = forms.CharField(max_length=200, help_text="e.g. Second SIT team for SIT cycle 1.")
    value_change = money_field(
        "Value change",
        signed=True,
        required=False,
        help_text="Positive adds to the value, negative reduces it; empty or 0: no change.",
    )
    new_end_date = forms.DateField(
        widget=DATE, required=False, label="New end date", help_text="Empty: the end stays."
    )
    effective_on = forms.DateField(widget=DATE, label="Effective on")
    change_request = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Caused by change request",
        help_text="Approved or implemented change requests of this program.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the contract changes."
    )

    def __init__(self, *args, program: Program, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        field = self.fields["change_request"]
        field.queryset = amendment_change_requests(program=program)
        field.label_from_instance = lambda cr: f"{cr.key} {cr.title} ({cr.get_status_display()})"
        field.empty_label = "None"
        self.fields["value_change"].label = f"Value change ({contract.currency})"

    def clean_value_change(self):
        return self.cleaned_data.get("value_change") or 0

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class MilestoneForm(VersionedForm):
    title = forms.CharField(max_length=200, help_text="e.g. Design signed off.")
    due_date = forms.DateField(widget=DATE, label="Due on")
    amount = money_field("Amount")
    status = forms.ChoiceField(
        choices=PaymentMilestoneStatus.choices, initial=PaymentMilestoneStatus.PLANNED
    )
    deliverable = forms.ModelChoiceField(
        queryset=Deliverable.objects.none(),
        required=False,
        label="Paid on acceptance of",
        help_text="A deliverable of this contract, if payment depends on it.",
    )

    def __init__(self, *args, contract: Contract, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = f"Amount ({contract.currency})"
        self.fields["deliverable"].queryset = Deliverable.objects.filter(
            contract=contract
        ).order_by("due_date", "number")
        self.fields["deliverable"].empty_label = "None"
        if creating:
            del self.fields["version"]

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the milestone a title.")
        return title


class RateForm(VersionedForm):
    role = forms.CharField(max_length=120, help_text="e.g. Senior SAP FI consultant.")
    rate = money_field("Rate")
    unit = forms.ChoiceField(choices=RateUnit.choices, initial=RateUnit.DAY)

    def __init__(self, *args, contract: Contract, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rate"].label = f"Rate ({contract.currency})"
        if creating:
            del self.fields["version"]

    def clean_role(self):
        role = self.cleaned_data["role"].strip()
        if not role:
            raise forms.ValidationError("Name the role.")
        return role
