"""Writes on the schedule: the WBS tree, dependencies, progress, calendar, baselines, sign-off.

Every write is atomic, audited and ends with `recompute(program)`, which runs the engine over
the whole program and stores the computed dates. Structural writes (anything that changes the
tree, the links or the calendar) first lock the program's `Schedule` row, so two people
reordering the same outline, or a drag racing an import, run one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress
from operator import ne
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import audit_create, audit_delete, audit_update, snapshot
from core.audit_guard import bulk_writes_allowed
from core.keys import allocate_key
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership

from . import cpm
from .calendars import ProgramCalendar, calendar_for
from .models import (
    CONSTRAINT_CODES,
    DEFAULT_WEEKDAYS,
    LINK_CODES,
    MINUTES_PER_DAY,
    Baseline,
    BaselineItem,
    Constraint,
    Dependency,
    ForecastSnapshot,
    Holiday,
    Item,
    ItemKind,
    ItemStatus,
    Schedule,
)

ITEM_FIELDS = (
    "name", "kind", "workstream", "owner", "description", "duration_minutes", "manual",
    "manual_start", "manual_finish", "percent_complete", "actual_start", "actual_finish",
    "status", "constraint", "constraint_date", "deadline", "cost", "acceptance_criteria",
    "remediation_plan",
)  # fmt: skip
# fields the engine reads: a change to any of them reschedules the program
SCHEDULING_FIELDS = (
    "kind", "duration_minutes", "manual", "manual_start", "manual_finish", "percent_complete",
    "actual_start", "actual_finish", "constraint", "constraint_date", "deadline",
)  # fmt: skip
PROGRESS_FIELDS = ("percent_complete", "actual_start", "actual_finish", "status")
DATE_FIELDS = ("start", "finish")  # pseudo-fields: translated the way MS Project does
BULK_FIELDS = ("owner", "status", "workstream")
SCHEDULE_FIELDS = ("weekdays", "project_start", "status_date", "slip_threshold_days")
HOLIDAY_FIELDS = ("name", "start", "finish")
DEPENDENCY_FIELDS = ("type", "lag_minutes", "lag_percent")
PATH_WIDTH = 5  # digits per outline level in `outline_path`


def _only(fields: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    return fields


def _check_member(program: Program, user, field: str) -> None:
    if (
        user is not None
        and not ProgramMembership.objects.filter(program=program, user=user).exists()
    ):
        raise ValidationError({field: f"{user} is not a member of {program.code}."})


def _check_workstream(program: Program, workstream, field: str = "workstream") -> None:
    if workstream is not None and workstream.program_id != program.pk:
        raise ValidationError({field: "That workstream belongs to another program."})


# ---------------------------------------------------------------------------------------------
# The schedule row, its calendar and the lock
# ---------------------------------------------------------------------------------------------


def schedule_for(program: Program) -> Schedule:
    """The program's schedule settings, created with defaults on first use."""
    schedule = Schedule.objects.filter(program=program).select_related("program").first()
    if schedule is None:
        schedule, _ = Schedule.objects.get_or_create(
            program=program, defaults={"weekdays": list(DEFAULT_WEEKDAYS)}
        )
        schedule.program = program
    return schedule


def lock_schedule(program: Program) -> Schedule:
    """Serialise structural writes on one program (call inside the transaction)."""
    locked = Schedule.objects.select_for_update(of=("self",)).select_related("program")
    schedule = locked.filter(program=program).first()
    if schedule is None:  # the first write of a program creates its schedule
        schedule_for(program)
        schedule = locked.get(program=program)
    return schedule


def program_calendar(program: Program, schedule: Schedule | None = None) -> ProgramCalendar:
    schedule = schedule or schedule_for(program)
    holidays = Holiday.objects.filter(program=program).values_list("start", "finish")
    return calendar_for(schedule, list(holidays))


def _check_in_calendar(cal: ProgramCalendar, **dates: dt.date | None) -> None:
    errors = {}
    for name, value in dates.items():
        if value is None:
            continue
        try:
            cal.start_offset(value)
        except ValueError:
            errors[name] = (
                f"{value:%Y-%m-%d} is too far from the project start "
                f"({cal.project_start:%Y-%m-%d}) to schedule."
            )
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------------------------------------
# The engine over the whole program
# ---------------------------------------------------------------------------------------------

_LOAD_FIELDS = (
    "id", "parent_id", "kind", "duration_minutes", "manual", "manual_start", "manual_finish",
    "percent_complete", "actual_start", "actual_finish", "constraint", "constraint_date",
    "deadline", *Item.COMPUTED_FIELDS,
)  # fmt: skip
_WRITE_FIELDS = (*Item.COMPUTED_FIELDS, "percent_complete")


class RecomputeResult:
    """What a recompute changed: for the API's answer and the Gantt's refresh."""

    def __init__(self, *, changed_ids: list[int], project_finish: dt.date | None, items: int):
        self.changed_ids = changed_ids
        self.project_finish = project_finish
        self.items = items

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "changed": len(self.changed_ids),
            "project_finish": self.project_finish.isoformat() if self.project_finish else None,
        }


_CONSTRAINT_TYPES = {name: cpm.ConstraintType(code) for name, code in CONSTRAINT_CODES.items()}
_LINK_TYPES = {name: cpm.LinkType(code) for name, code in LINK_CODES.items()}
_FINISH_CONSTRAINTS = frozenset(("fnet", "fnlt", "mfo"))


def build_network(
    rows: list[tuple],
    links: list[tuple],
    cal: ProgramCalendar,
    memo: dict[tuple, cpm.Task] | None = None,
) -> tuple[list[cpm.Task], list[cpm.Link]]:
    """Engine tasks and links from `_LOAD_FIELDS` rows and (pred, succ, type, lag, pct) links.

    `memo` maps input rows to the tasks built from them with the same calendar: a row that did
    not change reuses its task (the engine never changes a task). New tasks are added to it.
    """
    so, fo = cal.start_offset, cal.finish_offset
    Task = cpm.Task
    asap = _CONSTRAINT_TYPES["asap"]
    tasks = []
    append = tasks.append
    known = memo.get if memo is not None else None
    for r in rows:
        if known is not None:
            task = known(r)
            if task is not None:
                append(task)
                continue
        (pk, parent, kind, dur, manual, m_start, m_finish, pct, a_start, a_finish, cons, c_date,
         deadline) = r[:13]  # fmt: skip
        milestone = kind == "milestone"
        if kind == "summary":  # its progress is rolled up from below, not an input
            pct, a_start, a_finish = 0, None, None
        if cons == "asap" and not (deadline or a_start or a_finish or manual or pct):
            append(Task(pk, 0 if milestone else dur, parent, asap, milestone=milestone))
            if memo is not None:
                memo[r] = tasks[-1]
            continue
        c_off = None
        if c_date is not None and cons not in ("asap", "alap"):
            c_off = fo(c_date) if cons in _FINISH_CONSTRAINTS else so(c_date)
            if milestone and cons in ("snet", "snlt", "mso"):
                c_off = fo(c_date)  # a milestone on a date sits at the end of that day
        append(
            Task(
                id=pk,
                duration=0 if milestone else dur,
                parent=parent,
                constraint=_CONSTRAINT_TYPES[cons],
                constraint_date=c_off,
                deadline=fo(deadline) if deadline else None,
                percent_complete=float(pct),
                actual_start=(fo(a_start) if milestone else so(a_start)) if a_start else None,
                actual_finish=fo(a_finish) if a_finish else None,
                manual=manual and (m_start is not None or m_finish is not None),
                manual_start=so(m_start) if manual and m_start else None,
                manual_finish=fo(m_finish) if manual and m_finish else None,
                milestone=milestone,
            )
        )
        if memo is not None:
            memo[r] = tasks[-1]
    types = _LINK_TYPES
    cpm_links = [
        cpm.Link(p, s, types[t], lag, None if pct is None else float(pct))
        for p, s, t, lag, pct in links
    ]
    return tasks, cpm_links


def _rollup_percent(rows: list[tuple], summaries: set[int]) -> dict[int, int]:
    """Duration-weighted percent complete of each summary over the leaves below it.

    `rows` are in outline order (a parent before its items), so one pass from the end sees
    every item before its parent. A summary with only milestones below is complete when all
    the milestones directly below it are.
    """
    total: dict[int, float] = dict.fromkeys(summaries, 0)
    weighted: dict[int, float] = dict.fromkeys(summaries, 0.0)
    leaves_done: dict[int, list[bool]] = {pk: [] for pk in summaries}
    result = {}
    for r in reversed(rows):
        pk, parent = r[0], r[1]
        if pk in summaries:
            t, w = total[pk], weighted[pk]
            if t:
                result[pk] = round(w / t)
            else:
                flags = leaves_done[pk]
                result[pk] = 100 if flags and all(flags) else 0
        else:
            t, w = r[3], r[3] * r[7]  # duration, duration * percent
            if parent is not None:
                leaves_done[parent].append(r[7] == 100)
        if parent is not None:
            total[parent] += t
            weighted[parent] += w
    return result


def _bulk_write(changed: list[tuple]) -> None:
    """Write (id, *_WRITE_FIELDS) rows: one UPDATE ... FROM (VALUES ...) on PostgreSQL."""
    if not changed:
        return
    table = connection.ops.quote_name(Item._meta.db_table)
    if connection.vendor == "postgresql":
        types = ["bigint", "date", "date", "date", "date", "date", "date", "integer",
                 "integer", "boolean", "integer"]  # fmt: skip
        cols = ["id", *_WRITE_FIELDS]
        sets = ", ".join(f"{c} = v.{c}" for c in _WRITE_FIELDS)
        casts = ", ".join(f"%s::{t}" for t in types)
        with connection.cursor() as cursor:
            for i in range(0, len(changed), 2000):
                chunk = changed[i : i + 2000]
                values = ", ".join([f"({casts})"] * len(chunk))
                params = [v for row in chunk for v in row]
                cursor.execute(
                    f"UPDATE {table} AS t SET {sets} FROM (VALUES {values}) "  # noqa: S608
                    f"AS v({', '.join(cols)}) WHERE t.id = v.id",
                    params,
                )
        return
    if connection.vendor == "sqlite":  # UPDATE ... FROM since SQLite 3.33; bulk_update is slow
        sets = ", ".join(f"{c} = v.column{n}" for n, c in enumerate(_WRITE_FIELDS, start=2))
        row_sql = "(" + ", ".join(["%s"] * (len(_WRITE_FIELDS) + 1)) + ")"
        with connection.cursor() as cursor:
            for i in range(0, len(changed), 1000):
                chunk = changed[i : i + 1000]
                params = [
                    v.isoformat() if isinstance(v, dt.date) else v for row in chunk for v in row
                ]
                cursor.execute(
                    f"UPDATE {table} AS t SET {sets} FROM (VALUES "  # noqa: S608
                    f"{', '.join([row_sql] * len(chunk))}) AS v WHERE t.id = v.column1",
                    params,
                )
        return
    objs = []
    for row in changed:
        obj = Item(pk=row[0])
        for name, value in zip(_WRITE_FIELDS, row[1:], strict=True):
            setattr(obj, name, value)
        objs.append(obj)
    with bulk_writes_allowed():
        Item.objects.bulk_update(objs, list(_WRITE_FIELDS), batch_size=500)


def recompute(
    program: Program, *, schedule: Schedule | None = None, cal: ProgramCalendar | None = None
) -> RecomputeResult:
    """Run the engine over the program and store every item's computed dates and floats.

    Two queries read the network, one UPDATE writes the rows whose values changed.
    """
    with cpm._gc_paused():  # tens of thousands of short-lived tuples, no reference cycles
        try:
            return _recompute(program, schedule or schedule_for(program), cal)
        except ValueError as exc:  # a date or offset outside the span the calendar covers
            raise ValidationError(
                "The plan cannot be scheduled: it would reach outside the working calendar "
                "(more than 12 years after or 3 years before the project start, or no working "
                "days left). Check "
                "long durations, lags, holidays and far-off dates."
            ) from exc


_INPUT_FIELDS = _LOAD_FIELDS[:13]  # what the engine reads; the rest are its last answers


@dataclass
class _LastRun:
    """One process's memory of a program's last recompute.

    `stamp` is the `Schedule.computed_at` that recompute wrote with these values: while the
    database still holds that stamp, no recompute anywhere has changed the computed columns
    since (only recompute writes them), so the values can stand in for reading them back.
    The compiled network is reused while the outline, durations and links are unchanged,
    which is the case for a Gantt drag that moves a bar. The per-row lists follow `rows`
    (outline order), so the next run finds the rows whose inputs or answers changed by
    comparing lists at C speed and converts only those to dates.
    """

    stamp: dt.datetime
    calendar: ProgramCalendar  # offsets map to dates through it
    structure: tuple  # (ids, parents, durations, links)
    network: cpm.Network
    tasks: dict[tuple, cpm.Task]  # input row -> the engine task built from it
    rows: list[tuple]  # the input rows (_INPUT_FIELDS)
    answers: list[tuple]  # per row: the engine's (ES, EF, LS, LF, TF, FF, critical)
    done: list  # per row: percent complete (rolled up for summaries)
    values: list[tuple]  # per row: the stored computed columns (as in _WRITE_FIELDS)
    kids: dict[int, list[int]]  # summary row -> its direct children's rows


_LAST_RUNS: dict[int, _LastRun] = {}
_LAST_RUNS_SIZE = 8


def _network_for(rows: list[tuple], links: list[tuple], cal, last):
    memo = last.tasks if last is not None and last.calendar is cal else {}
    if len(memo) > 2 * len(rows):  # rows edited many times: start afresh
        memo = {}
    tasks, _ = build_network(rows, [], cal, memo)  # links are only needed to compile
    structure = (
        [r[0] for r in rows], [r[1] for r in rows], [t.duration for t in tasks], links,
    )  # fmt: skip
    if last is not None and last.structure == structure:
        net = last.network
        net.replace_tasks(tasks)
    else:
        types = _LINK_TYPES
        cpm_links = [
            cpm.Link(p, s, types[t], lag, None if pct is None else float(pct))
            for p, s, t, lag, pct in links
        ]
        net = cpm.Network(tasks, cpm_links)
    return net, structure, memo


def _children_rows(rows: list[tuple]) -> dict[int, list[int]]:
    """Row positions of each item's direct children, keyed by the parent's position."""
    pos = {r[0]: i for i, r in enumerate(rows)}
    kids: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        if r[1] is not None:
            kids[pos[r[1]]].append(i)
    return dict(kids)


def _recompute(
    program: Program, schedule: Schedule, cal: ProgramCalendar | None
) -> RecomputeResult:
    cal = cal or program_calendar(program, schedule)
    rows = list(
        Item.objects.filter(program=program).order_by("outline_path").values_list(*_INPUT_FIELDS)
    )
    links = list(
        Dependency.objects.filter(program=program)
        .order_by("id")
        .values_list("predecessor_id", "successor_id", "type", "lag_minutes", "lag_percent")
    )
    if not rows:
        _touch_schedule(schedule, None)
        _LAST_RUNS.pop(program.pk, None)
        return RecomputeResult(changed_ids=[], project_finish=None, items=0)
    last = _LAST_RUNS.pop(program.pk, None)
    if last is not None and (schedule.computed_at is None or last.stamp != schedule.computed_at):
        last = None  # someone recomputed elsewhere (or our transaction rolled back)
    net, structure, memo = _network_for(rows, links, cal, last)
    status = cal.finish_offset(schedule.status_date) if schedule.status_date else None
    result = net.run(status_date=status, minutes_per_day=MINUTES_PER_DAY)
    ids, col_es, col_ef, col_ls, col_lf, col_tf, col_ff, col_crit, col_summ = result.columns()
    n = len(rows)
    same_outline = last is not None and last.structure[:2] == structure[:2]
    # rows whose inputs changed since the last run (all of them without one to compare with)
    edited = list(compress(range(n), map(ne, rows, last.rows))) if same_outline else None
    summary_rows = list(compress(range(n), col_summ))
    if same_outline and not any(rows[i][3:8:4] != last.rows[i][3:8:4] for i in edited):
        done = last.done  # no duration or percent changed: the roll-up stands
        kids = last.kids
    else:
        kids = last.kids if same_outline else _children_rows(rows)
        rollup = _rollup_percent(rows, {ids[i] for i in summary_rows}) if summary_rows else {}
        done = [r[7] for r in rows]
        for i in summary_rows:
            done[i] = rollup[ids[i]]
    answers = list(zip(col_es, col_ef, col_ls, col_lf, col_tf, col_ff, col_crit, strict=True))
    # The dates of a row depend only on its engine answer, its inputs and its percent (and,
    # for a summary, on the rows below it): the rest keep the dates they were given.
    todo: Iterable[int]
    if last is None:
        stored = {
            r[0]: r[1:]
            for r in Item.objects.filter(program=program).values_list(
                "id", *Item.COMPUTED_FIELDS, "percent_complete"
            )
        }
        old_values = [stored.get(pk) for pk in ids]
        todo = range(n)
    elif same_outline:
        old_values = last.values
        if last.calendar is cal:
            dirty = set(edited)
            dirty.update(compress(range(n), map(ne, answers, last.answers)))
            if done is not last.done:
                dirty.update(compress(range(n), map(ne, done, last.done)))
            dirty.update(summary_rows)
            todo = sorted(dirty)
        else:
            todo = range(n)
    else:
        at = dict(zip(last.structure[0], range(len(last.rows)), strict=True))
        where = [at.get(pk) for pk in ids]
        old_values = [None if j is None else last.values[j] for j in where]
        if last.calendar is cal:
            todo = [
                i
                for i, j in enumerate(where)
                if j is None
                or col_summ[i]
                or answers[i] != last.answers[j]
                or rows[i] != last.rows[j]
                or done[i] != last.done[j]
            ]
        else:
            todo = range(n)
    values = list(old_values)
    sd, fd = cal.start_date, cal.finish_date
    changed = []
    changed_ids = []
    milestone_moves = []
    # From the end of the outline, so that a summary comes after every item below it: its
    # start shows as its earliest item's start (a milestone at Friday 17:00 and a task at
    # Monday 08:00 are the same working minute, but not the same day to a reader).
    for i in reversed(todo):
        row = rows[i]
        r_es, r_ef, r_ls, r_lf, r_tf, r_ff, r_crit = answers[i]
        r_summ = col_summ[i]
        pk, kind, cons = row[0], row[2], row[10]
        milestone = kind == ItemKind.MILESTONE
        # A zero-length item shows on the day whose work it follows (Friday 17:00, not
        # Monday 08:00), except at the project start, which nothing precedes.
        es = (fd(r_es) if r_es > 0 else sd(r_es)) if milestone else sd(r_es)
        ef = (fd(r_ef) if r_ef > 0 else sd(r_ef)) if milestone else fd(r_ef)
        if milestone and row[4] and row[5] is not None:
            # A manual milestone shows on its own date, as in MS Project, even at 08:00
            # (which on the working-minute axis is the previous working day's 17:00).
            es = ef = row[5]
        ls = (fd(r_ls) if r_ls > 0 else sd(r_ls)) if milestone else sd(r_ls)
        lf = (fd(r_lf) if r_lf > 0 else sd(r_lf)) if milestone else fd(r_lf)
        if cons == Constraint.ALAP and not r_summ:
            start, finish = ls, lf
        else:
            start, finish = es, ef
        if finish < start:  # zero-length work lands at the end of the previous day
            start = finish
        if r_summ:
            below = kids.get(i)
            if below:  # a summary starts with its earliest item
                start = min(start, min([values[c][0] for c in below]))
                es = min(es, min([values[c][2] for c in below]))
            if done[i] == 100:
                r_crit = False  # like a complete task (cpm rule 12)
        new = (start, finish, es, ef, ls, lf, r_tf, r_ff, r_crit, done[i])
        values[i] = new
        old = old_values[i]
        if new != old:
            changed.append((pk, *new))
            changed_ids.append(pk)
            if milestone and (old is None or finish != old[1]):
                milestone_moves.append((pk, finish))
    _bulk_write(changed)
    if milestone_moves:
        today = timezone.localdate()
        with bulk_writes_allowed():
            ForecastSnapshot.objects.bulk_create(
                [
                    ForecastSnapshot(program=program, item_id=pk, as_of=today, finish=finish)
                    for pk, finish in milestone_moves
                ],
                update_conflicts=True,
                unique_fields=["item", "as_of"],
                update_fields=["finish"],
            )
    project_finish = fd(result.project_finish)
    stamp = _touch_schedule(schedule, project_finish)
    if len(_LAST_RUNS) >= _LAST_RUNS_SIZE:
        _LAST_RUNS.pop(next(iter(_LAST_RUNS)))
    _LAST_RUNS[program.pk] = _LastRun(
        stamp, cal, structure, net, memo, rows, answers, done, values, kids
    )
    return RecomputeResult(changed_ids=changed_ids, project_finish=project_finish, items=len(rows))


def _touch_schedule(schedule: Schedule, project_finish: dt.date | None) -> dt.datetime:
    stamp = timezone.now()
    with bulk_writes_allowed():
        Schedule.objects.filter(pk=schedule.pk).update(
            computed_at=stamp, project_finish=project_finish
        )
    schedule.project_finish = project_finish
    schedule.computed_at = stamp
    return stamp


def engine_error(exc: cpm.ScheduleError, program: Program) -> ValidationError:
    """A `cpm` error as a message that names items by their keys."""
    if isinstance(exc, cpm.CycleError):
        keys = dict(Item.objects.filter(pk__in=exc.cycle).values_list("pk", "key"))
        names = [keys.get(c, str(c)) for c in exc.cycle]
        return ValidationError(
            "These links would close a loop: " + " → ".join([*names, names[0]]) + "."
        )
    return ValidationError(str(exc))


# ---------------------------------------------------------------------------------------------
# The WBS tree
# ---------------------------------------------------------------------------------------------


def renumber(program: Program, *, place: tuple[int, int | None, int | None] | None = None) -> None:
    """Recompute positions, WBS codes, outline paths, depths and summary kinds of the program.

    `place=(item_id, parent_id, index)` puts that item at `index` among its new siblings
    (None: last) before numbering. One query reads the tree; one statement writes what changed.
    """
    rows = list(
        Item.objects.filter(program=program).values_list(
            "id", "parent_id", "position", "wbs", "outline_path", "depth", "kind"
        )
    )
    children: dict[int | None, list[tuple[int, int]]] = defaultdict(list)
    for pk, parent, position, *_ in rows:
        if place and pk == place[0]:
            continue
        children[parent].append((position, pk))
    for key in children:
        children[key].sort()
    order: dict[int | None, list[int]] = {k: [pk for _, pk in v] for k, v in children.items()}
    if place:
        pk, parent, index = place
        siblings = order.setdefault(parent, [])
        siblings.insert(len(siblings) if index is None else max(0, min(index, len(siblings))), pk)
    current = {r[0]: r for r in rows}
    updates = []
    stack: list[tuple[int | None, str, str, int]] = [(None, "", "", -1)]
    while stack:
        parent, wbs, path, depth = stack.pop()
        kids = order.get(parent, [])
        for i, pk in enumerate(kids):
            code = f"{wbs}.{i + 1}" if wbs else str(i + 1)
            opath = f"{path}.{i:0{PATH_WIDTH}d}" if path else f"{i:0{PATH_WIDTH}d}"
            kind = current[pk][6]
            has_children = bool(order.get(pk))
            if has_children:
                kind = ItemKind.SUMMARY
            elif kind == ItemKind.SUMMARY:
                kind = ItemKind.TASK
            new = (pk, parent, i, code, opath, depth + 1, kind)
            if new != current[pk]:
                updates.append(new)
        for i, pk in reversed(list(enumerate(kids))):
            code = f"{wbs}.{i + 1}" if wbs else str(i + 1)
            opath = f"{path}.{i:0{PATH_WIDTH}d}" if path else f"{i:0{PATH_WIDTH}d}"
            stack.append((pk, code, opath, depth + 1))
    if not updates:
        return
    objs = []
    for pk, parent, position, code, opath, depth, kind in updates:
        obj = Item(pk=pk, parent_id=parent, position=position, wbs=code, outline_path=opath)
        obj.depth, obj.kind = depth, kind
        objs.append(obj)
    with bulk_writes_allowed():
        Item.objects.bulk_update(
            objs, ["parent", "position", "wbs", "outline_path", "depth", "kind"], batch_size=1000
        )


def _descendant_ids(program: Program, root_id: int) -> set[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Item.objects.filter(program=program).values_list("id", "parent_id"):
        children[parent].append(pk)
    found: set[int] = set()
    stack = [root_id]
    while stack:
        for c in children.get(stack.pop(), ()):
            if c not in found:
                found.add(c)
                stack.append(c)
    return found


def _ancestor_ids(item: Item) -> set[int]:
    parents = dict(Item.objects.filter(program_id=item.program_id).values_list("id", "parent_id"))
    found: set[int] = set()
    p = parents.get(item.pk)
    while p is not None and p not in found:
        found.add(p)
        p = parents.get(p)
    return found


def _translate_dates(item: Item, changes: dict[str, Any], cal: ProgramCalendar) -> dict[str, Any]:
    """`start`/`finish` from a form or a Gantt drag, turned into what the engine keeps.

    As in MS Project: moving the start of an automatically scheduled task sets a
    "start no earlier than" constraint on that date; moving the finish changes the duration.
    A manually scheduled task keeps the dates it is given.
    """
    start = changes.pop("start", None)
    finish = changes.pop("finish", None)
    if item.pk is not None:
        # A date sent back unchanged (a whole form, a Gantt resize that keeps the start) is
        # not a move: it must not pin the task with a constraint or change its duration.
        # An unchanged finish still counts when the start moves (a resize from the left).
        if start is not None and start == item.start:
            start = None
        if finish is not None and finish == item.finish and start is None:
            finish = None
    if start is None and finish is None:
        return changes
    _check_in_calendar(cal, start=start, finish=finish)
    kind = changes.get("kind", item.kind)
    if kind == ItemKind.SUMMARY:
        raise ValidationError("A summary's dates come from the items below it.")
    cur_start = item.manual_start if item.manual and item.manual_start else item.start
    new_start = start or cur_start or cal.project_start
    if kind == ItemKind.MILESTONE:
        day = finish or start
        if item.manual or changes.get("manual"):
            changes.update(manual_start=day, manual_finish=day)
        else:
            changes.update(constraint=Constraint.SNET, constraint_date=day)
        return changes
    if finish is not None and finish < new_start:
        raise ValidationError({"finish": "The finish cannot be before the start."})
    if finish is not None:
        if not cal.is_working_day(new_start):
            new_start = cal.add_working_days(new_start, 0)
        days = cal.working_days(new_start, finish)
        if days == 0:
            raise ValidationError(
                {"finish": "There is no working day between the start and the finish."}
            )
        changes["duration_minutes"] = days * MINUTES_PER_DAY
    # (a start alone moves the item and keeps its duration)
    if item.manual or changes.get("manual"):
        changes["manual_start"] = new_start
        changes["manual_finish"] = finish or cal.finish_date(
            cal.start_offset(new_start) + changes.get("duration_minutes", item.duration_minutes)
        )
    elif start is not None:
        if item.constraint in (Constraint.MSO,):
            changes.update(constraint_date=start)
        else:
            changes.update(constraint=Constraint.SNET, constraint_date=start)
    return changes


def _progress_rules(item: Item, changes: dict[str, Any]) -> dict[str, Any]:
    """Keep percent complete, actual dates and status consistent, as a PM expects."""
    pct = changes.get("percent_complete", item.percent_complete)
    status = changes.get("status", item.status)
    if "status" in changes and status == ItemStatus.COMPLETE and pct != 100:
        pct = changes["percent_complete"] = 100
    if "percent_complete" in changes:
        if pct == 100 and status != ItemStatus.COMPLETE:
            changes["status"] = ItemStatus.COMPLETE
        elif 0 < pct < 100 and status in (ItemStatus.NOT_STARTED, ItemStatus.COMPLETE):
            changes["status"] = ItemStatus.IN_PROGRESS
        elif pct == 0 and status == ItemStatus.COMPLETE:
            changes["status"] = ItemStatus.NOT_STARTED
    if pct > 0 and not changes.get("actual_start", item.actual_start):
        changes["actual_start"] = item.start or timezone.localdate()
    if pct == 100 and not changes.get("actual_finish", item.actual_finish):
        changes["actual_finish"] = item.finish or timezone.localdate()
    if (
        pct < 100
        and "percent_complete" in changes
        and item.actual_finish
        and "actual_finish" not in changes
    ):
        changes["actual_finish"] = None
    return changes


@transaction.atomic
def item_create(
    *,
    actor,
    program: Program,
    parent: Item | None = None,
    index: int | None = None,
    start: dt.date | None = None,
    finish: dt.date | None = None,
    **fields: Any,
) -> Item:
    """Add an item under `parent` (None: top level) at `index` among its siblings (None: last)."""
    fields = _only(fields, ITEM_FIELDS)
    schedule = lock_schedule(program)
    if parent is not None and parent.program_id != program.pk:
        raise ValidationError({"parent": "The parent belongs to another program."})
    _check_member(program, fields.get("owner"), "owner")
    _check_workstream(program, fields.get("workstream"))
    if fields.get("kind") == ItemKind.SUMMARY:
        fields["kind"] = ItemKind.TASK  # becomes a summary when something goes under it
    if fields.get("kind") == ItemKind.MILESTONE:
        fields["duration_minutes"] = 0
    item = Item(program=program, parent=parent, **fields)
    cal = program_calendar(program, schedule)
    _check_in_calendar(
        cal,
        **{
            k: fields.get(k)
            for k in ("actual_start", "actual_finish", "constraint_date", "deadline")
        },
    )
    if start or finish:
        fields = _translate_dates(item, {"start": start, "finish": finish, **fields}, cal)
    fields.update(_progress_rules(item, {k: fields[k] for k in PROGRESS_FIELDS if k in fields}))
    for name, value in fields.items():
        setattr(item, name, value)
    item.position = 10**6  # placed by renumber
    item.key = allocate_key(program_id=program.pk, prefix=Item.KEY_PREFIX)
    item.full_clean(exclude=["position"])
    item.save()
    renumber(program, place=(item.pk, parent.pk if parent else None, index))
    item.refresh_from_db()
    audit_create(actor=actor, instance=item)
    recompute(program, schedule=schedule, cal=cal)
    item.refresh_from_db()
    return item


@transaction.atomic
def item_update(*, actor, item: Item, expected_version: int | None, **changes: Any) -> Item:
    """Change an item's fields; `start`/`finish` are translated as MS Project does."""
    _only(changes, (*ITEM_FIELDS, *DATE_FIELDS))
    program = item.program
    schedule = lock_schedule(program)
    current = lock_current(Item, pk=item.pk, expected_version=expected_version)
    if "owner" in changes:
        _check_member(program, changes["owner"], "owner")
    if "workstream" in changes:
        _check_workstream(program, changes["workstream"])
    if "kind" in changes:
        has_children = Item.objects.filter(parent=current).exists()
        if has_children and changes["kind"] != ItemKind.SUMMARY:
            raise ValidationError({"kind": "An item with items below it is a summary."})
        if not has_children and changes["kind"] == ItemKind.SUMMARY:
            raise ValidationError({"kind": "An item becomes a summary when items go below it."})
        if changes["kind"] == ItemKind.MILESTONE:
            changes["duration_minutes"] = 0
    if (
        current.kind == ItemKind.SUMMARY
        and set(changes) & {"duration_minutes", "manual_start", "manual_finish", "percent_complete"}
        and not current.manual
    ):
        raise ValidationError("A summary's duration and progress come from the items below it.")
    cal = program_calendar(program, schedule)
    _check_in_calendar(
        cal,
        **{
            k: changes.get(k)
            for k in (
                "actual_start",
                "actual_finish",
                "constraint_date",
                "deadline",
                "manual_start",
                "manual_finish",
            )
        },
    )
    changes = _translate_dates(current, changes, cal)
    changes = _progress_rules(current, changes)
    before = {name: getattr(current, name) for name in SCHEDULING_FIELDS}
    updated = apply_changes(
        current, actor=actor, changes=changes, expected_version=None, locked=True
    )
    if any(getattr(updated, name) != value for name, value in before.items()):
        recompute(program, schedule=schedule, cal=cal)
        updated.refresh_from_db()
    return updated


@transaction.atomic
def item_move(
    *,
    actor,
    item: Item,
    expected_version: int | None,
    parent: Item | None,
    index: int | None = None,
) -> Item:
    """Move an item (with everything below it) under `parent` at `index` among its siblings."""
    program = item.program
    schedule = lock_schedule(program)
    current = lock_current(Item, pk=item.pk, expected_version=expected_version)
    if parent is not None:
        if parent.program_id != program.pk:
            raise ValidationError({"parent": "The parent belongs to another program."})
        if parent.pk == current.pk or parent.pk in _descendant_ids(program, current.pk):
            raise ValidationError({"parent": "An item cannot move under itself or its own items."})
        linked = Dependency.objects.filter(
            predecessor_id__in=[current.pk, parent.pk], successor_id__in=[current.pk, parent.pk]
        ).exists() or _links_between_lines(program, current.pk, parent)
        if linked:
            raise ValidationError(
                {
                    "parent": "An item cannot go under an item it is linked to (a summary cannot "
                    "depend on its own items)."
                }
            )
    renumber(program, place=(current.pk, parent.pk if parent else None, index))
    current.refresh_from_db()
    current.version += 1
    current.save(update_fields=["version", "updated_at"])
    audit_update(actor=actor, instance=current, before=snapshot(item))
    recompute(program, schedule=schedule)
    current.refresh_from_db()
    return current


def _links_between_lines(program: Program, moving_id: int, parent: Item) -> bool:
    """Would `moving` (and its items) end up below an item it, or they, are linked to?"""
    subtree = _descendant_ids(program, moving_id) | {moving_id}
    above = _ancestor_ids(parent) | {parent.pk}
    return (
        Dependency.objects.filter(predecessor_id__in=subtree, successor_id__in=above).exists()
        or Dependency.objects.filter(predecessor_id__in=above, successor_id__in=subtree).exists()
    )


@transaction.atomic
def item_indent(*, actor, item: Item, expected_version: int | None) -> Item:
    """Make the item the last child of the sibling just above it."""
    above = (
        Item.objects.filter(
            program=item.program, parent_id=item.parent_id, position__lt=item.position
        )
        .order_by("-position")
        .first()
    )
    if above is None:
        raise ValidationError("There is no item above this one at the same level to indent under.")
    return item_move(actor=actor, item=item, expected_version=expected_version, parent=above)


@transaction.atomic
def item_outdent(*, actor, item: Item, expected_version: int | None) -> Item:
    """Move the item up one level, just after its current parent."""
    if item.parent_id is None:
        raise ValidationError("This item is already at the top level.")
    parent = Item.objects.get(pk=item.parent_id)
    grand = Item.objects.get(pk=parent.parent_id) if parent.parent_id else None
    return item_move(
        actor=actor,
        item=item,
        expected_version=expected_version,
        parent=grand,
        index=parent.position + 1,
    )


@transaction.atomic
def item_reorder(*, actor, item: Item, expected_version: int | None, delta: int) -> Item:
    """Move the item up (delta < 0) or down among its siblings."""
    parent = Item.objects.get(pk=item.parent_id) if item.parent_id else None
    siblings = Item.objects.filter(program=item.program, parent_id=item.parent_id).count()
    index = max(0, min(siblings - 1, item.position + delta))
    return item_move(
        actor=actor, item=item, expected_version=expected_version, parent=parent, index=index
    )


@transaction.atomic
def item_delete(*, actor, item: Item, expected_version: int | None) -> int:
    """Delete the item, everything below it and their links. Returns how many items went."""
    program = item.program
    schedule = lock_schedule(program)
    current = lock_current(Item, pk=item.pk, expected_version=expected_version)
    doomed = _descendant_ids(program, current.pk) | {current.pk}
    links = list(
        Dependency.objects.filter(program=program)
        .filter(Q(predecessor_id__in=doomed) | Q(successor_id__in=doomed))
        .select_related("predecessor", "successor")
    )
    for link in links:
        audit_delete(actor=actor, instance=link)
    items = list(Item.objects.filter(pk__in=doomed).order_by("-depth"))
    with bulk_writes_allowed():
        Dependency.objects.filter(pk__in=[link.pk for link in links]).delete()
        BaselineItem.objects.filter(item_id__in=doomed).delete()
        ForecastSnapshot.objects.filter(item_id__in=doomed).delete()
    for obj in items:
        audit_delete(actor=actor, instance=obj)
        obj.delete()
    renumber(program)
    recompute(program, schedule=schedule)
    return len(items)


@transaction.atomic
def items_bulk_update(*, actor, program: Program, items: list[Item], **changes: Any) -> int:
    """Set owner, status and/or workstream on many items at once. Returns how many changed."""
    _only(changes, BULK_FIELDS)
    if not changes:
        raise ValidationError("Choose at least one field to change.")
    if "owner" in changes:
        _check_member(program, changes["owner"], "owner")
    if "workstream" in changes:
        _check_workstream(program, changes["workstream"])
    schedule = lock_schedule(program)
    count = 0
    for item in items:
        if item.program_id != program.pk:
            raise ValidationError("Every item must belong to this program.")
        before = item.version
        item_changes = dict(changes)
        if "status" in item_changes:
            if item.kind == ItemKind.SUMMARY:
                item_changes.pop("status")
            else:
                item_changes = _progress_rules(item, item_changes)
        updated = apply_changes(item, actor=actor, changes=item_changes, expected_version=None)
        count += updated.version != before
    if "status" in changes:
        recompute(program, schedule=schedule)
    return count


# ---------------------------------------------------------------------------------------------
# Sign-off of milestones and deliverables
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def item_signoff(*, actor, item: Item, expected_version: int | None, evidence: str) -> Item:
    if not item.accepts_signoff:
        raise ValidationError("Only milestones and deliverables are signed off.")
    if not evidence.strip():
        raise ValidationError({"acceptance_evidence": "Say what the acceptance rests on."})
    return apply_changes(
        item,
        actor=actor,
        changes={
            "accepted_by": actor,
            "accepted_at": timezone.now(),
            "acceptance_evidence": evidence.strip(),
        },
        expected_version=expected_version,
    )


@transaction.atomic
def item_signoff_revoke(*, actor, item: Item, expected_version: int | None) -> Item:
    if item.accepted_at is None:
        raise ValidationError("This item has not been signed off.")
    return apply_changes(
        item,
        actor=actor,
        changes={"accepted_by": None, "accepted_at": None},
        expected_version=expected_version,
    )


# ---------------------------------------------------------------------------------------------
# Dependencies
# ---------------------------------------------------------------------------------------------


def _check_link(program: Program, predecessor: Item, successor: Item, links: list[tuple]) -> None:
    """Refuse links across programs, between an item and its own line, and loops."""
    if predecessor.program_id != program.pk or successor.program_id != program.pk:
        raise ValidationError("Both items must belong to this program.")
    if predecessor.pk == successor.pk:
        raise ValidationError("An item cannot depend on itself.")
    if predecessor.pk in _ancestor_ids(successor) or successor.pk in _ancestor_ids(predecessor):
        raise ValidationError(
            f"{predecessor.key} and {successor.key} are in the same line of the outline: "
            "a summary cannot be linked to its own items."
        )
    rows = list(
        Item.objects.filter(program=program).order_by("outline_path").values_list(*_LOAD_FIELDS)
    )
    cal = program_calendar(program)
    tasks, cpm_links = build_network(rows, links, cal)
    try:
        cpm.Network(tasks, cpm_links)
    except cpm.ScheduleError as exc:
        raise engine_error(exc, program) from exc


def _link_rows(program: Program, *, exclude_pk: int | None = None) -> list[tuple]:
    qs = Dependency.objects.filter(program=program)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(
        qs.values_list("predecessor_id", "successor_id", "type", "lag_minutes", "lag_percent")
    )


@transaction.atomic
def dependency_create(
    *,
    actor,
    program: Program,
    predecessor: Item,
    successor: Item,
    type: str = "FS",
    lag_minutes: int = 0,
    lag_percent: Decimal | None = None,
) -> Dependency:
    schedule = lock_schedule(program)
    if Dependency.objects.filter(predecessor=predecessor, successor=successor).exists():
        raise ValidationError(f"{predecessor.key} is already linked to {successor.key}.")
    if Dependency.objects.filter(predecessor=successor, successor=predecessor).exists():
        raise ValidationError(
            f"{successor.key} already depends the other way round on {predecessor.key}: "
            "these links would close a loop: "
            f"{predecessor.key} → {successor.key} → {predecessor.key}."
        )
    links = [*_link_rows(program), (predecessor.pk, successor.pk, type, lag_minutes, lag_percent)]
    _check_link(program, predecessor, successor, links)
    link = Dependency(
        program=program,
        predecessor=predecessor,
        successor=successor,
        type=type,
        lag_minutes=lag_minutes,
        lag_percent=lag_percent,
    )
    link.full_clean()
    link.save()
    audit_create(actor=actor, instance=link)
    recompute(program, schedule=schedule)
    return link


@transaction.atomic
def dependency_update(
    *, actor, dependency: Dependency, expected_version: int | None, **changes: Any
) -> Dependency:
    _only(changes, DEPENDENCY_FIELDS)
    program = dependency.program
    schedule = lock_schedule(program)
    updated = apply_changes(
        dependency, actor=actor, changes=changes, expected_version=expected_version
    )
    recompute(program, schedule=schedule)
    return updated


@transaction.atomic
def dependency_delete(*, actor, dependency: Dependency, expected_version: int | None) -> None:
    program = dependency.program
    schedule = lock_schedule(program)
    current = lock_current(Dependency, pk=dependency.pk, expected_version=expected_version)
    audit_delete(actor=actor, instance=current)
    current.delete()
    recompute(program, schedule=schedule)


# ---------------------------------------------------------------------------------------------
# Calendar and settings
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def schedule_update(
    *, actor, program: Program, expected_version: int | None, **changes: Any
) -> Schedule:
    _only(changes, SCHEDULE_FIELDS)
    schedule = lock_schedule(program)
    updated = apply_changes(
        schedule, actor=actor, changes=changes, expected_version=expected_version
    )
    try:
        recompute(program, schedule=updated)
    except ValidationError as exc:  # a plan date outside the calendar the new settings span
        dates = [name for name in ("project_start", "status_date") if name in changes]
        if len(dates) == 1:
            raise ValidationError({dates[0]: exc.messages}) from exc
        raise
    return updated


@transaction.atomic
def schedule_rotate_feed_token(*, actor, program: Program) -> Schedule:
    """A new secret for the iCalendar feed: the old address stops working at once."""
    from .models import new_feed_token

    schedule = lock_schedule(program)
    schedule.feed_token = new_feed_token()
    schedule.save(update_fields=["feed_token", "updated_at"])
    return schedule


@transaction.atomic
def holiday_create(
    *, actor, program: Program, recompute_after: bool = True, **fields: Any
) -> Holiday:
    fields = _only(fields, (*HOLIDAY_FIELDS, "uid"))
    schedule = lock_schedule(program)
    holiday = Holiday(program=program, **fields)
    holiday.full_clean()
    holiday.save()
    audit_create(actor=actor, instance=holiday)
    if recompute_after:
        recompute(program, schedule=schedule)
    return holiday


@transaction.atomic
def holiday_update(
    *,
    actor,
    holiday: Holiday,
    expected_version: int | None,
    recompute_after: bool = True,
    **changes: Any,
) -> Holiday:
    _only(changes, HOLIDAY_FIELDS)
    schedule = lock_schedule(holiday.program)
    updated = apply_changes(
        holiday, actor=actor, changes=changes, expected_version=expected_version
    )
    if recompute_after:
        recompute(holiday.program, schedule=schedule)
    return updated


@transaction.atomic
def holiday_delete(*, actor, holiday: Holiday, expected_version: int | None) -> None:
    program = holiday.program
    schedule = lock_schedule(program)
    current = lock_current(Holiday, pk=holiday.pk, expected_version=expected_version)
    audit_delete(actor=actor, instance=current)
    current.delete()
    recompute(program, schedule=schedule)


# ---------------------------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def baseline_create(
    *, actor, program: Program, name: str, note: str = "", make_current: bool = True
) -> Baseline:
    """Save every item's current dates, duration and cost under `name`."""
    lock_schedule(program)
    used = set(Baseline.objects.filter(program=program).values_list("number", flat=True))
    number = next((n for n in range(11) if n not in used), 11 + len(used))
    baseline = Baseline(
        program=program, name=name.strip(), note=note, number=number, created_by=actor
    )
    baseline.full_clean()
    if make_current:
        with bulk_writes_allowed():
            Baseline.objects.filter(program=program, is_current=True).update(is_current=False)
        baseline.is_current = True
    baseline.save()
    rows = Item.objects.filter(program=program).values_list(
        "id", "start", "finish", "duration_minutes", "cost"
    )
    with bulk_writes_allowed():
        BaselineItem.objects.bulk_create(
            [
                BaselineItem(
                    baseline=baseline,
                    program=program,
                    item_id=pk,
                    start=s,
                    finish=f,
                    duration_minutes=d,
                    cost=c,
                )
                for pk, s, f, d, c in rows
            ],
            batch_size=2000,
        )
    audit_create(actor=actor, instance=baseline)
    return baseline


@transaction.atomic
def baseline_set_current(
    *, actor, baseline: Baseline, expected_version: int | None = None
) -> Baseline:
    program = baseline.program
    lock_schedule(program)
    for other in Baseline.objects.filter(program=program, is_current=True).exclude(pk=baseline.pk):
        apply_changes(other, actor=actor, changes={"is_current": False}, expected_version=None)
    return apply_changes(
        baseline, actor=actor, changes={"is_current": True}, expected_version=expected_version
    )


@transaction.atomic
def baseline_update(
    *, actor, baseline: Baseline, expected_version: int | None, **changes: Any
) -> Baseline:
    _only(changes, ("name", "note"))
    return apply_changes(baseline, actor=actor, changes=changes, expected_version=expected_version)


@transaction.atomic
def baseline_delete(*, actor, baseline: Baseline, expected_version: int | None) -> None:
    current = lock_current(Baseline, pk=baseline.pk, expected_version=expected_version)
    audit_delete(actor=actor, instance=current)
    with bulk_writes_allowed():
        BaselineItem.objects.filter(baseline=current).delete()
    current.delete()
