"""What domain API views share: refusals (core.errors.Refused) as 409, optional versions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import APIException

from core.api.serializers import ErrorSerializer
from core.api.versioning import PreconditionRequired, expected_version
from core.errors import Refused

REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="The object's state does not allow this step; `detail` says why. Nothing changed.",
)


class RefusedConflict(APIException):
    status_code = 409
    default_code = "refused"


@contextmanager
def refusals_as_409() -> Iterator[None]:
    """A `Refused` from a service becomes 409 with its reason."""
    try:
        yield
    except Refused as exc:
        raise RefusedConflict(exc.reason) from exc


def optional_version(request) -> int | None:
    """If-Match or `version` when given (then checked), else None: steps need not send one."""
    try:
        return expected_version(request)
    except PreconditionRequired:
        return None
