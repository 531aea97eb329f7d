"""Checking every row of a file, without writing: the plan of what to create, or every problem."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from programs.models import Program, ProgramMembership, Workstream

from ..choices import IMPACT_LABELS, PROBABILITY_LABELS, Priority, Severity
from ..models import RAID_MODELS
from . import common
from .columns import (
    CHOICE_COLUMNS,
    COLUMN_BY_FIELD,
    COMPUTED,
    PARTY_TYPES,
    SPLIT_KEYS,
    STATUS_CHOICES,
    STATUS_EXTRA,
    TYPE_FIELD_ALIASES,
    TYPE_WORDS,
    BadValue,
    _strip_hint,
    _word,
    cell_text,
    match_header,
    normalise_header,
    parse_amount,
    parse_choice,
    parse_date,
    parse_int_choice,
    parse_rating,
)
from .common import (
    ACTION,
    ALL_TYPES,
    DEPENDENCY,
    ISSUE,
    PREFIX_TYPE,
    RISK,
    TYPE_LABEL,
    Problem,
    RaidImportError,
)
from .reading import Table


@dataclass
class PlannedRow:
    where: str
    raid_type: str
    file_key: str
    fields: dict[str, Any]
    wbs_keys: list[str] = field(default_factory=list)
    link: str = ""  # raised_from_risk (issues) or linked_to (actions): a key
    created_key: str = ""

    @property
    def type_label(self) -> str:
        return TYPE_LABEL[self.raid_type]

    @property
    def title(self) -> str:
        return self.fields.get("title", "")

    @property
    def owner(self):
        return self.fields.get("owner")

    @property
    def workstream(self):
        return self.fields.get("workstream")

    @property
    def status_label(self) -> str:
        status = self.fields.get("status")
        if not status:
            return ""
        return str(dict(STATUS_CHOICES[self.raid_type].choices).get(status, status))


@dataclass
class Plan:
    rows: list[PlannedRow]
    notes: list[str]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return len(self.rows)


class _Lookups:
    """Members, workstreams, programs and existing keys, read once per import."""

    def __init__(self, program: Program, actor) -> None:
        self.program = program
        self.by_email: dict[str, Any] = {}
        by_name: dict[str, list] = defaultdict(list)
        members = ProgramMembership.objects.filter(program=program).select_related("user")
        for membership in members.order_by():
            user = membership.user
            self.by_email[user.email.lower()] = user
            if user.full_name:
                by_name[_word(user.full_name)].append(user)
        self.by_name = dict(by_name)
        self.workstreams: dict[str, Workstream] = {}
        for ws in Workstream.objects.filter(program=program).order_by():
            self.workstreams.setdefault(ws.key.lower(), ws)
            self.workstreams.setdefault(_word(ws.name), ws)
        # Dependencies may name other programs: those the importing user belongs to (the
        # system, importing from the command line, may name any).
        others = Program.objects.exclude(pk=program.pk)
        if actor is not None:
            others = others.filter(memberships__user=actor)
        self.programs: dict[str, Program] = {p.code.lower(): p for p in others.order_by()}
        self.existing: dict[str, Any] = {}  # key -> (raid_type, pk, title)
        for raid_type, model in RAID_MODELS.items():
            for pk, key, title in (
                model._default_manager.filter(program=program)
                .order_by()
                .values_list("pk", "key", "title")
            ):
                self.existing[key.upper()] = (raid_type, pk, title)
        self.wbs: dict[str, int] | None = None

    def member(self, value: Any):
        text = cell_text(value)
        if "@" in text:
            user = self.by_email.get(text.lower())
            if user is None:
                raise BadValue(f"no member of {self.program.code} has the e-mail {text}.")
            return user
        users = self.by_name.get(_word(text), [])
        if len(users) == 1:
            return users[0]
        if len(users) > 1:
            raise BadValue(f"{len(users)} members are called {text}: give the e-mail address.")
        raise BadValue(f"no member of {self.program.code} is called {text} (give an e-mail).")

    def workstream(self, value: Any) -> Workstream:
        text = cell_text(value)
        ws = self.workstreams.get(text.lower()) or self.workstreams.get(_word(text))
        if ws is None:
            raise BadValue(f"{self.program.code} has no workstream “{text}”.")
        return ws

    def wbs_item_ids(self, keys: list[str]) -> list[int]:
        if self.wbs is None:
            from schedules.models import Item

            self.wbs = dict(
                Item.objects.filter(program=self.program).order_by().values_list("key", "pk")
            )
        missing = [k for k in keys if k.upper() not in self.wbs]
        if missing:
            raise BadValue(f"{self.program.code} has no schedule item {', '.join(missing)}.")
        return [self.wbs[k.upper()] for k in keys]


def _row_type(table: Table, cells: dict[str, Any], sheet_type: str | None) -> str:
    text = cell_text(cells.get("type"))
    if text:
        raid_type = TYPE_WORDS.get(_word(text))
        if raid_type is None:
            raise BadValue(
                f"“{text}” is not a RAID type: Risk, Issue, Assumption, Dependency or Action."
            )
        return raid_type
    if sheet_type:
        return sheet_type
    prefix = cell_text(cells.get("key")).split("-", 1)[0].upper()
    if prefix in PREFIX_TYPE:
        return PREFIX_TYPE[prefix]
    raise BadValue("missing: say Risk, Issue, Assumption, Dependency or Action.")


def _party(lookups: _Lookups, text: str, kind: str | None) -> dict[str, Any]:
    if kind == "program" or (kind is None and text.lower() in lookups.programs):
        program = lookups.programs.get(text.lower())
        if program is None:
            if text.lower() == lookups.program.code.lower():
                raise BadValue("for this program itself, name one of its workstreams.")
            raise BadValue(f"“{text}” is not a program you are a member of (give its code).")
        return {"program": program}
    if kind == "workstream" or kind is None:
        ws = lookups.workstreams.get(text.lower()) or lookups.workstreams.get(_word(text))
        if ws is not None:
            return {"workstream": ws}
        if kind == "workstream":
            raise BadValue(f"{lookups.program.code} has no workstream “{text}”.")
    if len(text) > 200:
        raise BadValue("an external party's name has at most 200 characters.")
    return {"external": text}


def _check_row(
    table: Table,
    line: int,
    cells: dict[str, Any],
    raid_type: str,
    lookups: _Lookups,
    problems: list[Problem],
) -> PlannedRow | None:
    where = table.where(line)
    row = PlannedRow(where=where, raid_type=raid_type, file_key="", fields={})
    before = len(problems)

    def bad(column_field: str, message: str) -> None:
        problems.append(Problem(where, COLUMN_BY_FIELD[column_field].label, message))

    aliases = TYPE_FIELD_ALIASES.get(raid_type, {})
    values: dict[str, Any] = {}
    for name, value in cells.items():
        if name == "type" or cell_text(value) == "":
            continue
        target = aliases.get(name, name)
        column = COLUMN_BY_FIELD[target]
        if raid_type not in column.types:
            bad(name, f"does not apply to {TYPE_LABEL[raid_type].lower()}s (leave it empty).")
            continue
        if target in values and target != name:
            bad(name, f"given twice (also as {COLUMN_BY_FIELD[target].label}).")
            continue
        values[target] = value

    row.file_key = cell_text(values.pop("key", ""))[:40]
    title = cell_text(values.pop("title", ""))
    if not title:
        bad("title", "required.")
    elif len(title) > 300:
        bad("title", f"has {len(title)} characters; at most 300.")
    row.fields["title"] = title

    impact_all = values.pop("impact", None)
    for name, value in values.items():
        column = COLUMN_BY_FIELD[name]
        try:
            if column.kind == "text":
                row.fields[name] = cell_text(value)
            elif column.kind == "status":
                row.fields[name] = parse_choice(
                    value, STATUS_CHOICES[raid_type], extra=STATUS_EXTRA.get(raid_type)
                )
            elif column.kind == "member":
                row.fields[name] = lookups.member(value)
            elif column.kind == "workstream":
                row.fields[name] = lookups.workstream(value)
            elif column.kind == "wbs":
                keys = [k for k in SPLIT_KEYS.split(cell_text(value)) if k]
                lookups.wbs_item_ids(keys)  # checks them
                row.wbs_keys = [k.upper() for k in keys]
            elif column.kind == "choice":
                choices, extra = CHOICE_COLUMNS[name]
                row.fields[name] = parse_choice(value, choices, extra=extra)
            elif column.kind == "rating":
                words = PROBABILITY_LABELS if "probability" in name else IMPACT_LABELS
                row.fields[name] = parse_rating(value, words=words)
            elif column.kind == "severity":
                row.fields[name] = parse_int_choice(value, Severity)
            elif column.kind == "priority":
                row.fields[name] = parse_int_choice(value, Priority)
            elif column.kind == "date":
                row.fields[name] = parse_date(value)
            elif column.kind == "amount":
                row.fields[name] = parse_amount(value)
            elif column.kind == "ref":
                row.link = cell_text(value)
        except BadValue as exc:
            message = str(exc)
            if name == "impact_cost" and re.fullmatch(r"[\d,.]+", cell_text(value) or "-"):
                message += " For an amount, name the column Cost impact amount."
            bad(name, message)

    if raid_type == RISK:
        if impact_all is not None:
            try:
                rating = parse_rating(impact_all, words=IMPACT_LABELS)
            except BadValue as exc:
                bad("impact", str(exc))
            else:
                for name in ("impact_schedule", "impact_cost", "impact_scope", "impact_quality"):
                    row.fields.setdefault(name, rating)
        has_p = "residual_probability" in row.fields or "residual_probability" in values
        has_i = "residual_impact" in row.fields or "residual_impact" in values
        if has_p != has_i:
            missing = "residual_impact" if has_p else "residual_probability"
            bad(missing, "give both residual probability and residual impact, or neither.")
    if raid_type == DEPENDENCY:
        for side in ("giver", "receiver"):
            text = cell_text(values.get(side))
            kind_text = cell_text(values.get(f"{side}_type"))
            kind = None
            if kind_text:
                kind = PARTY_TYPES.get(_word(kind_text))
                if kind is None:
                    bad(f"{side}_type", f"“{kind_text}” is not Program, Workstream or External.")
                    continue
            if not text:
                bad(side, "required: a program code, a workstream or an external party.")
                continue
            try:
                party = _party(lookups, text, kind)
            except BadValue as exc:
                bad(side, str(exc))
                continue
            for what, value in party.items():
                row.fields[f"{side}_{what}"] = value
    return row if len(problems) == before else None


def _sheet_type(table: Table) -> str | None:
    return TYPE_WORDS.get(_word(table.name)) if table.is_sheet else None


def check(*, program: Program, actor, tables: list[Table]) -> Plan:
    """Check every row of every table; raise `RaidImportError` listing every problem."""
    problems: list[Problem] = []
    notes: list[str] = []
    rows: list[PlannedRow] = []
    lookups = _Lookups(program, actor)
    usable = 0
    for table in tables:
        sheet_type = _sheet_type(table)
        columns: dict[int, str] = {}
        unknown: list[str] = []
        seen: dict[str, str] = {}
        for index, header in enumerate(table.header):
            if not str(header).strip():
                continue
            name = match_header(header)
            if name is None:
                if normalise_header(_strip_hint(header)) not in COMPUTED:
                    unknown.append(str(header).strip())
                continue
            if name in seen:
                problems.append(
                    Problem(
                        table.where(table.header_line),
                        str(header).strip(),
                        f"the same column as “{seen[name]}”: keep one of them.",
                    )
                )
                continue
            seen[name] = str(header).strip()
            columns[index] = name
        label = f"Sheet “{table.name}”" if table.is_sheet else "The file"
        if "title" not in seen:
            if table.is_sheet and not seen:
                continue  # a cover page or notes: nothing in it looks like RAID columns
            if table.is_sheet and (not table.rows or sheet_type is None):
                notes.append(f"{label} was skipped: it has no Title column.")
                continue
            problems.append(
                Problem(
                    table.where(table.header_line),
                    "",
                    "no Title column (a header named Title, Name, Summary or Subject).",
                )
            )
            continue
        if (
            "type" not in seen
            and sheet_type is None
            and not any(
                cell_text(cells[i]).split("-", 1)[0].upper() in PREFIX_TYPE
                for _, cells in table.rows
                for i, n in columns.items()
                if n == "key" and i < len(cells)
            )
        ):
            problems.append(
                Problem(
                    table.where(table.header_line),
                    "",
                    "no Type column: add one (Risk, Issue, Assumption, Dependency or Action), "
                    "or name the sheet after the type.",
                )
            )
            continue
        if unknown:
            notes.append(f"{label}: columns not recognised and ignored: {', '.join(unknown)}.")
        usable += 1
        for line, values in table.rows:
            cells = {name: values[i] for i, name in columns.items() if i < len(values)}
            try:
                raid_type = _row_type(table, cells, sheet_type)
            except BadValue as exc:
                problems.append(Problem(table.where(line), "Type", str(exc)))
                continue
            planned = _check_row(table, line, cells, raid_type, lookups, problems)
            if planned is not None:
                rows.append(planned)
            if len(problems) >= common.MAX_PROBLEMS:
                break
    total_rows = sum(len(t.rows) for t in tables)
    if total_rows > common.MAX_ROWS:
        problems.append(
            Problem(
                "", "", f"The file has more than {common.MAX_ROWS:,} rows; split it into parts."
            )
        )
    if not problems and not rows:
        problems.append(Problem("", "", "The file has no rows to import."))
    _check_keys(rows, lookups, problems)
    if problems:
        raise RaidImportError(_sorted(problems, tables))
    counts = Counter(r.raid_type for r in rows)
    return Plan(rows=rows, notes=notes, counts={t: counts.get(t, 0) for t in ALL_TYPES})


def _check_keys(rows: list[PlannedRow], lookups: _Lookups, problems: list[Problem]) -> None:
    first: dict[str, PlannedRow] = {}
    for row in rows:
        if not row.file_key:
            continue
        upper = row.file_key.upper()
        if upper in first:
            problems.append(
                Problem(
                    row.where, "Key", f"{row.file_key} is also the key of {first[upper].where}."
                )
            )
            continue
        first[upper] = row
        existing = lookups.existing.get(upper)
        if existing is not None and _word(existing[2]) == _word(row.title):
            code = lookups.program.code
            problems.append(
                Problem(
                    row.where,
                    "Key",
                    f"{code} already has {upper} with this title: the file looks like an export "
                    f"of {code}, and importing it would add the item twice. Remove the row, or "
                    "clear its key to add it anyway.",
                )
            )
    for row in rows:
        if not row.link:
            continue
        column = "Raised from risk" if row.raid_type == ISSUE else "Linked to"
        target = first.get(row.link.upper())
        if target is not None:
            target_type = target.raid_type
        elif row.link.upper() in lookups.existing:
            target_type = lookups.existing[row.link.upper()][0]
        else:
            problems.append(
                Problem(
                    row.where,
                    column,
                    f"{row.link} is neither a key in this file nor an item of "
                    f"{lookups.program.code}.",
                )
            )
            continue
        if row.raid_type == ISSUE and target_type != RISK:
            problems.append(Problem(row.where, column, f"{row.link} is not a risk."))
        elif row.raid_type == ACTION and target_type == ACTION:
            problems.append(
                Problem(
                    row.where,
                    column,
                    f"{row.link} is an action; link a risk, issue, assumption or dependency.",
                )
            )


def _sorted(problems: list[Problem], tables: list[Table]) -> list[Problem]:
    order = {t.name: i for i, t in enumerate(tables)}

    def key(p: Problem) -> tuple:
        match = re.match(r"^(?:(.*) row|Line) (\d+)$", p.where)
        if not match:
            return (-1, 0)
        return (order.get(match.group(1) or "", 0), int(match.group(2)))

    return sorted(problems, key=key)  # stable: a row's problems stay in column order
