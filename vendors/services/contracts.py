"""Contracts and SOWs, payment milestones, rate cards and amendments."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from programs.models import Program

from ..models import Contract
from ._base import check_member, check_same_program, create

__all__ = ["contract_create"]


@transaction.atomic
def contract_create(*, actor, program: Program, **fields: Any) -> Contract:
    """A new contract or SOW; its currency defaults to the program's."""
    check_member(program, fields.get("owner"), "owner")
    check_same_program(program, fields.get("vendor"), "vendor")
    parent = fields.get("parent")
    check_same_program(program, parent, "parent")
    if parent is not None and parent.vendor_id != getattr(fields.get("vendor"), "pk", None):
        raise ValidationError({"parent": "A SOW sits under a master agreement of the same vendor."})
    fields.setdefault("currency", program.currency)
    value = fields.get("value")
    fields["current_value"] = value
    fields["current_end_date"] = fields.get("end_date")
    return create(Contract, actor=actor, program=program, **fields)
