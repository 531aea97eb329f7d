"""OpenAPI pieces every API app uses: error bodies, If-Match/ETag headers, 412/428 responses.

Decorate viewset actions with the `*_schema()` helpers so each operation documents the same
refusals the code gives: 400 field errors, 401, 403 (role), 404 (not a member / no such object),
412 (stale version, with the current object) and 428 (no version sent).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from .serializers import ErrorSerializer

IF_MATCH = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        'The ETag of the version you edited, e.g. `"3"` (`W/"3"` and `3` are accepted). '
        "Required unless the body carries `version`; without either the answer is 428, with an "
        "outdated one 412."
    ),
)
ETAG = OpenApiParameter(
    name="ETag",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description='The current version of the object, e.g. `"3"`; send it back as If-Match.',
)

VALIDATION_ERROR = OpenApiResponse(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "example": {"name": ["This field is required."]},
    },
    description="Bad input: `{field: [messages]}`; `non_field_errors` for the object as a whole.",
)
UNAUTHORIZED = OpenApiResponse(ErrorSerializer, description="Not signed in (no or a bad token).")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Your role does not allow this.")
NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No such object, or a program you are not a member of (the two look the same).",
)
PRECONDITION_REQUIRED = OpenApiResponse(
    ErrorSerializer, description="Neither `If-Match` nor `version` was sent."
)
CONFLICT = OpenApiResponse(
    ErrorSerializer, description="A concurrent change got there first; reload and retry."
)

_stale_serializers: dict[type, serializers.Serializer] = {}


def stale_version_serializer(serializer_class: type[serializers.Serializer]):
    """The 412 body for objects serialized by `serializer_class` (one component per class)."""
    if serializer_class not in _stale_serializers:
        name = serializer_class.__name__.removesuffix("Serializer")
        _stale_serializers[serializer_class] = inline_serializer(
            name=f"Stale{name}",
            fields={
                "detail": serializers.CharField(),
                "current": serializer_class(),
                "changed_fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.JSONField()),
                    help_text="{field: [value you saw, value now]} over every change since.",
                ),
                "changed_by": serializers.ListField(
                    child=serializers.CharField(), help_text="Who changed it since."
                ),
            },
        )
    return _stale_serializers[serializer_class]


def stale_response(serializer_class) -> OpenApiResponse:
    return OpenApiResponse(
        stale_version_serializer(serializer_class),
        description="The object changed since the version you sent; nothing was saved.",
    )


def list_schema(serializer_class, *, parameters=(), **kwargs: Any):
    return extend_schema(
        parameters=[*parameters],
        responses={
            200: serializer_class(many=True),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        **kwargs,
    )


def retrieve_schema(serializer_class, *, parameters=(), **kwargs: Any):
    return extend_schema(
        parameters=[*parameters, ETAG],
        responses={200: serializer_class, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
        **kwargs,
    )


def create_schema(serializer_class, *, request=None, parameters=(), **kwargs: Any):
    return extend_schema(
        parameters=[*parameters, ETAG],
        request=request or serializer_class,
        responses={
            201: serializer_class,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        **kwargs,
    )


def update_schema(serializer_class, *, request=None, parameters=(), **kwargs: Any):
    return extend_schema(
        parameters=[*parameters, IF_MATCH, ETAG],
        request=request or serializer_class,
        responses={
            200: serializer_class,
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
            412: stale_response(serializer_class),
            428: PRECONDITION_REQUIRED,
        },
        **kwargs,
    )


def destroy_schema(serializer_class, *, parameters=(), **kwargs: Any):
    return extend_schema(
        parameters=[*parameters, IF_MATCH],
        request=None,
        responses={
            204: OpenApiResponse(description="Deleted."),
            400: VALIDATION_ERROR,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            412: stale_response(serializer_class),
            428: PRECONDITION_REQUIRED,
        },
        **kwargs,
    )
