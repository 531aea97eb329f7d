"""`manage.py import_raid FILE --program CODE [--dry-run] [--actor EMAIL]`."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from programs.models import Program
from risks.imports import TYPE_LABEL, RaidImportError, import_raid


class Command(BaseCommand):
    help = "Import a CSV or XLSX RAID log into a program (every row, or none)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv or .xlsx file (see the import template).")
        parser.add_argument("--program", required=True, help="The program code, e.g. ERP.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything and report; import nothing."
        )
        parser.add_argument("--actor", help="E-mail of the user recorded in the audit trail.")

    def handle(self, *args, file: str, program: str, dry_run: bool, actor: str | None, **opts):
        target = Program.objects.filter(code=program).first()
        if target is None:
            raise CommandError(f"No program with code {program}.")
        user = None
        if actor:
            user = get_user_model().objects.filter(email__iexact=actor).first()
            if user is None:
                raise CommandError(f"No user with e-mail {actor}.")
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read the file ({exc.strerror}).") from exc
        try:
            result = import_raid(
                actor=user, program=target, data=data, filename=path.name, dry_run=dry_run
            )
        except RaidImportError as exc:
            raise CommandError(
                f"{path.name} was not imported ({len(exc.problems)} problems):\n"
                + "\n".join(f"  - {p}" for p in exc.problems)
            ) from exc
        for note in result.plan.notes:
            self.stderr.write(self.style.WARNING(f"note: {note}"))
        counts = ", ".join(
            f"{n} {TYPE_LABEL[t].lower()}{'s' if n != 1 else ''}"
            for t, n in result.counts.items()
            if n
        )
        verb = "Checked" if dry_run else "Imported"
        tail = " (dry run: nothing was imported)" if dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {result.total} items into {target.code}: {counts}{tail}.")
        )
