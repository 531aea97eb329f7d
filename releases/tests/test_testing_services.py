"""Testing services: cycles and their status, planning and assignment, cases and steps."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.errors import Refused
from core.models import AuditEntry
from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from releases.models import CycleCase, RunResult
from releases.models import TestCase as Case
from releases.models import TestCycle as Cycle
from releases.models import TestStep as Step
from releases.services import testing as services
from releases.services import testing_cases as case_services
from releases.tests import factories
from releases.tests.testing_factories import contributor, planned

pytestmark = pytest.mark.django_db


# --- cycles ---------------------------------------------------------------------------------


def test_cycle_create_is_planned_keyed_and_audited(program, manager):
    release = factories.make_release(program)
    cycle = services.cycle_create(
        actor=manager, program=program, name="  SIT 1 ", kind="integration", release=release
    )
    assert (cycle.key, cycle.name, cycle.status) == ("CYC-1", "SIT 1", "planned")
    assert AuditEntry.objects.filter(object_id=str(cycle.pk), action="create").exists()


def test_cycle_create_refuses_another_programs_release(program, manager):
    other = factories.make_release(ProgramFactory())
    with pytest.raises(ValidationError) as exc:
        services.cycle_create(actor=manager, program=program, name="UAT", release=other)
    assert "release" in exc.value.message_dict
    assert not Cycle.objects.filter(program=program).exists()


def test_cycle_create_refuses_end_before_start(program, manager):
    import datetime as dt

    with pytest.raises(ValidationError):
        services.cycle_create(
            actor=manager,
            program=program,
            name="UAT",
            start_date=dt.date(2026, 5, 2),
            end_date=dt.date(2026, 5, 1),
        )


def test_cycle_delete_refused_once_a_case_was_run(program, manager):
    cc = planned(program)
    factories.record_run(cc, "pass")
    with pytest.raises(Refused, match="1 recorded run"):
        services.cycle_delete(actor=manager, cycle=cc.cycle, expected_version=None)
    assert Cycle.objects.filter(pk=cc.cycle_id).exists()


def test_cycle_delete_removes_its_plan_but_not_the_cases(program, manager):
    cc = planned(program)
    services.cycle_delete(actor=manager, cycle=cc.cycle, expected_version=cc.cycle.version)
    assert not Cycle.objects.filter(pk=cc.cycle_id).exists()
    assert not CycleCase.objects.filter(pk=cc.pk).exists()
    assert Case.objects.filter(pk=cc.case_id).exists()


def test_cycle_status_planned_active_closed_and_reopen(program, manager):
    cycle = factories.make_cycle(program)
    cycle = services.cycle_start(actor=manager, cycle=cycle)
    assert cycle.status == "active"
    with pytest.raises(Refused):
        services.cycle_start(actor=manager, cycle=cycle)
    cycle = services.cycle_close(actor=manager, cycle=cycle)
    assert cycle.status == "closed"
    cycle = services.cycle_reopen(actor=manager, cycle=cycle)
    assert cycle.status == "active"


def test_cycle_close_with_cases_not_run_needs_confirmation(program, manager):
    cc = planned(program)
    planned(program, cycle=cc.cycle)
    factories.record_run(cc, "pass")
    cycle = services.cycle_start(actor=manager, cycle=cc.cycle)
    with pytest.raises(Refused, match="1 case of CYC-1 has not been run"):
        services.cycle_close(actor=manager, cycle=cycle)
    assert Cycle.objects.get(pk=cycle.pk).status == "active"
    assert services.cycle_close(actor=manager, cycle=cycle, confirm=True).status == "closed"


def test_closed_cycle_refuses_edits_plans_and_assignment(program, manager):
    cc = planned(program)
    factories.set_state(cc.cycle, status="closed")
    with pytest.raises(Refused):
        services.cycle_update(actor=manager, cycle=cc.cycle, expected_version=None, name="X")
    with pytest.raises(Refused):
        services.cycle_plan(actor=manager, cycle=cc.cycle, cases=[factories.make_case(program)])
    with pytest.raises(Refused):
        services.cycle_cases_assign(actor=manager, cycle=cc.cycle, cycle_cases=[cc], tester=manager)
    assert CycleCase.objects.filter(cycle=cc.cycle).count() == 1


# --- planning -------------------------------------------------------------------------------


def test_plan_picked_cases_skips_those_already_planned(program, manager):
    cycle = factories.make_cycle(program)
    a, b = factories.make_case(program), factories.make_case(program)
    services.cycle_plan(actor=manager, cycle=cycle, cases=[a])
    result = services.cycle_plan(actor=manager, cycle=cycle, cases=[a, b], tester=manager)
    assert [cc.case for cc in result.added] == [b]
    assert result.already == [a.key]
    assert result.added[0].tester == manager
    assert CycleCase.objects.filter(cycle=cycle).count() == 2


def test_plan_a_workstream_takes_its_ready_cases_only(program, manager):
    fi = WorkstreamFactory(program=program, name="Finance")
    dm = WorkstreamFactory(program=program, name="Data")
    ready = factories.make_case(program, workstream=fi)
    draft = factories.make_case(program, workstream=fi, status="draft")
    factories.make_case(program, workstream=dm)
    cycle = factories.make_cycle(program)
    result = services.cycle_plan(actor=manager, cycle=cycle, workstream=fi)
    assert [cc.case for cc in result.added] == [ready]
    assert draft.key not in result.not_ready  # bulk picks never see drafts
    assert CycleCase.objects.filter(cycle=cycle).count() == 1


def test_plan_the_release_scope_takes_cases_of_its_requirements(program, manager):
    release = factories.make_release(program)
    in_scope, out = factories.make_requirement(program), factories.make_requirement(program)
    release.requirements.add(in_scope)
    wanted = factories.make_case(program, requirements=[in_scope])
    factories.make_case(program, requirements=[out])
    cycle = factories.make_cycle(program, release=release)
    result = services.cycle_plan(actor=manager, cycle=cycle, release_scope=True)
    assert [cc.case for cc in result.added] == [wanted]


def test_plan_the_release_scope_without_a_release_is_refused(program, manager):
    cycle = factories.make_cycle(program)
    with pytest.raises(ValidationError) as exc:
        services.cycle_plan(actor=manager, cycle=cycle, release_scope=True)
    assert "release_scope" in exc.value.message_dict


def test_plan_refuses_retired_and_other_programs_cases(program, manager):
    cycle = factories.make_cycle(program)
    retired = factories.make_case(program, status="retired")
    with pytest.raises(ValidationError, match="retired"):
        services.cycle_plan(actor=manager, cycle=cycle, cases=[retired])
    with pytest.raises(ValidationError):
        services.cycle_plan(
            actor=manager, cycle=cycle, cases=[factories.make_case(ProgramFactory())]
        )
    assert not CycleCase.objects.filter(cycle=cycle).exists()


def test_remove_a_planned_case_only_while_never_run(program, manager):
    cc = planned(program)
    other = planned(program, cycle=cc.cycle)
    factories.record_run(cc, "fail")
    with pytest.raises(Refused, match="was run 1 time"):
        services.cycle_case_remove(actor=manager, cycle_case=cc)
    services.cycle_case_remove(actor=manager, cycle_case=other)
    assert list(CycleCase.objects.filter(cycle=cc.cycle)) == [cc]


# --- assignment -----------------------------------------------------------------------------


def test_assign_in_bulk_and_unassign(program, manager):
    tester = contributor(program)
    a = planned(program)
    b = planned(program, cycle=a.cycle)
    rows = services.cycle_cases_assign(
        actor=manager, cycle=a.cycle, cycle_cases=[a, b], tester=tester
    )
    assert {r.tester for r in rows} == {tester}
    services.cycle_cases_assign(actor=manager, cycle=a.cycle, cycle_cases=[a], tester=None)
    assert CycleCase.objects.get(pk=a.pk).tester is None


@pytest.mark.parametrize("who", ["non-member", "viewer", "finance"])
def test_assign_refuses_who_cannot_record_results(program, manager, who):
    from core.tests.factories import UserFactory

    user = UserFactory() if who == "non-member" else member(program, who).user
    cc = planned(program)
    with pytest.raises(ValidationError) as exc:
        services.cycle_cases_assign(actor=manager, cycle=cc.cycle, cycle_cases=[cc], tester=user)
    assert "tester" in exc.value.message_dict
    assert CycleCase.objects.get(pk=cc.pk).tester is None


def test_assign_refuses_cases_of_another_cycle(program, manager):
    a, b = planned(program), planned(program)
    with pytest.raises(ValidationError):
        services.cycle_cases_assign(actor=manager, cycle=a.cycle, cycle_cases=[b], tester=manager)


# --- cases and steps ------------------------------------------------------------------------


def _steps(case):
    return list(
        Step.objects.filter(case=case)
        .order_by("position")
        .values_list("position", "action", "expected")
    )


def test_case_create_with_steps_and_requirements(program, manager):
    req = factories.make_requirement(program)
    case = case_services.case_create(
        actor=manager,
        program=program,
        title=" Post a journal ",
        requirements=[req],
        steps=[
            {"action": "Open FB50", "expected": "Screen shows"},
            {"action": "", "expected": ""},
            {"action": "Post", "expected": ""},
        ],
    )
    assert case.title == "Post a journal"
    assert _steps(case) == [(1, "Open FB50", "Screen shows"), (2, "Post", "")]
    assert list(case.requirements.all()) == [req]
    entry = AuditEntry.objects.filter(object_id=str(case.pk), changes__has_key="requirements")
    assert entry.get().changes["requirements"] == [[], [req.key]]


def test_case_step_without_action_is_refused(program, manager):
    with pytest.raises(ValidationError) as exc:
        case_services.case_create(
            actor=manager, program=program, title="X", steps=[{"action": "", "expected": "Y"}]
        )
    assert exc.value.message_dict["steps"] == ["Step 1: say what the tester does (the action)."]
    assert not Case.objects.filter(program=program).exists()


def test_case_update_reorders_edits_adds_and_deletes_steps(program, manager):
    case = case_services.case_create(
        actor=manager,
        program=program,
        title="X",
        steps=[{"action": "A"}, {"action": "B"}, {"action": "C"}],
    )
    case_services.case_update(
        actor=manager,
        case=case,
        expected_version=case.version,
        steps=[{"action": "C"}, {"action": "A", "expected": "ok"}],
    )
    assert _steps(case) == [(1, "C", ""), (2, "A", "ok")]
    case_services.case_update(
        actor=manager,
        case=case,
        expected_version=None,
        steps=[{"action": "C"}, {"action": "A", "expected": "ok"}, {"action": "D"}],
    )
    assert _steps(case) == [(1, "C", ""), (2, "A", "ok"), (3, "D", "")]


def test_case_requirements_must_be_the_programs(program, manager):
    case = factories.make_case(program)
    other = factories.make_requirement(ProgramFactory())
    with pytest.raises(ValidationError) as exc:
        case_services.case_update(
            actor=manager, case=case, expected_version=None, requirements=[other]
        )
    assert "requirements" in exc.value.message_dict
    assert not case.requirements.exists()


def test_retired_case_is_refused_changes_until_restored(program, manager):
    case = case_services.case_retire(actor=manager, case=factories.make_case(program))
    with pytest.raises(Refused, match="retired"):
        case_services.case_update(actor=manager, case=case, expected_version=None, title="Y")
    case = case_services.case_restore(actor=manager, case=case)
    assert case.status == "draft"
    assert (
        case_services.case_update(actor=manager, case=case, expected_version=None, title="Y").title
        == "Y"
    )


def test_case_status_cannot_be_set_to_retired_by_update(program, manager):
    case = factories.make_case(program)
    with pytest.raises(ValidationError):
        case_services.case_update(actor=manager, case=case, expected_version=None, status="retired")


def test_case_delete_refused_once_planned(program, manager):
    cc = planned(program)
    with pytest.raises(Refused, match="planned in CYC-1"):
        case_services.case_delete(actor=manager, case=cc.case, expected_version=None)
    case = case_services.case_create(
        actor=manager, program=program, title="Z", steps=[{"action": "A"}]
    )
    case_services.case_delete(actor=manager, case=case, expected_version=case.version)
    assert not Case.objects.filter(pk=case.pk).exists()


def test_roles_that_record_results_are_the_tester_roles():
    from releases.selectors.testing import TESTER_ROLES

    assert set(TESTER_ROLES) == {Role.MANAGER, Role.COORDINATOR, Role.CONTRIBUTOR}
    assert RunResult.NOT_RUN == "not_run"
