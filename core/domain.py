"""The steps every domain service shares: keyed create, versioned update, checked delete.

Each public service (vendors, budgets ...) is `transaction.atomic`, validates before it writes,
records an audit entry for every row it creates, changes or deletes, and refuses a stale version
with `core.versioning.StaleVersionError` (409/412 in the API, a "changed meanwhile" form in the UI).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from core.audit import audit_create, audit_delete
from core.keys import allocate_number
from core.versioning import apply_changes, lock_current
from programs.models import Program, ProgramMembership

T = TypeVar("T", bound=models.Model)


def check_member(program: Program, user, field: str) -> None:
    """Refuse a person who is not a member of the program (owners, reviewers, evaluators)."""
    if (
        user is not None
        and not ProgramMembership.objects.filter(program=program, user=user).exists()
    ):
        raise ValidationError({field: f"{user} is not a member of {program.code}."})


def check_same_program(program: Program, obj, field: str) -> None:
    """Refuse a reference to a row of another program (a vendor, contract, WBS item ...)."""
    if obj is not None and getattr(obj, "program_id", program.pk) != program.pk:
        raise ValidationError({field: "That belongs to another program."})


def create(model: type[T], *, actor, program: Program, **fields: Any) -> T:
    """Validate, allocate the per-program key if the model has one, save and audit."""
    row = model(program=program, **fields)
    keyed = hasattr(model, "KEY_PREFIX") and any(f.name == "key" for f in model._meta.fields)
    row.full_clean(exclude=["key", "number"] if keyed else None)
    if keyed:
        row.number = allocate_number(program_id=program.pk, prefix=model.KEY_PREFIX)
        row.key = f"{model.KEY_PREFIX}-{row.number}"
    row.save()
    audit_create(actor=actor, instance=row)
    return row


def update(row: T, *, actor, expected_version: int | None, **changes: Any) -> T:
    """Lock, check the version, change only what differs, validate it, save and audit."""
    return apply_changes(row, actor=actor, changes=changes, expected_version=expected_version)


def delete(row: T, *, actor, expected_version: int | None) -> None:
    current = lock_current(type(row), pk=row.pk, expected_version=expected_version)
    audit_delete(actor=actor, instance=current)
    current.delete()
