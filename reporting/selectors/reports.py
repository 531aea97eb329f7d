"""Reads of the status reports: one report, the history (one row per period, each dimension's
RAG as the report says it), the trend of SPI, CPI and exposure over the published weeks."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404

from programs.models import Program

from ..models import ReportStatus, StatusReport
from ..rag import DIMENSIONS
from ..snapshot import RagLine, Snapshot, from_json

__all__ = [
    "ReportRow",
    "report_get",
    "report_history",
    "report_rows",
    "report_snapshot",
    "report_trend",
]

TREND_WEEKS = 26


def _reports(program: Program):
    return (
        StatusReport.objects.filter(program=program)
        .select_related("program", "published_by", "submitted_by", "created_by")
        .prefetch_related("overrides", "commentary__workstream")
    )


def report_get(*, program: Program, period: str) -> StatusReport:
    """The program's report of `period` (404 when there is none)."""
    report = _reports(program).filter(period=(period or "").upper()).first()
    if report is None:
        raise Http404(f"{program.code} has no status report for {period}.")
    return report


def report_snapshot(report: StatusReport) -> Snapshot:
    """What the report says: the stored snapshot once published, else composed now."""
    from ..services.reports import compose

    return compose(report.program, report.period, report)


def report_history(program: Program, weeks: int = 8) -> list[StatusReport]:
    """The program's last `weeks` published reports, newest first."""
    return list(_reports(program).filter(status=ReportStatus.PUBLISHED).order_by("-period")[:weeks])


@dataclass
class ReportRow:
    report: StatusReport
    snapshot: Snapshot
    rag: dict[str, RagLine] = field(default_factory=dict)

    @property
    def overall(self) -> RagLine | None:
        return self.rag.get("overall")

    @property
    def dimensions(self) -> list[RagLine]:
        return [self.rag[d] for d in DIMENSIONS if d in self.rag]

    @property
    def overridden(self) -> bool:
        return any(line.override_reason for line in self.rag.values())


def report_rows(program: Program) -> list[ReportRow]:
    """Every report of the program, newest period first, with the RAG it says (a draft's as
    composed now from its stored figures and overrides; no figure is recomputed)."""
    rows = []
    for report in _reports(program).order_by("-period"):
        snapshot = report_snapshot(report) if report.snapshot else None
        if snapshot is None:
            continue
        rows.append(ReportRow(report, snapshot, {line.dimension: line for line in snapshot.rag}))
    return rows


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(Decimal(value).quantize(Decimal("0.01")))


def report_trend(program: Program, weeks: int = TREND_WEEKS) -> dict:
    """SPI, CPI and risk exposure of the published reports, oldest first (the chart's data and
    its table): {"periods": [...], "spi": [...], "cpi": [...], "exposure": [...], "rag": [...]}.
    Read from each report's stored snapshot, never recomputed."""
    reports = list(
        StatusReport.objects.filter(program=program, status=ReportStatus.PUBLISHED)
        .order_by("-period")
        .values_list("period", "snapshot")[:weeks]
    )
    trend: dict[str, list] = {"periods": [], "spi": [], "cpi": [], "exposure": [], "rag": []}
    for period, data in reversed(reports):
        if not data:
            continue
        snapshot = from_json(data)
        burn = snapshot.budget
        overall = snapshot.rag_of("overall")
        trend["periods"].append(period)
        trend["spi"].append(_float(burn.spi) if burn else None)
        trend["cpi"].append(_float(burn.cpi) if burn else None)
        trend["exposure"].append(snapshot.risk_exposure)
        trend["rag"].append(overall.rag if overall else "grey")
    return trend
