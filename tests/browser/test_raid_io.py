"""Browser journey: a program manager exports the filtered RAID log, then imports a RAID log:
a file full of mistakes is refused with every problem listed, the corrected one is previewed and
imported."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from risks import services
from risks.models import Action, Risk

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAD = (
    "Type,Key,Title,Owner,Workstream,Probability,Due date,Linked to\n"
    "Risk,R-1,Supplier portal not ready,ana@example.com,Finance & Controlling,4,,\n"
    "Risk,R-2,,nobody@example.com,Sales,9,,\n"
    "Action,,Chase the bank,ana@example.com,,,31/03/2026,R-9\n"
)
GOOD = (
    "Type,Key,Title,Owner,Workstream,Probability,Due date,Linked to\n"
    "Risk,R-1,Supplier portal not ready,ana@example.com,Finance & Controlling,4,,\n"
    "Action,,Chase the supplier for a date,ana@example.com,,,2026-03-31,R-1\n"
)


@pytest.fixture
def erp():
    manager = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(code="ERP", name="ERP Migration to S/4HANA", manager=manager)
    ana = member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza").user
    WorkstreamFactory(program=program, actor=manager, name="Finance & Controlling")
    services.risk_create(actor=manager, program=program, title="Key users unavailable", owner=ana)
    services.risk_create(actor=manager, program=program, title="Budget overrun", owner=manager)
    return program


def test_manager_exports_the_filtered_log_and_imports_a_file(
    page, login, live_server, erp, tmp_path
):
    login("pm@example.com", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/programs/ERP/raid/")

    # Filter by owner through the filter bar (htmx), then export: the file follows the filter.
    page.locator("#raid-filter-owner").select_option(label="Ana Souza")
    expect(page.locator("#raid-table")).not_to_contain_text("Budget overrun")
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (.xlsx)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.startswith("ERP-raid-risks-")
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    titles = [r[1] for r in book["Risks"].iter_rows(min_row=2, values_only=True)]
    assert titles == ["Key users unavailable"]
    # a download is a navigation the browser aborts once the file arrives: not a failure
    assert [p for p in page.watcher.problems if "ERR_ABORTED" not in p] == []
    page.watcher.problems.clear()

    # Import: a file with mistakes is refused, every problem listed, nothing imported.
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a RAID log")
    bad = tmp_path / "raid.csv"
    bad.write_text(BAD)
    page.set_input_files("#raid-import-file", str(bad))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-errors")).to_contain_text("raid.csv was not imported")
    expect(page.locator("#import-errors")).to_contain_text("5 problems in 2 rows.")
    rows = page.locator(".raid-io-problems tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("Line 3")
    expect(rows.nth(0)).to_contain_text("Required.")
    screenshot(page, "raid-import-errors", full_page=True)
    assert Risk.objects.count() == 2
    # the refused upload answers 400, which the browser logs; nothing else may go wrong
    problems = [p for p in page.watcher.problems if "status of 400" not in p]
    assert problems == []
    page.watcher.problems.clear()

    # The corrected file: previewed, then imported on confirmation.
    good = tmp_path / "raid-fixed.csv"
    good.write_text(GOOD)
    page.set_input_files("#raid-import-file", str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-preview")).to_contain_text("Ready to import raid-fixed.csv")
    expect(page.locator(".raid-io-preview tbody tr")).to_have_count(2)
    screenshot(page, "raid-import-preview", full_page=True)
    assert Risk.objects.count() == 2
    page.get_by_role("button", name="Import 2 items").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Imported raid-fixed.csv: 2 items (1 risk and 1 action)."
    )
    expect(page.locator("#raid-table")).to_contain_text("Supplier portal not ready")
    assert Action.objects.get().subject_key == Risk.objects.get(title__startswith="Supplier").key
    page.watcher.assert_clean()
