"""Vendors, their contacts, categories and checklists, and portal users."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_create
from core.permissions import Role
from programs.models import Program, ProgramMembership

from ..models import PortalUser, Vendor
from ._base import check_member, create

__all__ = ["portal_user_bind", "vendor_create"]


@transaction.atomic
def vendor_create(*, actor, program: Program, categories=(), **fields: Any) -> Vendor:
    check_member(program, fields.get("relationship_owner"), "relationship_owner")
    vendor = create(Vendor, actor=actor, program=program, **fields)
    if categories:
        vendor.categories.set(categories)
    return vendor


@transaction.atomic
def portal_user_bind(*, actor, program: Program, user, vendor: Vendor) -> PortalUser:
    """Bind a vendor-role member to the vendor whose portal they will see (one vendor each)."""
    membership = ProgramMembership.objects.filter(program=program, user=user).first()
    if membership is None:
        raise ValidationError({"user": f"{user} is not a member of {program.code}."})
    if membership.role != Role.VENDOR:
        raise ValidationError({"user": "Only members with the vendor role use the vendor portal."})
    if vendor.program_id != program.pk:
        raise ValidationError({"vendor": "That vendor belongs to another program."})
    if PortalUser.objects.filter(membership=membership).exists():
        raise ValidationError({"user": f"{user} is already bound to a vendor."})
    binding = PortalUser(program=program, membership=membership, vendor=vendor)
    binding.full_clean()
    binding.save()
    audit_create(actor=actor, instance=binding)
    return binding
