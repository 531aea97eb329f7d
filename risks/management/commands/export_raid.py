"""`manage.py export_raid --program CODE [--type risks] [--output FILE.csv|FILE.xlsx]`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from programs.models import Program
from risks import exports
from risks.imports import ALL_TYPES


class Command(BaseCommand):
    help = "Export a program's RAID log (one type or all) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--program", required=True, help="The program code, e.g. ERP.")
        parser.add_argument(
            "--type",
            dest="raid_type",
            choices=ALL_TYPES,
            help="One type (every state); default: the whole log.",
        )
        parser.add_argument(
            "--output",
            help="File to write; .xlsx writes a workbook, anything else CSV. Default: CSV to "
            "standard output.",
        )

    def handle(self, *args, program: str, raid_type: str | None, output: str | None, **opts):
        target = Program.objects.filter(code=program).first()
        if target is None:
            raise CommandError(f"No program with code {program}.")
        # every state of the type: what the log holds, not one view of it
        data = QueryDict("state=all") if raid_type else None
        if output and output.lower().endswith(".xlsx"):
            with Path(output).open("wb") as handle:
                counts = exports.write_xlsx(handle, program=target, raid_type=raid_type, data=data)
            self.stderr.write(
                self.style.SUCCESS(f"Wrote {sum(counts.values())} items to {output}.")
            )
            return
        lines = exports.csv_lines(program=target, raid_type=raid_type, data=data)
        if output:
            with Path(output).open("w", encoding="utf-8", newline="") as handle:
                rows = sum(1 for line in lines if handle.write(line)) - 1
            self.stderr.write(self.style.SUCCESS(f"Wrote {rows} items to {output}."))
            return
        for line in lines:
            self.stdout.write(line, ending="")
