"""The budgets app's rows for the URL-walking permission test (tests/test_url_permissions.py).

One category, one budget line with a planned month, on the walk's vendor contract (vendors'
walk binds the site's vendor-role user to that vendor, so the invoice portal answers it 200 and
the walk proves every internal budget page refuses it). Each area adds its rows and expectations
in `url_walk_<area>.py` (functions `rows(program, manager, base)` returning {segment: kwargs},
and ALLOWED_GET / ALLOWED_POST dicts), merged here.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

from budgets.services import structure
from programs import services as program_services
from vendors.models import Contract, PortalUser

ROUTE_SEGMENT = "budget/"
AREAS = ("overview", "plan", "forecasts", "actuals", "invoices", "variance", "evm", "exports")


def _area_modules():
    modules = []
    for area in AREAS:
        try:
            modules.append(importlib.import_module(f"budgets.tests.url_walk_{area}"))
        except ModuleNotFoundError as error:
            if error.name != f"budgets.tests.url_walk_{area}":
                raise
    return modules


def rows(program, manager) -> dict[str, dict[str, str]]:
    portal = PortalUser.objects.filter(program=program).select_related("vendor").first()
    contract = (
        Contract.objects.filter(program=program, vendor=portal.vendor).first() if portal else None
    )
    category = structure.category_create(
        actor=manager, program=program, name="Vendor services", kind="vendor", expense_type="capex"
    )
    line = structure.line_create(
        actor=manager,
        program=program,
        # a workstream of its own: the walk deletes the site's workstream, which a budget
        # line would keep (a workstream in use is refused)
        workstream=program_services.workstream_create(
            actor=manager, program=program, name="Budget walk"
        ),
        category=category,
        name="Northwind SOW 1",
        owner=manager,
        contract=contract,
    )
    month = max(program.start_date, dt.date(2026, 1, 1)).replace(day=1)
    structure.plan_set(actor=manager, line=line, month=month, amount=Decimal("1000.00"))
    base = {"category": category, "line": line, "contract": contract, "month": month}
    values: dict[str, dict[str, str]] = {
        "item": {"key": line.key},
        "lines": {"key": line.key},
        "categories": {"pk": str(category.pk)},
    }
    for module in _area_modules():
        values.update(module.rows(program, manager, base))
    return values


ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {}
for _module in _area_modules():
    ALLOWED_GET.update(getattr(_module, "ALLOWED_GET", {}))
    ALLOWED_POST.update(getattr(_module, "ALLOWED_POST", {}))
