"""Test cycles (CYC-n): create, edit, delete, move through their status, plan test cases into
them and assign testers. Cases are in testing_cases.py, runs and evidence in testing_runs.py.

    planned ──start──▶ active ──close──▶ closed
                          ▲                 │
                          └─────reopen──────┘

- A cycle is deleted only while nothing was run in it (runs are the test record).
- Closing a cycle with cases not run yet is refused unless the caller confirms (`confirm=True`);
  the refusal says how many. A closed cycle takes no new runs, plans or assignments.
- Planning adds cases (picked, all ready cases of a workstream, or the ready cases verifying the
  requirements in the scope of the cycle's release); cases already planned are skipped, retired
  ones refused. A planned case is removed only while it has no run.
- A tester is a program member whose role may record test results (test.run).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_delete
from core.domain import check_member, check_same_program, create
from core.errors import Refused
from core.permissions import Role, role_can
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership, Workstream

from ..models import (
    CycleCase,
    CycleStatus,
    RunResult,
    TestCase,
    TestCaseStatus,
    TestCycle,
    TestRun,
)

__all__ = [
    "CYCLE_FIELDS",
    "PlanResult",
    "check_tester",
    "cycle_case_remove",
    "cycle_cases_assign",
    "cycle_close",
    "cycle_create",
    "cycle_delete",
    "cycle_plan",
    "cycle_reopen",
    "cycle_start",
    "cycle_update",
]

S = CycleStatus
CYCLE_FIELDS = (
    "name",
    "kind",
    "release",
    "start_date",
    "end_date",
    "owner",
    "environment",
    "entry_criteria",
    "exit_criteria",
)


def _only(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CYCLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}")
    return dict(fields)


def _check_links(program: Program, fields: dict[str, Any]) -> None:
    if "release" in fields:
        check_same_program(program, fields["release"], "release")
    if "owner" in fields:
        check_member(program, fields["owner"], "owner")


def refuse_if_closed(cycle: TestCycle, what: str) -> None:
    if cycle.status == S.CLOSED:
        raise Refused(f"{cycle.key} is closed: {what}. Reopen it first.")


def check_tester(program: Program, user, field: str = "tester") -> None:
    """A tester must be a member whose role may record results."""
    if user is None:
        return
    role = (
        ProgramMembership.objects.filter(program=program, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise ValidationError({field: f"{user} is not a member of {program.code}."})
    if not role_can(role, "test.run"):
        raise ValidationError(
            {
                field: f"{user} ({Role(role).label}) cannot record test results in "
                f"{program.code}: pick a manager, coordinator or contributor."
            }
        )


# --- cycles ---------------------------------------------------------------------------------


@transaction.atomic
def cycle_create(*, actor, program: Program, **fields: Any) -> TestCycle:
    """A new cycle, planned."""
    fields = _only(fields)
    _check_links(program, fields)
    fields["name"] = (fields.get("name") or "").strip()
    return create(TestCycle, actor=actor, program=program, **fields)


@transaction.atomic
def cycle_update(
    *, actor, cycle: TestCycle, expected_version: int | None, **changes: Any
) -> TestCycle:
    changes = _only(changes)
    current = lock_current(TestCycle, pk=cycle.pk, expected_version=expected_version)
    refuse_if_closed(current, "its details no longer change")
    _check_links(current.program, changes)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    return apply_changes(current, actor=actor, changes=changes, expected_version=None, locked=True)


@transaction.atomic
def cycle_delete(*, actor, cycle: TestCycle, expected_version: int | None) -> None:
    """Remove a cycle set up in error: only while nothing was run in it."""
    current = lock_current(TestCycle, pk=cycle.pk, expected_version=expected_version)
    runs = TestRun.objects.filter(cycle_case__cycle=current).count()
    if runs:
        raise Refused(
            f"{current.key} has {runs} recorded run{'s' if runs != 1 else ''}: they are the "
            "test record and stay. Close the cycle instead."
        )
    for planned in CycleCase.objects.filter(cycle=current).select_related("cycle", "case"):
        audit_delete(actor=actor, instance=planned)
        planned.delete()
    audit_delete(actor=actor, instance=current)
    current.delete()


def _move(current: TestCycle, *, actor, to: str) -> TestCycle:
    return apply_changes(
        current, actor=actor, changes={"status": to}, expected_version=None, locked=True
    )


@transaction.atomic
def cycle_start(*, actor, cycle: TestCycle, expected_version: int | None = None) -> TestCycle:
    """planned -> active: testers may record results."""
    current = lock_current(TestCycle, pk=cycle.pk, expected_version=expected_version)
    if current.status != S.PLANNED:
        raise Refused(f"{current.key} is {current.get_status_display().lower()}, not planned.")
    return _move(current, actor=actor, to=S.ACTIVE)


def not_run_count(cycle: TestCycle) -> int:
    return CycleCase.objects.filter(cycle=cycle, last_result=RunResult.NOT_RUN).count()


@transaction.atomic
def cycle_close(
    *, actor, cycle: TestCycle, expected_version: int | None = None, confirm: bool = False
) -> TestCycle:
    """active -> closed. With cases not run, only when `confirm` says so."""
    current = lock_current(TestCycle, pk=cycle.pk, expected_version=expected_version)
    if current.status != S.ACTIVE:
        raise Refused(
            f"{current.key} is {current.get_status_display().lower()}: only a cycle in progress "
            "is closed."
        )
    waiting = not_run_count(current)
    if waiting and not confirm:
        raise Refused(
            f"{waiting} case{'s' if waiting != 1 else ''} of {current.key} "
            f"{'have' if waiting != 1 else 'has'} not been run. Confirm to close it anyway "
            "(they stay not run and count against its progress)."
        )
    return _move(current, actor=actor, to=S.CLOSED)


@transaction.atomic
def cycle_reopen(*, actor, cycle: TestCycle, expected_version: int | None = None) -> TestCycle:
    """closed -> active, e.g. for a retest the release still needs."""
    current = lock_current(TestCycle, pk=cycle.pk, expected_version=expected_version)
    if current.status != S.CLOSED:
        raise Refused(f"{current.key} is not closed.")
    return _move(current, actor=actor, to=S.ACTIVE)


# --- planning and assignment ----------------------------------------------------------------


@dataclass
class PlanResult:
    added: list[CycleCase] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # keys of cases already in the cycle
    not_ready: list[str] = field(default_factory=list)  # keys of draft cases left out

    def message(self, cycle: TestCycle) -> str:
        n = len(self.added)
        parts = [f"{n} case{'s' if n != 1 else ''} planned into {cycle.key}"]
        if self.already:
            parts.append(f"{len(self.already)} already in it")
        if self.not_ready:
            parts.append(
                f"{len(self.not_ready)} draft{'s' if len(self.not_ready) != 1 else ''} left out"
            )
        return "; ".join(parts) + "."


def _candidates(
    cycle: TestCycle,
    *,
    cases: Iterable[TestCase],
    workstream: Workstream | None,
    release_scope: bool,
) -> tuple[list[TestCase], set[int]]:
    """The cases asked for, in key order, and the ids of those picked one by one."""
    program = cycle.program
    picked = list(cases)
    for case in picked:
        check_same_program(program, case, "cases")
    found: dict[int, TestCase] = {c.pk: c for c in picked}
    bulk = TestCase.objects.filter(program=program, status=TestCaseStatus.READY)
    if workstream is not None:
        check_same_program(program, workstream, "workstream")
        found.update((c.pk, c) for c in bulk.filter(workstream=workstream))
    if release_scope:
        if cycle.release_id is None:
            raise ValidationError(
                {"release_scope": f"{cycle.key} tests no release: link one, or pick cases."}
            )
        scope = bulk.filter(requirements__releases=cycle.release_id).distinct()
        found.update((c.pk, c) for c in scope)
    if not found:
        raise ValidationError({"cases": "Nothing to plan: pick cases, a workstream or the scope."})
    return sorted(found.values(), key=lambda c: c.number), {c.pk for c in picked}


@transaction.atomic
def cycle_plan(
    *,
    actor,
    cycle: TestCycle,
    cases: Iterable[TestCase] = (),
    workstream: Workstream | None = None,
    release_scope: bool = False,
    tester=None,
) -> PlanResult:
    """Plan cases into the cycle: `cases` picked one by one, every ready case of `workstream`,
    and/or (`release_scope`) every ready case verifying a requirement in the scope of the cycle's
    release. Cases already planned are skipped; a picked retired case is refused, draft cases
    are left out of bulk picks. `tester` is given to every case added."""
    current = lock_current(TestCycle, pk=cycle.pk, expected_version=None)
    refuse_if_closed(current, "nothing more is planned into it")
    check_tester(current.program, tester)
    candidates, picked = _candidates(
        current, cases=cases, workstream=workstream, release_scope=release_scope
    )
    retired = [c.key for c in candidates if c.status == TestCaseStatus.RETIRED]
    if retired:
        raise ValidationError(
            {"cases": f"{', '.join(retired)} {'is' if len(retired) == 1 else 'are'} retired."}
        )
    planned = set(CycleCase.objects.filter(cycle=current).values_list("case_id", flat=True))
    result = PlanResult()
    for case in candidates:
        if case.pk in planned:
            result.already.append(case.key)
            continue
        if case.status != TestCaseStatus.READY and case.pk not in picked:
            result.not_ready.append(case.key)
            continue
        result.added.append(
            create(
                CycleCase,
                actor=actor,
                program=current.program,
                cycle=current,
                case=case,
                tester=tester,
            )
        )
    return result


@transaction.atomic
def cycle_case_remove(*, actor, cycle_case: CycleCase) -> None:
    """Take a case out of a cycle: only while it was never run there."""
    current = lock_current(CycleCase, pk=cycle_case.pk, expected_version=None)
    refuse_if_closed(current.cycle, "its plan no longer changes")
    runs = TestRun.objects.filter(cycle_case=current).count()
    if runs:
        raise Refused(
            f"{current.case.key} was run {runs} time{'s' if runs != 1 else ''} in "
            f"{current.cycle.key}: its runs are the test record, so it stays planned."
        )
    audit_delete(actor=actor, instance=current)
    current.delete()


@transaction.atomic
def cycle_cases_assign(
    *, actor, cycle: TestCycle, cycle_cases: Iterable[CycleCase], tester
) -> list[CycleCase]:
    """Give the planned cases to `tester` (None: unassign). Unchanged rows are left alone."""
    current = lock_current(TestCycle, pk=cycle.pk, expected_version=None)
    refuse_if_closed(current, "testers are no longer assigned")
    check_tester(current.program, tester)
    ids = [c.pk for c in cycle_cases]
    if not ids:
        raise ValidationError({"cycle_cases": "Pick the cases to assign."})
    rows = list(
        CycleCase.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("cycle", "case", "tester")
        .order_by("case__number")
    )
    if len(rows) != len(set(ids)) or any(r.cycle_id != current.pk for r in rows):
        raise ValidationError({"cycle_cases": f"Pick cases planned in {current.key}."})
    return [
        apply_changes(
            row, actor=actor, changes={"tester": tester}, expected_version=None, locked=True
        )
        for row in rows
    ]
