"""Defects: raise, edit, delete and move through the workflow (see models/defects.py).

The workflow is one table (`WORKFLOW`): from each status, the statuses it may go to, and what
each target needs. `defect_transition` is the only way a status changes: it checks the table,
the step's inputs and rules, sets the dates, and writes a `DefectTransition` (from, to, by, at,
comment) and the audit entry in one transaction. An illegal move is refused (`Refused`, 409)
with the allowed next steps; a missing input is a field error (`ValidationError`, 400); a step
the actor's role may not take is `PermissionDenied` (403).

Dates: `resolved_at` is set when a defect is fixed; `closed_at` when it leaves the open set
(closed, rejected or deferred) and cleared when it comes back (reopened, picked up again), so a
defect's age is created_at -> closed_at (or now).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_delete
from core.domain import check_member, check_same_program, create
from core.errors import Refused
from core.permissions import Role
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership

from ..models import (
    CLOSED_DEFECT_STATUSES,
    Defect,
    DefectStatus,
    DefectTransition,
    RejectionReason,
    Release,
    ReleaseStatus,
    RunResult,
    TestRun,
)

S = DefectStatus
LINKS = ("workstream", "found_in_cycle", "test_case", "test_run", "requirement", "target_release")
EDITABLE = (
    "title",
    "description",
    "severity",
    "priority",
    "owner",
    "workstream",
    "found_in_cycle",
    "test_case",
    "test_run",
    "requirement",
    "target_release",
)
MAX_TEXT = 5000
LEADS = frozenset({Role.MANAGER, Role.COORDINATOR})


@dataclass(frozen=True)
class Step:
    """A move to `target`: its button label, the inputs it asks for and who may take it."""

    target: str
    label: str
    needs: tuple[str, ...] = ()  # inputs always required ("comment", "resolution", ...)
    asks: tuple[str, ...] = ()  # inputs offered (and checked by the step's rule)
    roles: frozenset | None = None  # None: anyone with defect.change
    hint: str = ""

    @property
    def target_label(self) -> str:
        return S(self.target).label


TRIAGE = Step(
    S.TRIAGED,
    "Triage",
    asks=("owner", "severity", "priority", "comment"),
    hint="Confirm severity and priority and give it an owner.",
)
START = Step(S.IN_PROGRESS, "Start work", asks=("comment",), hint="The owner is working on a fix.")
FIX = Step(
    S.FIXED,
    "Mark fixed",
    needs=("resolution",),
    asks=("fixed_in_build", "comment"),
    hint="Say what was changed; it goes to retest once the fix is in a build.",
)
RETEST = Step(
    S.RETEST,
    "Ready for retest",
    asks=("fixed_in_build", "comment"),
    hint="The fix is deployed in a build the testers can use.",
)
CLOSE = Step(
    S.CLOSED,
    "Close",
    asks=("comment",),
    hint="Verified: a passing run of the linked test after the fix, or say how it was verified.",
)
FAIL_RETEST = Step(
    S.REOPENED,
    "Reopen (retest failed)",
    needs=("comment",),
    hint="Say what still fails; it goes back to its owner.",
)
REOPEN = Step(
    S.REOPENED,
    "Reopen",
    needs=("comment",),
    roles=LEADS,
    hint="Only a program manager or coordinator reopens a finished defect; say why.",
)
RESTART = Step(S.IN_PROGRESS, "Restart work", asks=("comment",), hint="Back to its owner.")
REJECT = Step(
    S.REJECTED,
    "Reject",
    needs=("rejection_reason",),
    asks=("duplicate_of", "comment"),
    hint="Not a defect, a duplicate (name it) or cannot be reproduced.",
)
DEFER = Step(
    S.DEFERRED,
    "Defer",
    asks=("target_release", "comment"),
    hint="Move it to a later planned release, or say why it waits.",
)
RESUME = Step(
    S.TRIAGED,
    "Pick up again",
    needs=("comment",),
    asks=("target_release",),
    hint="Back into triage, e.g. when its release starts.",
)

# from -> the steps it may take, in the order they are offered
WORKFLOW: dict[str, tuple[Step, ...]] = {
    S.NEW: (TRIAGE, REJECT, DEFER),
    S.TRIAGED: (START, REJECT, DEFER),
    S.IN_PROGRESS: (FIX, REJECT, DEFER),
    S.FIXED: (RETEST, REJECT, DEFER),
    S.RETEST: (CLOSE, FAIL_RETEST, REJECT, DEFER),
    S.REOPENED: (RESTART, REJECT, DEFER),
    S.CLOSED: (REOPEN,),
    S.REJECTED: (REOPEN,),
    S.DEFERRED: (RESUME,),
}
INPUTS = (
    "comment",
    "resolution",
    "fixed_in_build",
    "owner",
    "severity",
    "priority",
    "rejection_reason",
    "duplicate_of",
    "target_release",
)


def steps_from(status: str) -> tuple[Step, ...]:
    return WORKFLOW.get(status, ())


def step_for(status: str, target: str) -> Step | None:
    return next((s for s in steps_from(status) if s.target == target), None)


def allowed_steps(status: str, role: str | None) -> list[Step]:
    """The steps `role` may take from `status` (what the pages offer)."""
    return [s for s in steps_from(status) if s.roles is None or role in s.roles]


def _label(status: str) -> str:
    return S(status).label.lower()


def next_steps_text(status: str) -> str:
    targets = [_label(s.target) for s in steps_from(status)]
    if not targets:
        return "none"
    return ", ".join(dict.fromkeys(targets))


def _role(program: Program, actor) -> str | None:
    if actor is None:
        return None
    return (
        ProgramMembership.objects.filter(program=program, user=actor)
        .values_list("role", flat=True)
        .first()
    )


def check_defect_fields(program: Program, fields: dict[str, Any]) -> None:
    for name in LINKS:
        if name in fields:
            check_same_program(program, fields[name], name)
    if "owner" in fields:
        check_member(program, fields["owner"], "owner")
    run = fields.get("test_run")
    case = fields.get("test_case")
    if run is not None and case is not None and run.cycle_case.case_id != case.pk:
        raise ValidationError({"test_run": "That run is of another test case."})


@transaction.atomic
def defect_create(*, actor, program: Program, comment: str = "", **fields: Any) -> Defect:
    """Raise a defect (status new) and open its workflow trail."""
    check_defect_fields(program, fields)
    defect = create(Defect, actor=actor, program=program, **fields)
    DefectTransition.objects.create(
        program=program,
        defect=defect,
        from_status="",
        to_status=defect.status,
        by=actor,
        at=timezone.now(),
        comment=comment,
    )
    return defect


@transaction.atomic
def defect_update(*, actor, defect: Defect, expected_version: int | None, **changes: Any) -> Defect:
    """Edit the defect's description and links (not its status: that is the workflow's)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This is set by the workflow, not edited."))
    program = defect.program
    check_defect_fields(program, changes)
    current = lock_current(Defect, pk=defect.pk, expected_version=expected_version)
    current.program = program
    merged = {
        "test_case": changes.get("test_case", current.test_case),
        "test_run": changes.get("test_run", current.test_run),
    }
    if ("test_case" in changes or "test_run" in changes) and merged["test_run"] is not None:
        check_defect_fields(program, merged)
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


def defect_reporter_id(defect: Defect) -> int | None:
    """Who raised it: the first step of its trail."""
    return (
        DefectTransition.objects.filter(defect=defect, from_status="")
        .order_by("at", "id")
        .values_list("by_id", flat=True)
        .first()
    )


@transaction.atomic
def defect_delete(*, actor, defect: Defect, expected_version: int | None) -> None:
    """Delete a defect raised by mistake: only while new, by its reporter or a manager.
    Anything further along is part of the test record: reject it instead."""
    program = defect.program
    current = lock_current(Defect, pk=defect.pk, expected_version=expected_version)
    current.program = program
    if current.status != S.NEW:
        raise Refused(
            f"{current.key} is {_label(current.status)}; only a new defect raised by mistake "
            "can be deleted. Reject it instead (not a defect, duplicate or cannot reproduce), "
            "so the record stays."
        )
    if current.duplicates.exists():
        raise Refused(f"Other defects are rejected as duplicates of {current.key}; keep it.")
    if _role(program, actor) != Role.MANAGER and defect_reporter_id(current) != actor.pk:
        raise Refused(
            f"Only the person who raised {current.key} or a program manager can delete it."
        )
    audit_delete(actor=actor, instance=current)
    current.delete()


# --- the workflow -------------------------------------------------------------------------


def _text(inputs: dict[str, Any], name: str) -> str:
    value = (inputs.get(name) or "").strip()
    if len(value) > MAX_TEXT:
        raise ValidationError({name: f"Keep it under {MAX_TEXT:,} characters."})
    return value


def _passing_run_after(defect: Defect) -> TestRun | None:
    runs = TestRun.objects.filter(
        program_id=defect.program_id,
        cycle_case__case_id=defect.test_case_id,
        result=RunResult.PASS,
    )
    if defect.resolved_at is not None:
        runs = runs.filter(executed_at__gt=defect.resolved_at)
    return runs.order_by("-executed_at").first()


def _duplicate_of(current: Defect, value) -> Defect:
    if value is None or value == "":
        raise ValidationError({"duplicate_of": "Name the defect it duplicates, e.g. DEF-4."})
    if isinstance(value, Defect):
        original = value
    else:
        key = str(value).strip().upper()
        if key.isdigit():
            key = f"DEF-{key}"
        original = Defect.objects.filter(program_id=current.program_id, key=key).first()
        if original is None:
            raise ValidationError(
                {"duplicate_of": f"There is no defect {key} in {current.program.code}."}
            )
    if original.program_id != current.program_id:
        raise ValidationError({"duplicate_of": "That defect belongs to another program."})
    if original.pk == current.pk:
        raise ValidationError({"duplicate_of": "A defect cannot duplicate itself."})
    if original.status == S.REJECTED and original.duplicate_of_id is not None:
        raise ValidationError(
            {"duplicate_of": f"{original.key} is itself a duplicate; name the defect it "
             f"duplicates instead."}
        )  # fmt: skip
    return original


def _step_changes(current: Defect, step: Step, inputs: dict[str, Any], now) -> dict[str, Any]:
    """The fields the step sets, after checking its inputs and rules."""
    changes: dict[str, Any] = {"status": step.target}
    comment = _text(inputs, "comment")
    build = _text(inputs, "fixed_in_build")
    if build and len(build) > 80:
        raise ValidationError({"fixed_in_build": "Keep the build under 80 characters."})
    if "comment" in step.needs and not comment:
        raise ValidationError(
            {"comment": f"Say why {current.key} is {_label(step.target)}: the trail needs it."}
        )
    if step.target == S.TRIAGED and current.status == S.NEW:
        for name in ("owner", "severity", "priority"):
            if inputs.get(name) not in (None, ""):
                changes[name] = inputs[name]
        if "owner" in changes:
            check_member(current.program, changes["owner"], "owner")
        if changes.get("owner", current.owner) is None:
            raise ValidationError({"owner": f"Give {current.key} an owner to triage it."})
        if not changes.get("severity", current.severity):
            raise ValidationError({"severity": "Set the severity."})
        if not changes.get("priority", current.priority):
            raise ValidationError({"priority": "Set the priority."})
    elif step.target == S.FIXED:
        resolution = _text(inputs, "resolution")
        if not resolution:
            raise ValidationError({"resolution": "Say what was fixed and how."})
        changes.update(resolution=resolution, resolved_at=now)
        if build:
            changes["fixed_in_build"] = build
    elif step.target == S.RETEST:
        if build:
            changes["fixed_in_build"] = build
        if not changes.get("fixed_in_build", current.fixed_in_build):
            raise ValidationError(
                {"fixed_in_build": "Name the build that carries the fix, so testers retest it."}
            )
        if not current.resolution:
            raise Refused(f"{current.key} has no resolution: mark it fixed first.")
    elif step.target == S.CLOSED:
        if current.test_case_id is not None:
            if _passing_run_after(current) is None:
                since = current.resolved_at
                when = (
                    f" after the fix ({timezone.localtime(since):%d %b %Y %H:%M})" if since else ""
                )
                raise Refused(
                    f"{current.key} is linked to {current.test_case.key}: record a passing run "
                    f"of {current.test_case.key}{when} before closing it."
                )
        elif not comment:
            raise ValidationError(
                {"comment": f"{current.key} has no linked test case: say how the fix was "
                 "verified."}
            )  # fmt: skip
        changes["closed_at"] = now
    elif step.target == S.REJECTED:
        reason = inputs.get("rejection_reason") or ""
        if reason not in RejectionReason.values:
            raise ValidationError(
                {"rejection_reason": "Choose why: not a defect, duplicate or cannot reproduce."}
            )
        changes.update(rejection_reason=reason, closed_at=now)
        if reason == RejectionReason.DUPLICATE:
            changes["duplicate_of"] = _duplicate_of(current, inputs.get("duplicate_of"))
        else:
            changes["duplicate_of"] = None
            if not comment and reason == RejectionReason.NOT_A_DEFECT:
                raise ValidationError({"comment": "Say why it works as designed."})
    elif step.target == S.DEFERRED:
        release = inputs.get("target_release")
        if release is not None:
            _check_later_release(current, release)
            changes["target_release"] = release
        elif not comment:
            raise ValidationError(
                {"target_release": "Choose the later release it moves to, or give the reason "
                 "it waits in the comment."}
            )  # fmt: skip
        changes["closed_at"] = now
    if step.target == S.REOPENED or (step is RESUME):
        changes["closed_at"] = None
        if step is RESUME and inputs.get("target_release") is not None:
            release = inputs["target_release"]
            check_same_program(current.program, release, "target_release")
            changes["target_release"] = release
    if step.target == S.REOPENED:
        changes.update(rejection_reason="", duplicate_of=None)
    if step.target not in CLOSED_DEFECT_STATUSES and step.target != S.REOPENED:
        changes.setdefault("closed_at", None)
    return changes


def _check_later_release(current: Defect, release: Release) -> None:
    check_same_program(current.program, release, "target_release")
    if release.status != ReleaseStatus.PLANNED:
        raise ValidationError(
            {"target_release": f"{release} is {release.get_status_display().lower()}; defer "
             "to a planned release."}
        )  # fmt: skip
    if current.target_release_id is not None:
        if release.pk == current.target_release_id:
            raise ValidationError(
                {"target_release": f"{current.key} is already targeted at {release}; choose a "
                 "later one."}
            )  # fmt: skip
        if release.planned_date <= current.target_release.planned_date:
            raise ValidationError(
                {"target_release": f"{release} is planned for {release.planned_date:%d %b %Y}, "
                 f"not after {current.target_release} "
                 f"({current.target_release.planned_date:%d %b %Y})."}
            )  # fmt: skip


@transaction.atomic
def defect_transition(
    *,
    actor,
    defect: Defect,
    to: str,
    expected_version: int | None = None,
    **inputs: Any,
) -> Defect:
    """Move `defect` to status `to`, with the step's inputs (comment, resolution,
    fixed_in_build, owner/severity/priority when triaging, rejection_reason and duplicate_of,
    target_release when deferring). See WORKFLOW."""
    unknown = sorted(set(inputs) - set(INPUTS))
    if unknown:
        raise TypeError(f"defect_transition() got unexpected inputs {unknown}")
    program = defect.program
    current = lock_current(Defect, pk=defect.pk, expected_version=expected_version)
    current.program = program
    if to not in S.values:
        raise ValidationError({"to": f"{to!r} is not a defect status."})
    step = step_for(current.status, to)
    if step is None:
        raise Refused(
            f"{current.key} is {_label(current.status)}: it cannot move to {_label(to)}. "
            f"Next steps from {_label(current.status)}: {next_steps_text(current.status)}."
        )
    if step.roles is not None and _role(program, actor) not in step.roles:
        raise PermissionDenied(
            f"Only a program manager or coordinator can {step.label.lower()} {current.key}."
        )
    now = timezone.now()
    changes = _step_changes(current, step, inputs, now)
    source = current.status
    current = apply_changes(
        current, actor=actor, changes=changes, expected_version=None, locked=True
    )
    DefectTransition.objects.create(
        program=program,
        defect=current,
        from_status=source,
        to_status=step.target,
        by=actor,
        at=now,
        comment=_text(inputs, "comment"),
    )
    return current
