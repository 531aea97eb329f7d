"""Vendors and contracts for tests, created through the services (keyed and audited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from core.permissions import Role
from programs.tests.factories import manager_of, member
from vendors import services
from vendors.models import Contract, PortalUser, Vendor


def make_vendor(program, actor=None, **fields: Any) -> Vendor:
    fields.setdefault("name", "Northwind Consulting")
    fields.setdefault("status", "active")
    return services.vendor_create(actor=actor or manager_of(program), program=program, **fields)


def make_contract(program, vendor=None, actor=None, **fields: Any) -> Contract:
    fields.setdefault("title", "SOW 1: Finance build")
    fields.setdefault("value", Decimal("120000.00"))
    fields.setdefault("start_date", dt.date(2026, 1, 5))
    fields.setdefault("end_date", dt.date(2026, 12, 18))
    fields.setdefault("status", "active")
    if fields["status"] != "draft":
        fields.setdefault("signed_on", fields["start_date"])
    return services.contract_create(
        actor=actor or manager_of(program),
        program=program,
        vendor=vendor or make_vendor(program),
        **fields,
    )


def make_portal_user(program, vendor, user=None) -> PortalUser:
    """Bind `user` (default: a new vendor-role member) to `vendor`."""
    if user is None:
        user = member(program, role=Role.VENDOR).user
    return services.portal_user_bind(
        actor=manager_of(program), program=program, user=user, vendor=vendor
    )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)
