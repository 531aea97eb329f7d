"""Requirements: create, edit (under the baseline rule), delete, and move through the status
graph (`TRANSITIONS`, the one place it is written down).

An approved requirement is baselined: revision 1 keeps its wording. Changing its title,
statement or acceptance criteria afterwards needs a change request of the same program that is
approved or implemented; the new wording becomes the next revision, linked to the request, and
the old revisions stay. Every write is atomic, versioned and audited; link changes (deliverables,
change requests) appear in the requirement's audit entry as `{name: [keys before, keys after]}`.

These services trust their caller for the role (the pages and the API ask `core.permissions`
for each transition's `permission`), and check everything else: the state, the links, the
evidence a verification needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone

from core.audit import _record, audit_delete, diff, snapshot
from core.domain import check_member, check_same_program, create
from core.errors import Refused
from core.models import AuditAction
from core.versioning import clean_changed, lock_current
from governance.choices import ChangeStatus
from governance.models import ChangeRequest
from programs.models import Program
from schedules.models import Item, ItemKind

from ..models import (
    BASELINED_FIELDS,
    BASELINED_STATUSES,
    Requirement,
    RequirementRevision,
    RequirementStatus,
    RequirementType,
)
from ..selectors.requirements import verification_gaps

S = RequirementStatus
EDITABLE_FIELDS = (
    "title", "statement", "acceptance_criteria", "type", "quality_attribute", "priority",
    "source", "source_detail", "workstream", "owner",
)  # fmt: skip
CREATE_FIELDS = (*EDITABLE_FIELDS, "deliverables", "change_requests")
# a change request that may move a baseline: decided in favour, not yet closed
CR_STATUSES_FOR_BASELINE = (ChangeStatus.APPROVED, ChangeStatus.IMPLEMENTED)
DELIVERABLE_KINDS = (ItemKind.DELIVERABLE, ItemKind.MILESTONE)
FIELD_LABELS = {
    "title": "title",
    "statement": "statement",
    "acceptance_criteria": "acceptance criteria",
}


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    permission: str  # the core.permissions action the caller needs
    needs_reason: bool = False
    help: str = ""


# The status graph: every move a requirement can make, who may make it, and what it needs.
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "approve", "Approve", (S.PROPOSED,), S.APPROVED, "requirement.approve",
            help="Baselines the wording as revision 1; later changes need a change request.",
        ),
        Transition(
            "start", "Start delivery", (S.APPROVED,), S.IN_DELIVERY, "requirement.change",
            help="The build has started.",
        ),
        Transition(
            "verify", "Mark verified", (S.IN_DELIVERY,), S.VERIFIED, "requirement.change",
            help="Needs a linked test case, every linked case's latest result a pass, and no "
            "open severity 1 or 2 defect.",
        ),
        Transition(
            "accept", "Accept", (S.VERIFIED,), S.ACCEPTED, "requirement.approve",
            help="The business accepts what was delivered and verified.",
        ),
        Transition(
            "reject", "Reject", (S.PROPOSED, S.APPROVED), S.REJECTED, "requirement.approve",
            needs_reason=True, help="It will not be built; say why.",
        ),
        Transition(
            "defer", "Defer", (S.PROPOSED, S.APPROVED), S.DEFERRED, "requirement.approve",
            needs_reason=True, help="Not in this scope; it can be proposed again later.",
        ),
        Transition(
            "repropose", "Propose again", (S.DEFERRED,), S.PROPOSED, "requirement.change",
            help="Back to proposed, to be approved again.",
        ),
    )
}  # fmt: skip


# how each step reads once done ("only an approved requirement can be moved into delivery")
DONE = {
    "approve": "approved",
    "start": "moved into delivery",
    "verify": "verified",
    "accept": "accepted",
    "reject": "rejected",
    "defer": "deferred",
    "repropose": "proposed again",
}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]


# --- checks ---------------------------------------------------------------------------------------


def _only(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}.")


def _tidy(fields: dict[str, Any]) -> None:
    """The wording as stored: browsers post CRLF line ends, which are not a change."""
    for name in ("title", *BASELINED_FIELDS, "source_detail"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_fields(program: Program, fields: dict[str, Any]) -> None:
    check_same_program(program, fields.get("workstream"), "workstream")
    if "owner" in fields:
        check_member(program, fields["owner"], "owner")


def _check_quality(kind: str, quality: str) -> None:
    if kind == RequirementType.NON_FUNCTIONAL and not quality:
        raise ValidationError(
            {"quality_attribute": "Say which quality a non-functional requirement is about."}
        )
    if kind == RequirementType.FUNCTIONAL and quality:
        raise ValidationError(
            {"quality_attribute": "A functional requirement has no quality attribute; choose "
             "non-functional."}
        )  # fmt: skip


def _deliverables(program: Program, items: Iterable[Item]) -> list[Item]:
    found = list(dict.fromkeys(items))
    for item in found:
        if item.program_id != program.pk:
            raise ValidationError({"deliverables": f"{item.key} belongs to another program."})
        if item.kind not in DELIVERABLE_KINDS:
            raise ValidationError(
                {"deliverables": f"{item.key} is a {item.get_kind_display().lower()}; link "
                 "deliverables or milestones of the plan."}
            )  # fmt: skip
    return found


def _change_requests(program: Program, requests: Iterable[ChangeRequest]) -> list[ChangeRequest]:
    found = list(dict.fromkeys(requests))
    for cr in found:
        if cr.program_id != program.pk:
            raise ValidationError({"change_requests": f"{cr.key} belongs to another program."})
    return found


def _keys(rows: Iterable[Any]) -> list[str]:
    return sorted((row.key for row in rows), key=lambda key: (len(key), key))


def _audit_update(*, actor, row: Requirement, before: dict, extra: dict[str, list]) -> None:
    """The update entry: changed columns plus the link changes (`extra`) that differ."""
    changes = diff(before, snapshot(row))
    changes.update({k: pair for k, pair in extra.items() if pair[0] != pair[1]})
    if changes:
        _record(actor=actor, action=AuditAction.UPDATE, instance=row, changes=changes)


def _status_phrase(requirement: Requirement) -> str:
    if requirement.approved_at:
        return f"approved on {timezone.localtime(requirement.approved_at):%-d %b %Y}"
    return requirement.get_status_display().lower()


def baseline_refusal(requirement: Requirement, changed: Iterable[str]) -> str:
    """Why changing `changed` wording fields of a baselined requirement needs a change request."""
    names = [FIELD_LABELS[name] for name in BASELINED_FIELDS if name in set(changed)]
    what = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    return (
        f"{requirement.key} is baselined ({_status_phrase(requirement)}): changing its {what} "
        "needs an approved change request."
    )


def _check_baseline_cr(program: Program, cr: ChangeRequest) -> None:
    if cr.program_id != program.pk:
        raise ValidationError({"change_request": "That belongs to another program."})
    if cr.status not in CR_STATUSES_FOR_BASELINE:
        raise ValidationError(
            {"change_request": f"{cr.key} is {cr.get_status_display().lower()}; only an approved "
             "or implemented change request can change a baseline."}
        )  # fmt: skip


# --- create, update, delete -----------------------------------------------------------------------


@transaction.atomic
def requirement_create(*, actor, program: Program, **fields: Any) -> Requirement:
    """A proposed requirement (REQ-n), with its deliverables and change requests if given."""
    _only(fields, CREATE_FIELDS)
    deliverables = _deliverables(program, fields.pop("deliverables", None) or ())
    requests = _change_requests(program, fields.pop("change_requests", None) or ())
    _tidy(fields)
    _check_fields(program, fields)
    _check_quality(
        fields.get("type", RequirementType.FUNCTIONAL), fields.get("quality_attribute", "")
    )
    requirement = create(Requirement, actor=actor, program=program, **fields)
    if deliverables or requests:
        before = snapshot(requirement)
        requirement.deliverables.set(deliverables)
        requirement.change_requests.set(requests)
        _audit_update(
            actor=actor,
            row=requirement,
            before=before,
            extra={
                "deliverables": [[], _keys(deliverables)],
                "change_requests": [[], _keys(requests)],
            },
        )
    return requirement


@transaction.atomic
def requirement_update(
    *,
    actor,
    requirement: Requirement,
    expected_version: int | None,
    change_request: ChangeRequest | None = None,
    revision_note: str = "",
    deliverables: Iterable[Item] | None = None,
    change_requests: Iterable[ChangeRequest] | None = None,
    **changes: Any,
) -> Requirement:
    """Edit a requirement. Its wording (title, statement, criteria) is free until approval; on a
    baselined requirement it changes only with `change_request` (approved or implemented, same
    program), which writes the next revision and links the request. Other fields change freely."""
    _only(changes, EDITABLE_FIELDS)
    program = requirement.program
    current = lock_current(Requirement, pk=requirement.pk, expected_version=expected_version)
    current.program = program
    _tidy(changes)
    _check_fields(program, changes)
    _check_quality(
        changes.get("type", current.type),
        changes.get("quality_attribute", current.quality_attribute),
    )
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    wording = [name for name in changed if name in BASELINED_FIELDS]
    if wording and current.status in BASELINED_STATUSES:
        if change_request is None:
            raise Refused(baseline_refusal(current, wording))
        _check_baseline_cr(program, change_request)
    elif change_request is not None:
        check_same_program(program, change_request, "change_request")

    links_before = {
        "deliverables": _keys(current.deliverables.all()),
        "change_requests": _keys(current.change_requests.all()),
    }
    new_deliverables = None if deliverables is None else _deliverables(program, deliverables)
    new_requests = None if change_requests is None else _change_requests(program, change_requests)
    if change_request is not None and wording:
        new_requests = list(
            dict.fromkeys([*(new_requests or current.change_requests.all()), change_request])
        )
    links_after = {
        "deliverables": links_before["deliverables"]
        if new_deliverables is None
        else _keys(new_deliverables),
        "change_requests": links_before["change_requests"]
        if new_requests is None
        else _keys(new_requests),
    }
    if not changed and links_after == links_before:
        return current

    before = snapshot(current)
    for name in changed:
        setattr(current, name, changes[name])
    fields = list(changed)
    baselined = bool(wording) and current.status in BASELINED_STATUSES
    if changed:
        clean_changed(current, changed)
    if baselined:
        current.baseline_revision += 1
        fields.append("baseline_revision")
    current.version += 1
    current.save(update_fields=[*fields, "version", "updated_at"])
    if new_deliverables is not None:
        current.deliverables.set(new_deliverables)
    if new_requests is not None:
        current.change_requests.set(new_requests)
    extra = {name: [links_before[name], links_after[name]] for name in links_before}
    if baselined:
        _write_revision(actor=actor, requirement=current, change_request=change_request,
                        note=revision_note)  # fmt: skip
        extra["revision"] = [current.baseline_revision - 1, current.baseline_revision]
    _audit_update(actor=actor, row=current, before=before, extra=extra)
    return current


def _write_revision(
    *, actor, requirement: Requirement, change_request: ChangeRequest | None, note: str = ""
) -> RequirementRevision:
    return create(
        RequirementRevision,
        actor=actor,
        program=requirement.program,
        requirement=requirement,
        revision=requirement.baseline_revision,
        title=requirement.title,
        statement=requirement.statement,
        acceptance_criteria=requirement.acceptance_criteria,
        change_request=change_request,
        note=(note or "").strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )


def delete_refusal(requirement: Requirement) -> str:
    """Why `requirement` cannot be deleted ("" when it can): only a proposed requirement that
    nothing refers to; otherwise reject or defer it, so the record stays."""
    if requirement.status != S.PROPOSED:
        return (
            f"{requirement.key} is {requirement.get_status_display().lower()}; only a proposed "
            "requirement can be deleted. Reject or defer it instead, so the record stays."
        )
    links = [
        ("test case", requirement.test_cases.order_by("number")),
        ("backlog item", requirement.backlog_items.order_by("number")),
        ("defect", requirement.defects.order_by("number")),
        ("release", requirement.releases.order_by("number")),
        ("change request", requirement.change_requests.order_by(Length("key"), "key")),
    ]
    found = []
    for label, rows in links:
        keys = list(rows.values_list("key", flat=True)[:6])
        if keys:
            shown = ", ".join(keys[:5]) + (" …" if len(keys) > 5 else "")
            found.append(f"{label}{'s' if len(keys) > 1 else ''} {shown}")
    if requirement.revisions.exists():
        found.append("its baselined revisions")
    if found:
        return (
            f"{requirement.key} cannot be deleted: {'; '.join(found)} refer to it. Reject or "
            "defer it instead."
        )
    return ""


@transaction.atomic
def requirement_delete(*, actor, requirement: Requirement, expected_version: int | None) -> None:
    current = lock_current(Requirement, pk=requirement.pk, expected_version=expected_version)
    reason = delete_refusal(current)
    if reason:
        raise Refused(reason)
    audit_delete(actor=actor, instance=current)
    current.deliverables.clear()
    current.delete()


# --- transitions ----------------------------------------------------------------------------------


def transition_refusal(requirement: Requirement, name: str) -> str:
    """Why `requirement` cannot take transition `name` now ("" when it can). The state only,
    plus the evidence rule for verify (which costs a few queries)."""
    transition = TRANSITIONS[name]
    if requirement.status not in transition.sources:
        allowed = " or ".join(S(s).label.lower() for s in transition.sources)
        article = "an" if allowed[0] in "aeiou" else "a"
        return (
            f"{requirement.key} is {requirement.get_status_display().lower()}; only {article} "
            f"{allowed} requirement can be {DONE[name]}."
        )
    if name == "verify":
        gaps = verification_gaps(requirement)
        if gaps:
            return f"{requirement.key} cannot be verified yet: " + "; ".join(gaps) + "."
    return ""


@transaction.atomic
def requirement_transition(
    *,
    actor,
    requirement: Requirement,
    transition: str,
    expected_version: int | None,
    reason: str = "",
) -> Requirement:
    """Move the requirement along `TRANSITIONS[transition]`; Refused when its state (or, for
    verify, its test evidence) does not allow it. Approve baselines it (revision 1)."""
    if transition not in TRANSITIONS:
        raise ValidationError({"transition": f"Unknown step {transition!r}."})
    step = TRANSITIONS[transition]
    current = lock_current(Requirement, pk=requirement.pk, expected_version=expected_version)
    current.program = requirement.program
    refusal = transition_refusal(current, transition)
    if refusal:
        raise Refused(refusal)
    reason = (reason or "").strip()
    if step.needs_reason and not reason:
        verb = "rejecting" if transition == "reject" else "deferring"
        raise ValidationError({"reason": f"Say why you are {verb} {current.key}."})
    before = snapshot(current)
    current.status = step.target
    fields = ["status"]
    if step.needs_reason or current.status_reason:
        current.status_reason = reason if step.needs_reason else ""
        fields.append("status_reason")
    now = timezone.now()
    write_revision = False
    if transition == "approve":
        # Baselined: revision 1, or after a deferral the wording in force now (a new revision
        # only when it was edited while proposed again).
        last = current.revisions.order_by("-revision").first()
        wording = (current.title, current.statement, current.acceptance_criteria)
        if last is not None and (last.title, last.statement, last.acceptance_criteria) == wording:
            current.baseline_revision = last.revision
        else:
            current.baseline_revision = (last.revision if last else 0) + 1
            write_revision = True
        current.approved_at = now
        fields += ["approved_at", "baseline_revision"]
    if transition == "accept":
        current.accepted_at = now
        fields.append("accepted_at")
    current.version += 1
    current.save(update_fields=[*fields, "version", "updated_at"])
    if write_revision:
        _write_revision(
            actor=actor,
            requirement=current,
            change_request=None,
            note="Baselined at approval."
            if current.baseline_revision == 1
            else "Baselined again at re-approval.",
        )
    _audit_update(actor=actor, row=current, before=before, extra={})
    return current
