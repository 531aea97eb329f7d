"""Variance explanations: finance requests one for a closed month's variance beyond the
thresholds, the line's owner (or a program manager) writes it, finance approves or returns it.

requested -> submitted (written) -> approved, or -> returned -> submitted again. An approved
explanation is never edited. The state a step needs, and who may take it, are service rules:
the wrong state or person is `Refused` with the reason (409 in the API), a missing text a
ValidationError. Requests and returns e-mail the line's owner once (idempotency keys).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_create
from core.errors import Refused
from core.permissions import Role, role_can
from core.services import email_enqueue
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership

from ..models import BudgetLine, ExplanationStatus, VarianceExplanation
from ..months import month_label, month_of
from ..selectors.variance import unexplained_variances
from .checks import CENT

EDITABLE = (ExplanationStatus.REQUESTED, ExplanationStatus.RETURNED, ExplanationStatus.SUBMITTED)


def _role(program: Program, actor) -> str | None:
    if actor is None or not actor.is_authenticated:
        return None
    return (
        ProgramMembership.objects.filter(program=program, user=actor)
        .values_list("role", flat=True)
        .first()
    )


def _require_reviewer(program: Program, actor) -> None:
    if not role_can(_role(program, actor), "variance.review"):
        raise Refused("Only finance or a program manager requests and reviews explanations.")


def may_write(explanation: VarianceExplanation, actor, role: str | None = None) -> bool:
    """The line's owner, or a program manager, writes a line's explanation."""
    role = role if role is not None else _role(explanation.program, actor)
    if not role_can(role, "variance.explain"):
        return False
    return role == Role.MANAGER or (
        actor is not None and explanation.line.owner_id is not None
        and explanation.line.owner_id == actor.pk
    )  # fmt: skip


def _link(explanation: VarianceExplanation) -> str:
    path = reverse(
        "budgets:explanation_detail",
        kwargs={"code": explanation.program.code, "pk": explanation.pk},
    )
    return settings.SITE_URL + path


def _notify_owner(explanation: VarianceExplanation, *, kind: str, key: str) -> None:
    owner = explanation.line.owner
    if owner is None or not owner.is_active or not owner.email:
        return
    program = explanation.program
    line = explanation.line
    subject = {
        "requested": f"[{program.code}] Please explain {line.key}'s variance in "
        f"{month_label(explanation.month)}",
        "returned": f"[{program.code}] Your explanation of {line.key} "
        f"({month_label(explanation.month)}) was returned",
    }[kind]
    email_enqueue(
        to=[owner.email],
        subject=subject[:300],
        body_text=render_to_string(
            f"budgets/variance/email/{kind}.txt",
            {
                "explanation": explanation,
                "line": line,
                "program": program,
                "link": _link(explanation),
            },
        ),
        idempotency_key=key,
    )


@transaction.atomic
def explanation_request(
    *, actor, line: BudgetLine, month: dt.date, as_of: dt.date | None = None
) -> VarianceExplanation:
    """Ask the line's owner to explain the line's variance in `month` (a closed month beyond
    both thresholds); the plan and actual of that moment are kept with the request."""
    program = line.program
    _require_reviewer(program, actor)
    if not isinstance(month, dt.date):
        raise ValidationError({"month": "Give a month, e.g. 2026-03."})
    month = month_of(month)
    today_month = month_of(as_of or timezone.localdate())
    if month >= today_month:
        raise Refused(f"{month_label(month)} is not closed yet: only closed months are explained.")
    # lock the line so that two requests for the same cell cannot both pass the check below
    BudgetLine.objects.select_for_update().filter(pk=line.pk).first()
    existing = VarianceExplanation.objects.filter(line=line, month=month).first()
    if existing is not None:
        raise Refused(
            f"An explanation of {line.key} in {month_label(month)} exists already "
            f"({existing.get_status_display().lower()})."
        )
    rows = unexplained_variances(program, as_of=as_of, line=line, month=month)
    if not rows:
        raise Refused(
            f"{line.key}'s variance in {month_label(month)} is within the thresholds: "
            "it needs no explanation."
        )
    row = rows[0]
    explanation = VarianceExplanation(
        program=program, line=line, month=month, status=ExplanationStatus.REQUESTED,
        plan=row.plan.quantize(CENT), actual=row.actual.quantize(CENT),
        requested_by=actor, requested_at=timezone.now(),
    )  # fmt: skip
    explanation.full_clean(validate_constraints=False)
    explanation.save()
    audit_create(actor=actor, instance=explanation)
    _notify_owner(
        explanation, kind="requested", key=f"variance-explanation-requested:{explanation.pk}"
    )
    return explanation


@transaction.atomic
def explanation_request_all(
    *, actor, program: Program, as_of: dt.date | None = None
) -> list[VarianceExplanation]:
    """Request every variance beyond the thresholds that has not been requested yet."""
    _require_reviewer(program, actor)
    rows = unexplained_variances(program, as_of=as_of, state="not_requested")
    return [
        explanation_request(actor=actor, line=row.line, month=row.month, as_of=as_of)
        for row in rows
    ]


def _locked(explanation: VarianceExplanation, expected_version: int | None):
    current = lock_current(
        VarianceExplanation, pk=explanation.pk, expected_version=expected_version
    )
    current.program = explanation.program
    return current


@transaction.atomic
def explanation_write(
    *, actor, explanation: VarianceExplanation, text: str, expected_version: int | None
) -> VarianceExplanation:
    """The owner's (or a manager's) explanation; it then awaits finance's approval. It can be
    rewritten until it is approved."""
    current = _locked(explanation, expected_version)
    if not may_write(current, actor):
        owner = current.line.owner
        who = f"the line's owner ({owner})" if owner else "the line's owner (none is set)"
        raise Refused(f"Only {who} or a program manager writes this explanation.")
    if current.status not in EDITABLE:
        raise Refused("This explanation is approved: it is never edited.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write what caused the variance."})
    return apply_changes(
        current,
        actor=actor,
        changes={
            "text": text, "status": ExplanationStatus.SUBMITTED, "explained_by": actor,
            "explained_at": timezone.now(),
        },
        expected_version=None,
        locked=True,
    )  # fmt: skip


def _review(
    *, actor, explanation: VarianceExplanation, expected_version: int | None, status: str,
    note: str,
) -> VarianceExplanation:  # fmt: skip
    current = _locked(explanation, expected_version)
    _require_reviewer(current.program, actor)
    if current.status != ExplanationStatus.SUBMITTED:
        state = current.get_status_display().lower()
        raise Refused(
            f"Only a written explanation awaiting approval is reviewed (this is {state})."
        )
    return apply_changes(
        current,
        actor=actor,
        changes={
            "status": status, "review_note": note, "reviewed_by": actor,
            "reviewed_at": timezone.now(),
        },
        expected_version=None,
        locked=True,
    )  # fmt: skip


@transaction.atomic
def explanation_approve(
    *, actor, explanation: VarianceExplanation, note: str = "", expected_version: int | None
) -> VarianceExplanation:
    """Finance accepts the explanation; from now on it is never edited."""
    return _review(
        actor=actor, explanation=explanation, expected_version=expected_version,
        status=ExplanationStatus.APPROVED, note=(note or "").strip(),
    )  # fmt: skip


@transaction.atomic
def explanation_return(
    *, actor, explanation: VarianceExplanation, note: str, expected_version: int | None
) -> VarianceExplanation:
    """Finance sends the explanation back to its writer with what is missing."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say what is missing, so the owner can complete it."})
    returned = _review(
        actor=actor, explanation=explanation, expected_version=expected_version,
        status=ExplanationStatus.RETURNED, note=note,
    )  # fmt: skip
    _notify_owner(
        returned, kind="returned",
        key=f"variance-explanation-returned:{returned.pk}:{returned.version}",
    )  # fmt: skip
    return returned
