"""Regenerate a period's briefing and deck: from the published report's stored snapshot (the
figures as they were published), otherwise from figures computed now (and the command says so).

    manage.py build_report --program ERP --period 2026-W47 [--out DIR]
                           [--format pdf|deck|pptx|json|all]

Times are printed in the program's time zone.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from programs.models import Program
from reporting.collect import period_bounds
from reporting.models import StatusReport
from reporting.pdf import briefing, deck
from reporting.services.reports import compose
from reporting.snapshot import to_json

FORMATS = ("pdf", "deck", "pptx", "json", "all")


def _pptx():
    try:
        return importlib.import_module("reporting.pptx")
    except ImportError:
        return None


class Command(BaseCommand):
    help = (
        "Write a period's executive briefing (pdf), deck (deck = PDF slides, pptx) or snapshot "
        "(json): from the published report's stored snapshot, else from figures computed now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--program", required=True, help="The program code, e.g. ERP.")
        parser.add_argument("--period", required=True, help="The ISO week, e.g. 2026-W47.")
        parser.add_argument("--out", default=".", help="The directory to write to (made if new).")
        parser.add_argument("--format", default="all", choices=FORMATS, help="What to write.")

    def handle(self, *args, program: str, period: str, out: str, format: str, **options):
        code, period = program.strip().upper(), period.strip().upper()
        found = Program.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"There is no program {code!r}.")
        try:
            period_bounds(period)
        except ValueError as error:
            raise CommandError(str(error)) from None
        kinds = ["pdf", "deck", "pptx", "json"] if format == "all" else [format]
        pptx = _pptx()
        if "pptx" in kinds and pptx is None:
            if format == "pptx":
                raise CommandError("The PowerPoint export (reporting.pptx) is not installed.")
            kinds.remove("pptx")
        report = (
            StatusReport.objects.filter(program=found, period=period)
            .prefetch_related("overrides", "commentary__workstream")
            .first()
        )
        snapshot = compose(found, period, report) if report else compose(found, period)
        zone = ZoneInfo(found.time_zone)

        def local(value) -> str:
            return f"{timezone.localtime(value, zone):%d %b %Y %H:%M} ({found.time_zone})"

        if report is not None and report.is_published:
            source = (
                f"the published report's stored snapshot (published "
                f"{local(snapshot.published_at)} by {snapshot.published_by or 'unknown'})"
            )
        elif report is not None:
            source = (
                f"the {report.get_status_display().lower()} report (not published: figures "
                f"computed {local(report.computed_at)}, marked DRAFT)"
            )
        else:
            source = "figures computed now: no report exists for this period (not reviewed)"
        self.stdout.write(f"{code} {period}: from {source}.")
        directory = Path(out)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot write to {directory}: {error}") from None
        stem = f"{code}-{period}"
        renderers = {
            "pdf": (f"{stem}-briefing.pdf", lambda: briefing.render(snapshot)),
            "deck": (f"{stem}-deck.pdf", lambda: deck.render(snapshot)),
            "pptx": (f"{stem}-deck.pptx", lambda: pptx.render(snapshot)),
            "json": (
                f"{stem}-snapshot.json",
                lambda: json.dumps(to_json(snapshot), indent=2, ensure_ascii=False).encode(),
            ),
        }
        for kind in kinds:
            name, render = renderers[kind]
            path = directory / name
            path.write_bytes(render())
            self.stdout.write(f"  wrote {path} ({path.stat().st_size:,} bytes)")
