"""The vendors app's rows for the URL-walking permission test (tests/test_url_permissions.py).

One active vendor with a contract; the site's vendor-role user is bound to it, so every portal
page answers the vendor 200 and the walk proves every internal page refuses it. Each area adds
its rows and expectations in `url_walk_<area>.py` (functions `rows(program, manager, base)`
returning {segment: kwargs}, and ALLOWED_GET / ALLOWED_POST dicts), merged here.
"""

from __future__ import annotations

import importlib

from core.permissions import Role
from programs.models import ProgramMembership
from vendors import services

ROUTE_SEGMENT = "vendors/"
AREAS = ("vendors", "contracts", "deliverables", "performance", "rfp")


def _area_modules():
    modules = []
    for area in AREAS:
        try:
            modules.append(importlib.import_module(f"vendors.tests.url_walk_{area}"))
        except ModuleNotFoundError as error:
            if error.name != f"vendors.tests.url_walk_{area}":
                raise
    return modules


def rows(program, manager) -> dict[str, dict[str, str]]:
    import datetime as dt
    from decimal import Decimal

    vendor = services.vendor_create(
        actor=manager, program=program, name="Northwind", status="active"
    )
    contract = services.contract_create(
        actor=manager,
        program=program,
        vendor=vendor,
        title="SOW 1",
        value=Decimal("1000.00"),
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 12, 18),
        status="active",
        signed_on=dt.date(2026, 1, 5),
    )
    vendor_member = ProgramMembership.objects.filter(program=program, role=Role.VENDOR).first()
    if vendor_member is not None:
        services.portal_user_bind(
            actor=manager, program=program, user=vendor_member.user, vendor=vendor
        )
    base = {"vendor": vendor, "contract": contract}
    values: dict[str, dict[str, str]] = {
        "item": {"key": vendor.key},
        "vendors": {"key": vendor.key},
        "contracts": {"key": contract.key},
    }
    for module in _area_modules():
        values.update(module.rows(program, manager, base))
    return values


ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {}
for _module in _area_modules():
    ALLOWED_GET.update(getattr(_module, "ALLOWED_GET", {}))
    ALLOWED_POST.update(getattr(_module, "ALLOWED_POST", {}))
