"""Optimistic locking: a change based on a stale `version` is refused, showing what changed."""

from __future__ import annotations

from typing import Any

from django.db import models

from .audit import audit_update, history_for_object, snapshot


class StaleVersionError(Exception):
    """Raised when the row moved on since the editor loaded it."""

    def __init__(self, *, current: models.Model, expected_version: int):
        self.current = current
        self.expected_version = expected_version
        self.entries = list(
            history_for_object(current).filter(object_version__gt=expected_version).order_by("id")
        )
        super().__init__(
            f"{current} was changed by someone else (your version {expected_version}, "
            f"current version {current.version})."
        )

    @property
    def changed_fields(self) -> dict[str, list[Any]]:
        """Field -> [value the editor saw, value now], merged over every intervening change."""
        merged: dict[str, list[Any]] = {}
        for entry in self.entries:
            for field, (before, after) in entry.changes.items():
                merged.setdefault(field, [before, after])[1] = after
        return merged

    @property
    def changed_by(self) -> list[str]:
        return sorted({e.actor_name for e in self.entries})


def lock_current(model: type[models.Model], *, pk: Any, expected_version: int | None):
    """Lock the row for this transaction and check that the editor saw its current version."""
    current = model._default_manager.select_for_update().get(pk=pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersionError(current=current, expected_version=expected_version)
    return current


def apply_changes(
    instance: models.Model, *, actor, changes: dict[str, Any], expected_version: int | None
) -> models.Model:
    """Lock, check the version, set the fields, bump the version, save and audit: one service step.

    Callers are services already inside `transaction.atomic()`.
    """
    current = lock_current(type(instance), pk=instance.pk, expected_version=expected_version)
    before = snapshot(current)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, changes[name])
    current.full_clean()
    current.version += 1
    current.save(update_fields=[*changed, "version", "updated_at"])
    audit_update(actor=actor, instance=current, before=before)
    return current
