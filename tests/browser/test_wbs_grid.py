"""Browser journeys on the WBS grid: keyboard editing as in MS Project, indent, collapse, bulk
edit, a new item from the modal, filters, and a contributor who only reports progress."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from programs.tests.factories import ProgramFactory, member
from schedules.models import Item, ItemStatus
from schedules.tests.factories import ItemFactory, days, link

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def erp():
    manager = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(code="ERP", name="ERP Migration to S/4HANA", manager=manager)
    member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza")
    build = ItemFactory(program=program, name="Build")
    design = ItemFactory(program=program, name="Design", parent=build, duration_minutes=days(3))
    code = ItemFactory(program=program, name="Code", parent=build, duration_minutes=days(5))
    test = ItemFactory(program=program, name="Test", duration_minutes=days(4))
    link(design, code)
    link(code, test)
    return program


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def grid_url(live_server) -> str:
    return f"{live_server.url}/programs/ERP/schedule/"


def test_manager_edits_indents_and_collapses_with_the_keyboard(page, login, live_server, erp):
    login("pm@example.com", DEFAULT_PASSWORD)
    page.goto(grid_url(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Work breakdown")
    expect(page.locator("tbody tr.wbs-row")).to_have_count(4)

    # Arrow keys move between rows; Enter opens the row editor with the name focused.
    page.locator("#item-TSK-1").focus()
    page.keyboard.press("ArrowDown")
    assert focused_id(page) == "item-TSK-2"
    page.keyboard.press("Enter")
    name = page.locator("#item-TSK-2-name")
    expect(name).to_be_focused()
    name.fill("Design and review")
    page.locator("#item-TSK-2-duration_days").fill("4")
    screenshot(page, "wbs-row-editor")
    # Enter saves; the grid reloads (other dates moved) and the row keeps the keyboard.
    page.locator("#item-TSK-2-duration_days").press("Enter")
    expect(name).to_have_count(0)
    expect(page.locator("#item-TSK-2")).to_contain_text("Design and review")
    expect(page.locator("#item-TSK-3")).to_contain_text("9 Jan 26")  # Code moved a day later
    settled(page, "item-TSK-2")
    design = Item.objects.get(key="TSK-2")
    assert (design.name, design.duration_minutes) == ("Design and review", days(4))

    # Alt+Shift+Right indents Test under Build, as in MS Project; the focus follows the row.
    page.locator("#item-TSK-4").focus()
    page.keyboard.press("Alt+Shift+ArrowRight")
    expect(page.locator("#item-TSK-4 .wbs-code")).to_have_text("1.3")
    expect(page.locator("#item-TSK-4")).to_be_focused()
    assert Item.objects.get(key="TSK-4").wbs == "1.3"
    # Alt+Shift+Up moves it above Code (once the indent's grid reload has settled: a key
    # pressed while the rows are being swapped would land on the row being replaced).
    settled(page, "item-TSK-4")
    page.keyboard.press("Alt+Shift+ArrowUp")
    expect(page.locator("#item-TSK-4 .wbs-code")).to_have_text("1.2")

    # Left arrow on the summary collapses it, Right expands it again (after the move's reload
    # has given the focus back to the moved row, which would otherwise take it from the summary).
    settled(page, "item-TSK-4")
    page.locator("#item-TSK-1").focus()
    settled(page, "item-TSK-1")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#item-TSK-2")).to_be_hidden()
    expect(page.get_by_role("button", name="Expand 1 Build")).to_be_visible()
    page.keyboard.press("ArrowDown")  # nothing visible below: the focus stays
    assert focused_id(page) == "item-TSK-1"
    page.keyboard.press("ArrowRight")
    expect(page.locator("#item-TSK-2")).to_be_visible()
    screenshot(page, "wbs-grid")
    page.watcher.assert_clean()


def settled(page, focused: str) -> None:
    """Wait until no request is in flight, the grid's last swap has settled (wbs-grid.js marks the
    table) and the focus is back on `focused`. (`networkidle` would not do: it is a page-load
    state, reached once, so it does not wait for an htmx reload.)"""
    expect(page.locator(".htmx-request")).to_have_count(0)
    expect(page.locator("#grid-table[data-settled]")).to_have_count(1)
    expect(page.locator(f"#{focused}")).to_be_focused()


def test_escape_cancels_the_row_editor(page, login, live_server, erp):
    login("pm@example.com", DEFAULT_PASSWORD)
    page.goto(grid_url(live_server))

    page.locator("#item-TSK-3").focus()
    page.keyboard.press("Enter")
    editor = page.locator("#item-TSK-3-name")
    editor.fill("Typed but abandoned")
    # under load the editor's swap can settle after the fill: press Escape in the settled input
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Typed but abandoned")
    page.keyboard.press("Escape")

    expect(page.locator("#item-TSK-3-name")).to_have_count(0, timeout=10_000)
    expect(page.locator("#item-TSK-3")).to_contain_text("Code")
    expect(page.locator("#item-TSK-3")).to_be_focused()
    assert Item.objects.get(key="TSK-3").version == 1
    page.watcher.assert_clean()


def test_bulk_edit_filters_and_a_new_item(page, login, live_server, erp):
    login("pm@example.com", DEFAULT_PASSWORD)
    page.goto(grid_url(live_server))

    # Tick two rows and put them on hold with Ana as owner.
    apply = page.get_by_role("button", name="Apply to ticked rows")
    expect(apply).to_be_disabled()
    page.get_by_label("Tick TSK-2").check()
    page.get_by_label("Tick TSK-3").check()
    expect(page.get_by_text("2 rows ticked")).to_be_visible()
    page.get_by_label("Owner for the ticked rows").select_option(label="Ana Souza")
    page.get_by_label("Status for the ticked rows").select_option(label="On hold")
    apply.click()
    expect(page.get_by_text("2 of 2 items changed.")).to_be_visible()
    assert set(
        Item.objects.filter(key__in=["TSK-2", "TSK-3"]).values_list("owner__email", "status")
    ) == {("ana@example.com", ItemStatus.ON_HOLD)}

    # Filters answer through htmx and land in the address bar.
    page.get_by_label("Status", exact=True).select_option(label="On hold")
    expect(page.locator("tbody tr.wbs-row")).to_have_count(2)
    page.wait_for_url("**/schedule/?*status=on_hold*")
    page.get_by_label("Search items").fill("code")
    expect(page.locator("tbody tr.wbs-row")).to_have_count(1)

    # A new milestone under Build from the modal.
    page.goto(grid_url(live_server))
    page.get_by_role("link", name="New item").first.click()
    modal = page.locator("#app-modal")
    expect(modal.locator("#app-modal-title")).to_have_text("New item")
    modal.get_by_label("Kind").select_option(label="Milestone")
    modal.get_by_label("Name").fill("Go-live")
    modal.get_by_label("Under").select_option(label="1  Build (TSK-1)")
    modal.get_by_label("Start").fill("2026-02-02")
    screenshot(page, "wbs-new-item")
    with page.expect_navigation():
        modal.get_by_role("button", name="Create item").click()
    created = Item.objects.get(name="Go-live")
    expect(page.locator(f"#item-{created.key}")).to_contain_text("2 Feb 26")
    assert (created.wbs, created.finish) == ("1.3", dt.date(2026, 2, 2))
    page.watcher.assert_clean()


def test_contributor_reports_progress_only(page, login, live_server, erp):
    login("ana@example.com", DEFAULT_PASSWORD)
    page.goto(grid_url(live_server))
    expect(page.get_by_role("link", name="New item")).to_have_count(0)
    expect(page.locator("[data-bulk-item]")).to_have_count(0)

    page.get_by_role("button", name="Edit TSK-2 in place").click()
    expect(page.locator("#item-TSK-2-name")).to_have_count(0)
    page.locator("#item-TSK-2-percent_complete").fill("50")
    page.locator("#item-TSK-2-percent_complete").press("Enter")

    expect(page.locator("#item-TSK-2")).to_contain_text("50%")
    expect(page.locator("#item-TSK-2")).to_contain_text("In progress")
    assert Item.objects.get(key="TSK-2").percent_complete == 50
    page.watcher.assert_clean()
