"""iCalendar: holidays imported from .ics (all or nothing, UID kept), and the milestone feed."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from programs.tests.factories import ProgramFactory
from schedules import ical, services
from schedules.models import Holiday
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

D = dt.date


def ics(*events: str, wrap: bool = True) -> bytes:
    body = "".join(events)
    if wrap:
        body = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n{body}END:VCALENDAR\r\n"
    return body.encode()


def vevent(uid: str | None, summary: str | None, *props: str) -> str:
    lines = ["BEGIN:VEVENT"]
    if uid:
        lines.append(f"UID:{uid}")
    if summary:
        lines.append(f"SUMMARY:{summary}")
    lines += list(props)
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


CHRISTMAS = vevent(
    "xmas-2026@example.com",
    "Christmas break",
    "DTSTART;VALUE=DATE:20261224",
    "DTEND;VALUE=DATE:20261227",
)
NEW_YEAR = vevent(
    "ny-2027@example.com", "New Year", "DTSTART;VALUE=DATE:20270101", "DTEND;VALUE=DATE:20270102"
)


def holidays(program) -> list[tuple[str, dt.date, dt.date, str]]:
    return list(
        Holiday.objects.filter(program=program)
        .order_by("start")
        .values_list("name", "start", "finish", "uid")
    )


# --- import ---------------------------------------------------------------------------------------


def test_import_turns_each_event_into_a_holiday_range_with_an_exclusive_end(program, manager):
    result = ical.holidays_import(actor=manager, program=program, content=ics(CHRISTMAS, NEW_YEAR))
    assert (len(result.created), len(result.updated), result.unchanged) == (2, 0, 0)
    assert holidays(program) == [
        ("Christmas break", D(2026, 12, 24), D(2026, 12, 26), "xmas-2026@example.com"),
        ("New Year", D(2027, 1, 1), D(2027, 1, 1), "ny-2027@example.com"),
    ]
    assert AuditEntry.objects.filter(action="create", object_repr__contains="Christmas").exists()


def test_reimport_updates_by_uid_instead_of_duplicating(program, manager):
    ical.holidays_import(actor=manager, program=program, content=ics(CHRISTMAS, NEW_YEAR))
    moved = vevent(
        "xmas-2026@example.com",
        "Christmas shutdown",
        "DTSTART;VALUE=DATE:20261223",
        "DTEND;VALUE=DATE:20261228",
    )
    result = ical.holidays_import(actor=manager, program=program, content=ics(moved, NEW_YEAR))
    assert (len(result.created), len(result.updated), result.unchanged) == (0, 1, 1)
    assert holidays(program) == [
        ("Christmas shutdown", D(2026, 12, 23), D(2026, 12, 27), "xmas-2026@example.com"),
        ("New Year", D(2027, 1, 1), D(2027, 1, 1), "ny-2027@example.com"),
    ]


def test_events_without_uid_are_not_duplicated_when_identical(program, manager):
    plain = vevent(None, "Founders day", "DTSTART;VALUE=DATE:20260310")
    ical.holidays_import(actor=manager, program=program, content=ics(plain))
    result = ical.holidays_import(actor=manager, program=program, content=ics(plain))
    assert result.unchanged == 1
    assert holidays(program) == [("Founders day", D(2026, 3, 10), D(2026, 3, 10), "")]


def test_import_moves_the_schedule_around_the_new_holidays(program, manager):
    task = ItemFactory(program=program, name="Build", duration_minutes=days(5), actor=manager)
    assert task.finish == D(2026, 1, 9)
    closure = vevent(
        "c1", "Closure", "DTSTART;VALUE=DATE:20260107", "DTEND;VALUE=DATE:20260109"
    )  # Wed 7 and Thu 8 Jan
    ical.holidays_import(actor=manager, program=program, content=ics(closure))
    task.refresh_from_db()
    assert task.finish == D(2026, 1, 13)


def test_timed_events_cover_the_days_they_touch_in_the_program_time_zone(program, manager):
    timed = vevent(
        "t1",
        "Offsite",
        "DTSTART;TZID=Europe/London:20260302T090000",
        "DTEND;TZID=Europe/London:20260303T170000",
    )
    to_midnight = vevent("t2", "Strike", "DTSTART:20260305T000000Z", "DTEND:20260306T000000Z")
    ical.holidays_import(actor=manager, program=program, content=ics(timed, to_midnight))
    assert holidays(program) == [
        ("Offsite", D(2026, 3, 2), D(2026, 3, 3), "t1"),
        ("Strike", D(2026, 3, 5), D(2026, 3, 5), "t2"),
    ]


def test_cancelled_events_are_skipped_and_reported(program, manager):
    cancelled = vevent("x1", "Moved", "DTSTART;VALUE=DATE:20260401", "STATUS:CANCELLED")
    result = ical.holidays_import(actor=manager, program=program, content=ics(NEW_YEAR, cancelled))
    assert len(result.created) == 1
    assert result.skipped == ["Line 10 (“Moved”)"]


def test_every_bad_event_is_listed_by_line_and_nothing_is_imported(program, manager):
    content = ics(
        CHRISTMAS,  # lines 4-9: fine
        vevent("b1", "Bad date", "DTSTART;VALUE=DATE:2026XX01"),  # line 10
        vevent("b2", "Backwards", "DTSTART;VALUE=DATE:20260510", "DTEND;VALUE=DATE:20260501"),
        vevent("b3", "No start"),  # line 20
        vevent("b4", "Every year", "DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=YEARLY"),
        vevent("xmas-2026@example.com", "Twice", "DTSTART;VALUE=DATE:20260601"),
        vevent("b6", "Mixed", "DTSTART;VALUE=DATE:20260601", "DTEND:20260602T100000Z"),
        vevent("b7", "Too long", "DTSTART;VALUE=DATE:20260101", "DTEND;VALUE=DATE:20280101"),
    )
    with pytest.raises(ical.IcsImportError) as err:
        ical.holidays_import(actor=manager, program=program, content=content)
    assert err.value.errors == [
        "Line 10 (“Bad date”): DTSTART cannot be read (Wrong date format 2026XX01).",
        "Line 15 (“Backwards”): it ends (2026-05-01) before it starts (2026-05-10).",
        "Line 21 (“No start”): it has no start date (DTSTART).",
        "Line 25 (“Every year”): the event repeats (RRULE/RDATE). Repeating events are not "
        "imported; export the single dates instead.",
        "Line 31 (“Twice”): its UID xmas-2026@example.com is used by the event on line 4 too.",
        "Line 36 (“Mixed”): its start and end mix a date with a date-time.",
        "Line 42 (“Too long”): it lasts 730 days; a holiday range is at most 366 days.",
    ]
    assert holidays(program) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"Name,Date\nChristmas,2026-12-25\n", "This is not an iCalendar (.ics) file"),
        (b"%PDF-1.7\n\x00\x01\xff binary", "This is not an iCalendar (.ics) file"),
        (ics("", wrap=True), "The file holds no events (VEVENT)"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:cut", "The file is cut short"),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260101\r\nEND:VCALENDAR\r\n",
            "opens 1 event(s) with BEGIN:VEVENT but only 0 can be read",
        ),
        (b"BEGIN:VCALENDAR\r\n" + b"X" * (3 * 1024 * 1024), "larger than 2 MB"),
    ],
)
def test_files_that_are_not_usable_icalendar_are_refused(program, manager, content, message):
    with pytest.raises(ical.IcsImportError) as err:
        ical.holidays_import(actor=manager, program=program, content=content)
    assert len(err.value.errors) == 1
    assert message in err.value.errors[0]
    assert holidays(program) == []


def test_a_utf8_bom_and_non_ascii_names_are_fine(program, manager):
    event = vevent("f1", "Fête nationale", "DTSTART;VALUE=DATE:20260714")
    ical.holidays_import(actor=manager, program=program, content=b"\xef\xbb\xbf" + ics(event))
    assert holidays(program) == [("Fête nationale", D(2026, 7, 14), D(2026, 7, 14), "f1")]


# --- the feed -------------------------------------------------------------------------------------


@pytest.fixture
def milestones(program, manager):
    build = ItemFactory(
        program=program,
        name="Build",
        duration_minutes=days(5),
        deadline=D(2026, 1, 8),
        actor=manager,
    )
    golive = ItemFactory(program=program, name="Go-live", kind="milestone", actor=manager)
    link(build, golive, actor=manager)
    ItemFactory(program=program, name="Plain task", actor=manager)
    golive.refresh_from_db()
    build.refresh_from_db()
    return build, golive


def feed_url(program) -> str:
    token = services.schedule_for(program).feed_token
    return reverse("schedule_feed", kwargs={"token": token})


def events_of(response) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_feed_lists_milestones_at_forecast_and_deadlines_as_all_day_events(
    program, manager, milestones
):
    build, golive = milestones
    response = Client().get(feed_url(program))  # no login: the token is the key
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(response.content)
    assert str(cal["X-WR-CALNAME"]) == "ERP milestones and deadlines"
    events = events_of(response)
    assert set(events) == {
        f"{golive.key}-milestone@erp.programoffice",
        f"{build.key}-deadline@erp.programoffice",
    }
    m = events[f"{golive.key}-milestone@erp.programoffice"]
    assert str(m["SUMMARY"]) == f"{golive.key} Go-live"
    assert m.decoded("DTSTART") == D(2026, 1, 9)
    assert m.decoded("DTEND") == D(2026, 1, 10)
    assert int(m["SEQUENCE"]) == golive.version
    description = str(m["DESCRIPTION"])
    assert "WBS 2 · Not started, 0% complete" in description
    assert f"http://testserver/programs/ERP/schedule/items/{golive.key}/" in description or (
        f"/programs/ERP/schedule/items/{golive.key}/" in description
    )
    assert str(m["URL"]).endswith(f"/programs/ERP/schedule/items/{golive.key}/")
    d = events[f"{build.key}-deadline@erp.programoffice"]
    assert str(d["SUMMARY"]) == f"Deadline: {build.key} Build"
    assert d.decoded("DTSTART") == D(2026, 1, 8)
    assert "Forecast finish: 2026-01-09 · later than the deadline" in str(d["DESCRIPTION"])


def test_feed_uid_stays_and_sequence_follows_the_version(program, manager, milestones):
    build, golive = milestones
    client = Client()
    before = events_of(client.get(feed_url(program)))[f"{golive.key}-milestone@erp.programoffice"]
    services.item_update(
        actor=manager, item=golive, expected_version=golive.version, name="Go-live (wave 1)"
    )
    build.refresh_from_db()
    services.item_update(
        actor=manager, item=build, expected_version=build.version, duration_minutes=days(6)
    )
    after = events_of(client.get(feed_url(program)))[f"{golive.key}-milestone@erp.programoffice"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert str(after["SUMMARY"]) == f"{golive.key} Go-live (wave 1)"
    assert after.decoded("DTSTART") == D(2026, 1, 12)


def test_feed_is_404_for_unknown_and_rotated_tokens(program, manager, milestones):
    client = Client()
    old = feed_url(program)
    assert client.get(old).status_code == 200
    assert client.get(reverse("schedule_feed", kwargs={"token": "nope"})).status_code == 404
    services.schedule_rotate_feed_token(actor=manager, program=program)
    assert client.get(old).status_code == 404
    assert client.get(feed_url(program)).status_code == 200


def test_feed_of_one_program_shows_nothing_of_another(program, manager, milestones):
    other = ProgramFactory(code="HR", manager=manager)
    ItemFactory(program=other, name="HR secret milestone", kind="milestone", actor=manager)
    response = Client().get(feed_url(program))
    assert b"HR secret" not in response.content
    other_feed = Client().get(feed_url(other))
    assert [str(e["SUMMARY"]) for e in events_of(other_feed).values()] == [
        "TSK-1 HR secret milestone"
    ]


def test_feed_answers_304_when_nothing_changed(program, manager, milestones):
    client = Client()
    first = client.get(feed_url(program))
    etag = first["ETag"]
    again = client.get(feed_url(program), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_feed_of_an_empty_plan_is_a_valid_empty_calendar(program):
    response = Client().get(feed_url(program))
    assert response.status_code == 200
    assert events_of(response) == {}


@pytest.mark.parametrize("n", [1, 3])
def test_feed_runs_a_constant_number_of_queries(program, manager, count_queries, n):
    for i in range(n):
        ItemFactory(program=program, name=f"M{i}", kind="milestone", actor=manager)
        ItemFactory(program=program, name=f"T{i}", deadline=D(2026, 2, 2), actor=manager)
    url = feed_url(program)
    client = Client()
    with count_queries() as ctx:
        response = client.get(url)
    assert len(events_of(response)) == 2 * n
    # the schedule with its program, the items (inside the request's savepoint pair)
    assert len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]) == 2


def test_feed_says_a_completed_milestone_was_reached(program, manager, milestones):
    _build, golive = milestones
    services.item_update(
        actor=manager, item=golive, expected_version=golive.version, status="complete"
    )
    event = events_of(Client().get(feed_url(program)))[f"{golive.key}-milestone@erp.programoffice"]
    description = str(event["DESCRIPTION"])
    assert "Complete, 100% complete" in description
    assert "Reached: 2026-01-09" in description
