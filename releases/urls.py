"""Release pages under /programs/<code>/releases/ (names `releases:*`), one URL module per area."""

from __future__ import annotations

import importlib

app_name = "releases"

# each area's urls_<area>.py
AREAS = ("requirements", "traceability", "backlog", "testing", "defects", "releases")


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


urlpatterns = _area_patterns("releases")
