"""The variance report as CSV (a generator of text, for streaming) and XLSX (openpyxl's
write-only mode into a temporary file).

Safe for spreadsheets (DESIGN.md, "Exports are safe"). CSV: UTF-8 with a header row, an optional
byte-order mark, ISO 8601 dates, `.` decimals with always two places and no thousands separators,
an explicit currency column; a text cell starting with `= + - @`, a tab or a carriage return gets
a leading `'` (core.exports.neutralise). XLSX: typed date and number cells (`#,##0.00`), a frozen
header row with filters, column widths, a totals row holding computed values (no formula
anywhere), the same neutralised text written as string cells, so no cell can become a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.exports import neutralise
from programs.models import Program

from ..months import month_label
from .report import COLUMNS, HEADER, RULES, ReportFilters, Row, Totals

CENT = Decimal("0.01")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
ROWS_PER_CHUNK = 200  # CSV rows joined into one chunk of the streamed response
MAX_XLSX_TEXT = 32_767  # Excel's limit for one cell
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def export_filename(program: Program, extension: str, day: dt.date | None = None) -> str:
    return f"{program.code}-budget-variance-{day or timezone.localdate():%Y-%m-%d}.{extension}"


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def csv_number(value: Decimal | None) -> str:
    """Two decimals, `.` separator, no grouping; empty when there is no figure."""
    if value is None:
        return ""
    amount = value.quantize(CENT, rounding=ROUND_HALF_EVEN)
    return f"{amount if amount else abs(amount):f}"  # never "-0.00"


def csv_cell(value: Any, kind: str) -> str:
    if kind in ("money", "percent"):
        return csv_number(value)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def csv_row(values: Iterable[Any]) -> list[str]:
    return [csv_cell(v, c.kind) for v, c in zip(values, COLUMNS, strict=True)]


class _Echo:
    """A file-like whose `write` hands the line back (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Row], *, bom: bool = False) -> Iterator[str]:
    """The report as CSV text, header first, then chunks of ROWS_PER_CHUNK rows. Rows are
    pulled from `rows` as the chunks are consumed (streaming)."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield (BOM if bom else "") + writer.writerow(HEADER)
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow(csv_row(row.values())))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------


def xlsx_text(value: Any) -> str:
    """Text for a string cell: neutralised like the CSV, without the control characters the
    XLSX format cannot hold, within Excel's cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    # XML reads a carriage return back as a line feed: write the line feed it will be
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return neutralise(text)[:MAX_XLSX_TEXT]


class _Styles:
    def __init__(self) -> None:
        self.header_font = Font(bold=True)
        self.header_fill = PatternFill("solid", fgColor="E8EEF7")
        self.header_border = Border(bottom=Side(style="thin"))
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.right = Alignment(horizontal="right")
        self.bold = Font(bold=True)
        self.total_border = Border(top=Side(style="thin"), bottom=Side(style="double"))


def _cell(sheet, value: Any, kind: str, styles: _Styles, *, total: bool = False):
    if kind in ("money", "percent"):
        if value is None:
            cell = WriteOnlyCell(sheet, value=None)
        else:
            amount = value.quantize(CENT, rounding=ROUND_HALF_EVEN)
            cell = WriteOnlyCell(sheet, value=amount if amount else abs(amount))
            cell.number_format = MONEY_FORMAT
    elif kind == "date" and isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    else:
        text = xlsx_text("" if value is None else value)
        cell = WriteOnlyCell(sheet, value=text or None)
        if text:
            cell.data_type = "s"  # text, whatever it looks like: never a formula
    if total:
        cell.font = styles.bold
        cell.border = styles.total_border
    return cell


def _header(sheet, styles: _Styles) -> list:
    cells = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.label)
        cell.data_type = "s"
        cell.font, cell.fill = styles.header_font, styles.header_fill
        cell.border = styles.header_border
        if column.kind in ("money", "percent"):
            cell.alignment = styles.right  # over the numbers it heads
        cells.append(cell)
    return cells


def write_xlsx(
    target: IO[bytes],
    rows: Iterable[Row],
    *,
    program: Program,
    filters: ReportFilters | None = None,
    as_of_month: dt.date | None = None,
    exported_by: str = "",
) -> Totals:
    """Write the workbook (a "Variance" sheet and an "About this export" sheet) into `target`;
    returns the totals it wrote. openpyxl's write-only mode keeps rows on disk, not in memory."""
    book = Workbook(write_only=True)
    styles = _Styles()
    sheet = book.create_sheet("Variance")
    for index, column in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    # printed: landscape, every column on one page width, the header on every page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.append(_header(sheet, styles))
    totals = Totals()
    for row in rows:
        totals.add(row)
        sheet.append(
            [_cell(sheet, v, c.kind, styles) for v, c in zip(row.values(), COLUMNS, strict=True)]
        )
    last = get_column_letter(len(COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{totals.rows + 1}"
    sheet.append(
        [
            _cell(sheet, v, c.kind, styles, total=True)
            for v, c in zip(totals.values(program.currency), COLUMNS, strict=True)
        ]
    )
    _about(book, styles, program, filters, as_of_month, exported_by, totals)
    book.save(target)
    return totals


def _about(book, styles, program, filters, as_of_month, exported_by, totals) -> None:
    about = book.create_sheet("About this export")
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 100
    facts = [
        ("Report", "Budget variance report: one row per budget line and month"),
        ("Program", f"{program.code} · {program.name}"),
        ("Currency", f"{program.currency} (every amount)"),
        ("Exported", timezone.now().strftime("%Y-%m-%d %H:%M UTC")),
        ("Exported by", exported_by or "—"),
        ("As of", f"{month_label(as_of_month)} (earlier months are closed)" if as_of_month else ""),
        ("Filters", (filters or ReportFilters()).describe()),
        ("Rows", str(totals.rows)),
        *(("Rule" if i == 0 else "", rule) for i, rule in enumerate(RULES)),
    ]
    for label, value in facts:
        first = WriteOnlyCell(about, value=xlsx_text(label))
        first.data_type, first.font = "s", styles.bold
        second = WriteOnlyCell(about, value=xlsx_text(value))
        second.data_type, second.alignment = "s", styles.wrap
        about.append([first, second])
