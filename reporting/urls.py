"""Reporting pages under /programs/<code>/reports/ (names `reporting:*`), one URL module per area:
status reports, briefing subscriptions and deliveries, KPIs, the program dashboard."""

from __future__ import annotations

import importlib

app_name = "reporting"

# each area's urls_<area>.py
AREAS = ("reports", "delivery", "kpis", "dashboard")


def _area_patterns(package: str) -> list:
    patterns = []
    for area in AREAS:
        name = f"{package}.urls_{area}"
        try:
            patterns.extend(importlib.import_module(name).urlpatterns)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
    return patterns


urlpatterns = _area_patterns("reporting")
