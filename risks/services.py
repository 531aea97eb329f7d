"""Writes on the RAID log: create, change and delete risks, issues, assumptions, dependencies and
actions; review a risk, raise an issue from it; take the weekly exposure snapshot.

Every write is atomic, audited in the same transaction and, for an existing row, checks the
version the editor saw (`expected_version`; None skips the check, for the system). A contributor
may change or delete only the items they own: the rule lives here, so the pages, the API, imports
and tasks all obey it. Other role checks (the matrix) are made by the views before calling.

Links to WBS items (`wbs_items`, a list of schedule items of the same program) are written with
the item and appear in its history like any other field.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from core.audit import _record, diff, snapshot
from core.keys import allocate_number
from core.models import AuditAction
from core.permissions import Role
from core.versioning import lock_current
from programs.models import Program, ProgramMembership
from schedules.models import Item

from .choices import ActionStatus, AssumptionStatus, IssueStatus, RiskStatus
from .models import Action, Assumption, Dependency, Issue, RaidItem, Risk, RiskSnapshot
from .selectors import risk_exposure

T = TypeVar("T", bound=RaidItem)

COMMON_FIELDS = ("title", "description", "owner", "workstream", "status")
RISK_FIELDS = (
    *COMMON_FIELDS, "category", "cause", "event", "effect", "probability", "impact_schedule",
    "impact_cost", "impact_scope", "impact_quality", "proximity_date", "response_strategy",
    "mitigation_plan", "contingency_plan", "trigger", "residual_probability", "residual_impact",
    "cost_impact_amount", "review_date", "last_reviewed_on",
)  # fmt: skip
ISSUE_FIELDS = (
    *COMMON_FIELDS, "severity", "priority", "due_date", "resolution", "resolved_on",
    "raised_from_risk", "escalation_level", "escalated_at",
)  # fmt: skip
ASSUMPTION_FIELDS = (*COMMON_FIELDS, "validate_by", "consequence_if_false", "validated_on")
DEPENDENCY_FIELDS = (
    *COMMON_FIELDS, "direction", "giver_program", "giver_workstream", "giver_external",
    "receiver_program", "receiver_workstream", "receiver_external", "needed_by",
)  # fmt: skip
ACTION_FIELDS = (
    *COMMON_FIELDS, "due_date", "completed_on", "escalation_level", "escalated_at",
)  # fmt: skip
FIELDS: dict[type[RaidItem], tuple[str, ...]] = {
    Risk: RISK_FIELDS,
    Issue: ISSUE_FIELDS,
    Assumption: ASSUMPTION_FIELDS,
    Dependency: DEPENDENCY_FIELDS,
    Action: ACTION_FIELDS,
}
LINKS = "wbs_items"
PARTY_FIELDS = ("program", "workstream", "external")


# ---------------------------------------------------------------------------------------------
# Checks shared by every write
# ---------------------------------------------------------------------------------------------


def _only(model: type[RaidItem], fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS[model]) - {LINKS}
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    return fields


def _role(program_id: int, user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        ProgramMembership.objects.filter(program_id=program_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def may_change(*, role: str | None, user, owner_id: int | None) -> bool:
    """The ownership rule, for services and for templates that hide what would be refused:
    contributors change only the items they own; other roles the matrix lets edit, everything."""
    if role != Role.CONTRIBUTOR:
        return True
    return user is not None and owner_id is not None and owner_id == user.pk


def require_may_change(actor, item: RaidItem, verb: str = "change") -> None:
    """Contributors may change only the items they own (the system, actor None, may change all)."""
    if actor is None:
        return
    role = _role(item.program_id, actor)
    if role is None:
        raise PermissionDenied(f"You are not a member of this program, so you cannot {verb} it.")
    if not may_change(role=role, user=actor, owner_id=item.owner_id):
        owner = f"owned by {item.owner}" if item.owner_id else "without an owner"
        raise PermissionDenied(
            f"As a contributor you can {verb} only the RAID items you own; {item.key} is {owner}."
        )


def _check_member(program: Program, user, field: str) -> None:
    if (
        user is not None
        and not ProgramMembership.objects.filter(program=program, user=user).exists()
    ):
        raise ValidationError({field: f"{user} is not a member of {program.code}."})


def _check_references(model: type[RaidItem], program: Program, fields: dict[str, Any]) -> None:
    """Everything an item points at belongs to its program (owner: a member)."""
    errors: dict[str, str] = {}
    if "owner" in fields:
        try:
            _check_member(program, fields["owner"], "owner")
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    for name in ("workstream", "giver_workstream", "receiver_workstream"):
        ws = fields.get(name)
        if ws is not None and ws.program_id != program.pk:
            errors[name] = "That workstream belongs to another program."
    for name in ("giver_program", "receiver_program"):
        other = fields.get(name)
        if other is not None and other.pk == program.pk:
            errors[name] = "For this program itself, choose one of its workstreams instead."
    risk = fields.get("raised_from_risk")
    if risk is not None and risk.program_id != program.pk:
        errors["raised_from_risk"] = "That risk belongs to another program."
    links = fields.get(LINKS)
    if links is not None:
        foreign = [i.key for i in links if i.program_id != program.pk]
        if foreign:
            errors[LINKS] = f"These WBS items belong to another program: {', '.join(foreign)}."
    if errors:
        raise ValidationError(errors)


def _complete_parties(fields: dict[str, Any]) -> dict[str, Any]:
    """Naming one party of a dependency side clears the side's other two."""
    for side in Dependency.SIDES:
        names = [f"{side}_{p}" for p in PARTY_FIELDS]
        if any(n in fields for n in names):
            for n in names:
                if n not in fields:
                    fields[n] = "" if n.endswith("external") else None
            fields[f"{side}_external"] = (fields[f"{side}_external"] or "").strip()
    return fields


def _status_dates(model: type[RaidItem], current: RaidItem | None, fields: dict[str, Any]):
    """Closing an item stamps its date (resolved, validated, completed); reopening clears it."""
    if "status" not in fields:
        return fields
    today = timezone.localdate()
    status = fields["status"]
    stamps = {
        Issue: ("resolved_on", (IssueStatus.RESOLVED, IssueStatus.CLOSED)),
        Assumption: ("validated_on", (AssumptionStatus.VALIDATED, AssumptionStatus.INVALID)),
        Action: ("completed_on", (ActionStatus.DONE,)),
    }
    if model not in stamps:
        return fields
    field, closing = stamps[model]
    had = getattr(current, field, None) if current is not None else None
    if status in closing:
        if fields.get(field) is None and had is None:
            fields[field] = today
    elif field not in fields and had is not None:
        fields[field] = None
    return fields


def _link_keys(items: Iterable[Item]) -> list[str]:
    return sorted((i.key for i in items), key=_key_order)


def _key_order(key: str) -> tuple[str, int]:
    prefix, _, number = key.partition("-")
    return (prefix, int(number) if number.isdigit() else 0)


def _audit(*, actor, action: str, instance: models.Model, changes: dict) -> None:
    # core.audit's writer, given the changes ourselves: the links are not a concrete field,
    # so snapshot() cannot see them, yet they belong in the item's history.
    _record(actor=actor, action=action, instance=instance, changes=changes)


# ---------------------------------------------------------------------------------------------
# Generic create / update / delete (each type's public functions below wrap these)
# ---------------------------------------------------------------------------------------------


def raid_keys_allocate(*, program: Program, model: type[RaidItem], count: int) -> list[tuple]:
    """`count` new (key, number) pairs for `model` in one statement (for imports)."""
    if count == 0:
        return []
    last = allocate_number(program_id=program.pk, prefix=model.KEY_PREFIX, count=count)
    return [(f"{model.KEY_PREFIX}-{n}", n) for n in range(last - count + 1, last + 1)]


def _create(model: type[T], *, actor, program: Program, fields: dict[str, Any], **extra) -> T:
    fields = dict(_only(model, fields))
    links = fields.pop(LINKS, None)
    if model is Dependency:
        fields = _complete_parties(fields)
    _check_references(model, program, {**fields, LINKS: links})
    fields = _status_dates(model, None, fields)
    item = model(program=program, **fields, **extra)
    if isinstance(item, Risk):
        item.refresh_derived()
    # Validate before a key is spent, so that a refused item leaves no gap in the numbering.
    item.full_clean(exclude=["key", "number"])
    [(item.key, item.number)] = raid_keys_allocate(program=program, model=model, count=1)
    item.save()
    changes = {k: [None, v] for k, v in snapshot(item).items() if v not in (None, "")}
    if links:
        item.wbs_items.set(links)
        changes[LINKS] = [None, _link_keys(links)]
    _audit(actor=actor, action=AuditAction.CREATE, instance=item, changes=changes)
    return item


def _update(
    model: type[T],
    item: T,
    *,
    actor,
    expected_version: int | None,
    changes: dict[str, Any],
    check_owner: bool = True,
) -> T:
    changes = dict(_only(model, changes))
    current = lock_current(model, pk=item.pk, expected_version=expected_version)
    if check_owner:
        require_may_change(actor, current)
    links = changes.pop(LINKS, None)
    if model is Dependency:
        changes = _complete_parties(changes)
    program = current.program
    _check_references(model, program, {**changes, LINKS: links})
    changes = _status_dates(model, current, changes)
    before = snapshot(current)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, changes[name])
    if isinstance(current, Risk):
        changed += current.refresh_derived()
    old_links = new_links = None
    if links is not None:
        old_links = _link_keys(current.wbs_items.all())
        new_links = _link_keys(links)
    links_changed = old_links != new_links
    if not changed and not links_changed:
        return current
    current.full_clean()
    current.version += 1
    current.save(update_fields=[*changed, "version", "updated_at"])
    audit_changes = diff(before, snapshot(current))
    if links_changed:
        current.wbs_items.set(links or [])
        audit_changes[LINKS] = [old_links, new_links]
    _audit(actor=actor, action=AuditAction.UPDATE, instance=current, changes=audit_changes)
    return current


def _delete(model: type[T], item: T, *, actor, expected_version: int | None) -> None:
    current = lock_current(model, pk=item.pk, expected_version=expected_version)
    require_may_change(actor, current, verb="delete")
    # Actions on this item stay (they are someone's work) but no longer point at it; issues
    # raised from a risk forget the risk. Both are audited changes of those rows.
    ct = ContentType.objects.get_for_model(model)
    for action in Action.objects.filter(content_type=ct, object_id=current.pk).order_by("pk"):
        _detach(action, actor=actor, reason=f"{current.key} (deleted)")
    if isinstance(current, Risk):
        for issue in Issue.objects.filter(raised_from_risk=current).order_by("pk"):
            _update(
                Issue,
                issue,
                actor=actor,
                expected_version=None,
                changes={"raised_from_risk": None},
                check_owner=False,  # a consequence of the delete, which was allowed
            )
    before = snapshot(current)
    links = _link_keys(current.wbs_items.all())
    changes = {k: [v, None] for k, v in before.items() if v not in (None, "")}
    if links:
        changes[LINKS] = [links, None]
    _audit(actor=actor, action=AuditAction.DELETE, instance=current, changes=changes)
    current.wbs_items.clear()
    current.delete()


def _detach(action: Action, *, actor, reason: str) -> None:
    current = lock_current(Action, pk=action.pk, expected_version=None)
    before = snapshot(current)
    current.content_type = None
    current.object_id = None
    current.subject_key = reason[:40]
    current.version += 1
    current.save(
        update_fields=["content_type", "object_id", "subject_key", "version", "updated_at"]
    )
    _audit(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=current,
        changes=diff(before, snapshot(current)),
    )


# ---------------------------------------------------------------------------------------------
# Risks
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def risk_create(*, actor, program: Program, **fields: Any) -> Risk:
    """Raise a risk. Score, residual score and EMV are derived from the ratings and the cost."""
    return _create(Risk, actor=actor, program=program, fields=fields)


@transaction.atomic
def risk_update(*, actor, risk: Risk, expected_version: int | None, **changes: Any) -> Risk:
    return _update(Risk, risk, actor=actor, expected_version=expected_version, changes=changes)


@transaction.atomic
def risk_delete(*, actor, risk: Risk, expected_version: int | None) -> None:
    _delete(Risk, risk, actor=actor, expected_version=expected_version)


@transaction.atomic
def risk_review(
    *,
    actor,
    risk: Risk,
    expected_version: int | None,
    next_review: dt.date | None = None,
    **changes: Any,
) -> Risk:
    """Record a review today (with any re-rating in `changes`) and set the next review date."""
    today = timezone.localdate()
    if next_review is not None and next_review <= today:
        raise ValidationError({"review_date": "The next review must be after today."})
    changes["last_reviewed_on"] = today
    changes["review_date"] = next_review
    return _update(Risk, risk, actor=actor, expected_version=expected_version, changes=changes)


@transaction.atomic
def risk_raise_issue(
    *, actor, risk: Risk, expected_version: int | None, **issue_fields: Any
) -> Issue:
    """The risk occurred: raise an issue from it (title, owner, workstream and links carried over
    unless given) and mark the risk as occurred."""
    current = lock_current(Risk, pk=risk.pk, expected_version=expected_version)
    require_may_change(actor, current)
    if current.status == RiskStatus.OCCURRED:
        raise ValidationError("An issue has already been raised from this risk.")
    if current.status == RiskStatus.CLOSED:
        raise ValidationError("This risk is closed; reopen it before raising an issue from it.")
    defaults = {
        "title": current.title,
        "description": current.effect or current.event or current.description,
        "owner": current.owner,
        "workstream": current.workstream,
        LINKS: list(current.wbs_items.all()),
    }
    issue = _create(
        Issue,
        actor=actor,
        program=current.program,
        fields={**defaults, **issue_fields, "raised_from_risk": current},
    )
    _update(
        Risk,
        current,
        actor=actor,
        expected_version=None,
        changes={"status": RiskStatus.OCCURRED},
    )
    return issue


# ---------------------------------------------------------------------------------------------
# Issues, assumptions, dependencies
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def issue_create(*, actor, program: Program, **fields: Any) -> Issue:
    return _create(Issue, actor=actor, program=program, fields=fields)


@transaction.atomic
def issue_update(*, actor, issue: Issue, expected_version: int | None, **changes: Any) -> Issue:
    return _update(Issue, issue, actor=actor, expected_version=expected_version, changes=changes)


@transaction.atomic
def issue_delete(*, actor, issue: Issue, expected_version: int | None) -> None:
    _delete(Issue, issue, actor=actor, expected_version=expected_version)


@transaction.atomic
def assumption_create(*, actor, program: Program, **fields: Any) -> Assumption:
    return _create(Assumption, actor=actor, program=program, fields=fields)


@transaction.atomic
def assumption_update(
    *, actor, assumption: Assumption, expected_version: int | None, **changes: Any
) -> Assumption:
    return _update(
        Assumption, assumption, actor=actor, expected_version=expected_version, changes=changes
    )


@transaction.atomic
def assumption_delete(*, actor, assumption: Assumption, expected_version: int | None) -> None:
    _delete(Assumption, assumption, actor=actor, expected_version=expected_version)


@transaction.atomic
def dependency_create(*, actor, program: Program, **fields: Any) -> Dependency:
    """A RAID dependency. Each side is one of `<side>_program`, `<side>_workstream` or
    `<side>_external` (giving one clears the other two)."""
    return _create(Dependency, actor=actor, program=program, fields=fields)


@transaction.atomic
def dependency_update(
    *, actor, dependency: Dependency, expected_version: int | None, **changes: Any
) -> Dependency:
    return _update(
        Dependency, dependency, actor=actor, expected_version=expected_version, changes=changes
    )


@transaction.atomic
def dependency_delete(*, actor, dependency: Dependency, expected_version: int | None) -> None:
    _delete(Dependency, dependency, actor=actor, expected_version=expected_version)


# ---------------------------------------------------------------------------------------------
# Actions: on any RAID item, decision or change request (a generic relation)
# ---------------------------------------------------------------------------------------------


def subject_key_of(subject: models.Model) -> str:
    """What lists show for an action's subject: its key (RSK-12, CR-7) or its name."""
    return str(getattr(subject, "key", "") or subject)[:40]


@transaction.atomic
def action_create(
    *,
    actor,
    program: Program,
    subject: models.Model | None,
    title: str,
    owner,
    due_date: dt.date | None,
    **fields: Any,
) -> Action:
    """An action on `subject`: any object with a `program` (a RAID item, a governance decision
    or change request), or None for a stand-alone action."""
    extra: dict[str, Any] = {}
    if subject is not None:
        if subject.pk is None:
            raise ValidationError("Save the subject before attaching actions to it.")
        if getattr(subject, "program_id", None) != program.pk:
            raise ValidationError("The action's subject belongs to another program.")
        if isinstance(subject, Action):
            raise ValidationError("An action cannot be the subject of another action.")
        extra = {
            "content_type": ContentType.objects.get_for_model(subject),
            "object_id": subject.pk,
            "subject_key": subject_key_of(subject),
        }
    fields = {**fields, "title": title, "owner": owner, "due_date": due_date}
    return _create(Action, actor=actor, program=program, fields=fields, **extra)


@transaction.atomic
def action_update(*, actor, action: Action, expected_version: int | None, **changes: Any) -> Action:
    return _update(Action, action, actor=actor, expected_version=expected_version, changes=changes)


@transaction.atomic
def action_delete(*, actor, action: Action, expected_version: int | None) -> None:
    _delete(Action, action, actor=actor, expected_version=expected_version)


# Generic entry points (views and the API pick the type at run time).
CREATE: dict[type[RaidItem], Any] = {
    Risk: risk_create,
    Issue: issue_create,
    Assumption: assumption_create,
    Dependency: dependency_create,
}
UPDATE: dict[type[RaidItem], tuple[Any, str]] = {
    Risk: (risk_update, "risk"),
    Issue: (issue_update, "issue"),
    Assumption: (assumption_update, "assumption"),
    Dependency: (dependency_update, "dependency"),
    Action: (action_update, "action"),
}
DELETE: dict[type[RaidItem], tuple[Any, str]] = {
    Risk: (risk_delete, "risk"),
    Issue: (issue_delete, "issue"),
    Assumption: (assumption_delete, "assumption"),
    Dependency: (dependency_delete, "dependency"),
    Action: (action_delete, "action"),
}


def raid_item_create(*, actor, program: Program, model: type[RaidItem], **fields: Any) -> Any:
    if model is Action:
        subject = fields.pop("subject", None)
        return action_create(
            actor=actor,
            program=program,
            subject=subject,
            title=fields.pop("title", ""),
            owner=fields.pop("owner", None),
            due_date=fields.pop("due_date", None),
            **fields,
        )
    return CREATE[model](actor=actor, program=program, **fields)


def raid_item_update(*, actor, item: RaidItem, expected_version: int | None, **changes: Any) -> Any:
    service, name = UPDATE[type(item)]
    return service(actor=actor, expected_version=expected_version, **{name: item}, **changes)


def raid_item_delete(*, actor, item: RaidItem, expected_version: int | None) -> None:
    service, name = DELETE[type(item)]
    service(actor=actor, expected_version=expected_version, **{name: item})


# ---------------------------------------------------------------------------------------------
# Weekly exposure snapshots
# ---------------------------------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@transaction.atomic
def risk_snapshot_store(*, program: Program, week: dt.date, **figures: Any) -> RiskSnapshot:
    """Store the figures of the week holding `week` (replacing that week's earlier ones)."""
    unknown = set(figures) - {
        "open_count", "low_count", "medium_count", "high_count", "critical_count",
        "total_exposure", "residual_exposure", "total_emv",
    }  # fmt: skip
    if unknown:
        raise ValidationError(f"Unknown snapshot figures: {', '.join(sorted(unknown))}")
    snap, _ = RiskSnapshot.objects.select_for_update().update_or_create(
        program=program,
        week_start=week_start(week),
        defaults={**figures, "taken_at": timezone.now()},
    )
    return snap


@transaction.atomic
def risk_snapshot_take(*, program: Program, week: dt.date | None = None) -> RiskSnapshot:
    """Take the weekly exposure snapshot: idempotent per week (a second take in the same week
    refreshes that week's figures rather than adding a point). `week`: any day of the week,
    default today in the program's time zone."""
    if week is None:
        week = timezone.localdate(timezone=_zone(program))
    return risk_snapshot_store(program=program, week=week, **risk_exposure(program=program))


def _zone(program: Program):
    try:
        return zoneinfo.ZoneInfo(program.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
