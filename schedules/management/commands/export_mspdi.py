"""`manage.py export_mspdi --program CODE [-o FILE]`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from programs.models import Program
from schedules.interchange import export_filename, export_mspdi


class Command(BaseCommand):
    help = "Export a program's schedule as MS Project XML (MSPDI)."

    def add_arguments(self, parser):
        parser.add_argument("--program", required=True, help="The program code, e.g. ERP.")
        parser.add_argument(
            "-o",
            "--output",
            help="File to write (default: CODE-schedule-YYYY-MM-DD.xml here); '-' for stdout.",
        )

    def handle(self, *args, program: str, output: str | None, **opts):
        target = Program.objects.filter(code=program).first()
        if target is None:
            raise CommandError(f"No program with code {program}.")
        data = export_mspdi(target)
        if output == "-":
            self.stdout.write(data.decode("utf-8"), ending="")
            return
        path = Path(output or export_filename(target))
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"{path}: cannot write the file ({exc.strerror}).") from exc
        self.stdout.write(self.style.SUCCESS(f"Wrote {path} ({len(data):,} bytes)."))
