"""General-ledger import: a CSV or XLSX extract of the ledger becomes cost entries, all or none.

Columns (headers in any case and order; the template shows them):
  Posting date (YYYY-MM-DD), Period (YYYY-MM, the month the cost belongs to; the posting date's
  month when blank), GL account, Cost centre (a workstream's key or name), Budget line (BL-n),
  Document number, Description, Amount (`.` decimals, negative for credits), Currency, Vendor
  (optional: a vendor's key or name).

A row names its budget line by key, or, when the key is blank, by its cost centre and GL
account: the one line of that workstream whose category books to that account. Every row is
checked first (`gl_import_check`); any problem refuses the whole file and each is listed with
its line (CSV) or row (XLSX): unknown line, unknown currency or not the program's, period
outside the program, a bad amount or one with more than two decimals, a document number
imported before. Then one GLImport and its cost entries (source gl_import) are written in one
transaction, in batches, with one audit entry per row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_create_many
from core.audit_guard import bulk_writes_allowed
from core.domain import create
from core.uploads import UploadPolicy
from programs.models import Program
from programs.validators import validate_currency

from ..imports.reading import MAX_ROWS, Table, UnreadableFile, read_table
from ..models import BudgetLine, CostEntry, CostSource, GLImport
from ..months import month_label, month_of, parse_month
from . import actual_months
from .checks import parse_amount, program_months

MAX_PROBLEMS = 1000
UPLOAD = UploadPolicy(
    extensions=(".csv", ".xlsx"),
    max_bytes_setting="BUDGETS_GL_IMPORT_MAX_BYTES",
    default_max_bytes=10 * 1024 * 1024,
    accepted_text="a CSV or Excel (.xlsx) extract of the general ledger",
    files_noun="general-ledger extracts",
    accepted_as="as a general-ledger extract",
)


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    aliases: tuple[str, ...]
    required: bool
    help: str
    example: str


COLUMNS = (
    Column("posting_date", "Posting date", ("date", "booking date", "posted on", "posted"), True,
           "The booking date, YYYY-MM-DD.", "2026-10-31"),
    Column("period", "Period", ("month", "fiscal period", "posting period"), False,
           "The month the cost belongs to, YYYY-MM; the posting date's month when blank.",
           "2026-10"),
    Column("gl_account", "GL account", ("account", "g/l account", "gl"), False,
           "The ledger account; with the cost centre it finds the line when no key is given.",
           "650000"),
    Column("cost_centre", "Cost centre", ("cost center", "workstream", "cost centre workstream"),
           False, "A workstream's key (WS-2) or name.", "Finance & Controlling"),
    Column("line", "Budget line", ("budget line key", "line", "line key", "key"), False,
           "The budget line's key (BL-3); leave blank to map by cost centre and GL account.",
           "BL-3"),
    Column("document", "Document number", ("document", "doc number", "document no",
                                           "reference", "doc no"), True,
           "The ledger document; a document imported before is refused.", "GL-2026-104233"),
    Column("description", "Description", ("text", "posting text", "memo"), False,
           "Free text, up to 300 characters.", "Flights Lyon plant visit"),
    Column("amount", "Amount", ("value", "amount in currency"), True,
           "With a . for decimals and at most two of them; negative for a credit.", "1240.50"),
    Column("currency", "Currency", ("curr", "ccy"), True, "The program's currency (ISO 4217).",
           "EUR"),
    Column("vendor", "Vendor", ("supplier",), False, "Optional: a vendor's key or name.", ""),
)  # fmt: skip


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


HEADERS = {
    _normal(alias): column.name
    for column in COLUMNS
    for alias in (column.label, column.name, *column.aliases)
}


class GLImportError(ValidationError):
    """The file was refused; `problems` lists every one. Nothing was imported."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__([str(p) for p in problems])


@dataclass(frozen=True)
class Problem:
    where: str  # "Line 7", "Row 7", or "" for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        return ": ".join(p for p in (self.where, self.column, self.message) if p)

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "column": self.column, "message": self.message}


@dataclass
class GLRow:
    where: str
    line: BudgetLine
    month: dt.date
    posted_on: dt.date
    amount: Decimal
    document: str
    description: str
    vendor: Any = None


@dataclass
class GLPlan:
    rows: list[GLRow]
    ignored_columns: list[str]
    gl_import: GLImport | None = None
    per_line: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal("0.00"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": len(self.rows),
            "total": f"{self.total:.2f}",
            "import_id": self.gl_import.pk if self.gl_import else None,
            "ignored_columns": self.ignored_columns,
            "lines": [
                {"line": p["line"].key, "name": p["line"].name, "rows": p["rows"],
                 "total": f"{p['total']:.2f}"}
                for p in self.per_line
            ],
        }  # fmt: skip


class _Bad(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise _Bad(f"“{text}” is not a date; write it as YYYY-MM-DD, e.g. 2026-10-31.") from None


def _period(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return month_of(value if not isinstance(value, dt.datetime) else value.date())
    try:
        return parse_month(_text(value))
    except ValueError as exc:
        raise _Bad(str(exc)) from None


def _amount(value: Any) -> Decimal:
    if isinstance(value, float):
        value = repr(value)  # an Excel number cell: its shortest exact text
    text = _text(value).replace(" ", "").replace("\u00a0", "")
    try:
        Decimal(text)
    except InvalidOperation:
        raise _Bad(f"“{text}” is not an amount; write e.g. 1240.50 (. for decimals).") from None
    try:
        return parse_amount(text, "amount", signed=True)
    except ValidationError as exc:
        raise _Bad(exc.message_dict["amount"][0]) from None


class _Lookups:
    """The program's lines, workstreams, categories, vendors and imported documents, read once."""

    def __init__(self, program: Program, documents: set[str]) -> None:
        from vendors.models import Vendor

        self.program = program
        self.first, self.last = program_months(program)
        lines = list(
            BudgetLine.objects.filter(program=program).select_related("workstream", "category")
        )
        self.by_key = {line.key.upper(): line for line in lines}
        self.workstreams: dict[str, int] = {}
        self.by_ws_account: dict[tuple[int, str], list[BudgetLine]] = defaultdict(list)
        for line in lines:
            ws = line.workstream
            self.workstreams[ws.key.upper()] = ws.pk
            self.workstreams[_normal(ws.name)] = ws.pk
            if line.category.gl_account:
                self.by_ws_account[ws.pk, line.category.gl_account.strip().upper()].append(line)
        from programs.models import Workstream

        for pk, key, name in Workstream.objects.filter(program=program).values_list(
            "pk", "key", "name"
        ):
            self.workstreams.setdefault(key.upper(), pk)
            self.workstreams.setdefault(_normal(name), pk)
        self.vendors: dict[str, Any] = {}
        for vendor in Vendor.objects.filter(program=program):
            self.vendors[vendor.key.upper()] = vendor
            self.vendors[_normal(vendor.name)] = vendor
        self.imported = set(
            CostEntry.objects.filter(
                program=program, source=CostSource.GL_IMPORT, reference__in=documents
            )
            .values_list("reference", flat=True)
            .order_by()
        )

    def line(self, key: str, centre: str, account: str) -> BudgetLine:
        if key:
            line = self.by_key.get(key.upper())
            if line is None:
                raise _Bad(f"{self.program.code} has no budget line {key}.")
            return line
        if not centre or not account:
            raise _Bad("give the budget line's key, or the cost centre and the GL account.")
        ws = self.workstreams.get(centre.upper()) or self.workstreams.get(_normal(centre))
        if ws is None:
            raise _Bad(f"{self.program.code} has no workstream (cost centre) “{centre}”.")
        found = self.by_ws_account.get((ws, account.upper()), [])
        if not found:
            raise _Bad(
                f"no budget line of cost centre “{centre}” books to GL account {account}; "
                "give the budget line's key."
            )
        if len(found) > 1:
            keys = ", ".join(line.key for line in found)
            raise _Bad(
                f"{len(found)} lines match that cost centre and account ({keys}): give the key."
            )
        return found[0]

    def vendor(self, text: str):
        vendor = self.vendors.get(text.upper()) or self.vendors.get(_normal(text))
        if vendor is None:
            raise _Bad(f"{self.program.code} has no vendor “{text}”.")
        return vendor


def _columns(table: Table) -> tuple[dict[str, int], list[str], list[Problem]]:
    index: dict[str, int] = {}
    ignored: list[str] = []
    for position, header in enumerate(table.header):
        name = HEADERS.get(_normal(header))
        if name is None or name in index:
            if str(header).strip():
                ignored.append(str(header).strip())
            continue
        index[name] = position
    missing = [c.label for c in COLUMNS if c.required and c.name not in index]
    problems = []
    if missing:
        problems.append(
            Problem("", "", f"The header has no {', '.join(missing)} column"
                            f"{'s' if len(missing) > 1 else ''}: download the template.")
        )  # fmt: skip
    if "line" not in index and not {"cost_centre", "gl_account"} <= index.keys():
        problems.append(
            Problem("", "", "The header needs a Budget line column, or Cost centre and GL "
                            "account columns to find each row's line.")
        )  # fmt: skip
    return index, ignored, problems


def gl_import_check(*, program: Program, data: bytes, filename: str = "") -> GLPlan:
    """Every row of the file checked against the program, nothing written: the plan, or a
    GLImportError listing every problem."""
    if not data:
        raise GLImportError([Problem("", "", "The file is empty.")])
    limit = UPLOAD.max_bytes()
    if len(data) > limit:
        raise GLImportError(
            [Problem("", "", f"The file is larger than {limit // (1024 * 1024)} MB.")]
        )
    try:
        table = read_table(data, filename)
    except UnreadableFile as exc:
        raise GLImportError([Problem("", "", str(exc))]) from None
    if table.too_many:
        raise GLImportError([Problem("", "", f"The file has more than {MAX_ROWS:,} rows.")])
    index, ignored, problems = _columns(table)
    if problems:
        raise GLImportError(problems)
    if not table.rows:
        raise GLImportError([Problem("", "", "The file has a header but no rows.")])

    def cell(cells: list[Any], name: str) -> Any:
        position = index.get(name)
        return cells[position] if position is not None and position < len(cells) else None

    documents = {_text(cell(c, "document")) for _n, c in table.rows}
    lookups = _Lookups(program, documents)
    labels = {c.name: c.label for c in COLUMNS}
    rows: list[GLRow] = []
    for number, cells in table.rows:
        where = table.where(number)
        found: dict[str, Any] = {}
        row_problems: list[Problem] = []

        def run(name: str, step, found=found, row_problems=row_problems, where=where) -> None:
            try:
                found[name] = step()
            except _Bad as exc:
                row_problems.append(Problem(where, labels[name], str(exc)))

        def required(name: str, cells=cells) -> str:
            text = _text(cell(cells, name))
            if not text:
                raise _Bad("missing.")
            return text

        run("posting_date", lambda c=cells: _date(required("posting_date", c)))
        run("document", lambda c=cells: _document(required("document", c), lookups))
        run("amount", lambda c=cells: _amount(required("amount", c)))
        run("currency", lambda c=cells: _currency(required("currency", c), program))
        run("line", lambda c=cells: lookups.line(
            _text(cell(c, "line")), _text(cell(c, "cost_centre")), _text(cell(c, "gl_account"))
        ))  # fmt: skip
        period = cell(cells, "period")
        if _text(period):
            run("period", lambda p=period: _in_program(_period(p), lookups))
        elif "posting_date" in found:
            run("period", lambda d=found["posting_date"]: _in_program(month_of(d), lookups))
        vendor = _text(cell(cells, "vendor"))
        if vendor:
            run("vendor", lambda v=vendor: lookups.vendor(v))
        description = _text(cell(cells, "description"))
        if len(description) > 300:
            row_problems.append(Problem(where, "Description", "longer than 300 characters."))
        if row_problems:
            problems += row_problems
            if len(problems) >= MAX_PROBLEMS:
                problems.append(Problem("", "", f"Stopped after {MAX_PROBLEMS} problems."))
                break
            continue
        rows.append(
            GLRow(
                where=where, line=found["line"], month=found["period"],
                posted_on=found["posting_date"], amount=found["amount"],
                document=found["document"], description=description,
                vendor=found.get("vendor") or found["line"].vendor,
            )
        )  # fmt: skip
    if problems:
        raise GLImportError(problems)
    plan = GLPlan(rows=rows, ignored_columns=ignored)
    per_line: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = per_line.setdefault(
            row.line.pk, {"line": row.line, "rows": 0, "total": Decimal("0.00")}
        )
        entry["rows"] += 1
        entry["total"] += row.amount
    plan.per_line = sorted(per_line.values(), key=lambda p: p["line"].number)
    return plan


def _document(text: str, lookups: _Lookups) -> str:
    if len(text) > 60:
        raise _Bad("longer than 60 characters.")
    if text in lookups.imported:
        raise _Bad(f"document {text} was imported before; it is not booked twice.")
    return text


def _currency(text: str, program: Program) -> str:
    code = text.upper()
    try:
        validate_currency(code)
    except ValidationError:
        raise _Bad(f"“{text}” is not a known ISO 4217 currency.") from None
    if code != program.currency:
        raise _Bad(f"{code} is not {program.code}'s currency ({program.currency}); convert it.")
    return code


def _in_program(month: dt.date, lookups: _Lookups) -> dt.date:
    if not lookups.first <= month <= lookups.last:
        raise _Bad(
            f"{month_label(month)} is outside the program "
            f"({month_label(lookups.first)} to {month_label(lookups.last)})."
        )
    return month


@transaction.atomic
def gl_import_run(
    *, actor, program: Program, data: bytes, filename: str = "", dry_run: bool = False
) -> GLPlan:
    """Check the file and, unless `dry_run`, import every row (or, on any problem, none)."""
    # One import at a time per program, so two uploads of one file cannot both pass the
    # duplicate-document check.
    Program.objects.select_for_update().filter(pk=program.pk).first()
    plan = gl_import_check(program=program, data=data, filename=filename)
    if dry_run:
        return plan
    gl_import = create(
        GLImport, actor=actor, program=program, filename=(filename or "GL extract")[:255],
        rows=len(plan.rows), total=plan.total, imported_by=actor,
    )  # fmt: skip
    user = actor if actor is not None and actor.is_authenticated else None
    entries = [
        CostEntry(
            program=program, line=row.line, month=row.month, amount=row.amount,
            source=CostSource.GL_IMPORT, posted_on=row.posted_on,
            description=row.description, reference=row.document, vendor=row.vendor,
            gl_import=gl_import, created_by=user,
        )
        for row in plan.rows
    ]  # fmt: skip
    with bulk_writes_allowed():
        CostEntry.objects.bulk_create(entries, batch_size=1000)
    audit_create_many(actor=actor, instances=entries)
    actual_months.refresh(program.pk, {(e.line_id, e.month) for e in entries})
    plan.gl_import = gl_import
    return plan


def template_rows(program: Program) -> list[list[str]]:
    """The template's header and two example rows (with this program's currency)."""
    header = [c.label for c in COLUMNS]
    first = [c.example for c in COLUMNS]
    first[COLUMNS.index(next(c for c in COLUMNS if c.name == "currency"))] = program.currency
    second = list(first)
    for i, c in enumerate(COLUMNS):
        if c.name == "line":
            second[i] = ""
        if c.name == "document":
            second[i] = "GL-2026-104234"
        if c.name == "amount":
            second[i] = "-120.00"
        if c.name == "description":
            second[i] = "Credit: refunded rail ticket"
    return [header, first, second]
