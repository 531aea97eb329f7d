"""Writes on change requests: create, edit, delete a draft, the workflow, the outcome, the policy.

The workflow is a transition table (`TRANSITIONS`) rather than django-fsm-2, which is not a
dependency: one verb per service, each checked by `change_request_check` (the same function
the pages use to offer or explain each button), then applied atomically with a transition
record (the request's timeline) and an audit entry that carries the comment.

    draft -submit-> submitted -assess-> assessed -approve-> approved -implement-> implemented
                                                 -reject--> rejected              -close-> closed
                                                 -defer---> deferred -submit-> submitted (again)
    rejected, deferred -close-> closed; a closed request is never reopened.

Who may take which step is in `change_rules.py` (the sponsor above the policy's thresholds, a
program manager below; nobody decides on their own request unless the policy allows it).
Refusals carry the reason: the request's state (`TransitionRefused`, HTTP 409), the person
(`PermissionDenied`, 403), or missing content (`ValidationError`, 400). Nothing changes.

Approving or rejecting records a decision in the decision log, linked both ways. E-mails go
to the approvers when a request is assessed and to the requester when it is decided; each has
an idempotency key built from the transition's id, so a retried transaction sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.audit import audit_create, audit_delete, snapshot
from core.keys import allocate_key
from core.models import User
from core.permissions import role_can
from core.services import email_enqueue
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership, Workstream
from schedules import services as schedule_services
from schedules.models import Baseline, Item

from ..choices import ApprovalLevel, ChangeStatus
from ..models import ChangeControlPolicy, ChangeRequest, ChangeRequestTransition
from ..selectors.changes import approval_level, change_policy_get, manager_ids
from . import decisions as decision_services
from ._audit import audit_create_with, audit_update_with
from .change_rules import (
    EDITABLE_STATUSES,
    OUTCOME_STATUSES,
    TRANSITIONS,
    approval_explanation,
    change_request_check,
    change_request_edit_problem,
    role_of,
)
from .errors import TransitionRefused

S = ChangeStatus
CONTENT_FIELDS = (
    "title", "description", "reason", "kind", "requester", "workstream", "needed_by",
    "schedule_impact_days", "cost_impact", "scope_impact", "risk_impact",
)  # fmt: skip
IMPACT_FIELDS = ("schedule_impact_days", "cost_impact", "scope_impact", "risk_impact")
POLICY_FIELDS = ("sponsor_cost_threshold", "sponsor_schedule_threshold_days", "allow_self_approval")


# --- helpers ------------------------------------------------------------------------------------


def _only(fields: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    return fields


def _check_member(program: Program, user, field: str) -> None:
    if user is None:
        raise ValidationError({field: "Choose a member of the program."})
    if not ProgramMembership.objects.filter(program=program, user=user).exists():
        raise ValidationError({field: f"{user} is not a member of {program.code}."})


def _check_workstream(program: Program, workstream: Workstream | None) -> None:
    if workstream is not None and workstream.program_id != program.pk:
        raise ValidationError({"workstream": "That workstream belongs to another program."})


def _check_items(program: Program, items: Iterable[Item]) -> list[Item]:
    items = list(dict.fromkeys(items))
    foreign = [item.key for item in items if item.program_id != program.pk]
    if foreign:
        raise ValidationError(
            {"affected_items": f"Not items of {program.code}: {', '.join(foreign)}."}
        )
    return items


def _item_keys(change_request: ChangeRequest) -> list[str]:
    return list(
        change_request.affected_items.order_by("outline_path").values_list("key", flat=True)
    )


def _set_items(change_request: ChangeRequest, items: list[Item]) -> None:
    change_request.affected_items.set(items)


def _clean_texts(changes: dict[str, Any]) -> None:
    for name in ("title", "description", "reason", "scope_impact", "risk_impact"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# --- create, edit, delete -------------------------------------------------------------------------


@transaction.atomic
def change_request_create(
    *,
    actor,
    program: Program,
    title: str,
    kind: str,
    requester=None,
    affected_items: Iterable[Item] = (),
    **fields: Any,
) -> ChangeRequest:
    """Raise a request (a draft) as `actor`, or on someone's behalf (`requester`, for program
    managers and coordinators)."""
    _only(fields, CONTENT_FIELDS)
    role = role_of(program, actor)
    if not role_can(role, "change.add"):
        raise PermissionDenied(f"You cannot raise change requests in {program.code}.")
    requester = requester or actor
    if requester != actor and not role_can(role, "change.change"):
        raise PermissionDenied("Only a program manager or coordinator can raise a request for "
                               "someone else.")  # fmt: skip
    _check_member(program, requester, "requester")
    _check_workstream(program, fields.get("workstream"))
    items = _check_items(program, affected_items)
    _clean_texts(fields)
    cr = ChangeRequest(program=program, title=(title or "").strip(), kind=kind, requester=requester)
    for name, value in fields.items():
        setattr(cr, name, value)
    cr.key = allocate_key(program_id=program.pk, prefix=ChangeRequest.KEY_PREFIX)
    cr.full_clean()
    cr.save()
    _set_items(cr, items)
    ChangeRequestTransition.objects.create(
        program=program,
        change_request=cr,
        from_status="",
        to_status=S.DRAFT,
        actor=actor,
        actor_name=str(actor),
        comment="",
        at=timezone.now(),
    )
    audit_create_with(actor=actor, instance=cr, extra={"affected_items": [i.key for i in items]})
    return cr


@transaction.atomic
def change_request_update(
    *,
    actor,
    change_request: ChangeRequest,
    expected_version: int | None,
    affected_items: Iterable[Item] | None = None,
    **changes: Any,
) -> ChangeRequest:
    """Edit the content and impact of a draft, submitted or deferred request."""
    _only(changes, CONTENT_FIELDS)
    program = change_request.program
    current = lock_current(ChangeRequest, pk=change_request.pk, expected_version=expected_version)
    current.program = program
    role = role_of(program, actor)
    problem = change_request_edit_problem(actor=actor, change_request=current, role=role)
    if problem:
        if current.status not in EDITABLE_STATUSES:
            raise TransitionRefused(problem)
        raise PermissionDenied(problem)
    if "requester" in changes and changes["requester"] != current.requester:
        if not role_can(role, "change.change"):
            raise PermissionDenied("Only a program manager or coordinator can change the "
                                   "requester.")  # fmt: skip
        _check_member(program, changes["requester"], "requester")
    if "workstream" in changes:
        _check_workstream(program, changes["workstream"])
    _clean_texts(changes)
    return _save(actor=actor, current=current, changes=changes, items=affected_items)


def _save(
    *,
    actor,
    current: ChangeRequest,
    changes: dict[str, Any],
    items: Iterable[Item] | None,
    extra: dict[str, list[Any]] | None = None,
) -> ChangeRequest:
    """Set the fields and items, bump the version, save and audit (inside the caller's lock)."""
    before = snapshot(current)
    keys_before = _item_keys(current)
    keys_after = keys_before
    new_items = None
    if items is not None:
        new_items = _check_items(current.program, items)
        keys_after = [i.key for i in sorted(new_items, key=lambda i: i.outline_path)]
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed and keys_after == keys_before and not extra:
        return current
    for name in changed:
        setattr(current, name, changes[name])
    current.full_clean()
    current.version += 1
    current.save(update_fields=[*changed, "version", "updated_at"])
    if new_items is not None:
        _set_items(current, new_items)
    audit_update_with(
        actor=actor,
        instance=current,
        before=before,
        extra={"affected_items": [keys_before, keys_after], **(extra or {})},
    )
    return current


@transaction.atomic
def change_request_delete(
    *, actor, change_request: ChangeRequest, expected_version: int | None
) -> None:
    """Delete a draft (the requester or a program manager or coordinator); anything further
    along is part of the record: reject, defer or close it instead."""
    program = change_request.program
    current = lock_current(ChangeRequest, pk=change_request.pk, expected_version=expected_version)
    current.program = program
    if current.status != S.DRAFT:
        raise TransitionRefused(
            f"{current.key} is {current.get_status_display().lower()}; only a draft can be "
            "deleted. Close or reject it instead, so the record stays."
        )
    role = role_of(program, actor)
    if not (role_can(role, "change.change") or (
        role_can(role, "change.add") and actor.pk == current.requester_id
    )):  # fmt: skip
        raise PermissionDenied(
            f"Only the requester ({current.requester}) or a program manager or coordinator can "
            f"delete {current.key}."
        )
    audit_delete(actor=actor, instance=current)
    current.delete()


# --- the workflow ---------------------------------------------------------------------------------


def _begin(
    *, actor, change_request: ChangeRequest, name: str, expected_version: int | None, comment: str
) -> tuple[ChangeRequest, ChangeControlPolicy, str]:
    """Lock the request, check the step for `actor` and the comment; raise with the reason."""
    program = change_request.program
    current = lock_current(ChangeRequest, pk=change_request.pk, expected_version=expected_version)
    current.program = program
    policy = change_policy_get(program=program)
    check = change_request_check(actor=actor, change_request=current, name=name, policy=policy)
    if not check.allowed:
        if check.problem == "state":
            raise TransitionRefused(check.reason)
        if check.problem == "incomplete":
            raise ValidationError(check.reason)
        raise PermissionDenied(check.reason)
    comment = (comment or "").strip()
    if check.comment_required and not comment:
        raise ValidationError(
            {"comment": f"Say why {current.key} is {TRANSITIONS[name].past}: the requester and "
             "the record need the reason."}
        )  # fmt: skip
    if len(comment) > 5000:
        raise ValidationError({"comment": "Keep the comment under 5,000 characters."})
    return current, policy, comment


def _finish(
    *,
    actor,
    current: ChangeRequest,
    name: str,
    comment: str,
    changes: dict[str, Any] | None = None,
    items: Iterable[Item] | None = None,
) -> tuple[ChangeRequest, ChangeRequestTransition]:
    """Move to the step's target with `changes`, record the transition and the audit entry."""
    transition = TRANSITIONS[name]
    source = current.status
    changes = {**(changes or {}), "status": transition.target}
    current = _save(
        actor=actor,
        current=current,
        changes=changes,
        items=items,
        extra={"comment": [None, comment or None]},
    )
    record = ChangeRequestTransition.objects.create(
        program_id=current.program_id,
        change_request=current,
        from_status=source,
        to_status=transition.target,
        actor=actor,
        actor_name=str(actor),
        comment=comment,
        at=timezone.now(),
    )
    return current, record


@transaction.atomic
def change_request_submit(
    *, actor, change_request: ChangeRequest, comment: str = "", expected_version: int | None = None
) -> ChangeRequest:
    """Draft (or deferred) -> submitted: the request goes to the PMO for assessment."""
    current, _policy, comment = _begin(
        actor=actor, change_request=change_request, name="submit",
        expected_version=expected_version, comment=comment,
    )  # fmt: skip
    changes: dict[str, Any] = {"submitted_at": timezone.now()}
    if current.status == S.DEFERRED:  # a new round: the earlier deferral is in the timeline
        changes.update(decided_at=None, decided_by=None)
    current, _ = _finish(
        actor=actor, current=current, name="submit", comment=comment, changes=changes
    )
    return current


@transaction.atomic
def change_request_assess(
    *,
    actor,
    change_request: ChangeRequest,
    comment: str = "",
    expected_version: int | None = None,
    affected_items: Iterable[Item] | None = None,
    **impact: Any,
) -> ChangeRequest:
    """Submitted -> assessed, with the impact assessment (schedule working days and cost are
    required, 0 for none). The required approvers are e-mailed."""
    _only(impact, IMPACT_FIELDS)
    current, policy, comment = _begin(
        actor=actor, change_request=change_request, name="assess",
        expected_version=expected_version, comment=comment,
    )  # fmt: skip
    _clean_texts(impact)
    merged = {name: impact.get(name, getattr(current, name)) for name in IMPACT_FIELDS}
    errors = {}
    if merged["schedule_impact_days"] is None:
        errors["schedule_impact_days"] = "Give the schedule impact in working days (0 for none)."
    if merged["cost_impact"] is None:
        errors["cost_impact"] = f"Give the cost impact in {current.program.currency} (0 for none)."
    if errors:
        raise ValidationError(errors)
    current, record = _finish(
        actor=actor, current=current, name="assess", comment=comment, changes=impact,
        items=affected_items,
    )  # fmt: skip
    _notify_approvers(actor=actor, change_request=current, policy=policy, record=record)
    return current


def _decide(
    *, actor, change_request: ChangeRequest, name: str, comment: str, expected_version: int | None
) -> ChangeRequest:
    current, policy, comment = _begin(
        actor=actor, change_request=change_request, name=name,
        expected_version=expected_version, comment=comment,
    )  # fmt: skip
    changes: dict[str, Any] = {"decided_at": timezone.now(), "decided_by": actor}
    if name in ("approve", "reject"):
        changes["decision"] = _record_decision(
            actor=actor, change_request=current, approved=name == "approve", comment=comment,
            policy=policy,
        )  # fmt: skip
    current, record = _finish(
        actor=actor, current=current, name=name, comment=comment, changes=changes
    )
    _notify_requester(actor=actor, change_request=current, record=record)
    return current


@transaction.atomic
def change_request_approve(
    *, actor, change_request: ChangeRequest, comment: str = "", expected_version: int | None = None
) -> ChangeRequest:
    """Assessed -> approved by the required approver; records the decision."""
    return _decide(
        actor=actor, change_request=change_request, name="approve", comment=comment,
        expected_version=expected_version,
    )  # fmt: skip


@transaction.atomic
def change_request_reject(
    *, actor, change_request: ChangeRequest, comment: str = "", expected_version: int | None = None
) -> ChangeRequest:
    """Assessed -> rejected by the required approver, with the reason; records the decision."""
    return _decide(
        actor=actor, change_request=change_request, name="reject", comment=comment,
        expected_version=expected_version,
    )  # fmt: skip


@transaction.atomic
def change_request_defer(
    *, actor, change_request: ChangeRequest, comment: str = "", expected_version: int | None = None
) -> ChangeRequest:
    """Assessed -> deferred by the required approver, with the reason; it can be resubmitted."""
    return _decide(
        actor=actor, change_request=change_request, name="defer", comment=comment,
        expected_version=expected_version,
    )  # fmt: skip


@transaction.atomic
def change_request_implement(
    *,
    actor,
    change_request: ChangeRequest,
    comment: str = "",
    expected_version: int | None = None,
    baseline: Baseline | None = None,
    new_baseline_name: str = "",
    budget_reference: str | None = None,
) -> ChangeRequest:
    """Approved -> implemented, optionally recording the baseline it caused (an existing one, or
    a new baseline saved now) and the budget change."""
    current, _policy, comment = _begin(
        actor=actor, change_request=change_request, name="implement",
        expected_version=expected_version, comment=comment,
    )  # fmt: skip
    changes = _outcome_changes(
        actor=actor, change_request=current, baseline=baseline,
        new_baseline_name=new_baseline_name, budget_reference=budget_reference,
    )  # fmt: skip
    current, _ = _finish(
        actor=actor, current=current, name="implement", comment=comment, changes=changes
    )
    return current


@transaction.atomic
def change_request_close(
    *, actor, change_request: ChangeRequest, comment: str = "", expected_version: int | None = None
) -> ChangeRequest:
    """Implemented, rejected or deferred -> closed (closing a deferred one needs the reason).
    A closed request cannot be reopened."""
    current, _policy, comment = _begin(
        actor=actor, change_request=change_request, name="close",
        expected_version=expected_version, comment=comment,
    )  # fmt: skip
    current, _ = _finish(actor=actor, current=current, name="close", comment=comment)
    return current


TRANSITION_SERVICES = {
    "submit": change_request_submit,
    "assess": change_request_assess,
    "approve": change_request_approve,
    "reject": change_request_reject,
    "defer": change_request_defer,
    "implement": change_request_implement,
    "close": change_request_close,
}


# --- the outcome ----------------------------------------------------------------------------------


def _outcome_changes(
    *,
    actor,
    change_request: ChangeRequest,
    baseline: Baseline | None,
    new_baseline_name: str,
    budget_reference: str | None,
) -> dict[str, Any]:
    program = change_request.program
    changes: dict[str, Any] = {}
    new_baseline_name = (new_baseline_name or "").strip()
    if baseline is not None and new_baseline_name:
        raise ValidationError(
            {"baseline": "Pick an existing baseline or save a new one, not both."}
        )
    if baseline is not None:
        if baseline.program_id != program.pk:
            raise ValidationError({"baseline": "That baseline belongs to another program."})
        changes["baseline"] = baseline
    elif new_baseline_name:
        if not role_can(role_of(program, actor), "schedule.baseline"):
            raise PermissionDenied("Only the program manager saves baselines.")
        changes["baseline"] = schedule_services.baseline_create(
            actor=actor,
            program=program,
            name=new_baseline_name,
            note=f"Saved for {change_request.key} {change_request.title}.",
        )
    if budget_reference is not None:
        changes["budget_reference"] = budget_reference.strip()
    return changes


@transaction.atomic
def change_request_record_outcome(
    *,
    actor,
    change_request: ChangeRequest,
    expected_version: int | None,
    baseline: Baseline | bool | None = False,
    new_baseline_name: str = "",
    budget_reference: str | None = None,
) -> ChangeRequest:
    """Record (or correct) the baseline and budget change an approved request caused.
    `baseline=None` clears the link; leaving it out keeps it."""
    program = change_request.program
    current = lock_current(ChangeRequest, pk=change_request.pk, expected_version=expected_version)
    current.program = program
    if current.status not in OUTCOME_STATUSES:
        raise TransitionRefused(
            f"{current.key} is {current.get_status_display().lower()}; only an approved request "
            "has an outcome to record."
        )
    if not role_can(role_of(program, actor), "change.change"):
        raise PermissionDenied("Only a program manager or coordinator records the outcome.")
    changes = _outcome_changes(
        actor=actor, change_request=current,
        baseline=baseline if isinstance(baseline, Baseline) else None,
        new_baseline_name=new_baseline_name, budget_reference=budget_reference,
    )  # fmt: skip
    if baseline is None and not new_baseline_name:
        changes["baseline"] = None
    return _save(actor=actor, current=current, changes=changes, items=None)


# --- the decision and the e-mails ---------------------------------------------------------------


def _record_decision(
    *, actor, change_request: ChangeRequest, approved: bool, comment: str, policy
) -> Any:
    cr = change_request
    program = cr.program
    verb = "Approved" if approved else "Rejected"
    impact = []
    if cr.schedule_impact_days:
        impact.append(f"schedule {cr.schedule_impact_days:+d} working days")
    if cr.cost_impact:
        impact.append(f"cost {cr.cost_impact:+,.2f} {program.currency}")
    accepted = (
        f" Impact {'accepted' if approved else 'declined'}: {', '.join(impact)}." if impact else ""
    )
    items = list(cr.affected_items.all())
    return decision_services.decision_record(
        actor=actor,
        program=program,
        title=f"{verb} {cr.key}: {cr.title}"[:300],
        statement=f"{verb} change request {cr.key} ({cr.get_kind_display().lower()} change)."
        + accepted,
        context=cr.reason,
        rationale=comment,
        decided_by=actor,
        forum=f"Change control ({ApprovalLevel(approval_level(cr, policy)).label.lower()})",
        links=[cr, *items],
    )


def _notify_approvers(
    *, actor, change_request: ChangeRequest, policy, record: ChangeRequestTransition
) -> None:
    cr = change_request
    program = cr.program
    level = approval_level(cr, policy)
    if level == ApprovalLevel.SPONSOR:
        ids = [program.sponsor_id] if program.sponsor_id else []
    else:
        ids = manager_ids(program=program)
    ids = [pk for pk in ids if pk != actor.pk]
    if not policy.allow_self_approval:
        ids = [pk for pk in ids if pk != cr.requester_id]
    context = {
        "cr": cr,
        "program": program,
        "actor": actor,
        "comment": record.comment,
        "why": approval_explanation(cr, policy),
        "level": ApprovalLevel(level).label.lower(),
        "link": _link(cr.get_absolute_url()),
    }
    for user in User.objects.filter(pk__in=ids).order_by("pk"):
        email_enqueue(
            to=[user.email],
            subject=f"[{program.code}] {cr.key} needs your decision: {cr.title}"[:300],
            body_text=render_to_string(
                "governance/email/change_assessed.txt", {**context, "user": user}
            ),
            idempotency_key=f"governance:cr-assessed:{record.pk}:{user.pk}",
        )


def _notify_requester(*, actor, change_request: ChangeRequest, record) -> None:
    cr = change_request
    if cr.requester_id == actor.pk:
        return
    program = cr.program
    context = {
        "cr": cr,
        "program": program,
        "actor": actor,
        "comment": record.comment,
        "outcome": cr.get_status_display().lower(),
        "link": _link(cr.get_absolute_url()),
        "user": cr.requester,
    }
    email_enqueue(
        to=[cr.requester.email],
        subject=f"[{program.code}] {cr.key} was {context['outcome']}: {cr.title}"[:300],
        body_text=render_to_string("governance/email/change_decided.txt", context),
        idempotency_key=f"governance:cr-decided:{record.pk}",
    )


# --- the policy ---------------------------------------------------------------------------------


@transaction.atomic
def change_policy_update(
    *, actor, program: Program, expected_version: int | None, **changes: Any
) -> ChangeControlPolicy:
    """Change the approval thresholds (the program manager). The first change stores the
    program's policy row (until then the defaults apply)."""
    _only(changes, POLICY_FIELDS)
    if not role_can(role_of(program, actor), "change.settings"):
        raise PermissionDenied("Only the program manager changes the change control policy.")
    policy = ChangeControlPolicy.objects.filter(program=program).first()
    if policy is None:
        policy = ChangeControlPolicy(program=program)
        policy.full_clean()
        policy.save()
        audit_create(actor=actor, instance=policy)
    policy.program = program
    return apply_changes(policy, actor=actor, changes=changes, expected_version=expected_version)
