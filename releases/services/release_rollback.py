"""A release's rollback plan (an owner, the trigger, ordered steps each with an action, an owner
and a duration) and its release log (deployments, incidents, rollbacks and notes).

The program manager approves a plan that has an owner and at least one step; any change to an
approved plan or its steps returns it to draft, to be approved again.

The log is inserted only. A successful production deployment of a release with a go decision
marks it released (at the deployment's time); a successful rollback of a released release marks
it rolled back. Other entries change nothing but the record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import _record
from core.audit_guard import bulk_writes_allowed
from core.domain import check_member, create, delete
from core.errors import Refused
from core.models import AuditAction
from core.permissions import Role
from core.versioning import apply_changes, lock_current

from ..models import (
    LogKind,
    Release,
    ReleaseLogEntry,
    ReleaseStatus,
    RollbackPlan,
    RollbackPlanStatus,
    RollbackStep,
)
from .releases import role_of

__all__ = [
    "PRODUCTION_NAMES",
    "is_production",
    "log_entry_add",
    "rollback_plan_approve",
    "rollback_plan_save",
    "rollback_step_add",
    "rollback_step_delete",
    "rollback_step_move",
    "rollback_step_update",
]

S = ReleaseStatus
P = RollbackPlanStatus
PRODUCTION_NAMES = ("production", "prod", "prd", "live")
FUTURE_SLACK = dt.timedelta(minutes=5)
STEP_FIELDS = ("action", "owner", "duration_minutes")


def is_production(environment: str) -> bool:
    return (environment or "").strip().lower() in PRODUCTION_NAMES


# --- rollback plan --------------------------------------------------------------------------


def _check_plan_open(release: Release) -> None:
    if release.status == S.CANCELLED:
        raise Refused(f"{release.key} is cancelled: its rollback plan is closed.")


def _back_to_draft(*, actor, plan: RollbackPlan) -> None:
    """An approved plan that changes must be approved again."""
    if plan.status == P.APPROVED:
        apply_changes(
            plan,
            actor=actor,
            changes={"status": P.DRAFT, "approved_by": None, "approved_at": None},
            expected_version=None,
            locked=True,
        )


@transaction.atomic
def rollback_plan_save(
    *, actor, release: Release, expected_version: int | None = None, **fields: Any
) -> RollbackPlan:
    """Create the release's rollback plan, or change its owner and trigger (an approved plan
    returns to draft)."""
    unknown = set(fields) - {"owner", "trigger"}
    if unknown:
        raise ValidationError(f"Unknown rollback plan fields: {', '.join(sorted(unknown))}.")
    current_release = lock_current(Release, pk=release.pk, expected_version=None)
    _check_plan_open(current_release)
    if "owner" in fields:
        check_member(current_release.program, fields["owner"], "owner")
    if "trigger" in fields:
        fields["trigger"] = (fields["trigger"] or "").strip()
    plan = RollbackPlan.objects.filter(release=current_release).first()
    if plan is None:
        return create(
            RollbackPlan, actor=actor, program=current_release.program,
            release=current_release, **fields,
        )  # fmt: skip
    current = lock_current(RollbackPlan, pk=plan.pk, expected_version=expected_version)
    changed = {name: value for name, value in fields.items() if getattr(current, name) != value}
    if changed and current.status == P.APPROVED:
        changed.update(status=P.DRAFT, approved_by=None, approved_at=None)
    return apply_changes(
        current, actor=actor, changes=changed, expected_version=expected_version, locked=True
    )


def _plan_of(release: Release) -> RollbackPlan:
    plan = RollbackPlan.objects.filter(release=release).first()
    if plan is None:
        raise Refused(f"{release.key} has no rollback plan yet: write its owner and trigger first.")
    return lock_current(RollbackPlan, pk=plan.pk, expected_version=None)


def _clean_step(program, fields: dict[str, Any]) -> dict[str, Any]:
    if "owner" in fields:
        check_member(program, fields["owner"], "owner")
    if "action" in fields:
        fields["action"] = (fields["action"] or "").strip()
    return fields


@transaction.atomic
def rollback_step_add(*, actor, release: Release, **fields: Any) -> RollbackStep:
    """A step at the end of the plan."""
    unknown = set(fields) - set(STEP_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown step fields: {', '.join(sorted(unknown))}.")
    _check_plan_open(release)
    plan = _plan_of(release)
    fields = _clean_step(plan.program, fields)
    last = plan.steps.aggregate(last=Max("position"))["last"] or 0
    step = create(
        RollbackStep, actor=actor, program=plan.program, plan=plan, position=last + 1, **fields
    )
    _back_to_draft(actor=actor, plan=plan)
    return step


@transaction.atomic
def rollback_step_update(
    *, actor, step: RollbackStep, expected_version: int | None, **changes: Any
) -> RollbackStep:
    unknown = set(changes) - set(STEP_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown step fields: {', '.join(sorted(unknown))}.")
    current = lock_current(RollbackStep, pk=step.pk, expected_version=expected_version)
    plan = lock_current(RollbackPlan, pk=current.plan_id, expected_version=None)
    _check_plan_open(plan.release)
    changes = _clean_step(plan.program, changes)
    version = current.version
    current = apply_changes(
        current, actor=actor, changes=changes, expected_version=expected_version, locked=True
    )
    if current.version != version:
        _back_to_draft(actor=actor, plan=plan)
    return current


@transaction.atomic
def rollback_step_delete(*, actor, step: RollbackStep, expected_version: int | None) -> None:
    current = lock_current(RollbackStep, pk=step.pk, expected_version=expected_version)
    plan = lock_current(RollbackPlan, pk=current.plan_id, expected_version=None)
    _check_plan_open(plan.release)
    delete(current, actor=actor, expected_version=None)
    _renumber(plan, [s.pk for s in plan.steps.order_by("position")])
    _back_to_draft(actor=actor, plan=plan)


def _renumber(plan: RollbackPlan, order: list[int]) -> None:
    """Positions 1..n in `order` (moved out of the way first: positions are unique)."""
    steps = {s.pk: s for s in plan.steps.all()}
    offset = len(order) + 1000
    with bulk_writes_allowed():  # the caller audits the move on the plan
        for pk in order:
            RollbackStep.objects.filter(pk=pk).update(position=steps[pk].position + offset)
        for position, pk in enumerate(order, start=1):
            RollbackStep.objects.filter(pk=pk).update(position=position)


@transaction.atomic
def rollback_step_move(*, actor, step: RollbackStep, direction: str) -> RollbackStep:
    """Move a step one place up or down."""
    plan = lock_current(RollbackPlan, pk=step.plan_id, expected_version=None)
    _check_plan_open(plan.release)
    order = list(plan.steps.order_by("position").values_list("pk", flat=True))
    at = order.index(step.pk)
    to = at - 1 if direction == "up" else at + 1
    if direction not in ("up", "down") or not 0 <= to < len(order):
        return step
    order[at], order[to] = order[to], order[at]
    _renumber(plan, order)
    plan.version += 1
    plan.save(update_fields=["version", "updated_at"])
    _record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=plan,
        changes={"step order": [at + 1, to + 1]},
    )
    _back_to_draft(actor=actor, plan=plan)
    return RollbackStep.objects.get(pk=step.pk)


@transaction.atomic
def rollback_plan_approve(
    *, actor, release: Release, expected_version: int | None = None
) -> RollbackPlan:
    """The program manager approves the plan (it needs an owner and at least one step)."""
    _check_plan_open(release)
    plan = _plan_of(release)
    if expected_version is not None and plan.version != expected_version:
        plan = lock_current(RollbackPlan, pk=plan.pk, expected_version=expected_version)
    if role_of(plan.program, actor) != Role.MANAGER:
        raise Refused("Only the program manager approves the rollback plan.")
    if plan.status == P.APPROVED:
        raise Refused("The rollback plan is already approved.")
    missing = []
    if plan.owner_id is None:
        missing.append("an owner")
    if not plan.steps.exists():
        missing.append("at least one step")
    if missing:
        raise Refused(f"The rollback plan needs {' and '.join(missing)} before approval.")
    return apply_changes(
        plan,
        actor=actor,
        changes={"status": P.APPROVED, "approved_by": actor, "approved_at": timezone.now()},
        expected_version=None,
        locked=True,
    )


# --- release log ----------------------------------------------------------------------------


@transaction.atomic
def log_entry_add(*, actor, release: Release, **fields: Any) -> ReleaseLogEntry:
    """Record what happened; a successful production deployment after the go decision marks
    the release released, a successful rollback of a released one marks it rolled back."""
    current = lock_current(Release, pk=release.pk, expected_version=None)
    kind = fields.get("kind")
    if current.status == S.CANCELLED and kind != LogKind.NOTE:
        raise Refused(f"{current.key} is cancelled: only notes can be added to its log.")
    errors: dict[str, str] = {}
    occurred_at = fields.get("occurred_at")
    if occurred_at is not None and occurred_at > timezone.now() + FUTURE_SLACK:
        errors["occurred_at"] = "The log records what happened: this time is in the future."
    if kind in (LogKind.DEPLOYMENT, LogKind.ROLLBACK) and fields.get("succeeded") is None:
        errors["succeeded"] = f"Say whether the {LogKind(kind).label.lower()} succeeded."
    if (
        kind in (LogKind.DEPLOYMENT, LogKind.ROLLBACK)
        and not (fields.get("environment") or "").strip()
    ):
        errors["environment"] = "Name the environment, e.g. Production or Pre-production."
    if errors:
        raise ValidationError(errors)
    for name in ("summary", "environment", "details"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    entry = create(
        ReleaseLogEntry, actor=actor, program=current.program, release=current,
        recorded_by=actor, **fields,
    )  # fmt: skip
    changes: dict[str, Any] = {}
    if (
        entry.kind == LogKind.DEPLOYMENT
        and entry.succeeded
        and is_production(entry.environment)
        and current.status == S.GO
    ):
        changes = {"status": S.RELEASED, "released_at": entry.occurred_at}
    elif entry.kind == LogKind.ROLLBACK and entry.succeeded and current.status == S.RELEASED:
        changes = {"status": S.ROLLED_BACK}
    if changes:
        apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)
    return entry
