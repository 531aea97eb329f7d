"""The briefing subscription form: name, weekly slot, the deck, and recipients (members picked
from the program, and addresses typed one per line; an invalid address is refused by name)."""

from __future__ import annotations

from django import forms

from core.forms import VersionedForm
from core.models import User
from programs.models import Program

from ..models import WEEKDAYS, Subscription
from ..services.subscriptions import parse_addresses


def _members(program: Program):
    return (
        User.objects.filter(memberships__program=program, is_active=True)
        .distinct()
        .order_by("full_name")
    )


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} <{obj.email}>"


class SubscriptionForm(VersionedForm):
    name = forms.CharField(
        max_length=120, help_text="What the recipients see, e.g. “Steering committee weekly”."
    )
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int, initial=0, label="Day")
    send_time = forms.TimeField(
        label="Time",
        initial="07:00",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="In the program's time zone.",
    )
    include_deck = forms.BooleanField(
        required=False, initial=True, label="Attach the deck (PDF slides)",
        help_text="The one-page briefing PDF is always attached.",
    )  # fmt: skip
    active = forms.BooleanField(
        required=False, initial=True, label="Active",
        help_text="An inactive subscription sends nothing until reactivated.",
    )  # fmt: skip
    members = MemberChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Program members", help_text="Their current address is used.",
    )  # fmt: skip
    emails = forms.CharField(
        required=False,
        label="Other e-mail addresses",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "sponsor@example.com"}),
        help_text="One per line, for people who are not members.",
    )

    def __init__(self, *args, program: Program, subscription: Subscription | None = None, **kw):
        if subscription is not None and not args:
            rows = list(subscription.recipients.select_related("user"))
            kw.setdefault("initial", {}).update(
                name=subscription.name,
                weekday=subscription.weekday,
                send_time=subscription.send_time,
                include_deck=subscription.include_deck,
                active=subscription.active,
                members=[r.user_id for r in rows if r.user_id],
                emails="\n".join(r.email for r in rows if not r.user_id),
                version=subscription.version,
            )
        super().__init__(*args, **kw)
        self.program = program
        self.fields["members"].queryset = _members(program)
        if subscription is None:
            self.fields["version"].required = False
            del self.fields["active"]

    def clean_emails(self) -> list[str]:
        return parse_addresses(self.cleaned_data.get("emails") or "")

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("members") and not data.get("emails"):
            self.add_error("emails", "Add at least one recipient: a member or an e-mail address.")
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        values = {k: data[k] for k in ("name", "weekday", "send_time", "include_deck") if k in data}
        if "active" in self.fields:
            values["active"] = data["active"]
        values["members"] = list(data["members"])
        values["emails"] = data["emails"]
        return values
