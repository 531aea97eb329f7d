"""Reads of testing: cycles with their progress, a cycle's planned cases, per-requirement and
per-tester results, test cases with their history across cycles. Every count is an aggregate
over `CycleCase.last_result` (kept by the run service), so the number of queries never grows
with the rows.

For other areas (release readiness, traceability):

    cycle_stats(cycles_qs) -> dict[cycle_id, Stats]

one query over any queryset of `TestCycle`; each `Stats` has `planned`, `not_run`, `passed`,
`failed`, `blocked`, `executed` (= passed + failed + blocked), `pct_executed` (executed /
planned x 100, 0 when nothing is planned) and `pass_rate` (passed / executed x 100, None when
nothing was executed), percentages as floats rounded to one decimal. A cycle with no planned
case is in the dict with zeros. `requirement_stats(program=, cycles=)` gives the same per
requirement.
"""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from core.models import User
from core.permissions import Role, role_can
from programs.models import Program, Workstream
from programs.selectors import member_users

from ..models import (
    CycleCase,
    CycleKind,
    CycleStatus,
    Defect,
    MoSCoW,
    Release,
    Requirement,
    RunEvidence,
    RunResult,
    TestCase,
    TestCaseStatus,
    TestCycle,
    TestRun,
    TestStep,
)

R = RunResult
RESULT_COLOURS = {R.PASS: "green", R.FAIL: "red", R.BLOCKED: "orange", R.NOT_RUN: "secondary"}
RESULT_ICONS = {
    R.PASS: "ti-circle-check",
    R.FAIL: "ti-circle-x",
    R.BLOCKED: "ti-circle-minus",
    R.NOT_RUN: "ti-circle-dashed",
}
STATUS_COLOURS = {
    CycleStatus.PLANNED: "secondary",
    CycleStatus.ACTIVE: "blue",
    CycleStatus.CLOSED: "green",
}
CASE_STATUS_COLOURS = {
    TestCaseStatus.DRAFT: "yellow",
    TestCaseStatus.READY: "green",
    TestCaseStatus.RETIRED: "secondary",
}


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


@dataclass(frozen=True)
class Stats:
    planned: int = 0
    passed: int = 0
    failed: int = 0
    blocked: int = 0

    @property
    def executed(self) -> int:
        return self.passed + self.failed + self.blocked

    @property
    def not_run(self) -> int:
        return self.planned - self.executed

    @property
    def pct_executed(self) -> float:
        return _pct(self.executed, self.planned)

    @property
    def pass_rate(self) -> float | None:
        return _pct(self.passed, self.executed) if self.executed else None

    def share(self, part: str) -> float:
        """The share of planned cases with result `part` (for stacked bars)."""
        value = {
            "pass": self.passed,
            "fail": self.failed,
            "blocked": self.blocked,
            "not_run": self.not_run,
        }[part]
        return _pct(value, self.planned)

    def as_dict(self) -> dict:
        return {
            "planned": self.planned,
            "not_run": self.not_run,
            "passed": self.passed,
            "failed": self.failed,
            "blocked": self.blocked,
            "executed": self.executed,
            "pct_executed": self.pct_executed,
            "pass_rate": self.pass_rate,
        }


def _counts(prefix: str = "") -> dict:
    """Aggregates over planned cases reached through `prefix` (e.g. "cycle_cases__")."""
    field = f"{prefix}last_result"
    pk = f"{prefix}id"
    return {
        "n_planned": Count(pk),
        "n_passed": Count(pk, filter=Q(**{field: R.PASS})),
        "n_failed": Count(pk, filter=Q(**{field: R.FAIL})),
        "n_blocked": Count(pk, filter=Q(**{field: R.BLOCKED})),
    }


def _stats(row) -> Stats:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return Stats(
        planned=get("n_planned") or 0,
        passed=get("n_passed") or 0,
        failed=get("n_failed") or 0,
        blocked=get("n_blocked") or 0,
    )


def cycle_stats(cycles_qs: QuerySet[TestCycle]) -> dict[int, Stats]:
    """Progress of every cycle in `cycles_qs`, in one query (see the module docstring)."""
    rows = cycles_qs.order_by().values("pk").annotate(**_counts("cycle_cases__"))
    return {row["pk"]: _stats(row) for row in rows}


# --- cycles ---------------------------------------------------------------------------------


def cycle_list(*, program: Program) -> QuerySet[TestCycle]:
    """The program's cycles with their counts (n_planned, n_passed ...) and links."""
    return (
        TestCycle.objects.filter(program=program)
        .select_related("release", "owner")
        .annotate(**_counts("cycle_cases__"))
        .order_by("-start_date", "-number")
    )


class CycleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=CycleKind.choices, empty_label="All kinds")
    status = django_filters.ChoiceFilter(choices=CycleStatus.choices, empty_label="All statuses")
    release = django_filters.ModelChoiceFilter(
        queryset=Release.objects.none(), empty_label="All releases"
    )

    class Meta:
        model = TestCycle
        fields = ["q", "kind", "status", "release"]

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["release"].queryset = Release.objects.filter(program=program).order_by(
            "planned_date", "number"
        )

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(key__iexact=value) | Q(name__icontains=value) | Q(environment__icontains=value)
        )


def cycle_get(*, program: Program, key: str) -> TestCycle:
    cycle = (
        TestCycle.objects.filter(program=program, key=key.upper())
        .select_related("program", "release", "owner")
        .first()
    )
    if cycle is None:
        raise Http404("No such test cycle")
    return cycle


def stats_of(cycle: TestCycle) -> Stats:
    return cycle_stats(TestCycle.objects.filter(pk=cycle.pk)).get(cycle.pk, Stats())


MINE = "me"
TESTER_ROLES = sorted(r for r in Role.values if role_can(r, "test.run"))


class CycleCaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    result = django_filters.ChoiceFilter(
        field_name="last_result", choices=RunResult.choices, empty_label="All results"
    )
    tester = django_filters.ChoiceFilter(
        method="by_tester", choices=[], empty_label="All testers", label="Tester"
    )
    workstream = django_filters.ModelChoiceFilter(
        field_name="case__workstream",
        queryset=Workstream.objects.none(),
        empty_label="All workstreams",
    )

    class Meta:
        model = CycleCase
        fields = ["q", "result", "tester", "workstream"]

    def __init__(self, *args, program: Program, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )
        testers = [(str(u.pk), u.full_name) for u in member_users(program=program)]
        self.filters["tester"].extra["choices"] = [
            (MINE, "My cases"),
            ("none", "Unassigned"),
            *testers,
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(case__key__iexact=value) | Q(case__title__icontains=value))

    def by_tester(self, queryset, name, value):
        if value == MINE:
            return queryset.filter(tester=self.user) if self.user else queryset.none()
        if value == "none":
            return queryset.filter(tester__isnull=True)
        return queryset.filter(tester_id=value)


def cycle_cases(*, cycle: TestCycle) -> QuerySet[CycleCase]:
    """The cycle's planned cases with case, workstream, tester, run count and requirements (one
    prefetch query)."""
    runs = (
        TestRun.objects.filter(cycle_case=OuterRef("pk"))
        .order_by()
        .values("cycle_case")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        CycleCase.objects.filter(cycle=cycle)
        .select_related("case", "case__workstream", "tester")
        .annotate(run_count=Coalesce(Subquery(runs, output_field=IntegerField()), 0))
        .prefetch_related(
            Prefetch(
                "case__requirements",
                queryset=Requirement.objects.only("id", "key", "number", "title").order_by(
                    "number"
                ),
            )
        )
        .order_by("case__number")
    )


def cycle_case_get(*, cycle: TestCycle, case_key: str = "", pk: int | None = None) -> CycleCase:
    """A case planned in the cycle, by the case's key or the planned row's id."""
    rows = CycleCase.objects.filter(cycle=cycle)
    rows = rows.filter(pk=pk) if pk is not None else rows.filter(case__key=case_key.upper())
    found = rows.select_related(
        "program", "cycle", "cycle__release", "case", "case__workstream", "tester"
    ).first()
    if found is None:
        raise Http404("That case is not planned in this cycle")
    return found


def requirement_stats(*, program: Program, cycles: QuerySet[TestCycle] | None = None) -> list[dict]:
    """Per requirement verified by cases planned in `cycles` (all the program's when None):
    key, title, priority, cases (planned cases), their results and pass rate; one query.
    Planned cases verifying no requirement come last as `key=None`."""
    planned = CycleCase.objects.filter(program=program)
    if cycles is not None:
        planned = planned.filter(cycle__in=cycles)
    rows = (
        planned.order_by()
        .values(
            "case__requirements__id",
            "case__requirements__key",
            "case__requirements__number",
            "case__requirements__title",
            "case__requirements__priority",
        )
        .annotate(**_counts())
    )
    out = []
    for row in rows:
        stats = _stats(row)
        out.append(
            {
                "id": row["case__requirements__id"],
                "key": row["case__requirements__key"],
                "number": row["case__requirements__number"] or 10**9,
                "title": row["case__requirements__title"] or "",
                "priority": row["case__requirements__priority"],
                "priority_label": MoSCoW(row["case__requirements__priority"]).label
                if row["case__requirements__priority"]
                else "",
                "stats": stats,
            }
        )
    return sorted(out, key=lambda r: r["number"])


def tester_stats(*, cycle: TestCycle) -> list[dict]:
    rows = (
        CycleCase.objects.filter(cycle=cycle)
        .order_by()
        .values("tester_id", "tester__full_name", "tester__email")
        .annotate(**_counts())
    )
    out = [
        {
            "id": r["tester_id"],
            "name": r["tester__full_name"] or "Unassigned",
            "email": r["tester__email"] or "",
            "stats": _stats(r),
        }
        for r in rows
    ]
    return sorted(out, key=lambda r: (r["id"] is None, r["name"]))


def testers_for(*, program: Program) -> QuerySet[User]:
    """Members who may be assigned cases: roles that record results."""
    return User.objects.filter(
        memberships__program=program,
        memberships__role__in=TESTER_ROLES,
        is_active=True,
    ).order_by("full_name")


def plannable_cases(*, cycle: TestCycle) -> QuerySet[TestCase]:
    """Ready cases of the program not yet planned into the cycle."""
    return (
        TestCase.objects.filter(program=cycle.program, status=TestCaseStatus.READY)
        .exclude(cycle_cases__cycle=cycle)
        .select_related("workstream")
        .order_by("number")
    )


# --- test cases -----------------------------------------------------------------------------


def case_list(*, program: Program) -> QuerySet[TestCase]:
    """The program's cases with step and cycle counts and their latest result in any cycle."""
    steps = (
        TestStep.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("id"))
        .values("n")
    )
    latest = CycleCase.objects.filter(case=OuterRef("pk"), last_run_at__isnull=False).order_by(
        "-last_run_at", "-pk"
    )
    return (
        TestCase.objects.filter(program=program)
        .select_related("workstream")
        .annotate(
            step_count=Coalesce(Subquery(steps, output_field=IntegerField()), 0),
            cycle_count=Count("cycle_cases", distinct=True),
            latest_result=Subquery(latest.values("last_result")[:1]),
            latest_run_at=Subquery(latest.values("last_run_at")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "requirements",
                queryset=Requirement.objects.only("id", "key", "number").order_by("number"),
            )
        )
        .order_by("number")
    )


class CaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    workstream = django_filters.ModelChoiceFilter(
        queryset=Workstream.objects.none(), empty_label="All workstreams"
    )
    status = django_filters.ChoiceFilter(choices=TestCaseStatus.choices, empty_label="All statuses")
    priority = django_filters.ChoiceFilter(choices=MoSCoW.choices, empty_label="All priorities")
    requirement = django_filters.ModelChoiceFilter(
        field_name="requirements",
        queryset=Requirement.objects.none(),
        empty_label="All requirements",
    )
    result = django_filters.ChoiceFilter(
        choices=[
            (R.PASS, "Pass"),
            (R.FAIL, "Fail"),
            (R.BLOCKED, "Blocked"),
            ("never", "Never run"),
        ],
        method="by_result",
        empty_label="Any latest result",
        label="Latest result",
    )

    class Meta:
        model = TestCase
        fields = ["q", "workstream", "status", "priority", "requirement", "result"]

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )
        self.filters["requirement"].queryset = Requirement.objects.filter(program=program).order_by(
            "number"
        )

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(key__iexact=value) | Q(title__icontains=value) | Q(objective__icontains=value)
        )

    def by_result(self, queryset, name, value: str):
        if value == "never":
            return queryset.filter(latest_result__isnull=True)
        return queryset.filter(latest_result=value)


def case_get(*, program: Program, key: str) -> TestCase:
    case = (
        TestCase.objects.filter(program=program, key=key.upper())
        .select_related("program", "workstream")
        .first()
    )
    if case is None:
        raise Http404("No such test case")
    return case


def case_detail(*, program: Program, key: str) -> TestCase:
    """The case with its steps and requirements prefetched."""
    case = case_get(program=program, key=key)
    steps = list(TestStep.objects.filter(case=case).order_by("position"))
    requirements = list(case.requirements.order_by("number"))
    case.step_list = steps
    case.requirement_list = requirements
    return case


def case_runs(*, case: TestCase) -> list[TestRun]:
    """Every run of the case in every cycle, newest first, with evidence and defects raised."""
    return list(
        TestRun.objects.filter(cycle_case__case=case)
        .select_related("cycle_case__cycle", "executed_by")
        .prefetch_related(
            Prefetch("evidence", queryset=RunEvidence.objects.order_by("id")),
            Prefetch("defects", queryset=Defect.objects.order_by("number")),
        )
        .order_by("-executed_at", "-id")
    )


def case_cycles(*, case: TestCase) -> list[CycleCase]:
    return list(
        CycleCase.objects.filter(case=case)
        .select_related("cycle", "tester")
        .order_by("-cycle__number")
    )


def case_defects(*, case: TestCase) -> list[Defect]:
    return list(Defect.objects.filter(test_case=case).select_related("owner").order_by("-number"))


def cycle_runs(*, cycle: TestCycle) -> QuerySet[TestRun]:
    return (
        TestRun.objects.filter(cycle_case__cycle=cycle)
        .select_related("cycle_case__case", "executed_by")
        .prefetch_related(
            Prefetch("evidence", queryset=RunEvidence.objects.order_by("id")),
            Prefetch("defects", queryset=Defect.objects.order_by("number")),
        )
        .order_by("-executed_at", "-id")
    )


def run_get(*, program: Program, pk: int) -> TestRun:
    run = (
        TestRun.objects.filter(program=program, pk=pk)
        .select_related(
            "program", "cycle_case__case__workstream", "cycle_case__cycle__release", "executed_by"
        )
        .first()
    )
    if run is None:
        raise Http404("No such test run")
    return run


def evidence_get(*, program: Program, pk: int) -> RunEvidence:
    found = RunEvidence.objects.filter(program=program, pk=pk).first()
    if found is None:
        raise Http404("No such evidence file")
    return found
