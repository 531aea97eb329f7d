"""Demo requirements, backlog, tests, defects and releases for the ERP program (seed_demo): the
rows every area builds on (`demo_base`), then each area's own (`releases/demo_<area>.py`, function
`build(program, ctx)` returning counts), in AREAS order. See demo_base for what ctx holds.
"""

from __future__ import annotations

import importlib

from programs.models import Program

from .models import Requirement

AREAS = ("base", "requirements", "backlog", "testing", "defects", "releases", "traceability")


def _area_modules():
    modules = []
    for area in AREAS:
        try:
            modules.append(importlib.import_module(f"releases.demo_{area}"))
        except ModuleNotFoundError as error:
            if error.name != f"releases.demo_{area}":
                raise
    return modules


def build_demo(program: Program) -> dict | None:
    """The program's demo delivery data; None when it already has some or is not ERP."""
    if program.code != "ERP" or Requirement.objects.filter(program=program).exists():
        return None
    ctx: dict = {}
    counts: dict = {}
    for module in _area_modules():
        counts.update(module.build(program, ctx) or {})
    return counts
