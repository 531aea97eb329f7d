"""Contracts with amendments, milestones and rates for the contracts tests (through services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from governance.tests.factories_changes import Cast, make_cast
from vendors.models import Deliverable, Vendor
from vendors.services import _base
from vendors.services import contracts as services
from vendors.tests import factories
from vendors.tests.factories import make_vendor


def contract_cast(code: str = "ERP") -> Cast:
    """A program with every role (see governance's make_cast)."""
    return make_cast(code)


def make_contract(program, vendor=None, actor=None, **fields):
    """A contract with the program's first vendor (vendor names are unique per program)."""
    if vendor is None:
        vendor = Vendor.objects.filter(program=program).order_by("pk").first()
    return factories.make_contract(program, vendor, actor=actor, **fields)


def amend(contract, actor, value_change="0.00", new_end_date=None, **fields):
    fields.setdefault("title", "Change")
    fields.setdefault("reason", "Agreed with the vendor.")
    fields.setdefault("effective_on", dt.date(2026, 6, 1))
    return services.amendment_create(
        actor=actor,
        contract=contract,
        value_change=Decimal(value_change),
        new_end_date=new_end_date,
        **fields,
    )


def milestone(contract, actor, amount="100.00", **fields):
    fields.setdefault("title", "Design signed off")
    fields.setdefault("due_date", dt.date(2026, 6, 30))
    return services.milestone_create(
        actor=actor, contract=contract, amount=Decimal(amount), **fields
    )


def deliverable(contract, actor, **fields) -> Deliverable:
    """A deliverable row (the deliverables area has its own services; this is enough here)."""
    fields.setdefault("title", "Blueprint")
    fields.setdefault("due_date", dt.date(2026, 5, 29))
    return _base.create(
        Deliverable,
        actor=actor,
        program=contract.program,
        contract=contract,
        vendor=contract.vendor,
        **fields,
    )


__all__ = [
    "amend",
    "contract_cast",
    "deliverable",
    "make_contract",
    "make_vendor",
    "milestone",
]
