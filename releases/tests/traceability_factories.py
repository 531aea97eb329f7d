"""Rows for the traceability tests: a requirement with everything the matrix shows, and a
program of n such requirements (for the query-count tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from governance.tests.factories_changes import make_cr
from programs.tests.factories import manager_of
from releases.models import Requirement, TestCycle
from releases.tests import factories
from schedules.models import ItemKind
from schedules.tests.factories import ItemFactory

HOSTILE_TITLE = '=HYPERLINK("http://evil.example","click")'
HOSTILE_CASE = "+SUM(A1:A9)"
HOSTILE_DEFECT = "@cmd|' /C calc'!A0"


@dataclass
class Setting:
    """Two cycles and a release of one program, shared by the rows of a test."""

    cycle_1: TestCycle
    cycle_2: TestCycle
    release: object


def setting(program) -> Setting:
    release = factories.make_release(program)
    return Setting(
        cycle_1=factories.make_cycle(program, name="SIT", kind="integration"),
        cycle_2=factories.make_cycle(program, name="UAT", kind="uat", release=release),
        release=release,
    )


def full_requirement(program, where: Setting, n: int, *, cases: int = 3) -> Requirement:
    """A requirement with a deliverable, `cases` cases run in two cycles (the first fails, the
    rest pass), an open blocking defect on the first case, a minor one on the requirement, a
    change request and a place in the release's scope."""
    manager = manager_of(program)
    requirement = factories.make_requirement(program, title=f"Requirement {n}")
    deliverable = ItemFactory(program=program, name=f"Deliverable {n}", kind=ItemKind.DELIVERABLE)
    requirement.deliverables.add(deliverable)
    requirement.change_requests.add(make_cr(program, manager, title=f"Change {n}"))
    where.release.requirements.add(requirement)
    start = timezone.now() - dt.timedelta(days=2)
    for index in range(cases):
        case = factories.make_case(program, requirements=[requirement])
        for offset, cycle in enumerate((where.cycle_1, where.cycle_2)):
            planned = factories.plan_case(cycle, case)
            result = "fail" if index == 0 else "pass"
            factories.record_run(planned, result, at=start + dt.timedelta(hours=offset))
        if index == 0:
            factories.make_defect(program, test_case=case, severity=1)
    factories.make_defect(program, requirement=requirement, severity=3)
    return requirement


def many_requirements(program, count: int) -> list[Requirement]:
    where = setting(program)
    return [full_requirement(program, where, n) for n in range(count)]
