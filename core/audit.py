"""Writing and reading the audit trail, from services inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditAction, AuditEntry
from .request_context import current_request_id

SKIPPED_FIELDS = {"id", "created_at", "updated_at", "version", "password", "last_login"}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """Field values as JSON: foreign keys as their display text and id, choices as stored values."""
    data: dict[str, Any] = {}
    derived = getattr(instance, "AUDIT_EXCLUDE", ())  # computed columns, not someone's change
    for field in instance._meta.concrete_fields:
        if field.name in SKIPPED_FIELDS or field.name in derived:
            continue
        if field.is_relation:
            raw = getattr(instance, field.attname)
            related = getattr(instance, field.name, None) if raw is not None else None
            data[field.name] = None if raw is None else {"id": _jsonable(raw), "repr": str(related)}
        else:
            data[field.name] = _jsonable(field.value_from_object(instance))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = before.keys() | after.keys()
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def _program_id(instance: models.Model) -> int | None:
    if getattr(instance, "audit_program_id", None) is not None:
        return instance.audit_program_id
    return getattr(instance, "program_id", None)


def _record(*, actor, action: str, instance: models.Model, changes: dict) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=str(actor) if actor is not None and actor.is_authenticated else "system",
        request_id=current_request_id.get(),
        program_id=_program_id(instance),
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:300],
        object_version=getattr(instance, "version", None),
        changes=changes,
    )


def audit_create(*, actor, instance: models.Model) -> AuditEntry:
    after = snapshot(instance)
    return _record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=instance,
        changes={k: [None, v] for k, v in after.items() if v not in (None, "")},
    )


def audit_create_many(*, actor, instances: list[models.Model]) -> None:
    """One creation entry per instance in one INSERT (imports create thousands of rows).

    Related objects should already be attached to the instances, or each snapshot queries them.
    """
    if not instances:
        return
    user = actor if actor is not None and actor.is_authenticated else None
    request_id = current_request_id.get()
    content_type = ContentType.objects.get_for_model(instances[0], for_concrete_model=True)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=user,
                actor_name=str(user) if user else "system",
                request_id=request_id,
                program_id=_program_id(instance),
                action=AuditAction.CREATE,
                content_type=content_type,
                object_id=str(instance.pk),
                object_repr=str(instance)[:300],
                object_version=getattr(instance, "version", None),
                changes={
                    k: [None, v] for k, v in snapshot(instance).items() if v not in (None, "")
                },
            )
            for instance in instances
        ],
        batch_size=1000,
    )


def audit_update(*, actor, instance: models.Model, before: dict[str, Any]) -> AuditEntry | None:
    changes = diff(before, snapshot(instance))
    if not changes:
        return None
    return _record(actor=actor, action=AuditAction.UPDATE, instance=instance, changes=changes)


def audit_delete(*, actor, instance: models.Model) -> AuditEntry:
    before = snapshot(instance)
    return _record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=instance,
        changes={k: [v, None] for k, v in before.items() if v not in (None, "")},
    )


def history_for_object(instance: models.Model):
    ct = ContentType.objects.get_for_model(instance, for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(instance.pk)).select_related(
        "content_type"
    )
