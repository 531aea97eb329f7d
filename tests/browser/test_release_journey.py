"""Browser journey: one requirement followed from creation to a release's go decision.

Priya (program manager) proposes a Must requirement and approves it; the traceability matrix
flags it as untested. Marcus (coordinator) writes a test case for it and plans it into the UAT
cycle for Ana (contributor, the tester). Ana's run fails and raises a blocking defect in the same
step; Marcus takes the defect through triage, work, fix and retest (closing it is refused until a
passing run exists); Ana's retest passes; Marcus closes the defect. Priya moves the requirement
through delivery, verification and acceptance, puts it in the release's scope with the readiness
criterion "Must requirements verified", holds the go/no-go review and records a go.

After every step that changes what the matrix says, the requirement's row is checked: its gaps
(exactly, in order), its latest case result and its open defects. Every person works in their
own browser session, every page is watched for console errors and CSP violations.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from releases import models
from releases.tests.factories import make_cycle, make_release, make_requirement

from .conftest import CSP_REPORTER, PageWatcher, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

R = "/programs/ERP/releases/"
REQ = "REQ-2"  # REQ-1 is the other requirement of the setup, so the search means something
TITLE = "Post a journal entry split across cost centres"
CASE_TITLE = "Post a journal entry split across three cost centres"


@pytest.fixture
def erp():
    """What the journey does not build: the program, its people, a workstream, the release, its
    UAT cycle, and one other requirement (so that searching the matrix narrows it)."""
    pm = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(
        code="ERP", name="ERP Migration to S/4HANA", manager=pm, currency="EUR"
    )
    member(program, Role.COORDINATOR, email="coordinator@example.com", full_name="Marcus Lee")
    member(program, Role.CONTRIBUTOR, email="tester@example.com", full_name="Ana Souza")
    WorkstreamFactory(program=program, actor=pm, name="Finance & Controlling")
    make_requirement(program, title="Migrate the open vendor items", priority="should")
    release = make_release(program, version_label="1.0", name="Wave 1 go-live")
    make_cycle(program, name="UAT cycle 1", kind="uat", release=release)
    return program


@pytest.fixture
def sessions(browser, live_server):
    """One signed-in, watched browser session per person (opened on first use)."""
    opened = {}

    def session(email: str):
        if email not in opened:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            context.add_init_script(CSP_REPORTER)
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.watcher = PageWatcher(page, live_server.url)
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("E-mail address").fill(email)
            page.get_by_label("Password", exact=False).first.fill(DEFAULT_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{live_server.url}/programs/**")
            opened[email] = (context, page)
        return opened[email][1]

    yield session
    try:
        for _context, page in opened.values():
            page.watcher.assert_clean()
    finally:
        for context, page in opened.values():
            with contextlib.suppress(PlaywrightError):
                page.wait_for_load_state("networkidle", timeout=5_000)
            context.close()


def field(scope, label: str):
    """The field labelled `label` exactly (a required field's label ends with an asterisk)."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def modal_step(page, trigger, submit: str, *, fill=None, select=None):
    """Open a step in the shared modal, fill it and save: the page reloads (HX-Redirect)."""
    trigger.click()
    modal = page.locator("#app-modal")
    expect(modal).to_be_visible()
    for label, value in (select or {}).items():
        field(modal, label).select_option(label=value)
    for label, value in (fill or {}).items():
        field(modal, label).fill(value)
    with page.expect_navigation():
        modal.get_by_role("button", name=submit, exact=True).click()
    expect(page.locator("#app-modal")).to_be_hidden()


def requirement_step(page, step: str, submit: str = ""):
    modal_step(page, page.get_by_role("link", name=step, exact=True), submit or step)


def defect_step(page, step: str, **inputs):
    link = page.locator("#workflow").get_by_role("link", name=step, exact=True)
    modal_step(page, link, f"{step} DEF-1", **inputs)


def matrix_row(page, base: str, name: str):
    """The requirement's row of the matrix searched for its key; a screenshot of it."""
    page.goto(f"{base}{R}traceability/?q={REQ}")
    rows = page.locator("tr.trace-row")
    expect(rows).to_have_count(1)
    expect(rows.locator("th")).to_contain_text(f"{REQ} {TITLE}")
    screenshot(page, f"release-matrix-{name}", full_page=True)
    return rows.first


def expect_gaps(row, *labels: str):
    expect(row.locator(".trace-col-gaps .trace-gap")).to_have_text(list(labels))


def record_run(page, base: str, result: str, notes: str, *, defect_severity: str = ""):
    """The tester records a result from the cycle's cases table (the shared modal)."""
    page.goto(f"{base}{R}cycles/CYC-1/")
    row = page.locator("#cc-TC-1")
    expect(row).to_contain_text("Ana Souza")
    row.get_by_role("link", name="Record").click()
    modal = page.locator("#app-modal")
    expect(modal).to_contain_text(CASE_TITLE)
    modal.get_by_label(result, exact=True).check()
    modal.get_by_label("Notes").fill(notes)
    modal.get_by_label("Build").fill("1.0-rc2" if result == "Pass" else "1.0-rc1")
    if defect_severity:
        modal.get_by_text("Raise a defect with this result").click()
        modal.get_by_label("Raise a defect from this run").check()
        expect(modal.get_by_label("Defect title")).not_to_have_value("")
        modal.get_by_label("Severity").select_option(defect_severity)
    with page.expect_navigation():
        modal.get_by_role("button", name="Record result").click()
    page.wait_for_url(f"{base}{R}cycles/CYC-1/")


def test_a_requirement_from_creation_to_a_go_decision(sessions, live_server, erp):
    base = live_server.url

    # 1. Priya proposes the requirement through the form and approves it: it is baselined.
    priya = sessions("pm@example.com")
    priya.goto(f"{base}{R}requirements/")
    priya.get_by_role("link", name="New requirement").first.click()
    priya.get_by_label("Title").fill(TITLE)
    priya.get_by_label("Statement").fill(
        "The system shall post one journal entry whose lines are split across cost centres."
    )
    priya.get_by_label("Acceptance criteria").fill(
        "A 3-way split posts in one document.\nEach cost centre shows its share in the report."
    )
    priya.get_by_label("Priority").select_option(label="Must")
    priya.get_by_label("Workstream").select_option(label="WS-1 Finance & Controlling")
    priya.get_by_role("button", name="Propose requirement").click()
    priya.wait_for_url(f"{base}{R}requirements/{REQ}/")
    expect(priya.get_by_text(f"{REQ} {TITLE} proposed.")).to_be_visible()
    meta = priya.locator(".app-title-meta")
    expect(meta).to_contain_text("Proposed")
    expect(meta).to_contain_text("Must")
    requirement_step(priya, "Approve")
    expect(priya.get_by_text(f"{REQ} approved and baselined (revision 1).")).to_be_visible()
    expect(meta).to_contain_text("Approved")
    expect(meta).to_contain_text("Baseline revision 1")

    # 2. The matrix, searched for its key, shows the untested requirement.
    priya.goto(f"{base}{R}traceability/")
    expect(priya.locator("tr.trace-row")).to_have_count(2)
    priya.get_by_label("Search").fill(REQ)
    expect(priya.locator("tr.trace-row")).to_have_count(1)
    expect(priya).to_have_url(re.compile(rf"/traceability/\?(.*&)?q={REQ}(&|$)"))
    row = priya.locator("tr.trace-row")
    expect(row.locator("th")).to_contain_text(f"{REQ} {TITLE}")
    expect(row.locator("th")).to_contain_text("Approved")
    expect_gaps(row, "No test", "Unaccepted")
    screenshot(priya, "release-matrix-no-test", full_page=True)

    # 3. Marcus writes a case for it (one step), plans it into the UAT cycle for Ana.
    marcus = sessions("coordinator@example.com")
    marcus.goto(f"{base}{R}cases/")
    marcus.get_by_role("link", name="New case").first.click()
    marcus.get_by_label("Title").fill(CASE_TITLE)
    marcus.get_by_label("Priority").select_option(label="Must")
    marcus.get_by_label("Workstream").select_option(label="WS-1 Finance & Controlling")
    marcus.locator("#id_expected_result").fill("One document, three lines, each on its centre.")
    marcus.get_by_label("Requirements").select_option(label=f"{REQ} {TITLE}")
    marcus.locator("#id_steps-0-action").fill("Post 900 EUR split 300/300/300 over CC100-CC300.")
    marcus.locator("#id_steps-0-expected").fill("The document is posted with three lines.")
    marcus.get_by_role("button", name="Create case").click()
    marcus.wait_for_url(f"{base}{R}cases/TC-1/")
    expect(marcus.get_by_text("TC-1 created.")).to_be_visible()
    marcus.goto(f"{base}{R}cycles/CYC-1/")
    marcus.get_by_role("link", name="Plan cases").first.click()
    marcus.get_by_label("Pick cases").select_option(label=f"TC-1 {CASE_TITLE}")
    marcus.get_by_label("Assign them to").select_option(label="Ana Souza")
    marcus.get_by_role("button", name="Plan them").click()
    marcus.wait_for_url(f"{base}{R}cycles/CYC-1/")
    expect(marcus.get_by_text("1 case planned into CYC-1.")).to_be_visible()
    expect(marcus.locator("#cc-TC-1")).to_contain_text("Ana Souza")
    expect(marcus.locator("#cc-TC-1")).to_contain_text("Not run")

    row = matrix_row(marcus, base, "not-run")
    expect_gaps(row, "Not run", "Unaccepted")
    expect(row.locator(".trace-col-cases")).to_contain_text("TC-1")
    expect(row.locator(".trace-col-cases")).to_contain_text("not run")

    # 4. Ana's run fails; she raises a major defect with it in the same step.
    ana = sessions("tester@example.com")
    record_run(ana, base, "Fail", "The third line posts to CC100 again.", defect_severity="2")
    expect(ana.get_by_text("Fail recorded for TC-1; DEF-1 raised.")).to_be_visible()
    expect(ana.locator("#cc-TC-1")).to_contain_text("Fail")

    row = matrix_row(ana, base, "failing")
    expect_gaps(row, "Failing test", "Open blocking defect", "Unaccepted")
    expect(row.locator(".trace-col-cases")).to_contain_text("fail")
    defects = row.locator(".trace-col-defects")
    expect(defects).to_contain_text("DEF-1")
    expect(defects.locator(".trace-severity-blocking")).to_contain_text("S2")

    # 5. Marcus takes the defect through triage, work, the fix and retest.
    marcus.goto(f"{base}{R}defects/DEF-1/")
    meta = marcus.locator(".app-title-meta")
    expect(meta).to_contain_text("New")
    expect(meta).to_contain_text("Severity 2 · Major")
    defect_step(marcus, "Triage", select={"Owner": "Marcus Lee"})
    expect(marcus.get_by_text("DEF-1 is now triaged.")).to_be_visible()
    defect_step(marcus, "Start work")
    expect(marcus.get_by_text("DEF-1 is now in progress.")).to_be_visible()
    defect_step(
        marcus,
        "Mark fixed",
        fill={
            "Resolution": "Substitution rule for CC300 corrected in the posting BAdI.",
            "Fixed in build": "1.0-rc2",
        },
    )
    expect(marcus.get_by_text("DEF-1 is now fixed.")).to_be_visible()
    defect_step(marcus, "Ready for retest")
    expect(marcus.get_by_text("DEF-1 is now ready for retest.")).to_be_visible()
    expect(meta).to_contain_text("Ready for retest")
    # Closing is refused: no passing run of TC-1 since the fix.
    marcus.locator("#workflow").get_by_role("link", name="Close", exact=True).click()
    modal = marcus.locator("#app-modal")
    expect(modal).to_contain_text("Closing needs a passing run of TC-1 recorded after the fix")
    modal.get_by_role("button", name="Close DEF-1").click()
    expect(modal).to_contain_text("DEF-1 is linked to TC-1: record a passing run of TC-1")
    modal.get_by_role("button", name="Cancel").click()
    expect(modal).to_be_hidden()
    assert models.Defect.objects.get(key="DEF-1").status == "retest"

    # 6. Ana's retest passes: no failing test any more, the defect still blocks.
    record_run(ana, base, "Pass", "Three lines, each on its own cost centre.")
    expect(ana.get_by_text("Pass recorded for TC-1.")).to_be_visible()
    expect(ana.locator("#cc-TC-1")).to_contain_text("2 runs")

    row = matrix_row(ana, base, "retest-passed")
    expect_gaps(row, "Open blocking defect", "Unaccepted")
    expect(row.locator(".trace-col-cases")).to_contain_text("pass")
    expect(row.locator(".trace-col-defects")).to_contain_text("DEF-1")

    # 7. Now Marcus can close the defect; only the acceptance is missing.
    marcus.goto(f"{base}{R}defects/DEF-1/")
    defect_step(marcus, "Close")
    expect(marcus.get_by_text("DEF-1 is now closed.")).to_be_visible()

    row = matrix_row(marcus, base, "unaccepted")
    expect_gaps(row, "Unaccepted")
    expect(row.locator(".trace-col-defects")).not_to_contain_text("DEF-1")
    expect(row.locator(".trace-col-cases")).to_contain_text("pass")

    # 8. Priya moves the requirement to delivery, verified and accepted: it is covered.
    priya.goto(f"{base}{R}requirements/{REQ}/")
    meta = priya.locator(".app-title-meta")
    requirement_step(priya, "Start delivery")
    expect(meta).to_contain_text("In delivery")
    requirement_step(priya, "Mark verified")
    expect(meta).to_contain_text("Verified")
    requirement_step(priya, "Accept")
    expect(meta).to_contain_text("Accepted")
    expect(priya.get_by_text(f"{REQ} is now accepted.")).to_be_visible()

    row = matrix_row(priya, base, "covered")
    expect_gaps(row, "Covered")
    expect(row.locator("th")).to_contain_text("Accepted")

    # 9. Into the release's scope, with the criterion "Must requirements verified"; go decided.
    priya.goto(f"{base}{R}REL-1/?tab=scope")
    candidates = priya.locator("#scope-candidates")
    candidate = candidates.locator("label.rel-candidate", has_text=REQ)
    expect(candidate).to_contain_text("accepted")
    candidate.locator("input[type=checkbox]").check()
    candidates.get_by_role("button", name="Add selected").click()
    body = priya.locator("#release-body")
    expect(body).to_contain_text(f"Added to REL-1: {REQ}.")
    expect(body.locator(".rel-scope-table").first).to_contain_text(f"{REQ} {TITLE}")

    priya.locator(".rel-tabs").get_by_role("link", name="Readiness").click()
    expect(priya.get_by_text("No readiness criteria yet")).to_be_visible()
    modal_step(
        priya,
        priya.get_by_role("link", name="Add criterion").first,
        "Add criterion",
        select={"Kind": "Requirements of a priority verified", "Priority": "Must"},
    )
    expect(
        priya.get_by_text("Criterion “Requirements of a priority verified” added.")
    ).to_be_visible()
    check = priya.locator(".rel-check")
    expect(check).to_have_count(1)
    expect(check).to_have_class(re.compile(r"\brel-check-met\b"))
    expect(check).to_contain_text("All Must requirements verified")
    expect(check).to_contain_text("Must requirements verified: 1 of 1")
    expect(priya.locator("#readiness-verdict")).to_have_text("Ready for go-live")
    screenshot(priya, "release-ready", full_page=True)

    priya.locator(".rel-tabs").get_by_role("link", name="Go/no-go").click()
    priya.get_by_role("link", name="Hold a review").click()
    priya.get_by_label("Notes").fill("UAT cycle 1 passed; DEF-1 fixed and retested.")
    priya.get_by_role("button", name="Record review").click()
    expect(priya.get_by_text("Go/no-go review recorded. Attendees can vote now.")).to_be_visible()
    decide = priya.locator("#decide")
    expect(decide).not_to_contain_text("Override")  # every criterion is met
    checklist_header = priya.locator(".card-header", has=priya.locator("#checklist-title"))
    expect(checklist_header.locator(".badge")).to_have_text("Ready")
    decide.get_by_label("Go", exact=True).check()
    decide.get_by_label("Conditions").fill("Hypercare staffed for the first two weeks.")
    decide.get_by_role("button", name="Record decision").click()
    expect(priya.get_by_text("Decision recorded: go.")).to_be_visible()
    expect(priya.locator("#decision-title")).to_have_text("Go")
    screenshot(priya, "release-go-review", full_page=True)
    priya.get_by_role("link", name="REL-1").first.click()
    expect(priya.locator(".app-title-meta")).to_contain_text("Go decided")
    screenshot(priya, "release-go-decided", full_page=True)

    # Refusing to close DEF-1 answered 400 on purpose; the browser logs that status as an error.
    refused = [p for p in marcus.watcher.problems if "status of 400" in p]
    assert len(refused) == 1, marcus.watcher.problems
    marcus.watcher.problems.remove(refused[0])

    # What the journey left in the database.
    requirement = models.Requirement.objects.get(program=erp, key=REQ)
    assert (requirement.status, requirement.priority, requirement.baseline_revision) == (
        "accepted", "must", 1,
    )  # fmt: skip
    case = models.TestCase.objects.get(program=erp, key="TC-1")
    assert list(case.requirements.all()) == [requirement]
    assert case.steps.count() == 1
    cycle_case = models.CycleCase.objects.get(case=case)
    assert (cycle_case.cycle.key, cycle_case.tester.email, cycle_case.last_result) == (
        "CYC-1", "tester@example.com", "pass",
    )  # fmt: skip
    runs = list(models.TestRun.objects.filter(cycle_case=cycle_case).order_by("executed_at", "pk"))
    assert [(r.result, r.executed_by.email) for r in runs] == [
        ("fail", "tester@example.com"), ("pass", "tester@example.com"),
    ]  # fmt: skip
    defect = models.Defect.objects.get(program=erp, key="DEF-1")
    assert (defect.status, defect.severity, defect.owner.email) == (
        "closed", 2, "coordinator@example.com",
    )  # fmt: skip
    assert (defect.requirement, defect.test_case, defect.fixed_in_build) == (
        requirement, case, "1.0-rc2",
    )  # fmt: skip
    assert defect.test_run == runs[0]
    assert defect.resolved_at < runs[1].executed_at < defect.closed_at
    release = requirement.releases.get()
    assert (release.key, release.status) == ("REL-1", "go")
    criterion = models.ReadinessCriterion.objects.get(release=release)
    assert (criterion.kind, criterion.priority) == ("requirements_verified", "must")
    review = models.GoNoGoReview.objects.get(release=release)
    assert (review.decision, review.override, review.decided_by.email) == (
        "go", False, "pm@example.com",
    )  # fmt: skip
    assert review.readiness["ready"] is True
