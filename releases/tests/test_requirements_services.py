"""Requirement services: create, the baseline rule, every status step and every refusal."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.audit import history_for_object
from core.errors import Refused
from core.versioning import StaleVersionError
from programs.tests.factories import ProgramFactory, manager_of
from releases.models import Requirement, RequirementRevision
from releases.services import requirements as services
from releases.tests import factories
from releases.tests.requirements_factories import (
    change_request,
    deliverable,
    passing_case,
    requirement_in,
    verified_requirement,
)
from schedules.models import ItemKind

pytestmark = pytest.mark.django_db


def _step(requirement, name, reason="", actor=None):
    return services.requirement_transition(
        actor=actor or manager_of(requirement.program),
        requirement=requirement,
        transition=name,
        expected_version=None,
        reason=reason,
    )


def _reload(requirement):
    return Requirement.objects.get(pk=requirement.pk)


# --- create ---------------------------------------------------------------------------------------


def test_create_proposes_a_keyed_audited_requirement_with_its_links(program, manager):
    item = deliverable(program)
    milestone = deliverable(program, kind=ItemKind.MILESTONE, name="Design signed off")
    cr = change_request(program, "draft")
    requirement = services.requirement_create(
        actor=manager,
        program=program,
        title="Three-way match",
        statement="The system shall block unmatched invoices.",
        priority="must",
        deliverables=[item, milestone],
        change_requests=[cr],
    )
    assert requirement.key == "REQ-1"
    assert requirement.status == "proposed"
    assert requirement.baseline_revision == 0
    assert set(requirement.deliverables.all()) == {item, milestone}
    assert list(requirement.change_requests.all()) == [cr]
    entries = list(history_for_object(requirement).order_by("id"))
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes["change_requests"] == [[], [cr.key]]


def test_create_refuses_another_programs_deliverable_and_change_request(program, manager):
    other = ProgramFactory()
    with pytest.raises(ValidationError) as error:
        services.requirement_create(
            actor=manager, program=program, title="X", statement="Y",
            deliverables=[deliverable(other)],
        )  # fmt: skip
    assert "another program" in str(error.value.message_dict["deliverables"])
    with pytest.raises(ValidationError) as error:
        services.requirement_create(
            actor=manager, program=program, title="X", statement="Y",
            change_requests=[change_request(other)],
        )  # fmt: skip
    assert "another program" in str(error.value.message_dict["change_requests"])
    assert not Requirement.objects.filter(program=program).exists()


def test_create_refuses_a_task_as_deliverable(program, manager):
    task = deliverable(program, kind=ItemKind.TASK, name="Configure ledgers")
    with pytest.raises(ValidationError) as error:
        services.requirement_create(
            actor=manager, program=program, title="X", statement="Y", deliverables=[task]
        )
    assert error.value.message_dict["deliverables"] == [
        f"{task.key} is a task; link deliverables or milestones of the plan."
    ]


def test_a_non_functional_requirement_needs_a_quality_attribute(program, manager):
    with pytest.raises(ValidationError) as error:
        services.requirement_create(
            actor=manager, program=program, title="Fast", statement="Quick.",
            type="non_functional",
        )  # fmt: skip
    assert "quality_attribute" in error.value.message_dict
    requirement = services.requirement_create(
        actor=manager, program=program, title="Fast", statement="Quick.",
        type="non_functional", quality_attribute="performance",
    )  # fmt: skip
    assert requirement.quality_attribute == "performance"


# --- approve and the baseline ---------------------------------------------------------------------


def test_approve_baselines_revision_1(program):
    requirement = requirement_in(program)
    approved = _step(requirement, "approve")
    assert approved.status == "approved"
    assert approved.baseline_revision == 1
    assert approved.approved_at is not None
    [revision] = RequirementRevision.objects.filter(requirement=approved)
    assert (revision.revision, revision.title, revision.statement) == (
        1, requirement.title, requirement.statement,
    )  # fmt: skip
    assert revision.acceptance_criteria == requirement.acceptance_criteria
    assert revision.change_request is None


def test_changing_a_baselined_statement_without_a_change_request_is_refused(program):
    requirement = requirement_in(program, "approved")
    with pytest.raises(Refused) as refused:
        services.requirement_update(
            actor=manager_of(program),
            requirement=requirement,
            expected_version=requirement.version,
            statement="Something else.",
        )
    assert refused.value.reason.startswith(f"{requirement.key} is baselined (approved on ")
    assert refused.value.reason.endswith("changing its statement needs an approved change request.")
    after = _reload(requirement)
    assert (after.statement, after.version, after.baseline_revision) == (
        requirement.statement, requirement.version, 1,
    )  # fmt: skip
    assert RequirementRevision.objects.filter(requirement=requirement).count() == 1


def test_the_refusal_names_every_wording_field_changed(program):
    requirement = requirement_in(program, "in_delivery")
    with pytest.raises(Refused) as refused:
        services.requirement_update(
            actor=manager_of(program), requirement=requirement, expected_version=None,
            title="New title", acceptance_criteria="Other.",
        )  # fmt: skip
    assert "changing its title and acceptance criteria needs" in refused.value.reason


@pytest.mark.parametrize("status", ["draft", "submitted", "assessed", "rejected", "closed"])
def test_a_change_request_not_approved_or_implemented_cannot_move_a_baseline(program, status):
    requirement = requirement_in(program, "approved")
    cr = change_request(program, status)
    with pytest.raises(ValidationError) as error:
        services.requirement_update(
            actor=manager_of(program), requirement=requirement, expected_version=None,
            statement="New.", change_request=cr,
        )  # fmt: skip
    assert "only an approved or implemented change request" in str(
        error.value.message_dict["change_request"]
    )
    assert _reload(requirement).statement == requirement.statement


def test_another_programs_change_request_cannot_move_a_baseline(program):
    requirement = requirement_in(program, "approved")
    cr = change_request(ProgramFactory(), "approved")
    with pytest.raises(ValidationError) as error:
        services.requirement_update(
            actor=manager_of(program), requirement=requirement, expected_version=None,
            statement="New.", change_request=cr,
        )  # fmt: skip
    assert error.value.message_dict["change_request"] == ["That belongs to another program."]


@pytest.mark.parametrize("status", ["approved", "implemented"])
def test_an_approved_change_request_writes_the_next_revision_and_keeps_the_old(program, status):
    requirement = requirement_in(program, "approved")
    cr = change_request(program, status)
    updated = services.requirement_update(
        actor=manager_of(program),
        requirement=requirement,
        expected_version=requirement.version,
        statement="The system shall do it faster.",
        change_request=cr,
        revision_note="Agreed at the steering committee.",
    )
    assert updated.baseline_revision == 2
    assert updated.statement == "The system shall do it faster."
    assert list(updated.change_requests.all()) == [cr]
    old, new = RequirementRevision.objects.filter(requirement=requirement).order_by("revision")
    assert (old.revision, old.statement) == (1, requirement.statement)
    assert (new.revision, new.statement, new.change_request, new.note) == (
        2, "The system shall do it faster.", cr, "Agreed at the steering committee.",
    )  # fmt: skip
    entry = history_for_object(updated).order_by("-id").first()
    assert entry.changes["revision"] == [1, 2]
    assert entry.changes["change_requests"] == [[], [cr.key]]


def test_priority_and_owner_of_a_baselined_requirement_change_freely_and_audited(program):
    requirement = requirement_in(program, "approved")
    updated = services.requirement_update(
        actor=manager_of(program), requirement=requirement, expected_version=None,
        priority="could",
    )  # fmt: skip
    assert (updated.priority, updated.baseline_revision) == ("could", 1)
    entry = history_for_object(updated).order_by("-id").first()
    assert entry.changes["priority"] == ["must", "could"]


def test_a_proposed_requirements_wording_changes_freely(program):
    requirement = requirement_in(program)
    updated = services.requirement_update(
        actor=manager_of(program), requirement=requirement, expected_version=None,
        statement="Reworded.",
    )  # fmt: skip
    assert (updated.statement, updated.baseline_revision) == ("Reworded.", 0)
    assert not RequirementRevision.objects.filter(requirement=requirement).exists()


def test_a_stale_version_is_refused(program):
    requirement = requirement_in(program)
    services.requirement_update(
        actor=manager_of(program), requirement=requirement, expected_version=1, title="A"
    )
    with pytest.raises(StaleVersionError):
        services.requirement_update(
            actor=manager_of(program), requirement=requirement, expected_version=1, title="B"
        )
    assert _reload(requirement).title == "A"


def test_links_are_replaced_checked_and_audited(program):
    requirement = requirement_in(program, "approved")
    item = deliverable(program)
    updated = services.requirement_update(
        actor=manager_of(program), requirement=requirement, expected_version=None,
        deliverables=[item],
    )  # fmt: skip
    assert list(updated.deliverables.all()) == [item]
    assert history_for_object(updated).order_by("-id").first().changes["deliverables"] == [
        [], [item.key],
    ]  # fmt: skip
    with pytest.raises(ValidationError):
        services.requirement_update(
            actor=manager_of(program), requirement=updated, expected_version=None,
            deliverables=[deliverable(ProgramFactory())],
        )  # fmt: skip
    assert list(_reload(requirement).deliverables.all()) == [item]


# --- the other steps ------------------------------------------------------------------------------


def test_start_delivery_from_approved_only(program):
    assert _step(requirement_in(program, "approved"), "start").status == "in_delivery"
    with pytest.raises(Refused) as refused:
        _step(requirement_in(program), "start")
    assert refused.value.reason.endswith(
        "is proposed; only an approved requirement can be moved into delivery."
    )


def test_verify_needs_a_linked_test_case(program):
    requirement = requirement_in(program, "in_delivery")
    with pytest.raises(Refused) as refused:
        _step(requirement, "verify")
    assert refused.value.reason == (
        f"{requirement.key} cannot be verified yet: no test case is linked to it."
    )
    assert _reload(requirement).status == "in_delivery"


def test_verify_names_cases_not_run_failed_and_open_blocking_defects(program):
    requirement = requirement_in(program, "in_delivery")
    not_run = factories.make_case(program, requirements=[requirement])
    failed = passing_case(program, requirement, result="fail")
    passed = passing_case(program, requirement)
    defect = factories.make_defect(program, requirement=requirement, severity=1)
    factories.make_defect(program, requirement=requirement, severity=3)  # minor: no block
    with pytest.raises(Refused) as refused:
        _step(requirement, "verify")
    reason = refused.value.reason
    assert f"{failed.key} last failed" in reason
    assert f"{not_run.key} not run yet" in reason
    assert f"open defect {defect.key} (severity 1, new)" in reason
    assert passed.key not in reason


def test_verify_uses_the_latest_run_across_cycles(program):
    import datetime as dt

    from django.utils import timezone

    requirement = requirement_in(program, "in_delivery")
    case = factories.make_case(program, requirements=[requirement])
    early, late = factories.make_cycle(program), factories.make_cycle(program)
    now = timezone.now()
    factories.record_run(factories.plan_case(late, case), "pass", at=now)
    factories.record_run(factories.plan_case(early, case), "fail", at=now - dt.timedelta(days=3))
    assert _step(requirement, "verify").status == "verified"

    other = requirement_in(program, "in_delivery")
    case = factories.make_case(program, requirements=[other])
    factories.record_run(factories.plan_case(early, case), "pass", at=now - dt.timedelta(days=3))
    factories.record_run(factories.plan_case(late, case), "blocked", at=now)
    with pytest.raises(Refused) as refused:
        _step(other, "verify")
    assert f"{case.key} last blocked" in refused.value.reason


def test_a_closed_defect_does_not_block_verification(program):
    requirement = requirement_in(program, "in_delivery")
    passing_case(program, requirement)
    defect = factories.make_defect(program, requirement=requirement, severity=1)
    factories.set_state(defect, status="closed")
    assert _step(requirement, "verify").status == "verified"


def test_accept_only_a_verified_requirement(program):
    with pytest.raises(Refused) as refused:
        _step(requirement_in(program, "in_delivery"), "accept")
    assert "only a verified requirement can be accepted" in refused.value.reason
    accepted = _step(verified_requirement(program), "accept")
    assert accepted.status == "accepted"
    assert accepted.accepted_at is not None


@pytest.mark.parametrize("name", ["reject", "defer"])
@pytest.mark.parametrize("status", ["proposed", "approved"])
def test_reject_and_defer_need_a_reason_kept_on_the_requirement(program, name, status):
    requirement = requirement_in(program, status)
    with pytest.raises(ValidationError) as error:
        _step(requirement, name, reason="  ")
    assert "reason" in error.value.message_dict
    assert _reload(requirement).status == status
    moved = _step(requirement, name, reason="Not this wave.")
    assert moved.status == {"reject": "rejected", "defer": "deferred"}[name]
    assert moved.status_reason == "Not this wave."


def test_reject_refused_once_in_delivery(program):
    with pytest.raises(Refused):
        _step(requirement_in(program, "in_delivery"), "reject", reason="No.")


def test_a_deferred_requirement_is_proposed_again_and_rebaselined_when_reworded(program):
    requirement = requirement_in(program, "approved")
    deferred = _step(requirement, "defer", reason="Later.")
    proposed = _step(deferred, "repropose")
    assert (proposed.status, proposed.status_reason) == ("proposed", "")
    reworded = services.requirement_update(
        actor=manager_of(program), requirement=proposed, expected_version=None,
        statement="Now for all plants.",
    )  # fmt: skip
    approved = _step(reworded, "approve")
    assert approved.baseline_revision == 2
    assert RequirementRevision.objects.filter(requirement=requirement).count() == 2


def test_re_approving_unchanged_wording_keeps_the_revision(program):
    requirement = _step(_step(requirement_in(program, "approved"), "defer", "Later."), "repropose")
    approved = _step(requirement, "approve")
    assert approved.baseline_revision == 1
    assert RequirementRevision.objects.filter(requirement=requirement).count() == 1


def test_repropose_only_a_deferred_requirement(program):
    with pytest.raises(Refused):
        _step(requirement_in(program, "rejected"), "repropose")


def test_every_step_is_in_the_one_status_graph():
    assert set(services.TRANSITIONS) == {
        "approve", "start", "verify", "accept", "reject", "defer", "repropose",
    }  # fmt: skip
    assert [t.name for t in services.transitions_from("proposed")] == [
        "approve", "reject", "defer",
    ]  # fmt: skip


# --- delete ---------------------------------------------------------------------------------------


def test_delete_a_proposed_requirement_with_nothing_linked(program):
    requirement = requirement_in(program)
    services.requirement_delete(
        actor=manager_of(program), requirement=requirement, expected_version=requirement.version
    )
    assert not Requirement.objects.filter(pk=requirement.pk).exists()


def test_delete_refused_once_approved(program):
    requirement = requirement_in(program, "approved")
    with pytest.raises(Refused) as refused:
        services.requirement_delete(
            actor=manager_of(program), requirement=requirement, expected_version=None
        )
    assert "only a proposed requirement can be deleted" in refused.value.reason
    assert Requirement.objects.filter(pk=requirement.pk).exists()


def test_delete_refused_naming_what_links_it(program):
    requirement = requirement_in(program)
    case = factories.make_case(program, requirements=[requirement])
    defect = factories.make_defect(program, requirement=requirement)
    with pytest.raises(Refused) as refused:
        services.requirement_delete(
            actor=manager_of(program), requirement=requirement, expected_version=None
        )
    assert refused.value.reason == (
        f"{requirement.key} cannot be deleted: test case {case.key}; defect {defect.key} refer "
        "to it. Reject or defer it instead."
    )
    assert Requirement.objects.filter(pk=requirement.pk).exists()
