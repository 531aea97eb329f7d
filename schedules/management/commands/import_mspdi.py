"""`manage.py import_mspdi FILE --program CODE [--replace] [--actor EMAIL]`."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from programs.models import Program
from schedules.interchange import MspdiImportError, import_mspdi


class Command(BaseCommand):
    help = "Import an MS Project XML (MSPDI) file into a program's schedule (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="The .xml file saved by MS Project (File > Save As > XML)."
        )
        parser.add_argument("--program", required=True, help="The program code, e.g. ERP.")
        parser.add_argument(
            "--replace", action="store_true", help="Replace the program's current schedule."
        )
        parser.add_argument("--actor", help="E-mail of the user recorded in the audit trail.")

    def handle(self, *args, file: str, program: str, replace: bool, actor: str | None, **opts):
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
            result = import_mspdi(target, data, user, replace=replace, filename=path.name)
        except MspdiImportError as exc:
            messages = [
                m.replace("Import with “replace the current schedule”", "Run again with --replace")
                for m in exc.messages
            ]
            raise CommandError(
                f"{path.name} was not imported:\n" + "\n".join(f"  - {m}" for m in messages)
            ) from exc
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        replaced = f" (replaced {result.replaced} items)" if result.replaced else ""
        self.stdout.write(
            self.style.SUCCESS(f"Imported {result.summary()} into {target.code}{replaced}.")
        )
