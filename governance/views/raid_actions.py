"""The RAID log's actions on governance pages: a change request's or a decision's follow-ups.

The risks app owns actions and offers `risks.services.action_create` and
`risks.selectors.action_list_for_subject`; these pages only list them and add one for the
subject at hand. Without those functions the panel is absent.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.forms import apply_validation_error
from core.htmx import page_or_partial, wants_partial
from core.models import User
from programs.access import ProgramAccess
from programs.mixins import ProgramViewMixin
from programs.selectors import member_users

from ..forms_changes import DATE
from ..selectors import changes as change_selectors
from ..selectors import decisions as decision_selectors


def _risks():
    try:
        from risks import selectors, services
    except ImportError:
        return None
    if not (hasattr(services, "action_create") and hasattr(selectors, "action_list_for_subject")):
        return None
    return selectors, services


def panel(*, access: ProgramAccess, subject, add_url: str = "") -> dict[str, Any] | None:
    """The subject's actions and whether the viewer may add one; None without the risks app."""
    found = _risks()
    if found is None or not access.can("raid.view"):
        return None
    selectors, _services = found
    return {
        "actions": list(selectors.action_list_for_subject(subject=subject)),
        "can_add": access.can("raid.add"),
        "add_url": add_url,
    }


class ActionForm(forms.Form):
    title = forms.CharField(max_length=300, label="Action")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), help_text="Who does it.")
    due_date = forms.DateField(widget=DATE, label="Due")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Details"
    )

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_users(program=program)

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Say what has to be done.")
        return title


class SubjectActionCreateView(ProgramViewMixin, TemplateView):
    """Add an action to a change request or a decision (a modal form by htmx, else a page)."""

    permission_action = "raid.add"
    template_name = "governance/change_action_form.html"
    subject_kind = ""  # "change" or "decision"

    def get_template_names(self):
        return [page_or_partial(self.request, self.template_name, "action-form")]

    def subject(self):
        key = self.kwargs["key"]
        if self.subject_kind == "change":
            return change_selectors.change_request_get(program=self.program, key=key)
        return decision_selectors.decision_get(program=self.program, key=key)

    def detail_url(self, subject) -> str:
        return reverse(
            f"governance:{self.subject_kind}_detail",
            kwargs={"code": self.program.code, "key": subject.key},
        )

    def render(self, subject, form, status=200):
        self.nav_section = f"governance:{self.subject_kind}_list"
        return self.render_to_response(
            self.get_context_data(
                subject=subject,
                form=form,
                detail_url=self.detail_url(subject),
                form_url=self.request.path,
                available=_risks() is not None,
                modal=wants_partial(self.request),
            ),
            status=status,
        )

    def get(self, request, code, key):
        subject = self.subject()
        return self.render(subject, ActionForm(program=self.program))

    def post(self, request, code, key):
        subject = self.subject()
        found = _risks()
        if found is None:
            raise Http404("The RAID log is not available")
        form = ActionForm(request.POST, program=self.program)
        if form.is_valid():
            _selectors, services = found
            try:
                action = services.action_create(
                    actor=request.user, program=self.program, subject=subject,
                    **form.cleaned_data,
                )  # fmt: skip
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{action.key} added to {subject.key}.")
                url = self.detail_url(subject) + "#actions"
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
        return self.render(subject, form, status=400)


class ChangeRequestActionCreateView(SubjectActionCreateView):
    subject_kind = "change"


class DecisionActionCreateView(SubjectActionCreateView):
    subject_kind = "decision"
