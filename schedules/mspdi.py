"""Read MS Project XML (MSPDI) into plain dataclasses and turn it into an engine network.

No Django here: the import service validates with this module, then writes rows.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from schedules import cpm

NS = "http://schemas.microsoft.com/project"
_Q = "{" + NS + "}"

# LagFormat codes (MS Project "duration format"): working minutes per unit, or percent.
LAG_FORMATS_WORKING = {3: "m", 5: "h", 7: "d", 9: "w", 11: "mo", 35: "m", 37: "h", 39: "d"}
LAG_FORMATS_ELAPSED = {4: "em", 6: "eh", 8: "ed", 10: "ew", 12: "emo", 20: "e%"}
LAG_FORMAT_PERCENT = 19
LINK_TYPES = {0: cpm.LinkType.FF, 1: cpm.LinkType.FS, 2: cpm.LinkType.SF, 3: cpm.LinkType.SS}


class MSPDIError(ValueError):
    """The file is not a usable MSPDI document; the message names the element."""


@dataclass(slots=True)
class MSPDICalendar:
    uid: int
    name: str
    is_base: bool
    base_uid: int | None
    weekdays: dict[int, cpm.Intervals] = field(default_factory=dict)  # Monday = 0
    exceptions: dict[dt.date, cpm.Intervals] = field(default_factory=dict)
    exception_names: dict[dt.date, str] = field(default_factory=dict)


@dataclass(slots=True)
class MSPDIBaseline:
    number: int
    start: dt.datetime | None
    finish: dt.datetime | None
    duration: int  # minutes of work time
    cost: Decimal  # currency units (the file stores hundredths)


@dataclass(slots=True)
class MSPDILink:
    predecessor_uid: int
    type: cpm.LinkType
    link_lag: int  # tenths of a minute, as stored
    lag_format: int


@dataclass(slots=True)
class MSPDITask:
    uid: int
    id: int | None
    name: str
    outline_level: int
    outline_number: str
    wbs: str
    summary: bool
    milestone: bool
    manual: bool
    duration: int  # minutes of work time
    start: dt.datetime | None
    finish: dt.datetime | None
    actual_start: dt.datetime | None
    actual_finish: dt.datetime | None
    percent_complete: float
    constraint_type: int
    constraint_date: dt.datetime | None
    deadline: dt.datetime | None
    calendar_uid: int | None
    early_start: dt.datetime | None
    early_finish: dt.datetime | None
    late_start: dt.datetime | None
    late_finish: dt.datetime | None
    total_slack: int | None  # tenths of a minute
    free_slack: int | None
    critical: bool | None
    active: bool = True
    is_null: bool = False
    links: list[MSPDILink] = field(default_factory=list)
    cost: Decimal = Decimal(0)  # currency units (the file stores hundredths)
    baselines: list[MSPDIBaseline] = field(default_factory=list)
    notes: str = ""


@dataclass(slots=True)
class MSPDIProject:
    name: str
    start: dt.datetime
    finish: dt.datetime | None
    status_date: dt.datetime | None
    calendar_uid: int | None
    minutes_per_day: int
    minutes_per_week: int
    critical_slack_limit: int  # minutes
    honor_constraints: bool
    calendars: dict[int, MSPDICalendar]
    tasks: list[MSPDITask]
    baseline_for_earned_value: int | None = None

    def calendar(self, origin: dt.datetime | None = None) -> cpm.WorkCalendar:
        """The project calendar as a `WorkCalendar` (origin: the project start)."""
        cal = self.calendars.get(self.calendar_uid or -1)
        weekdays: dict[int, cpm.Intervals] = dict.fromkeys(range(5), cpm.STANDARD_DAY)
        exceptions: dict[dt.date, cpm.Intervals] = {}
        chain = []
        while cal is not None and cal.uid not in {c.uid for c in chain}:
            chain.append(cal)
            cal = self.calendars.get(cal.base_uid) if cal.base_uid is not None else None
        for c in reversed(chain):  # base first, derived calendars override
            weekdays.update(c.weekdays)
            exceptions.update(c.exceptions)
        return cpm.WorkCalendar(
            origin or self.start,
            weekdays=weekdays,
            exceptions=exceptions,
            minutes_per_day=self.minutes_per_day,
        )


_DURATION_RE = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str, *, minutes_per_day: int = 480, where: str = "Duration") -> int:
    """ISO 8601 work duration (PT40H0M0S) in minutes; days count `minutes_per_day`."""
    m = _DURATION_RE.match(text.strip())
    if not m:
        raise MSPDIError(f"<{where}>: not an ISO 8601 duration: {text!r}")
    sign, y, mo, d, h, mi, s = m.groups()
    if y or mo:
        raise MSPDIError(f"<{where}>: years/months are ambiguous in work time: {text!r}")
    minutes = (
        float(d or 0) * minutes_per_day + float(h or 0) * 60 + float(mi or 0) + float(s or 0) / 60
    )
    value = round(minutes)
    return -value if sign else value


def _dt(text: str | None, where: str) -> dt.datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise MSPDIError(f"<{where}>: not a date-time: {text!r}") from exc


def _int(text: str | None, where: str, default: int | None = None) -> int | None:
    if text is None or not text.strip():
        return default
    try:
        return int(float(text))
    except ValueError as exc:
        raise MSPDIError(f"<{where}>: not a number: {text!r}") from exc


def _cost(text: str | None, where: str) -> Decimal:
    """A currency amount: MSPDI stores hundredths (500000 = 5,000.00)."""
    if text is None or not text.strip():
        return Decimal(0)
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise MSPDIError(f"<{where}>: not an amount: {text!r}") from exc
    if not value.is_finite():
        raise MSPDIError(f"<{where}>: not an amount: {text!r}")
    return (value / 100).quantize(Decimal("0.01"))


def _baseline(el: ET.Element, mpd: int, w: str) -> MSPDIBaseline:
    f = el.findtext
    number = _int(f(f"{_Q}Number"), f"{w}/Baseline/Number")
    if number is None:
        raise MSPDIError(f"<{w}/Baseline>: missing <Number>")
    dur = f(f"{_Q}Duration")
    return MSPDIBaseline(
        number=number,
        start=_dt(f(f"{_Q}Start"), f"{w}/Baseline/Start"),
        finish=_dt(f(f"{_Q}Finish"), f"{w}/Baseline/Finish"),
        duration=parse_duration(dur, minutes_per_day=mpd, where=f"{w}/Baseline/Duration")
        if dur
        else 0,
        cost=_cost(f(f"{_Q}Cost"), f"{w}/Baseline/Cost"),
    )


def _time(text: str | None, where: str) -> int:
    if not text:
        raise MSPDIError(f"<{where}>: missing time")
    try:
        t = dt.time.fromisoformat(text.strip())
    except ValueError as exc:
        raise MSPDIError(f"<{where}>: not a time: {text!r}") from exc
    minute = t.hour * 60 + t.minute
    return 24 * 60 if minute == 0 and where.endswith("ToTime") else minute


def _intervals(el: ET.Element, where: str) -> cpm.Intervals:
    out = []
    for wt in el.iterfind(f"{_Q}WorkingTimes/{_Q}WorkingTime"):
        a = _time(wt.findtext(f"{_Q}FromTime"), f"{where}/FromTime")
        b = _time(wt.findtext(f"{_Q}ToTime"), f"{where}/ToTime")
        out.append((a, b))
    return tuple(sorted(out))


def _date_range(el: ET.Element, where: str) -> list[dt.date]:
    tp = el.find(f"{_Q}TimePeriod")
    if tp is None:
        return []
    a = _dt(tp.findtext(f"{_Q}FromDate"), f"{where}/TimePeriod/FromDate")
    b = _dt(tp.findtext(f"{_Q}ToDate"), f"{where}/TimePeriod/ToDate")
    if a is None or b is None:
        raise MSPDIError(f"<{where}/TimePeriod>: needs FromDate and ToDate")
    days = []
    day = a.date()
    while day <= b.date():
        days.append(day)
        day += dt.timedelta(days=1)
    return days


def _calendar(el: ET.Element) -> MSPDICalendar:
    where = "Calendar"
    uid = _int(el.findtext(f"{_Q}UID"), f"{where}/UID")
    if uid is None:
        raise MSPDIError("<Calendar>: missing <UID>")
    base = _int(el.findtext(f"{_Q}BaseCalendarUID"), f"{where}/BaseCalendarUID")
    cal = MSPDICalendar(
        uid=uid,
        name=el.findtext(f"{_Q}Name") or "",
        is_base=el.findtext(f"{_Q}IsBaseCalendar") == "1",
        base_uid=base if base is not None and base >= 0 else None,
    )
    for wd in el.iterfind(f"{_Q}WeekDays/{_Q}WeekDay"):
        day_type = _int(wd.findtext(f"{_Q}DayType"), f"{where}/WeekDay/DayType")
        working = wd.findtext(f"{_Q}DayWorking") == "1"
        iv = _intervals(wd, f"{where}/WeekDay") if working else ()
        if day_type == 0:  # Project 2003-style exception
            for day in _date_range(wd, f"{where}/WeekDay"):
                cal.exceptions[day] = iv
        elif day_type is not None and 1 <= day_type <= 7:
            cal.weekdays[(day_type + 5) % 7] = iv  # 1 = Sunday -> 6
        else:
            raise MSPDIError(f"<{where}/WeekDay/DayType>: unknown day type {day_type}")
    for ex in el.iterfind(f"{_Q}Exceptions/{_Q}Exception"):
        working = ex.findtext(f"{_Q}DayWorking") == "1"
        iv = _intervals(ex, f"{where}/Exception") if working else ()
        name = ex.findtext(f"{_Q}Name") or ""
        for day in _date_range(ex, f"{where}/Exception"):
            cal.exceptions[day] = iv
            if name:
                cal.exception_names[day] = name
    return cal


def parse(source: str | Path | bytes) -> MSPDIProject:
    """Parse an MSPDI file (path) or document (bytes) into an `MSPDIProject`."""
    try:
        # S314: the stdlib parser never fetches external entities and expat >= 2.4 bounds
        # entity expansion, so an uploaded plan cannot reach the network or blow up memory.
        root = (
            ET.fromstring(source)  # noqa: S314
            if isinstance(source, bytes)
            else ET.parse(source).getroot()  # noqa: S314
        )
    except ET.ParseError as exc:
        raise MSPDIError(f"not well-formed XML (truncated?): {exc}") from exc
    if root.tag != f"{_Q}Project":
        raise MSPDIError(
            f"root element is <{root.tag}>, expected <Project> in namespace {NS} (not MSPDI)"
        )
    g = root.findtext
    mpd = _int(g(f"{_Q}MinutesPerDay"), "Project/MinutesPerDay", 480) or 480
    start = _dt(g(f"{_Q}StartDate"), "Project/StartDate")
    if start is None:
        raise MSPDIError("<Project>: missing <StartDate>")
    calendars = {c.uid: c for c in map(_calendar, root.iterfind(f"{_Q}Calendars/{_Q}Calendar"))}
    tasks = [_task(el, mpd) for el in root.iterfind(f"{_Q}Tasks/{_Q}Task")]
    return MSPDIProject(
        name=g(f"{_Q}Name") or g(f"{_Q}Title") or "",
        start=start,
        finish=_dt(g(f"{_Q}FinishDate"), "Project/FinishDate"),
        status_date=_dt(g(f"{_Q}StatusDate"), "Project/StatusDate"),
        calendar_uid=_int(g(f"{_Q}CalendarUID"), "Project/CalendarUID"),
        minutes_per_day=mpd,
        minutes_per_week=_int(g(f"{_Q}MinutesPerWeek"), "Project/MinutesPerWeek", 5 * mpd)
        or 5 * mpd,
        critical_slack_limit=(
            _int(g(f"{_Q}CriticalSlackLimit"), "Project/CriticalSlackLimit", 0) or 0
        )
        * mpd,
        honor_constraints=g(f"{_Q}HonorConstraints") == "1",
        calendars=calendars,
        tasks=tasks,
        baseline_for_earned_value=_int(
            g(f"{_Q}BaselineForEarnedValue"), "Project/BaselineForEarnedValue"
        ),
    )


def _task(el: ET.Element, mpd: int) -> MSPDITask:
    f = el.findtext
    uid = _int(f(f"{_Q}UID"), "Task/UID")
    if uid is None:
        raise MSPDIError("<Task>: missing <UID>")
    w = f"Task UID={uid}"
    links = []
    for ln in el.iterfind(f"{_Q}PredecessorLink"):
        puid = _int(ln.findtext(f"{_Q}PredecessorUID"), f"{w}/PredecessorLink/PredecessorUID")
        if puid is None:
            raise MSPDIError(f"<{w}/PredecessorLink>: missing <PredecessorUID>")
        typ = _int(ln.findtext(f"{_Q}Type"), f"{w}/PredecessorLink/Type", 1)
        if typ not in LINK_TYPES:
            raise MSPDIError(f"<{w}/PredecessorLink/Type>: unknown link type {typ}")
        fmt = _int(ln.findtext(f"{_Q}LagFormat"), f"{w}/PredecessorLink/LagFormat", 7) or 7
        links.append(
            MSPDILink(
                predecessor_uid=puid,
                type=LINK_TYPES[typ],
                link_lag=_int(ln.findtext(f"{_Q}LinkLag"), f"{w}/PredecessorLink/LinkLag", 0) or 0,
                lag_format=fmt,
            )
        )
    dur_text = f(f"{_Q}Duration")
    ts = _int(f(f"{_Q}TotalSlack"), f"{w}/TotalSlack")
    fs = _int(f(f"{_Q}FreeSlack"), f"{w}/FreeSlack")
    crit = f(f"{_Q}Critical")
    return MSPDITask(
        uid=uid,
        id=_int(f(f"{_Q}ID"), f"{w}/ID"),
        name=f(f"{_Q}Name") or "",
        outline_level=_int(f(f"{_Q}OutlineLevel"), f"{w}/OutlineLevel", 1) or 0,
        outline_number=f(f"{_Q}OutlineNumber") or "",
        wbs=f(f"{_Q}WBS") or "",
        summary=f(f"{_Q}Summary") == "1",
        milestone=f(f"{_Q}Milestone") == "1",
        manual=f(f"{_Q}Manual") == "1",
        duration=parse_duration(dur_text, minutes_per_day=mpd, where=f"{w}/Duration")
        if dur_text
        else 0,
        start=_dt(f(f"{_Q}Start"), f"{w}/Start"),
        finish=_dt(f(f"{_Q}Finish"), f"{w}/Finish"),
        actual_start=_dt(f(f"{_Q}ActualStart"), f"{w}/ActualStart"),
        actual_finish=_dt(f(f"{_Q}ActualFinish"), f"{w}/ActualFinish"),
        percent_complete=float(_int(f(f"{_Q}PercentComplete"), f"{w}/PercentComplete", 0) or 0),
        constraint_type=_int(f(f"{_Q}ConstraintType"), f"{w}/ConstraintType", 0) or 0,
        constraint_date=_dt(f(f"{_Q}ConstraintDate"), f"{w}/ConstraintDate"),
        deadline=_dt(f(f"{_Q}Deadline"), f"{w}/Deadline"),
        calendar_uid=_int(f(f"{_Q}CalendarUID"), f"{w}/CalendarUID"),
        early_start=_dt(f(f"{_Q}EarlyStart"), f"{w}/EarlyStart"),
        early_finish=_dt(f(f"{_Q}EarlyFinish"), f"{w}/EarlyFinish"),
        late_start=_dt(f(f"{_Q}LateStart"), f"{w}/LateStart"),
        late_finish=_dt(f(f"{_Q}LateFinish"), f"{w}/LateFinish"),
        total_slack=ts,
        free_slack=fs,
        critical=None if crit is None else crit == "1",
        active=f(f"{_Q}Active") != "0",
        is_null=f(f"{_Q}IsNull") == "1",
        links=links,
        cost=_cost(f(f"{_Q}Cost"), f"{w}/Cost"),
        baselines=[_baseline(b, mpd, w) for b in el.iterfind(f"{_Q}Baseline")],
        notes=f(f"{_Q}Notes") or "",
    )


def lag_minutes(link: MSPDILink, *, minutes_per_day: int = 480) -> tuple[int, float | None]:
    """(lag in working minutes, percent or None) of a link.

    LinkLag is in tenths of a minute whatever the display unit; with LagFormat 19 it is a
    percentage of the predecessor's duration. Elapsed formats are read as working time (the
    engine schedules on one working-time axis) — a documented approximation.
    """
    if link.lag_format in (LAG_FORMAT_PERCENT, 20):
        return 0, float(link.link_lag)
    return round(link.link_lag / 10), None


def to_network(
    project: MSPDIProject, calendar: cpm.WorkCalendar | None = None
) -> tuple[list[cpm.Task], list[cpm.Link], cpm.WorkCalendar]:
    """Engine tasks and links for a project (task ids are MSPDI UIDs).

    The outline gives the parents (OutlineLevel); null and inactive tasks are left out.
    """
    cal = calendar or project.calendar()
    off = cal.to_offset
    tasks: list[cpm.Task] = []
    stack: list[tuple[int, int]] = []  # (outline level, uid)
    kept = set()
    for t in project.tasks:
        if t.is_null or not t.active:
            continue
        while stack and stack[-1][0] >= t.outline_level:
            stack.pop()
        parent = stack[-1][1] if stack else None
        stack.append((t.outline_level, t.uid))
        kept.add(t.uid)
        try:
            ct = cpm.ConstraintType(t.constraint_type)
        except ValueError as exc:
            raise MSPDIError(
                f"<Task UID={t.uid}/ConstraintType>: unknown constraint {t.constraint_type}"
            ) from exc
        tasks.append(
            cpm.Task(
                id=t.uid,
                duration=t.duration,
                parent=parent,
                constraint=ct,
                constraint_date=off(t.constraint_date) if t.constraint_date else None,
                deadline=off(t.deadline) if t.deadline else None,
                percent_complete=t.percent_complete,
                actual_start=off(t.actual_start) if t.actual_start else None,
                actual_finish=off(t.actual_finish) if t.actual_finish else None,
                manual=t.manual,
                manual_start=off(t.start) if t.manual and t.start else None,
                manual_finish=off(t.finish) if t.manual and t.finish else None,
                milestone=t.milestone,
            )
        )
    links: list[cpm.Link] = []
    for t in project.tasks:
        if t.uid not in kept:
            continue
        for ln in t.links:
            if ln.predecessor_uid not in kept:
                raise MSPDIError(
                    f"<Task UID={t.uid}/PredecessorLink/PredecessorUID>: "
                    f"unknown task {ln.predecessor_uid}"
                )
            lag, pct = lag_minutes(ln, minutes_per_day=project.minutes_per_day)
            links.append(cpm.Link(ln.predecessor_uid, t.uid, ln.type, lag, pct))
    return tasks, links, cal


def schedule_project(
    project: MSPDIProject, *, status_date: dt.datetime | None = None
) -> tuple[cpm.ScheduleResult, cpm.WorkCalendar]:
    """Schedule an imported project with MS Project's semantics."""
    tasks, links, cal = to_network(project)
    result = cpm.schedule(
        tasks,
        links,
        status_date=cal.to_offset(status_date) if status_date else None,
        critical_slack_limit=project.critical_slack_limit,
        honor_constraints=project.honor_constraints,
        minutes_per_day=project.minutes_per_day,
    )
    return result, cal
