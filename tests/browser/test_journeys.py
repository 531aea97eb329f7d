"""Browser journeys: a program manager sets up and edits a workstream; a viewer only looks."""

import re

import pytest
from playwright.sync_api import expect

from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from programs.models import Workstream
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STYLESHEETS_LOADED = """
() => [...document.styleSheets].map((sheet) => {
  let rules = 0;
  try { rules = sheet.cssRules.length; } catch (e) { rules = -1; }
  return [sheet.href, rules];
})
"""


@pytest.fixture
def erp():
    manager = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(code="ERP", name="ERP Migration to S/4HANA", manager=manager)
    member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza")
    WorkstreamFactory(program=program, actor=manager, name="Finance & Controlling")
    return program


def assert_styled(page):
    """The CSS really loaded: every stylesheet has rules and Tabler's variables are defined."""
    sheets = page.evaluate(STYLESHEETS_LOADED)
    assert len(sheets) >= 3, sheets
    assert all(rules > 0 for _href, rules in sheets), sheets
    primary = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--tblr-primary')"
    )
    assert primary.strip(), "Tabler's CSS variables are missing"
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"


def test_manager_creates_and_edits_a_workstream(page, login, live_server, erp):
    login("pm@example.com", DEFAULT_PASSWORD)
    assert_styled(page)

    # Programs list -> the program -> Workstreams.
    page.get_by_role("link", name="ERP Migration to S/4HANA").first.click()
    page.wait_for_url(f"{live_server.url}/programs/ERP/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ERP Migration to S/4HANA")
    page.get_by_role("navigation", name="ERP sections").get_by_role(
        "link", name="Workstreams"
    ).click()
    page.wait_for_url(f"{live_server.url}/programs/ERP/workstreams/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Workstreams")
    assert_styled(page)

    # "New workstream" opens the shared modal; htmx loads the form into it.
    page.get_by_role("link", name="New workstream").first.click()
    modal = page.locator("#app-modal")
    expect(modal).to_be_visible()
    expect(modal.locator("#app-modal-title")).to_have_text("New workstream")
    modal.get_by_label("Name").fill("Data Migration")
    modal.get_by_label("Lead").select_option(label="Ana Souza")
    modal.get_by_label("Description").fill("Three mock loads before cut-over.")
    screenshot(page, "modal")
    # The server answers 204 with HX-Redirect: htmx reloads the list, with the new row.
    with page.expect_navigation(url=f"{live_server.url}/programs/ERP/workstreams/"):
        modal.get_by_role("button", name="Create workstream").click()
    expect(page.locator("tbody tr", has_text="Data Migration")).to_be_visible()
    expect(page.locator("#app-modal")).to_be_hidden()
    created = Workstream.objects.get(program=erp, name="Data Migration")
    row = page.locator(f"#ws-row-{created.pk}")
    expect(row).to_contain_text(created.key)
    expect(row).to_contain_text("Data Migration")
    expect(row).to_contain_text("Ana Souza")
    expect(page.get_by_text(f"Workstream {created.key} Data Migration created.")).to_be_visible()

    # Edit it in place: the row turns into inputs, Save swaps the saved row back.
    row.get_by_role("link", name=f"Edit {created.key} in place").click()
    name_input = page.locator(f"#ws-{created.key}-name")
    expect(name_input).to_be_visible()
    name_input.fill("Data Migration & Cleansing")
    page.locator(f"#ws-{created.key}-status").select_option(label="On hold")
    screenshot(page, "row-editor")
    row.get_by_role("button", name="Save").click()

    expect(name_input).to_have_count(0)
    expect(row).to_contain_text("Data Migration & Cleansing")
    expect(row).to_contain_text("On hold")
    created.refresh_from_db()
    assert (created.name, created.status, created.version) == (
        "Data Migration & Cleansing",
        "on_hold",
        2,
    )

    # The change survives a reload (it was saved, not just swapped in).
    page.reload()
    expect(page.locator(f"#ws-row-{created.pk}")).to_contain_text("Data Migration & Cleansing")
    screenshot(page, "manager", full_page=True)
    page.watcher.assert_clean()


def test_inline_edit_cancel_keeps_the_row(page, login, live_server, erp):
    login("pm@example.com", DEFAULT_PASSWORD)
    ws = Workstream.objects.get(program=erp)
    page.goto(f"{live_server.url}/programs/ERP/workstreams/")
    row = page.locator(f"#ws-row-{ws.pk}")

    row.get_by_role("link", name=f"Edit {ws.key} in place").click()
    page.locator(f"#ws-{ws.key}-name").fill("Typed but abandoned")
    page.locator(f"#ws-{ws.key}-name").press("Escape")

    expect(page.locator(f"#ws-{ws.key}-name")).to_have_count(0)
    expect(row).to_contain_text("Finance & Controlling")
    ws.refresh_from_db()
    assert (ws.name, ws.version) == ("Finance & Controlling", 1)
    page.watcher.assert_clean()


def test_viewer_sees_no_new_workstream_button(page, login, live_server, erp):
    member(erp, Role.VIEWER, email="viewer@example.com", full_name="Grace Kim")
    login("viewer@example.com", DEFAULT_PASSWORD)

    page.goto(f"{live_server.url}/programs/ERP/workstreams/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Workstreams")
    expect(page.get_by_text("Finance & Controlling")).to_be_visible()
    expect(page.get_by_role("link", name="New workstream")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("in place"))).to_have_count(0)
    assert_styled(page)
    screenshot(page, "viewer", full_page=True)
    page.watcher.assert_clean()

    # Typing the address does not help: the role is checked on the server.
    response = page.goto(f"{live_server.url}/programs/ERP/workstreams/new/")
    assert response.status == 403
    page.watcher.problems.clear()  # the 403 document itself is the expected outcome


def test_page_watcher_reports_csp_violations(page, live_server):
    """The guard itself works: an inline script is blocked by the CSP and reported."""
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.watcher.problems == []

    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.__inlineRan = true;";
          document.body.appendChild(s);
        }"""
    )

    for _ in range(20):  # console events arrive asynchronously
        if page.watcher.problems:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.__inlineRan === undefined")
    assert any(
        "Content Security Policy" in p or "CSP violation" in p for p in page.watcher.problems
    )
    page.watcher.problems.clear()
