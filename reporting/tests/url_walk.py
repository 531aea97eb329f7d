"""The reporting app's rows for the URL-walking permission test (tests/test_url_permissions.py).

Pages live under /programs/<code>/reports/ and the API under /api/v1/programs/<code>/<area>/, so
the walk gives these rows to every route holding one of ROUTE_SEGMENTS. Each area adds its rows
and expectations in `url_walk_<area>.py` (functions `rows(program, manager, base)` returning
{segment: kwargs}, and ALLOWED_GET / ALLOWED_POST dicts), merged here.
"""

from __future__ import annotations

import importlib

from reporting.tests import factories

ROUTE_SEGMENT = "reports/"
ROUTE_SEGMENTS = ("reports/", "subscriptions/", "deliveries/", "kpis/", "dashboard/")
AREAS = ("reports", "delivery", "kpis", "dashboard")


def _area_modules():
    modules = []
    for area in AREAS:
        try:
            modules.append(importlib.import_module(f"reporting.tests.url_walk_{area}"))
        except ModuleNotFoundError as error:
            if error.name != f"reporting.tests.url_walk_{area}":
                raise
    return modules


def rows(program, manager) -> dict[str, dict[str, str]]:
    report = factories.make_report(program, manager)
    subscription = factories.make_subscription(program, manager, users=[manager])
    kpi = factories.make_kpi(program, manager)
    base = {"report": report, "subscription": subscription, "kpi": kpi}
    values: dict[str, dict[str, str]] = {
        "item": {"period": report.period},
        "reports": {"period": report.period},
        "subscriptions": {"pk": str(subscription.pk), "id": str(subscription.pk)},
        "kpis": {"key": kpi.key},
    }
    for module in _area_modules():
        values.update(module.rows(program, manager, base))
    return values


ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {}
for _module in _area_modules():
    ALLOWED_GET.update(getattr(_module, "ALLOWED_GET", {}))
    ALLOWED_POST.update(getattr(_module, "ALLOWED_POST", {}))
