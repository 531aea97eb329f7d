"""Audit entries that carry more than the row's own columns: a request's affected WBS items, a
decision's links, a transition's comment. `core.audit` snapshots concrete fields only, so the
governance services add these as extra `{name: [before, after]}` pairs in the same entry."""

from __future__ import annotations

from typing import Any

from django.db import models

from core.audit import _record, diff, snapshot
from core.models import AuditAction


def audit_create_with(*, actor, instance: models.Model, extra: dict[str, Any]) -> None:
    """The creation entry, with `extra` values (e.g. `{"affected_items": ["TSK-3"]}`) added."""
    values = {**snapshot(instance), **extra}
    _record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=instance,
        changes={k: [None, v] for k, v in values.items() if v not in (None, "", [])},
    )


def audit_update_with(
    *, actor, instance: models.Model, before: dict[str, Any], extra: dict[str, list[Any]]
) -> None:
    """The update entry: the changed columns plus `extra` `{name: [before, after]}` pairs (pairs
    whose two sides are equal are left out). Nothing is written when nothing changed."""
    changes = diff(before, snapshot(instance))
    changes.update({k: pair for k, pair in extra.items() if pair[0] != pair[1]})
    if changes:
        _record(actor=actor, action=AuditAction.UPDATE, instance=instance, changes=changes)
