"""The traceability matrix's selector: each gap appears and disappears with the data, the latest
result across cycles, the links of a row, the filters, and a query count that does not grow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.tests.factories_changes import make_cr
from programs.tests.factories import ProgramFactory, WorkstreamFactory
from releases.models import OPEN_DEFECT_STATUSES, Requirement
from releases.selectors import traceability as selectors
from releases.tests import factories
from releases.tests.traceability_factories import full_requirement, many_requirements, setting
from schedules.models import ItemKind
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def matrix(program, **params):
    filters, errors = selectors.parse_filters(program, params)
    assert errors == {}
    return selectors.matrix_page(program, filters)


def row_of(program, requirement, **params) -> selectors.Row:
    (row,) = [r for r in matrix(program, **params).rows if r.key == requirement.key]
    return row


def gaps_of(program, requirement) -> list[str]:
    return row_of(program, requirement).gap_keys


def hours_ago(n: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=n)


# ---------------------------------------------------------------------------------------------
# Gaps appear and disappear
# ---------------------------------------------------------------------------------------------


def test_a_requirement_without_a_case_has_no_test_and_is_unaccepted(program):
    requirement = factories.make_requirement(program)
    assert gaps_of(program, requirement) == ["no_test", "unaccepted"]


def test_a_case_never_run_is_not_run_until_a_run_passes(program):
    requirement = factories.make_requirement(program)
    case = factories.make_case(program, requirements=[requirement])
    assert gaps_of(program, requirement) == ["not_run", "unaccepted"]
    assert row_of(program, requirement).cases[0].state == "not_run"

    planned = factories.plan_case(factories.make_cycle(program), case)
    assert gaps_of(program, requirement) == ["not_run", "unaccepted"]  # planned, not run yet

    factories.record_run(planned, "pass")
    assert gaps_of(program, requirement) == ["unaccepted"]
    assert row_of(program, requirement).cases[0].state == "pass"


def test_a_run_recorded_as_not_run_keeps_the_case_not_run(program):
    requirement = factories.make_requirement(program)
    case = factories.make_case(program, requirements=[requirement])
    factories.record_run(factories.plan_case(factories.make_cycle(program), case), "not_run")
    assert "not_run" in gaps_of(program, requirement)


def test_a_failing_case_then_a_passing_retest_clears_failing_test(program):
    requirement = factories.make_requirement(program)
    case = factories.make_case(program, requirements=[requirement])
    sit, uat = factories.make_cycle(program), factories.make_cycle(program)
    factories.record_run(factories.plan_case(sit, case), "fail", at=hours_ago(5))
    assert gaps_of(program, requirement) == ["failing", "unaccepted"]

    factories.record_run(factories.plan_case(uat, case), "pass", at=hours_ago(1))
    row = row_of(program, requirement)
    assert row.gap_keys == ["unaccepted"]
    assert row.cases[0].state == "pass"


def test_the_latest_result_is_the_most_recent_run_in_any_cycle_not_the_last_cycle(program):
    requirement = factories.make_requirement(program)
    case = factories.make_case(program, requirements=[requirement])
    sit, uat = factories.make_cycle(program), factories.make_cycle(program)
    factories.record_run(factories.plan_case(uat, case), "pass", at=hours_ago(10))
    # the earlier cycle ran it again later, and it failed
    factories.record_run(factories.plan_case(sit, case), "fail", at=hours_ago(2))
    assert row_of(program, requirement).cases[0].state == "fail"
    assert "failing" in gaps_of(program, requirement)


def test_a_blocked_result_counts_as_failing(program):
    requirement = factories.make_requirement(program)
    case = factories.make_case(program, requirements=[requirement])
    factories.record_run(factories.plan_case(factories.make_cycle(program), case), "blocked")
    assert "failing" in gaps_of(program, requirement)


def test_one_failing_case_among_passing_ones_flags_the_requirement(program):
    requirement = factories.make_requirement(program)
    cycle = factories.make_cycle(program)
    for result in ("pass", "fail", "pass"):
        case = factories.make_case(program, requirements=[requirement])
        factories.record_run(factories.plan_case(cycle, case), result)
    row = row_of(program, requirement)
    assert [c.state for c in row.cases] == ["pass", "fail", "pass"]
    assert row.gap_keys == ["failing", "unaccepted"]


def test_closing_the_blocking_defect_clears_open_blocking_defect(program):
    requirement = factories.make_requirement(program)
    defect = factories.make_defect(program, requirement=requirement, severity=1)
    assert "blocking_defect" in gaps_of(program, requirement)

    factories.set_state(defect, status="closed")
    assert "blocking_defect" not in gaps_of(program, requirement)
    assert row_of(program, requirement).defects == []


@pytest.mark.parametrize(("severity", "blocking"), [(1, True), (2, True), (3, False), (4, False)])
def test_only_severity_1_and_2_block(program, severity, blocking):
    requirement = factories.make_requirement(program)
    factories.make_defect(program, requirement=requirement, severity=severity)
    assert ("blocking_defect" in gaps_of(program, requirement)) is blocking
    (defect,) = row_of(program, requirement).defects
    assert defect.severity == severity and defect.blocking is blocking


@pytest.mark.parametrize("status", ["new", "triaged", "in_progress", "fixed", "retest", "reopened"])
def test_every_open_status_blocks(program, status):
    requirement = factories.make_requirement(program)
    defect = factories.make_defect(program, requirement=requirement, severity=2)
    factories.set_state(defect, status=status)
    assert "blocking_defect" in gaps_of(program, requirement)


@pytest.mark.parametrize("status", ["closed", "rejected", "deferred"])
def test_closed_rejected_and_deferred_defects_do_not_block(program, status):
    requirement = factories.make_requirement(program)
    defect = factories.make_defect(program, requirement=requirement, severity=1)
    factories.set_state(defect, status=status)
    assert "blocking_defect" not in gaps_of(program, requirement)


def test_a_defect_on_one_of_its_cases_blocks_the_requirement(program):
    requirement = factories.make_requirement(program)
    other = factories.make_requirement(program)
    case = factories.make_case(program, requirements=[requirement, other])
    defect = factories.make_defect(program, test_case=case, severity=2)
    for each in (requirement, other):
        assert "blocking_defect" in gaps_of(program, each)
        assert [d.key for d in row_of(program, each).defects] == [defect.key]


def test_a_defect_against_the_requirement_and_its_case_is_listed_once(program):
    requirement = factories.make_requirement(program)
    case = factories.make_case(program, requirements=[requirement])
    defect = factories.make_defect(program, requirement=requirement, test_case=case)
    assert [d.key for d in row_of(program, requirement).defects] == [defect.key]


def test_accepting_clears_unaccepted_and_a_fully_covered_requirement_says_so(program):
    requirement = factories.make_requirement(program)
    case = factories.make_case(program, requirements=[requirement])
    factories.record_run(factories.plan_case(factories.make_cycle(program), case), "pass")
    assert gaps_of(program, requirement) == ["unaccepted"]

    factories.set_state(requirement, status="accepted")
    assert gaps_of(program, requirement) == ["covered"]


@pytest.mark.parametrize(
    ("status", "unaccepted"),
    [("proposed", True), ("approved", True), ("in_delivery", True), ("verified", True),
     ("accepted", False), ("rejected", False), ("deferred", False)],
)  # fmt: skip
def test_unaccepted_is_every_status_but_accepted_rejected_and_deferred(program, status, unaccepted):
    requirement = factories.make_requirement(program)
    factories.set_state(requirement, status=status)
    assert ("unaccepted" in gaps_of(program, requirement)) is unaccepted


def test_a_retired_case_no_longer_counts_or_shows(program):
    requirement = factories.make_requirement(program)
    case = factories.make_case(program, requirements=[requirement])
    factories.record_run(factories.plan_case(factories.make_cycle(program), case), "fail")
    assert "failing" in gaps_of(program, requirement)

    factories.set_state(case, status="retired")
    row = row_of(program, requirement)
    assert row.cases == []
    assert row.gap_keys == ["no_test", "unaccepted"]


# ---------------------------------------------------------------------------------------------
# What a row links to, and the counts
# ---------------------------------------------------------------------------------------------


def test_a_row_lists_its_deliverables_change_requests_and_releases(program, manager):
    requirement = factories.make_requirement(program)
    item = ItemFactory(program=program, name="Finance design", kind=ItemKind.DELIVERABLE)
    requirement.deliverables.add(item)
    change = make_cr(program, manager, title="Add Brno")
    requirement.change_requests.add(change)
    release = factories.make_release(program, version_label="1.0", name="Wave 1")
    release.requirements.add(requirement)

    row = row_of(program, requirement)
    assert [(d.key, d.title) for d in row.deliverables] == [(item.key, "Finance design")]
    assert [(c.key, c.title, c.state) for c in row.change_requests] == [
        (change.key, "Add Brno", "draft")
    ]
    assert [(r.key, r.state, r.title) for r in row.releases] == [(release.key, "1.0", "Wave 1")]


def test_the_summary_counts_the_whole_scope_in_the_database(program):
    cycle = factories.make_cycle(program)
    untested = factories.make_requirement(program)
    passing = factories.make_requirement(program)
    factories.record_run(
        factories.plan_case(cycle, factories.make_case(program, requirements=[passing])), "pass"
    )
    failing = factories.make_requirement(program)
    factories.record_run(
        factories.plan_case(cycle, factories.make_case(program, requirements=[failing])), "fail"
    )
    accepted = factories.make_requirement(program)
    factories.record_run(
        factories.plan_case(cycle, factories.make_case(program, requirements=[accepted])), "pass"
    )
    factories.set_state(accepted, status="accepted")
    factories.make_defect(program, requirement=untested, severity=1)

    summary = matrix(program).summary
    assert summary.requirements == 4
    assert summary.with_tests == 3
    assert summary.passing == 2
    assert summary.accepted == 1
    assert summary.gaps == {
        "no_test": 1, "failing": 1, "not_run": 0, "blocking_defect": 1, "unaccepted": 3,
        "covered": 1,
    }  # fmt: skip
    assert summary.coverage_percent == 75
    assert summary.passing_percent == 50


def test_the_summary_of_an_empty_program_has_no_percentages(program):
    summary = matrix(program).summary
    assert summary.requirements == 0
    assert summary.coverage_percent is None and summary.passing_percent is None


def test_other_programs_rows_never_appear(program):
    mine = factories.make_requirement(program)
    factories.make_requirement(ProgramFactory())
    assert [r.key for r in matrix(program).rows] == [mine.key]


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def mixed(program):
    """Three requirements, one per shape: untested, failing (Should, in a workstream and the
    release) and accepted and passing."""
    workstream = WorkstreamFactory(program=program, name="Finance")
    release = factories.make_release(program, version_label="1.0")
    cycle = factories.make_cycle(program)
    untested = factories.make_requirement(program, title="Bank statement import")
    failing = factories.make_requirement(
        program, title="Three-way match", priority="should", workstream=workstream
    )
    failing_case = factories.make_case(program, requirements=[failing])
    factories.record_run(factories.plan_case(cycle, failing_case), "fail")
    release.requirements.add(failing)
    accepted = factories.make_requirement(program, title="Dunning letters")
    factories.record_run(
        factories.plan_case(cycle, factories.make_case(program, requirements=[accepted])), "pass"
    )
    factories.set_state(accepted, status="accepted")
    return {
        "untested": untested, "failing": failing, "accepted": accepted, "case": failing_case,
        "workstream": workstream, "release": release,
    }  # fmt: skip


def keys(program, **params) -> list[str]:
    return [row.key for row in matrix(program, **params).rows]


def test_filter_by_gap(program, mixed):
    assert keys(program, gap="no_test") == [mixed["untested"].key]
    assert keys(program, gap="failing") == [mixed["failing"].key]
    assert keys(program, gap="covered") == [mixed["accepted"].key]
    assert keys(program, gap="unaccepted") == [mixed["untested"].key, mixed["failing"].key]
    assert keys(program, gap="blocking_defect") == []


def test_the_gap_filter_leaves_the_summary_to_the_other_filters(program, mixed):
    result = matrix(program, gap="failing")
    assert result.summary.requirements == 3
    assert result.page.paginator.count == 1


def test_filter_by_status_priority_workstream_and_release(program, mixed):
    assert keys(program, status="accepted") == [mixed["accepted"].key]
    assert keys(program, priority="should") == [mixed["failing"].key]
    assert keys(program, workstream=mixed["workstream"].key) == [mixed["failing"].key]
    assert keys(program, workstream=str(mixed["workstream"].pk)) == [mixed["failing"].key]
    assert keys(program, release=mixed["release"].key.lower()) == [mixed["failing"].key]


def test_search_title_key_and_linked_keys(program, mixed, manager):
    assert keys(program, q="three-WAY") == [mixed["failing"].key]
    assert keys(program, q=mixed["accepted"].key.lower()) == [mixed["accepted"].key]
    assert keys(program, q=mixed["case"].key) == [mixed["failing"].key]
    defect = factories.make_defect(program, test_case=mixed["case"])
    assert keys(program, q=defect.key) == [mixed["failing"].key]
    change = make_cr(program, manager)
    mixed["untested"].change_requests.add(change)
    assert keys(program, q=change.key) == [mixed["untested"].key]
    item = ItemFactory(program=program, kind=ItemKind.DELIVERABLE)
    mixed["accepted"].deliverables.add(item)
    assert keys(program, q=item.key) == [mixed["accepted"].key]
    assert keys(program, q="nothing like this") == []


def test_filters_combine(program, mixed):
    assert keys(program, gap="failing", priority="must") == []
    assert keys(program, gap="failing", release=mixed["release"].key) == [mixed["failing"].key]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"gap": "broken"}, "gap"),
        ({"status": "done"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"workstream": "WS-999"}, "workstream"),
        ({"release": "REL-999"}, "release"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_filters_are_reported_and_left_out(program, mixed, params, field):
    filters, errors = selectors.parse_filters(program, params)
    assert list(errors) == [field]
    assert filters == selectors.MatrixFilters()


def test_another_programs_workstream_or_release_is_not_a_filter(program, mixed):
    other = ProgramFactory()
    workstream = WorkstreamFactory(program=other)
    release = factories.make_release(other)
    # keys are per program (its WS-1 is another row): their ids name them
    _, errors = selectors.parse_filters(
        program, {"workstream": str(workstream.pk), "release": str(release.pk)}
    )
    assert set(errors) == {"workstream", "release"}


def test_filters_describe_and_round_trip(program, mixed):
    filters, _ = selectors.parse_filters(
        program, {"gap": "failing", "release": mixed["release"].key, "q": " match "}
    )
    assert filters.as_query() == {"q": "match", "gap": "failing", "release": mixed["release"].key}
    assert filters.describe() == "release 1.0; gap Failing test; search “match”"
    assert selectors.MatrixFilters().describe() == "none: every requirement"


def test_paging_by_fifty(program):
    for _ in range(53):
        factories.make_requirement(program)
    filters = selectors.MatrixFilters()
    first = selectors.matrix_page(program, filters)
    second = selectors.matrix_page(program, filters, page=2)
    assert len(first.rows) == 50 and len(second.rows) == 3
    assert first.page.paginator.num_pages == 2
    assert selectors.matrix_page(program, filters, page=99).page.number == 2


def test_the_export_rows_are_every_row_in_key_order_across_chunks(program, mixed):
    rows = list(selectors.iter_matrix(program, selectors.MatrixFilters(), chunk=2))
    assert [r.key for r in rows] == [
        mixed["untested"].key, mixed["failing"].key, mixed["accepted"].key
    ]  # fmt: skip
    assert rows[1].gap_keys == ["failing", "unaccepted"]


# ---------------------------------------------------------------------------------------------
# The SQL against a plain computation
# ---------------------------------------------------------------------------------------------


def expected_flags(requirement) -> dict[str, bool]:
    """A requirement's gap flags computed in Python from its rows: each live case's latest
    result is that of its cycle case run last; open defects of severity 1 or 2 on the
    requirement or on any linked case (retired ones too) block."""

    def latest(case) -> str | None:
        runs = [cc for cc in case.cycle_cases.all() if cc.last_run_at is not None]
        return max(runs, key=lambda cc: (cc.last_run_at, cc.pk)).last_result if runs else None

    cases = list(requirement.test_cases.all())
    results = [latest(case) for case in cases if case.status != "retired"]
    defects = [*requirement.defects.all(), *(d for case in cases for d in case.defects.all())]
    return {
        "no_test": not results,
        "failing": any(result in ("fail", "blocked") for result in results),
        "not_run": any(result in (None, "not_run") for result in results),
        "blocking_defect": any(
            d.status in OPEN_DEFECT_STATUSES and d.severity <= 2 for d in defects
        ),
        "unaccepted": requirement.status not in ("accepted", "rejected", "deferred"),
    }


def test_the_sql_gaps_match_a_plain_computation(program):
    where = setting(program)

    def case_of(requirement, *runs):
        case = factories.make_case(program, requirements=[requirement])
        for cycle, result, hours in runs:
            factories.record_run(factories.plan_case(cycle, case), result, at=hours_ago(hours))
        return case

    retired = factories.make_requirement(program, title="Its failing case was retired")
    case_of(retired, (where.cycle_1, "pass", 3))
    factories.set_state(case_of(retired, (where.cycle_1, "fail", 2)), status="retired")
    retested = factories.make_requirement(program, title="Failed in SIT, passed in UAT")
    case_of(retested, (where.cycle_1, "fail", 5), (where.cycle_2, "pass", 1))
    never_run = factories.make_requirement(program, title="One case never run")
    case_of(never_run, (where.cycle_1, "pass", 1))
    factories.plan_case(where.cycle_2, case_of(never_run))  # planned, never run
    on_case = factories.make_requirement(program, title="Open severity 2 on its case")
    factories.make_defect(
        program, test_case=case_of(on_case, (where.cycle_2, "pass", 1)), severity=2
    )
    closed = factories.make_requirement(program, title="Closed severity 1, accepted")
    defect = factories.make_defect(
        program, test_case=case_of(closed, (where.cycle_2, "pass", 1)), severity=1
    )
    factories.set_state(defect, status="closed")
    factories.set_state(closed, status="accepted")
    untested = factories.make_requirement(program, title="No case")
    full = full_requirement(program, where, 1)
    requirements = [retired, retested, never_run, on_case, closed, untested, full]

    expected = {r.key: expected_flags(r) for r in requirements}
    gaps = {key: [name for name, on in flags.items() if on] for key, flags in expected.items()}
    assert gaps == {
        retired.key: ["unaccepted"],
        retested.key: ["unaccepted"],
        never_run.key: ["not_run", "unaccepted"],
        on_case.key: ["blocking_defect", "unaccepted"],
        closed.key: [],
        untested.key: ["no_test", "unaccepted"],
        full.key: ["failing", "blocking_defect", "unaccepted"],
    }
    # the codes the database computes, the rows of a page, each gap filter and the counts
    sql, params = selectors.gap_codes(program, Requirement.objects.filter(program=program))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        codes = {pk: selectors.flags_of(c, b, status) for pk, status, c, b in cursor.fetchall()}
    assert {r.key: codes[r.pk] for r in requirements} == expected
    result = matrix(program)
    assert {row.key: row.flags for row in result.rows} == expected
    for gap in selectors.GAP_BY_KEY:
        having = [
            key
            for key, names in gaps.items()
            if (names == [] if gap == "covered" else gap in names)
        ]
        assert keys(program, gap=gap) == having, gap
        assert result.summary.gaps[gap] == len(having), gap


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------


def queries_of_a_page(program, **params) -> int:
    filters, _ = selectors.parse_filters(program, params)
    with CaptureQueriesContext(connection) as ctx:
        result = selectors.matrix_page(program, filters)
        assert result.rows
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_rows():
    small, large = ProgramFactory(), ProgramFactory()
    many_requirements(small, 5)
    many_requirements(large, 40)
    for params in ({}, {"gap": "failing"}, {"q": "Requirement"}):
        # seven, and `SET LOCAL jit = off` on PostgreSQL
        assert queries_of_a_page(small, **params) == queries_of_a_page(large, **params) == 8
    rows = selectors.matrix_page(large, selectors.MatrixFilters()).rows
    assert len(rows) == 40
    assert all(len(r.cases) == 3 and len(r.defects) == 2 for r in rows)
    assert all(r.gap_keys == ["failing", "blocking_defect", "unaccepted"] for r in rows)
