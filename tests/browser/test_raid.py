"""Browser journeys on the RAID log: a program manager raises a risk, re-rates it in place, finds
it on the heat map and opens the filtered list from the cell; a contributor edits only their own
items; a stale inline edit shows the conflict."""

import pytest
from playwright.sync_api import expect

from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from risks import services
from risks.models import Risk
from schedules.tests.factories import ItemFactory

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def erp():
    manager = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(code="ERP", name="ERP Migration to S/4HANA", manager=manager)
    ana = member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza").user
    WorkstreamFactory(program=program, name="Data Migration")
    ItemFactory(program=program, name="Mock load 2")
    services.risk_create(
        actor=manager, program=program, title="Bank certification late", owner=manager,
        probability=2,
    )  # fmt: skip
    services.risk_create(
        actor=manager, program=program, title="Key users not released", owner=ana, probability=3
    )
    return program


def raid_url(live_server, path: str = "") -> str:
    return f"{live_server.url}/programs/ERP/raid/{path}"


def test_raise_a_risk_edit_it_in_place_and_find_it_on_the_heat_map(page, login, live_server, erp):
    login("pm@example.com", DEFAULT_PASSWORD)
    page.goto(raid_url(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("RAID log")
    expect(page.locator("tbody tr.raid-row")).to_have_count(2)

    # Raise a risk through the form.
    page.get_by_role("link", name="New risk").click()
    page.get_by_label("Title").fill("Legacy master data fails the load rules")
    page.get_by_label("Category").select_option("data")
    page.get_by_label("Workstream").select_option(label="WS-1 Data Migration")
    page.locator("#id_probability").select_option("3")
    page.locator("#id_impact_cost").select_option("4")
    page.get_by_label("Linked WBS items").select_option(label="1  Mock load 2 (TSK-1)")
    page.get_by_role("button", name="Create risk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Legacy master data fails the load rules"
    )
    expect(page.get_by_text("Score 12 · High")).to_be_visible()

    # Back on the log, re-rate it in place: probability 3 -> 5 makes the score 20.
    page.get_by_role("link", name="RAID log").first.click()
    row = page.locator("#row-RSK-3")
    expect(row).to_contain_text("12")
    row.get_by_role("button", name="Edit RSK-3 in place").click()
    probability = page.locator("#row-RSK-3-probability")
    expect(probability).to_be_visible()
    probability.select_option("5")
    screenshot(page, "raid-inline-edit")
    page.locator("#row-RSK-3").get_by_role("button", name="Save").click()
    expect(page.locator("#row-RSK-3 .raid-score").first).to_have_text("20")
    assert Risk.objects.get(key="RSK-3").score == 20

    # The heat map shows it in the probability 5 x impact 4 cell; the cell opens the list.
    page.get_by_role("link", name="Heat map").click()
    cell = page.locator('[data-heat-cell="c5-4"]')
    expect(cell).to_have_text("1")
    screenshot(page, "raid-heat-map")
    cell.click()
    expect(page.locator("tbody tr.raid-row")).to_have_count(1)
    expect(page.locator("#row-RSK-3")).to_be_visible()
    expect(page.locator(".raid-chip")).to_have_count(2)
    page.watcher.assert_clean()


def test_contributor_edits_only_own_items_and_sees_a_stale_edit(page, login, live_server, erp):
    login("ana@example.com", DEFAULT_PASSWORD)
    page.goto(raid_url(live_server))
    expect(page.get_by_role("button", name="Edit RSK-2 in place")).to_be_visible()
    expect(page.get_by_role("button", name="Edit RSK-1 in place")).to_have_count(0)
    expect(page.get_by_label("Only its owner can edit RSK-1")).to_be_visible()

    page.get_by_role("button", name="Edit RSK-2 in place").click()
    title = page.locator("#row-RSK-2-title")
    expect(title).to_be_visible()
    # Meanwhile the program manager renames it.
    risk = Risk.objects.get(key="RSK-2")
    services.risk_update(
        actor=erp.memberships.get(role=Role.MANAGER).user,
        risk=risk,
        expected_version=1,
        title="Key users not released for UAT",
    )
    page.locator("#row-RSK-2-status").select_option("monitoring")
    page.locator("#row-RSK-2").get_by_role("button", name="Save").click()
    expect(page.locator("#row-RSK-2 .alert-warning")).to_contain_text(
        "changed this while you were editing"
    )
    expect(title).to_have_value("Key users not released for UAT")
    screenshot(page, "raid-conflict")
    assert Risk.objects.get(key="RSK-2").status == "open"
    # The refused save answered 422 (the browser logs it); that answer is the expected outcome.
    assert page.watcher.problems == [
        "console error: Failed to load resource: the server responded with a status of 422 "
        "(Unprocessable Entity)"
    ]
    page.watcher.problems.clear()

    # Saving again applies only her change.
    page.locator("#row-RSK-2").get_by_role("button", name="Save").click()
    expect(title).to_have_count(0)
    expect(page.locator("#row-RSK-2 .badge").last).to_have_text("Monitoring")
    risk = Risk.objects.get(key="RSK-2")
    assert (risk.status, risk.title) == ("monitoring", "Key users not released for UAT")
    page.watcher.assert_clean()
