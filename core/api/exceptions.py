"""API errors: always a JSON body with a reason, never an HTML 500 page for bad input.

- Django `ValidationError` from services/models -> 400 `{field: [messages]}` (`__all__` and
  plain messages become `non_field_errors`).
- `StaleVersionError` from services -> 412 with the current object (see `core.api.versioning`).
- `IntegrityError` (two requests racing past a uniqueness check) and a deadlock or
  serialization failure between two writers -> 409 with a reason (retrying is safe).
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.versioning import StaleVersionError

from .versioning import stale_version_response

log = logging.getLogger(__name__)

# PostgreSQL: deadlock_detected, serialization_failure. The transaction was rolled back whole.
_RETRYABLE_PGCODES = {"40P01", "40001"}


def _is_write_conflict(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return isinstance(exc, OperationalError) and (
        getattr(exc.__cause__, "pgcode", None) in _RETRYABLE_PGCODES
    )


def validation_error_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    detail = exc.message_dict
    if NON_FIELD_ERRORS in detail:
        detail["non_field_errors"] = detail.pop(NON_FIELD_ERRORS)
    return detail


def exception_handler(exc, context):
    if isinstance(exc, StaleVersionError) and context.get("view") is not None:
        response = stale_version_response(exc, context["view"])
        set_rollback()
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif _is_write_conflict(exc):
        log.warning("Write conflict answered with 409: %s", exc)
        set_rollback()
        return Response(
            {"detail": "This conflicts with a change saved at the same moment; reload and retry."},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response
