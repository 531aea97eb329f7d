"""Reads of the reporting app; the shared ones live in `common`, each area's in its own module."""

from .common import briefing_snapshot, report_settings, thresholds_of

__all__ = ["briefing_snapshot", "report_settings", "thresholds_of"]
