"""Releases (REL-n): create, edit, cancel and delete them, their scope (requirements and backlog
items of the same program) and their readiness criteria (with the manual check of a person).

The life of a release:

    planned ──go decision──▶ go ──successful production deployment──▶ released
       ▲                      │                                          │
       └────no-go decision────┘                      successful rollback ▼
    planned or go ──cancel──▶ cancelled                               rolled back

The go/no-go decision and the sign-offs are in release_reviews.py, the rollback plan and the
release log in release_rollback.py. The scope of a released, rolled-back or cancelled release is
frozen; only a planned release with nothing recorded against it can be deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import _record, audit_create, audit_delete
from core.domain import check_member, create, delete
from core.errors import Refused
from core.models import AuditAction
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership

from ..models import (
    BacklogItem,
    CriterionKind,
    CycleKind,
    LogKind,
    MoSCoW,
    ReadinessCriterion,
    Release,
    ReleaseLogEntry,
    ReleaseStatus,
    Requirement,
)

__all__ = [
    "DEFAULT_CRITERIA",
    "criteria_add_defaults",
    "criterion_check",
    "criterion_create",
    "criterion_delete",
    "criterion_uncheck",
    "criterion_update",
    "release_cancel",
    "release_create",
    "release_delete",
    "release_update",
    "role_of",
    "scope_add",
    "scope_remove",
]

S = ReleaseStatus
K = CriterionKind
RELEASE_FIELDS = ("version_label", "name", "description", "planned_date", "owner")
FROZEN = (S.RELEASED, S.ROLLED_BACK, S.CANCELLED)
CLOSED = (S.RELEASED, S.ROLLED_BACK, S.CANCELLED)
CRITERION_FIELDS = ("kind", "label", "severity", "threshold", "cycle_kind", "priority")
PARAMETERS = ("severity", "threshold", "cycle_kind", "priority")
# the parameters each kind needs; the others must be left empty
NEEDS: dict[str, tuple[str, ...]] = {
    K.NO_OPEN_DEFECTS: ("severity",),
    K.PASS_RATE: ("threshold", "cycle_kind"),
    K.REQUIREMENTS_VERIFIED: ("priority",),
    K.TESTS_EXECUTED: (),
    K.BACKLOG_DONE: (),
    K.SIGNOFFS: (),
    K.ROLLBACK_APPROVED: (),
    K.MANUAL: (),
}
# the five criteria of a go-live, as issue 7 names them
DEFAULT_CRITERIA: tuple[dict[str, Any], ...] = (
    {"kind": K.NO_OPEN_DEFECTS, "severity": 1},
    {"kind": K.PASS_RATE, "threshold": Decimal("95.00"), "cycle_kind": CycleKind.UAT},
    {"kind": K.REQUIREMENTS_VERIFIED, "priority": MoSCoW.MUST},
    {"kind": K.SIGNOFFS},
    {"kind": K.ROLLBACK_APPROVED},
)


def role_of(program: Program, user) -> str | None:
    if user is None:
        return None
    return (
        ProgramMembership.objects.filter(program=program, user=user)
        .values_list("role", flat=True)
        .first()
    )


def _status_text(release: Release) -> str:
    return release.get_status_display().lower()


# --- releases -------------------------------------------------------------------------------


def _check_release_fields(program: Program, fields: dict[str, Any]) -> None:
    if "owner" in fields:
        check_member(program, fields["owner"], "owner")
    if "version_label" in fields:
        fields["version_label"] = (fields["version_label"] or "").strip()


@transaction.atomic
def release_create(*, actor, program: Program, **fields: Any) -> Release:
    """A planned release (REL-n)."""
    unknown = set(fields) - set(RELEASE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown release fields: {', '.join(sorted(unknown))}.")
    _check_release_fields(program, fields)
    return create(Release, actor=actor, program=program, **fields)


@transaction.atomic
def release_update(
    *, actor, release: Release, expected_version: int | None, **changes: Any
) -> Release:
    current = lock_current(Release, pk=release.pk, expected_version=expected_version)
    unknown = set(changes) - set(RELEASE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown release fields: {', '.join(sorted(unknown))}.")
    _check_release_fields(current.program, changes)
    moved = {name for name, value in changes.items() if getattr(current, name) != value}
    if current.status == S.CANCELLED and moved:
        raise Refused(f"{current.key} is cancelled: it can no longer be changed.")
    if current.status in (S.RELEASED, S.ROLLED_BACK) and moved & {"version_label", "planned_date"}:
        raise Refused(
            f"{current.key} is {_status_text(current)}: its version and planned date are "
            "history now; only the name, description and owner can change."
        )
    return apply_changes(
        current, actor=actor, changes=changes, expected_version=expected_version, locked=True
    )


def delete_blockers(release: Release) -> list[str]:
    """What was recorded against the release (then it can only be cancelled)."""
    blockers = []
    if release.status != S.PLANNED:
        blockers.append(f"it is {_status_text(release)}")
    if release.reviews.exists():
        blockers.append("it has go/no-go reviews")
    if release.log.exists():
        blockers.append("its log has entries")
    if release.signoffs.filter(signed_at__isnull=False).exists():
        blockers.append("sign-offs were given")
    if release.test_cycles.exists():
        blockers.append("test cycles test it")
    if release.defects.exists():
        blockers.append("defects are targeted at it")
    return blockers


@transaction.atomic
def release_delete(*, actor, release: Release, expected_version: int | None) -> None:
    """Delete a planned release that nothing was recorded against (its criteria, pending
    sign-offs and rollback plan go with it); otherwise cancel it."""
    current = lock_current(Release, pk=release.pk, expected_version=expected_version)
    blockers = delete_blockers(current)
    if blockers:
        raise Refused(f"{current.key} cannot be deleted: {'; '.join(blockers)}. Cancel it instead.")
    for row in [
        *current.criteria.all(),
        *current.signoffs.all(),
        *(step for plan in _plans(current) for step in plan.steps.all()),
        *_plans(current),
    ]:
        audit_delete(actor=actor, instance=row)
    delete(current, actor=actor, expected_version=None)


def _plans(release: Release) -> list:
    plan = getattr(release, "rollback_plan", None)  # None when it has none
    return [plan] if plan is not None else []


@transaction.atomic
def release_cancel(
    *, actor, release: Release, reason: str, expected_version: int | None
) -> Release:
    """Cancel a planned (or go) release; the reason goes into its log."""
    current = lock_current(Release, pk=release.pk, expected_version=expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the release is cancelled."})
    if current.status not in (S.PLANNED, S.GO):
        raise Refused(f"{current.key} is {_status_text(current)}: it cannot be cancelled.")
    current = apply_changes(
        current,
        actor=actor,
        changes={"status": S.CANCELLED},
        expected_version=None,
        locked=True,
    )
    entry = ReleaseLogEntry(
        program=current.program,
        release=current,
        kind=LogKind.NOTE,
        occurred_at=timezone.now(),
        summary=f"Release cancelled: {reason}"[:300],
        details=reason,
        recorded_by=actor,
    )
    entry.save()
    audit_create(actor=actor, instance=entry)
    return current


# --- scope ----------------------------------------------------------------------------------


def _check_scope_open(release: Release) -> None:
    if release.status in FROZEN:
        raise Refused(
            f"{release.key} is {_status_text(release)}: its scope is frozen as it shipped."
        )


def _same_program(program: Program, rows: Iterable, field: str) -> list:
    rows = list(rows)
    foreign = [str(getattr(r, "key", r.pk)) for r in rows if r.program_id != program.pk]
    if foreign:
        raise ValidationError({field: f"Not in {program.code}: {', '.join(foreign)}."})
    return rows


def _bump_scope(*, actor, release: Release, changes: dict[str, list]) -> None:
    release.version += 1
    release.save(update_fields=["version", "updated_at"])
    _record(actor=actor, action=AuditAction.UPDATE, instance=release, changes=changes)


@transaction.atomic
def scope_add(
    *,
    actor,
    release: Release,
    requirements: Iterable[Requirement] = (),
    backlog_items: Iterable[BacklogItem] = (),
) -> dict[str, list[str]]:
    """Put requirements and backlog items into the release's scope; returns the keys added
    (rows already in scope are skipped)."""
    current = lock_current(Release, pk=release.pk, expected_version=None)
    _check_scope_open(current)
    requirements = _same_program(current.program, requirements, "requirements")
    backlog_items = _same_program(current.program, backlog_items, "backlog_items")
    had_requirements = set(current.requirements.values_list("pk", flat=True))
    had_items = set(current.backlog_items.values_list("pk", flat=True))
    new_requirements = [r for r in requirements if r.pk not in had_requirements]
    new_items = [b for b in backlog_items if b.pk not in had_items]
    added = {
        "requirements": [r.key for r in new_requirements],
        "backlog_items": [b.key for b in new_items],
    }
    if not new_requirements and not new_items:
        return added
    current.requirements.add(*new_requirements)
    current.backlog_items.add(*new_items)
    _bump_scope(
        actor=actor,
        release=current,
        changes={
            f"scope {name.replace('_', ' ')} added": [None, ", ".join(keys)]
            for name, keys in added.items()
            if keys
        },
    )
    release.version = current.version
    return added


@transaction.atomic
def scope_remove(
    *,
    actor,
    release: Release,
    requirements: Iterable[Requirement] = (),
    backlog_items: Iterable[BacklogItem] = (),
) -> dict[str, list[str]]:
    """Take requirements and backlog items out of the scope; returns the keys removed."""
    current = lock_current(Release, pk=release.pk, expected_version=None)
    _check_scope_open(current)
    requirement_ids = {r.pk for r in requirements}
    item_ids = {b.pk for b in backlog_items}
    gone_requirements = list(current.requirements.filter(pk__in=requirement_ids))
    gone_items = list(current.backlog_items.filter(pk__in=item_ids))
    removed = {
        "requirements": [r.key for r in gone_requirements],
        "backlog_items": [b.key for b in gone_items],
    }
    if not gone_requirements and not gone_items:
        return removed
    current.requirements.remove(*gone_requirements)
    current.backlog_items.remove(*gone_items)
    _bump_scope(
        actor=actor,
        release=current,
        changes={
            f"scope {name.replace('_', ' ')} removed": [", ".join(keys), None]
            for name, keys in removed.items()
            if keys
        },
    )
    release.version = current.version
    return removed


# --- readiness criteria ---------------------------------------------------------------------


def _check_criteria_open(release: Release) -> None:
    if release.status in CLOSED:
        raise Refused(
            f"{release.key} is {_status_text(release)}: its readiness criteria are closed."
        )


def _clean_parameters(fields: dict[str, Any]) -> dict[str, Any]:
    """Check that the kind has the parameters it needs and no others; returns all four, the
    unused ones emptied."""
    kind = fields.get("kind")
    if kind not in NEEDS:
        raise ValidationError({"kind": f"Choose one of: {', '.join(K.values)}."})
    errors: dict[str, str] = {}
    needed = NEEDS[kind]
    wording = {
        "severity": "the severity (1 = critical only, 2 = critical and major …)",
        "threshold": "the pass rate threshold in percent",
        "cycle_kind": "the kind of test cycle",
        "priority": "the requirement priority",
    }
    cleaned: dict[str, Any] = {}
    for name in PARAMETERS:
        value = fields.get(name)
        empty = value is None or value == ""
        if name in needed and empty:
            errors[name] = f"This kind of criterion needs {wording[name]}."
        elif name not in needed and not empty:
            errors[name] = f"Leave this empty: a “{K(kind).label}” criterion does not use it."
        cleaned[name] = value if not empty else (None if name in ("severity", "threshold") else "")
    if kind == K.MANUAL and not (fields.get("label") or "").strip():
        errors["label"] = "Say what the person checks, e.g. “Cut-over rehearsal 2 completed”."
    if errors:
        raise ValidationError(errors)
    return cleaned


def _next_position(release: Release) -> int:
    last = release.criteria.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def criterion_create(*, actor, release: Release, **fields: Any) -> ReadinessCriterion:
    unknown = set(fields) - set(CRITERION_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown criterion fields: {', '.join(sorted(unknown))}.")
    current = lock_current(Release, pk=release.pk, expected_version=None)
    _check_criteria_open(current)
    fields.update(_clean_parameters(fields))
    fields["label"] = (fields.get("label") or "").strip()
    return create(
        ReadinessCriterion,
        actor=actor,
        program=current.program,
        release=current,
        position=_next_position(current),
        **fields,
    )


@transaction.atomic
def criterion_update(
    *, actor, criterion: ReadinessCriterion, expected_version: int | None, **changes: Any
) -> ReadinessCriterion:
    unknown = set(changes) - set(CRITERION_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown criterion fields: {', '.join(sorted(unknown))}.")
    current = lock_current(ReadinessCriterion, pk=criterion.pk, expected_version=expected_version)
    _check_criteria_open(current.release)
    merged = {name: getattr(current, name) for name in CRITERION_FIELDS}
    merged.update(changes)
    if "kind" in changes and changes["kind"] != current.kind:
        # a new kind starts from its own parameters: drop the old kind's unless sent again
        for name in PARAMETERS:
            if name not in changes and name not in NEEDS.get(changes["kind"], ()):
                merged[name] = None if name in ("severity", "threshold") else ""
    cleaned = _clean_parameters(merged)
    final = {**{n: merged[n] for n in ("kind", "label")}, **cleaned}
    final["label"] = (final["label"] or "").strip()
    if final["kind"] != K.MANUAL and current.manual_met:
        final.update(manual_met=False, manual_evidence="", manual_checked_by=None,
                     manual_checked_at=None)  # fmt: skip
    return apply_changes(
        current, actor=actor, changes=final, expected_version=expected_version, locked=True
    )


@transaction.atomic
def criterion_delete(*, actor, criterion: ReadinessCriterion, expected_version: int | None) -> None:
    current = lock_current(ReadinessCriterion, pk=criterion.pk, expected_version=expected_version)
    _check_criteria_open(current.release)
    delete(current, actor=actor, expected_version=None)


@transaction.atomic
def criteria_add_defaults(*, actor, release: Release) -> list[ReadinessCriterion]:
    """The five criteria of a go-live (no open severity-1 defects, UAT pass rate ≥ 95 %, all
    Must requirements verified, sign-offs collected, rollback plan approved); a kind with the
    same parameters already on the release is skipped. Returns those added."""
    current = lock_current(Release, pk=release.pk, expected_version=None)
    _check_criteria_open(current)
    have = {
        (c.kind, c.severity, c.threshold, c.cycle_kind, c.priority) for c in current.criteria.all()
    }
    added = []
    for spec in DEFAULT_CRITERIA:
        fields = {**spec, **_clean_parameters(dict(spec))}
        signature = (
            fields["kind"],
            fields["severity"],
            fields["threshold"],
            fields["cycle_kind"],
            fields["priority"],
        )
        if signature in have:
            continue
        added.append(
            create(
                ReadinessCriterion,
                actor=actor,
                program=current.program,
                release=current,
                position=_next_position(current),
                **fields,
            )
        )
    return added


@transaction.atomic
def criterion_check(
    *, actor, criterion: ReadinessCriterion, evidence: str, expected_version: int | None
) -> ReadinessCriterion:
    """A person confirms a manual criterion, writing down the evidence."""
    current = lock_current(ReadinessCriterion, pk=criterion.pk, expected_version=expected_version)
    _check_criteria_open(current.release)
    if current.kind != K.MANUAL:
        raise Refused(
            f"“{current}” is evaluated from the data; only a manual criterion is checked by hand."
        )
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError(
            {"evidence": "Write down the evidence: what was checked, where it is recorded."}
        )
    return apply_changes(
        current,
        actor=actor,
        changes={
            "manual_met": True,
            "manual_evidence": evidence,
            "manual_checked_by": actor,
            "manual_checked_at": timezone.now(),
        },
        expected_version=expected_version,
        locked=True,
    )


@transaction.atomic
def criterion_uncheck(
    *, actor, criterion: ReadinessCriterion, expected_version: int | None
) -> ReadinessCriterion:
    """Take a manual check back (the trail keeps who checked it and the evidence)."""
    current = lock_current(ReadinessCriterion, pk=criterion.pk, expected_version=expected_version)
    _check_criteria_open(current.release)
    if current.kind != K.MANUAL:
        raise Refused(f"“{current}” is evaluated from the data; there is no check to take back.")
    if not current.manual_met:
        raise Refused(f"“{current}” is not checked.")
    return apply_changes(
        current,
        actor=actor,
        changes={
            "manual_met": False,
            "manual_evidence": "",
            "manual_checked_by": None,
            "manual_checked_at": None,
        },
        expected_version=expected_version,
        locked=True,
    )
