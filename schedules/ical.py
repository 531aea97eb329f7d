"""iCalendar in and out: holidays imported from an .ics file, and the milestone/deadline feed.

Import: each VEVENT becomes a holiday range from DTSTART to the day before DTEND (DTEND is
exclusive in iCalendar). The event's UID is kept, so importing the same file again updates the
holidays it created instead of adding copies. Everything is validated first; one bad event
refuses the whole file, and every bad event is listed with its line and summary.

Feed: every milestone at its forecast finish and every deadline, as all-day events with a UID
that never changes for the item, SEQUENCE following the item's version, so calendar apps that
subscribe to the secret-token address update the events in place.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import icalendar
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse

from programs.models import Program

from . import services
from .models import Holiday, Item, ItemKind, ItemStatus

MAX_BYTES = 2 * 1024 * 1024
MAX_HOLIDAY_DAYS = 366
NAME_MAX = Holiday._meta.get_field("name").max_length
UID_MAX = Holiday._meta.get_field("uid").max_length
PRODID = "-//Program Office//Schedules//EN"


class IcsImportError(Exception):
    """The file was refused; `errors` lists every reason (nothing was imported)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class IcsHoliday:
    line: int
    uid: str
    name: str
    start: dt.date
    finish: dt.date


@dataclass
class IcsImportResult:
    created: list[Holiday] = field(default_factory=list)
    updated: list[Holiday] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # cancelled events, by line and summary

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + self.unchanged


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Not UTF-8 as RFC 5545 requires; old exporters write Windows-1252. If that is wrong
        # too, the BEGIN:VCALENDAR check below refuses the file.
        return content.decode("cp1252", errors="replace")


def _event_lines(text: str) -> list[int]:
    """Line numbers (1-based) of each BEGIN:VEVENT, in document order."""
    return [
        n
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip().upper() == "BEGIN:VEVENT"
    ]


def _day(value: dt.date | dt.datetime, tz: dt.tzinfo) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz)
        return value.date()
    return value


def _label(line: int, summary: str) -> str:
    return f"Line {line} (“{summary}”)" if summary else f"Line {line} (no summary)"


def parse_holidays(content: bytes, *, time_zone: str = "UTC") -> tuple[list[IcsHoliday], list[str]]:
    """The holidays an .ics file describes, plus the cancelled events it skips.

    Raises IcsImportError listing every problem when the file or any event is unusable.
    """
    if not content or not content.strip():
        raise IcsImportError(["The file is empty."])
    if len(content) > MAX_BYTES:
        raise IcsImportError(
            [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; a holiday calendar is "
             "far smaller. Export only the holidays."]
        )  # fmt: skip
    text = _decode(content)
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise IcsImportError(
            ["This is not an iCalendar (.ics) file: it should begin with BEGIN:VCALENDAR. "
             "Export the calendar from your calendar app as .ics and upload that file."]
        )  # fmt: skip
    if not text.rstrip().upper().endswith("END:VCALENDAR"):
        raise IcsImportError(
            ["The file is cut short: it does not end with END:VCALENDAR. Export it again."]
        )
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except ValueError as exc:
        raise IcsImportError([f"The iCalendar file could not be read: {exc}"]) from exc
    events = [event for cal in calendars for event in cal.walk("VEVENT")]
    lines = _event_lines(text)
    if len(lines) != len(events):  # an event the parser dropped (e.g. nested wrongly)
        raise IcsImportError(
            [f"The file opens {len(lines)} event(s) with BEGIN:VEVENT but only {len(events)} "
             "can be read: check that every BEGIN:VEVENT has its END:VEVENT."]
        )  # fmt: skip
    if not events:
        raise IcsImportError(["The file holds no events (VEVENT), so there is nothing to import."])
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    errors: list[str] = []
    skipped: list[str] = []
    holidays: list[IcsHoliday] = []
    seen_uids: dict[str, int] = {}
    for index, event in enumerate(events):
        line = lines[index] if index < len(lines) else 0
        summary = str(event.get("SUMMARY", "") or "").strip()
        where = _label(line, summary)
        problems: list[str] = []
        for name, reason in event.errors:
            problems.append(f"{name} cannot be read ({reason})")
        if problems:
            errors.append(f"{where}: " + "; ".join(problems) + ".")
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            skipped.append(where)
            continue
        if "RRULE" in event or "RDATE" in event:
            errors.append(
                f"{where}: the event repeats (RRULE/RDATE). Repeating events are not imported; "
                "export the single dates instead."
            )
            continue
        try:
            start_value = event.start
            end_value = event.end
        except ValueError as exc:  # IncompleteComponent, InvalidCalendar and broken values
            reason = str(exc)
            if "No DTSTART" in reason:
                message = "it has no start date (DTSTART)"
            elif "same type" in reason:
                message = "its start and end mix a date with a date-time"
            else:
                message = reason.rstrip(".")
            errors.append(f"{where}: {message}.")
            continue
        start = _day(start_value, tz)
        timed = isinstance(start_value, dt.datetime)
        if timed != isinstance(end_value, dt.datetime):
            problems.append("its start and end mix a date with a date-time")
            finish = start
        elif timed:
            end_local = end_value.astimezone(tz) if end_value.tzinfo else end_value
            finish = end_local.date()
            # a timed event ending at midnight does not touch the day it ends on
            if end_local.time() == dt.time(0) and finish > start:
                finish -= dt.timedelta(days=1)
        elif end_value > start_value:
            finish = end_value - dt.timedelta(days=1)  # DTEND of an all-day event is exclusive
        else:
            finish = end_value  # DTEND equal to DTSTART: some exporters mean that one day
        if not problems and (finish < start or end_value < start_value):
            problems.append(
                f"it ends ({_day(end_value, tz):%Y-%m-%d}) before it starts ({start:%Y-%m-%d})"
            )
        elif (finish - start).days + 1 > MAX_HOLIDAY_DAYS:
            problems.append(
                f"it lasts {(finish - start).days + 1} days; a holiday range is at most "
                f"{MAX_HOLIDAY_DAYS} days"
            )
        uid = str(event.get("UID", "") or "").strip()
        if len(uid) > UID_MAX:
            problems.append(f"its UID is longer than {UID_MAX} characters")
        elif uid and uid in seen_uids:
            problems.append(f"its UID {uid} is used by the event on line {seen_uids[uid]} too")
        if problems:
            errors.append(f"{where}: " + "; ".join(problems) + ".")
            continue
        if uid:
            seen_uids[uid] = line
        name = summary or "Non-working day"
        if len(name) > NAME_MAX:
            name = name[: NAME_MAX - 1] + "…"
        holidays.append(IcsHoliday(line=line, uid=uid, name=name, start=start, finish=finish))
    if errors:
        raise IcsImportError(errors)
    if not holidays:
        raise IcsImportError(
            ["Every event in the file is cancelled, so there is nothing to import."]
        )
    return holidays, skipped


@transaction.atomic
def holidays_import(*, actor, program: Program, content: bytes) -> IcsImportResult:
    """Create or update the program's holidays from an .ics file: all of them, or none.

    An event whose UID an earlier import stored updates that holiday; an event without a UID
    that matches an existing holiday exactly (name and dates) is left alone. The schedule is
    recomputed once at the end.
    """
    parsed, skipped = parse_holidays(content, time_zone=program.time_zone)
    schedule = services.lock_schedule(program)
    existing = list(Holiday.objects.filter(program=program))
    by_uid = {h.uid: h for h in existing if h.uid}
    by_value = {(h.name, h.start, h.finish) for h in existing if not h.uid}
    result = IcsImportResult(skipped=skipped)
    try:
        for h in parsed:
            current = by_uid.get(h.uid) if h.uid else None
            if current is not None:
                changes = {"name": h.name, "start": h.start, "finish": h.finish}
                if all(getattr(current, k) == v for k, v in changes.items()):
                    result.unchanged += 1
                    continue
                result.updated.append(
                    services.holiday_update(
                        actor=actor,
                        holiday=current,
                        expected_version=None,
                        recompute_after=False,
                        **changes,
                    )
                )
            elif not h.uid and (h.name, h.start, h.finish) in by_value:
                result.unchanged += 1
            else:
                result.created.append(
                    services.holiday_create(
                        actor=actor,
                        program=program,
                        recompute_after=False,
                        name=h.name,
                        start=h.start,
                        finish=h.finish,
                        uid=h.uid,
                    )
                )
    except ValidationError as exc:
        raise IcsImportError([f"Line {h.line}: " + " ".join(exc.messages)]) from exc
    if result.created or result.updated:
        services.recompute(program, schedule=schedule)
    return result


# ---------------------------------------------------------------------------------------------
# Feed
# ---------------------------------------------------------------------------------------------


def feed_rows(*, program: Program) -> list[dict[str, Any]]:
    """Milestones and items with a deadline, in outline order: one query."""
    return list(
        Item.objects.filter(program=program)
        .filter(Q(kind=ItemKind.MILESTONE) | Q(deadline__isnull=False))
        .order_by("outline_path")
        .values(
            "key", "name", "kind", "wbs", "status", "percent_complete", "start", "finish",
            "deadline", "critical", "version", "updated_at", "accepted_at",
            workstream_name=F("workstream__name"),
        )
    )  # fmt: skip


def _uid(key: str, what: str, program: Program) -> str:
    return f"{key}-{what}@{program.code.lower()}.programoffice"


def _item_url(site_url: str, program: Program, key: str) -> str:
    path = reverse("schedules:item_detail", kwargs={"code": program.code, "key": key})
    return site_url.rstrip("/") + path


def _all_day(event: icalendar.Event, day: dt.date) -> None:
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))


def build_feed(
    *,
    program: Program,
    rows: list[dict[str, Any]],
    site_url: str,
    stamp: dt.datetime | None = None,
) -> bytes:
    """The iCalendar text of the program's milestones and deadlines.

    The output depends only on the data (DTSTAMP is the later of the item's last change and the
    last recompute, `stamp`), so an unchanged schedule gives the same bytes and the same ETag.
    """
    status_labels = dict(ItemStatus.choices)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{program.code} milestones and deadlines")
    cal.add("x-wr-caldesc", f"Milestones (at their forecast date) and deadlines of {program.name}")
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for row in rows:
        url = _item_url(site_url, program, row["key"])
        status = status_labels.get(row["status"], row["status"])
        common = [
            f"WBS {row['wbs']} · {status}, {row['percent_complete']}% complete",
            *([f"Workstream: {row['workstream_name']}"] if row["workstream_name"] else []),
        ]
        if row["kind"] == ItemKind.MILESTONE and row["finish"]:
            lines = [
                f"Milestone {row['key']} {row['name']} ({program.code})",
                *common,
                (
                    f"Reached: {row['finish']:%Y-%m-%d}"
                    if row["status"] == ItemStatus.COMPLETE
                    else f"Forecast: {row['finish']:%Y-%m-%d}"
                    + (" · on the critical path" if row["critical"] else "")
                ),
            ]
            if row["deadline"]:
                late = row["finish"] > row["deadline"]
                lines.append(
                    f"Deadline: {row['deadline']:%Y-%m-%d}"
                    + (" (forecast is later)" if late else "")
                )
            if row["accepted_at"]:
                lines.append(f"Signed off {row['accepted_at']:%Y-%m-%d}")
            lines.append(url)
            cal.add_component(
                _event(row, "milestone", row["finish"], f"{row['key']} {row['name']}", lines,
                       url, stamp, program, "Milestone")
            )  # fmt: skip
        if row["deadline"]:
            lines = [f"Deadline of {row['key']} {row['name']} ({program.code})", *common]
            if row["finish"]:
                late = row["finish"] > row["deadline"]
                lines.append(
                    f"Forecast finish: {row['finish']:%Y-%m-%d}"
                    + (" · later than the deadline" if late else "")
                )
            lines.append(url)
            cal.add_component(
                _event(row, "deadline", row["deadline"], f"Deadline: {row['key']} {row['name']}",
                       lines, url, stamp, program, "Deadline")
            )  # fmt: skip
    return cal.to_ical()


def _event(row, what, day, summary, lines, url, stamp, program, category) -> icalendar.Event:
    modified = row["updated_at"].replace(microsecond=0)
    event = icalendar.Event()
    event.add("uid", _uid(row["key"], what, program))
    event.add("dtstamp", max(modified, stamp.replace(microsecond=0)) if stamp else modified)
    _all_day(event, day)
    event.add("summary", summary)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("sequence", row["version"])
    event.add("last-modified", modified)
    event.add("categories", [category])
    event.add("transp", "TRANSPARENT")
    return event
