"""Demo vendors for the ERP program (seed_demo): the vendors and contracts every area builds on,
then each area's own demo rows (`vendors/demo_<area>.py`, function `build(program, ctx)`).

Four vendors in different states: Northwind Consulting (active, the systems integrator; the demo
user vendor@example.com sees its portal), Contoso Data Services (active, data migration),
Fabrikam Cloud (suspended, hosting, with SLA breaches), Litware Training (offboarded); and two
prospects that answered the integration-platform RFP (Tailspin Integration, Adatum Systems).
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

from core.permissions import Role
from programs.models import Program, ProgramMembership

from . import services
from .demo_contracts import SIGNED
from .models import Vendor

AREAS = ("vendors", "contracts", "deliverables", "performance", "rfp")

VENDORS = [
    # slug, name, legal entity, status
    ("northwind", "Northwind Consulting", "Northwind Consulting GmbH", "active"),
    ("contoso", "Contoso Data Services", "Contoso Data Services Ltd", "active"),
    ("fabrikam", "Fabrikam Cloud", "Fabrikam Cloud B.V.", "suspended"),
    ("litware", "Litware Training", "Litware Learning S.A.", "offboarded"),
    ("tailspin", "Tailspin Integration", "Tailspin Integration AG", "prospect"),
    ("adatum", "Adatum Systems", "Adatum Systems Inc.", "prospect"),
]

CONTRACTS = [
    # slug, vendor, kind, parent slug, title, type, value, start, end, status, po
    ("nw_msa", "northwind", "master", None, "Master services agreement", "time_materials",
     "0.00", (2025, 11, 3), (2028, 6, 30), "active", ""),
    ("nw_sow1", "northwind", "sow", "nw_msa", "SOW 1: Design and build, Finance & Controlling",
     "fixed_price", "1840000.00", (2026, 1, 5), (2027, 3, 31), "active", "PO-4500018812"),
    ("nw_sow2", "northwind", "sow", "nw_msa", "SOW 2: Hypercare and application support",
     "time_materials", "420000.00", (2027, 2, 1), (2027, 9, 30), "draft", ""),
    ("ct_sow", "contoso", "sow", None, "Data migration services: three mock loads and cut-over",
     "time_materials", "615000.00", (2026, 2, 2), (2027, 2, 26), "active", "PO-4500019020"),
    ("fb_hosting", "fabrikam", "order", None, "Managed hosting of the S/4HANA landscape",
     "retainer", "288000.00", (2026, 1, 1), (2027, 12, 31), "on_hold", "PO-4500017734"),
    ("lw_training", "litware", "sow", None, "Key-user training, wave 0 pilot",
     "fixed_price", "64000.00", (2025, 9, 1), (2026, 3, 31), "completed", "PO-4500016001"),
]  # fmt: skip


def _area_modules():
    modules = []
    for area in AREAS:
        try:
            modules.append(importlib.import_module(f"vendors.demo_{area}"))
        except ModuleNotFoundError as error:
            if error.name != f"vendors.demo_{area}":
                raise
    return modules


def build_demo(program: Program) -> dict | None:
    """The program's demo vendors; None when it already has vendors or is not ERP."""
    if program.code != "ERP" or Vendor.objects.filter(program=program).exists():
        return None
    manager = (
        ProgramMembership.objects.filter(program=program, role=Role.MANAGER)
        .select_related("user")
        .first()
        .user
    )
    ctx: dict = {"manager": manager, "vendors": {}, "contracts": {}}
    for slug, name, legal, status in VENDORS:
        ctx["vendors"][slug] = services.vendor_create(
            actor=manager,
            program=program,
            name=name,
            legal_entity=legal,
            status=status,
            relationship_owner=manager,
        )
    for slug, vendor, kind, parent, title, kind_of, value, start, end, status, po in CONTRACTS:
        ctx["contracts"][slug] = services.contract_create(
            actor=manager,
            program=program,
            vendor=ctx["vendors"][vendor],
            kind=kind,
            parent=ctx["contracts"].get(parent),
            title=title,
            contract_type=kind_of,
            value=Decimal(value),
            start_date=dt.date(*start),
            end_date=dt.date(*end),
            status=status,
            signed_on=SIGNED.get(slug),
            po_number=po,
            owner=manager,
        )
    vendor_user = ProgramMembership.objects.filter(
        program=program, user__email="vendor@example.com", role=Role.VENDOR
    ).first()
    if vendor_user is not None:
        services.portal_user_bind(
            actor=manager,
            program=program,
            user=vendor_user.user,
            vendor=ctx["vendors"]["northwind"],
        )
    counts = {"vendors": len(ctx["vendors"]), "contracts": len(ctx["contracts"])}
    for module in _area_modules():
        counts.update(module.build(program, ctx) or {})
    return counts
