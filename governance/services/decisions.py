"""Writes on the decision log: record (also called by other apps), edit, decide, supersede, delete.

These services trust their caller for the role: the pages and the API require `decision.change`,
and other apps' services record decisions as part of their own checked actions (an approved
change request, later a vendor selection). Every write is atomic, versioned and audited; a
decision's links appear in its audit entries as `links: [keys before, keys after]`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from core.audit import audit_delete, snapshot
from core.audit_guard import bulk_writes_allowed
from core.keys import allocate_key
from core.versioning import lock_current
from programs.models import Program, ProgramMembership

from ..choices import DecisionStatus
from ..models import Decision, DecisionLink
from ..selectors.decisions import decision_link_keys
from ..selectors.links import linkable_models
from ._audit import audit_create_with, audit_update_with
from .errors import TransitionRefused

EDITABLE_FIELDS = (
    "title", "statement", "context", "options", "rationale", "decided_by", "forum", "decided_on",
    "needed_by",
)  # fmt: skip


def program_today(program: Program) -> dt.date:
    """Today in the program's time zone (a decision taken in Berlin on Monday is Monday's)."""
    from zoneinfo import ZoneInfo

    return timezone.now().astimezone(ZoneInfo(program.time_zone)).date()


def _only(fields: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    return fields


def _check_member(program: Program, user, field: str) -> None:
    if (
        user is not None
        and not ProgramMembership.objects.filter(program=program, user=user).exists()
    ):
        raise ValidationError({field: f"{user} is not a member of {program.code}."})


def _clean_options(options: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Options as stored: trimmed texts, empty rows dropped."""
    cleaned = []
    for entry in options or ():
        if not isinstance(entry, dict):
            raise ValidationError({"options": "Each option is {option, pros, cons}."})
        row = {name: str(entry.get(name) or "").strip() for name in ("option", "pros", "cons")}
        if any(row.values()):
            cleaned.append(row)
    return cleaned


def _link_targets(program: Program, decision: Decision | None, targets: Iterable[models.Model]):
    """(content type, object) pairs for `targets`, refusing anything outside the program, not
    linkable, or the decision itself."""
    keyed = set(linkable_models().values())
    pairs = []
    seen = set()
    for obj in targets:
        if type(obj) not in keyed:
            raise ValidationError({"links": f"{obj} cannot be linked to a decision."})
        if obj.program_id != program.pk:  # type: ignore[attr-defined]
            raise ValidationError({"links": f"{obj} belongs to another program."})
        if decision is not None and isinstance(obj, Decision) and obj.pk == decision.pk:
            raise ValidationError({"links": "A decision cannot link to itself."})
        ct = ContentType.objects.get_for_model(obj)
        if (ct.pk, obj.pk) not in seen:
            seen.add((ct.pk, obj.pk))
            pairs.append((ct, obj))
    return pairs


def _set_links(decision: Decision, pairs) -> None:
    wanted = {(ct.pk, obj.pk) for ct, obj in pairs}
    current = set(
        DecisionLink.objects.filter(decision=decision).values_list("content_type_id", "object_id")
    )
    with bulk_writes_allowed():  # the decision's audit entry records the links
        for ct_id, object_id in current - wanted:
            DecisionLink.objects.filter(
                decision=decision, content_type_id=ct_id, object_id=object_id
            ).delete()
        DecisionLink.objects.bulk_create(
            [
                DecisionLink(
                    program_id=decision.program_id,
                    decision=decision,
                    content_type=ct,
                    object_id=obj.pk,
                )
                for ct, obj in pairs
                if (ct.pk, obj.pk) not in current
            ]
        )


@transaction.atomic
def decision_record(
    *,
    actor,
    program: Program,
    title: str,
    statement: str = "",
    context: str = "",
    options: Iterable[dict[str, str]] = (),
    rationale: str = "",
    status: str = DecisionStatus.DECIDED,
    decided_by=None,
    forum: str = "",
    decided_on: dt.date | None = None,
    needed_by: dt.date | None = None,
    links: Iterable[models.Model] = (),
    supersedes: Decision | None = None,
    supersedes_version: int | None = None,
) -> Decision:
    """Add a decision to the log, decided (default) or proposed, linked to `links`.

    A decided entry defaults to today (program time zone) and to `actor` as the decider.
    `supersedes` marks an earlier decided entry as replaced by this one, in the same transaction.
    """
    if status not in (DecisionStatus.PROPOSED, DecisionStatus.DECIDED):
        raise ValidationError({"status": "Record a decision as proposed or decided."})
    _check_member(program, decided_by, "decided_by")
    if status == DecisionStatus.DECIDED:
        decided_on = decided_on or program_today(program)
        if decided_by is None and actor is not None and actor.is_authenticated:
            decided_by = actor
        needed_by = None
    else:
        decided_on = None
    if supersedes is not None and status != DecisionStatus.DECIDED:
        raise ValidationError({"status": "Only a decided entry can replace an earlier decision."})
    entry = Decision(
        program=program,
        title=(title or "").strip(),
        statement=(statement or "").strip(),
        context=(context or "").strip(),
        options=_clean_options(options),
        rationale=(rationale or "").strip(),
        status=status,
        decided_by=decided_by,
        forum=(forum or "").strip(),
        decided_on=decided_on,
        needed_by=needed_by,
    )
    pairs = _link_targets(program, None, links)
    entry.key = allocate_key(program_id=program.pk, prefix=Decision.KEY_PREFIX)
    entry.full_clean()
    entry.save()
    _set_links(entry, pairs)
    audit_create_with(actor=actor, instance=entry, extra={"links": [obj.key for _, obj in pairs]})
    if supersedes is not None:
        _supersede(
            actor=actor, decision=supersedes, replacement=entry, expected_version=supersedes_version
        )
    return entry


@transaction.atomic
def decision_update(
    *,
    actor,
    decision: Decision,
    expected_version: int | None,
    links: Iterable[models.Model] | None = None,
    **changes: Any,
) -> Decision:
    """Edit the texts, decider, dates and (when given) the links. A superseded entry stays as it
    was: it is the record of what applied before its replacement."""
    _only(changes, EDITABLE_FIELDS)
    current = lock_current(Decision, pk=decision.pk, expected_version=expected_version)
    current.program = decision.program
    if current.status == DecisionStatus.SUPERSEDED:
        raise TransitionRefused(
            f"{current.key} was superseded by {current.superseded_by.key}; the log keeps it as "
            "it was. Edit the decision that replaced it instead."
        )
    if "decided_by" in changes:
        _check_member(current.program, changes["decided_by"], "decided_by")
    if "options" in changes:
        changes["options"] = _clean_options(changes["options"])
    for name in ("title", "statement", "context", "rationale", "forum"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    if current.status == DecisionStatus.DECIDED:
        changes.pop("needed_by", None)
    before = snapshot(current)
    links_before = decision_link_keys(decision=current)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, changes[name])
    links_after = links_before
    pairs = None
    if links is not None:
        pairs = _link_targets(current.program, current, links)
        links_after = [obj.key for _, obj in pairs]
    if not changed and sorted(links_after) == sorted(links_before):
        return current
    current.full_clean()
    current.version += 1
    current.save(update_fields=[*changed, "version", "updated_at"])
    if pairs is not None:
        _set_links(current, pairs)
    audit_update_with(
        actor=actor, instance=current, before=before, extra={"links": [links_before, links_after]}
    )
    return current


@transaction.atomic
def decision_decide(
    *,
    actor,
    decision: Decision,
    expected_version: int | None,
    decided_by=None,
    decided_on: dt.date | None = None,
    forum: str | None = None,
    rationale: str | None = None,
) -> Decision:
    """A proposed decision is taken: who (default `actor`), when (default today), why."""
    current = lock_current(Decision, pk=decision.pk, expected_version=expected_version)
    current.program = decision.program
    if current.status != DecisionStatus.PROPOSED:
        raise TransitionRefused(
            f"{current.key} is {current.get_status_display().lower()}; only a proposed decision "
            "can be taken."
        )
    _check_member(current.program, decided_by, "decided_by")
    if decided_by is None and actor is not None and actor.is_authenticated:
        decided_by = actor
    before = snapshot(current)
    current.status = DecisionStatus.DECIDED
    current.decided_by = decided_by
    current.decided_on = decided_on or program_today(current.program)
    current.needed_by = None
    fields = ["status", "decided_by", "decided_on", "needed_by"]
    if forum is not None:
        current.forum = forum.strip()
        fields.append("forum")
    if rationale is not None and rationale.strip():
        current.rationale = rationale.strip()
        fields.append("rationale")
    current.full_clean()
    current.version += 1
    current.save(update_fields=[*fields, "version", "updated_at"])
    audit_update_with(actor=actor, instance=current, before=before, extra={})
    return current


def _supersede(
    *, actor, decision: Decision, replacement: Decision, expected_version: int | None
) -> Decision:
    # Both rows locked in id order: two people superseding crosswise queue instead of deadlocking.
    locked = {
        d.pk: d
        for d in Decision.objects.select_for_update()
        .filter(pk__in=[decision.pk, replacement.pk])
        .order_by("pk")
    }
    current = lock_current(Decision, pk=decision.pk, expected_version=expected_version)
    other = locked.get(replacement.pk)
    if other is None or other.program_id != current.program_id:
        raise ValidationError(
            {"replacement": "The replacing decision must be in the same program."}
        )
    if other.pk == current.pk:
        raise ValidationError({"replacement": "A decision cannot supersede itself."})
    if current.status != DecisionStatus.DECIDED:
        state = current.get_status_display().lower()
        raise TransitionRefused(
            f"{current.key} is {state}; only a decided decision can be superseded."
        )
    if other.status != DecisionStatus.DECIDED:
        raise ValidationError(
            {"replacement": f"{other.key} is {other.get_status_display().lower()}; the replacing "
             "decision must be decided."}
        )  # fmt: skip
    before = snapshot(current)
    current.status = DecisionStatus.SUPERSEDED
    current.superseded_by = other
    current.full_clean()
    current.version += 1
    current.save(update_fields=["status", "superseded_by", "version", "updated_at"])
    audit_update_with(actor=actor, instance=current, before=before, extra={})
    # The replacement's history says what it replaced (its columns do not change).
    audit_update_with(
        actor=actor,
        instance=other,
        before=snapshot(other),
        extra={"supersedes": [None, current.key]},
    )
    return current


@transaction.atomic
def decision_supersede(
    *, actor, decision: Decision, replacement: Decision, expected_version: int | None
) -> Decision:
    """Mark `decision` as replaced by `replacement` (both decided, same program); both stay in
    the log, linked through `superseded_by`."""
    return _supersede(
        actor=actor, decision=decision, replacement=replacement, expected_version=expected_version
    )


@transaction.atomic
def decision_delete(*, actor, decision: Decision, expected_version: int | None) -> None:
    """Only a proposed decision can be deleted: a taken one is superseded, never erased."""
    current = lock_current(Decision, pk=decision.pk, expected_version=expected_version)
    if current.status != DecisionStatus.PROPOSED:
        raise TransitionRefused(
            f"{current.key} is {current.get_status_display().lower()}; the log keeps taken "
            "decisions. Supersede it with a new decision instead."
        )
    audit_delete(actor=actor, instance=current)
    current.delete()
