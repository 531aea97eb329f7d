"""Who may take which step of a change request, and why not: the transition table and the
checks the services enforce and the pages use to offer or explain each button.

- submit: the requester, or a program manager or coordinator on their behalf;
- assess, implement, close: program managers and coordinators (`change.change`);
- approve, reject, defer (the decision): by the program's policy, the sponsor when the cost or
  schedule impact (either way) is above its thresholds, otherwise a program manager; the sponsor
  may decide any request. Nobody decides on a request they raised unless the policy allows it
  (segregation of duties; off by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.permissions import Role, role_can
from programs.models import Program, ProgramMembership

from ..choices import ApprovalLevel, ChangeStatus, ChangeTransitionName
from ..models import ChangeControlPolicy, ChangeRequest
from ..selectors.changes import approval_level, change_policy_get

S = ChangeStatus
EDITABLE_STATUSES = (S.DRAFT, S.SUBMITTED, S.DEFERRED)
OUTCOME_STATUSES = (S.APPROVED, S.IMPLEMENTED, S.CLOSED)


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    action: str  # the core.permissions.MATRIX action the role needs
    past: str  # "approved": for messages
    comment_required_from: tuple[str, ...] = ()
    decides: bool = False  # approve/reject/defer: the approver rules apply


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("submit", (S.DRAFT, S.DEFERRED), S.SUBMITTED, "change.add", "submitted"),
        Transition("assess", (S.SUBMITTED,), S.ASSESSED, "change.change", "assessed"),
        Transition(
            "approve", (S.ASSESSED,), S.APPROVED, "change.approve", "approved", decides=True
        ),
        Transition(
            "reject", (S.ASSESSED,), S.REJECTED, "change.approve", "rejected",
            comment_required_from=(S.ASSESSED,), decides=True,
        ),
        Transition(
            "defer", (S.ASSESSED,), S.DEFERRED, "change.approve", "deferred",
            comment_required_from=(S.ASSESSED,), decides=True,
        ),
        Transition(
            "implement", (S.APPROVED,), S.IMPLEMENTED, "change.change", "marked implemented"
        ),
        Transition(
            "close", (S.IMPLEMENTED, S.REJECTED, S.DEFERRED), S.CLOSED, "change.change", "closed",
            comment_required_from=(S.DEFERRED,),
        ),
    )
}  # fmt: skip


WHO_MAY = {
    "change.add": "the requester, a program manager or a coordinator",
    "change.change": "program managers and coordinators",
    "change.approve": "the sponsor or a program manager",
}


@dataclass(frozen=True)
class TransitionCheck:
    """Whether `actor` may take step `name` now, and if not, why (`problem` says what kind:
    "state", "permission" or "incomplete")."""

    name: str
    label: str
    target: str
    allowed: bool
    reason: str = ""
    problem: str = ""
    comment_required: bool = False

    @property
    def target_label(self) -> str:
        return ChangeStatus(self.target).label


def role_of(program: Program, actor) -> str | None:
    if actor is None or not actor.is_authenticated:
        return None
    return (
        ProgramMembership.objects.filter(program=program, user=actor)
        .values_list("role", flat=True)
        .first()
    )


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def approval_explanation(change_request: ChangeRequest, policy: ChangeControlPolicy) -> str:
    """Why the request needs the approver it needs, as a sentence fragment."""
    program = change_request.program
    cost = change_request.cost_impact or Decimal("0")
    days = change_request.schedule_impact_days or 0
    reasons = []
    if abs(cost) > policy.sponsor_cost_threshold:
        reasons.append(
            f"its cost impact of {_money(cost, program.currency)} is beyond the "
            f"{_money(policy.sponsor_cost_threshold, program.currency)} threshold"
        )
    if abs(days) > policy.sponsor_schedule_threshold_days:
        reasons.append(
            f"its schedule impact of {days:+d} working days is beyond the "
            f"{policy.sponsor_schedule_threshold_days}-day threshold"
        )
    if reasons:
        return " and ".join(reasons)
    limit = _money(policy.sponsor_cost_threshold, program.currency)
    days_limit = policy.sponsor_schedule_threshold_days
    return f"its impact is within the thresholds ({limit}, {days_limit} working days)"


def _decider_problem(
    *, actor, role: str | None, change_request: ChangeRequest, policy: ChangeControlPolicy
) -> str:
    program = change_request.program
    key = change_request.key
    level = approval_level(change_request, policy)
    why = approval_explanation(change_request, policy)
    is_sponsor = program.sponsor_id is not None and actor.pk == program.sponsor_id
    if level == ApprovalLevel.SPONSOR:
        if program.sponsor_id is None:
            return (
                f"{key} needs the sponsor's decision ({why}), but {program.code} has no sponsor; "
                "the program manager names one in the program settings."
            )
        if not is_sponsor:
            return f"{key} needs the sponsor's decision ({program.sponsor}): {why}."
    elif not is_sponsor and role != Role.MANAGER:
        return f"{key} is decided by a program manager or the sponsor ({why})."
    if actor.pk == change_request.requester_id and not policy.allow_self_approval:
        return (
            f"You raised {key}, so someone else must decide on it: the change control policy "
            f"of {program.code} does not allow deciding on your own requests."
        )
    return ""


def change_request_check(
    *,
    actor,
    change_request: ChangeRequest,
    name: str,
    role: str | bool | None = False,
    policy: ChangeControlPolicy | None = None,
) -> TransitionCheck:
    """May `actor` take step `name` on the request now? Pass `role` (their role in the program)
    and `policy` when already known, to save the queries."""
    transition = TRANSITIONS[name]
    cr = change_request
    program = cr.program
    label = ChangeTransitionName(name).label
    if name == "submit" and cr.status == S.DEFERRED:
        label = "Resubmit"
    required = cr.status in transition.comment_required_from

    def refuse(reason: str, problem: str) -> TransitionCheck:
        return TransitionCheck(
            name, label, transition.target, False, reason, problem, comment_required=required
        )

    if cr.status not in transition.sources:
        if cr.status == S.CLOSED:
            return refuse(
                f"{cr.key} is closed; a closed request cannot be reopened. Raise a new change "
                "request instead.",
                "state",
            )
        names = [ChangeStatus(s).label.lower() for s in transition.sources]
        sources = names[-1] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        article = "an" if sources[0] in "aeiou" else "a"
        return refuse(
            f"{cr.key} is {cr.get_status_display().lower()}; only {article} {sources} request "
            f"can be {transition.past}.",
            "state",
        )
    if role is False:
        role = role_of(program, actor)
    if role is None:
        return refuse(f"You are not a member of {program.code}.", "permission")
    if not role_can(role, transition.action):
        return refuse(
            f"Your role ({Role(role).label}) cannot {name} change requests; "
            f"{WHO_MAY[transition.action]} can.",
            "permission",
        )
    if name == "submit":
        if actor.pk != cr.requester_id and not role_can(role, "change.change"):
            return refuse(
                f"Only the requester ({cr.requester}) or a program manager or coordinator can "
                f"submit {cr.key}.",
                "permission",
            )
        missing = [n for n in ("description", "reason") if not getattr(cr, n).strip()]
        if missing:
            return refuse(
                f"{cr.key} needs a {' and a '.join(missing)} before it can be submitted.",
                "incomplete",
            )
    if transition.decides:
        problem = _decider_problem(
            actor=actor,
            role=role,
            change_request=cr,
            policy=policy or change_policy_get(program=program),
        )
        if problem:
            return refuse(problem, "permission")
    return TransitionCheck(name, label, transition.target, True, comment_required=required)


def change_request_checks(
    *, actor, change_request: ChangeRequest, role: str | None, policy: ChangeControlPolicy
) -> list[TransitionCheck]:
    """Every step the request's current status offers, each allowed or with its reason."""
    return [
        change_request_check(
            actor=actor, change_request=change_request, name=name, role=role, policy=policy
        )
        for name, transition in TRANSITIONS.items()
        if change_request.status in transition.sources
    ]


def change_request_edit_problem(*, actor, change_request: ChangeRequest, role: str | None) -> str:
    """Why `actor` cannot edit the request's content now ("" when they can)."""
    cr = change_request
    if cr.status not in EDITABLE_STATUSES:
        if cr.status == S.ASSESSED:
            return (
                f"{cr.key} is assessed: its content and impact are frozen while the decision is "
                "pending. The approver can defer it to allow changes."
            )
        return f"{cr.key} is {cr.get_status_display().lower()}; its content is part of the record."
    if role is None:
        return f"You are not a member of {cr.program.code}."
    if role_can(role, "change.change"):
        return ""
    if role_can(role, "change.add") and actor.pk == cr.requester_id:
        return ""
    return (
        f"Only the requester ({cr.requester}) or a program manager or coordinator can edit "
        f"{cr.key}."
    )
