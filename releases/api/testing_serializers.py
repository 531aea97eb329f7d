"""Serializers and shaping of the testing API (see releases/api/testing.py)."""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
)
from rest_framework import serializers

from programs.models import Program, Workstream
from programs.selectors import member_users

from ..models import (
    CycleCase,
    CycleKind,
    CycleStatus,
    DefectPriority,
    MoSCoW,
    Release,
    Requirement,
    RunResult,
    Severity,
    TestCase,
    TestCaseStatus,
    TestCycle,
    TestRun,
)
from ..selectors import testing as selectors
from ..services import testing_runs as run_services

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
CYCLE_KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The cycle's key, e.g. CYC-2."
)
CASE_KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The case's key, e.g. TC-12."
)
RUN_ID = OpenApiParameter(
    "pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The run's id."
)
FILE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The evidence file's id."
)
VERSION_HELP = "The version you edited (or send If-Match)."
TAGS = ["testing"]


def _user(program: Program, user_id: int | None, field: str):
    if user_id is None:
        return None
    user = member_users(program=program).filter(pk=user_id).first()
    if user is None:
        raise serializers.ValidationError(
            {field: [f"User {user_id} is not a member of {program.code}."]}
        )
    return user


def _by_key(model, program: Program, key: str | None, field: str, noun: str):
    key = (key or "").strip().upper()
    if not key:
        return None
    row = model.objects.filter(program=program, key=key).first()
    if row is None:
        raise serializers.ValidationError({field: [f"There is no {noun} {key} in {program.code}."]})
    return row


def _person(user_id, name) -> dict | None:
    return None if user_id is None else {"id": user_id, "full_name": name}


# --- serializers ----------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class StatsSerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    not_run = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    blocked = serializers.IntegerField()
    executed = serializers.IntegerField(help_text="passed + failed + blocked")
    pct_executed = serializers.FloatField(help_text="executed / planned x 100")
    pass_rate = serializers.FloatField(
        allow_null=True, help_text="passed / executed x 100; null when nothing was executed."
    )


class CycleSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="e.g. CYC-2")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=CycleKind.choices)
    status = serializers.ChoiceField(choices=CycleStatus.choices, read_only=True)
    release = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=16,
        help_text="The release's key, e.g. REL-1; or null.",
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    owner = PersonSerializer(read_only=True, allow_null=True, help_text="The test lead.")
    owner_id = serializers.IntegerField(write_only=True, required=False, allow_null=True)
    environment = serializers.CharField(max_length=120, required=False, allow_blank=True)
    entry_criteria = serializers.CharField(required=False, allow_blank=True)
    exit_criteria = serializers.CharField(required=False, allow_blank=True)
    stats = StatsSerializer(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        program: Program = self.context["program"]
        attrs.pop("version", None)
        if "release" in attrs:
            attrs["release"] = _by_key(Release, program, attrs["release"], "release", "release")
        if "owner_id" in attrs:
            attrs["owner"] = _user(program, attrs.pop("owner_id"), "owner_id")
        return attrs


def cycle_data(cycle: TestCycle, stats: selectors.Stats) -> dict:
    return {
        "key": cycle.key,
        "name": cycle.name,
        "kind": cycle.kind,
        "status": cycle.status,
        "release": cycle.release.key if cycle.release_id else None,
        "start_date": cycle.start_date.isoformat() if cycle.start_date else None,
        "end_date": cycle.end_date.isoformat() if cycle.end_date else None,
        "owner": _person(cycle.owner_id, cycle.owner.full_name if cycle.owner_id else None),
        "environment": cycle.environment,
        "entry_criteria": cycle.entry_criteria,
        "exit_criteria": cycle.exit_criteria,
        "stats": stats.as_dict(),
        "version": cycle.version,
    }


class TestStepSerializer(serializers.Serializer):
    position = serializers.IntegerField(read_only=True)
    action = serializers.CharField(max_length=5000)
    expected = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class CaseSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="e.g. TC-12")
    title = serializers.CharField(max_length=300)
    workstream = serializers.IntegerField(
        source="workstream_id", required=False, allow_null=True, help_text="The workstream's id."
    )
    objective = serializers.CharField(required=False, allow_blank=True)
    preconditions = serializers.CharField(required=False, allow_blank=True)
    expected_result = serializers.CharField(required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=MoSCoW.choices, required=False)
    status = serializers.ChoiceField(
        choices=[TestCaseStatus.DRAFT, TestCaseStatus.READY],
        required=False,
        help_text="draft or ready; retired through retire/ (read here as `retired`).",
    )
    requirements = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        help_text='Keys of the requirements it verifies, e.g. ["REQ-3"]; replaces the list.',
    )
    steps = TestStepSerializer(
        many=True, required=False, help_text="The whole step list in order; replaces the steps."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        program: Program = self.context["program"]
        attrs.pop("version", None)
        if "workstream_id" in attrs:
            pk = attrs.pop("workstream_id")
            workstream = None
            if pk is not None:
                workstream = Workstream.objects.filter(program=program, pk=pk).first()
                if workstream is None:
                    raise serializers.ValidationError(
                        {"workstream": [f"There is no workstream {pk} in {program.code}."]}
                    )
            attrs["workstream"] = workstream
        if "requirements" in attrs:
            keys = [k.strip().upper() for k in attrs["requirements"]]
            found = {r.key: r for r in Requirement.objects.filter(program=program, key__in=keys)}
            missing = [k for k in keys if k not in found]
            if missing:
                raise serializers.ValidationError(
                    {"requirements": [f"No requirement {', '.join(missing)} in {program.code}."]}
                )
            attrs["requirements"] = list(found.values())
        if "steps" in attrs:
            attrs["steps"] = [dict(s) for s in attrs["steps"]]
        return attrs


def case_data(case: TestCase) -> dict:
    return {
        "key": case.key,
        "title": case.title,
        "workstream": case.workstream_id,
        "objective": case.objective,
        "preconditions": case.preconditions,
        "expected_result": case.expected_result,
        "priority": case.priority,
        "status": case.status,
        "requirements": [r.key for r in case.requirements.all()],
        "steps": [
            {"position": s.position, "action": s.action, "expected": s.expected}
            for s in case.steps.all()
        ],
        "version": case.version,
    }


class CycleCaseSerializer(serializers.Serializer):
    case = serializers.CharField(help_text="The case's key.")
    title = serializers.CharField()
    workstream = serializers.IntegerField(allow_null=True)
    tester = PersonSerializer(allow_null=True)
    last_result = serializers.ChoiceField(choices=RunResult.choices)
    last_run_at = serializers.DateTimeField(allow_null=True)
    run_count = serializers.IntegerField()
    requirements = serializers.ListField(child=serializers.CharField())


def cycle_case_data(cc: CycleCase) -> dict:
    return {
        "case": cc.case.key,
        "title": cc.case.title,
        "workstream": cc.case.workstream_id,
        "tester": _person(cc.tester_id, cc.tester.full_name if cc.tester_id else None),
        "last_result": cc.last_result,
        "last_run_at": serializers.DateTimeField().to_representation(cc.last_run_at)
        if cc.last_run_at
        else None,
        "run_count": getattr(cc, "run_count", 0),
        "requirements": [r.key for r in cc.case.requirements.all()],
    }


class RunEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    download_url = serializers.CharField()


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cycle = serializers.CharField()
    case = serializers.CharField()
    result = serializers.ChoiceField(choices=RunResult.choices)
    executed_at = serializers.DateTimeField()
    executed_by = PersonSerializer(allow_null=True)
    notes = serializers.CharField()
    build = serializers.CharField()
    evidence = RunEvidenceSerializer(many=True)
    defects = serializers.ListField(child=serializers.CharField(), help_text="Defect keys.")


def run_data(run: TestRun, program: Program, cycle_key: str) -> dict:
    base = f"/api/v1/programs/{program.code}/test-cycles/{cycle_key}/runs/{run.pk}/evidence/"
    return {
        "id": run.pk,
        "cycle": cycle_key,
        "case": run.cycle_case.case.key,
        "result": run.result,
        "executed_at": serializers.DateTimeField().to_representation(run.executed_at),
        "executed_by": _person(
            run.executed_by_id, run.executed_by.full_name if run.executed_by_id else None
        ),
        "notes": run.notes,
        "build": run.build,
        "evidence": [
            {
                "id": f.pk,
                "file_name": f.file_name,
                "size": f.size,
                "content_type": f.content_type,
                "sha256": f.sha256,
                "download_url": f"{base}{f.pk}/",
            }
            for f in run.evidence.all()
        ],
        "defects": [d.key for d in run.defects.all()],
    }


class RaiseDefectSerializer(serializers.Serializer):
    title = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="Default: “TC-12 failed: <case title>”.",
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=2)
    priority = serializers.ChoiceField(
        choices=DefectPriority.choices, required=False, default=DefectPriority.HIGH
    )
    owner_id = serializers.IntegerField(required=False, allow_null=True)
    requirement = serializers.CharField(
        max_length=16,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="A requirement key; default: the case's first requirement.",
    )

    def validate(self, attrs):
        program: Program = self.context["program"]
        attrs["owner"] = _user(program, attrs.pop("owner_id", None), "owner_id")
        attrs["requirement"] = _by_key(
            Requirement, program, attrs.get("requirement"), "requirement", "requirement"
        )
        return attrs


class JsonObjectField(serializers.JSONField):
    """An object in JSON bodies, or the same object as a JSON string in a multipart form."""

    def to_internal_value(self, data):
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise serializers.ValidationError("Send a JSON object.") from exc
        if not isinstance(data, dict):
            raise serializers.ValidationError("Send a JSON object.")
        return data


class RunCreateSerializer(serializers.Serializer):
    case = serializers.CharField(max_length=16, help_text="The planned case's key, e.g. TC-12.")
    result = serializers.ChoiceField(
        choices=RunResult.choices, help_text="pass, fail or blocked (not_run is refused)."
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="Required for fail/blocked."
    )
    build = serializers.CharField(required=False, allow_blank=True, max_length=80)
    executed_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Default: now."
    )
    evidence = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        help_text=f"Up to {run_services.MAX_EVIDENCE} files (multipart), 25 MB each by default: "
        f"{run_services.EVIDENCE_UPLOADS.accepted_text}.",
    )
    raise_defect = JsonObjectField(
        required=False,
        help_text="Raise a defect from this (failed or blocked) run in the same step: "
        "{title, severity, priority, owner_id, requirement}; in multipart, as a JSON string.",
    )


class PlanSerializer(serializers.Serializer):
    cases = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, help_text="Case keys."
    )
    workstream = serializers.IntegerField(
        required=False, allow_null=True, help_text="Every ready case of this workstream (id)."
    )
    release_scope = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Every ready case verifying a requirement in the scope of the cycle's release.",
    )
    tester_id = serializers.IntegerField(required=False, allow_null=True)


class PlanResultSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.CharField(), help_text="Case keys planned.")
    already = serializers.ListField(child=serializers.CharField(), help_text="Already planned.")
    not_ready = serializers.ListField(child=serializers.CharField(), help_text="Drafts left out.")


class AssignSerializer(serializers.Serializer):
    cases = serializers.ListField(
        child=serializers.CharField(max_length=16), help_text="Case keys."
    )
    tester_id = serializers.IntegerField(allow_null=True, help_text="null unassigns.")


class CycleStatusSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["start", "close", "reopen"])
    confirm = serializers.BooleanField(
        required=False, default=False, help_text="Close even with cases not run."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class CycleStatsSerializer(serializers.Serializer):
    stats = StatsSerializer()
    requirements = serializers.ListField(
        child=serializers.DictField(), help_text="[{key, title, stats}] per requirement."
    )
    testers = serializers.ListField(
        child=serializers.DictField(), help_text="[{tester: {id, full_name} | null, stats}]."
    )
