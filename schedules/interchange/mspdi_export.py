"""Write a program's schedule as an MS Project XML (MSPDI) document.

Elements follow the order of Microsoft's MSPDI schema (Project 2010 and later), so Project and
MPXJ read the file. Our computed values go into Project's own fields: Start/Finish, the
early/late dates, TotalSlack/FreeSlack in tenths of a minute and Critical. Plan dates are
whole days: a start is written at 08:00, a finish (and a milestone) at 17:00.

The current baseline is named by the project's BaselineForEarnedValue (MSPDI has no baseline
names, so those do not travel). Each task's UID is the number of its key (TSK-12 is UID 12),
so repeated exports of one program keep their UIDs; the project summary task is UID 0.
Durations, lags and costs are written in Project's units (ISO 8601 work time, tenths of a
minute, hundredths of the currency).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone

from programs.models import Program

from .. import services
from ..models import (
    CONSTRAINT_CODES,
    LINK_CODES,
    MINUTES_PER_DAY,
    Baseline,
    BaselineItem,
    Dependency,
    Holiday,
    Item,
    ItemKind,
)

NS = "http://schemas.microsoft.com/project"
DAY_START = dt.time(8, 0)
DAY_END = dt.time(17, 0)
WORKING_TIMES = (
    "<WorkingTimes>"
    "<WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime></WorkingTime>"
    "<WorkingTime><FromTime>13:00:00</FromTime><ToTime>17:00:00</ToTime></WorkingTime>"
    "</WorkingTimes>"
)
FINISH_CONSTRAINTS = {"fnet", "fnlt", "mfo"}

_ITEM_FIELDS = (
    "id", "key", "name", "parent_id", "wbs", "depth", "kind", "description", "duration_minutes",
    "manual", "manual_start", "manual_finish", "percent_complete", "actual_start",
    "actual_finish", "constraint", "constraint_date", "deadline", "cost", "start", "finish",
    "early_start", "early_finish", "late_start", "late_finish", "total_float_minutes",
    "free_float_minutes", "critical",
)  # fmt: skip


def export_filename(program: Program, ext: str = "xml") -> str:
    """`ERP-schedule-2026-11-28.xml`."""
    return f"{program.code}-schedule-{timezone.localdate():%Y-%m-%d}.{ext}"


def _uid(key: str) -> int:
    return int(key.rsplit("-", 1)[-1])


def _ts(day: dt.date | None, at: dt.time) -> str:
    return dt.datetime.combine(day, at).strftime("%Y-%m-%dT%H:%M:%S") if day else ""


def _duration(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}PT{minutes // 60}H{minutes % 60}M0S"


def _money(value: Decimal | None) -> str:
    """Hundredths of the currency, as MSPDI stores costs."""
    return str(int((value or Decimal(0)) * 100))


_NOT_XML = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _el(name: str, value) -> str:
    """`<name>value</name>`, escaped and without characters XML 1.0 cannot carry; "" if empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        value = int(value)
    return f"<{name}>{escape(str(value).translate(_NOT_XML))}</{name}>"


def _lag(lag_minutes: int, lag_percent: Decimal | None) -> tuple[int, int]:
    """(LinkLag, LagFormat): tenths of a minute in days/hours/minutes, or a percent (19)."""
    if lag_percent is not None:
        return round(lag_percent), 19
    if lag_minutes % MINUTES_PER_DAY == 0:
        return lag_minutes * 10, 7
    if lag_minutes % 60 == 0:
        return lag_minutes * 10, 5
    return lag_minutes * 10, 3


def _calendar(weekdays: list[int], holidays: list[tuple[str, dt.date, dt.date]]) -> str:
    out = [
        "<Calendars><Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>"
        "<IsBaselineCalendar>0</IsBaselineCalendar><BaseCalendarUID>-1</BaseCalendarUID><WeekDays>"
    ]
    for day_type in range(1, 8):  # 1 = Sunday
        weekday = (day_type + 5) % 7
        if weekday in weekdays:
            out.append(
                f"<WeekDay><DayType>{day_type}</DayType><DayWorking>1</DayWorking>"
                f"{WORKING_TIMES}</WeekDay>"
            )
        else:
            out.append(
                f"<WeekDay><DayType>{day_type}</DayType><DayWorking>0</DayWorking></WeekDay>"
            )
    out.append("</WeekDays>")
    if holidays:
        out.append("<Exceptions>")
        for name, first, last in holidays:
            days = (last - first).days + 1
            out.append(
                "<Exception><EnteredByOccurrences>0</EnteredByOccurrences><TimePeriod>"
                f"<FromDate>{_ts(first, dt.time(0, 0))}</FromDate>"
                f"<ToDate>{_ts(last, dt.time(23, 59))}</ToDate></TimePeriod>"
                f"<Occurrences>{days}</Occurrences>{_el('Name', name)}<Type>1</Type>"
                "<DayWorking>0</DayWorking></Exception>"
            )
        out.append("</Exceptions>")
    out.append("</Calendar></Calendars>")
    return "".join(out)


def export_mspdi(program: Program) -> bytes:
    """The program's schedule as an MSPDI document (UTF-8 bytes)."""
    schedule = services.schedule_for(program)
    items = list(
        Item.objects.filter(program=program).order_by("outline_path").values(*_ITEM_FIELDS)
    )
    links: dict[int, list[dict]] = defaultdict(list)
    for link in (
        Dependency.objects.filter(program=program)
        .order_by("successor_id", "predecessor__outline_path")
        .values("predecessor__key", "successor_id", "type", "lag_minutes", "lag_percent")
    ):
        links[link["successor_id"]].append(link)
    holidays = list(
        Holiday.objects.filter(program=program)
        .order_by("start")
        .values_list("name", "start", "finish")
    )
    baselines = {
        b.pk: b
        for b in Baseline.objects.filter(program=program, number__lte=10).order_by("number", "pk")
    }
    numbers_used: set[int] = set()
    exported = {}
    for b in baselines.values():  # one baseline per MS Project number (0..10)
        if b.number not in numbers_used:
            numbers_used.add(b.number)
            exported[b.pk] = b.number
    current_number = next(
        (exported[b.pk] for b in baselines.values() if b.is_current and b.pk in exported), None
    )
    base_rows: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        BaselineItem.objects.filter(baseline_id__in=exported)
        .order_by("item_id")
        .values_list("item_id", "baseline_id", "start", "finish", "duration_minutes", "cost")
    ):
        base_rows[row[0]].append((exported[row[1]], *row[2:]))

    start = schedule.project_start or program.start_date
    finish = schedule.project_finish or max(
        (i["finish"] for i in items if i["finish"]), default=start
    )
    now = timezone.localtime().replace(microsecond=0, tzinfo=None)
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<Project xmlns="{NS}">',
        "<SaveVersion>14</SaveVersion>",
        _el("Name", export_filename(program)),
        _el("Title", program.name),
        f"<CreationDate>{now:%Y-%m-%dT%H:%M:%S}</CreationDate>",
        f"<LastSaved>{now:%Y-%m-%dT%H:%M:%S}</LastSaved>",
        "<ScheduleFromStart>1</ScheduleFromStart>",
        f"<StartDate>{_ts(start, DAY_START)}</StartDate>",
        f"<FinishDate>{_ts(finish, DAY_END)}</FinishDate>",
        "<FYStartDate>1</FYStartDate><CriticalSlackLimit>0</CriticalSlackLimit>",
        "<CurrencyDigits>2</CurrencyDigits>",
        _el("CurrencyCode", program.currency),
        "<CalendarUID>1</CalendarUID>",
        "<DefaultStartTime>08:00:00</DefaultStartTime>",
        "<DefaultFinishTime>17:00:00</DefaultFinishTime>",
        f"<MinutesPerDay>{MINUTES_PER_DAY}</MinutesPerDay>",
        f"<MinutesPerWeek>{MINUTES_PER_DAY * len(schedule.weekdays or [0, 1, 2, 3, 4])}"
        "</MinutesPerWeek>",
        "<DaysPerMonth>20</DaysPerMonth><DefaultTaskType>1</DefaultTaskType>",
        "<DurationFormat>7</DurationFormat><WorkFormat>2</WorkFormat>",
        "<HonorConstraints>0</HonorConstraints><MultipleCriticalPaths>0</MultipleCriticalPaths>",
        "<NewTasksEstimated>0</NewTasksEstimated><WeekStartDay>1</WeekStartDay>",
        _el("BaselineForEarnedValue", current_number),
        _el("StatusDate", _ts(schedule.status_date, DAY_END)),
        f"<CurrentDate>{now:%Y-%m-%dT%H:%M:%S}</CurrentDate>",
        "<NewTasksAreManual>0</NewTasksAreManual>",
        _calendar(schedule.weekdays or [0, 1, 2, 3, 4], holidays),
        "<Tasks>",
        _project_summary(program, start, finish, items),
    ]
    for n, item in enumerate(items, start=1):
        parts.append(_task(item, n, links.get(item["id"], ()), base_rows.get(item["id"], ())))
    parts.append("</Tasks></Project>\n")
    return "".join(parts).encode("utf-8")


def _project_summary(program: Program, start: dt.date, finish: dt.date, items) -> str:
    total = sum(i["cost"] or 0 for i in items if i["depth"] == 0)
    return (
        f"<Task><UID>0</UID><ID>0</ID>{_el('Name', program.name)}<Active>1</Active>"
        "<Manual>0</Manual><Type>1</Type><IsNull>0</IsNull><WBS>0</WBS>"
        "<OutlineNumber>0</OutlineNumber><OutlineLevel>0</OutlineLevel>"
        f"<Start>{_ts(start, DAY_START)}</Start><Finish>{_ts(finish, DAY_END)}</Finish>"
        "<Milestone>0</Milestone><Summary>1</Summary>"
        f"<Cost>{_money(total)}</Cost><ConstraintType>0</ConstraintType>"
        "<CalendarUID>-1</CalendarUID></Task>"
    )


def _task(item: dict, n: int, links, baselines) -> str:
    milestone = item["kind"] == ItemKind.MILESTONE
    summary = item["kind"] == ItemKind.SUMMARY
    s_at = DAY_END if milestone else DAY_START
    manual = item["manual"] and (item["manual_start"] or item["manual_finish"])
    start, finish = item["start"], item["finish"]
    if manual:
        start = item["manual_start"] or start
        finish = item["manual_finish"] or finish
    duration = 0 if milestone else item["duration_minutes"]
    remaining = round(duration * (100 - item["percent_complete"]) / 100)
    cons = item["constraint"]
    c_date = item["constraint_date"] if CONSTRAINT_CODES[cons] > 1 else None
    c_at = DAY_END if milestone or cons in FINISH_CONSTRAINTS else DAY_START
    tf = item["total_float_minutes"]
    ff = item["free_float_minutes"]
    out = [
        "<Task>",
        f"<UID>{_uid(item['key'])}</UID><ID>{n}</ID>",
        _el("Name", item["name"]),
        f"<Active>1</Active><Manual>{int(bool(manual))}</Manual><Type>1</Type>",
        "<IsNull>0</IsNull>",
        _el("WBS", item["wbs"]),
        _el("OutlineNumber", item["wbs"]),
        f"<OutlineLevel>{item['depth'] + 1}</OutlineLevel>",
        _el("Start", _ts(start, s_at)),
        _el("Finish", _ts(finish, DAY_END)),
        f"<Duration>{_duration(duration)}</Duration>",
    ]
    if manual:
        out += [
            _el("ManualStart", _ts(start, s_at)),
            _el("ManualFinish", _ts(finish, DAY_END)),
            f"<ManualDuration>{_duration(duration)}</ManualDuration>",
        ]
    out += [
        "<DurationFormat>7</DurationFormat>",
        f"<Estimated>0</Estimated><Milestone>{int(milestone)}</Milestone>",
        f"<Summary>{int(summary)}</Summary><Critical>{int(bool(item['critical']))}</Critical>",
        _el("EarlyStart", _ts(item["early_start"], s_at)),
        _el("EarlyFinish", _ts(item["early_finish"], DAY_END)),
        _el("LateStart", _ts(item["late_start"], s_at)),
        _el("LateFinish", _ts(item["late_finish"], DAY_END)),
        _el("FreeSlack", None if ff is None else ff * 10),
        _el("TotalSlack", None if tf is None else tf * 10),
        f"<PercentComplete>{item['percent_complete']}</PercentComplete>",
        f"<Cost>{_money(item['cost'])}</Cost>",
        _el("ActualStart", _ts(item["actual_start"], s_at)),
        _el("ActualFinish", _ts(item["actual_finish"], DAY_END)),
        f"<RemainingDuration>{_duration(remaining)}</RemainingDuration>",
        f"<ConstraintType>{CONSTRAINT_CODES[cons]}</ConstraintType>",
        "<CalendarUID>-1</CalendarUID>",
        _el("ConstraintDate", _ts(c_date, c_at)),
        _el("Deadline", _ts(item["deadline"], DAY_END)),
        _el("Notes", item["description"]),
    ]
    for link in links:
        lag, fmt = _lag(link["lag_minutes"], link["lag_percent"])
        out.append(
            f"<PredecessorLink><PredecessorUID>{_uid(link['predecessor__key'])}</PredecessorUID>"
            f"<Type>{LINK_CODES[link['type']]}</Type><CrossProject>0</CrossProject>"
            f"<LinkLag>{lag}</LinkLag><LagFormat>{fmt}</LagFormat></PredecessorLink>"
        )
    for number, b_start, b_finish, b_dur, b_cost in baselines:
        out.append(
            f"<Baseline><Number>{number}</Number>"
            f"{_el('Start', _ts(b_start, s_at))}{_el('Finish', _ts(b_finish, DAY_END))}"
            f"<Duration>{_duration(b_dur)}</Duration><Cost>{_money(b_cost)}</Cost></Baseline>"
        )
    out.append("</Task>")
    return "".join(out)
