"""RAID log export to CSV (streamed) and XLSX, and the import templates.

Safe for spreadsheets (DESIGN.md, "Exports are safe"): CSV is UTF-8 with a header row, ISO dates,
`.` decimals without thousands separators and an explicit currency column, and a text cell that
starts with `= + - @`, a tab or a carriage return gets a leading `'` so a spreadsheet shows it as
text instead of running it (the importer removes that `'` again). XLSX is written by XlsxWriter
with `strings_to_formulas=False` (text stays text), real date and number cells, a frozen header
row and filters, one sheet per type and an "About this export" sheet.

The columns carry the importer's headers, so an export imports as it is into another program
(computed columns such as Score, EMV or Escalation level are ignored by the import).
An export follows the list's filters and sort when a type is given (the tab the user is on),
else it holds the whole RAID log, each type in its list's default order (risks by score,
the others by key).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import IO, Any

from django.http import QueryDict
from django.utils import timezone

from core.exports import neutralise
from programs.models import Program

from .choices import (
    ActionStatus,
    AssumptionStatus,
    DependencyDirection,
    DependencyStatus,
    EscalationLevel,
    IssueStatus,
    Priority,
    RaidType,
    ResponseStrategy,
    RiskCategory,
    RiskStatus,
    Severity,
    score_band,
)
from .filtersets import DEFAULT_ORDER, FILTERSETS
from .imports import ALL_TYPES, COLUMN_BY_FIELD, COLUMNS, TYPE_LABEL
from .models import RAID_MODELS
from .selectors import raid_rows

CHUNK = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAMES = {t: str(RaidType(t).label) for t in ALL_TYPES}


# ---------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Out:
    """One exported column: its header, how to read it from a `.values()` row, its cell kind."""

    label: str
    get: Callable[[dict[str, Any]], Any]
    kind: str = "text"  # text | long | date | datetime | int | amount
    width: int = 14


def _label(choices) -> Callable[[Any], str]:
    names = {value: str(label) for value, label in choices.choices}
    return lambda v: names.get(v, "" if v is None else str(v))


def _f(name: str, convert: Callable[[Any], Any] | None = None):
    if convert is None:
        return lambda r: r[name]
    return lambda r: convert(r[name])


def _col(field: str, getter, kind: str = "text", width: int = 14) -> Out:
    return Out(COLUMN_BY_FIELD[field].label, getter, kind, width)


def _party_type(side: str) -> Callable[[dict[str, Any]], str]:
    def get(r: dict[str, Any]) -> str:
        if r[f"{side}_program__code"]:
            return "Program"
        if r[f"{side}_workstream__name"]:
            return "Workstream"
        return "External" if r[f"{side}_external"] else ""

    return get


def _party(side: str) -> Callable[[dict[str, Any]], str]:
    return lambda r: (
        r[f"{side}_program__code"] or r[f"{side}_workstream__name"] or r[f"{side}_external"]
    )


STATUS = {
    RaidType.RISK: RiskStatus,
    RaidType.ISSUE: IssueStatus,
    RaidType.ASSUMPTION: AssumptionStatus,
    RaidType.DEPENDENCY: DependencyStatus,
    RaidType.ACTION: ActionStatus,
}
WBS = Out("WBS items", lambda r: ", ".join(r["wbs"]), "text", 16)
CREATED = Out("Created", _f("created_at"), "datetime", 18)
UPDATED = Out("Updated", _f("updated_at"), "datetime", 18)
ESCALATION = Out("Escalation level", _f("escalation_level", _label(EscalationLevel)), "text", 16)
ESCALATED_AT = Out("Escalated at", _f("escalated_at"), "datetime", 18)


def _common(raid_type: str) -> list[Out]:
    return [
        _col("key", _f("key"), width=9),
        _col("title", _f("title"), "long", 48),
        _col("description", _f("description"), "long", 40),
        _col("status", _f("status", _label(STATUS[raid_type])), width=14),
        _col("owner", _f("owner__email"), width=26),
        Out("Owner name", _f("owner__full_name"), "text", 20),
        _col("workstream", _f("workstream__name"), width=22),
    ]


def _rating(field: str) -> Out:
    return _col(field, _f(field), "int", 10)


TYPE_COLUMNS: dict[str, list[Out]] = {
    RaidType.RISK: [
        _col("category", _f("category", _label(RiskCategory)), width=18),
        _col("cause", _f("cause"), "long", 30),
        _col("event", _f("event"), "long", 30),
        _col("effect", _f("effect"), "long", 30),
        _rating("probability"),
        _rating("impact_schedule"),
        _rating("impact_cost"),
        _rating("impact_scope"),
        _rating("impact_quality"),
        Out("Score", _f("score"), "int", 8),
        Out("Band", lambda r: (score_band(r["score"]) or "").capitalize(), "text", 9),
        _col("proximity_date", _f("proximity_date"), "date", 12),
        _col("response_strategy", _f("response_strategy", _label(ResponseStrategy))),
        _col("mitigation_plan", _f("mitigation_plan"), "long", 36),
        _col("contingency_plan", _f("contingency_plan"), "long", 30),
        _col("trigger", _f("trigger"), "long", 24),
        _rating("residual_probability"),
        _rating("residual_impact"),
        Out("Residual score", _f("residual_score"), "int", 10),
        _col("cost_impact_amount", _f("cost_impact_amount"), "amount", 16),
        Out("EMV", _f("emv"), "amount", 14),
        Out("Currency", lambda r: r["currency"], "text", 9),
        _col("review_date", _f("review_date"), "date", 12),
        _col("last_reviewed_on", _f("last_reviewed_on"), "date", 12),
    ],
    RaidType.ISSUE: [
        _col("severity", _f("severity", _label(Severity)), width=10),
        _col("priority", _f("priority", _label(Priority)), width=10),
        _col("due_date", _f("due_date"), "date", 12),
        ESCALATION,
        ESCALATED_AT,
        _col("resolution", _f("resolution"), "long", 36),
        _col("resolved_on", _f("resolved_on"), "date", 12),
        _col("raised_from_risk", _f("raised_from_risk__key"), width=10),
    ],
    RaidType.ASSUMPTION: [
        _col("validate_by", _f("validate_by"), "date", 12),
        _col("consequence_if_false", _f("consequence_if_false"), "long", 36),
        _col("validated_on", _f("validated_on"), "date", 12),
    ],
    RaidType.DEPENDENCY: [
        _col("direction", _f("direction", _label(DependencyDirection)), width=20),
        _col("giver_type", _party_type("giver"), width=11),
        _col("giver", _party("giver"), width=24),
        _col("receiver_type", _party_type("receiver"), width=11),
        _col("receiver", _party("receiver"), width=24),
        _col("needed_by", _f("needed_by"), "date", 12),
    ],
    RaidType.ACTION: [
        _col("due_date", _f("due_date"), "date", 12),
        ESCALATION,
        ESCALATED_AT,
        _col("completed_on", _f("completed_on"), "date", 12),
        _col("linked_to", _f("subject_key"), width=12),
    ],
}
TYPE_COLUMN = Out("Type", lambda r: TYPE_LABEL[r["raid_type"]], "text", 11)

COMMON_VALUES = (
    "pk", "key", "number", "title", "description", "status", "owner__email", "owner__full_name",
    "workstream__name", "created_at", "updated_at",
)  # fmt: skip
TYPE_VALUES = {
    RaidType.RISK: (
        "category", "cause", "event", "effect", "probability", "impact_schedule", "impact_cost",
        "impact_scope", "impact_quality", "score", "proximity_date", "response_strategy",
        "mitigation_plan", "contingency_plan", "trigger", "residual_probability",
        "residual_impact", "residual_score", "cost_impact_amount", "emv", "review_date",
        "last_reviewed_on",
    ),
    RaidType.ISSUE: (
        "severity", "priority", "due_date", "escalation_level", "escalated_at", "resolution",
        "resolved_on", "raised_from_risk__key",
    ),
    RaidType.ASSUMPTION: ("validate_by", "consequence_if_false", "validated_on"),
    RaidType.DEPENDENCY: (
        "direction", "giver_program__code", "giver_workstream__name", "giver_external",
        "receiver_program__code", "receiver_workstream__name", "receiver_external", "needed_by",
    ),
    RaidType.ACTION: (
        "due_date", "escalation_level", "escalated_at", "completed_on", "subject_key",
    ),
}  # fmt: skip


def columns_for(raid_type: str) -> list[Out]:
    return [*_common(raid_type), *TYPE_COLUMNS[raid_type], WBS, CREATED, UPDATED]


def union_columns(types: list[str]) -> list[Out]:
    """One table for several types (CSV): Type first, then every type's columns once each."""
    seen: dict[str, Out] = {}
    merged: dict[str, dict[str, Out]] = {}
    for raid_type in types:
        for column in columns_for(raid_type):
            seen.setdefault(column.label, column)
            merged.setdefault(column.label, {})[raid_type] = column
    out = [TYPE_COLUMN]
    for label, first in seen.items():
        by_type = merged[label]
        if len(by_type) == 1 and len(types) > 1:
            (only_type,) = by_type
            getter = first.get
            get = _only_for(only_type, getter)
        else:
            get = _per_type(by_type)
        out.append(Out(label, get, first.kind, first.width))
    return out


def _only_for(raid_type: str, getter) -> Callable[[dict[str, Any]], Any]:
    return lambda r: getter(r) if r["raid_type"] == raid_type else None


def _per_type(by_type: dict[str, Out]) -> Callable[[dict[str, Any]], Any]:
    return lambda r: by_type[r["raid_type"]].get(r) if r["raid_type"] in by_type else None


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


class ExportFilterError(ValueError):
    """A filter of the export was not valid; `errors` holds the form errors."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


def export_types(raid_type: str | None) -> list[str]:
    return [raid_type] if raid_type else list(ALL_TYPES)


def export_queryset(
    *, program: Program, raid_type: str, data: QueryDict | None = None, strict: bool = False
):
    """The rows of one type as the list shows them: its filters and sort from `data`."""
    queryset = raid_rows(program=program, raid_type=raid_type)
    if data is not None:
        filterset = FILTERSETS[raid_type](data, queryset=queryset, program=program)
        if strict and not filterset.is_valid():
            raise ExportFilterError({k: [str(e) for e in v] for k, v in filterset.errors.items()})
        queryset = filterset.qs
        if filterset.is_valid() and filterset.form.cleaned_data.get("sort"):
            return queryset
    return queryset.order_by(*DEFAULT_ORDER[raid_type])


def _chunks(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def iter_rows(*, program: Program, raid_type: str, queryset) -> Iterator[dict[str, Any]]:
    """`.values()` rows with the WBS keys and the currency, read in chunks."""
    model = RAID_MODELS[raid_type]
    through = model.wbs_items.through
    source = model.wbs_items.field.m2m_field_name()
    values = queryset.values(*COMMON_VALUES, *TYPE_VALUES[raid_type])
    for chunk in _chunks(values.iterator(chunk_size=CHUNK), CHUNK):
        wbs: dict[int, list[str]] = {}
        links = (
            through.objects.filter(**{f"{source}_id__in": [r["pk"] for r in chunk]})
            .order_by("item__outline_path")
            .values_list(f"{source}_id", "item__key")
        )
        for owner_id, key in links:
            wbs.setdefault(owner_id, []).append(key)
        for row in chunk:
            row["wbs"] = wbs.get(row["pk"], [])
            row["raid_type"] = raid_type
            row["currency"] = program.currency
            yield row


def export_filename(program: Program, raid_type: str | None, extension: str) -> str:
    what = raid_type or "log"
    return f"{program.code}-raid-{what}-{timezone.localdate():%Y-%m-%d}.{extension}"


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "datetime" and isinstance(value, dt.datetime):
        return timezone.localtime(value, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


class _Line:
    """A file-like whose `write` hands the line back (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    *, program: Program, raid_type: str | None, data: QueryDict | None = None
) -> Iterator[str]:
    """The export as CSV lines, header first (a generator: rows are read in chunks)."""
    types = export_types(raid_type)
    columns = union_columns(types)
    querysets = {
        t: export_queryset(program=program, raid_type=t, data=data if raid_type else None)
        for t in types
    }
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([c.label for c in columns])  # BOM: Excel reads UTF-8
    for t in types:
        for row in iter_rows(program=program, raid_type=t, queryset=querysets[t]):
            yield writer.writerow([csv_cell(c.get(row), c.kind) for c in columns])


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------


def _workbook(target: IO[bytes]):
    import xlsxwriter

    return xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )


class _Formats:
    def __init__(self, book) -> None:
        self.header = book.add_format(
            {"bold": True, "bg_color": "#E8EEF7", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.amount = book.add_format({"num_format": "#,##0.00"})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.label = book.add_format({"bold": True})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})


def _write_cell(sheet, row: int, col: int, value: Any, kind: str, fmt: _Formats) -> None:
    if value is None or value == "":
        return
    if kind == "datetime" and isinstance(value, dt.datetime):
        naive = timezone.localtime(value, dt.UTC).replace(tzinfo=None)
        sheet.write_datetime(row, col, naive, fmt.datetime)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt.date)
    elif kind == "amount":
        sheet.write_number(row, col, float(value), fmt.amount)  # display only: text in CSV
    elif isinstance(value, int) and not isinstance(value, bool):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))


def _sheet(book, name: str, columns: list[Out], fmt: _Formats):
    sheet = book.add_worksheet(name[:31])
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width)
        sheet.write_string(0, index, column.label, fmt.header)
    sheet.freeze_panes(1, 0)
    return sheet


def write_xlsx(
    target: IO[bytes],
    *,
    program: Program,
    raid_type: str | None,
    data: QueryDict | None = None,
    exported_by: str = "",
) -> dict[str, int]:
    """Write the export workbook into `target`; returns the rows per type."""
    types = export_types(raid_type)
    book = _workbook(target)
    fmt = _Formats(book)
    counts: dict[str, int] = {}
    for t in types:
        columns = columns_for(t)
        sheet = _sheet(book, SHEET_NAMES[t], columns, fmt)
        queryset = export_queryset(program=program, raid_type=t, data=data if raid_type else None)
        n = 0
        for n, row in enumerate(iter_rows(program=program, raid_type=t, queryset=queryset), 1):
            for index, column in enumerate(columns):
                _write_cell(sheet, n, index, column.get(row), column.kind, fmt)
        counts[t] = n
        sheet.autofilter(0, 0, max(n, 1), len(columns) - 1)
    about = book.add_worksheet("About this export")
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 70)
    about.write_string(0, 0, "RAID log export", fmt.title)
    filters = ""
    if raid_type and data:
        filters = "; ".join(f"{k}={v}" for k, v in data.items() if v and k not in ("page",))
    lines = [
        ("Program", f"{program.code} · {program.name}"),
        ("Exported", timezone.now().strftime("%Y-%m-%d %H:%M UTC")),
        ("Exported by", exported_by),
        ("Contents", ", ".join(_count(counts[t], t) for t in types)),
        ("Filters", filters or "none: every item"),
        ("Currency", f"{program.currency} (Cost impact amount and EMV)"),
        ("Import", "This workbook imports into another program as it is: Score, Band, EMV, "
                   "escalation and dates of creation are computed there again."),
    ]  # fmt: skip
    for index, (label, value) in enumerate(lines, 2):
        about.write_string(index, 0, label, fmt.label)
        about.write_string(index, 1, value, fmt.wrap)
    book.close()
    return counts


def spooled() -> IO[bytes]:
    """A temporary file for a workbook: in memory up to 4 MB, on disk beyond, deleted when
    closed (the response closes it once sent)."""
    return tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)


def _count(n: int, raid_type: str) -> str:
    return f"{n} {(TYPE_LABEL[raid_type] if n == 1 else SHEET_NAMES[raid_type]).lower()}"


def xlsx_file(**kwargs) -> IO[bytes]:
    """The export workbook in a temporary file, rewound for reading."""
    target = spooled()
    write_xlsx(target, **kwargs)
    target.seek(0)
    return target


# ---------------------------------------------------------------------------------------------
# Import templates
# ---------------------------------------------------------------------------------------------

TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    RaidType.RISK: (
        "key", "title", "description", "status", "owner", "workstream", "category", "cause",
        "event", "effect", "probability", "impact_schedule", "impact_cost", "impact_scope",
        "impact_quality", "proximity_date", "response_strategy", "mitigation_plan",
        "contingency_plan", "trigger", "residual_probability", "residual_impact",
        "cost_impact_amount", "review_date", "wbs_items",
    ),
    RaidType.ISSUE: (
        "key", "title", "description", "status", "owner", "workstream", "severity", "priority",
        "due_date", "resolution", "raised_from_risk", "wbs_items",
    ),
    RaidType.ASSUMPTION: (
        "key", "title", "description", "status", "owner", "workstream", "validate_by",
        "consequence_if_false", "wbs_items",
    ),
    RaidType.DEPENDENCY: (
        "key", "title", "description", "status", "owner", "workstream", "direction", "giver_type",
        "giver", "receiver_type", "receiver", "needed_by", "wbs_items",
    ),
    RaidType.ACTION: (
        "key", "title", "description", "status", "owner", "workstream", "due_date", "linked_to",
        "wbs_items",
    ),
}  # fmt: skip
CHOICE_LISTS: dict[str, Any] = {
    "category": RiskCategory,
    "response_strategy": ResponseStrategy,
    "direction": DependencyDirection,
    "severity": Severity,
    "priority": Priority,
}


def template_csv_fields() -> list[str]:
    fields: list[str] = ["type"]
    for raid_type in ALL_TYPES:
        fields += [f for f in TEMPLATE_FIELDS[raid_type] if f not in fields]
    return fields


def template_csv() -> str:
    """The CSV template: the header of a one-table RAID log (Type and every column)."""
    header = [COLUMN_BY_FIELD[f].label for f in template_csv_fields()]
    return "\ufeff" + ",".join(header) + "\r\n"


def template_xlsx(target: IO[bytes]) -> None:
    """The XLSX template: a sheet per type with its headers and drop-down lists, and a sheet
    describing every column."""
    book = _workbook(target)
    fmt = _Formats(book)
    book.set_properties({"title": "RAID log import template"})
    for raid_type in ALL_TYPES:
        fields = TEMPLATE_FIELDS[raid_type]
        sheet = book.add_worksheet(SHEET_NAMES[raid_type])
        for index, name in enumerate(fields):
            column = COLUMN_BY_FIELD[name]
            sheet.set_column(index, index, 40 if name == "title" else 16)
            sheet.write_string(0, index, column.label, fmt.header)
            choices = _choice_list(raid_type, name)
            if choices:
                sheet.data_validation(
                    1, index, 1000, index,
                    {"validate": "list", "source": choices, "error_type": "warning"},
                )  # fmt: skip
            elif column.kind == "rating":
                sheet.data_validation(
                    1, index, 1000, index,
                    {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 5,
                     "error_type": "warning", "error_message": "A rating from 1 to 5."},
                )  # fmt: skip
        sheet.freeze_panes(1, 0)
    docs = book.add_worksheet("Read me")
    docs.set_column(0, 0, 24)
    docs.set_column(1, 1, 30)
    docs.set_column(2, 2, 90)
    docs.write_string(0, 0, "RAID log import template", fmt.title)
    docs.write_string(
        1, 0,
        "Fill one sheet per type (or one sheet with a Type column). Only Title is required; "
        "dates as YYYY-MM-DD. Every row is checked before anything is imported.",
    )  # fmt: skip
    for index, label in enumerate(("Column", "Types", "What to write"), 0):
        docs.write_string(3, index, label, fmt.header)
    for row, column in enumerate((c for c in COLUMNS if c.field != "impact"), 4):
        types = (
            "all"
            if len(column.types) == len(ALL_TYPES)
            else ", ".join(TYPE_LABEL[t] for t in column.types)
        )
        docs.write_string(row, 0, column.label, fmt.label)
        docs.write_string(row, 1, types)
        aliases = f" Also accepted as: {', '.join(column.aliases)}." if column.aliases else ""
        docs.write_string(row, 2, (column.help or "Text.") + aliases, fmt.wrap)
    book.close()


def _choice_list(raid_type: str, name: str) -> list[str]:
    if name == "status":
        return [str(label) for _, label in STATUS[raid_type].choices]
    if name in ("giver_type", "receiver_type"):
        return ["Program", "Workstream", "External"]
    if name in CHOICE_LISTS:
        return [str(label) for _, label in CHOICE_LISTS[name].choices]
    return []
