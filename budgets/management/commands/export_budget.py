"""`manage.py export_budget CODE [--format csv|xlsx] [--bom] [--output FILE] [filters]`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from budgets import exports
from budgets.selectors.settings import budget_settings
from programs.models import Program


class Counted:
    """Counts the rows that pass through."""

    def __init__(self, rows: Iterator) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


@contextlib.contextmanager
def _stdout():
    yield sys.stdout
    sys.stdout.flush()


class Command(BaseCommand):
    help = (
        "Export a program's budget variance report (one row per budget line and month) as CSV "
        "or XLSX, with the variance page's filters."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The program code, e.g. ERP.")
        parser.add_argument(
            "--format",
            dest="kind",
            choices=("csv", "xlsx"),
            help="Default: from the --output file's extension, else csv.",
        )
        parser.add_argument(
            "--output",
            help="The file to write. Default: CSV to standard output (XLSX needs a file).",
        )
        bom = parser.add_mutually_exclusive_group()
        bom.add_argument(
            "--bom", action="store_true", default=None, help="Start the CSV with a byte-order mark."
        )
        bom.add_argument("--no-bom", dest="bom", action="store_false", help="No byte-order mark.")
        parser.add_argument("--workstream", help="A workstream's key (e.g. WS-2) or id.")
        parser.add_argument("--category", help="A cost category's id or name.")
        parser.add_argument("--vendor", help="A vendor's key (e.g. VND-3) or id.")
        parser.add_argument("--from", dest="first", help="The first month, YYYY-MM.")
        parser.add_argument("--to", dest="last", help="The last month, YYYY-MM.")

    def handle(self, *args, code: str, kind: str | None, output: str | None, bom, **opts):
        program = Program.objects.filter(code=code).first()
        if program is None:
            raise CommandError(f"No program with code {code}.")
        if kind is None:
            kind = "xlsx" if output and output.lower().endswith(".xlsx") else "csv"
        if kind == "xlsx" and not output:
            raise CommandError("An XLSX export needs --output FILE.xlsx.")
        params = {
            "workstream": opts["workstream"], "category": opts["category"],
            "vendor": opts["vendor"], "from": opts["first"], "to": opts["last"],
        }  # fmt: skip
        try:
            filters = exports.parse_filters(program, {k: v for k, v in params.items() if v})
        except exports.ExportFilterError as exc:
            raise CommandError(f"Bad filter: {exc}") from exc
        if bom is None:
            bom = budget_settings(program).export_bom
        if kind == "xlsx":
            with Path(output).open("wb") as handle:
                written = exports.xlsx_write(
                    handle, program, filters, exported_by="manage.py export_budget"
                )
            rows = written.rows
        else:
            counted = Counted(exports.iter_rows(program, filters))
            opened = Path(output).open("w", encoding="utf-8", newline="") if output else _stdout()  # noqa: SIM115
            try:
                with opened as out:
                    for chunk in exports.csv_lines(counted, bom=bom):
                        out.write(chunk)
            except BrokenPipeError:
                # the reader stopped early (`| head`): stop quietly, as command-line tools do
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                return
            rows = counted.count
        if output:
            self.stderr.write(f"Wrote {output}: {rows} rows ({filters.describe()}).")
