"""Test runs: recording a result with evidence, keeping each planned case's latest result, and
raising a defect from a failed run in the same step.

- A run is pass, fail or blocked; fail and blocked need notes (what happened). Runs are never
  edited or deleted: a retest is a new run.
- The planned case's `last_result` / `last_run_at` are those of its latest run by `executed_at`
  (a run entered late for an earlier time does not hide a newer result; of two at the same
  time, the one recorded last wins).
- A closed cycle takes no runs; recording a run in a planned cycle starts it.
- Who records: the case's assigned tester, or anyone whose role may change tests (test.change);
  a contributor records only the cases assigned to them.
- Evidence: up to MAX_EVIDENCE files a run (images, PDF, text and logs, 25 MB each by default,
  `settings.TEST_EVIDENCE_MAX_BYTES` overrides), judged by content, stored with their SHA-256.
- "Raise a defect" with the run (`raise_defect={title, severity, priority, owner, requirement}`)
  calls `releases.services.defects.defect_create` in the same transaction: a defect that cannot
  be raised leaves no run either. Its errors are reported as `defect_<field>`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import uploads
from core.audit import audit_create
from core.domain import check_same_program, create
from core.errors import Refused
from core.permissions import role_can
from core.versioning import apply_changes, lock_current
from programs.models import ProgramMembership

from ..models import (
    CycleCase,
    CycleStatus,
    Defect,
    RunEvidence,
    RunResult,
    TestCycle,
    TestRun,
    TestStep,
)
from . import defects as defect_services
from .testing import refuse_if_closed

__all__ = [
    "EVIDENCE_UPLOADS",
    "MAX_EVIDENCE",
    "check_evidence_files",
    "defect_description",
    "defect_title",
    "may_record",
    "run_raise_defect",
    "run_record",
]

MAX_EVIDENCE = 10
EVIDENCE_MAX_BYTES = 25 * 1024 * 1024
EVIDENCE_UPLOADS = uploads.UploadPolicy(
    extensions=(".png", ".jpg", ".jpeg", ".pdf", ".txt", ".log", ".csv", ".md"),
    max_bytes_setting="TEST_EVIDENCE_MAX_BYTES",
    default_max_bytes=EVIDENCE_MAX_BYTES,
    accepted_text="a screenshot (PNG, JPEG), a PDF, or a text, log, CSV or Markdown file",
    files_noun="evidence files",
    accepted_as="as test evidence",
    field="evidence",
)
RECORDED = (RunResult.PASS, RunResult.FAIL, RunResult.BLOCKED)
NEEDS_NOTES = (RunResult.FAIL, RunResult.BLOCKED)
DEFECT_INPUTS = ("title", "severity", "priority", "owner", "requirement")
FUTURE_SLACK = dt.timedelta(minutes=5)


def _role(program, user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    return (
        ProgramMembership.objects.filter(program=program, user=user)
        .values_list("role", flat=True)
        .first()
    )


def may_record(cycle_case: CycleCase, user, role: str | None = None) -> bool:
    """The assigned tester (with a role that runs tests), or a role that changes tests."""
    role = role if role is not None else _role(cycle_case.program, user)
    if role_can(role, "test.change"):
        return True
    return role_can(role, "test.run") and user is not None and cycle_case.tester_id == user.pk


def _check_recorder(cycle_case: CycleCase, actor) -> None:
    if not may_record(cycle_case, actor):
        raise PermissionDenied(
            f"{cycle_case.case.key} is assigned to "
            f"{cycle_case.tester or 'nobody'} in {cycle_case.cycle.key}: only its tester, the "
            "program manager or a coordinator records its results."
        )


def check_evidence_files(files: list) -> list[uploads.CheckedFile]:
    """Every file checked; all problems reported at once on `evidence`, each naming its file."""
    if len(files) > MAX_EVIDENCE:
        raise ValidationError(
            {"evidence": f"At most {MAX_EVIDENCE} evidence files a run; {len(files)} were chosen."}
        )
    checked, problems = [], []
    for upload in files:
        try:
            checked.append(uploads.check_upload(upload, EVIDENCE_UPLOADS))
        except ValidationError as exc:
            problems += exc.message_dict["evidence"]
    if problems:
        raise ValidationError({"evidence": problems})
    return checked


def defect_title(cycle_case: CycleCase) -> str:
    return f"{cycle_case.case.key} failed: {cycle_case.case.title}"[:300]


def defect_description(run: TestRun) -> str:
    """Steps to reproduce (the case's steps), expected and actual (the run's notes)."""
    cycle_case = run.cycle_case
    case, cycle = cycle_case.case, cycle_case.cycle
    lines = [f"Found by {case.key} in {cycle.key} {cycle.name}."]
    if case.preconditions:
        lines += ["", "Preconditions:", case.preconditions]
    steps = list(TestStep.objects.filter(case=case).order_by("position"))
    if steps:
        lines += ["", "Steps to reproduce:"]
        for step in steps:
            expected = f" (expected: {step.expected})" if step.expected else ""
            lines.append(f"{step.position}. {step.action}{expected}")
    if case.expected_result:
        lines += ["", "Expected result:", case.expected_result]
    lines += ["", f"Actual ({run.get_result_display().lower()}):", run.notes or "(no notes)"]
    where = [
        f"Build: {run.build}" if run.build else "",
        f"Environment: {cycle.environment}" if cycle.environment else "",
    ]
    where = [w for w in where if w]
    if where:
        lines += ["", " · ".join(where)]
    return "\n".join(lines)[: defect_services.MAX_TEXT]


def _raise(*, actor, run: TestRun, data: Mapping[str, Any]) -> Defect:
    """defect_create for a run, its errors renamed `defect_<field>`."""
    cycle_case = run.cycle_case
    case, cycle = cycle_case.case, cycle_case.cycle
    requirement = data.get("requirement")
    if requirement is None:
        requirement = case.requirements.order_by("number").first()
    title = (data.get("title") or "").strip() or defect_title(cycle_case)
    try:
        return defect_services.defect_create(
            actor=actor,
            program=run.program,
            title=title,
            description=defect_description(run),
            severity=data.get("severity") or 2,
            priority=data.get("priority") or "medium",
            owner=data.get("owner"),
            test_case=case,
            test_run=run,
            found_in_cycle=cycle,
            requirement=requirement,
            workstream=case.workstream,
            target_release=cycle.release,
        )
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise ValidationError({"defect_title": exc.messages}) from exc
        raise ValidationError(
            {
                (f"defect_{name}" if name in DEFECT_INPUTS else "defect_title"): errors
                for name, errors in exc.error_dict.items()
            }
        ) from exc


def _check_defect_inputs(cycle_case: CycleCase, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(DEFECT_INPUTS)
    if unknown:
        raise ValidationError({"raise_defect": f"Unknown: {', '.join(sorted(unknown))}."})
    if "requirement" in data and data["requirement"] is not None:
        check_same_program(cycle_case.program, data["requirement"], "defect_requirement")


def _store_evidence(*, actor, run: TestRun, files: list, checked: list, stored: list) -> None:
    for upload, info in zip(files, checked, strict=True):
        row = RunEvidence(
            program=run.program,
            run=run,
            file_name=info.name,
            size=info.size,
            content_type=info.content_type,
            sha256=uploads.sha256_of(upload),
        )
        row.file.save(info.name, upload, save=False)
        stored.append((row.file.storage, row.file.name))
        row.full_clean()
        row.save()
        audit_create(actor=actor, instance=row)


def _keep_latest(*, actor, cycle_case: CycleCase, run: TestRun) -> None:
    """The planned case's latest result: this run's unless a later one exists."""
    if cycle_case.last_run_at is not None and run.executed_at < cycle_case.last_run_at:
        return
    apply_changes(
        cycle_case,
        actor=actor,
        changes={"last_result": run.result, "last_run_at": run.executed_at},
        expected_version=None,
        locked=True,
    )


@transaction.atomic
def run_record(
    *,
    actor,
    cycle_case: CycleCase,
    result: str,
    notes: str = "",
    build: str = "",
    executed_at: dt.datetime | None = None,
    files: list | tuple = (),
    raise_defect: Mapping[str, Any] | None = None,
) -> TestRun:
    """Record one execution of a planned case (see the module's rules). With `raise_defect`
    (only for fail or blocked) the defect is raised from the run in the same transaction and is
    available as `run.raised_defect`."""
    current = lock_current(CycleCase, pk=cycle_case.pk, expected_version=None)
    cycle = lock_current(TestCycle, pk=current.cycle_id, expected_version=None)
    current.cycle = cycle
    refuse_if_closed(cycle, "no more results are recorded in it")
    _check_recorder(current, actor)
    errors: dict[str, list[str]] = {}
    notes = (notes or "").strip()
    if result not in RECORDED:
        errors["result"] = ["Choose pass, fail or blocked."]
    elif result in NEEDS_NOTES and not notes:
        errors["notes"] = ["Say what happened: notes are required for a failed or blocked run."]
    now = timezone.now()
    executed_at = executed_at or now
    if executed_at > now + FUTURE_SLACK:
        errors["executed_at"] = ["A run cannot be recorded for a time in the future."]
    if raise_defect is not None and result not in NEEDS_NOTES:
        errors["raise_defect"] = ["A defect is raised from a failed or blocked run."]
    files = list(files)
    try:
        checked = check_evidence_files(files)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        checked = []
    if raise_defect is not None:
        try:
            _check_defect_inputs(current, raise_defect)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if cycle.status == CycleStatus.PLANNED:
        cycle = apply_changes(
            cycle,
            actor=actor,
            changes={"status": CycleStatus.ACTIVE},
            expected_version=None,
            locked=True,
        )
    person = actor if actor is not None and actor.is_authenticated else None
    run = create(
        TestRun,
        actor=actor,
        program=current.program,
        cycle_case=current,
        result=result,
        executed_by=person,
        executed_at=executed_at,
        notes=notes,
        build=(build or "").strip(),
    )
    stored: list[tuple[Any, str]] = []
    try:
        _store_evidence(actor=actor, run=run, files=files, checked=checked, stored=stored)
        _keep_latest(actor=actor, cycle_case=current, run=run)
        run.raised_defect = (
            _raise(actor=actor, run=run, data=raise_defect) if raise_defect is not None else None
        )
    except Exception:
        for storage, name in stored:  # the rows roll back; their files go with them
            storage.delete(name)
        raise
    return run


@transaction.atomic
def run_raise_defect(*, actor, run: TestRun, **data: Any) -> Defect:
    """A defect from a failed (or blocked) run recorded earlier."""
    current = (
        TestRun.objects.select_related(
            "cycle_case__case__workstream", "cycle_case__cycle__release", "program"
        )
        .select_for_update(of=("self",))
        .get(pk=run.pk)
    )
    if current.result not in NEEDS_NOTES:
        raise Refused("This run passed: defects are raised from failed or blocked runs.")
    _check_defect_inputs(current.cycle_case, data)
    return _raise(actor=actor, run=current, data=data)
