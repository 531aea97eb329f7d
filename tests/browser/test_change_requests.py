"""Browser journey: a change request walked from draft to closed by the right people.

Ana (contributor) raises and submits it; Marcus (coordinator) assesses it above the sponsor
threshold; Priya (program manager) is shown why she cannot approve it; Daniel (the sponsor)
finds it waiting for him and approves it; Priya marks it implemented with a new baseline and
closes it. Each person works in their own browser session, every step goes through the
shared modal, and at the end the timeline and the audit history show every step.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.models import AuditEntry
from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from governance.models import ChangeRequest, Decision
from programs import services as program_services
from programs.tests.factories import ProgramFactory, member
from schedules.models import Baseline
from schedules.tests.factories import ItemFactory

from .conftest import CSP_REPORTER, PageWatcher, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CR_URL = "/programs/ERP/governance/changes/"


@pytest.fixture
def erp():
    pm = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(
        code="ERP", name="ERP Migration to S/4HANA", manager=pm, currency="EUR",
        start_date=dt.date(2026, 1, 5), end_date=dt.date(2027, 9, 30),
    )  # fmt: skip
    sponsor = member(program, Role.EXECUTIVE, email="exec@example.com", full_name="Daniel Okafor")
    program_services.program_update(
        actor=pm, program=program, expected_version=program.version, sponsor=sponsor.user
    )
    member(program, Role.COORDINATOR, email="coordinator@example.com", full_name="Marcus Lee")
    member(program, Role.CONTRIBUTOR, email="contributor@example.com", full_name="Ana Souza")
    golive = ItemFactory(program=program, name="Wave 1 go-live", kind="milestone",
                         duration_minutes=0)  # fmt: skip
    uat = ItemFactory(program=program, name="User acceptance test")
    return {"program": program, "golive": golive, "uat": uat}


@pytest.fixture
def sessions(browser, live_server):
    """One signed-in browser session per person (opened on first use), all watched."""
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
    for context, page in opened.values():
        page.watcher.assert_clean()
        context.close()


def take_step(page, live_server, button: str, fill: dict | None = None, submit: str = ""):
    """Open a workflow step in the modal, fill it, save: the page reloads on the request."""
    page.locator("#workflow").get_by_role("link", name=button).click()
    modal = page.locator("#app-modal")
    expect(modal).to_be_visible()
    for label, value in (fill or {}).items():
        modal.get_by_label(label).fill(value)
    with page.expect_navigation():
        modal.get_by_role("button", name=submit or button).click()
    expect(page.locator("#app-modal")).to_be_hidden()


def test_a_change_request_from_draft_to_closed(sessions, live_server, erp):
    base = live_server.url

    # Ana raises it from the program navigation and saves a draft.
    ana = sessions("contributor@example.com")
    ana.goto(f"{base}/programs/ERP/")
    sections = ana.get_by_role("navigation", name="ERP sections")
    sections.get_by_role("button", name="Governance").click()
    sections.get_by_role("link", name="Changes").click()
    ana.wait_for_url(f"{base}{CR_URL}")
    expect(ana.get_by_text("No change requests yet")).to_be_visible()
    ana.get_by_role("link", name="New change request").first.click()
    ana.get_by_label("Title").fill("Move the wave 1 go-live to March")
    ana.get_by_label("Kind").select_option(label="Schedule")
    ana.get_by_label("Description").fill("Go live at the March period end instead of February.")
    # A mistake first: an unknown item key; everything typed stays.
    ana.get_by_label("Affected WBS items").fill(f"{erp['golive'].key}, TSK-999")
    ana.get_by_role("button", name="Save draft").click()
    expect(ana.get_by_text("There is no TSK-999 in ERP.")).to_be_visible()
    expect(ana.get_by_label("Title")).to_have_value("Move the wave 1 go-live to March")
    screenshot(ana, "cr-form-error", full_page=True)
    # The form came back with 400 on purpose; the browser logs that status as a console error.
    ana.watcher.problems[:] = [p for p in ana.watcher.problems if "status of 400" not in p]
    ana.get_by_label("Affected WBS items").fill(f"{erp['golive'].key}, {erp['uat'].key}")
    ana.get_by_role("button", name="Save draft").click()
    ana.wait_for_url(f"{base}{CR_URL}CR-1/")
    expect(ana.get_by_text("CR-1 saved.")).to_be_visible()
    # Submitting needs a reason: the button says so; she adds it through Edit.
    expect(ana.locator("#workflow")).to_contain_text(
        "CR-1 needs a reason before it can be submitted."
    )
    ana.get_by_role("link", name="Edit").click()
    ana.get_by_label("Reason").fill("SIT cycle 1 is behind; UAT would be cut to eight days.")
    ana.get_by_role("button", name="Save changes").click()
    ana.wait_for_url(f"{base}{CR_URL}CR-1/")
    take_step(
        ana,
        live_server,
        "Submit",
        {"Comment": "Please assess before the steering committee."},
        "Submit CR-1",
    )
    expect(ana.locator(".app-title-meta")).to_contain_text("Submitted")

    # Marcus assesses it: above the sponsor's thresholds.
    marcus = sessions("coordinator@example.com")
    marcus.goto(f"{base}{CR_URL}CR-1/")
    take_step(
        marcus, live_server, "Assess",
        {"Schedule impact (working days)": "15", "Cost impact (EUR)": "95000",
         "Assessment note": "Northwind's extended team for four more weeks."},
        "Assess CR-1",
    )  # fmt: skip
    expect(
        marcus.get_by_text("CR-1 assessed. It now waits for the sponsor to decide.")
    ).to_be_visible()
    expect(marcus.locator("#impact")).to_contain_text("+95,000.00 EUR")

    # Priya cannot approve it, and is told why.
    priya = sessions("pm@example.com")
    priya.goto(f"{base}{CR_URL}CR-1/")
    workflow = priya.locator("#workflow")
    expect(workflow.get_by_role("button", name="Approve")).to_be_disabled()
    expect(workflow).to_contain_text("CR-1 needs the sponsor's decision (Daniel Okafor)")
    screenshot(priya, "cr-assessed-pm", full_page=True)

    # Daniel finds it waiting for him and approves it.
    daniel = sessions("exec@example.com")
    daniel.goto(f"{base}{CR_URL}")
    daniel.get_by_role("link", name="Waiting for me").click()
    daniel.wait_for_url(f"{base}{CR_URL}pending/")
    daniel.get_by_role("link", name="Approve").click()
    modal = daniel.locator("#app-modal")
    expect(modal).to_contain_text("This request needs the sponsor's decision")
    modal.get_by_label("Comment").fill("Approved at the steering committee.")
    with daniel.expect_navigation():
        modal.get_by_role("button", name="Approve CR-1").click()
    expect(daniel.get_by_text("CR-1 approved. The decision is recorded as DEC-1.")).to_be_visible()
    expect(daniel.locator("#outcome")).to_contain_text("DEC-1")

    # Priya marks it implemented with a new baseline, then closes it.
    priya.goto(f"{base}{CR_URL}CR-1/")
    take_step(
        priya, live_server, "Mark implemented",
        {"Or save a new baseline now, named": "Re-plan March", "Budget change": "CO-5"},
        "Mark implemented CR-1",
    )  # fmt: skip
    expect(priya.locator("#outcome")).to_contain_text("Re-plan March")
    take_step(priya, live_server, "Close", {"Comment": "Plan and budget updated."}, "Close CR-1")
    expect(priya.locator("#workflow")).to_contain_text("CR-1 is closed.")
    # A closed request offers no step and cannot be reopened from anyone's page.
    expect(priya.locator("#workflow").get_by_role("link")).to_have_count(0)

    # The timeline and the history show every step, by the right person.
    timeline = priya.locator("#timeline")
    for line in ("Ana Souza raised it", "Ana Souza submitted it", "Marcus Lee assessed it",
                 "Daniel Okafor approved it", "Priya Raman marked it implemented",
                 "Priya Raman closed it"):  # fmt: skip
        expect(timeline).to_contain_text(line)
    expect(timeline).to_contain_text("Approved at the steering committee.")
    history = priya.locator("#history")
    expect(history.locator(".timeline-event")).to_have_count(7)  # created, edited, 5 steps
    for who in ("Ana Souza", "Marcus Lee", "Daniel Okafor", "Priya Raman"):
        expect(history).to_contain_text(who)
    screenshot(priya, "cr-closed", full_page=True)

    cr = ChangeRequest.objects.get(program=erp["program"])
    assert (cr.status, cr.schedule_impact_days, cr.cost_impact) == ("closed", 15, Decimal("95000"))
    assert (cr.decided_by.email, cr.baseline.name, cr.budget_reference) == (
        "exec@example.com", "Re-plan March", "CO-5",
    )  # fmt: skip
    assert Decision.objects.get().change_requests.get() == cr
    assert Baseline.objects.filter(program=erp["program"], name="Re-plan March").exists()
    steps = [
        e.changes.get("status")
        for e in AuditEntry.objects.filter(
            content_type__model="changerequest", object_id=str(cr.pk)
        ).order_by("id")
    ]
    assert steps == [
        [None, "draft"], None, ["draft", "submitted"], ["submitted", "assessed"],
        ["assessed", "approved"], ["approved", "implemented"], ["implemented", "closed"],
    ]  # fmt: skip

    # The full history page has the same entries.
    priya.get_by_role("link", name="Full history").click()
    expect(priya.locator(".timeline-event")).to_have_count(7)
