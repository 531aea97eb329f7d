"""Shared serializers, and `RowSerializer`, the fast base list endpoints use.

List endpoints serve 100 rows a page. A `RowSerializer` declares its fields (input validation
and the OpenAPI schema) and maps one flat row to JSON in `represent_row`. List pages fetch those
rows with `queryset.values(*row_fields)` (see `core.api.views.RowListMixin`): no model
instances, no per-field machinery, no query per row. A single object (detail, write responses)
is turned into the same row by following `row_fields` on the instance, so both paths give the
same JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from rest_framework import serializers


def format_datetime(value: dt.datetime | None, zone: dt.tzinfo | None = None) -> str | None:
    """The same text as DRF's DateTimeField: ISO 8601 in the current zone, `Z` for UTC.

    Pass `zone` (the current time zone, looked up once) when formatting many values.
    """
    if value is None:
        return None
    if zone is None:
        zone = timezone.get_current_timezone()
    if value.utcoffset() or zone.utcoffset(value):  # UTC in and out (the usual case) skips this
        value = value.astimezone(zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def format_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _follow(instance: Any, path: str) -> Any:
    value = instance
    for name in path.split("__"):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


class RowSerializer(serializers.Serializer):
    """Output from a flat row (`row_fields`, as `QuerySet.values()` names them).

    Subclasses set `row_fields` and write `represent_row(row)`; `self.format_datetime()` looks
    the time zone up once per serializer (the child of a list serializer serves every row).
    """

    row_fields: tuple[str, ...] = ()
    # Extra expressions for list rows only, e.g. a JSON column fetched as text to embed as is.
    row_extra: dict[str, Any] = {}

    def instance_row(self, instance: Any) -> dict[str, Any]:
        return {path: _follow(instance, path) for path in self.row_fields}

    def represent_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row as it is (its keys are the output's); subclasses shape nested or formatted
        values here."""
        return dict(row)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        row = instance if isinstance(instance, dict) else self.instance_row(instance)
        return self.represent_row(row)

    def format_datetime(self, value: dt.datetime | None) -> str | None:
        zone = self.__dict__.get("_zone")
        if zone is None:
            zone = self._zone = timezone.get_current_timezone()
        return format_datetime(value, zone)


def user_ref(user_id: int | None, full_name: str | None) -> dict[str, Any] | None:
    return None if user_id is None else {"id": user_id, "full_name": full_name}


class UserRefSerializer(serializers.Serializer):
    """A person as other objects point at them (sponsor, lead, owner): `{id, full_name}`."""

    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(read_only=True)

    def to_representation(self, instance):
        return None if instance is None else user_ref(instance.pk, instance.full_name)


class ErrorSerializer(serializers.Serializer):
    """Any refusal that is not about fields: 401, 403, 404, 405, 409, 428."""

    detail = serializers.CharField()
