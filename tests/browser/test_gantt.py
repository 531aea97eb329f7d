"""The Gantt in the browser: dragging a bar saves through the API, the schedule recomputes and
the successors move; a drag based on a stale version is refused with a clear message."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from core.permissions import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory
from programs.tests.factories import ProgramFactory, member
from schedules import services
from schedules.models import Item, ItemKind
from schedules.tests.factories import ItemFactory, days, link

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY_PX = 24  # the Day zoom draws 24 px per calendar day


@pytest.fixture
def erp():
    manager = UserFactory(email="pm@example.com", full_name="Priya Raman", can_create_programs=True)
    program = ProgramFactory(code="ERP", name="ERP Migration", manager=manager)
    member(program, Role.COORDINATOR, email="co@example.com", full_name="Marcus Lee")
    member(program, Role.VIEWER, email="viewer@example.com", full_name="Grace Kim")
    phase = ItemFactory(program=program, name="Build phase")
    build = ItemFactory(
        program=program, parent=phase, name="Build ledger", duration_minutes=days(3)
    )
    test = ItemFactory(program=program, parent=phase, name="Test ledger", duration_minutes=days(2))
    golive = ItemFactory(program=program, name="Go-live", kind=ItemKind.MILESTONE)
    link(build, test)
    link(test, golive)
    services.baseline_create(actor=manager, program=program, name="Original")
    return program


def bar(page, key: str):
    return page.locator(f'.gantt-item[data-key="{key}"]')


def open_gantt(page, login, live_server, email="pm@example.com"):
    login(email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/programs/ERP/schedule/gantt/")
    expect(page.locator("#gantt")).to_have_attribute("data-ready", "1")
    page.get_by_role("button", name="Day", exact=True).click()


def drag(page, key: str, dx: float):
    page.locator(f'.gantt-item[data-key="{key}"] .gantt-bar').scroll_into_view_if_needed()
    box = page.locator(f'.gantt-item[data-key="{key}"] .gantt-bar').bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(x + dx * step / 8, y)
    page.mouse.up()


def test_dragging_a_bar_saves_it_and_moves_its_successors(page, login, live_server, erp):
    build, test = (Item.objects.get(program=erp, name=n) for n in ("Build ledger", "Test ledger"))
    golive = Item.objects.get(program=erp, name="Go-live")
    open_gantt(page, login, live_server)
    expect(bar(page, build.key)).to_have_attribute("data-start", "2026-01-05")
    expect(bar(page, test.key)).to_have_attribute("data-start", "2026-01-08")
    # the outline, the critical path and the baseline are drawn
    expect(page.locator(".gantt-row", has_text="Build phase")).to_be_visible()
    expect(bar(page, build.key)).to_have_class("gantt-item is-task is-critical is-editable")
    assert page.locator(f'.gantt-item[data-key="{build.key}"] .gantt-baseline-bar').count() == 1
    assert page.locator(".gantt-link.is-critical").count() == 2
    assert page.locator(f'.gantt-item[data-key="{golive.key}"] .gantt-milestone').count() == 1

    drag(page, build.key, 7 * DAY_PX)  # one week later

    expect(page.locator("#gantt-status")).to_contain_text(f"{build.key} saved")
    expect(bar(page, build.key)).to_have_attribute("data-start", "2026-01-12")
    expect(bar(page, test.key)).to_have_attribute("data-start", "2026-01-15")
    expect(bar(page, test.key)).to_have_attribute("data-finish", "2026-01-16")
    expect(bar(page, golive.key)).to_have_attribute("data-finish", "2026-01-16")
    build.refresh_from_db()
    test.refresh_from_db()
    assert (build.start, build.finish, build.duration_minutes) == (
        dt.date(2026, 1, 12), dt.date(2026, 1, 14), days(3),
    )  # fmt: skip
    assert (build.constraint, build.constraint_date) == ("snet", dt.date(2026, 1, 12))
    assert test.start == dt.date(2026, 1, 15)
    screenshot(page, "gantt-after-drag")

    # resizing the right end changes the finish (and so the duration)
    box = page.locator(f'.gantt-item[data-key="{test.key}"] .gantt-bar').bounding_box()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 2 + 4 * DAY_PX, box["y"] + 5, steps=6)
    page.mouse.up()
    expect(page.locator("#gantt-status")).to_contain_text(f"{test.key} saved")
    expect(bar(page, test.key)).to_have_attribute("data-finish", "2026-01-20")
    test.refresh_from_db()
    assert (test.finish, test.duration_minutes) == (dt.date(2026, 1, 20), days(4))
    page.watcher.assert_clean()


def test_a_drag_on_a_stale_version_is_refused_and_the_bar_reloads(page, login, live_server, erp):
    build = Item.objects.get(program=erp, name="Build ledger")
    open_gantt(page, login, live_server)
    expect(bar(page, build.key)).to_have_attribute("data-finish", "2026-01-07")
    # meanwhile the coordinator makes the task longer
    coordinator = erp.memberships.get(role=Role.COORDINATOR).user
    services.item_update(
        actor=coordinator, item=build, expected_version=build.version, duration_minutes=days(5)
    )

    drag(page, build.key, 3 * DAY_PX)

    status = page.locator("#gantt-status")
    expect(status).to_contain_text(f"{build.key} was changed by Marcus Lee")
    expect(status).to_contain_text("not saved")
    expect(bar(page, build.key)).to_have_attribute("data-start", "2026-01-05")
    expect(bar(page, build.key)).to_have_attribute("data-finish", "2026-01-09")  # reloaded
    build.refresh_from_db()
    assert (build.start, build.constraint) == (dt.date(2026, 1, 5), "asap")
    screenshot(page, "gantt-stale-drag")
    # the page logs the 412 response as a failed resource load; nothing else may go wrong
    problems = [p for p in page.watcher.problems if "412" not in p]
    assert not problems, problems


def test_a_viewer_sees_a_read_only_gantt(page, login, live_server, erp):
    build = Item.objects.get(program=erp, name="Build ledger")
    open_gantt(page, login, live_server, email="viewer@example.com")
    expect(page.get_by_text("Read-only")).to_be_visible()
    expect(bar(page, build.key)).to_have_class("gantt-item is-task is-critical")

    drag(page, build.key, 5 * DAY_PX)

    expect(bar(page, build.key)).to_have_attribute("data-start", "2026-01-05")
    expect(page.locator("#gantt-status")).to_be_empty()
    build.refresh_from_db()
    assert (build.start, build.constraint) == (dt.date(2026, 1, 5), "asap")
    page.watcher.assert_clean()


def test_collapsing_a_summary_hides_its_rows_and_zoom_changes_the_scale(
    page, login, live_server, erp
):
    open_gantt(page, login, live_server)
    rows = page.locator(".gantt-row")
    expect(rows).to_have_count(4)

    page.get_by_role("button", name="Collapse 1 Build phase").click()

    expect(rows).to_have_count(2)
    toggle = page.get_by_role("button", name="Expand 1 Build phase")
    expect(toggle).to_be_focused()  # keyboard users keep their place
    page.keyboard.press("Enter")
    expect(rows).to_have_count(4)
    page.get_by_role("button", name="Quarter").click()
    expect(page.get_by_role("button", name="Quarter")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".gantt-head text", has_text="Q1").first).to_be_visible()
    page.watcher.assert_clean()
