"""Budget pages under /programs/<code>/budget/ (names `budgets:*`), one URL module per area."""

from __future__ import annotations

import importlib

app_name = "budgets"

# each area's urls_<area>.py; lines (its <str:key>/ routes would shadow the others) goes last
AREAS = (
    "overview",
    "plan",
    "forecasts",
    "actuals",
    "invoices",
    "variance",
    "evm",
    "exports",
    "lines",
)


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


urlpatterns = _area_patterns("budgets")
