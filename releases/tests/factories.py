"""Requirements, backlog items, tests, defects and releases for tests.

Rows are created through `core.domain.create` (validated, keyed, audited) in their first state.
`set_state` puts a row straight into a later state for a test's setup (the services that move
them are each tested on their own); it writes the audit entry like a service would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from core.audit import audit_update, snapshot
from core.audit_guard import bulk_writes_allowed
from core.domain import create
from programs.models import Workstream
from programs.tests.factories import WorkstreamFactory, manager_of
from releases.models import (
    BacklogItem,
    CycleCase,
    Defect,
    Iteration,
    Release,
    Requirement,
    RunResult,
    TestCase,
    TestCycle,
    TestRun,
)


def _workstream(program) -> Workstream:
    return Workstream.objects.filter(program=program).first() or WorkstreamFactory(program=program)


def _count(model, program) -> int:
    return model.objects.filter(program=program).count() + 1


def make_requirement(program, actor=None, **fields: Any) -> Requirement:
    fields.setdefault("title", f"Requirement {_count(Requirement, program)}")
    fields.setdefault("statement", "The system shall do what the business needs.")
    fields.setdefault("acceptance_criteria", "Shown in UAT.\nSigned off by the owner.")
    fields.setdefault("priority", "must")
    return create(Requirement, actor=actor or manager_of(program), program=program, **fields)


def make_backlog_item(program, actor=None, **fields: Any) -> BacklogItem:
    fields.setdefault("workstream", _workstream(program))
    fields.setdefault("title", f"Story {_count(BacklogItem, program)}")
    return create(BacklogItem, actor=actor or manager_of(program), program=program, **fields)


def make_iteration(program, actor=None, **fields: Any) -> Iteration:
    number = _count(Iteration, program)
    fields.setdefault("name", f"Sprint {number}")
    start = program.start_date + dt.timedelta(days=14 * (number - 1))
    fields.setdefault("start_date", start)
    fields.setdefault("end_date", start + dt.timedelta(days=13))
    return create(Iteration, actor=actor or manager_of(program), program=program, **fields)


def make_release(program, actor=None, **fields: Any) -> Release:
    fields.setdefault("version_label", f"{_count(Release, program)}.0")
    fields.setdefault("planned_date", program.start_date + dt.timedelta(days=120))
    return create(Release, actor=actor or manager_of(program), program=program, **fields)


def make_cycle(program, actor=None, **fields: Any) -> TestCycle:
    fields.setdefault("name", f"Cycle {_count(TestCycle, program)}")
    fields.setdefault("kind", "uat")
    return create(TestCycle, actor=actor or manager_of(program), program=program, **fields)


def make_case(program, actor=None, requirements=(), **fields: Any) -> TestCase:
    fields.setdefault("title", f"Case {_count(TestCase, program)}")
    fields.setdefault("expected_result", "It works as the requirement says.")
    case = create(TestCase, actor=actor or manager_of(program), program=program, **fields)
    if requirements:
        case.requirements.add(*requirements)
    return case


def plan_case(cycle: TestCycle, case: TestCase, tester=None, actor=None) -> CycleCase:
    return create(
        CycleCase,
        actor=actor or manager_of(cycle.program),
        program=cycle.program,
        cycle=cycle,
        case=case,
        tester=tester,
    )


def record_run(cycle_case: CycleCase, result: str, actor=None, at=None, **fields) -> TestRun:
    """A run and the cycle case's latest result, as the run service keeps them."""
    actor = actor or manager_of(cycle_case.program)
    at = at or timezone.now()
    if result in (RunResult.FAIL, RunResult.BLOCKED):
        fields.setdefault("notes", "It did not work.")
    run = create(
        TestRun,
        actor=actor,
        program=cycle_case.program,
        cycle_case=cycle_case,
        result=result,
        executed_by=actor,
        executed_at=at,
        **fields,
    )
    if cycle_case.last_run_at is None or at >= cycle_case.last_run_at:
        set_state(cycle_case, last_result=result, last_run_at=at)
    return run


def make_defect(program, actor=None, **fields: Any) -> Defect:
    fields.setdefault("title", f"Defect {_count(Defect, program)}")
    fields.setdefault("severity", 2)
    return create(Defect, actor=actor or manager_of(program), program=program, **fields)


def set_state(row, actor=None, **values: Any):
    """Write non-editable state (status, dates) straight to a row for a test's setup, audited."""
    before = snapshot(row)
    for name, value in values.items():
        setattr(row, name, value)
    with bulk_writes_allowed():
        type(row).objects.filter(pk=row.pk).update(**values)
    audit_update(actor=actor or manager_of(row.program), instance=row, before=before)
    return row
