"""What every part of reporting needs: a program's thresholds, and the snapshot a briefing sends."""

from __future__ import annotations

from programs.models import Program

from .. import rag
from ..collect import collect
from ..models import ReportSettings, ReportStatus, StatusReport
from ..snapshot import Snapshot, from_json


def report_settings(program: Program) -> ReportSettings:
    """The program's settings row, created with the default thresholds on first use."""
    found, _ = ReportSettings.objects.get_or_create(program=program)
    return found


def thresholds_of(program: Program) -> rag.Thresholds:
    found = ReportSettings.objects.filter(program=program).first()
    return found.thresholds() if found else rag.Thresholds()


def briefing_snapshot(program: Program, period: str) -> tuple[Snapshot, StatusReport | None]:
    """The figures a briefing for `period` sends: the period's published status report as it was
    published; failing that, figures computed now with the program's thresholds, marked
    "computed" (nobody reviewed them) so the briefing says so."""
    report = StatusReport.objects.filter(
        program=program, period=period, status=ReportStatus.PUBLISHED
    ).first()
    if report is not None and report.snapshot:
        return from_json(report.snapshot), report
    return collect(program, period=period, thresholds=thresholds_of(program)), None
