"""Test cases (TC-n): create, edit (with their ordered steps and the requirements they verify),
retire, restore and delete.

- Steps are edited as one list (`steps=[{"action", "expected"}, ...]` in their new order):
  positions 1..n are rewritten in place, new ones added at the end, the rest removed, each
  change audited. A step needs an action.
- Requirements must be the program's; the change is one audited entry on the case.
- A retired case is not planned into cycles and does not change until it is restored; a case is
  deleted only while it was never planned into a cycle and no defect points at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import _record, audit_delete, diff, snapshot
from core.domain import check_same_program, create
from core.errors import Refused
from core.models import AuditAction
from core.versioning import apply_changes, clean_changed, lock_current
from programs.models import Program

from ..models import CycleCase, Defect, Requirement, TestCase, TestCaseStatus, TestStep

__all__ = [
    "CASE_FIELDS",
    "MAX_STEPS",
    "case_create",
    "case_delete",
    "case_restore",
    "case_retire",
    "case_update",
]

CASE_FIELDS = (
    "workstream",
    "title",
    "objective",
    "preconditions",
    "expected_result",
    "priority",
    "status",
)
MAX_STEPS = 50


def _only(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CASE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}")
    fields = dict(fields)
    if fields.get("status") == TestCaseStatus.RETIRED:
        raise ValidationError({"status": "Retire a case with its own step (it keeps its runs)."})
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
    return fields


def _clean_steps(steps: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    cleaned, problems = [], []
    for number, step in enumerate(steps, start=1):
        action = (step.get("action") or "").strip()
        expected = (step.get("expected") or "").strip()
        if not action and not expected:
            continue  # an empty row of the form
        if not action:
            problems.append(f"Step {number}: say what the tester does (the action).")
        cleaned.append((action, expected))
    if len(cleaned) > MAX_STEPS:
        problems.append(f"At most {MAX_STEPS} steps; split the case.")
    if problems:
        raise ValidationError({"steps": problems})
    return cleaned


def _requirements(program: Program, requirements: Iterable[Requirement]) -> list[Requirement]:
    found = list(requirements)
    for requirement in found:
        check_same_program(program, requirement, "requirements")
    return sorted(set(found), key=lambda r: r.number)


def _keys(requirements: Iterable[Requirement]) -> list[str]:
    return sorted((r.key for r in requirements), key=lambda k: int(k.rsplit("-", 1)[-1]))


def _write_steps(*, actor, case: TestCase, steps: list[tuple[str, str]]) -> None:
    existing = list(TestStep.objects.filter(case=case).select_related("case").order_by("position"))
    for position, (action, expected) in enumerate(steps, start=1):
        if position <= len(existing):
            apply_changes(
                existing[position - 1],
                actor=actor,
                changes={"action": action, "expected": expected},
                expected_version=None,
                locked=True,
            )
        else:
            create(
                TestStep,
                actor=actor,
                program=case.program,
                case=case,
                position=position,
                action=action,
                expected=expected,
            )
    for extra in existing[len(steps) :]:
        audit_delete(actor=actor, instance=extra)
        extra.delete()


@transaction.atomic
def case_create(
    *,
    actor,
    program: Program,
    requirements: Iterable[Requirement] = (),
    steps: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> TestCase:
    """A new case (ready unless `status` says draft) with its steps and requirements."""
    fields = _only(fields)
    check_same_program(program, fields.get("workstream"), "workstream")
    cleaned = _clean_steps(steps)
    linked = _requirements(program, requirements)
    case = create(TestCase, actor=actor, program=program, **fields)
    if linked:
        case.requirements.set(linked)
        _record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=case,
            changes={"requirements": [[], _keys(linked)]},
        )
    _write_steps(actor=actor, case=case, steps=cleaned)
    return case


def _lock(case: TestCase, expected_version: int | None) -> TestCase:
    return lock_current(TestCase, pk=case.pk, expected_version=expected_version)


@transaction.atomic
def case_update(
    *,
    actor,
    case: TestCase,
    expected_version: int | None,
    requirements: Iterable[Requirement] | None = None,
    steps: Iterable[Mapping[str, Any]] | None = None,
    **changes: Any,
) -> TestCase:
    """Change the case's fields, and (when given) its requirements and its whole step list."""
    changes = _only(changes)
    current = _lock(case, expected_version)
    if current.status == TestCaseStatus.RETIRED:
        raise Refused(f"{current.key} is retired: restore it before changing it.")
    program = current.program
    if "workstream" in changes:
        check_same_program(program, changes["workstream"], "workstream")
    cleaned = _clean_steps(steps) if steps is not None else None
    extra: dict[str, list] = {}
    linked = None
    if requirements is not None:
        linked = _requirements(program, requirements)
        was, now = _keys(current.requirements.all()), _keys(linked)
        if was != now:
            extra["requirements"] = [was, now]
    before = snapshot(current)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, changes[name])
    if changed:
        clean_changed(current, changed)
    if changed or extra:
        current.version += 1
        current.save(update_fields=[*changed, "version", "updated_at"])
        if extra:
            current.requirements.set(linked)
        entry = diff(before, snapshot(current))
        entry.update(extra)
        _record(actor=actor, action=AuditAction.UPDATE, instance=current, changes=entry)
    if cleaned is not None:
        _write_steps(actor=actor, case=current, steps=cleaned)
    return current


@transaction.atomic
def case_retire(*, actor, case: TestCase, expected_version: int | None = None) -> TestCase:
    """No longer used: kept with its runs, not planned into new cycles."""
    current = _lock(case, expected_version)
    if current.status == TestCaseStatus.RETIRED:
        raise Refused(f"{current.key} is already retired.")
    return apply_changes(
        current,
        actor=actor,
        changes={"status": TestCaseStatus.RETIRED},
        expected_version=None,
        locked=True,
    )


@transaction.atomic
def case_restore(*, actor, case: TestCase, expected_version: int | None = None) -> TestCase:
    """A retired case back in use, as a draft to review before it is planned again."""
    current = _lock(case, expected_version)
    if current.status != TestCaseStatus.RETIRED:
        raise Refused(f"{current.key} is not retired.")
    return apply_changes(
        current,
        actor=actor,
        changes={"status": TestCaseStatus.DRAFT},
        expected_version=None,
        locked=True,
    )


@transaction.atomic
def case_delete(*, actor, case: TestCase, expected_version: int | None) -> None:
    """Remove a case written in error: only while never planned and without defects."""
    current = _lock(case, expected_version)
    cycles = list(
        CycleCase.objects.filter(case=current)
        .order_by("cycle__number")
        .values_list("cycle__key", flat=True)
    )
    if cycles:
        raise Refused(
            f"{current.key} is planned in {', '.join(cycles)}: retire it instead (its runs "
            "and results stay)."
        )
    defects = list(Defect.objects.filter(test_case=current).values_list("key", flat=True))
    if defects:
        raise Refused(f"{', '.join(defects)} point at {current.key}: retire it instead.")
    for step in TestStep.objects.filter(case=current).select_related("case"):
        audit_delete(actor=actor, instance=step)
        step.delete()
    audit_delete(actor=actor, instance=current)
    current.requirements.clear()
    current.delete()
