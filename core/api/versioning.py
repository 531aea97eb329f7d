"""Optimistic locking over HTTP: `ETag: "<version>"` out, `If-Match` (or a `version` field) in.

A write must say which version the client edited: `If-Match: "3"` (a weak `W/"3"` and a bare
`3` are accepted too) or `{"version": 3}` in the body. Neither -> 428; a version that moved on
-> the service raises `core.versioning.StaleVersionError` -> 412 with the current object and
what changed meanwhile (built by `stale_version_response`, called from the exception handler).
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from core.versioning import StaleVersionError

_ETAG_RE = re.compile(r'^(?:W/)?(?:"(\d{1,10})"|(\d{1,10}))$')
_VERSION_FIELD = serializers.IntegerField(min_value=1)


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        'Say which version you edited: send the ETag you read as If-Match (If-Match: "3") '
        'or the "version" field, so that changes made meanwhile are not overwritten.'
    )
    default_code = "precondition_required"


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version in an If-Match header; None when absent. `*` and lists are refused."""
    if header is None or not header.strip():
        return None
    value = header.strip()
    if value == "*":
        raise PreconditionRequired(
            'If-Match: * would overwrite changes made meanwhile; send the ETag you read, e.g. "3".'
        )
    match = _ETAG_RE.match(value)
    if match is None:
        raise ValidationError(
            {"If-Match": [f'Send one ETag as read from this API, e.g. "3" (got {value[:40]!r}).']}
        )
    return int(match.group(1) or match.group(2))


def _body_version(data: Any) -> int | None:
    if not hasattr(data, "get"):
        return None
    raw = data.get("version")
    if raw is None or raw == "":
        return None
    try:
        return _VERSION_FIELD.run_validation(raw)
    except ValidationError as exc:
        raise ValidationError({"version": exc.detail}) from None


def expected_version(request) -> int:
    """The version the client based its write on: If-Match, else the body's `version`.

    Raises 428 when neither is given and 400 when they are malformed or disagree.
    """
    from_header = parse_if_match(request.headers.get("If-Match"))
    from_body = _body_version(request.data)
    if from_header is not None and from_body is not None and from_header != from_body:
        raise ValidationError(
            {"version": [f"It says {from_body} but If-Match says {from_header}; send one version."]}
        )
    version = from_header if from_header is not None else from_body
    if version is None:
        raise PreconditionRequired()
    return version


def stale_version_data(exc: StaleVersionError, *, current: dict[str, Any]) -> dict[str, Any]:
    return {
        "detail": str(exc),
        "current": current,
        "changed_fields": exc.changed_fields,
        "changed_by": exc.changed_by,
    }


def stale_version_response(exc: StaleVersionError, view) -> Response:
    """412 with the current object as the view serializes it, plus what changed meanwhile."""
    if hasattr(view, "serialize_current"):
        current = view.serialize_current(exc.current)
    else:
        current = view.get_serializer(exc.current).data
    response = Response(
        stale_version_data(exc, current=current), status=status.HTTP_412_PRECONDITION_FAILED
    )
    response["ETag"] = etag(exc.current.version)
    return response


class VersionedMixin:
    """For viewsets of versioned rows: ETag on single-object responses, the version of a write.

    `self.expected_version()` in update/destroy gives the version to hand to the service
    (`expected_version=`); single-object 200/201 responses whose body has `version` get the ETag.
    Override `serialize_current(instance)` when the 412 body needs a different serializer.
    """

    def expected_version(self) -> int:
        return expected_version(self.request)

    def serialize_current(self, instance) -> dict[str, Any]:
        return self.get_serializer(instance).data

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if (
            response.status_code in (status.HTTP_200_OK, status.HTTP_201_CREATED)
            and getattr(self, "action", None) != "list"
            and isinstance(data, dict)
            and isinstance(data.get("version"), int)
            and not response.has_header("ETag")
        ):
            response["ETag"] = etag(data["version"])
        return response


class ServiceUpdateMixin:
    """PUT and PATCH through a versioned service: validate, pass `expected_version`, answer.

    Set `update_target` (the service's keyword for the object, e.g. "workstream") and write
    `update_service(self, **kwargs)` calling the app's service. Use with `VersionedMixin`.
    """

    update_target: str = ""
    update_service: Any  # a method the viewset writes: (**kwargs) -> the updated object

    def update(self, request, *args, partial: bool = False, **kwargs):
        instance = self.get_object()
        version = self.expected_version()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        updated = self.update_service(
            actor=request.user,
            expected_version=version,
            **{self.update_target: instance},
            **serializer.validated_data,
        )
        return Response(self.get_serializer(updated).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)
