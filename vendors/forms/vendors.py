"""Forms of the vendor register: a vendor, its status, contacts, checklist steps (and their
completion), categories and portal bindings."""

from __future__ import annotations

from django import forms

from core.forms import VersionedForm
from core.models import User
from core.permissions import Role
from programs.models import Program

from ..models import ChecklistKind, Vendor, VendorCategory, VendorStatus
from ..selectors import vendors as selectors
from ..services.vendors import TRANSITIONS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
INTERNAL_ROLES = [role for role in Role.values if role != Role.VENDOR]
VENDOR_FIELDS = (
    "name", "legal_entity", "registration_number", "relationship_owner", "website", "address",
    "notes",
)  # fmt: skip
CREATE_STATUSES = [
    (VendorStatus.PROSPECT, "Prospect: being evaluated"),
    (VendorStatus.ONBOARDING, "Onboarding: selected, paperwork under way"),
    (VendorStatus.ACTIVE, "Active: already working for the program"),
]
TRANSITION_HELP = {
    VendorStatus.PROSPECT: "Onboarding is paused; the checklist stays as it is.",
    VendorStatus.ONBOARDING: "The default onboarding checklist is created (if it has none).",
    VendorStatus.ACTIVE: "Every onboarding step is done, or you override with a reason.",
    VendorStatus.SUSPENDED: "Work stops until it is reinstated; give the reason.",
    VendorStatus.OFFBOARDED: (
        "The offboarding checklist is done and no contract is active or on hold. Portal access "
        "ends. This is final."
    ),
}


def internal_members(program: Program):
    """People who may own a vendor or a checklist step: the program's members but vendors."""
    return (
        User.objects.filter(
            memberships__program=program, memberships__role__in=INTERNAL_ROLES, is_active=True
        )
        .order_by("full_name")
        .distinct()
    )


def _person_label(user) -> str:
    return f"{user.full_name} — {user.job_title}" if user.job_title else user.full_name


class VendorForm(VersionedForm):
    """A new vendor (with its starting status) or an edit (carries the version)."""

    name = forms.CharField(max_length=200, help_text="The name people use, e.g. Northwind.")
    status = forms.ChoiceField(
        choices=CREATE_STATUSES,
        initial=VendorStatus.PROSPECT,
        help_text="Onboarding creates the default onboarding checklist.",
    )
    legal_entity = forms.CharField(
        max_length=300,
        required=False,
        help_text="As on the contract, e.g. Northwind Consulting GmbH.",
    )
    registration_number = forms.CharField(
        max_length=60, required=False, help_text="Company or tax registration number."
    )
    relationship_owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Relationship owner",
        help_text="Who manages this vendor for the program.",
    )
    categories = forms.ModelMultipleChoiceField(
        queryset=VendorCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the vendor supplies.",
    )
    website = forms.URLField(required=False, assume_scheme="https")
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, program: Program, vendor: Vendor | None = None, **kwargs):
        if vendor is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(vendor, name) for name in VENDOR_FIELDS},
                "relationship_owner": vendor.relationship_owner_id,
                "categories": [c.pk for c in vendor.categories.all()],
                "version": vendor.version,
            }
        super().__init__(*args, **kwargs)
        self.fields["relationship_owner"].queryset = internal_members(program)
        self.fields["relationship_owner"].label_from_instance = _person_label
        self.fields["relationship_owner"].empty_label = "Nobody yet"
        self.fields["categories"].queryset = VendorCategory.objects.filter(program=program)
        if vendor is None:
            del self.fields["version"]
        else:
            del self.fields["status"]

    def changes(self, vendor: Vendor | None = None) -> dict:
        """The cleaned fields (all for a new vendor; the changed columns otherwise), plus the
        categories."""
        data = {name: self.cleaned_data[name] for name in VENDOR_FIELDS}
        if vendor is None:
            data["status"] = self.cleaned_data["status"]
        else:
            data = {name: value for name, value in data.items() if getattr(vendor, name) != value}
        data["categories"] = list(self.cleaned_data["categories"])
        return data


class VendorStatusForm(VersionedForm):
    status = forms.ChoiceField(choices=(), widget=forms.RadioSelect, label="Move to")
    status_reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to suspend, and to activate with open onboarding items.",
    )
    override_open_items = forms.BooleanField(
        required=False,
        label="Activate although onboarding items are open",
        help_text="Only when the program needs the vendor before the paperwork is through.",
    )

    def __init__(self, *args, vendor: Vendor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (status, TRANSITION_HELP[status]) for status in TRANSITIONS[vendor.status]
        ]
        if vendor.status != VendorStatus.ONBOARDING:
            del self.fields["override_open_items"]


class OffboardingForm(VersionedForm):
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="Who owns the offboarding steps (default: the relationship owner).",
    )
    due_date = forms.DateField(
        required=False, widget=DATE, help_text="When the steps are due (default: in 30 days)."
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = internal_members(program)
        self.fields["owner"].label_from_instance = _person_label
        self.fields["owner"].empty_label = "The relationship owner"


CONTACT_FIELDS = ("name", "role", "email", "phone", "is_primary")


class ContactForm(VersionedForm):
    name = forms.CharField(max_length=200)
    role = forms.CharField(max_length=120, required=False, help_text="e.g. Account manager.")
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)
    is_primary = forms.BooleanField(
        required=False,
        label="Primary contact",
        help_text="The one person to call first; the previous primary contact stays a contact.",
    )

    def __init__(self, *args, contact=None, **kwargs):
        if contact is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(contact, name) for name in CONTACT_FIELDS},
                "version": contact.version,
            }
        super().__init__(*args, **kwargs)
        if contact is None:
            del self.fields["version"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the contact's name.")
        return name

    def changes(self, contact=None) -> dict:
        data = {name: self.cleaned_data[name] for name in CONTACT_FIELDS}
        if contact is None:
            return data
        return {name: value for name, value in data.items() if getattr(contact, name) != value}


class ChecklistItemForm(VersionedForm):
    kind = forms.ChoiceField(choices=ChecklistKind.choices, widget=forms.HiddenInput)
    title = forms.CharField(
        max_length=200, label="Step", help_text="e.g. Data processing agreement signed."
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due_date = forms.DateField(required=False, widget=DATE, label="Due")

    def __init__(self, *args, program: Program, item=None, **kwargs):
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": item.kind,
                "title": item.title,
                "owner": item.owner_id,
                "due_date": item.due_date,
                "version": item.version,
            }
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = internal_members(program)
        self.fields["owner"].label_from_instance = _person_label
        self.fields["owner"].empty_label = "Nobody yet"
        if item is None:
            del self.fields["version"]
        else:
            del self.fields["kind"]

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Say what the step is.")
        return title

    def changes(self, item=None) -> dict:
        data = {name: self.cleaned_data[name] for name in ("title", "owner", "due_date")}
        if item is None:
            data["kind"] = self.cleaned_data["kind"]
            return data
        return {name: value for name, value in data.items() if getattr(item, name) != value}


class ChecklistCompleteForm(VersionedForm):
    evidence = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What shows it was done, e.g. “NDA signed 3 Mar, DMS ref 4411”.",
        error_messages={"required": "Say what shows it was done."},
    )
    completed_on = forms.DateField(
        required=False, widget=DATE, label="Done on", help_text="Empty: today."
    )


class CategoryForm(VersionedForm):
    name = forms.CharField(max_length=80, help_text="e.g. Systems integration, Hosting, Training.")

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]


class PortalBindForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Vendor user",
        empty_label="Choose a vendor-role member…",
        help_text="Members with the vendor role who are not bound yet.",
    )
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.none(),
        empty_label="Choose the vendor…",
        help_text="They will see only this vendor's contracts, deliverables and scorecard.",
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.unbound_vendor_users(program=program)
        self.fields["user"].label_from_instance = lambda u: f"{u.full_name} <{u.email}>"
        self.fields["vendor"].queryset = selectors.bindable_vendors(program=program)
        self.fields["vendor"].label_from_instance = lambda v: f"{v.name} ({v.key})"
