"""Requirement test helpers: a requirement walked to a status through the services, a change
request of a given status, deliverables, and a requirement with a test case run in cycles."""

from __future__ import annotations

from governance.models import ChangeRequest
from programs.tests.factories import manager_of
from releases.services import requirements as services
from releases.tests import factories
from schedules import services as schedule_services
from schedules.models import Item, ItemKind

PATH = {
    "proposed": [],
    "approved": ["approve"],
    "in_delivery": ["approve", "start"],
    "rejected": [("reject", "Out of scope.")],
    "deferred": [("defer", "Later.")],
}


def requirement_in(program, status: str = "proposed", **fields):
    """A requirement moved to `status` through the services (verified and accepted need test
    evidence: use `verified_requirement`)."""
    manager = manager_of(program)
    requirement = factories.make_requirement(program, manager, **fields)
    for step in PATH[status]:
        name, reason = step if isinstance(step, tuple) else (step, "")
        requirement = services.requirement_transition(
            actor=manager,
            requirement=requirement,
            transition=name,
            expected_version=None,
            reason=reason,
        )
    return requirement


def passing_case(program, requirement, result: str = "pass", cycle=None):
    case = factories.make_case(program, requirements=[requirement])
    cycle = cycle or factories.make_cycle(program)
    factories.record_run(factories.plan_case(cycle, case), result)
    return case


def verified_requirement(program, **fields):
    requirement = requirement_in(program, "in_delivery", **fields)
    passing_case(program, requirement)
    return services.requirement_transition(
        actor=manager_of(program),
        requirement=requirement,
        transition="verify",
        expected_version=None,
    )


def change_request(program, status: str = "approved", title: str = "Reword the need"):
    """A change request in `status`, written straight (the governance workflow is tested
    there)."""
    cr = ChangeRequest(
        program=program,
        requester=manager_of(program),
        key=f"CR-{ChangeRequest.objects.filter(program=program).count() + 1}",
        title=title,
        kind="scope",
        description="Change the wording.",
        reason="The business asked for it.",
        status=status,
    )
    cr.save()
    return cr


def deliverable(program, kind: str = ItemKind.DELIVERABLE, name: str = "Design document") -> Item:
    return schedule_services.item_create(
        actor=manager_of(program), program=program, kind=kind, name=name
    )
