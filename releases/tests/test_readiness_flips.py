"""Readiness is computed from the data: a release that is ready from its rows turns not-ready
when exactly one fact changes, one test per default criterion (and back where it can)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from releases.models import RollbackPlan, RollbackPlanStatus
from releases.selectors.readiness import release_readiness
from releases.services import release_reviews, release_rollback
from releases.services import releases as services
from releases.tests import factories
from releases.tests.release_factories import ready_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def ready(program):
    built = ready_release(program)
    readiness = release_readiness(built.release)
    assert readiness.ready, [(r.label, r.evidence) for r in readiness.failing]
    assert readiness.summary == "Ready"
    assert len(readiness.results) == 5
    return built


def _failing(release) -> list[tuple[str, str]]:
    readiness = release_readiness(release)
    assert not readiness.ready
    return [(r.kind, r.evidence) for r in readiness.failing]


def test_an_open_severity_1_defect_targeted_at_the_release_makes_it_not_ready(ready, program):
    defect = factories.make_defect(program, severity=1, target_release=ready.release)

    assert _failing(ready.release) == [
        ("no_open_defects", f"1 open severity-1 defect: {defect.key}")
    ]
    assert release_readiness(ready.release).summary == "Not ready: 1 of 5 criteria fails"


def test_an_open_severity_1_defect_on_a_scope_requirement_makes_it_not_ready(ready, program):
    defect = factories.make_defect(program, severity=1, requirement=ready.requirement)

    assert _failing(ready.release) == [
        ("no_open_defects", f"1 open severity-1 defect: {defect.key}")
    ]


def test_a_closed_or_minor_or_elsewhere_targeted_defect_keeps_it_ready(ready, program):
    closed = factories.make_defect(program, severity=1, target_release=ready.release)
    factories.set_state(closed, status="closed")
    factories.make_defect(program, severity=2, target_release=ready.release)
    later = factories.make_release(program)
    factories.make_defect(program, severity=1, requirement=ready.requirement, target_release=later)

    assert release_readiness(ready.release).ready


def test_a_failing_uat_run_makes_it_not_ready(ready):
    factories.record_run(ready.cycle_cases[0], "fail")

    assert _failing(ready.release) == [
        ("pass_rate", "UAT pass rate 90.0 % (9 of 10 executed) < 95 %")
    ]


def test_a_retest_that_passes_makes_it_ready_again(ready):
    factories.record_run(ready.cycle_cases[0], "fail")
    factories.record_run(ready.cycle_cases[0], "pass")

    assert release_readiness(ready.release).ready


def test_un_verifying_a_must_requirement_makes_it_not_ready(ready):
    factories.set_state(ready.requirement, status="in_delivery")

    assert _failing(ready.release) == [
        (
            "requirements_verified",
            f"Must requirements verified: 0 of 1; not verified: {ready.requirement.key}",
        )
    ]


def test_adding_an_unverified_must_requirement_to_the_scope_makes_it_not_ready(ready, program):
    extra = factories.make_requirement(program, priority="must")
    factories.set_state(extra, status="approved")
    services.scope_add(actor=ready.manager, release=ready.release, requirements=[extra])

    assert _failing(ready.release) == [
        ("requirements_verified", f"Must requirements verified: 1 of 2; not verified: {extra.key}")
    ]


def test_an_accepted_must_requirement_counts_as_verified(ready, program):
    extra = factories.make_requirement(program, priority="must")
    factories.set_state(extra, status="accepted")
    services.scope_add(actor=ready.manager, release=ready.release, requirements=[extra])

    assert release_readiness(ready.release).ready


def test_asking_for_another_sign_off_makes_it_not_ready(ready, program):
    finance = member(program, Role.FINANCE, full_name="Fiona Finance").user
    release_reviews.signoff_create(
        actor=ready.manager, release=ready.release, role="Finance", signer=finance
    )

    assert _failing(ready.release) == [
        ("signoffs", "Sign-offs collected: 1 of 2; pending: Finance (Fiona Finance)")
    ]


def test_a_withdrawn_sign_off_makes_it_not_ready(ready):
    signoff = ready.release.signoffs.get()
    release_reviews.signoff_decline(
        actor=ready.signer, signoff=signoff, comment="Bank interface still failing."
    )

    assert _failing(ready.release) == [
        ("signoffs", "Sign-offs collected: 0 of 1; pending: Business owner (Erin Exec)")
    ]


def test_returning_the_rollback_plan_to_draft_makes_it_not_ready(ready):
    release_rollback.rollback_plan_save(
        actor=ready.manager, release=ready.release, trigger="Any posting error in the first hour."
    )

    assert RollbackPlan.objects.get(release=ready.release).status == RollbackPlanStatus.DRAFT
    assert _failing(ready.release) == [
        ("rollback_approved", "Rollback plan is a draft (1 step), not approved")
    ]


def test_adding_a_rollback_step_returns_the_plan_to_draft_and_not_ready(ready):
    release_rollback.rollback_step_add(
        actor=ready.manager, release=ready.release, action="Tell the business.", owner=None
    )

    assert _failing(ready.release) == [
        ("rollback_approved", "Rollback plan is a draft (2 steps), not approved")
    ]


def test_an_unchecked_manual_criterion_makes_it_not_ready_and_its_check_ready(ready):
    criterion = services.criterion_create(
        actor=ready.manager, release=ready.release, kind="manual",
        label="Cut-over rehearsal 2 completed",
    )  # fmt: skip

    assert _failing(ready.release) == [("manual", "Not checked yet")]

    services.criterion_check(
        actor=ready.manager, criterion=criterion, evidence="Rehearsal log in SharePoint.",
        expected_version=criterion.version,
    )  # fmt: skip

    readiness = release_readiness(ready.release)
    assert readiness.ready
    day = timezone.localdate()
    today = f"{day.day} {day:%b %Y}"
    assert readiness.results[-1].evidence == (
        f"Checked by {ready.manager.full_name} on {today}: Rehearsal log in SharePoint."
    )


def test_a_release_without_criteria_is_not_ready(program):
    release = factories.make_release(program)

    readiness = release_readiness(release)

    assert not readiness.ready
    assert readiness.summary == "Not ready: no readiness criteria"
