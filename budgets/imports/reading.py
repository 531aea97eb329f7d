"""A CSV or XLSX file as one table: its header and its rows, each with its line (CSV) or row
(XLSX) number, so every problem can name where it is. The first sheet of a workbook is read."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

MAX_ROWS = 20_000


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the message says why."""


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (line or row number, cells)
    is_sheet: bool
    too_many: bool = False

    def where(self, number: int) -> str:
        return f"Row {number}" if self.is_sheet else f"Line {number}"


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _blank(values) -> bool:
    return not any(v is not None and str(v).strip() for v in values)


def read_csv(data: bytes) -> Table:
    text = _decode(data)
    if "\x00" in text:
        raise UnreadableFile("This is not a text CSV file.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if _blank(record):
                continue
            if header is None:
                header = record
                continue
            if len(rows) >= MAX_ROWS:
                return Table(header, rows, is_sheet=False, too_many=True)
            rows.append((start, list(record)))
    except csv.Error as exc:
        raise UnreadableFile(f"Line {line}: the CSV cannot be read ({exc}).") from exc
    return Table([str(h) for h in header or []], rows, is_sheet=False)


def read_xlsx(data: bytes) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(
            f"This is not an Excel workbook (.xlsx) that can be read ({exc})."
        ) from exc
    try:
        sheet = book.worksheets[0]
        header: list[str] | None = None
        rows: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            if _blank(values):
                continue
            if header is None:
                header = ["" if v is None else str(v) for v in values]
                continue
            if len(rows) >= MAX_ROWS:
                return Table(header, rows, is_sheet=True, too_many=True)
            rows.append((number, list(values)))
    finally:
        book.close()
    return Table(header or [], rows, is_sheet=True)


def read_table(data: bytes, filename: str = "") -> Table:
    """The table of a CSV or XLSX file (told apart by content, then by name)."""
    if data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    name = filename.lower()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise UnreadableFile("Old Excel files (.xls) cannot be read: save it as .xlsx or CSV.")
    if name.endswith(".xlsx"):
        raise UnreadableFile("This .xlsx file is damaged or not a workbook.")
    return read_csv(data)
