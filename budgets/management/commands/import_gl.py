"""Import a general-ledger extract (CSV or XLSX) into a program's actuals: all rows or none.

    manage.py import_gl ERP extract.csv --user finance@example.com [--check]

Every problem is printed with its line; the exit status is 1 when the file was refused.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from budgets.services import gl_import
from core.models import User
from programs.models import Program


class Command(BaseCommand):
    help = "Import a general-ledger extract (CSV or XLSX) as cost entries: all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("program", help="The program code, e.g. ERP.")
        parser.add_argument("file", help="The .csv or .xlsx extract.")
        parser.add_argument("--user", help="The e-mail of who imports it (the audit trail).")
        parser.add_argument("--check", action="store_true", help="Only check; book nothing.")

    def handle(self, *args, program: str, file: str, user: str | None, check: bool, **options):
        target = Program.objects.filter(code=program.upper()).first()
        if target is None:
            raise CommandError(f"There is no program {program}.")
        actor = None
        if user:
            actor = User.objects.filter(email__iexact=user).first()
            if actor is None:
                raise CommandError(f"There is no user {user}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file} is not a file.")
        limit = gl_import.UPLOAD.max_bytes()
        if path.stat().st_size > limit:
            raise CommandError(
                f"{path.name} is {path.stat().st_size:,} bytes; extracts can be at most "
                f"{limit:,} bytes."
            )
        try:
            plan = gl_import.gl_import_run(
                actor=actor, program=target, data=path.read_bytes(), filename=path.name,
                dry_run=check,
            )  # fmt: skip
        except gl_import.GLImportError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{path.name} was not imported: {len(exc.problems)} problem(s); nothing was booked."
            ) from None
        verb = "would book" if check else "booked"
        self.stdout.write(
            f"{path.name}: {verb} {len(plan.rows)} cost entries, {plan.total:.2f} "
            f"{target.currency}."
        )
        for row in plan.per_line:
            self.stdout.write(f"  {row['line'].key} {row['line'].name}: {row['rows']} rows, "
                              f"{row['total']:.2f}")  # fmt: skip
