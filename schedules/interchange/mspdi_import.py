"""Import an MS Project XML (MSPDI) file into a program's schedule: all of it, or nothing.

The file is read and checked completely before anything is written; every problem is listed
with the element and its line (`Task UID 12 (line 340): ...`). The write is a handful of bulk
statements (items level by level, links, holidays, baselines, audit rows), then one renumber
and one recompute, so a 5,000-task plan imports in seconds.

How MS Project's values land in the app (plan dates are whole working days):

- The project summary task (UID 0 / OutlineLevel 0) is not an item; null (blank) rows are
  skipped; inactive tasks are skipped with a warning, as are links to them.
- A task with items below it becomes a summary, `Milestone=1` with no duration a milestone,
  anything else a task. A "milestone" that still has a duration is imported as a task (MS
  Project schedules it by its duration) and named in a warning.
- Date-times become dates in working time: a start at 17:00 is the next working day's start,
  a finish at 08:00 the previous working day's finish (versions write day boundaries
  differently). Milestone dates are taken as written.
- Durations and lags are kept in working minutes (LinkLag is in tenths of a minute); a percent
  lag (LagFormat 19) is kept as a percentage; elapsed lag formats are read as working time.
- The project calendar gives the working weekdays; its non-working exceptions become holidays.
  Working exceptions and non-standard hours cannot be represented and are named in warnings.
- Baselines: each Baseline Number (0..10) becomes a baseline ("Baseline", "Baseline 1", ...;
  MSPDI has no baseline names); the one named by BaselineForEarnedValue is current, else
  number 0, else the lowest. The task's MS Project UID is not kept: exports number
  tasks from their keys (TSK-12 is UID 12).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import xml.parsers.expat
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import orjson
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from psycopg2.extras import execute_values

from core.audit import audit_create, audit_create_many, snapshot
from core.audit_guard import bulk_writes_allowed
from core.keys import allocate_keys
from core.models import AuditAction, AuditEntry
from core.request_context import current_request_id
from core.versioning import apply_changes
from programs.models import Program

from .. import cpm, mspdi, services
from ..calendars import STANDARD_DAY, ProgramCalendar
from ..models import (
    CONSTRAINT_OF_CODE,
    Baseline,
    BaselineItem,
    Dependency,
    Holiday,
    Item,
    ItemKind,
    ItemStatus,
    Schedule,
)

MAX_NAME = Item._meta.get_field("name").max_length
MAX_COST = Decimal("999999999999.99")
START_CONSTRAINTS = {"snet", "snlt", "mso"}
Source = bytes | str | Path | IO[bytes]


class MspdiImportError(ValidationError):
    """The file was refused; `messages` lists every problem. Nothing was imported."""


@dataclass
class ImportResult:
    items: int = 0
    links: int = 0
    holidays: int = 0
    baselines: int = 0
    replaced: int = 0  # items of the previous schedule that the import replaced
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{self.items} items",
            f"{self.links} links",
            f"{self.holidays} holidays",
            f"{self.baselines} baselines",
        ]
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "links": self.links,
            "holidays": self.holidays,
            "baselines": self.baselines,
            "replaced": self.replaced,
            "warnings": self.warnings,
        }


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _read(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    data = source.read()
    return data.encode() if isinstance(data, str) else data


def _task_lines(data: bytes) -> dict[int, int]:
    """{task UID: line of its <Task>} from a cheap expat pass (ElementTree keeps no lines)."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    lines: dict[int, int] = {}
    depth = 0
    state: dict[str, Any] = {"line": 0, "in_uid": False, "text": []}

    def start(name: str, attrs) -> None:
        nonlocal depth
        depth += 1
        local = name.rsplit(" ", 1)[-1]
        if depth == 3 and local == "Task":
            state["line"] = parser.CurrentLineNumber
        elif depth == 4 and local == "UID" and state["line"]:
            state["in_uid"], state["text"] = True, []

    def end(name: str) -> None:
        nonlocal depth
        if state["in_uid"]:
            with contextlib.suppress(ValueError):
                lines.setdefault(int("".join(state["text"]).strip()), state["line"])
            state["in_uid"] = False
        if depth == 3:
            state["line"] = 0
        depth -= 1

    def chars(text: str) -> None:
        if state["in_uid"]:
            state["text"].append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    with contextlib.suppress(xml.parsers.expat.ExpatError):  # the real parse reports it
        parser.Parse(data, True)
    return lines


_TASK_ERROR = re.compile(r"^<Task UID=(-?\d+)/?([^>]*)>: (.*)$", re.S)


def _where(uid: int, lines: dict[int, int]) -> str:
    line = lines.get(uid)
    return f"Task UID {uid} (line {line})" if line else f"Task UID {uid}"


def _locate(message: str, lines: dict[int, int]) -> str:
    """The reader's `<Task UID=12/Duration>: ...` as `Task UID 12 (line 340): Duration: ...`."""
    m = _TASK_ERROR.match(message)
    if not m:
        return message
    uid, element, rest = int(m.group(1)), m.group(2), m.group(3)
    return f"{_where(uid, lines)}: {element + ': ' if element else ''}{rest}"


# ---------------------------------------------------------------------------------------------
# Checking and planning (no database)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Row:
    """One item to create, in outline order."""

    uid: int
    parent: int | None
    level: int
    position: int
    wbs: str
    outline_path: str
    fields: dict[str, Any]
    children: int = 0


@dataclass
class _Plan:
    weekdays: list[int]
    project_start: dt.date
    status_date: dt.date | None
    holidays: list[tuple[str, dt.date, dt.date]]
    rows: list[_Row]
    links: list[tuple[int, int, str, int, Decimal | None]]
    baselines: dict[int, list[tuple[int, dt.date | None, dt.date | None, int, Decimal]]]
    warnings: list[str]
    current_baseline: int | None = None


def _project_calendar(project: mspdi.MSPDIProject) -> tuple[dict, dict, dict]:
    """(weekdays, exceptions, exception names) of the project calendar and its bases."""
    cal = project.calendars.get(project.calendar_uid if project.calendar_uid is not None else -1)
    chain: list[mspdi.MSPDICalendar] = []
    while cal is not None and cal.uid not in {c.uid for c in chain}:
        chain.append(cal)
        cal = project.calendars.get(cal.base_uid) if cal.base_uid is not None else None
    weekdays: dict[int, cpm.Intervals] = dict.fromkeys(range(5), STANDARD_DAY)
    weekdays.update(dict.fromkeys((5, 6), ()))
    exceptions: dict[dt.date, cpm.Intervals] = {}
    names: dict[dt.date, str] = {}
    for c in reversed(chain):
        weekdays.update(c.weekdays)
        exceptions.update(c.exceptions)
        names.update(c.exception_names)
    return weekdays, exceptions, names


def _holiday_ranges(
    days: list[dt.date], names: dict[dt.date, str]
) -> list[tuple[str, dt.date, dt.date]]:
    """Consecutive non-working days with the same name, as (name, first, last)."""
    ranges: list[tuple[str, dt.date, dt.date]] = []
    for day in sorted(days):
        name = names.get(day, "") or "Non-working day (MS Project)"
        if ranges and ranges[-1][0] == name and ranges[-1][2] + dt.timedelta(days=1) == day:
            ranges[-1] = (name, ranges[-1][1], day)
        else:
            ranges.append((name, day, day))
    return ranges


class _Dates:
    """MS Project date-times as plan dates, in working time (see the module docstring)."""

    def __init__(self, cal: ProgramCalendar, errors: list[str]):
        self.cal = cal
        self.errors = errors

    def _offset(self, value: dt.datetime, where: str) -> int | None:
        try:
            return self.cal.work.to_offset(value)
        except ValueError:
            self.errors.append(
                f"{where}: {value:%Y-%m-%d} is too far from the project start "
                f"({self.cal.project_start:%Y-%m-%d}) to schedule."
            )
            return None

    def start(self, value: dt.datetime | None, where: str, *, milestone: bool = False):
        if value is None:
            return None
        off = self._offset(value, where)
        if off is None:
            return None
        return value.date() if milestone else self.cal.start_date(off)

    def finish(self, value: dt.datetime | None, where: str, *, milestone: bool = False):
        if value is None:
            return None
        off = self._offset(value, where)
        if off is None:
            return None
        return value.date() if milestone else self.cal.finish_date(off)


def _plan(project: mspdi.MSPDIProject, lines: dict[int, int]) -> _Plan:
    errors: list[str] = []
    warnings: list[str] = []

    # calendar
    weekday_iv, exceptions, exception_names = _project_calendar(project)
    weekdays = sorted(d for d, iv in weekday_iv.items() if iv)
    if not weekdays:
        errors.append("Calendar: the project calendar has no working weekday.")
        weekdays = [0, 1, 2, 3, 4]
    odd_hours = sorted(d for d, iv in weekday_iv.items() if iv and sum(b - a for a, b in iv) != 480)
    if odd_hours:
        day_names = ", ".join(dt.date(2024, 1, 1 + d).strftime("%A") for d in odd_hours)
        warnings.append(
            f"Calendar: {day_names} do not have 8 working hours; the program calendar counts "
            "480 minutes on every working day."
        )
    holiday_days = [d for d, iv in exceptions.items() if not iv]
    working_days = sorted(d for d, iv in exceptions.items() if iv)
    if working_days:
        shown = ", ".join(f"{d:%Y-%m-%d}" for d in working_days[:5])
        more = f" and {len(working_days) - 5} more" if len(working_days) > 5 else ""
        warnings.append(
            f"Calendar: exceptions that make a day working ({shown}{more}) were left out; "
            "the program calendar only records non-working days."
        )
    holidays = _holiday_ranges(holiday_days, exception_names)
    project_start = project.start.date()
    try:
        cal = ProgramCalendar(
            project_start=project_start,
            weekdays=weekdays,
            holidays=[(a, b) for _, a, b in holidays],
        )
    except ValueError as exc:
        raise MspdiImportError([f"Calendar: {exc}"]) from exc
    dates = _Dates(cal, errors)
    status_date = None
    if project.status_date is not None:
        status_date = dates.finish(project.status_date, "Project StatusDate", milestone=True)

    # tasks and the outline
    seen: dict[int, mspdi.MSPDITask] = {}
    rows: list[_Row] = []
    kept: set[int] = set()
    skipped: set[int] = set()
    stack: list[tuple[int, int | None]] = []  # (outline level, uid or None for skipped)
    children_count: dict[int | None, int] = defaultdict(int)
    path_of: dict[int | None, tuple[str, str]] = {None: ("", "")}
    prev_level = 0
    inactive: list[int] = []
    milestone_with_duration: list[int] = []
    for t in project.tasks:
        where = _where(t.uid, lines)
        if t.uid in seen:
            errors.append(f"{where}: UID {t.uid} is used by another task too.")
            continue
        seen[t.uid] = t
        if t.uid == 0 or t.outline_level == 0:
            skipped.add(t.uid)  # the project summary task
            continue
        if t.is_null:
            skipped.add(t.uid)
            continue
        if t.outline_level < 1:
            errors.append(f"{where}: OutlineLevel {t.outline_level} is not a level.")
            continue
        if t.outline_level > prev_level + 1:
            errors.append(
                f"{where}: OutlineLevel {t.outline_level} follows level {prev_level}; "
                "a task can only be one level below the one above it."
            )
            continue
        prev_level = t.outline_level
        while stack and stack[-1][0] >= t.outline_level:
            stack.pop()
        parent = stack[-1][1] if stack else None
        if stack and parent is None:  # below an inactive task: inactive too
            stack.append((t.outline_level, None))
            skipped.add(t.uid)
            continue
        if not t.active:
            stack.append((t.outline_level, None))
            skipped.add(t.uid)
            inactive.append(t.uid)
            continue
        stack.append((t.outline_level, t.uid))
        fields = _item_fields(t, where, dates, errors)
        if t.milestone and t.duration > 0:
            milestone_with_duration.append(t.uid)
        index = children_count[parent]
        children_count[parent] += 1
        pwbs, ppath = path_of[parent]
        wbs = f"{pwbs}.{index + 1}" if pwbs else str(index + 1)
        opath = f"{ppath}.{index:0{services.PATH_WIDTH}d}" if ppath else f"{index:05d}"
        path_of[t.uid] = (wbs, opath)
        rows.append(_Row(t.uid, parent, t.outline_level, index, wbs, opath, fields))
        kept.add(t.uid)
    for row in rows:
        row.children = children_count.get(row.uid, 0)
        if row.children:
            row.fields["kind"] = ItemKind.SUMMARY
    if inactive:
        warnings.append(
            "Inactive tasks were left out (with anything below them and their links): UID "
            + ", ".join(map(str, inactive[:20]))
            + (" …" if len(inactive) > 20 else "")
            + "."
        )
    if milestone_with_duration:
        warnings.append(
            "Marked as milestones but with a duration, so imported as tasks: UID "
            + ", ".join(map(str, milestone_with_duration[:20]))
            + "."
        )

    # links
    parent_of = {r.uid: r.parent for r in rows}

    def ancestors(uid: int) -> set[int]:
        found = set()
        p = parent_of.get(uid)
        while p is not None and p not in found:
            found.add(p)
            p = parent_of.get(p)
        return found

    links: list[tuple[int, int, str, int, Decimal | None]] = []
    pairs: set[tuple[int, int]] = set()
    dropped = 0
    for t in project.tasks:
        if t.uid not in kept:
            continue
        where = _where(t.uid, lines)
        for ln in t.links:
            p = ln.predecessor_uid
            if p in skipped and p in seen:
                dropped += 1
                continue
            if p not in kept:
                errors.append(
                    f"{where}: PredecessorLink names PredecessorUID {p}, which is not a task "
                    "in this file."
                )
                continue
            if p == t.uid:
                errors.append(f"{where}: PredecessorLink links the task to itself.")
                continue
            if p in ancestors(t.uid) or t.uid in ancestors(p):
                errors.append(
                    f"{where}: PredecessorLink to UID {p} joins a summary and its own task "
                    "(MS Project does not allow it either)."
                )
                continue
            if (p, t.uid) in pairs:
                errors.append(f"{where}: PredecessorLink to UID {p} appears twice.")
                continue
            pairs.add((p, t.uid))
            lag, pct = mspdi.lag_minutes(ln, minutes_per_day=project.minutes_per_day)
            links.append(
                (
                    p,
                    t.uid,
                    ln.type.name,
                    lag,
                    None if pct is None else Decimal(str(pct)).quantize(Decimal("0.01")),
                )
            )
    if dropped:
        warnings.append(f"{dropped} links to inactive tasks were left out.")

    # loops: the engine's own check, named by UID and line
    if not errors:
        try:
            cpm.Network(
                [cpm.Task(id=r.uid, parent=r.parent) for r in rows],
                [cpm.Link(p, s, cpm.LinkType[t], 0) for p, s, t, _, _ in links],
            )
        except cpm.CycleError as exc:
            loop = " → ".join(_where(u, lines) for u in [*exc.cycle, exc.cycle[0]])
            errors.append(f"PredecessorLink: these links close a loop: {loop}.")
        except cpm.ScheduleError as exc:
            errors.append(f"PredecessorLink: {exc}")

    # baselines
    baselines: dict[int, list] = defaultdict(list)
    for t in project.tasks:
        if t.uid not in kept:
            continue
        where = _where(t.uid, lines)
        milestone = t.milestone and not t.duration
        for b in t.baselines:
            if not 0 <= b.number <= 10:
                errors.append(f"{where}: Baseline Number {b.number} is not 0 to 10.")
                continue
            if b.duration < 0:
                errors.append(f"{where}: Baseline {b.number} Duration is negative.")
                continue
            if b.start and b.finish and b.finish < b.start:
                errors.append(f"{where}: Baseline {b.number} Finish is before its Start.")
                continue
            if abs(b.cost) > MAX_COST:
                errors.append(f"{where}: Baseline {b.number} Cost is too large.")
                continue
            bw = f"{where}: Baseline {b.number}"
            baselines[b.number].append(
                (
                    t.uid,
                    dates.start(b.start, bw, milestone=milestone),
                    dates.finish(b.finish, bw, milestone=milestone),
                    b.duration,
                    b.cost,
                )
            )
    if errors:
        raise MspdiImportError(errors)
    return _Plan(
        weekdays=weekdays,
        project_start=project_start,
        status_date=status_date,
        holidays=holidays,
        rows=rows,
        links=links,
        baselines=dict(baselines),
        warnings=warnings,
        current_baseline=project.baseline_for_earned_value,
    )


def _item_fields(
    t: mspdi.MSPDITask, where: str, dates: _Dates, errors: list[str]
) -> dict[str, Any]:
    """The item's own fields from a task, adding any problems to `errors`."""
    n = len(errors)
    name = " ".join(t.name.split()) or f"Untitled task (UID {t.uid})"
    if len(name) > MAX_NAME:
        errors.append(f"{where}: Name is longer than {MAX_NAME} characters.")
    if t.duration < 0:
        errors.append(f"{where}: Duration is negative ({t.duration / 480:g} days).")
    if not 0 <= t.percent_complete <= 100:
        errors.append(f"{where}: PercentComplete {t.percent_complete:g} is not 0 to 100.")
    if t.start and t.finish and t.finish < t.start:
        errors.append(
            f"{where}: Finish {t.finish:%Y-%m-%d %H:%M} is before Start {t.start:%Y-%m-%d %H:%M}."
        )
    if t.actual_start and t.actual_finish and t.actual_finish < t.actual_start:
        errors.append(
            f"{where}: ActualFinish {t.actual_finish:%Y-%m-%d %H:%M} is before "
            f"ActualStart {t.actual_start:%Y-%m-%d %H:%M}."
        )
    constraint = CONSTRAINT_OF_CODE.get(t.constraint_type)
    if constraint is None:
        errors.append(f"{where}: ConstraintType {t.constraint_type} is not a constraint type.")
    elif constraint not in ("asap", "alap") and t.constraint_date is None:
        errors.append(f"{where}: ConstraintType {t.constraint_type} needs a ConstraintDate.")
    if abs(t.cost) > MAX_COST:
        errors.append(f"{where}: Cost is too large.")
    if t.manual and (t.start is None or t.finish is None):
        errors.append(f"{where}: a manually scheduled task needs its Start and Finish.")
    if len(errors) > n:
        return {}
    milestone = t.milestone and t.duration == 0
    pct = round(t.percent_complete)
    if constraint in ("asap", "alap"):
        c_date = None
    elif constraint in START_CONSTRAINTS:
        c_date = dates.start(t.constraint_date, where, milestone=milestone)
    else:
        c_date = dates.finish(t.constraint_date, where, milestone=milestone)
    return {
        "name": name,
        "kind": ItemKind.MILESTONE if milestone else ItemKind.TASK,
        "duration_minutes": 0 if milestone else t.duration,
        "manual": t.manual,
        "manual_start": dates.start(t.start, where, milestone=milestone) if t.manual else None,
        "manual_finish": dates.finish(t.finish, where, milestone=milestone) if t.manual else None,
        "percent_complete": pct,
        "status": (
            ItemStatus.COMPLETE
            if pct >= 100
            else ItemStatus.IN_PROGRESS
            if pct > 0 or t.actual_start
            else ItemStatus.NOT_STARTED
        ),
        "actual_start": dates.start(t.actual_start, where, milestone=milestone),
        "actual_finish": dates.finish(t.actual_finish, where, milestone=milestone),
        "constraint": constraint,
        "constraint_date": c_date,
        "deadline": dates.finish(t.deadline, where, milestone=milestone),
        "cost": t.cost,
        "description": t.notes.strip(),
    }


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _insert(model, objs: list) -> None:
    """INSERT the unsaved `objs` and set their ids: one multi-row statement per 1,000 rows.

    On PostgreSQL the rows go through psycopg2's `execute_values` (Django's `bulk_create`
    prepares each value through the field machinery, which is most of an import's time);
    elsewhere `bulk_create` does it. Callers have validated the values already.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        with bulk_writes_allowed():
            model._base_manager.bulk_create(objs, batch_size=1000)
        return
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)
    fk_caches = [f for f in fields if f.is_relation]
    rows = []
    for obj in objs:
        for f in fk_caches:  # a parent created earlier in this import: take its new id
            if getattr(obj, f.attname) is None and f.is_cached(obj):
                related = f.get_cached_value(obj)
                if related is not None:
                    setattr(obj, f.attname, related.pk)  # (this forgets the cached object)
                    f.set_cached_value(obj, related)
        rows.append(tuple(getattr(obj, f.attname) for f in fields))
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        ids = execute_values(
            cursor.cursor,
            f"INSERT INTO {table} ({columns}) VALUES %s RETURNING id",  # noqa: S608
            rows,
            page_size=1000,
            fetch=True,
        )
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = "default"


def _audit_many(*, actor, instances: list, action: str) -> None:
    """One audit entry per instance, as `core.audit.audit_create_many` writes them (and the
    same for deletions), inserted in a few statements."""
    if not instances:
        return
    user = actor if actor is not None and actor.is_authenticated else None
    request_id = current_request_id.get()
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(instances[0], for_concrete_model=True)
    side = 1 if action == AuditAction.CREATE else 0
    rows = []
    for instance in instances:
        changes = {}
        for k, v in snapshot(instance).items():
            if v not in (None, ""):
                changes[k] = [None, v] if side else [v, None]
        rows.append(
            (
                now,
                user.pk if user else None,
                str(user) if user else "system",
                request_id,
                instance.program_id,
                action,
                content_type.pk,
                str(instance.pk),
                str(instance)[:300],
                getattr(instance, "version", None),
                changes,
            )
        )
    if connection.vendor != "postgresql":
        AuditEntry.objects.bulk_create(
            [AuditEntry(**dict(zip(_AUDIT_COLUMNS, row, strict=True))) for row in rows],
            batch_size=1000,
        )
        return
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f"INSERT INTO {table} ({', '.join(_AUDIT_COLUMNS)}) VALUES %s",  # noqa: S608
            [(*row[:-1], orjson.dumps(row[-1]).decode()) for row in rows],
            template="(" + ", ".join(["%s"] * (len(_AUDIT_COLUMNS) - 1)) + ", %s::jsonb)",
            page_size=1000,
        )


_AUDIT_COLUMNS = (
    "timestamp", "actor_id", "actor_name", "request_id", "program_id", "action",
    "content_type_id", "object_id", "object_repr", "object_version", "changes",
)  # fmt: skip


def _clear(program: Program, actor) -> int:
    """Delete the program's schedule (items, links, holidays, baselines), audited."""
    items = list(
        Item.objects.filter(program=program).select_related(
            "program", "parent", "workstream", "owner", "accepted_by"
        )
    )
    links = list(
        Dependency.objects.filter(program=program).select_related(
            "program", "predecessor", "successor"
        )
    )
    holidays = list(Holiday.objects.filter(program=program).select_related("program"))
    baselines = list(
        Baseline.objects.filter(program=program).select_related("program", "created_by")
    )
    for group in (links, baselines, holidays, items):
        _audit_many(actor=actor, instances=group, action=AuditAction.DELETE)
    try:
        with bulk_writes_allowed(), transaction.atomic():
            Dependency.objects.filter(program=program).delete()
            BaselineItem.objects.filter(program=program).delete()
            Baseline.objects.filter(program=program).delete()
            Holiday.objects.filter(program=program).delete()
            Item.objects.filter(program=program).update(parent=None)
            Item.objects.filter(program=program).delete()
    except ProtectedError as exc:
        names = sorted({f"{o._meta.verbose_name} {o}" for o in exc.protected_objects})[:5]
        raise MspdiImportError(
            [
                "The current schedule cannot be replaced: other records point at its items ("
                + "; ".join(names)
                + "). Unlink them first."
            ]
        ) from exc
    return len(items)


@transaction.atomic
def import_mspdi(
    program: Program,
    source: Source,
    actor,
    replace: bool = False,
    *,
    filename: str = "",
) -> ImportResult:
    """Import an MSPDI document (bytes, a path or a file) into `program`'s schedule.

    Raises `MspdiImportError` (a `ValidationError`) listing every problem; nothing is written
    then. Without `replace`, a program that already has items is refused.
    """
    data = _read(source)
    lines = _task_lines(data)
    try:
        project = mspdi.parse(data)
    except mspdi.MSPDIError as exc:
        raise MspdiImportError([_locate(str(exc), lines)]) from exc
    plan = _plan(project, lines)

    schedule = services.lock_schedule(program)
    existing = Item.objects.filter(program=program).count()
    if existing and not replace:
        raise MspdiImportError(
            [
                f"{program.code} already has a schedule ({existing} items). Import with "
                "“replace the current schedule” to overwrite it."
            ]
        )
    result = ImportResult(warnings=plan.warnings)
    if existing or replace:
        result.replaced = _clear(program, actor)

    schedule = _update_schedule(schedule, plan, actor)
    result.holidays = _create_holidays(program, plan, actor)
    by_uid = _create_items(program, plan, actor)
    result.items = len(by_uid)
    result.links = _create_links(program, plan, by_uid, actor)
    result.baselines = _create_baselines(program, plan, by_uid, actor, filename)
    services.renumber(program)
    services.recompute(program, schedule=schedule)
    return result


def _update_schedule(schedule: Schedule, plan: _Plan, actor) -> Schedule:
    return apply_changes(
        schedule,
        actor=actor,
        changes={
            "weekdays": plan.weekdays,
            "project_start": plan.project_start,
            "status_date": plan.status_date,
        },
        expected_version=None,
    )


def _create_holidays(program: Program, plan: _Plan, actor) -> int:
    have = set(Holiday.objects.filter(program=program).values_list("start", "finish"))
    objs = [
        Holiday(program=program, name=name[:200], start=a, finish=b)
        for name, a, b in plan.holidays
        if (a, b) not in have  # already in the calendar (kept when not replacing)
    ]
    with bulk_writes_allowed():
        Holiday.objects.bulk_create(objs, batch_size=1000)
    audit_create_many(actor=actor, instances=objs)
    return len(objs)


def _create_items(program: Program, plan: _Plan, actor) -> dict[int, Item]:
    keys = allocate_keys(program_id=program.pk, prefix=Item.KEY_PREFIX, count=len(plan.rows))
    by_uid: dict[int, Item] = {}
    levels: dict[int, list[Item]] = defaultdict(list)
    for row, key in zip(plan.rows, keys, strict=True):
        item = Item(
            program=program,
            key=key,
            parent=by_uid[row.parent] if row.parent is not None else None,
            position=row.position,
            wbs=row.wbs,
            outline_path=row.outline_path,
            depth=row.level - 1,
            **row.fields,
        )
        by_uid[row.uid] = item
        levels[row.level].append(item)
    for level in sorted(levels):  # parents first, so their ids exist for their children
        _insert(Item, levels[level])
    _audit_many(actor=actor, instances=list(by_uid.values()), action=AuditAction.CREATE)
    return by_uid


def _create_links(program: Program, plan: _Plan, by_uid: dict[int, Item], actor) -> int:
    objs = [
        Dependency(
            program=program,
            predecessor=by_uid[p],
            successor=by_uid[s],
            type=typ,
            lag_minutes=lag,
            lag_percent=pct,
        )
        for p, s, typ, lag, pct in plan.links
    ]
    _insert(Dependency, objs)
    _audit_many(actor=actor, instances=objs, action=AuditAction.CREATE)
    return len(objs)


def _create_baselines(
    program: Program, plan: _Plan, by_uid: dict[int, Item], actor, filename: str
) -> int:
    if not plan.baselines:
        return 0
    numbers = sorted(plan.baselines)
    if plan.current_baseline in numbers:
        current = plan.current_baseline  # the baseline Project's earned value uses
    else:
        current = 0 if 0 in numbers else numbers[0]
    source = f" from {filename}" if filename else ""
    items: list[BaselineItem] = []
    for number in numbers:
        baseline = Baseline(
            program=program,
            name="Baseline" if number == 0 else f"Baseline {number}",
            number=number,
            is_current=number == current,
            note=f"Imported{source} (MS Project baseline {number}).",
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        baseline.save()
        audit_create(actor=actor, instance=baseline)
        items.extend(
            BaselineItem(
                baseline=baseline,
                program=program,
                item=by_uid[uid],
                start=start,
                finish=finish,
                duration_minutes=duration,
                cost=cost,
            )
            for uid, start, finish, duration, cost in plan.baselines[number]
        )
    with bulk_writes_allowed():
        BaselineItem.objects.bulk_create(items, batch_size=2000)
    return len(numbers)
