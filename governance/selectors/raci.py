"""Reads of the RACI matrix: the grid (in a fixed number of queries), single rows and columns,
the plan items a row may stand for, and the CSV and XLSX exports.

Exports are safe for spreadsheets (DESIGN.md, "Exports are safe"): CSV is UTF-8 with a BOM (so
Excel reads names with accents), a header row, and text cells that start with `= + - @`, a tab
or a carriage return prefixed with `'`; XLSX is written with `strings_to_formulas` off, so such
text stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import xlsxwriter
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from core.exports import neutralise
from programs.models import Program, ProgramMembership
from schedules.models import Item, ItemKind

from ..models.raci import (
    ACCOUNTABLE_LETTERS,
    LETTER_TEXT,
    RESPONSIBLE_LETTERS,
    RaciCell,
    RaciColumn,
    RaciLetter,
    RaciRow,
    raci_rule_problems,
)


@dataclass
class MatrixRow:
    row: RaciRow
    letters: list[str]  # one per column, in grid order ("" where empty)
    columns: list[RaciColumn] = field(default_factory=list, repr=False)
    # what the grid shows with a refused or just saved row
    errors: list[str] = field(default_factory=list)
    conflict: str = ""
    saved: bool = False
    stored: list[str] | None = None  # the stored letters, when `letters` are unsaved ones

    @property
    def cells(self) -> list[tuple[RaciColumn, str, str, str]]:
        """(column, letter, letter as written, stored letter) per column."""
        stored = self.letters if self.stored is None else self.stored
        return [
            (column, letter, LETTER_TEXT.get(letter, ""), saved)
            for column, letter, saved in zip(self.columns, self.letters, stored, strict=True)
        ]

    @property
    def kind_label(self) -> str:
        item = self.row.live_item
        if item is not None:
            return "Milestone" if item.kind == ItemKind.MILESTONE else "Deliverable"
        return "Removed from the plan" if self.row.item_id else "Activity"

    def counts(self) -> tuple[int, int]:
        """(number of A, number of R) in the row."""
        return (
            sum(letter in ACCOUNTABLE_LETTERS for letter in self.letters),
            sum(letter in RESPONSIBLE_LETTERS for letter in self.letters),
        )


@dataclass
class Matrix:
    columns: list[RaciColumn]
    rows: list[MatrixRow]
    former_members: set[int] = field(default_factory=set)  # column ids of people who left

    def problems(self) -> list[str]:
        """Rule problems in the stored rows (none unless data bypassed the services)."""
        found = []
        for matrix_row in self.rows:
            pairs = list(zip((c.label for c in self.columns), matrix_row.letters, strict=True))
            found += raci_rule_problems(matrix_row.row.label, pairs)
        return found

    def column_counts(self) -> list[dict[str, int]]:
        """Per column: how many rows it is A, R, C, I in (A/R counts as A and R)."""
        counts = [dict.fromkeys(("A", "R", "C", "I"), 0) for _ in self.columns]
        for matrix_row in self.rows:
            for i, letter in enumerate(matrix_row.letters):
                if letter in ACCOUNTABLE_LETTERS:
                    counts[i]["A"] += 1
                if letter in RESPONSIBLE_LETTERS:
                    counts[i]["R"] += 1
                if letter in ("C", "I"):
                    counts[i][letter] += 1
        return counts


def raci_columns(*, program: Program) -> QuerySet[RaciColumn]:
    return (
        RaciColumn.objects.filter(program=program).select_related("user").order_by("position", "pk")
    )


def raci_rows(*, program: Program) -> QuerySet[RaciRow]:
    return RaciRow.objects.filter(program=program).select_related("item").order_by("position", "pk")


def raci_matrix(*, program: Program) -> Matrix:
    """The whole grid in four queries: columns, members, rows (with their item), cells."""
    columns = list(raci_columns(program=program))
    members = set(
        ProgramMembership.objects.filter(program=program).values_list("user_id", flat=True)
    )
    rows = list(raci_rows(program=program))
    letters: dict[int, dict[int, str]] = {}
    for row_id, column_id, letter in RaciCell.objects.filter(program=program).values_list(
        "row_id", "column_id", "letter"
    ):
        letters.setdefault(row_id, {})[column_id] = letter
    return Matrix(
        columns=columns,
        rows=[
            MatrixRow(
                row=row,
                letters=[letters.get(row.pk, {}).get(c.pk, "") for c in columns],
                columns=columns,
            )
            for row in rows
        ],
        former_members={c.pk for c in columns if c.user_id and c.user_id not in members},
    )


def raci_matrix_row(
    *, row: RaciRow, columns: list[RaciColumn], letters: dict[int, str] | None = None
) -> MatrixRow:
    """One row of the grid: its stored letters, or unsaved `letters` ({column id: letter})."""
    stored = dict(RaciCell.objects.filter(row=row).values_list("column_id", "letter"))
    shown = stored if letters is None else letters
    return MatrixRow(
        row=row,
        letters=[shown.get(c.pk, "") for c in columns],
        columns=list(columns),
        stored=[stored.get(c.pk, "") for c in columns],
    )


def raci_row_get(*, program: Program, pk) -> RaciRow:
    try:
        return RaciRow.objects.select_related("item", "program").get(program=program, pk=int(pk))
    except (RaciRow.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such row in the RACI matrix") from exc


def raci_column_get(*, program: Program, pk) -> RaciColumn:
    try:
        return RaciColumn.objects.select_related("user", "program").get(program=program, pk=int(pk))
    except (RaciColumn.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such column in the RACI matrix") from exc


def raci_item_choices(*, program: Program, row: RaciRow | None = None) -> QuerySet[Item]:
    """Deliverables and milestones of the plan without a row yet (plus `row`'s own item)."""
    taken = RaciRow.objects.filter(program=program, item__isnull=False)
    if row is not None:
        taken = taken.exclude(pk=row.pk)
    return (
        Item.objects.filter(program=program, kind__in=(ItemKind.DELIVERABLE, ItemKind.MILESTONE))
        .exclude(pk__in=taken.values("item_id"))
        .order_by("outline_path")
    )


# --- exports --------------------------------------------------------------------------------------


def column_heading(column: RaciColumn) -> str:
    return f"{column.role_name} (role)" if column.is_role else column.label


def export_filename(program: Program, extension: str) -> str:
    return f"{program.code}-raci-{timezone.localdate():%Y-%m-%d}.{extension}"


def _export_rows(matrix: Matrix) -> Iterator[list[str]]:
    yield ["position", "key", "deliverable_or_activity", "type"] + [
        column_heading(c) for c in matrix.columns
    ]
    for position, matrix_row in enumerate(matrix.rows, start=1):
        row = matrix_row.row
        item = row.live_item
        yield [
            str(position),
            item.key if item is not None else "",
            item.name if item is not None else row.activity,
            matrix_row.kind_label,
            *(LETTER_TEXT.get(letter, "") for letter in matrix_row.letters),
        ]


class _Line:
    """A file-like whose `write` hands the line back (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def raci_csv_lines(*, program: Program) -> Iterator[str]:
    """The matrix as CSV lines: a BOM and header first, one line per row, letters as A/R."""
    matrix = raci_matrix(program=program)
    writer = csv.writer(_Line(), lineterminator="\r\n")
    for n, values in enumerate(_export_rows(matrix)):
        line = writer.writerow([neutralise(v) for v in values])
        yield ("\ufeff" + line) if n == 0 else line


LETTER_COLOURS = {
    "A": "#F8D7DA",
    "AR": "#F5C2C7",
    "R": "#CFE2FF",
    "C": "#FFF3CD",
    "I": "#E9ECEF",
}


def raci_xlsx_bytes(*, program: Program) -> bytes:
    """The matrix as an .xlsx workbook: a RACI sheet (frozen headings, coloured letters) and a
    legend. Text is always written as text (`strings_to_formulas` off)."""
    matrix = raci_matrix(program=program)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    workbook.set_properties(
        {"title": f"RACI matrix · {program.code} {program.name}", "author": "Program Office"}
    )
    heading = workbook.add_format(
        {"bold": True, "bg_color": "#E7EEF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    text = workbook.add_format({"border": 1, "valign": "top", "text_wrap": True})
    letter_formats = {
        letter: workbook.add_format(
            {"border": 1, "align": "center", "bold": letter in ("A", "AR"), "bg_color": colour}
        )
        for letter, colour in LETTER_COLOURS.items()
    }
    empty = workbook.add_format({"border": 1})
    sheet = workbook.add_worksheet("RACI")
    for r, values in enumerate(_export_rows(matrix)):
        for c, value in enumerate(values):
            if r == 0:
                sheet.write_string(r, c, value, heading)
            elif c == 0:
                sheet.write_number(r, c, int(value), text)
            elif c < 4:
                sheet.write_string(r, c, value, text)
            else:
                stored = matrix.rows[r - 1].letters[c - 4]
                sheet.write_string(r, c, value, letter_formats.get(stored, empty))
    sheet.freeze_panes(1, 4)
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 10)
    sheet.set_column(2, 2, 48)
    sheet.set_column(3, 3, 14)
    if matrix.columns:
        sheet.set_column(4, 3 + len(matrix.columns), 16)
    sheet.set_row(0, 32)
    legend = workbook.add_worksheet("Legend")
    legend.write_string(0, 0, "Letter", heading)
    legend.write_string(0, 1, "Meaning", heading)
    for r, (value, label) in enumerate(RaciLetter.choices, start=1):
        legend.write_string(r, 0, LETTER_TEXT[value], letter_formats[value])
        legend.write_string(r, 1, str(label), text)
    legend.write_string(
        len(RaciLetter.choices) + 2,
        0,
        "Every row has exactly one A (accountable) and at least one R (responsible).",
    )
    legend.set_column(0, 0, 8)
    legend.set_column(1, 1, 36)
    workbook.close()
    return buffer.getvalue()
