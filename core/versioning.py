"""Optimistic locking: a change based on a stale `version` is refused, showing what changed."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
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
    """Lock the row for this transaction and check that the editor saw its current version.

    The row's forward relations come in the same query (only the row itself is locked), so the
    audit snapshot's display texts cost no further queries."""
    relations = [f.name for f in model._meta.concrete_fields if f.is_relation and f.many_to_one]
    current = (
        model._default_manager.select_for_update(of=("self",)).select_related(*relations).get(pk=pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise StaleVersionError(current=current, expected_version=expected_version)
    return current


def clean_changed(instance: models.Model, changed: list[str]) -> None:
    """`full_clean` for a row read from the database after `changed` were set on it: the fields
    that did not change were valid when stored, so only the changed ones are cleaned (no lookup
    of unchanged foreign keys), `clean()` runs as always, and the unique checks and constraints
    run where they name a changed field, with every field they name (Django skips a constraint
    that names an excluded field)."""
    fields = [f.name for f in instance._meta.concrete_fields]
    tied = set(changed)
    for constraint in instance._meta.constraints:
        names = set(getattr(constraint, "fields", ()) or ())
        condition = getattr(constraint, "condition", None)
        if condition is not None:
            names |= {str(name) for name in condition.referenced_base_fields}
        if names & tied:
            tied |= names
    for together in instance._meta.unique_together:
        if tied & set(together):
            tied |= set(together)
    errors: dict[str, list] = {}
    for step in (
        lambda: instance.clean_fields(exclude=[f for f in fields if f not in changed]),
        instance.clean,
    ):
        try:
            step()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    exclude = {f for f in fields if f not in tied} | set(errors)
    for step in (instance.validate_unique, instance.validate_constraints):
        try:
            step(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def apply_changes(
    instance: models.Model,
    *,
    actor,
    changes: dict[str, Any],
    expected_version: int | None,
    locked: bool = False,
) -> models.Model:
    """Lock, check the version, set the fields, bump the version, save and audit: one service step.

    Callers are services already inside `transaction.atomic()`; one that has just locked the
    row with `lock_current` passes it with `locked=True`. Only what changed is validated again
    (with the constraints that involve it): the rest was valid when it was stored.
    """
    if locked:
        current = instance
    else:
        current = lock_current(type(instance), pk=instance.pk, expected_version=expected_version)
    before = snapshot(current)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, changes[name])
    clean_changed(current, changed)
    current.version += 1
    current.save(update_fields=[*changed, "version", "updated_at"])
    audit_update(actor=actor, instance=current, before=before)
    return current
