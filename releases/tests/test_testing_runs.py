"""Recording runs: the rules, who may record, the latest result kept by executed_at, evidence
checks, and the defect raised in the same transaction."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import Refused
from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from releases.models import CycleCase, Defect, RunEvidence
from releases.models import TestRun as Run
from releases.services import testing_runs as services
from releases.tests import factories
from releases.tests.testing_factories import contributor, media, planned, png, text  # noqa: F401

pytestmark = pytest.mark.django_db


def _now():
    return timezone.now().replace(microsecond=0)


def test_pass_run_sets_the_latest_result_and_starts_a_planned_cycle(program, manager):
    cc = planned(program)
    run = services.run_record(actor=manager, cycle_case=cc, result="pass", build=" 1.0-rc1 ")
    cc.refresh_from_db()
    assert (run.result, run.build, run.executed_by) == ("pass", "1.0-rc1", manager)
    assert (cc.last_result, cc.last_run_at) == ("pass", run.executed_at)
    cc.cycle.refresh_from_db()
    assert cc.cycle.status == "active"
    assert run.raised_defect is None


@pytest.mark.parametrize("result", ["fail", "blocked"])
def test_fail_and_blocked_need_notes(program, manager, result):
    cc = planned(program)
    with pytest.raises(ValidationError) as exc:
        services.run_record(actor=manager, cycle_case=cc, result=result, notes="  ")
    assert "notes" in exc.value.message_dict
    assert not Run.objects.exists()
    cc.refresh_from_db()
    assert cc.last_result == "not_run"


def test_not_run_is_not_a_result_to_record(program, manager):
    with pytest.raises(ValidationError) as exc:
        services.run_record(actor=manager, cycle_case=planned(program), result="not_run")
    assert "result" in exc.value.message_dict


def test_a_run_in_the_future_is_refused(program, manager):
    with pytest.raises(ValidationError) as exc:
        services.run_record(
            actor=manager,
            cycle_case=planned(program),
            result="pass",
            executed_at=_now() + dt.timedelta(hours=2),
        )
    assert "executed_at" in exc.value.message_dict


def test_a_closed_cycle_refuses_runs(program, manager):
    cc = planned(program)
    factories.set_state(cc.cycle, status="closed")
    with pytest.raises(Refused, match="closed"):
        services.run_record(actor=manager, cycle_case=cc, result="pass")
    assert not Run.objects.exists()


def test_latest_result_follows_executed_at_not_entry_order(program, manager):
    cc = planned(program)
    now = _now()
    services.run_record(
        actor=manager, cycle_case=cc, result="pass", executed_at=now - dt.timedelta(days=1)
    )
    services.run_record(
        actor=manager,
        cycle_case=cc,
        result="fail",
        notes="Broke",
        executed_at=now - dt.timedelta(days=3),
    )  # entered late for an earlier time: the newer pass stays
    cc.refresh_from_db()
    assert (cc.last_result, cc.last_run_at) == ("pass", now - dt.timedelta(days=1))
    services.run_record(
        actor=manager, cycle_case=cc, result="blocked", notes="Env down", executed_at=now
    )
    cc.refresh_from_db()
    assert (cc.last_result, cc.last_run_at) == ("blocked", now)
    assert Run.objects.filter(cycle_case=cc).count() == 3


def test_of_two_runs_at_the_same_time_the_last_recorded_wins(program, manager):
    cc = planned(program)
    at = _now() - dt.timedelta(hours=1)
    services.run_record(actor=manager, cycle_case=cc, result="fail", notes="x", executed_at=at)
    services.run_record(actor=manager, cycle_case=cc, result="pass", executed_at=at)
    cc.refresh_from_db()
    assert cc.last_result == "pass"


def test_contributor_records_only_cases_assigned_to_them(program):
    tester = contributor(program)
    mine = planned(program, tester=tester)
    theirs = planned(program, cycle=mine.cycle, tester=contributor(program))
    services.run_record(actor=tester, cycle_case=mine, result="pass")
    with pytest.raises(PermissionDenied):
        services.run_record(actor=tester, cycle_case=theirs, result="pass")
    assert not Run.objects.filter(cycle_case=theirs).exists()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.COORDINATOR])
def test_test_change_roles_record_any_case(program, role):
    actor = factories.manager_of(program) if role == Role.MANAGER else member(program, role).user
    cc = planned(program, tester=contributor(program))
    assert services.run_record(actor=actor, cycle_case=cc, result="pass").result == "pass"


def test_an_assigned_viewer_still_cannot_record(program):
    viewer = member(program, Role.VIEWER).user
    cc = planned(program)
    factories.set_state(cc, tester=viewer)
    with pytest.raises(PermissionDenied):
        services.run_record(actor=viewer, cycle_case=cc, result="pass")


# --- evidence -------------------------------------------------------------------------------


def test_evidence_is_stored_with_its_sha256(program, manager, media):  # noqa: F811
    cc = planned(program)
    log = text(body=b"12:00 ERROR posting failed\n")
    run = services.run_record(
        actor=manager, cycle_case=cc, result="fail", notes="Broke", files=[png(), log]
    )
    rows = list(RunEvidence.objects.filter(run=run).order_by("id"))
    assert [(r.file_name, r.content_type) for r in rows] == [
        ("screen.png", "image/png"),
        ("run.log", "text/plain"),
    ]
    assert rows[1].sha256 == hashlib.sha256(b"12:00 ERROR posting failed\n").hexdigest()
    assert rows[1].file.read() == b"12:00 ERROR posting failed\n"


def test_evidence_of_a_bad_type_is_refused_naming_the_file(program, manager, media):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", "application/octet-stream")
    fake = SimpleUploadedFile("shot.png", b"not a png at all", "image/png")
    with pytest.raises(ValidationError) as exc:
        services.run_record(
            actor=manager, cycle_case=planned(program), result="pass", files=[exe, fake]
        )
    messages = exc.value.message_dict["evidence"]
    assert len(messages) == 2
    assert "“setup.exe” is not a type accepted as test evidence" in messages[0]
    assert "“shot.png” does not look like a PNG image" in messages[1]
    assert not Run.objects.exists() and not list(media.rglob("*.*"))


def test_evidence_too_big_is_refused(program, manager, media, settings):  # noqa: F811
    settings.TEST_EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as exc:
        services.run_record(
            actor=manager, cycle_case=planned(program), result="pass", files=[png(size=1500)]
        )
    assert "can be at most" in exc.value.message_dict["evidence"][0]
    assert not Run.objects.exists()


def test_more_than_ten_evidence_files_are_refused(program, manager, media):  # noqa: F811
    files = [text(f"log{i}.txt") for i in range(11)]
    with pytest.raises(ValidationError) as exc:
        services.run_record(actor=manager, cycle_case=planned(program), result="pass", files=files)
    assert exc.value.message_dict["evidence"] == [
        "At most 10 evidence files a run; 11 were chosen."
    ]
    assert not Run.objects.exists()


# --- raising a defect -----------------------------------------------------------------------


def test_a_failed_run_raises_its_defect_in_the_same_step(program, manager):
    release = factories.make_release(program)
    cycle = factories.make_cycle(program, release=release, environment="QA")
    req1, req2 = factories.make_requirement(program), factories.make_requirement(program)
    cc = planned(program, cycle=cycle, requirements=[req2, req1], preconditions="Data loaded")
    from releases.services import testing_cases

    testing_cases.case_update(
        actor=manager,
        case=cc.case,
        expected_version=None,
        steps=[{"action": "Open FB50", "expected": "Form opens"}, {"action": "Post"}],
    )
    owner = contributor(program)
    run = services.run_record(
        actor=manager,
        cycle_case=cc,
        result="fail",
        notes="Error GLT2 201",
        build="rc1",
        raise_defect={"title": "", "severity": 1, "priority": "urgent", "owner": owner},
    )
    defect = run.raised_defect
    assert defect.title == f"{cc.case.key} failed: {cc.case.title}"
    assert (defect.severity, defect.priority, defect.owner, defect.status) == (
        1,
        "urgent",
        owner,
        "new",
    )
    assert (defect.test_run, defect.test_case, defect.found_in_cycle) == (run, cc.case, cycle)
    assert (defect.requirement, defect.target_release) == (req1, release)  # the first by number
    assert "1. Open FB50 (expected: Form opens)\n2. Post" in defect.description
    assert "Error GLT2 201" in defect.description and "Build: rc1" in defect.description


def test_an_invalid_defect_leaves_no_run_and_no_file(program, manager, media):  # noqa: F811
    cc = planned(program)
    outsider = factories.make_requirement(ProgramFactory())
    with pytest.raises(ValidationError) as exc:
        services.run_record(
            actor=manager,
            cycle_case=cc,
            result="fail",
            notes="Broke",
            files=[png()],
            raise_defect={"title": "x" * 301, "severity": 2, "priority": "high"},
        )
    assert "defect_title" in exc.value.message_dict
    assert not Run.objects.exists() and not Defect.objects.exists()
    assert not RunEvidence.objects.exists() and not list(media.rglob("*.png"))
    with pytest.raises(ValidationError) as exc:
        services.run_record(
            actor=manager,
            cycle_case=cc,
            result="fail",
            notes="Broke",
            raise_defect={"severity": 2, "requirement": outsider},
        )
    assert "defect_requirement" in exc.value.message_dict
    assert not Run.objects.exists()
    cc.refresh_from_db()
    assert cc.last_result == "not_run"


def test_a_defect_is_not_raised_from_a_pass(program, manager):
    cc = planned(program)
    with pytest.raises(ValidationError) as exc:
        services.run_record(actor=manager, cycle_case=cc, result="pass", raise_defect={})
    assert "raise_defect" in exc.value.message_dict
    run = services.run_record(actor=manager, cycle_case=cc, result="pass")
    with pytest.raises(Refused):
        services.run_raise_defect(actor=manager, run=run)
    assert not Defect.objects.exists()


def test_raise_a_defect_from_an_earlier_failed_run(program, manager):
    cc = planned(program)
    run = factories.record_run(cc, "blocked", notes="QA down")
    defect = services.run_raise_defect(actor=manager, run=run, severity=3, priority="low")
    assert (defect.test_run, defect.severity, defect.requirement) == (run, 3, None)
    assert CycleCase.objects.get(pk=cc.pk).last_result == "blocked"
