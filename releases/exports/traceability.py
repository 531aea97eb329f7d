"""The traceability matrix as CSV (streamed) and XLSX: one row per requirement under the page's
filters, each list joined into one cell ("TC-4 pass; TC-9 fail").

Safe for spreadsheets (DESIGN.md, "Exports are safe"). CSV: UTF-8 with a byte-order mark (Excel
reads it as UTF-8), a header row, ISO 8601 timestamps in UTC; a text cell starting with
`= + - @`, a tab or a carriage return gets a leading `'` (core.exports.neutralise). XLSX: written
by XlsxWriter with `strings_to_formulas=False` (text stays text, never a formula), the same
neutralised text, a frozen header row with filters, and an "About this export" sheet with the
filters and the time it was generated.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.utils import timezone

from core.exports import neutralise
from programs.models import Program

from ..selectors.traceability import GAPS, Link, MatrixFilters, Row, iter_matrix

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
ROWS_PER_CHUNK = 200  # CSV rows joined into one chunk of the streamed response
MAX_XLSX_TEXT = 32_767  # Excel's limit for one cell


def _joined(links: Iterable[Link], describe: Callable[[Link], str]) -> str:
    return "; ".join(describe(link) for link in links)


def _latest_run(row: Row) -> dt.datetime | None:
    times = [link.at for link in row.cases if link.at is not None]
    return max(times) if times else None


@dataclass(frozen=True)
class Column:
    label: str
    get: Callable[[Row], Any]
    width: int = 14


COLUMNS = (
    Column("Key", lambda r: r.key, 9),
    Column("Title", lambda r: r.title, 44),
    Column("Priority", lambda r: r.priority_label, 10),
    Column("Status", lambda r: r.status_label, 12),
    Column("Workstream", lambda r: r.workstream, 22),
    Column("Releases", lambda r: _joined(r.releases, lambda x: x.state), 10),
    Column(
        "WBS deliverables", lambda r: _joined(r.deliverables, lambda x: f"{x.key} {x.title}"), 36
    ),
    Column(
        "Test cases (latest result)",
        lambda r: _joined(r.cases, lambda x: f"{x.key} {x.state_label.lower()}"),
        30,
    ),
    Column("Latest run (UTC)", _latest_run, 18),
    Column(
        "Open defects",
        lambda r: _joined(
            r.defects, lambda x: f"{x.key} S{x.severity} {x.state.replace('_', ' ')}"
        ),
        30,
    ),
    Column(
        "Change requests",
        lambda r: _joined(r.change_requests, lambda x: f"{x.key} {x.state_label.lower()}"),
        22,
    ),
    Column("Gaps", lambda r: _joined(r.gaps, lambda g: g.label), 28),
)
HEADER = [column.label for column in COLUMNS]


def export_filename(program: Program, extension: str) -> str:
    return f"{program.code}-traceability-{timezone.localdate():%Y-%m-%d}.{extension}"


def _utc(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value, dt.UTC)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


class _Echo:
    """A file-like whose `write` hands the line back (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(program: Program, filters: MatrixFilters) -> Iterator[str]:
    """The matrix as CSV text, header first, then chunks of rows as they are read."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield BOM + writer.writerow(HEADER)
    chunk: list[str] = []
    for row in iter_matrix(program, filters):
        chunk.append(writer.writerow([csv_cell(column.get(row)) for column in COLUMNS]))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------


def xlsx_text(value: Any) -> str:
    """Neutralised like the CSV, line breaks as XML keeps them, within Excel's cell limit."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return neutralise(text)[:MAX_XLSX_TEXT]


def write_xlsx(
    target: IO[bytes], program: Program, filters: MatrixFilters, *, exported_by: str = ""
) -> int:
    """Write the workbook (a "Traceability" sheet and an "About this export" sheet) into
    `target`; returns the number of requirement rows."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    header = book.add_format(
        {"bold": True, "bg_color": "#E8EEF7", "bottom": 1, "text_wrap": True, "valign": "top"}
    )
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"})
    top = book.add_format({"valign": "top", "text_wrap": True})
    gap = book.add_format({"valign": "top", "text_wrap": True, "font_color": "#B42318"})
    covered = book.add_format({"valign": "top", "font_color": "#2B7A0B"})
    sheet = book.add_worksheet("Traceability")
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, column.width)
        sheet.write_string(0, index, column.label, header)
    sheet.freeze_panes(1, 0)
    gaps_col = len(COLUMNS) - 1
    count = 0
    for count, row in enumerate(iter_matrix(program, filters), 1):
        for index, column in enumerate(COLUMNS):
            value = column.get(row)
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(count, index, _utc(value).replace(tzinfo=None), stamp)
            elif index == gaps_col:
                style = covered if row.gap_keys == ["covered"] else gap
                sheet.write_string(count, index, xlsx_text(value), style)
            else:
                sheet.write_string(count, index, xlsx_text(value), top)
    sheet.autofilter(0, 0, max(count, 1), len(COLUMNS) - 1)
    _about(book, program, filters, exported_by, count)
    book.close()
    return count


def _about(book, program: Program, filters: MatrixFilters, exported_by: str, count: int) -> None:
    bold = book.add_format({"bold": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    about = book.add_worksheet("About this export")
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 90)
    facts = [
        ("Report", "Traceability matrix: one row per requirement"),
        ("Program", f"{program.code} · {program.name}"),
        ("Generated", timezone.now().strftime("%Y-%m-%d %H:%M UTC")),
        ("Generated by", exported_by or "—"),
        ("Filters", filters.describe()),
        ("Requirements", str(count)),
        ("Latest result", "Of each case's most recent run in any cycle; 'not run' if none."),
        ("Open defects", "Against the requirement or one of its test cases; S1-S4 = severity."),
        *((f"Gap: {g.label}", g.meaning) for g in GAPS),
    ]
    for index, (label, value) in enumerate(facts):
        about.write_string(index, 0, xlsx_text(label), bold)
        about.write_string(index, 1, xlsx_text(value), wrap)


def xlsx_file(program: Program, filters: MatrixFilters, *, exported_by: str = "") -> IO[bytes]:
    """The workbook in a temporary file (memory up to 4 MB, then disk), rewound for reading;
    the response closes, and so deletes, it once sent."""
    target = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115
    try:
        write_xlsx(target, program, filters, exported_by=exported_by)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target
