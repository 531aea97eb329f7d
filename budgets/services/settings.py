"""The program's budget settings: thresholds, the invoice approval limit, the monthly export."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_create
from core.errors import Refused
from core.permissions import role_can
from core.versioning import apply_changes
from programs.models import Program

from ..models import BudgetSettings
from .checks import parse_amount
from .variance import _role

FIELDS = (
    "variance_percent",
    "variance_amount",
    "invoice_approval_limit",
    "monthly_export",
    "export_bom",
)
MONEY_FIELDS = ("variance_amount", "invoice_approval_limit")


@transaction.atomic
def budget_settings_update(
    *, actor, program: Program, expected_version: int | None, **changes: Any
) -> BudgetSettings:
    """Change the settings (a program manager or finance). The first save stores the program's
    row (until then the defaults apply, as version 1)."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This setting does not exist."))
    if not role_can(_role(program, actor), "budget.settings"):
        raise Refused("Only a program manager or finance changes the budget settings.")
    for name in MONEY_FIELDS:
        if name in changes:
            changes[name] = parse_amount(changes[name], name)
    # the program's row is locked so that two first saves cannot both create the settings
    Program.objects.select_for_update().filter(pk=program.pk).first()
    row = BudgetSettings.objects.filter(program=program).first()
    if row is None:
        row = BudgetSettings(program=program)
        row.full_clean()
        row.save()
        audit_create(actor=actor, instance=row)
    row.program = program
    return apply_changes(row, actor=actor, changes=changes, expected_version=expected_version)
