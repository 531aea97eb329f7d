"""Per-program report settings: the RAG thresholds (reporting/rag.py's `Thresholds`)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from programs.models import Program, ProgramOwnedModel

from .. import rag

__all__ = ["ReportSettings"]

THRESHOLD_FIELDS = tuple(f.name for f in rag.Thresholds.__dataclass_fields__.values())


def _ratio(verbose, default):
    return models.DecimalField(
        verbose, max_digits=4, decimal_places=2, default=Decimal(default),
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip


def _percent(verbose, default):
    return models.DecimalField(
        verbose, max_digits=6, decimal_places=2, default=Decimal(default),
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip


def _count(verbose, default):
    return models.PositiveIntegerField(verbose, default=default)


class ReportSettings(ProgramOwnedModel):
    """One row per program, created on first use with rag.Thresholds' defaults.

    Amber and red begin at these values (met at equality on the bad side): an index below its
    amber value is amber, below its red value red; a count or amount at or above its value.
    """

    program = models.OneToOneField(
        Program, on_delete=models.PROTECT, related_name="report_settings"
    )
    spi_amber = _ratio("SPI amber below", "0.95")
    spi_red = _ratio("SPI red below", "0.90")
    slipped_amber = _count("slipped milestones amber from", 1)
    slipped_red = _count("slipped milestones red from", 3)
    cpi_amber = _ratio("CPI amber below", "0.95")
    cpi_red = _ratio("CPI red below", "0.90")
    overrun_amber = _percent("forecast overrun amber from (%)", "5")
    overrun_red = _percent("forecast overrun red from (%)", "10")
    open_changes_amber = _count("open change requests amber from", 5)
    open_changes_red = _count("open change requests red from", 10)
    overdue_changes_amber = _count("overdue change requests amber from", 1)
    overdue_changes_red = _count("overdue change requests red from", 3)
    exposure_amber = _percent("risk exposure amber from", "60")
    exposure_red = _percent("risk exposure red from", "120")
    new_high_risks_amber = _count("new high risks amber from", 1)
    new_high_risks_red = _count("new high risks red from", 3)
    sev1_red = _count("open severity-1 defects red from", 1)
    sev2_amber = _count("open severity-2 defects amber from", 1)
    sev2_red = _count("open severity-2 defects red from", 5)

    class Meta:
        verbose_name_plural = "report settings"

    def __str__(self) -> str:
        return f"Report settings of {self.program_id}"

    def thresholds(self) -> rag.Thresholds:
        return rag.Thresholds(**{name: getattr(self, name) for name in THRESHOLD_FIELDS})
