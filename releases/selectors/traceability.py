"""The traceability matrix: one row per requirement with its WBS deliverables, test cases and their
latest results, open defects, change requests and releases, and the coverage gaps computed from
them (issue 7, item 2).

Planned for size (2,000 requirements, 6,000 cases, 1,000 defects): the gaps are computed set-wise
in SQL (`GAP_CODES_SQL`: each case's latest result read once, joined to the links and summed per
requirement), so filtering by a gap and counting every gap happen in the database. A page is then
a fixed handful of queries whatever the number of rows: one aggregate for the counts, one for the
page's requirement rows, and one each for their deliverables, test cases with their latest
results, open defects, change requests and releases; a row's own gaps follow from those.

A case's latest result is the result of its most recent run in any cycle (`CycleCase.last_result`
of the cycle case with the latest `last_run_at`, kept by the run service); a case never run is
"not run". Retired cases no longer count for coverage and are not listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from governance.models import ChangeRequest
from programs.models import Program

from ..models import (
    OPEN_DEFECT_STATUSES,
    CycleCase,
    Defect,
    Release,
    Requirement,
    RequirementStatus,
    RunResult,
    Severity,
    TestCase,
    TestCaseStatus,
)
from .traceability_filters import (
    GAP_BY_KEY,
    GAPS,
    KEY_SEARCH,
    PRIORITY_LABELS,
    STATUS_LABELS,
    Gap,
    MatrixFilters,
    parse_filters,
)

__all__ = [
    "GAPS",
    "GAP_BY_KEY",
    "Gap",
    "Link",
    "Matrix",
    "MatrixFilters",
    "Row",
    "Summary",
    "iter_matrix",
    "matrix_page",
    "matrix_summary",
    "parse_filters",
]

PAGE_SIZE = 50
EXPORT_CHUNK = 500
BLOCKING_SEVERITY = 2  # an open defect of severity 1 or 2 blocks a requirement
FAILING_RESULTS = (RunResult.FAIL, RunResult.BLOCKED)
SETTLED_STATUSES = (
    RequirementStatus.ACCEPTED,
    RequirementStatus.REJECTED,
    RequirementStatus.DEFERRED,
)


# the flags that make each gap, in the order a row lists them
GAP_FLAGS = ("no_test", "failing", "not_run", "blocking_defect", "unaccepted")

STATUS_COLOURS = {
    RequirementStatus.PROPOSED: "azure",
    RequirementStatus.APPROVED: "blue",
    RequirementStatus.IN_DELIVERY: "indigo",
    RequirementStatus.VERIFIED: "teal",
    RequirementStatus.ACCEPTED: "green",
}
RESULT_LABELS = {**dict(RunResult.choices), None: "Not run"}
SEVERITY_LABELS = dict(Severity.choices)
CR_STATUS_LABELS = dict(ChangeRequest._meta.get_field("status").choices or ())


# ---------------------------------------------------------------------------------------------
# The requirement rows and their gaps (SQL)
# ---------------------------------------------------------------------------------------------

CaseLink = TestCase.requirements.through
DeliverableLink = Requirement.deliverables.through
ChangeLink = Requirement.change_requests.through
ScopeLink = Release.requirements.through


def _live_cases() -> QuerySet:
    """Links of the outer requirement to the cases that count (not retired)."""
    return CaseLink.objects.filter(requirement_id=OuterRef("pk")).exclude(
        testcase__status=TestCaseStatus.RETIRED
    )


def _open_defects() -> QuerySet:
    return Defect.objects.filter(status__in=OPEN_DEFECT_STATUSES)


# A requirement's test coverage in one number, so that each of its cases' latest result is
# looked up once: the sum over its live cases of 1, plus FAILING when the case's latest result is
# fail or blocked, plus NOT_RUN when it has none (or "not run"); NULL when no live case is linked.
# (Up to 9,999 cases per requirement.)
FAILING, NOT_RUN = 10**4, 10**8

# Each case's latest result, from its newest run in any cycle (a tie on the time goes to the
# later cycle case), in one pass over the program's cycle cases (a case is only planned into its
# own program's cycles): DISTINCT ON in PostgreSQL, a window elsewhere (SQLite in development).
LATEST_SQL = {
    True: """
    SELECT DISTINCT ON (case_id) case_id, last_result FROM releases_cyclecase
    WHERE program_id = %s AND last_run_at IS NOT NULL
    ORDER BY case_id, last_run_at DESC, id DESC""",
    False: """
    SELECT case_id, last_result FROM (
        SELECT case_id, last_result, ROW_NUMBER() OVER (
            PARTITION BY case_id ORDER BY last_run_at DESC, id DESC
        ) AS newest
        FROM releases_cyclecase WHERE program_id = %s AND last_run_at IS NOT NULL
    ) AS runs WHERE newest = 1""",
}

# The coverage code and the open-blocking-defect flag of every requirement in `scope`, set-wise:
# the latest results joined once to the live links and summed per requirement; the requirements
# with an open defect of severity 1 or 2 on themselves or on any linked case (retired ones too)
# as one set.
GAP_CODES_SQL = """
WITH scope AS ({scope}),
latest AS ({latest}),
coverage AS (
    SELECT link.requirement_id, SUM(
        CASE WHEN latest.last_result IN ({failing}) THEN {failing_weight}
             WHEN latest.last_result IS NULL OR latest.last_result = %s THEN {not_run_weight}
             ELSE 1 END
    ) AS coverage
    FROM releases_testcase_requirements AS link
    JOIN releases_testcase AS test_case ON test_case.id = link.testcase_id
    LEFT JOIN latest ON latest.case_id = link.testcase_id
    WHERE link.requirement_id IN (SELECT scope.id FROM scope) AND test_case.status <> %s
    GROUP BY link.requirement_id
),
blocking AS (
    SELECT defect.requirement_id FROM releases_defect AS defect
    WHERE defect.status IN ({open}) AND defect.severity <= %s
      AND defect.requirement_id IN (SELECT scope.id FROM scope)
    UNION
    SELECT link.requirement_id FROM releases_testcase_requirements AS link
    JOIN releases_defect AS defect ON defect.test_case_id = link.testcase_id
    WHERE defect.status IN ({open}) AND defect.severity <= %s
      AND link.requirement_id IN (SELECT scope.id FROM scope)
)
SELECT scope.id, scope.status, coverage.coverage,
       scope.id IN (SELECT requirement_id FROM blocking) AS blocking_defect
FROM scope LEFT JOIN coverage ON coverage.requirement_id = scope.id
"""


def gap_codes(program: Program, scope: QuerySet) -> tuple[str, list]:
    """SQL and parameters of the rows (id, status, coverage, blocking_defect) of the
    requirements of `scope` (a queryset of the program's requirements)."""
    scope_sql, scope_params = scope.order_by().values("id", "status").query.sql_with_params()
    sql = GAP_CODES_SQL.format(
        scope=scope_sql,
        latest=LATEST_SQL[connection.features.can_distinct_on_fields],
        failing=", ".join(["%s"] * len(FAILING_RESULTS)),
        failing_weight=1 + FAILING,
        not_run_weight=1 + NOT_RUN,
        open=", ".join(["%s"] * len(OPEN_DEFECT_STATUSES)),
    )
    blocking = [*OPEN_DEFECT_STATUSES, BLOCKING_SEVERITY]
    params = [
        *scope_params, program.pk, *FAILING_RESULTS, RunResult.NOT_RUN, TestCaseStatus.RETIRED,
        *blocking, *blocking,
    ]  # fmt: skip
    return sql, params


# each gap as a condition on the rows of `gap_codes` ("unaccepted" needs none of them)
GAP_SQL = {
    "no_test": "coverage IS NULL",
    "failing": f"MOD(coverage, {NOT_RUN}) >= {FAILING}",
    "not_run": f"coverage >= {NOT_RUN}",
    "blocking_defect": "blocking_defect",
    "covered": f"coverage < {FAILING} AND NOT blocking_defect",
}


def gap_condition(program: Program, scope: QuerySet, gap: str) -> Q:
    """The requirements of `scope` that have `gap` (a semi-join on `gap_codes`, computed once
    per query however many rows are read)."""
    unaccepted = ~Q(status__in=SETTLED_STATUSES)
    if gap == "unaccepted":
        return unaccepted
    sql, params = gap_codes(program, scope)
    codes = f"SELECT id FROM ({sql}) AS codes WHERE {GAP_SQL[gap]}"  # noqa: S608 - placeholders only
    rows = Q(pk__in=RawSQL(codes, params))  # noqa: S611
    return rows & ~unaccepted if gap == "covered" else rows


def flags_of(coverage: int | None, blocking_defect: bool, status: str) -> dict[str, bool]:
    """The gap flags of the rows of `gap_codes` with these values."""
    return {
        "no_test": coverage is None,
        "failing": coverage is not None and coverage % NOT_RUN >= FAILING,
        "not_run": coverage is not None and coverage >= NOT_RUN,
        "blocking_defect": bool(blocking_defect),
        "unaccepted": status not in SETTLED_STATUSES,
    }


def _search(q: str) -> Q:
    if KEY_SEARCH.match(q):
        key = q.upper()
        prefix = key.split("-", 1)[0]
        if prefix == "REQ":
            return Q(key=key)
        if prefix == "TC":
            return Q(Exists(_live_cases().filter(testcase__key=key)))
        if prefix == "DEF":
            defects = _open_defects().filter(key=key)
            return Q(Exists(defects.filter(requirement_id=OuterRef("pk")))) | Q(
                Exists(_live_cases().filter(testcase__defects__in=defects))
            )
        if prefix == "CR":
            return Q(
                Exists(
                    ChangeLink.objects.filter(requirement_id=OuterRef("pk"), changerequest__key=key)
                )
            )
        return Q(
            Exists(DeliverableLink.objects.filter(requirement_id=OuterRef("pk"), item__key=key))
        )
    return Q(key__iexact=q) | Q(title__icontains=q) | Q(statement__icontains=q)


def scoped_rows(program: Program, filters: MatrixFilters) -> QuerySet:
    """The program's requirements under every filter but the gap."""
    queryset = Requirement.objects.filter(program=program)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    if filters.workstream_id:
        queryset = queryset.filter(workstream_id=filters.workstream_id)
    if filters.release_id:
        queryset = queryset.filter(
            Exists(
                ScopeLink.objects.filter(
                    requirement_id=OuterRef("pk"), release_id=filters.release_id
                )
            )
        )
    if filters.q:
        queryset = queryset.filter(_search(filters.q))
    return queryset


def filtered_rows(program: Program, filters: MatrixFilters) -> QuerySet:
    """The matrix's requirement rows under every filter, in key order."""
    queryset = scoped_rows(program, filters)
    if filters.gap:
        queryset = queryset.filter(gap_condition(program, queryset, filters.gap))
    return queryset.order_by("number")


# ---------------------------------------------------------------------------------------------
# Counts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Counts over the requirements in scope (every filter but the gap)."""

    requirements: int
    with_tests: int
    passing: int
    accepted: int
    gaps: dict[str, int]

    @property
    def coverage_percent(self) -> int | None:
        """Share of requirements verified by at least one case."""
        if not self.requirements:
            return None
        return round(100 * self.with_tests / self.requirements)

    @property
    def passing_percent(self) -> int | None:
        if not self.requirements:
            return None
        return round(100 * self.passing / self.requirements)

    def count(self, gap: str) -> int:
        """How many rows the matrix holds with `gap` as its gap filter ("" for none)."""
        return self.gaps[gap] if gap else self.requirements


def matrix_summary(program: Program, scoped: QuerySet) -> Summary:
    """Every count of the tiles and the gap filter, in one query: the database counts the rows
    of `gap_codes` by coverage code, blocking defect and status (a few hundred groups at most),
    and the groups are added up here."""
    sql, params = gap_codes(program, scoped)
    count = "SELECT coverage, blocking_defect, status, COUNT(*) FROM ({}) AS codes GROUP BY 1, 2, 3"
    with connection.cursor() as cursor:
        cursor.execute(count.format(sql), params)
        groups = cursor.fetchall()
    requirements = with_tests = passing = accepted = 0
    gaps = dict.fromkeys(GAP_BY_KEY, 0)
    for coverage, blocking_defect, status, rows in groups:
        requirements += rows
        with_tests += rows if coverage is not None else 0
        passing += rows if coverage is not None and coverage < FAILING else 0
        accepted += rows if status == RequirementStatus.ACCEPTED else 0
        flags = flags_of(coverage, blocking_defect, status)
        for name, flagged in flags.items():
            gaps[name] += rows if flagged else 0
        gaps["covered"] += 0 if any(flags.values()) else rows
    return Summary(
        requirements=requirements,
        with_tests=with_tests,
        passing=passing,
        accepted=accepted,
        gaps=gaps,
    )


# ---------------------------------------------------------------------------------------------
# Rows and what they link to
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Link:
    """Something a row links to: a deliverable, case, defect, change request or release."""

    key: str
    title: str
    state: str = ""  # a case's latest result, a CR's or a defect's status
    state_label: str = ""
    severity: int | None = None
    at: Any = None  # a case's latest run
    url: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity is not None and self.severity <= BLOCKING_SEVERITY


@dataclass(slots=True)
class Row:
    pk: int
    key: str
    title: str
    priority: str
    status: str
    workstream: str
    deliverables: list[Link] = field(default_factory=list)
    cases: list[Link] = field(default_factory=list)
    defects: list[Link] = field(default_factory=list)
    change_requests: list[Link] = field(default_factory=list)
    releases: list[Link] = field(default_factory=list)
    url: str | None = None

    @property
    def priority_label(self) -> str:
        return PRIORITY_LABELS.get(self.priority, self.priority)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "secondary")

    @property
    def flags(self) -> dict[str, bool]:
        """The row's gap flags, from what it shows (as `gap_codes` computes them)."""
        states = [case.state for case in self.cases]
        return {
            "no_test": not states,
            "failing": any(state in FAILING_RESULTS for state in states),
            "not_run": RunResult.NOT_RUN in states,
            "blocking_defect": any(defect.blocking for defect in self.defects),
            "unaccepted": self.status not in SETTLED_STATUSES,
        }

    @property
    def gaps(self) -> list[Gap]:
        found = [GAP_BY_KEY[name] for name in GAP_FLAGS if self.flags[name]]
        return found or [GAP_BY_KEY["covered"]]

    @property
    def gap_keys(self) -> list[str]:
        return [gap.key for gap in self.gaps]


ROW_FIELDS = ("pk", "number", "key", "title", "priority", "status", "workstream__name")

CASE_FIELDS = (
    "requirement_id", "testcase_id", "testcase__key", "testcase__title", "testcase__status",
    "latest", "latest_at",
)  # fmt: skip
CR_FIELDS = (
    "requirement_id",
    "changerequest__key",
    "changerequest__title",
    "changerequest__status",
)


def _row(values: dict[str, Any]) -> Row:
    return Row(
        pk=values["pk"],
        key=values["key"],
        title=values["title"],
        priority=values["priority"],
        status=values["status"],
        workstream=values["workstream__name"] or "",
    )


def attach_links(
    program: Program, rows: list[Row], *, span: tuple[int, int] | None = None
) -> list[Row]:
    """Fill each row's deliverables, cases (with latest results), open defects, change requests
    and releases: five queries for any number of rows. `span`, the first and last key number
    of the rows (the export's chunks), reads the links by number range rather than by a long
    list of ids; links of requirements in the range but not in `rows` are skipped."""
    if not rows:
        return rows
    by_pk = {row.pk: row for row in rows}
    if span is None:
        scope = Q(requirement_id__in=list(by_pk))
    else:
        scope = Q(requirement__program=program, requirement__number__range=span)

    def links(model) -> QuerySet:
        return model.objects.filter(scope)

    for requirement_id, key, name in (
        links(DeliverableLink)
        .order_by("item__outline_path", "item_id")
        .values_list("requirement_id", "item__key", "item__name")
    ):
        if requirement_id in by_pk:
            by_pk[requirement_id].deliverables.append(Link(key, name))

    # every linked case, retired ones too: their open defects still count against the row
    via_case: dict[int, set[int]] = {}
    latest = CycleCase.objects.filter(case_id=OuterRef("testcase_id"), last_run_at__isnull=False)
    latest = latest.order_by("-last_run_at", "-pk")  # as GAP_CODES_SQL
    for requirement_id, case_id, key, title, case_status, result, at in (
        links(CaseLink)
        .annotate(
            latest=Subquery(latest.values("last_result")[:1]),
            latest_at=Subquery(latest.values("last_run_at")[:1]),
        )
        .order_by("testcase__number")
        .values_list(*CASE_FIELDS)
    ):
        if requirement_id not in by_pk:
            continue
        via_case.setdefault(case_id, set()).add(requirement_id)
        if case_status != TestCaseStatus.RETIRED:
            by_pk[requirement_id].cases.append(
                Link(
                    key,
                    title,
                    state=result or RunResult.NOT_RUN,
                    state_label=RESULT_LABELS[result],
                    at=at,
                )
            )

    # open defects against the requirement itself or any of its cases, once per row
    for key, title, status, severity, requirement_id, case_id in (
        _open_defects()
        .filter(program=program)
        .filter(scope | Q(test_case_id__in=links(CaseLink).values("testcase_id")))
        .order_by("severity", "number")
        .values_list("key", "title", "status", "severity", "requirement_id", "test_case_id")
    ):
        targets = set(via_case.get(case_id, ()))
        if requirement_id in by_pk:
            targets.add(requirement_id)
        for target in sorted(targets):
            by_pk[target].defects.append(
                Link(
                    key,
                    title,
                    state=status,
                    state_label=SEVERITY_LABELS.get(severity, str(severity)),
                    severity=severity,
                )
            )

    for requirement_id, key, title, status in (
        links(ChangeLink).order_by("changerequest_id").values_list(*CR_FIELDS)
    ):
        if requirement_id in by_pk:
            by_pk[requirement_id].change_requests.append(
                Link(
                    key, title, state=status, state_label=str(CR_STATUS_LABELS.get(status, status))
                )
            )

    for requirement_id, key, label, name in (
        links(ScopeLink)
        .order_by("release__planned_date", "release__number")
        .values_list("requirement_id", "release__key", "release__version_label", "release__name")
    ):
        if requirement_id in by_pk:
            by_pk[requirement_id].releases.append(Link(key, name or label, state=label))
    return rows


# ---------------------------------------------------------------------------------------------
# The page, and every row for the exports
# ---------------------------------------------------------------------------------------------


def _without_jit() -> None:
    """PostgreSQL's JIT compiles a query for longer than these run (tens of ms). The set-wise
    counting query is estimated at ~3,000 at 2,000 requirements, under `jit_above_cost`
    (100,000), but a program ~30 times larger would cross it. Off for the request's transaction."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


@dataclass
class Matrix:
    filters: MatrixFilters
    summary: Summary
    page: Page

    @property
    def rows(self) -> list[Row]:
        return list(self.page.object_list)


def matrix_page(
    program: Program,
    filters: MatrixFilters,
    *,
    page: Any = None,
    per_page: int = PAGE_SIZE,
    strict: bool = False,
) -> Matrix:
    """One page of the matrix and the counts of its scope: seven queries whatever the size
    (eight on PostgreSQL). A page number out of range gives the nearest page, or raises
    InvalidPage when `strict`."""
    _without_jit()
    scoped = scoped_rows(program, filters)
    summary = matrix_summary(program, scoped)
    queryset = scoped.filter(gap_condition(program, scoped, filters.gap)) if filters.gap else scoped
    paginator = Paginator(queryset.order_by("number").values(*ROW_FIELDS), per_page)
    paginator.count = summary.count(filters.gap)  # a cached_property: saves the COUNT query
    page_obj = paginator.page(page or 1) if strict else paginator.get_page(page)
    page_obj.object_list = attach_links(program, [_row(values) for values in page_obj.object_list])
    return Matrix(filters=filters, summary=summary, page=page_obj)


def iter_matrix(
    program: Program, filters: MatrixFilters, *, chunk: int = EXPORT_CHUNK
) -> Iterator[Row]:
    """Every row under the filters, in key order, read `chunk` requirements at a time (by key
    number), each chunk in a short transaction of its own: a streamed export holds neither a
    cursor nor a transaction open while the client reads."""
    queryset = filtered_rows(program, filters).values(*ROW_FIELDS)
    last = 0
    while True:
        with transaction.atomic():
            _without_jit()
            values = list(queryset.filter(number__gt=last)[:chunk])
            span = (values[0]["number"], values[-1]["number"]) if values else None
            rows = attach_links(program, [_row(v) for v in values], span=span)
        yield from rows
        if len(values) < chunk:
            return
        last = values[-1]["number"]
