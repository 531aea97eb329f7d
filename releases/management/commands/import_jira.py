"""`manage.py import_jira --program CODE --workstream NAME FILE.csv [--dry-run]
[--create-missing-iterations]`: a Jira CSV export into a workstream's backlog, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from programs.models import Program
from releases.services.jira_import import JiraImportError, jira_import_run


class Command(BaseCommand):
    help = (
        "Import a Jira 'Export issues > CSV (all fields)' file into a workstream's backlog. "
        "Every row is checked first; any problem imports nothing and every one is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file Jira exported.")
        parser.add_argument("--program", required=True, help="The program code, e.g. ERP.")
        parser.add_argument(
            "--workstream", required=True, help="The workstream's name or key (e.g. WS-3)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--create-missing-iterations",
            action="store_true",
            help="Create an iteration for each sprint the program does not have yet.",
        )

    def handle(self, *args, file: str, program: str, workstream: str, **opts):
        found = Program.objects.filter(code=program.upper()).first()
        if found is None:
            raise CommandError(f"No program with code {program}.")
        ws = found.workstreams.filter(Q(name__iexact=workstream) | Q(key__iexact=workstream))
        target = ws.first()
        if target is None:
            names = ", ".join(found.workstreams.order_by("name").values_list("name", flat=True))
            raise CommandError(f"{found.code} has no workstream “{workstream}” ({names}).")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        try:
            plan = jira_import_run(
                actor=None, program=found, workstream=target, data=path.read_bytes(),
                create_missing=opts["create_missing_iterations"], dry_run=opts["dry_run"],
            )  # fmt: skip
        except JiraImportError as exc:
            lines = "\n".join(f"  {problem}" for problem in exc.problems)
            raise CommandError(
                f"{len(exc.problems)} problem(s); nothing was imported:\n{lines}"
            ) from exc
        verb = "would be" if opts["dry_run"] else "were"
        self.stdout.write(
            f"{path.name} into {target.name}: {plan.count('create')} to create, "
            f"{plan.count('update')} to update, {plan.count('unchanged')} unchanged; "
            f"{len(plan.new_iterations)} new iteration(s) {verb} created."
        )
        if not opts["dry_run"]:
            self.stdout.write(self.style.SUCCESS("Imported."))
