"""Finance exports: the budget variance report as CSV and XLSX (issue 6, item 8), for the pages,
the API, the `export_budget` command and the monthly e-mail (`budgets.exports.monthly`).

`report` builds the rows from the ledger, `writers` turns them into files.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO

from programs.models import Program

from ..months import month_of
from .report import (
    COLUMNS,
    HEADER,
    ExportFilterError,
    ReportFilters,
    Row,
    Totals,
    iter_rows,
    parse_bom,
    parse_filters,
)
from .writers import CSV_TYPE, XLSX_TYPE, csv_lines, export_filename, write_xlsx

__all__ = [
    "COLUMNS",
    "CSV_TYPE",
    "HEADER",
    "XLSX_TYPE",
    "ExportFilterError",
    "ReportFilters",
    "Row",
    "Totals",
    "csv_bytes",
    "csv_stream",
    "export_filename",
    "iter_rows",
    "parse_bom",
    "parse_filters",
    "report_totals",
    "xlsx_bytes",
    "xlsx_export",
    "xlsx_write",
]


def csv_stream(
    program: Program, filters: ReportFilters, *, bom: bool = False, as_of: dt.date | None = None
) -> Iterator[str]:
    """The report as CSV text chunks, read from the database as they are consumed."""
    return csv_lines(iter_rows(program, filters, as_of=as_of), bom=bom)


def csv_bytes(
    program: Program, filters: ReportFilters, *, bom: bool = False, as_of: dt.date | None = None
) -> bytes:
    """The whole CSV file (for an e-mail attachment or a file on disk)."""
    return "".join(csv_stream(program, filters, bom=bom, as_of=as_of)).encode("utf-8")


def xlsx_write(
    target: IO[bytes],
    program: Program,
    filters: ReportFilters,
    *,
    as_of: dt.date | None = None,
    exported_by: str = "",
) -> Totals:
    """Write the workbook into `target`; returns its totals (and row count)."""
    return write_xlsx(
        target,
        iter_rows(program, filters, as_of=as_of),
        program=program,
        filters=filters,
        as_of_month=month_of(as_of or dt.date.today()),
        exported_by=exported_by,
    )


def xlsx_export(
    program: Program,
    filters: ReportFilters,
    *,
    as_of: dt.date | None = None,
    exported_by: str = "",
) -> IO[bytes]:
    """The workbook in an anonymous temporary file on disk, rewound for reading (a
    FileResponse closes, and so deletes, it once sent)."""
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    try:
        xlsx_write(target, program, filters, as_of=as_of, exported_by=exported_by)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


def xlsx_bytes(
    program: Program,
    filters: ReportFilters,
    *,
    as_of: dt.date | None = None,
    exported_by: str = "",
) -> tuple[bytes, Totals]:
    """The whole workbook and the totals it holds."""
    with tempfile.TemporaryFile(suffix=".xlsx") as handle:
        totals = xlsx_write(handle, program, filters, as_of=as_of, exported_by=exported_by)
        handle.seek(0)
        return handle.read(), totals


def report_totals(
    program: Program, filters: ReportFilters, *, as_of: dt.date | None = None
) -> Totals:
    totals = Totals()
    for row in iter_rows(program, filters, as_of=as_of):
        totals.add(row)
    return totals
