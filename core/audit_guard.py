"""Guards that keep writes on audited models inside services.

`QuerySet.update()`, `delete()`, `bulk_create()` and `bulk_update()` skip the audit trail, so on
audited models they raise unless a service has opened `bulk_writes_allowed()` (and then writes the
audit rows itself).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

_bulk_allowed: ContextVar[bool] = ContextVar("audit_bulk_allowed", default=False)


class UnauditedWriteError(RuntimeError):
    pass


@contextmanager
def bulk_writes_allowed():
    token = _bulk_allowed.set(True)
    try:
        yield
    finally:
        _bulk_allowed.reset(token)


def _refuse(operation: str, model) -> None:
    if not _bulk_allowed.get():
        raise UnauditedWriteError(
            f"{model.__name__}.objects.{operation}() bypasses the audit trail; "
            "call the owning app's service instead."
        )


class AuditedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _refuse("update", self.model)
        return super().update(**kwargs)

    def delete(self):
        _refuse("delete", self.model)
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        _refuse("bulk_create", self.model)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        _refuse("bulk_update", self.model)
        return super().bulk_update(objs, *args, **kwargs)
