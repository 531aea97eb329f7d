"""The defect services: raise, edit, delete and every step of the workflow, allowed and refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.audit import history_for_object
from core.errors import Refused
from core.permissions import Role
from core.versioning import StaleVersionError
from programs.tests.factories import ProgramFactory, member
from releases.models import Defect, DefectTransition
from releases.services import defects as services
from releases.tests import factories

pytestmark = pytest.mark.django_db

S = services.S
OPEN_TARGETS = ("new", "triaged", "in_progress", "fixed", "retest", "reopened")


def raise_defect(program, actor, **fields):
    fields.setdefault("title", "Payment run skips vendor 4711")
    return services.defect_create(actor=actor, program=program, **fields)


def walk(defect, actor, *steps):
    """Take each (to, inputs) step in turn."""
    for to, inputs in steps:
        defect = services.defect_transition(actor=actor, defect=defect, to=to, **inputs)
    return defect


TRIAGE = ("triaged", {})
START = ("in_progress", {})
FIX = ("fixed", {"resolution": "Tolerance key corrected.", "fixed_in_build": "1.0-rc2"})
RETEST = ("retest", {})
TO = {
    "new": [],
    "triaged": [TRIAGE],
    "in_progress": [TRIAGE, START],
    "fixed": [TRIAGE, START, FIX],
    "retest": [TRIAGE, START, FIX, RETEST],
    "reopened": [TRIAGE, START, FIX, RETEST, ("reopened", {"comment": "Still fails."})],
    "closed": [TRIAGE, START, FIX, RETEST, ("closed", {"comment": "Checked by the key user."})],
    "rejected": [("rejected", {"rejection_reason": "cannot_reproduce"})],
    "deferred": [("deferred", {"comment": "Waits for wave 2."})],
}


@pytest.fixture
def owned(program, manager):
    """A new defect with an owner (so it can be triaged)."""
    return raise_defect(program, manager, owner=manager)


def defect_in(program, manager, status):
    return walk(raise_defect(program, manager, owner=manager), manager, *TO[status])


# --- create, update, delete --------------------------------------------------------------------


def test_create_opens_the_trail_with_its_reporter(program, manager):
    defect = raise_defect(program, manager, comment="Seen in UAT")

    trail = list(defect.transitions.values_list("from_status", "to_status", "by", "comment"))
    assert (defect.key, defect.status) == ("DEF-1", "new")
    assert trail == [("", "new", manager.pk, "Seen in UAT")]
    assert services.defect_reporter_id(defect) == manager.pk


def test_create_refuses_links_of_another_program_and_an_outside_owner(program, manager):
    other = ProgramFactory()
    outsider = member(other).user

    with pytest.raises(ValidationError) as error:
        raise_defect(program, manager, requirement=factories.make_requirement(other))
    assert "requirement" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        raise_defect(program, manager, owner=outsider)
    assert "owner" in error.value.message_dict
    assert Defect.objects.filter(program=program).count() == 0


def test_update_changes_the_fields_with_the_version(program, manager, owned):
    requirement = factories.make_requirement(program)

    updated = services.defect_update(
        actor=manager, defect=owned, expected_version=1, title="New title",
        requirement=requirement, severity=1,
    )  # fmt: skip

    assert (updated.title, updated.requirement, updated.severity, updated.version) == (
        "New title", requirement, 1, 2,
    )  # fmt: skip
    entry = history_for_object(updated).order_by("-id").first()
    assert set(entry.changes) == {"title", "requirement", "severity"}


def test_update_refuses_a_stale_version_and_the_status(program, manager, owned):
    services.defect_update(actor=manager, defect=owned, expected_version=1, title="A")

    with pytest.raises(StaleVersionError):
        services.defect_update(actor=manager, defect=owned, expected_version=1, title="B")
    with pytest.raises(ValidationError) as error:
        services.defect_update(actor=manager, defect=owned, expected_version=2, status="closed")
    assert "status" in error.value.message_dict
    owned.refresh_from_db()
    assert (owned.title, owned.status) == ("A", "new")


def test_update_refuses_a_run_of_another_case(program, manager, owned):
    cycle = factories.make_cycle(program)
    case, other_case = factories.make_case(program), factories.make_case(program)
    run = factories.record_run(factories.plan_case(cycle, other_case), "fail")

    with pytest.raises(ValidationError) as error:
        services.defect_update(
            actor=manager, defect=owned, expected_version=1, test_case=case, test_run=run
        )
    assert error.value.message_dict == {"test_run": ["That run is of another test case."]}


def test_reporter_deletes_a_new_defect(program):
    reporter = member(program, Role.CONTRIBUTOR).user
    defect = raise_defect(program, reporter)

    services.defect_delete(actor=reporter, defect=defect, expected_version=1)

    assert not Defect.objects.filter(pk=defect.pk).exists()
    assert not DefectTransition.objects.filter(defect_id=defect.pk).exists()


def test_manager_deletes_someone_elses_new_defect(program, manager):
    defect = raise_defect(program, member(program, Role.CONTRIBUTOR).user)

    services.defect_delete(actor=manager, defect=defect, expected_version=None)

    assert not Defect.objects.filter(pk=defect.pk).exists()


def test_delete_is_refused_to_others_and_after_new(program, manager):
    reporter = member(program, Role.CONTRIBUTOR).user
    colleague = member(program, Role.COORDINATOR).user
    defect = raise_defect(program, reporter, owner=reporter)

    with pytest.raises(Refused, match="Only the person who raised DEF-1 or a program manager"):
        services.defect_delete(actor=colleague, defect=defect, expected_version=None)
    defect = walk(defect, manager, TRIAGE)
    with pytest.raises(Refused, match="DEF-1 is triaged; only a new defect raised by mistake"):
        services.defect_delete(actor=manager, defect=defect, expected_version=None)
    assert Defect.objects.filter(pk=defect.pk).exists()


# --- the workflow: every allowed step ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "to", "inputs"),
    [
        ("new", "triaged", {}),
        ("new", "rejected", {"rejection_reason": "cannot_reproduce"}),
        ("new", "deferred", {"comment": "Waits for wave 2."}),
        ("triaged", "in_progress", {}),
        ("in_progress", "fixed", {"resolution": "Mapping corrected."}),
        ("fixed", "retest", {"fixed_in_build": "1.0-rc3"}),
        ("retest", "closed", {"comment": "Verified by the key user."}),
        ("retest", "reopened", {"comment": "Still fails for company 1200."}),
        ("reopened", "in_progress", {}),
        ("closed", "reopened", {"comment": "Came back in production."}),
        ("rejected", "reopened", {"comment": "It is a defect after all."}),
        ("deferred", "triaged", {"comment": "Wave 2 has started."}),
        *[(s, "rejected", {"rejection_reason": "not_a_defect", "comment": "As designed."})
          for s in OPEN_TARGETS],
        *[(s, "deferred", {"comment": "Later."}) for s in OPEN_TARGETS],
    ],
)  # fmt: skip
def test_each_allowed_step_moves_and_records_the_trail(program, manager, start, to, inputs):
    defect = defect_in(program, manager, start)
    trail_before = defect.transitions.count()

    moved = services.defect_transition(actor=manager, defect=defect, to=to, **inputs)

    assert moved.status == to
    last = moved.transitions.order_by("-at", "-id").first()
    assert (last.from_status, last.to_status, last.by) == (start, to, manager)
    assert last.comment == inputs.get("comment", "")
    assert moved.transitions.count() == trail_before + 1
    entry = history_for_object(moved).order_by("-id").first()
    assert entry.changes["status"] == [start, to]


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("new", "in_progress"),
        ("new", "closed"),
        ("new", "fixed"),
        ("triaged", "fixed"),
        ("triaged", "closed"),
        ("in_progress", "retest"),
        ("in_progress", "closed"),
        ("fixed", "closed"),
        ("fixed", "in_progress"),
        ("retest", "in_progress"),
        ("reopened", "fixed"),
        ("closed", "in_progress"),
        ("closed", "rejected"),
        ("rejected", "triaged"),
        ("deferred", "in_progress"),
        ("new", "new"),
    ],
)
def test_illegal_moves_are_refused_naming_the_next_steps(program, manager, start, to):
    defect = defect_in(program, manager, start)
    version = Defect.objects.get(pk=defect.pk).version

    with pytest.raises(Refused) as refused:
        services.defect_transition(actor=manager, defect=defect, to=to, comment="x")

    allowed = services.next_steps_text(start)
    label = services.S(start).label.lower()
    assert refused.value.reason == (
        f"{defect.key} is {label}: it cannot move to {services.S(to).label.lower()}. "
        f"Next steps from {label}: {allowed}."
    )
    assert Defect.objects.get(pk=defect.pk).version == version


def test_the_refusal_lists_the_allowed_next_steps(program, manager, owned):
    with pytest.raises(Refused, match=r"Next steps from new: triaged, rejected, deferred\.$"):
        services.defect_transition(actor=manager, defect=owned, to="closed")


def test_an_unknown_status_is_a_field_error(program, manager, owned):
    with pytest.raises(ValidationError) as error:
        services.defect_transition(actor=manager, defect=owned, to="done")
    assert "to" in error.value.message_dict


# --- what each step needs ------------------------------------------------------------------------


def test_triage_needs_an_owner(program, manager):
    defect = raise_defect(program, manager)

    with pytest.raises(ValidationError) as error:
        services.defect_transition(actor=manager, defect=defect, to="triaged")
    assert error.value.message_dict == {"owner": ["Give DEF-1 an owner to triage it."]}

    lead = member(program, Role.CONTRIBUTOR).user
    moved = services.defect_transition(
        actor=manager, defect=defect, to="triaged", owner=lead, severity=1, priority="urgent"
    )
    assert (moved.owner, moved.severity, moved.priority) == (lead, 1, "urgent")


def test_triage_refuses_an_owner_from_outside(program, manager):
    defect = raise_defect(program, manager)
    outsider = member(ProgramFactory()).user

    with pytest.raises(ValidationError) as error:
        services.defect_transition(actor=manager, defect=defect, to="triaged", owner=outsider)
    assert "owner" in error.value.message_dict
    assert Defect.objects.get(pk=defect.pk).status == "new"


@pytest.mark.parametrize("resolution", ["", "   "])
def test_fixed_needs_a_resolution_and_sets_resolved_at(program, manager, resolution):
    defect = defect_in(program, manager, "in_progress")

    with pytest.raises(ValidationError) as error:
        services.defect_transition(actor=manager, defect=defect, to="fixed", resolution=resolution)
    assert error.value.message_dict == {"resolution": ["Say what was fixed and how."]}
    assert Defect.objects.get(pk=defect.pk).resolved_at is None

    moved = services.defect_transition(
        actor=manager, defect=defect, to="fixed", resolution="Config changed."
    )
    assert moved.resolution == "Config changed."
    assert moved.resolved_at is not None


def test_retest_needs_the_build_with_the_fix(program, manager):
    defect = walk(
        raise_defect(program, manager, owner=manager), manager, TRIAGE, START,
        ("fixed", {"resolution": "Done."}),
    )  # fmt: skip

    with pytest.raises(ValidationError) as error:
        services.defect_transition(actor=manager, defect=defect, to="retest")
    assert "fixed_in_build" in error.value.message_dict

    moved = services.defect_transition(
        actor=manager, defect=defect, to="retest", fixed_in_build="TR-DEVK904512"
    )
    assert (moved.status, moved.fixed_in_build) == ("retest", "TR-DEVK904512")


def test_closing_without_a_test_case_needs_a_verification_comment(program, manager):
    defect = defect_in(program, manager, "retest")

    with pytest.raises(ValidationError) as error:
        services.defect_transition(actor=manager, defect=defect, to="closed")
    assert error.value.message_dict == {
        "comment": ["DEF-1 has no linked test case: say how the fix was verified."]
    }
    moved = services.defect_transition(
        actor=manager, defect=defect, to="closed", comment="Checked in QA with the key user."
    )
    assert (moved.status, moved.closed_at is not None) == ("closed", True)


def test_closing_a_defect_with_a_test_case_needs_a_passing_run_after_the_fix(program, manager):
    cycle = factories.make_cycle(program)
    case = factories.make_case(program)
    cycle_case = factories.plan_case(cycle, case)
    before_fix = timezone.now() - dt.timedelta(days=2)
    factories.record_run(cycle_case, "pass", at=before_fix)  # passed before: does not count
    defect = walk(raise_defect(program, manager, owner=manager, test_case=case), manager,
                  *TO["retest"])  # fmt: skip

    with pytest.raises(Refused, match=r"linked to TC-1: record a passing run of TC-1 after"):
        services.defect_transition(actor=manager, defect=defect, to="closed", comment="ok")
    factories.record_run(cycle_case, "fail")
    with pytest.raises(Refused):
        services.defect_transition(actor=manager, defect=defect, to="closed")
    assert Defect.objects.get(pk=defect.pk).status == "retest"

    factories.record_run(cycle_case, "pass")
    moved = services.defect_transition(actor=manager, defect=defect, to="closed")

    assert moved.status == "closed"


def test_reopening_after_a_failed_retest_needs_a_comment(program, manager):
    defect = defect_in(program, manager, "retest")

    with pytest.raises(ValidationError) as error:
        services.defect_transition(actor=manager, defect=defect, to="reopened")
    assert "comment" in error.value.message_dict
    moved = services.defect_transition(
        actor=manager, defect=defect, to="reopened", comment="Fails in company 1200."
    )
    assert moved.status == "reopened"


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR])
def test_only_a_manager_or_coordinator_reopens_a_closed_defect(program, manager, role):
    defect = defect_in(program, manager, "closed")
    contributor = member(program, role).user
    coordinator = member(program, Role.COORDINATOR).user

    with pytest.raises(PermissionDenied, match="Only a program manager or coordinator"):
        services.defect_transition(actor=contributor, defect=defect, to="reopened", comment="x")
    with pytest.raises(ValidationError):
        services.defect_transition(actor=coordinator, defect=defect, to="reopened")
    moved = services.defect_transition(
        actor=coordinator, defect=defect, to="reopened", comment="Back in production."
    )
    assert (moved.status, moved.closed_at) == ("reopened", None)
    assert [s.target for s in services.allowed_steps("closed", role)] == []
    assert [s.target for s in services.allowed_steps("closed", Role.COORDINATOR)] == ["reopened"]


def test_reject_needs_a_reason(program, manager, owned):
    with pytest.raises(ValidationError) as error:
        services.defect_transition(actor=manager, defect=owned, to="rejected")
    assert "rejection_reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.defect_transition(
            actor=manager, defect=owned, to="rejected", rejection_reason="not_a_defect"
        )
    assert error.value.message_dict == {"comment": ["Say why it works as designed."]}
    moved = services.defect_transition(
        actor=manager, defect=owned, to="rejected", rejection_reason="cannot_reproduce"
    )
    assert (moved.status, moved.rejection_reason, moved.closed_at is not None) == (
        "rejected", "cannot_reproduce", True,
    )  # fmt: skip


def test_reject_as_duplicate_links_the_original(program, manager, owned):
    original = raise_defect(program, manager)

    moved = services.defect_transition(
        actor=manager, defect=owned, to="rejected", rejection_reason="duplicate",
        duplicate_of=original.key.lower(),
    )  # fmt: skip

    assert moved.duplicate_of == original
    assert list(original.duplicates.all()) == [moved]
    with pytest.raises(Refused, match="duplicates of DEF-2"):
        services.defect_delete(actor=manager, defect=original, expected_version=None)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Name the defect it duplicates, e.g. DEF-4."),
        ("DEF-99", "There is no defect DEF-99 in ERP."),
        ("DEF-1", "A defect cannot duplicate itself."),
    ],
)
def test_duplicate_of_is_validated(program, manager, owned, value, message):
    with pytest.raises(ValidationError) as error:
        services.defect_transition(
            actor=manager, defect=owned, to="rejected", rejection_reason="duplicate",
            duplicate_of=value,
        )  # fmt: skip
    assert error.value.message_dict == {"duplicate_of": [message]}
    assert Defect.objects.get(pk=owned.pk).status == "new"


def test_duplicate_of_another_programs_defect_is_refused(program, manager, owned):
    other = ProgramFactory()
    foreign = factories.make_defect(other)

    with pytest.raises(ValidationError) as error:
        services.defect_transition(
            actor=manager, defect=owned, to="rejected", rejection_reason="duplicate",
            duplicate_of=foreign,
        )  # fmt: skip
    assert error.value.message_dict == {"duplicate_of": ["That defect belongs to another program."]}


def test_duplicate_of_a_duplicate_is_refused(program, manager, owned):
    first = raise_defect(program, manager)
    second = raise_defect(program, manager)
    services.defect_transition(
        actor=manager, defect=second, to="rejected", rejection_reason="duplicate",
        duplicate_of=first,
    )  # fmt: skip

    with pytest.raises(ValidationError, match="DEF-3 is itself a duplicate"):
        services.defect_transition(
            actor=manager, defect=owned, to="rejected", rejection_reason="duplicate",
            duplicate_of="DEF-3",
        )  # fmt: skip


def test_defer_needs_a_later_planned_release_or_a_reason(program, manager):
    wave1 = factories.make_release(program, planned_date=dt.date(2027, 2, 1))
    earlier = factories.make_release(program, planned_date=dt.date(2026, 12, 1))
    wave2 = factories.make_release(program, planned_date=dt.date(2027, 6, 7))
    defect = raise_defect(program, manager, target_release=wave1)

    with pytest.raises(ValidationError) as error:
        services.defect_transition(actor=manager, defect=defect, to="deferred")
    assert "target_release" in error.value.message_dict
    for release in (earlier, wave1):
        with pytest.raises(ValidationError) as error:
            services.defect_transition(
                actor=manager, defect=defect, to="deferred", target_release=release
            )
        assert "target_release" in error.value.message_dict
    factories.set_state(wave2, status="released")
    with pytest.raises(ValidationError, match="defer to a planned release"):
        services.defect_transition(
            actor=manager, defect=defect, to="deferred", target_release=wave2
        )
    factories.set_state(wave2, status="planned")

    moved = services.defect_transition(
        actor=manager, defect=defect, to="deferred", target_release=wave2
    )
    assert (moved.status, moved.target_release) == ("deferred", wave2)


def test_picking_up_a_deferred_defect_clears_closed_at(program, manager):
    defect = defect_in(program, manager, "deferred")
    assert defect.closed_at is not None

    moved = services.defect_transition(
        actor=manager, defect=defect, to="triaged", comment="Wave 2 started."
    )

    assert (moved.status, moved.closed_at) == ("triaged", None)


def test_a_stale_version_refuses_the_step(program, manager, owned):
    services.defect_update(actor=manager, defect=owned, expected_version=1, title="Changed")

    with pytest.raises(StaleVersionError):
        services.defect_transition(actor=manager, defect=owned, to="triaged", expected_version=1)
    assert Defect.objects.get(pk=owned.pk).status == "new"
