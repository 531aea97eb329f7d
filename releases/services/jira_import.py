"""Jira CSV import: a Jira "Export issues > CSV (all fields)" file becomes backlog items of one
workstream, all or none.

Jira writes one header row (UTF-8, often with a BOM, comma-separated, quoted multi-line
descriptions) and repeats a column for each value of a multi-valued field: "Sprint" once per
sprint the issue was in (the last is the current one), "Labels" once per label. Columns read:

  Summary*, Issue key*, Issue Type*, Status*, Priority, Assignee, Sprint (repeated),
  Story Points (or "Custom field (Story Points)" / "Custom field (Story point estimate)"),
  Labels (repeated), Description.

Issue id, Reporter, Created, Updated, Epic Link, Parent, Fix Version/s and Component/s are
recognised but not kept (shown as such in the preview); any other column is ignored.

An issue whose key (PBI's `external_key`) is already in the backlog is updated, keeping its
workstream and rank; a new one is created at the bottom of the chosen workstream's ranking. A
sprint is matched to an iteration by name; an unknown one is refused unless the caller asks to
create missing iterations (then created as two-week planned iterations after the workstream's
last one). Every row is checked first (`jira_import_check`); any problem refuses the whole file,
each listed with its line. `jira_import_run` then writes every row in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from core.uploads import UploadPolicy
from programs.models import Program, Workstream
from programs.selectors import member_users

from ..models import BacklogItem, BacklogKind, BacklogStatus, Iteration, MoSCoW
from . import backlog as services

MAX_ROWS = 5000
MAX_PROBLEMS = 500
SPRINT_DAYS = 14
UPLOAD = UploadPolicy(
    extensions=(".csv",),
    max_bytes_setting="RELEASES_JIRA_IMPORT_MAX_BYTES",
    default_max_bytes=10 * 1024 * 1024,
    accepted_text="a CSV file exported from Jira (Export issues > CSV (all fields))",
    files_noun="Jira exports",
    accepted_as="as a Jira export",
)

REQUIRED = ("Summary", "Issue key", "Issue Type", "Status")
STORY_POINTS = ("story points", "custom field (story points)",
                "custom field (story point estimate)", "story point estimate")  # fmt: skip
SINGLE = {"summary": "Summary", "issue key": "Issue key", "issue type": "Issue Type",
          "status": "Status", "priority": "Priority", "assignee": "Assignee",
          "description": "Description"}  # fmt: skip
REPEATED = {"sprint": "Sprint", "labels": "Labels"}
NOT_KEPT = ("issue id", "reporter", "creator", "created", "updated", "resolved", "epic link",
            "parent", "parent id", "parent summary", "fix version/s", "component/s",
            "affects version/s", "due date", "resolution")  # fmt: skip

KINDS = {"story": BacklogKind.STORY, "bug": BacklogKind.BUG, "task": BacklogKind.TASK,
         "epic": BacklogKind.EPIC, "spike": BacklogKind.SPIKE, "sub-task": BacklogKind.TASK,
         "subtask": BacklogKind.TASK}  # fmt: skip
STATUSES = {
    "to do": BacklogStatus.NEW, "open": BacklogStatus.NEW, "backlog": BacklogStatus.NEW,
    "selected for development": BacklogStatus.READY, "ready": BacklogStatus.READY,
    "in progress": BacklogStatus.IN_PROGRESS,
    "in review": BacklogStatus.IN_REVIEW, "code review": BacklogStatus.IN_REVIEW,
    "done": BacklogStatus.DONE, "closed": BacklogStatus.DONE, "resolved": BacklogStatus.DONE,
}  # fmt: skip
PRIORITIES = {"highest": MoSCoW.MUST, "high": MoSCoW.MUST, "medium": MoSCoW.SHOULD,
              "low": MoSCoW.COULD, "lowest": MoSCoW.WONT}  # fmt: skip
KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,30}-\d{1,9}$")
UNASSIGNED = {"", "unassigned"}
UPDATED_FIELDS = ("title", "description", "kind", "status", "priority", "estimate", "iteration",
                  "assignee", "labels")  # fmt: skip


@dataclass(frozen=True)
class Problem:
    where: str  # "Line 7", or "" for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        return ": ".join(p for p in (self.where, self.column, self.message) if p)

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "column": self.column, "message": self.message}


class JiraImportError(ValidationError):
    """The file was refused; `problems` lists every one. Nothing was imported."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__([str(p) for p in problems])


@dataclass
class JiraRow:
    where: str
    issue_key: str
    action: str  # "create", "update" or "unchanged"
    fields: dict[str, Any]
    sprint: str = ""  # the iteration's name ("" when not planned)
    item: BacklogItem | None = None  # the existing item, for updates
    changes: list[str] = field(default_factory=list)  # the fields an update changes


@dataclass
class JiraPlan:
    workstream: Workstream
    rows: list[JiraRow]
    new_iterations: list[dict[str, Any]]  # name, start_date, end_date
    ignored_columns: list[str]
    not_kept: list[str]
    created: list[BacklogItem] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    def as_dict(self) -> dict[str, Any]:
        return {
            "workstream": self.workstream.name,
            "rows": len(self.rows),
            "create": self.count("create"),
            "update": self.count("update"),
            "unchanged": self.count("unchanged"),
            "new_iterations": [
                {"name": i["name"], "start_date": i["start_date"].isoformat(),
                 "end_date": i["end_date"].isoformat()}
                for i in self.new_iterations
            ],
            "ignored_columns": self.ignored_columns,
            "not_kept_columns": self.not_kept,
            "items": [
                {"line": r.where, "issue_key": r.issue_key, "action": r.action,
                 "key": r.item.key if r.item else None, "title": r.fields["title"],
                 "changes": r.changes}
                for r in self.rows
            ],
        }  # fmt: skip


class _Bad(ValueError):
    pass


# --- reading the file -------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        message = "The file is not UTF-8 text. Export it from Jira again (Jira writes UTF-8)."
        raise JiraImportError([Problem("", "", message)]) from None


def _records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (start line, cells) of each non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=",")
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip() for cell in record]
                continue
            if len(rows) >= MAX_ROWS:
                raise JiraImportError(
                    [Problem("", "", f"The file has more than {MAX_ROWS:,} issues; split it.")]
                )
            rows.append((start, record))
    except csv.Error as exc:
        raise JiraImportError(
            [Problem(f"Line {line}", "", f"the CSV cannot be read ({exc}).")]
        ) from None
    return header or [], rows


@dataclass
class _Columns:
    single: dict[str, int]
    repeated: dict[str, list[int]]
    points: list[int]
    ignored: list[str]
    not_kept: list[str]


def _columns(header: list[str]) -> _Columns:
    columns = _Columns({}, {name: [] for name in REPEATED}, [], [], [])
    for position, name in enumerate(header):
        normal = " ".join(name.lower().split())
        if normal in SINGLE and normal not in columns.single:
            columns.single[normal] = position
        elif normal in REPEATED:
            columns.repeated[normal].append(position)
        elif normal in STORY_POINTS:
            columns.points.append(position)
        elif normal in NOT_KEPT:
            if name not in columns.not_kept:
                columns.not_kept.append(name)
        elif name and name not in columns.ignored:
            columns.ignored.append(name)
    missing = [name for name in REQUIRED if name.lower() not in columns.single]
    if missing:
        problems = [Problem("", name, f"The header has no “{name}” column.") for name in missing]
        if len(header) == 1 and ";" in header[0]:
            problems.append(Problem("", "", "The file is separated by semicolons; Jira's export "
                                            "is comma-separated: export it again."))  # fmt: skip
        raise JiraImportError(problems)
    return columns


# --- the program's lookups ----------------------------------------------------------------------


class _Lookups:
    def __init__(self, program: Program, workstream: Workstream, keys: set[str]) -> None:
        self.program = program
        self.workstream = workstream
        self.people: dict[str, list[Any]] = {}
        for user in member_users(program=program):
            for name in {user.email.lower(), " ".join((user.full_name or "").lower().split())}:
                if name:
                    self.people.setdefault(name, []).append(user)
        self.iterations = {
            i.name.lower(): i
            for i in Iteration.objects.filter(program=program).select_related("workstream")
        }
        self.existing = {
            item.external_key.upper(): item
            for item in BacklogItem.objects.filter(program=program, external_key__in=keys)
            .select_related("workstream", "iteration", "assignee")
        }  # fmt: skip
        self.new_iterations: dict[str, dict[str, Any]] = {}

    def assignee(self, text: str):
        if text.lower() in UNASSIGNED:
            return None
        found = self.people.get(" ".join(text.lower().split()), [])
        if not found:
            raise _Bad(f"“{text}” is not a member of {self.program.code} (matched by name or "
                       "e-mail); add them to the program or clear the assignee.")  # fmt: skip
        if len(found) > 1:
            raise _Bad(f"{len(found)} members are called “{text}”; use their e-mail address.")
        return found[0]

    def iteration(self, name: str, workstream: Workstream, status: str, create_missing: bool):
        found = self.iterations.get(name.lower())
        if found is None:
            if not create_missing:
                raise _Bad(f"“{name}” is not an iteration of {self.program.code}; tick “create "
                           "missing iterations”, or create it first.")  # fmt: skip
            if workstream.pk != self.workstream.pk:
                raise _Bad(f"“{name}” is not an iteration of {self.program.code}, and this issue "
                           f"is in {workstream.name}: create the iteration first.")  # fmt: skip
            self.new_iterations.setdefault(name.lower(), {"name": name})
            return None
        refusal = services.iteration_refusal(found, workstream, status)
        if refusal:
            raise _Bad(refusal)
        return found

    def schedule_new_iterations(self) -> list[dict[str, Any]]:
        """Dates for the sprints to create: two-week boxes after the workstream's last one."""
        if not self.new_iterations:
            return []
        last = Iteration.objects.filter(program=self.program, workstream=self.workstream).aggregate(
            end=Max("end_date")
        )["end"]
        start = (last + dt.timedelta(days=1)) if last else dt.date.today()
        planned = []
        for entry in sorted(self.new_iterations.values(), key=lambda e: _natural(e["name"])):
            end = start + dt.timedelta(days=SPRINT_DAYS - 1)
            planned.append({**entry, "start_date": start, "end_date": end})
            start = end + dt.timedelta(days=1)
        return planned


def _natural(name: str) -> list:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


# --- checking -----------------------------------------------------------------------------------


def _points(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise _Bad(f"“{text}” is not a number of story points (e.g. 5 or 2.5).") from None
    if not value.is_finite() or value < 0:
        raise _Bad(f"“{text}” is not a number of story points (e.g. 5 or 2.5).")
    if value > 9999:
        raise _Bad(f"{text} story points is more than 9999.")
    if value != value.quantize(Decimal("0.1")):
        raise _Bad(f"{text} has more than one decimal.")
    return value.quantize(Decimal("0.1"))


# the values as Jira spells them, for the error messages
NAMES = {
    "issue type": "Story, Bug, Task, Epic, Spike, Sub-task",
    "status": "To Do, Open, Backlog, Selected for Development, Ready, In Progress, In Review, "
    "Code Review, Done, Closed, Resolved",
    "priority": "Highest, High, Medium, Low, Lowest",
}


def _choice(text: str, table: dict, what: str) -> str:
    value = table.get(" ".join(text.lower().split()))
    if value is None:
        article = "an" if what[0] in "aeiou" else "a"
        raise _Bad(f"“{text}” is not {article} {what} this import knows; allowed: {NAMES[what]}.")
    return value


def jira_import_check(
    *, program: Program, workstream: Workstream, data: bytes, create_missing: bool = False
) -> JiraPlan:
    """Every row of the export checked, nothing written: the plan, or a JiraImportError listing
    every problem (missing columns, or each bad row with its line)."""
    if workstream.program_id != program.pk:
        raise JiraImportError([Problem("", "", "That workstream belongs to another program.")])
    if not data:
        raise JiraImportError([Problem("", "", "The file is empty.")])
    header, records = _records(_decode(data))
    if not header:
        raise JiraImportError([Problem("", "", "The file is empty.")])
    columns = _columns(header)
    if not records:
        raise JiraImportError([Problem("", "", "The file has a header but no issues.")])

    def cell(cells: list[str], position: int | None) -> str:
        return cells[position].strip() if position is not None and position < len(cells) else ""

    def single(cells: list[str], name: str) -> str:
        return cell(cells, columns.single.get(name))

    keys = {single(cells, "issue key").upper() for _line, cells in records}
    lookups = _Lookups(program, workstream, keys)
    problems: list[Problem] = []
    rows: list[JiraRow] = []
    seen: dict[str, str] = {}
    for line, cells in records:
        where = f"Line {line}"
        found: dict[str, Any] = {}
        bad: list[Problem] = []

        def run(name: str, column: str, step, found=found, bad=bad, where=where) -> None:
            try:
                found[name] = step()
            except _Bad as exc:
                bad.append(Problem(where, column, str(exc)))

        def required(text: str) -> str:
            if not text:
                raise _Bad("missing.")
            return text

        key = single(cells, "issue key").upper()
        run("issue_key", "Issue key", lambda k=key, w=where: _issue_key(k, seen, w))
        run("title", "Summary", lambda c=cells: _summary(required(single(c, "summary"))))
        run(
            "kind",
            "Issue Type",
            lambda c=cells: _choice(required(single(c, "issue type")), KINDS, "issue type"),
        )
        run(
            "status",
            "Status",
            lambda c=cells: _choice(required(single(c, "status")), STATUSES, "status"),
        )
        priority = single(cells, "priority")
        if priority:
            run("priority", "Priority", lambda p=priority: _choice(p, PRIORITIES, "priority"))
        run("assignee", "Assignee", lambda c=cells: lookups.assignee(single(c, "assignee")))
        points = next((v for v in (cell(cells, p) for p in columns.points) if v), "")
        run("estimate", "Story Points", lambda v=points: _points(v))
        labels = []
        for position in columns.repeated["labels"]:
            label = cell(cells, position)
            if label and label not in labels:
                labels.append(label)
        found["labels"] = ", ".join(labels)
        if len(found["labels"]) > 300:
            bad.append(Problem(where, "Labels", "longer than 300 characters together."))
        found["description"] = single(cells, "description")
        existing = lookups.existing.get(key)
        target = existing.workstream if existing else workstream
        sprints = [cell(cells, p) for p in columns.repeated["sprint"]]
        sprint = next((s for s in reversed(sprints) if s), "")
        if sprint and "status" in found:
            run("iteration", "Sprint", lambda s=sprint, t=target, st=found["status"]:
                lookups.iteration(s, t, st, create_missing))  # fmt: skip
        else:
            found["iteration"] = None
        if bad:
            problems += bad
            if len(problems) >= MAX_PROBLEMS:
                problems.append(Problem("", "", f"Stopped after {MAX_PROBLEMS} problems."))
                break
            continue
        fields = {name: found[name] for name in UPDATED_FIELDS if name in found}
        fields.setdefault("priority", existing.priority if existing else MoSCoW.SHOULD)
        rows.append(_row(where, key, fields, sprint, existing))
    if problems:
        raise JiraImportError(problems)
    return JiraPlan(
        workstream=workstream,
        rows=rows,
        new_iterations=lookups.schedule_new_iterations(),
        ignored_columns=columns.ignored,
        not_kept=columns.not_kept,
    )


def _issue_key(key: str, seen: dict[str, str], where: str) -> str:
    if not key:
        raise _Bad("missing.")
    if not KEY_RE.match(key):
        raise _Bad(f"“{key}” is not a Jira issue key (e.g. ERP-123).")
    if key in seen:
        raise _Bad(f"{key} is also on {seen[key].lower()}; each issue once.")
    seen[key] = where
    return key


def _summary(text: str) -> str:
    if len(text) > 300:
        raise _Bad(f"longer than 300 characters ({len(text)}).")
    return text


def _row(where: str, key: str, fields: dict, sprint: str, existing) -> JiraRow:
    if existing is None:
        return JiraRow(where, key, "create", fields, sprint)
    changes = []
    for name, value in fields.items():
        if name == "iteration" and value is None and sprint:
            changes.append(name)  # a sprint to be created
        elif getattr(existing, name) != value:
            changes.append(name)
    return JiraRow(where, key, "update" if changes else "unchanged", fields, sprint, existing,
                   changes)  # fmt: skip


# --- importing ----------------------------------------------------------------------------------


@transaction.atomic
def jira_import_run(
    *,
    actor,
    program: Program,
    workstream: Workstream,
    data: bytes,
    create_missing: bool = False,
    dry_run: bool = False,
) -> JiraPlan:
    """Check the export and, unless `dry_run`, write every row (or, on any problem, none)."""
    # One import at a time per program: two uploads of one file must not both create an item.
    Program.objects.select_for_update().filter(pk=program.pk).values_list("pk").first()
    plan = jira_import_check(
        program=program, workstream=workstream, data=data, create_missing=create_missing
    )
    if dry_run:
        return plan
    made = {}
    for entry in plan.new_iterations:
        iteration = services.iteration_create(
            actor=actor, program=program, workstream=workstream, name=entry["name"],
            start_date=entry["start_date"], end_date=entry["end_date"],
            goal="Created by the Jira import; check its dates and capacity.",
        )  # fmt: skip
        made[entry["name"].lower()] = iteration
    for row in plan.rows:
        try:
            _write(actor=actor, program=program, workstream=workstream, row=row, made=made,
                   plan=plan)  # fmt: skip
        except ValidationError as exc:  # changed since the check: refuse it all, name the row
            messages = [m for ms in getattr(exc, "message_dict", {"": exc.messages}).values()
                        for m in ms]  # fmt: skip
            raise JiraImportError([Problem(row.where, row.issue_key, m) for m in messages]) from exc
    return plan


def _write(*, actor, program, workstream, row: JiraRow, made: dict, plan: JiraPlan) -> None:
    fields = dict(row.fields)
    if row.sprint and fields.get("iteration") is None:
        fields["iteration"] = made.get(row.sprint.lower())
    if row.action == "create":
        item = services.backlog_item_create(
            actor=actor, program=program, workstream=workstream, external_key=row.issue_key,
            **fields,
        )  # fmt: skip
        plan.created.append(item)
    elif row.action == "update":
        services.backlog_item_update(
            actor=actor, item=row.item, expected_version=None,
            **{name: fields[name] for name in row.changes},
        )  # fmt: skip
