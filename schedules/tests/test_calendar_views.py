"""Calendar pages through the client: settings, holidays, .ics upload, the feed address."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import ProgramFactory
from schedules import services
from schedules.models import Holiday, Schedule
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
D = dt.date


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, **kwargs) -> str:
    return reverse(f"schedules:{name}", kwargs={"code": "ERP", **kwargs})


def text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def ics_file(body: str, name: str = "holidays.ics") -> SimpleUploadedFile:
    content = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//EN\r\n{body}END:VCALENDAR\r\n"
    return SimpleUploadedFile(name, content.encode(), content_type="text/calendar")


EVENT = (
    "BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{name}\r\nDTSTART;VALUE=DATE:{start}\r\n"
    "DTEND;VALUE=DATE:{end}\r\nEND:VEVENT\r\n"
)


# --- the page -----------------------------------------------------------------------------------


def test_calendar_page_shows_settings_holidays_months_and_feed(program, manager):
    services.holiday_create(
        actor=manager, program=program, name="Easter", start=D(2026, 4, 3), finish=D(2026, 4, 6)
    )
    ItemFactory(program=program, name="Go-live", kind="milestone", actor=manager)
    response = logged_in(manager).get(url("calendar") + "?month=2026-03")
    assert response.status_code == 200
    page = text(response)
    assert "Working time" in page
    assert "Easter" in page
    assert [m["first"] for m in response.context["months"]] == [
        D(2026, 3, 1),
        D(2026, 4, 1),
        D(2026, 5, 1),
    ]
    april = response.context["months"][1]
    cells = {c["date"]: c for w in april["weeks"] for c in w if c["in_month"]}
    assert cells[D(2026, 4, 3)]["holiday"] == "Easter"
    assert cells[D(2026, 4, 3)]["working"] is False
    assert cells[D(2026, 4, 4)]["weekend"] is True
    assert cells[D(2026, 4, 7)]["working"] is True
    assert april["holiday_days"] == 2  # Good Friday and Easter Monday; the weekend is off anyway
    token = Schedule.objects.get(program=program).feed_token
    assert f"/feeds/schedule/{token}.ics" in page
    assert f"webcal://127.0.0.1:8000/feeds/schedule/{token}.ics" in page or "webcal://" in page
    assert url("holiday_create") in page  # the manager may edit


def test_calendar_page_marks_milestones_in_the_month_view(program, manager):
    task = ItemFactory(program=program, name="Kick-off", duration_minutes=days(3), actor=manager)
    gate = ItemFactory(program=program, name="Kick-off done", kind="milestone", actor=manager)
    link(task, gate, actor=manager)
    response = logged_in(manager).get(url("calendar") + "?month=2026-01")
    january = response.context["months"][0]
    cells = {c["date"]: c for w in january["weeks"] for c in w if c["in_month"]}
    assert [m["name"] for m in cells[D(2026, 1, 7)]["milestones"]] == ["Kick-off done"]
    assert "milestone TSK-2 Kick-off done" in text(response)  # for screen readers


def test_calendar_page_for_a_viewer_has_no_edit_controls(program, users_by_role):
    response = logged_in(users_by_role["viewer"]).get(url("calendar"))
    assert response.status_code == 200
    page = text(response)
    for name in ("holiday_create", "settings", "ics_import", "feed_rotate"):
        assert url(name) not in page, name
    assert "The program manager maintains the holidays." in page


def test_calendar_month_navigation_is_an_htmx_fragment(program, manager):
    response = logged_in(manager).get(url("calendar") + "?month=2027-02", headers=HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="calendar-months"')
    assert "February 2027" in body
    junk = logged_in(manager).get(url("calendar") + "?month=2027-13")
    assert junk.status_code == 200  # a bad month shows the current one


def test_calendar_holidays_toggle_past(program, manager):
    services.holiday_create(
        actor=manager, program=program, name="Old one", start=D(2020, 1, 1), finish=D(2020, 1, 1)
    )
    client = logged_in(manager)
    upcoming = client.get(url("calendar"))
    assert "Old one" not in text(upcoming)
    assert "Show 1 past" in text(upcoming)
    every = client.get(url("calendar") + "?part=holidays&holidays=all", headers=HX)
    assert every.content.decode().lstrip().startswith('<div id="calendar-holidays"')
    assert "Old one" in text(every)


def test_calendar_page_queries_do_not_grow_with_holidays_and_milestones(
    program, manager, count_queries
):
    client = logged_in(manager)
    page = url("calendar") + "?month=2026-01&holidays=all"
    task = ItemFactory(program=program, name="Work", duration_minutes=days(1), actor=manager)

    def add(i: int) -> None:
        services.holiday_create(
            actor=manager, program=program, name=f"H{i}", start=D(2026, 1, 20 + i),
            finish=D(2026, 1, 20 + i),
        )  # fmt: skip
        link(task, ItemFactory(program=program, name=f"M{i}", kind="milestone", actor=manager))

    add(0)
    client.get(page)
    with count_queries() as one:
        client.get(page)
    add(1)
    add(2)
    with count_queries() as three:
        response = client.get(page)
    assert len(response.context["holidays"]) == 3
    january = response.context["months"][0]
    assert sum(len(c["milestones"]) for w in january["weeks"] for c in w) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_non_member_gets_404_and_wrong_roles_403(program, manager, users_by_role):
    holiday = services.holiday_create(
        actor=manager, program=program, name="Easter", start=D(2026, 4, 3), finish=D(2026, 4, 3)
    )
    outsider = ProgramFactory(code="HR").memberships.get(role=Role.MANAGER).user
    client = logged_in(outsider)
    assert client.get(url("calendar")).status_code == 404
    assert client.post(url("holiday_delete", pk=holiday.pk)).status_code == 404
    coordinator = logged_in(users_by_role["coordinator"])
    assert coordinator.get(url("calendar")).status_code == 200
    for name, kwargs in [
        ("settings", {}),
        ("holiday_create", {}),
        ("holiday_edit", {"pk": holiday.pk}),
        ("holiday_delete", {"pk": holiday.pk}),
        ("ics_import", {}),
        ("feed_rotate", {}),
    ]:
        assert coordinator.post(url(name, **kwargs)).status_code == 403, name
    assert Holiday.objects.filter(pk=holiday.pk).exists()


# --- settings -----------------------------------------------------------------------------------


def test_settings_save_recomputes_the_schedule(program, manager):
    task = ItemFactory(program=program, name="Build", duration_minutes=days(5), actor=manager)
    schedule = services.schedule_for(program)
    client = logged_in(manager)
    form = client.get(url("settings"), headers=HX)
    assert form.status_code == 200 and "<html" not in form.content.decode()
    response = client.post(
        url("settings"),
        {
            "version": schedule.version,
            "weekdays": ["0", "1", "2", "3"],  # a four-day week
            "project_start": "2026-01-06",
            "status_date": "",
            "slip_threshold_days": "3",
        },
        headers=HX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("calendar")
    schedule.refresh_from_db()
    assert (schedule.weekdays, schedule.project_start, schedule.slip_threshold_days) == (
        [0, 1, 2, 3],
        D(2026, 1, 6),
        3,
    )
    task.refresh_from_db()
    assert (task.start, task.finish) == (D(2026, 1, 6), D(2026, 1, 13))  # Tue..Tue, no Fridays


def test_settings_refuse_no_weekdays_and_keep_the_input(program, manager):
    schedule = services.schedule_for(program)
    response = logged_in(manager).post(
        url("settings"),
        {"version": schedule.version, "slip_threshold_days": "-2", "status_date": "2026-02-30"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "Pick at least one working weekday." in page
    assert "Ensure this value is greater than or equal to 0." in page
    assert "Enter a valid date." in page
    schedule.refresh_from_db()
    assert schedule.slip_threshold_days == 5


def test_settings_stale_save_shows_the_conflict(program, manager, users_by_role):
    schedule = services.schedule_for(program)
    stale = schedule.version
    services.schedule_update(
        actor=manager, program=program, expected_version=stale, slip_threshold_days=9
    )
    response = logged_in(manager).post(
        url("settings"),
        {"version": stale, "weekdays": ["0", "1", "2", "3", "4"], "slip_threshold_days": "2"},
    )
    assert response.status_code == 400
    assert "changed this while you were editing" in text(response)
    schedule.refresh_from_db()
    assert schedule.slip_threshold_days == 9


# --- holidays -----------------------------------------------------------------------------------


def test_add_edit_and_delete_a_holiday(program, manager):
    task = ItemFactory(program=program, name="Build", duration_minutes=days(5), actor=manager)
    client = logged_in(manager)
    created = client.post(
        url("holiday_create"), {"name": "Closure", "start": "2026-01-07", "finish": ""}, headers=HX
    )
    assert created.status_code == 204
    holiday = Holiday.objects.get(program=program)
    assert (holiday.name, holiday.start, holiday.finish) == (
        "Closure",
        D(2026, 1, 7),
        D(2026, 1, 7),
    )
    task.refresh_from_db()
    assert task.finish == D(2026, 1, 12)

    edit = client.get(url("holiday_edit", pk=holiday.pk), headers=HX)
    assert 'value="Closure"' in edit.content.decode()
    saved = client.post(
        url("holiday_edit", pk=holiday.pk),
        {"version": holiday.version, "name": "Closure", "start": "2026-01-07",
         "finish": "2026-01-08"},
    )  # fmt: skip
    assert saved.status_code == 302
    holiday.refresh_from_db()
    assert holiday.finish == D(2026, 1, 8)

    confirm = client.get(url("holiday_delete", pk=holiday.pk), headers=HX)
    assert "Delete “Closure”?" in text(confirm)
    deleted = client.post(url("holiday_delete", pk=holiday.pk), {"version": holiday.version})
    assert deleted.status_code == 302
    assert not Holiday.objects.exists()
    task.refresh_from_db()
    assert task.finish == D(2026, 1, 9)


def test_holiday_ending_before_it_starts_is_refused_with_input_kept(program, manager):
    response = logged_in(manager).post(
        url("holiday_create"),
        {"name": "Backwards", "start": "2026-05-10", "finish": "2026-05-01"},
        headers=HX,
    )
    assert response.status_code == 400
    assert "The last day cannot be before the first day." in text(response)
    assert 'value="Backwards"' in response.content.decode()
    assert not Holiday.objects.exists()


def test_holiday_stale_edit_and_delete_are_refused(program, manager):
    holiday = services.holiday_create(
        actor=manager, program=program, name="Easter", start=D(2026, 4, 3), finish=D(2026, 4, 3)
    )
    stale = holiday.version
    services.holiday_update(
        actor=manager, holiday=holiday, expected_version=stale, finish=D(2026, 4, 6)
    )
    client = logged_in(manager)
    edit = client.post(
        url("holiday_edit", pk=holiday.pk),
        {"version": stale, "name": "Easter weekend", "start": "2026-04-03", "finish": "2026-04-03"},
    )
    assert edit.status_code == 400
    assert "changed this while you were editing" in text(edit)
    assert "Easter weekend" in text(edit)
    delete = client.post(url("holiday_delete", pk=holiday.pk), {"version": stale})
    assert delete.status_code == 302
    assert "was changed by someone else" in messages_of(delete)[0]
    holiday.refresh_from_db()
    assert (holiday.name, holiday.finish) == ("Easter", D(2026, 4, 6))


def test_a_holiday_of_another_program_is_not_found(program, manager):
    other = ProgramFactory(code="HR", manager=manager)
    foreign = services.holiday_create(
        actor=manager, program=other, name="Theirs", start=D(2026, 4, 3), finish=D(2026, 4, 3)
    )
    client = logged_in(manager)
    assert client.get(url("holiday_edit", pk=foreign.pk)).status_code == 404
    assert client.post(url("holiday_delete", pk=foreign.pk)).status_code == 404
    assert Holiday.objects.filter(pk=foreign.pk).exists()


# --- .ics upload --------------------------------------------------------------------------------


def test_ics_upload_imports_and_reports(program, manager):
    body = EVENT.format(uid="a", name="Christmas", start="20261225", end="20261227")
    response = logged_in(manager).post(url("ics_import"), {"file": ics_file(body)})
    assert response.status_code == 302
    assert response["Location"] == url("calendar") + "#holidays"
    assert messages_of(response) == [
        "Imported holidays.ics: 1 holiday added. The schedule was recomputed."
    ]
    assert list(Holiday.objects.values_list("name", "start", "finish")) == [
        ("Christmas", D(2026, 12, 25), D(2026, 12, 26))
    ]
    again = logged_in(manager).post(url("ics_import"), {"file": ics_file(body)})
    assert messages_of(again) == ["Imported holidays.ics: 1 already up to date."]
    assert Holiday.objects.count() == 1


def test_ics_upload_with_bad_events_lists_them_and_imports_nothing(program, manager):
    good = EVENT.format(uid="a", name="Christmas", start="20261225", end="20261227")
    bad = EVENT.format(uid="b", name="Broken", start="2026XX01", end="20261227")
    response = logged_in(manager).post(url("ics_import"), {"file": ics_file(good + bad)})
    assert response.status_code == 400
    page = text(response)
    assert "holidays.ics was not imported" in page
    assert "Line 10 (“Broken”): DTSTART cannot be read" in page
    assert not Holiday.objects.exists()


def test_ics_upload_refuses_other_files(program, manager):
    upload = SimpleUploadedFile("plan.csv", b"name,date\nx,2026-01-01\n", content_type="text/csv")
    response = logged_in(manager).post(url("ics_import"), {"file": upload})
    assert response.status_code == 400
    assert "This is not an iCalendar (.ics) file" in text(response)
    missing = logged_in(manager).post(url("ics_import"), {})
    assert missing.status_code == 400
    assert "This field is required." in text(missing)
    assert not Holiday.objects.exists()


def test_ics_import_page_renders(program, manager):
    response = logged_in(manager).get(url("ics_import"))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


# --- the feed address ---------------------------------------------------------------------------


def test_reset_address_makes_the_old_feed_404(program, manager):
    old_token = services.schedule_for(program).feed_token
    old_feed = reverse("schedule_feed", kwargs={"token": old_token})
    assert Client().get(old_feed).status_code == 200
    client = logged_in(manager)
    assert client.get(url("feed_rotate")).status_code == 302  # GET only goes back
    assert Schedule.objects.get(program=program).feed_token == old_token
    response = client.post(url("feed_rotate"))
    assert response.status_code == 302
    assert response["Location"] == url("calendar") + "#feed"
    new_token = Schedule.objects.get(program=program).feed_token
    assert new_token != old_token
    assert Client().get(old_feed).status_code == 404
    page = client.get(url("calendar"))
    assert new_token in page.content.decode() and old_token not in page.content.decode()
