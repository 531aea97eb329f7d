"""Reading a CSV or XLSX file into tables of cells, with the line (or row) of each."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from . import common
from .common import Problem, RaidImportError


@dataclass
class Table:
    name: str  # the sheet name ("" for CSV)
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[Any]]]  # (line or row number, cells)
    is_sheet: bool

    def where(self, line: int) -> str:
        return f"{self.name} row {line}" if self.is_sheet else f"Line {line}"


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


def read_csv(data: bytes) -> list[Table]:
    text = _decode(data)
    if "\x00" in text:
        raise RaidImportError([Problem("", "", "This is not a text CSV file.")])
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    rows: list[tuple[int, list[Any]]] = []
    header: list[str] | None = None
    header_line = 0
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header, header_line = record, start
                continue
            rows.append((start, list(record)))
            if len(rows) > common.MAX_ROWS:
                break
    except csv.Error as exc:
        problem = Problem(f"Line {line}", "", f"The CSV cannot be read: {exc}.")
        raise RaidImportError([problem]) from exc
    if header is None:
        return []
    return [Table("", [str(h) for h in header], header_line, rows, is_sheet=False)]


def read_xlsx(data: bytes) -> list[Table]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RaidImportError(
            [Problem("", "", f"This is not an Excel workbook (.xlsx) that can be read ({exc}).")]
        ) from exc
    tables = []
    try:
        for sheet in book.worksheets:
            header: list[str] | None = None
            header_line = 0
            rows: list[tuple[int, list[Any]]] = []
            for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
                if not any(v not in (None, "") and str(v).strip() for v in values):
                    continue
                if header is None:
                    header = ["" if v is None else str(v) for v in values]
                    header_line = number
                    continue
                rows.append((number, list(values)))
                if len(rows) > common.MAX_ROWS:
                    break
            if header is not None:
                tables.append(Table(sheet.title, header, header_line, rows, is_sheet=True))
    finally:
        book.close()
    return tables


def read_tables(data: bytes, filename: str = "") -> list[Table]:
    """The tables of a CSV or XLSX file (told apart by content, then by the file name)."""
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise RaidImportError(
            [Problem("", "", "Old Excel files (.xls) cannot be read: save it as .xlsx or CSV.")]
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise RaidImportError([Problem("", "", "This .xlsx file is damaged or not a workbook.")])
    return read_csv(data)
