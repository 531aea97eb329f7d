"""Browser journeys on the RACI matrix: editing letters in the grid with the keyboard, a second
A refused with the reason (nothing saved, the letters kept), the fix saved with Ctrl+Enter, a new
row from the modal, undo with Escape, and a viewer who only reads."""

import pytest
from playwright.sync_api import expect

from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from governance.models import RaciCell, RaciRow
from governance.services import raci as raci_services
from programs.tests.factories import ProgramFactory, member
from schedules.models import ItemKind
from schedules.tests.factories import ItemFactory

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def erp():
    pm = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(code="ERP", name="ERP Migration to S/4HANA", manager=pm)
    ana = member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza").user
    member(program, Role.VIEWER, email="grace@example.com", full_name="Grace Kim")
    design = ItemFactory(program=program, name="Finance solution design", kind=ItemKind.DELIVERABLE)
    columns = {
        "priya": raci_services.raci_column_create(
            actor=pm, program=program, kind="person", user=pm
        ),
        "ana": raci_services.raci_column_create(actor=pm, program=program, kind="person", user=ana),
        "sc": raci_services.raci_column_create(
            actor=pm, program=program, kind="role", role_name="Steering committee"
        ),
    }
    row = raci_services.raci_row_create(
        actor=pm, program=program, item=design,
        cells={columns["priya"]: "A", columns["ana"]: "R", columns["sc"]: "I"},
    )  # fmt: skip
    return {"program": program, "row": row, "columns": columns}


def letters(row) -> dict[str, str]:
    return {
        c.column.label: c.letter for c in RaciCell.objects.filter(row=row).select_related("column")
    }


def cell(page, erp, who: str):
    return page.locator(f"#raci-cell-{erp['row'].pk}-{erp['columns'][who].pk}")


def test_manager_edits_the_grid_and_a_second_a_is_refused(page, login, live_server, erp):
    row = erp["row"]
    group = page.locator(f"#raci-row-{row.pk}")
    login("pm@example.com", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/programs/ERP/")
    sections = page.get_by_role("navigation", name="ERP sections")
    sections.get_by_role("button", name="Governance").click()
    sections.get_by_role("link", name="RACI").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("RACI matrix")
    save = group.get_by_role("button", name=f"Save {row.label}")
    expect(save).to_be_disabled()  # nothing changed yet

    # The steering committee becomes accountable too: the hint warns, and the server refuses
    # with the reason.
    cell(page, erp, "sc").select_option("A")
    expect(group).to_have_class("raci-row-group raci-dirty")
    expect(group.locator("[data-raci-hint]")).to_have_text("2 A\u2019s: keep one")
    save.click()
    expect(group.get_by_role("alert")).to_contain_text(
        f"Row “{row.label}” needs exactly one A (Accountable); it has 2: Priya Raman and "
        "Steering committee."
    )
    expect(group.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(cell(page, erp, "sc")).to_have_value("A")  # the user's letters are kept
    screenshot(page, "raci-refused")
    row.refresh_from_db()
    assert (row.version, letters(row)["Steering committee"]) == (1, "I")
    # The refusal answered 400 (the browser logs it); that answer is the expected outcome.
    assert page.watcher.problems == [
        "console error: Failed to load resource: the server responded with a status of 400 "
        "(Bad Request)"
    ]
    page.watcher.problems.clear()

    # The fix with the keyboard: Priya becomes consulted; Ctrl+Enter saves the row.
    cell(page, erp, "priya").focus()
    cell(page, erp, "priya").select_option("C")
    expect(group.locator("[data-raci-hint]")).to_have_text("Not saved yet")
    page.keyboard.press("Control+Enter")
    expect(group.locator("[data-raci-hint]")).to_contain_text("Saved")
    expect(group.get_by_role("alert")).to_have_count(0)
    expect(cell(page, erp, "priya")).to_be_focused()
    expect(group.get_by_role("button", name=f"Save {row.label}")).to_be_disabled()
    row.refresh_from_db()
    assert row.version == 2
    assert letters(row) == {"Priya Raman": "C", "Ana Souza": "R", "Steering committee": "A"}

    # Delete clears a cell, Escape undoes the unsaved change.
    cell(page, erp, "ana").focus()
    page.keyboard.press("Delete")
    expect(cell(page, erp, "ana")).to_have_value("")
    expect(group).to_have_class("raci-row-group raci-dirty")
    expect(group.locator("[data-raci-hint]")).to_have_text("Needs an R")
    page.keyboard.press("Escape")
    expect(cell(page, erp, "ana")).to_have_value("R")
    expect(group.locator("[data-raci-hint]")).to_have_text("")
    assert letters(row)["Ana Souza"] == "R"
    page.watcher.assert_clean()


def test_new_row_from_the_modal(page, login, live_server, erp):
    login("pm@example.com", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/programs/ERP/governance/raci/")

    page.get_by_role("link", name="Add row").click()
    modal = page.locator("#app-modal")
    expect(modal.locator("#app-modal-title")).to_have_text("New row")
    modal.get_by_label("An activity").check()
    modal.get_by_label("Activity", exact=True).fill("Data cutover rehearsal")
    modal.get_by_label("Priya Raman").select_option("A")
    modal.get_by_label("Ana Souza").select_option("A")
    modal.get_by_role("button", name="Add row").click()
    expect(modal.get_by_role("alert")).to_contain_text(
        "Row “Data cutover rehearsal” needs exactly one A"
    )
    assert RaciRow.objects.count() == 1
    assert page.watcher.problems == [
        "console error: Failed to load resource: the server responded with a status of 400 "
        "(Bad Request)"
    ]
    page.watcher.problems.clear()
    modal.get_by_label("Ana Souza").select_option("R")
    screenshot(page, "raci-new-row")
    with page.expect_navigation():
        modal.get_by_role("button", name="Add row").click()

    new = RaciRow.objects.get(activity="Data cutover rehearsal")
    expect(page.locator(f"#raci-row-{new.pk}")).to_contain_text("Data cutover rehearsal")
    expect(page.locator(f"#raci-cell-{new.pk}-{erp['columns']['priya'].pk}")).to_be_focused()
    assert letters(new) == {"Priya Raman": "A", "Ana Souza": "R"}
    screenshot(page, "raci-grid")
    page.watcher.assert_clean()


def test_viewer_reads_the_matrix(page, login, live_server, erp):
    login("grace@example.com", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/programs/ERP/governance/raci/")

    expect(page.locator("select[data-raci-cell]")).to_have_count(0)
    expect(page.get_by_role("link", name="Add row")).to_have_count(0)
    expect(page.locator(f"#raci-row-{erp['row'].pk}")).to_contain_text("Finance solution design")
    expect(page.locator(f"#raci-row-{erp['row'].pk} .raci-l-A")).to_have_text("A")
    page.watcher.assert_clean()
