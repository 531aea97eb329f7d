"""Bulk data for the traceability benchmark (bench/bench_traceability.py): requirements, test
cases run in two cycles, defects, deliverables, change requests and releases at a realistic mix,
bulk-inserted for speed (no audit entries: this is measurement data, never a demo or a test).

    build_traceability(program, manager, requirements=2000, cases=6000, defects=1000)
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from core.audit_guard import bulk_writes_allowed
from core.keys import allocate_number
from governance.models import ChangeRequest
from programs.models import Program, Workstream
from schedules.models import Item, ItemKind

from .models import (
    CycleCase,
    Defect,
    Release,
    Requirement,
    TestCase,
    TestCycle,
    TestRun,
)

WORDS = (
    "journal entry", "supplier invoice", "purchase order", "goods receipt", "bank statement",
    "fixed asset", "cost centre", "customer master", "batch", "warehouse transfer",
    "payment run", "intercompany item", "sales order", "material master", "quality lot",
    "dunning letter", "e-invoice", "credit limit", "budget line", "month-end close",
)  # fmt: skip
VERBS = (
    "Post", "Approve", "Match", "Import", "Reconcile", "Migrate", "Print", "Archive", "Report on",
    "Validate", "Release", "Reverse",
)  # fmt: skip
REQUIREMENT_STATUSES = (
    ("proposed", 10), ("approved", 25), ("in_delivery", 30), ("verified", 15), ("accepted", 15),
    ("rejected", 2), ("deferred", 3),
)  # fmt: skip
PRIORITIES = (("must", 50), ("should", 30), ("could", 15), ("wont", 5))
RESULTS_FIRST = (("pass", 70), ("fail", 15), ("blocked", 5), (None, 10))  # None: not run
RESULTS_RETEST = (("pass", 85), ("fail", 10), ("blocked", 5))
DEFECT_STATUSES = (
    ("new", 10), ("triaged", 10), ("in_progress", 15), ("fixed", 8), ("retest", 7),
    ("reopened", 5), ("closed", 35), ("rejected", 5), ("deferred", 5),
)  # fmt: skip


def _pick(rng: random.Random, weighted: Sequence[tuple]) -> object:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _keyed(program: Program, model, objs: list, prefix: str) -> list:
    last = allocate_number(program_id=program.pk, prefix=prefix, count=len(objs))
    for number, obj in enumerate(objs, last - len(objs) + 1):
        obj.key = f"{prefix}-{number}"
        if any(f.name == "number" for f in model._meta.concrete_fields):
            obj.number = number
    return _bulk(model, objs)


def _bulk(model, objs: list) -> list:
    with bulk_writes_allowed():
        return model.objects.bulk_create(objs, batch_size=5000)


def _title(rng: random.Random, n: int) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(WORDS)} ({n})"


def build_traceability(
    program: Program,
    manager,
    *,
    requirements: int = 2000,
    cases: int = 6000,
    defects: int = 1000,
    seed: int = 7,
) -> dict[str, int]:
    """Fill `program` with the benchmark's rows; returns how many of each it made."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    now = timezone.now()
    workstreams = _keyed(program, Workstream, [
        Workstream(program=program, name=f"Workstream {i:02d}") for i in range(8)
    ], "WS")  # fmt: skip
    releases = _keyed(program, Release, [
        Release(program=program, version_label=f"{i}.0", name=f"Wave {i}",
                planned_date=dt.date(2027, 2 * i, 1))
        for i in (1, 2, 3)
    ], "REL")  # fmt: skip
    deliverables = _keyed(program, Item, [
        Item(program=program, name=f"Deliverable: {rng.choice(WORDS)} {i}",
             kind=ItemKind.DELIVERABLE, position=i, wbs=str(i + 1), outline_path=f"{i:06d}",
             workstream=workstreams[i % len(workstreams)])
        for i in range(max(requirements // 20, 1))
    ], "TSK")  # fmt: skip
    changes = _keyed(program, ChangeRequest, [
        ChangeRequest(program=program, title=f"Change {i}: {rng.choice(WORDS)}",
                      requester=manager, status=rng.choice(("approved", "implemented", "closed")))
        for i in range(max(requirements // 40, 1))
    ], "CR")  # fmt: skip
    rows = _keyed(program, Requirement, [
        Requirement(program=program, workstream=rng.choice(workstreams), title=_title(rng, n),
                    statement="The system shall do what the business needs.",
                    priority=_pick(rng, PRIORITIES), status=_pick(rng, REQUIREMENT_STATUSES),
                    owner=manager)
        for n in range(requirements)
    ], "REQ")  # fmt: skip
    _bulk(Requirement.deliverables.through, [
        Requirement.deliverables.through(requirement_id=r.pk, item_id=rng.choice(deliverables).pk)
        for r in rows
    ])  # fmt: skip
    _bulk(Requirement.change_requests.through, [
        Requirement.change_requests.through(requirement_id=r.pk,
                                            changerequest_id=rng.choice(changes).pk)
        for r in rows if rng.random() < 0.1
    ])  # fmt: skip
    _bulk(Release.requirements.through, [
        Release.requirements.through(requirement_id=r.pk, release_id=rng.choice(releases).pk)
        for r in rows if rng.random() < 0.9
    ])  # fmt: skip

    test_cases = _keyed(program, TestCase, [
        TestCase(program=program, workstream=rng.choice(workstreams), title=_title(rng, n),
                 expected_result="It works as the requirement says.",
                 status="retired" if rng.random() < 0.02 else "ready")
        for n in range(cases)
    ], "TC")  # fmt: skip
    links = []
    for case in test_cases:
        for requirement in rng.sample(rows, rng.randint(1, 3)):
            links.append(TestCase.requirements.through(testcase_id=case.pk,
                                                       requirement_id=requirement.pk))  # fmt: skip
    _bulk(TestCase.requirements.through, links)

    cycles = _keyed(program, TestCycle, [
        TestCycle(program=program, name="System integration test", kind="integration",
                  status="closed", release=releases[0]),
        TestCycle(program=program, name="User acceptance test", kind="uat", status="active",
                  release=releases[0]),
    ], "CYC")  # fmt: skip
    planned, runs = [], []
    for cycle_index, cycle in enumerate(cycles):
        for case in test_cases:
            result = _pick(rng, RESULTS_FIRST if cycle_index == 0 else RESULTS_RETEST)
            if cycle_index == 1 and rng.random() < 0.4:
                result = None  # UAT is still running
            at = now - dt.timedelta(days=30 - 20 * cycle_index, minutes=rng.randint(0, 10_000))
            planned.append(CycleCase(program=program, cycle=cycle, case=case, tester=manager,
                                     last_result=result or "not_run",
                                     last_run_at=at if result else None))  # fmt: skip
    _bulk(CycleCase, planned)
    for cycle_case in planned:
        if cycle_case.last_run_at is not None:
            passed = cycle_case.last_result == "pass"
            runs.append(TestRun(program=program, cycle_case=cycle_case,
                                result=cycle_case.last_result, executed_by=manager,
                                executed_at=cycle_case.last_run_at,
                                notes="" if passed else "Failed."))  # fmt: skip
    _bulk(TestRun, runs)

    made = _keyed(program, Defect, [
        Defect(program=program, title=f"Defect {n}: {rng.choice(WORDS)} wrong",
               severity=rng.choices((1, 2, 3, 4), (5, 25, 50, 20))[0],
               status=_pick(rng, DEFECT_STATUSES), found_in_cycle=rng.choice(cycles),
               test_case=rng.choice(test_cases) if rng.random() < 0.7 else None,
               requirement=rng.choice(rows) if rng.random() < 0.5 else None)
        for n in range(defects)
    ], "DEF")  # fmt: skip
    return {
        "requirements": len(rows), "test_cases": len(test_cases), "case_links": len(links),
        "cycle_cases": len(planned), "runs": len(runs), "defects": len(made),
        "deliverables": len(deliverables), "change_requests": len(changes),
    }  # fmt: skip
