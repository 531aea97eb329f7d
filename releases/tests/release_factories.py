"""A release that is ready from its data, for tests that then change one fact and watch the
readiness flip: every default criterion met by real rows (a verified Must requirement in scope,
a UAT cycle whose cases all passed, a signed sign-off, an approved rollback plan, no open
severity-1 defect)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from core.permissions import Role
from programs.tests.factories import manager_of, member
from releases.models import CycleCase, Release, Requirement, TestCycle
from releases.services import release_reviews, release_rollback
from releases.services import releases as services
from releases.tests import factories


@dataclass
class ReadyRelease:
    release: Release
    requirement: Requirement
    cycle: TestCycle
    cycle_cases: list[CycleCase]
    signer: object
    manager: object


def ready_release(program, *, cases: int = 10) -> ReadyRelease:
    manager = manager_of(program)
    release = factories.make_release(program, manager)
    services.criteria_add_defaults(actor=manager, release=release)
    requirement = factories.make_requirement(program, manager, priority="must")
    factories.set_state(requirement, status="verified")
    services.scope_add(actor=manager, release=release, requirements=[requirement])
    cycle = factories.make_cycle(program, manager, kind="uat", release=release)
    planned = []
    for _ in range(cases):
        case = factories.make_case(program, manager, requirements=[requirement])
        cycle_case = factories.plan_case(cycle, case)
        factories.record_run(cycle_case, "pass")
        planned.append(cycle_case)
    signer = member(program, Role.EXECUTIVE, full_name="Erin Exec").user
    signoff = release_reviews.signoff_create(
        actor=manager, release=release, role="Business owner", signer=signer
    )
    release_reviews.signoff_sign(actor=signer, signoff=signoff, comment="Good to go.")
    release_rollback.rollback_plan_save(
        actor=manager, release=release, owner=manager, trigger="Posting fails after cut-over."
    )
    release_rollback.rollback_step_add(
        actor=manager, release=release, action="Restore the database backup.", owner=manager,
        duration_minutes=90,
    )  # fmt: skip
    release_rollback.rollback_plan_approve(actor=manager, release=release)
    release.refresh_from_db()
    return ReadyRelease(release, requirement, cycle, planned, signer, manager)


def held_review(release: Release, actor, attendees=()):
    return release_reviews.review_create(
        actor=actor,
        release=release,
        held_at=timezone.now() - dt.timedelta(hours=1),
        attendees=attendees or [actor],
        notes="Cut-over readiness reviewed with the steering committee.",
    )
