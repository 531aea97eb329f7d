"""Forms for programs, workstreams and members. Choice querysets are scoped to the program."""

from __future__ import annotations

from django import forms

from core.forms import VersionedForm
from core.models import User
from core.permissions import Role

from .choices import CURRENCIES, ProgramStatus, WorkstreamStatus, time_zone_choices
from .models import Program
from .selectors import member_users
from .validators import validate_currency, validate_program_code, validate_time_zone

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProgramFieldsMixin(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE)
    currency = forms.ChoiceField(choices=CURRENCIES, validators=[validate_currency], initial="USD")
    time_zone = forms.ChoiceField(
        choices=time_zone_choices, validators=[validate_time_zone], initial="UTC"
    )
    status = forms.ChoiceField(choices=ProgramStatus.choices, initial=ProgramStatus.ACTIVE)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must be on or after the start date.")
        return data


class ProgramCreateForm(ProgramFieldsMixin):
    # Validated in clean_code, after upper-casing: a field validator would run first and refuse
    # "erp" that clean_code means to accept as ERP.
    code = forms.CharField(
        max_length=12,
        help_text="2 to 12 capital letters or digits, e.g. ERP. Used in links and item keys.",
    )
    field_order = ["code", "name"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        validate_program_code(code)
        if Program.objects.filter(code=code).exists():
            raise forms.ValidationError("A program with this code already exists.")
        return code


class ProgramEditForm(VersionedForm, ProgramFieldsMixin):
    sponsor = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    field_order = ["name", "description", "sponsor"]

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sponsor"].queryset = member_users(program=program)


class WorkstreamForm(VersionedForm):
    name = forms.CharField(max_length=200)
    lead = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, help_text="Only program members can lead."
    )
    status = forms.ChoiceField(choices=WorkstreamStatus.choices, initial=WorkstreamStatus.ACTIVE)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, program: Program, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = member_users(program=program)
        if creating:
            del self.fields["version"]


class WorkstreamInlineForm(VersionedForm):
    """The row editor on the workstream list: name, lead and status in place."""

    name = forms.CharField(max_length=200)
    lead = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    status = forms.ChoiceField(choices=WorkstreamStatus.choices)

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = member_users(program=program)


class MemberAddForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    full_name = forms.CharField(
        max_length=150, required=False, help_text="Needed only for someone new to the site."
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CONTRIBUTOR)


class MemberRoleForm(VersionedForm):
    role = forms.ChoiceField(choices=Role.choices)
