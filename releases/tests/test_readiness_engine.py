"""releases/readiness.py on its own: every kind of criterion met and not met, at its
boundaries, with the evidence line and the links it gives. No database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from releases.readiness import (
    BacklogFact,
    CaseFact,
    Criterion,
    DefectFact,
    Facts,
    Link,
    RequirementFact,
    RollbackFact,
    SignoffFact,
    default_label,
    evaluate,
    evaluate_one,
    rate_text,
)


def _uat(passed: int, failed: int = 0, blocked: int = 0, not_run: int = 0, kind="uat"):
    results = ["pass"] * passed + ["fail"] * failed + ["blocked"] * blocked
    results += ["not_run"] * not_run
    return tuple(
        CaseFact("CYC-2", kind, f"TC-{n}", result) for n, result in enumerate(results, start=1)
    )


PASS_95 = Criterion(kind="pass_rate", threshold=Decimal("95.00"), cycle_kind="uat")


# --- no open defects ------------------------------------------------------------------------


def test_no_open_defects_is_met_without_any():
    result = evaluate_one(Criterion(kind="no_open_defects", severity=1), Facts())

    assert (result.met, result.evidence, result.links) == (True, "No open severity-1 defects", ())
    assert result.label == "No open severity-1 defects"


def test_open_severity_1_defects_are_named_in_key_order():
    facts = Facts(open_defects=(DefectFact("DEF-9", 1), DefectFact("DEF-3", 1)))

    result = evaluate_one(Criterion(kind="no_open_defects", severity=1), facts)

    assert not result.met
    assert result.evidence == "2 open severity-1 defects: DEF-3, DEF-9"
    assert result.links == (Link("defect", "DEF-3"), Link("defect", "DEF-9"))


def test_a_severity_2_defect_does_not_fail_a_severity_1_criterion():
    facts = Facts(open_defects=(DefectFact("DEF-4", 2),))

    assert evaluate_one(Criterion(kind="no_open_defects", severity=1), facts).met


def test_a_severity_2_criterion_counts_severity_1_and_2_worst_first():
    facts = Facts(
        open_defects=(DefectFact("DEF-4", 2), DefectFact("DEF-5", 3), DefectFact("DEF-7", 1))
    )
    criterion = Criterion(kind="no_open_defects", severity=2)

    result = evaluate_one(criterion, facts)

    assert result.evidence == "2 open severity 1–2 defects: DEF-7, DEF-4"  # noqa: RUF001
    assert default_label(criterion) == "No open defects of severity 1–2"  # noqa: RUF001


def test_long_key_lists_are_shortened_but_every_key_is_linked():
    facts = Facts(open_defects=tuple(DefectFact(f"DEF-{n}", 1) for n in range(1, 13)))

    result = evaluate_one(Criterion(kind="no_open_defects", severity=1), facts)

    assert result.evidence.endswith("DEF-10 and 2 more")
    assert result.evidence.startswith("12 open severity-1 defects: DEF-1, DEF-2,")
    assert len(result.links) == 12


# --- pass rate ------------------------------------------------------------------------------


def test_exactly_95_percent_meets_95():
    result = evaluate_one(PASS_95, Facts(cases=_uat(passed=19, failed=1)))

    assert result.met
    assert result.evidence == "UAT pass rate 95.0 % (19 of 20 executed) ≥ 95 %"
    assert result.links == (Link("cycle", "CYC-2"),)


def test_94_99_percent_fails_95_and_is_not_shown_as_95():
    # 9499 of 10000 = 94.99 %
    result = evaluate_one(PASS_95, Facts(cases=_uat(passed=9499, failed=501)))

    assert not result.met
    assert result.evidence == "UAT pass rate 94.99 % (9499 of 10000 executed) < 95 %"


def test_a_rate_just_under_the_threshold_is_shown_below_it():
    # 1899 of 1999 = 94.997... %: one decimal would say 95.0
    result = evaluate_one(PASS_95, Facts(cases=_uat(passed=1899, failed=100)))

    assert not result.met
    assert "94.99 %" in result.evidence


def test_the_example_of_the_issue():
    result = evaluate_one(PASS_95, Facts(cases=_uat(passed=55, failed=5)))

    assert result.evidence == "UAT pass rate 91.7 % (55 of 60 executed) < 95 %"


def test_zero_executed_fails_with_no_uat_run_executed():
    result = evaluate_one(PASS_95, Facts(cases=_uat(passed=0, not_run=12)))

    assert not result.met
    assert result.evidence == "No UAT run executed (12 cases planned)"


def test_no_cycle_of_the_kind_fails():
    result = evaluate_one(PASS_95, Facts(cases=_uat(passed=10, kind="integration")))

    assert not result.met
    assert result.evidence == "No UAT cases planned for this release"


def test_blocked_runs_count_as_executed_and_not_passed_and_not_run_is_mentioned():
    result = evaluate_one(PASS_95, Facts(cases=_uat(passed=18, blocked=2, not_run=3)))

    assert not result.met
    assert result.evidence == "UAT pass rate 90.0 % (18 of 20 executed) < 95 %; 3 not run"


def test_a_100_percent_threshold_needs_every_executed_case_to_pass():
    criterion = Criterion(kind="pass_rate", threshold=Decimal("100"), cycle_kind="integration")
    facts = Facts(cases=_uat(passed=10, kind="integration"))

    assert evaluate_one(criterion, facts).met
    assert default_label(criterion) == "Integration test pass rate ≥ 100 %"
    failed = Facts(cases=_uat(passed=99, failed=1, kind="integration"))
    assert not evaluate_one(criterion, failed).met


@pytest.mark.parametrize(
    ("passed", "executed", "threshold", "text"),
    [
        (2, 3, None, "66.7 %"),
        (1, 8, None, "12.5 %"),
        (19, 20, Decimal("95"), "95.0 %"),
        (9499, 10000, Decimal("95"), "94.99 %"),
        (9501, 10000, Decimal("95"), "95.0 %"),
        (0, 5, Decimal("95"), "0.0 %"),
    ],
)
def test_rate_text(passed, executed, threshold, text):
    assert rate_text(passed, executed, threshold) == text


# --- requirements ---------------------------------------------------------------------------

MUST = Criterion(kind="requirements_verified", priority="must")


def test_all_must_requirements_verified_or_accepted_meets():
    facts = Facts(
        requirements=(
            RequirementFact("REQ-1", "must", "verified"),
            RequirementFact("REQ-2", "must", "accepted"),
            RequirementFact("REQ-3", "should", "approved"),
        )
    )

    result = evaluate_one(MUST, facts)

    assert (result.met, result.evidence) == (True, "Must requirements verified: 2 of 2")
    assert result.label == "All Must requirements verified"


def test_unverified_must_requirements_are_named():
    facts = Facts(
        requirements=(
            *(RequirementFact(f"REQ-{n}", "must", "verified") for n in range(40, 80)),
            RequirementFact("REQ-30", "must", "in_delivery"),
            RequirementFact("REQ-7", "must", "approved"),
            RequirementFact("REQ-12", "must", "proposed"),
        )
    )

    result = evaluate_one(MUST, facts)

    assert not result.met
    assert result.evidence == (
        "Must requirements verified: 40 of 43; not verified: REQ-7, REQ-12, REQ-30"
    )
    assert [link.key for link in result.links] == ["REQ-7", "REQ-12", "REQ-30"]


def test_deferred_and_rejected_requirements_are_out_of_the_count():
    facts = Facts(
        requirements=(
            RequirementFact("REQ-1", "must", "verified"),
            RequirementFact("REQ-2", "must", "deferred"),
            RequirementFact("REQ-3", "must", "rejected"),
        )
    )

    assert evaluate_one(MUST, facts).evidence == "Must requirements verified: 1 of 1"


def test_no_must_requirement_in_scope_meets_and_says_so():
    result = evaluate_one(MUST, Facts(requirements=(RequirementFact("REQ-1", "could", "new"),)))

    assert (result.met, result.evidence) == (True, "No Must requirements in scope")


# --- tests executed, backlog ----------------------------------------------------------------


def test_tests_executed_needs_every_planned_case_run():
    criterion = Criterion(kind="tests_executed")

    assert evaluate_one(criterion, Facts(cases=_uat(passed=3, failed=1))).met
    result = evaluate_one(criterion, Facts(cases=_uat(passed=3, not_run=2)))
    assert (result.met, result.evidence) == (False, "Tests executed: 3 of 5; not run: TC-4, TC-5")
    none = evaluate_one(criterion, Facts())
    assert (none.met, none.evidence) == (False, "No tests planned for this release")


def test_backlog_done_ignores_removed_items():
    criterion = Criterion(kind="backlog_done")
    facts = Facts(
        backlog=(
            BacklogFact("PBI-1", "done"),
            BacklogFact("PBI-2", "removed"),
            BacklogFact("PBI-3", "in_progress"),
        )
    )

    result = evaluate_one(criterion, facts)

    assert (result.met, result.evidence) == (False, "Backlog items done: 1 of 2; open: PBI-3")
    assert evaluate_one(criterion, Facts()).evidence == "No backlog items in scope"
    assert evaluate_one(criterion, Facts()).met


# --- sign-offs, rollback, manual ------------------------------------------------------------


def test_sign_offs_all_given_meet_and_pending_ones_are_named():
    criterion = Criterion(kind="signoffs")
    given = Facts(signoffs=(SignoffFact("Business owner", "Erin Exec", True),))
    pending = Facts(
        signoffs=(
            SignoffFact("Business owner", "Erin Exec", True),
            SignoffFact("Finance", "Fiona Finance", False),
            SignoffFact("IT operations", "Kenji Tanaka", False),
        )
    )

    assert evaluate_one(criterion, given).evidence == "Sign-offs collected: 1 of 1"
    result = evaluate_one(criterion, pending)
    assert not result.met
    assert result.evidence == (
        "Sign-offs collected: 1 of 3; pending: Finance (Fiona Finance); "
        "IT operations (Kenji Tanaka)"
    )


def test_no_sign_off_asked_for_fails():
    result = evaluate_one(Criterion(kind="signoffs"), Facts())

    assert (result.met, result.evidence) == (False, "No sign-offs asked for yet")


@pytest.mark.parametrize(
    ("plan", "met", "evidence"),
    [
        (None, False, "No rollback plan"),
        (RollbackFact("draft", 0), False, "Rollback plan is a draft (0 steps), not approved"),
        (
            RollbackFact("approved", 6, "Pat Manager", "2027-01-20"),
            True,
            "Rollback plan approved by Pat Manager on 2027-01-20 (6 steps)",
        ),
    ],
)
def test_rollback_plan(plan, met, evidence):
    result = evaluate_one(Criterion(kind="rollback_approved"), Facts(rollback=plan))

    assert (result.met, result.evidence) == (met, evidence)


def test_manual_criterion_needs_a_person_and_shows_the_evidence():
    unchecked = Criterion(kind="manual", label="Cut-over rehearsal 2 completed")
    checked = Criterion(
        kind="manual",
        label="Cut-over rehearsal 2 completed",
        manual_met=True,
        manual_evidence="Rehearsal 2 on 9 Jan:\n  all 212 steps done in 41 h.",
        manual_checked_by="Pat Manager",
        manual_checked_on="2027-01-10",
    )

    assert evaluate_one(unchecked, Facts()).evidence == "Not checked yet"
    result = evaluate_one(checked, Facts())
    assert result.met
    assert result.label == "Cut-over rehearsal 2 completed"
    assert result.evidence == (
        "Checked by Pat Manager on 2027-01-10: Rehearsal 2 on 9 Jan: all 212 steps done in 41 h."
    )


# --- the whole checklist --------------------------------------------------------------------


def test_no_criteria_is_not_ready():
    readiness = evaluate([], Facts())

    assert not readiness.ready
    assert readiness.summary == "Not ready: no readiness criteria"


def test_summary_counts_failing_criteria():
    criteria = [
        Criterion(kind="no_open_defects", severity=1, id=1),
        PASS_95,
        MUST,
        Criterion(kind="signoffs"),
        Criterion(kind="rollback_approved"),
    ]
    facts = Facts(
        open_defects=(DefectFact("DEF-3", 1),),
        cases=_uat(passed=20),
        signoffs=(SignoffFact("Finance", "F", False),),
        rollback=RollbackFact("approved", 2),
    )

    readiness = evaluate(criteria, facts)

    assert not readiness.ready
    assert readiness.summary == "Not ready: 2 of 5 criteria fail"
    assert [r.kind for r in readiness.failing] == ["no_open_defects", "signoffs"]
    assert readiness.as_list()[0] == {
        "criterion_id": 1,
        "kind": "no_open_defects",
        "label": "No open severity-1 defects",
        "met": False,
        "evidence": "1 open severity-1 defect: DEF-3",
        "links": [{"kind": "defect", "key": "DEF-3"}],
    }


def test_every_criterion_met_is_ready_and_a_label_replaces_the_wording():
    criterion = Criterion(kind="signoffs", label="Steering committee signatures")

    readiness = evaluate([criterion], Facts(signoffs=(SignoffFact("SteerCo", "S", True),)))

    assert readiness.ready
    assert readiness.summary == "Ready"
    assert readiness.results[0].label == "Steering committee signatures"
