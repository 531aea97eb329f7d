"""Release services called directly: each rule and each refusal, and that a refusal changes
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Refused
from core.models import AuditEntry
from core.permissions import Role
from core.versioning import StaleVersionError
from programs.tests.factories import ProgramFactory, manager_of, member
from releases.models import (
    GoNoGoReview,
    ReadinessCriterion,
    Release,
    ReleaseLogEntry,
    ReleaseStatus,
    RollbackPlan,
)
from releases.services import release_reviews as reviews
from releases.services import release_rollback as rollback
from releases.services import releases as services
from releases.tests import factories
from releases.tests.release_factories import held_review, ready_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def manager(program):
    return manager_of(program)


@pytest.fixture
def release(program, manager):
    return services.release_create(
        actor=manager, program=program, version_label="1.0", planned_date=dt.date(2027, 2, 1)
    )


# --- releases -------------------------------------------------------------------------------


def test_create_is_audited_and_planned(release):
    assert release.key == "REL-1"
    assert release.status == ReleaseStatus.PLANNED
    assert AuditEntry.objects.filter(object_id=str(release.pk), action="create").exists()


def test_owner_must_be_a_member(program, manager):
    stranger = ProgramFactory().memberships.get().user

    with pytest.raises(ValidationError) as error:
        services.release_create(
            actor=manager, program=program, version_label="2.0",
            planned_date=dt.date(2027, 6, 1), owner=stranger,
        )  # fmt: skip

    assert "owner" in error.value.message_dict


def test_stale_update_is_refused(release, manager):
    services.release_update(actor=manager, release=release, expected_version=1, name="A")

    with pytest.raises(StaleVersionError):
        services.release_update(actor=manager, release=release, expected_version=1, name="B")


def test_a_released_release_keeps_its_version_and_date(release, manager):
    factories.set_state(release, status=ReleaseStatus.RELEASED)

    with pytest.raises(Refused):
        services.release_update(
            actor=manager, release=release, expected_version=release.version,
            planned_date=dt.date(2027, 3, 1),
        )  # fmt: skip
    services.release_update(
        actor=manager, release=release, expected_version=release.version, name="Shipped"
    )


def test_delete_a_planned_release_with_criteria_and_pending_signoffs(release, manager, program):
    services.criteria_add_defaults(actor=manager, release=release)
    reviews.signoff_create(actor=manager, release=release, role="Owner", signer=manager)
    rollback.rollback_plan_save(actor=manager, release=release, owner=manager)
    rollback.rollback_step_add(actor=manager, release=release, action="Restore.")

    services.release_delete(actor=manager, release=release, expected_version=None)

    assert not Release.objects.filter(pk=release.pk).exists()
    assert not ReadinessCriterion.objects.exists()


@pytest.mark.parametrize("recorded", ["review", "log", "cycle", "defect", "signed"])
def test_delete_is_refused_once_something_was_recorded(release, manager, program, recorded):
    if recorded == "review":
        held_review(release, manager)
    elif recorded == "log":
        rollback.log_entry_add(
            actor=manager, release=release, kind="note", occurred_at=timezone.now(), summary="x"
        )
    elif recorded == "cycle":
        factories.make_cycle(program, release=release)
    elif recorded == "defect":
        factories.make_defect(program, target_release=release)
    else:
        signoff = reviews.signoff_create(
            actor=manager, release=release, role="Owner", signer=manager
        )
        reviews.signoff_sign(actor=manager, signoff=signoff)

    with pytest.raises(Refused, match="Cancel it instead"):
        services.release_delete(actor=manager, release=release, expected_version=None)
    assert Release.objects.filter(pk=release.pk).exists()


def test_cancel_logs_the_reason_and_closes_everything(release, manager):
    services.release_cancel(
        actor=manager, release=release, reason="Merged into wave 2.", expected_version=None
    )

    release.refresh_from_db()
    assert release.status == ReleaseStatus.CANCELLED
    assert ReleaseLogEntry.objects.get(release=release).summary == (
        "Release cancelled: Merged into wave 2."
    )
    with pytest.raises(Refused):
        services.release_cancel(actor=manager, release=release, reason="x", expected_version=None)
    with pytest.raises(Refused):
        services.criteria_add_defaults(actor=manager, release=release)


# --- scope ----------------------------------------------------------------------------------


def test_scope_of_another_program_is_refused(release, manager):
    foreign = factories.make_requirement(ProgramFactory())

    with pytest.raises(ValidationError):
        services.scope_add(actor=manager, release=release, requirements=[foreign])
    assert not release.requirements.exists()


def test_scope_changes_are_audited_and_move_the_version(release, manager, program):
    requirement = factories.make_requirement(program)
    item = factories.make_backlog_item(program)

    added = services.scope_add(
        actor=manager, release=release, requirements=[requirement], backlog_items=[item]
    )
    again = services.scope_add(actor=manager, release=release, requirements=[requirement])

    assert added == {"requirements": [requirement.key], "backlog_items": [item.key]}
    assert again == {"requirements": [], "backlog_items": []}
    release.refresh_from_db()
    assert release.version == 2
    entry = AuditEntry.objects.filter(object_id=str(release.pk), action="update").get()
    assert entry.changes["scope requirements added"] == [None, requirement.key]


@pytest.mark.parametrize("status", [ReleaseStatus.RELEASED, ReleaseStatus.ROLLED_BACK])
def test_scope_of_a_released_release_is_frozen(release, manager, program, status):
    requirement = factories.make_requirement(program)
    services.scope_add(actor=manager, release=release, requirements=[requirement])
    factories.set_state(release, status=status)

    with pytest.raises(Refused, match="frozen"):
        services.scope_remove(actor=manager, release=release, requirements=[requirement])
    assert list(release.requirements.all()) == [requirement]


# --- criteria -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "no_open_defects"}, "severity"),
        ({"kind": "pass_rate", "threshold": Decimal("95")}, "cycle_kind"),
        ({"kind": "pass_rate", "cycle_kind": "uat"}, "threshold"),
        ({"kind": "requirements_verified"}, "priority"),
        ({"kind": "signoffs", "priority": "must"}, "priority"),
        ({"kind": "manual"}, "label"),
        ({"kind": "no_open_defects", "severity": 5}, "severity"),
        ({"kind": "pass_rate", "threshold": Decimal("101"), "cycle_kind": "uat"}, "threshold"),
    ],
)
def test_criterion_parameters_are_validated(release, manager, fields, field):
    with pytest.raises(ValidationError) as error:
        services.criterion_create(actor=manager, release=release, **fields)

    assert field in error.value.message_dict
    assert not release.criteria.exists()


def test_defaults_are_the_five_of_the_issue_and_not_added_twice(release, manager):
    first = services.criteria_add_defaults(actor=manager, release=release)
    second = services.criteria_add_defaults(actor=manager, release=release)

    assert [(c.kind, c.severity, c.threshold, c.cycle_kind, c.priority) for c in first] == [
        ("no_open_defects", 1, None, "", ""),
        ("pass_rate", None, Decimal("95.00"), "uat", ""),
        ("requirements_verified", None, None, "", "must"),
        ("signoffs", None, None, "", ""),
        ("rollback_approved", None, None, "", ""),
    ]
    assert second == []


def test_changing_the_kind_drops_the_old_parameters(release, manager):
    criterion = services.criterion_create(
        actor=manager, release=release, kind="no_open_defects", severity=2
    )

    changed = services.criterion_update(
        actor=manager, criterion=criterion, expected_version=criterion.version,
        kind="requirements_verified", priority="must",
    )  # fmt: skip

    assert (changed.severity, changed.priority) == (None, "must")


def test_only_a_manual_criterion_is_checked_and_only_with_evidence(release, manager):
    auto = services.criterion_create(actor=manager, release=release, kind="signoffs")
    manual = services.criterion_create(actor=manager, release=release, kind="manual", label="X")

    with pytest.raises(Refused):
        services.criterion_check(actor=manager, criterion=auto, evidence="x", expected_version=None)
    with pytest.raises(ValidationError):
        services.criterion_check(
            actor=manager, criterion=manual, evidence=" ", expected_version=None
        )
    checked = services.criterion_check(
        actor=manager, criterion=manual, evidence="Minutes.", expected_version=None
    )
    assert checked.manual_checked_by == manager
    unchecked = services.criterion_uncheck(actor=manager, criterion=checked, expected_version=None)
    assert (unchecked.manual_met, unchecked.manual_evidence) == (False, "")
    entries = AuditEntry.objects.filter(object_id=str(manual.pk), action="update")
    assert entries.count() == 2


# --- sign-offs ------------------------------------------------------------------------------


def test_only_the_named_signer_signs(release, manager, program):
    signer = member(program, Role.FINANCE).user
    signoff = reviews.signoff_create(actor=manager, release=release, role="Finance", signer=signer)

    with pytest.raises(Refused):
        reviews.signoff_sign(actor=manager, signoff=signoff)
    signoff.refresh_from_db()
    assert signoff.signed_at is None
    reviews.signoff_sign(actor=signer, signoff=signoff, comment="OK")
    signoff.refresh_from_db()
    assert reviews.signoff_state(signoff) == "signed"
    with pytest.raises(Refused):
        reviews.signoff_delete(actor=manager, signoff=signoff, expected_version=None)


def test_a_role_is_asked_once(release, manager):
    reviews.signoff_create(actor=manager, release=release, role="Finance", signer=manager)

    with pytest.raises(ValidationError):
        reviews.signoff_create(actor=manager, release=release, role="finance", signer=manager)


def test_decline_needs_a_reason_and_leaves_it_for_the_team(release, manager):
    signoff = reviews.signoff_create(actor=manager, release=release, role="Ops", signer=manager)

    with pytest.raises(ValidationError):
        reviews.signoff_decline(actor=manager, signoff=signoff, comment="")
    declined = reviews.signoff_decline(actor=manager, signoff=signoff, comment="Not yet.")
    assert reviews.signoff_state(declined) == "declined"


# --- go/no-go -------------------------------------------------------------------------------


def test_one_undecided_review_at_a_time(release, manager):
    held_review(release, manager)

    with pytest.raises(Refused, match="not decided yet"):
        held_review(release, manager)


def test_votes_need_attendees_and_a_reason_for_no_go(release, manager, program):
    attendee = member(program, Role.CONTRIBUTOR).user
    other = member(program, Role.CONTRIBUTOR).user
    review = held_review(release, manager, attendees=[manager, attendee])

    with pytest.raises(ValidationError):
        reviews.review_vote(actor=other, review=review, voter=other, vote="go")
    with pytest.raises(Refused):
        reviews.review_vote(actor=other, review=review, voter=attendee, vote="go")
    with pytest.raises(ValidationError):
        reviews.review_vote(actor=attendee, review=review, voter=attendee, vote="no_go")
    reviews.review_vote(actor=attendee, review=review, voter=attendee, vote="go")
    reviews.review_vote(actor=attendee, review=review, voter=attendee, vote="abstain")
    assert review.votes.get().vote == "abstain"


def test_go_on_a_ready_release_sets_it_go_and_keeps_the_checklist(program, manager):
    built = ready_release(program)
    review = held_review(built.release, manager)

    decided = reviews.review_decide(actor=manager, review=review, decision="go", conditions="C")

    assert decided.readiness["summary"] == "Ready"
    assert [c["met"] for c in decided.readiness["criteria"]] == [True] * 5
    built.release.refresh_from_db()
    assert built.release.status == ReleaseStatus.GO
    with pytest.raises(Refused, match="decided"):
        reviews.review_vote(actor=manager, review=decided, voter=manager, vote="go")
    with pytest.raises(Refused, match="decided"):
        reviews.review_update(actor=manager, review=decided, expected_version=None, notes="x")


def test_go_refused_while_failing_names_the_failing_criteria(program, manager):
    built = ready_release(program)
    factories.record_run(built.cycle_cases[0], "fail")
    review = held_review(built.release, manager)

    with pytest.raises(reviews.GoRefused) as refusal:
        reviews.review_decide(actor=manager, review=review, decision="go")

    assert refusal.value.reason.startswith("Go refused: 1 of 5 criteria fails (UAT pass rate")
    assert [f["kind"] for f in refusal.value.failing] == ["pass_rate"]
    assert GoNoGoReview.objects.get(pk=review.pk).decision == ""


def test_a_release_without_criteria_cannot_go_without_override(release, manager):
    review = held_review(release, manager)

    with pytest.raises(reviews.GoRefused, match="no readiness criteria"):
        reviews.review_decide(actor=manager, review=review, decision="go")


def test_override_rules(program, manager):
    built = ready_release(program)
    factories.make_defect(program, severity=1, target_release=built.release)
    executive = member(program, Role.EXECUTIVE).user
    coordinator = member(program, Role.COORDINATOR).user
    review = held_review(built.release, manager)

    with pytest.raises(Refused, match="Only the program manager can override"):
        reviews.review_decide(
            actor=executive, review=review, decision="go", override=True, override_reason="Go"
        )
    with pytest.raises(Refused, match="program manager or an executive"):
        reviews.review_decide(actor=coordinator, review=review, decision="no_go")
    with pytest.raises(ValidationError) as error:
        reviews.review_decide(actor=manager, review=review, decision="go", override=True)
    assert "override_reason" in error.value.message_dict
    assert GoNoGoReview.objects.get(pk=review.pk).decision == ""

    decided = reviews.review_decide(
        actor=manager, review=review, decision="go", override=True,
        override_reason="The defect has a manual workaround for two weeks.",
    )  # fmt: skip
    assert (decided.override, decided.decided_by) == (True, manager)
    assert decided.readiness["ready"] is False


def test_no_go_after_go_puts_the_release_back_to_planned(program, manager):
    built = ready_release(program)
    first = held_review(built.release, manager)
    reviews.review_decide(actor=manager, review=first, decision="go")
    second = held_review(built.release, manager)

    reviews.review_decide(actor=manager, review=second, decision="no_go", conditions="Wait.")

    built.release.refresh_from_db()
    assert built.release.status == ReleaseStatus.PLANNED


# --- rollback plan and log ------------------------------------------------------------------


def test_approval_needs_the_manager_an_owner_and_a_step(release, manager, program):
    coordinator = member(program, Role.COORDINATOR).user
    rollback.rollback_plan_save(actor=manager, release=release)

    with pytest.raises(Refused, match="an owner and at least one step"):
        rollback.rollback_plan_approve(actor=manager, release=release)
    rollback.rollback_plan_save(actor=manager, release=release, owner=manager)
    rollback.rollback_step_add(actor=manager, release=release, action="Restore.")
    with pytest.raises(Refused, match="Only the program manager"):
        rollback.rollback_plan_approve(actor=coordinator, release=release)
    plan = rollback.rollback_plan_approve(actor=manager, release=release)
    assert plan.status == "approved"


def test_any_change_returns_an_approved_plan_to_draft(release, manager):
    rollback.rollback_plan_save(actor=manager, release=release, owner=manager)
    first = rollback.rollback_step_add(actor=manager, release=release, action="One.")
    rollback.rollback_step_add(actor=manager, release=release, action="Two.")
    rollback.rollback_plan_approve(actor=manager, release=release)

    rollback.rollback_step_move(actor=manager, step=first, direction="down")

    plan = RollbackPlan.objects.get(release=release)
    assert plan.status == "draft"
    assert [s.action for s in plan.steps.order_by("position")] == ["Two.", "One."]


def test_log_transitions(release, manager):
    now = timezone.now()
    rollback.log_entry_add(
        actor=manager, release=release, kind="deployment", occurred_at=now,
        environment="Production", succeeded=True, summary="Too early",
    )  # fmt: skip
    release.refresh_from_db()
    assert release.status == ReleaseStatus.PLANNED  # no go decision: recorded, nothing else

    factories.set_state(release, status=ReleaseStatus.GO)
    rollback.log_entry_add(
        actor=manager, release=release, kind="deployment", occurred_at=now,
        environment="Pre-production", succeeded=True, summary="Dress rehearsal",
    )  # fmt: skip
    release.refresh_from_db()
    assert release.status == ReleaseStatus.GO
    rollback.log_entry_add(
        actor=manager, release=release, kind="deployment", occurred_at=now,
        environment="PRD", succeeded=True, summary="Go-live",
    )  # fmt: skip
    release.refresh_from_db()
    assert (release.status, release.released_at) == (ReleaseStatus.RELEASED, now)
    rollback.log_entry_add(
        actor=manager, release=release, kind="rollback", occurred_at=now,
        environment="Production", succeeded=True, summary="Rolled back",
    )  # fmt: skip
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ROLLED_BACK


def test_log_refuses_the_future_and_missing_outcomes(release, manager):
    with pytest.raises(ValidationError) as error:
        rollback.log_entry_add(
            actor=manager, release=release, kind="rollback",
            occurred_at=timezone.now() + dt.timedelta(days=1), summary="x",
        )  # fmt: skip

    assert set(error.value.message_dict) == {"occurred_at", "succeeded", "environment"}
    assert not ReleaseLogEntry.objects.exists()
