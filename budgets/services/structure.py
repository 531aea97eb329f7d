"""Budget structure: cost categories, budget lines and the planned amount per line and month."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_create, audit_delete, audit_update, snapshot
from core.domain import check_member, check_same_program, create
from programs.models import Program

from ..models import BudgetLine, CostCategory, PlanAmount
from .checks import check_month, parse_amount


@transaction.atomic
def category_create(*, actor, program: Program, **fields: Any) -> CostCategory:
    return create(CostCategory, actor=actor, program=program, **fields)


@transaction.atomic
def line_create(*, actor, program: Program, **fields: Any) -> BudgetLine:
    check_same_program(program, fields.get("workstream"), "workstream")
    check_same_program(program, fields.get("category"), "category")
    check_same_program(program, fields.get("vendor"), "vendor")
    check_same_program(program, fields.get("contract"), "contract")
    check_member(program, fields.get("owner"), "owner")
    contract = fields.get("contract")
    if contract is not None and fields.get("vendor") is None:
        fields["vendor"] = contract.vendor
    elif contract is not None and contract.vendor_id != fields["vendor"].pk:
        raise ValidationError({"contract": "That contract is with another vendor."})
    return create(BudgetLine, actor=actor, program=program, **fields)


@transaction.atomic
def plan_set(*, actor, line: BudgetLine, month: dt.date, amount) -> PlanAmount | None:
    """Set the original plan of `line` in `month` (0 removes the cell). Audited per cell."""
    program = line.program
    month = check_month(program, month)
    amount = parse_amount(amount, "amount")
    cell = PlanAmount.objects.select_for_update().filter(line=line, month=month).first()
    if cell is None:
        if not amount:
            return None
        cell = PlanAmount(program=program, line=line, month=month, amount=amount)
        cell.save()
        audit_create(actor=actor, instance=cell)
        return cell
    if not amount:
        audit_delete(actor=actor, instance=cell)
        cell.delete()
        return None
    if cell.amount != amount:
        before = snapshot(cell)
        cell.amount = amount
        cell.version += 1
        cell.save(update_fields=["amount", "version", "updated_at"])
        audit_update(actor=actor, instance=cell, before=before)
    return cell
