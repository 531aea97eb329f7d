"""The releases app's rows for the URL-walking permission test (tests/test_url_permissions.py).

Pages live under /programs/<code>/releases/ and the API under /api/v1/programs/<code>/<area>/, so
the walk gives these rows to every route holding one of ROUTE_SEGMENTS. Each area adds its rows
and expectations in `url_walk_<area>.py` (functions `rows(program, manager, base)` returning
{segment: kwargs}, and ALLOWED_GET / ALLOWED_POST dicts), merged here.
"""

from __future__ import annotations

import importlib

from programs import services as program_services
from releases.tests import factories

ROUTE_SEGMENT = "releases/"
ROUTE_SEGMENTS = (
    "releases/",
    "requirements/",
    "traceability/",
    "backlog/",
    "iterations/",
    "test-cycles/",
    "test-cases/",
    "defects/",
)
AREAS = ("requirements", "traceability", "backlog", "testing", "defects", "releases")


def _area_modules():
    modules = []
    for area in AREAS:
        try:
            modules.append(importlib.import_module(f"releases.tests.url_walk_{area}"))
        except ModuleNotFoundError as error:
            if error.name != f"releases.tests.url_walk_{area}":
                raise
    return modules


def rows(program, manager) -> dict[str, dict[str, str]]:
    # a workstream of its own: the walk deletes the site's workstream, which these rows would keep
    workstream = program_services.workstream_create(
        actor=manager, program=program, name="Releases walk"
    )
    requirement = factories.make_requirement(program, manager, workstream=workstream)
    release = factories.make_release(program, manager)
    cycle = factories.make_cycle(program, manager, release=release)
    case = factories.make_case(program, manager, requirements=[requirement], workstream=workstream)
    cycle_case = factories.plan_case(cycle, case, tester=manager)
    run = factories.record_run(cycle_case, "fail", actor=manager)
    defect = factories.make_defect(
        program, manager, workstream=workstream, requirement=requirement, test_case=case,
        test_run=run, found_in_cycle=cycle, target_release=release,
    )  # fmt: skip
    item = factories.make_backlog_item(program, manager, workstream=workstream)
    iteration = factories.make_iteration(program, manager, workstream=workstream)
    base = {
        "workstream": workstream,
        "requirement": requirement,
        "release": release,
        "cycle": cycle,
        "case": case,
        "cycle_case": cycle_case,
        "run": run,
        "defect": defect,
        "item": item,
        "iteration": iteration,
    }
    values: dict[str, dict[str, str]] = {
        "item": {"key": requirement.key},
        "requirements": {"key": requirement.key},
        "backlog": {"key": item.key},
        "iterations": {"pk": str(iteration.pk), "id": str(iteration.pk)},
        "cycles": {"key": cycle.key},
        "test-cycles": {"key": cycle.key},
        "cases": {"key": case.key},
        "test-cases": {"key": case.key},
        "runs": {"pk": str(run.pk), "id": str(run.pk)},
        "defects": {"key": defect.key},
        "releases": {"key": release.key},
    }
    for module in _area_modules():
        values.update(module.rows(program, manager, base))
    return values


ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {}
for _module in _area_modules():
    ALLOWED_GET.update(getattr(_module, "ALLOWED_GET", {}))
    ALLOWED_POST.update(getattr(_module, "ALLOWED_POST", {}))
