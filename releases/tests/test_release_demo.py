"""The demo releases: wave 1 scoped and not ready, saying why (an open severity-1 defect, the
UAT pass rate, Must requirements not verified, sign-offs pending), with an approved six-step
rollback plan, a no-go review with votes and a log; wave 2 planned with the default criteria."""

from __future__ import annotations

import pytest

from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from releases import demo, demo_base
from releases.selectors.readiness import release_readiness

pytestmark = pytest.mark.django_db


def test_demo_releases(django_capture_on_commit_callbacks):
    program = ProgramFactory(code="ERP")
    manager = program.memberships.get(role=Role.MANAGER).user
    for email, role in (
        ("exec@example.com", Role.EXECUTIVE),
        ("finance@example.com", Role.FINANCE),
        ("k.tanaka@example.com", Role.CONTRIBUTOR),
        ("coordinator@example.com", Role.COORDINATOR),
    ):
        member(program, role, email=email)
    for name in demo_base.WORKSTREAMS.values():
        WorkstreamFactory(program=program, name=name, actor=manager)

    with django_capture_on_commit_callbacks():
        counts = demo.build_demo(program)

    assert counts["release criteria"] == 11
    wave1 = program.releases.get(version_label="1.0")
    readiness = release_readiness(wave1)
    assert not readiness.ready
    failing = {r.kind for r in readiness.failing}
    assert {"no_open_defects", "pass_rate", "requirements_verified", "signoffs"} <= failing
    assert "rollback_approved" not in failing
    assert wave1.requirements.count() >= 40
    assert wave1.rollback_plan.steps.count() == 6
    review = wave1.reviews.get()
    assert (review.decision, review.votes.count()) == ("no_go", 5)
    assert {e.kind for e in wave1.log.all()} == {"deployment", "incident"}
    states = sorted(s.signed_at is not None for s in wave1.signoffs.all())
    assert states == [False, False, True]
    wave2 = program.releases.get(version_label="2.0")
    assert wave2.criteria.count() == 5
    assert wave2.requirements.count() == 5
