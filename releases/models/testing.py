"""Testing: cycles (CYC-n) of a kind, test cases (TC-n) with ordered steps and the requirements
they verify, each case's place in a cycle with its tester (`CycleCase`), and runs with a result and
evidence. A case in a cycle with no run is "not run"; its latest run's result is kept on the
`CycleCase` by the services, so progress and pass rates are sums, not scans.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.fields import KeyedMixin, key_constraints
from programs.models import Program, ProgramOwnedModel, Workstream

from .requirements import MoSCoW, Requirement

__all__ = [
    "CycleCase",
    "CycleKind",
    "CycleStatus",
    "RunEvidence",
    "RunResult",
    "TestCase",
    "TestCaseStatus",
    "TestCycle",
    "TestRun",
    "TestStep",
]


class CycleKind(models.TextChoices):
    UAT = "uat", "User acceptance (UAT)"
    INTEGRATION = "integration", "Integration"
    REGRESSION = "regression", "Regression"
    PERFORMANCE = "performance", "Performance"


class CycleStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "In progress"
    CLOSED = "closed", "Closed"


class RunResult(models.TextChoices):
    NOT_RUN = "not_run", "Not run"
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    BLOCKED = "blocked", "Blocked"


class TestCycle(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "CYC"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="test_cycles")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=CycleKind.choices, default=CycleKind.UAT)
    status = models.CharField(
        max_length=8, choices=CycleStatus.choices, default=CycleStatus.PLANNED
    )
    release = models.ForeignKey(
        "releases.Release",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="test_cycles",
        help_text="The release this cycle tests (its pass rate counts towards readiness).",
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    environment = models.CharField(max_length=120, blank=True, help_text="e.g. UAT, SIT-2")
    entry_criteria = models.TextField(blank=True)
    exit_criteria = models.TextField(blank=True)

    class Meta:
        ordering = ["program_id", "number"]
        constraints = [
            *key_constraints("test_cycle"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="test_cycle_dates_ordered",
                violation_error_message="The end date must be on or after the start date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("releases:cycle_detail", kwargs={"code": self.program.code, "key": self.key})


class TestCaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"
    RETIRED = "retired", "Retired"


class TestCase(KeyedMixin, ProgramOwnedModel):
    KEY_PREFIX = "TC"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="test_cases")
    workstream = models.ForeignKey(
        Workstream, null=True, blank=True, on_delete=models.PROTECT, related_name="test_cases"
    )
    title = models.CharField(max_length=300)
    objective = models.TextField(blank=True)
    preconditions = models.TextField(blank=True)
    expected_result = models.TextField(
        blank=True, help_text="The outcome that makes the whole case pass."
    )
    priority = models.CharField(max_length=6, choices=MoSCoW.choices, default=MoSCoW.SHOULD)
    status = models.CharField(
        max_length=8, choices=TestCaseStatus.choices, default=TestCaseStatus.READY
    )
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="test_cases")

    class Meta:
        ordering = ["program_id", "number"]
        constraints = [*key_constraints("test_case")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("releases:case_detail", kwargs={"code": self.program.code, "key": self.key})


class TestStep(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(TestCase, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    action = models.TextField()
    expected = models.TextField("expected result", blank=True)

    class Meta:
        ordering = ["case_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="test_step_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.action[:60]}"


class CycleCase(ProgramOwnedModel):
    """A test case planned into a cycle, its tester, and its latest result (kept by the run
    service from the latest `TestRun`)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    cycle = models.ForeignKey(TestCycle, on_delete=models.CASCADE, related_name="cycle_cases")
    case = models.ForeignKey(TestCase, on_delete=models.PROTECT, related_name="cycle_cases")
    tester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_result = models.CharField(
        max_length=8, choices=RunResult.choices, default=RunResult.NOT_RUN, editable=False
    )
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["cycle_id", "case_id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "case"], name="cycle_case_unique"),
        ]
        indexes = [models.Index(fields=["case", "last_run_at"], name="cycle_case_latest_idx")]

    def __str__(self) -> str:
        return f"{self.cycle_id}/{self.case_id}"


class TestRun(ProgramOwnedModel):
    """One execution of a case in a cycle. Runs are the test record: never edited."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    cycle_case = models.ForeignKey(CycleCase, on_delete=models.CASCADE, related_name="runs")
    result = models.CharField(max_length=8, choices=RunResult.choices)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    executed_at = models.DateTimeField()
    notes = models.TextField(blank=True, help_text="What happened; required for fail or blocked.")
    build = models.CharField(max_length=80, blank=True, help_text="The build or version tested.")

    class Meta:
        ordering = ["cycle_case_id", "-executed_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} {self.result}"


def evidence_path(instance: RunEvidence, filename: str) -> str:
    """test-evidence/<program id>/<run id>/<random>/<name>: never served directly."""
    name = PurePath(filename).name or "file"
    return f"test-evidence/{instance.program_id}/{instance.run_id}/{uuid.uuid4().hex}/{name}"


class RunEvidence(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(TestRun, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=400)
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    AUDIT_EXCLUDE = ("file",)

    class Meta:
        ordering = ["run_id", "id"]

    def __str__(self) -> str:
        return self.file_name
