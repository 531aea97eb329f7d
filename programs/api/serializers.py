"""API serializers for programs, workstreams, members and activity.

Each serializer declares its fields (input validation and the OpenAPI schema) and writes
`to_representation` by hand, so a 100-row page costs no per-field machinery and no query per row.
Validated data comes out as the keyword arguments of the matching service (`lead_id` -> `lead`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from django.contrib.contenttypes.models import ContentType
from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse
from rest_framework import serializers

from core.api.serializers import RowSerializer, UserRefSerializer, format_date, user_ref
from core.models import AuditAction
from core.permissions import Role

from ..choices import CURRENCIES, ProgramStatus, WorkstreamStatus, time_zone_choices
from ..models import Program, Workstream
from ..selectors import member_users
from ..validators import validate_program_code

MAX_ID = 2**63 - 1
_URL_SENTINEL = "__code__"


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zone for zone, _ in time_zone_choices())


def _object_type(content_type_id: int) -> str:
    # ContentType.get_for_id caches per process: no join in the page or count query.
    ct = ContentType.objects.get_for_id(content_type_id)
    return f"{ct.app_label}.{ct.model}"


def _member_or_error(program: Program, user_id: int | None, field: str):
    """The member with this id, None for null, or a field error named like the service's."""
    if user_id is None:
        return None
    user = member_users(program=program).filter(pk=user_id).first()
    if user is None:
        raise serializers.ValidationError(
            {field: [f"User {user_id} is not a member of {program.code}."]}
        )
    return user


class ProgramSerializer(RowSerializer):
    code = serializers.CharField(
        max_length=12,
        help_text="2-12 capital letters or digits, starting with a letter. Cannot be changed.",
    )
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    sponsor = UserRefSerializer(read_only=True, allow_null=True)
    sponsor_id = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="A member of the program (set it after creating the program); null clears it.",
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False)
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="An IANA time zone, e.g. Europe/London."
    )
    status = serializers.ChoiceField(choices=ProgramStatus.choices, required=False)
    my_role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you edited (or send If-Match)."
    )
    url = serializers.URLField(read_only=True)

    def validate_code(self, value: str) -> str:
        value = value.strip().upper()
        if self.instance is not None:
            if value != self.instance.code:
                raise serializers.ValidationError("The code of a program cannot be changed.")
            return value
        validate_program_code(value)
        if Program.objects.filter(code=value).exists():
            raise serializers.ValidationError("A program with this code already exists.")
        return value

    def validate_time_zone(self, value: str) -> str:
        if value not in _time_zones():
            raise serializers.ValidationError(
                f"{value!r} is not a known time zone (e.g. Europe/London)."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        instance = self.instance
        start = attrs.get("start_date", instance.start_date if instance else None)
        end = attrs.get("end_date", instance.end_date if instance else None)
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": ["The end date must be on or after the start date."]}
            )
        if "sponsor_id" in attrs:
            sponsor_id = attrs.pop("sponsor_id")
            if instance is None:
                if sponsor_id is not None:
                    raise serializers.ValidationError(
                        {"sponsor_id": ["Add the sponsor as a member first, then set them here."]}
                    )
            else:
                attrs["sponsor"] = _member_or_error(instance, sponsor_id, "sponsor")
        if instance is not None:
            attrs.pop("code", None)
        return attrs

    def _url(self, code: str) -> str:
        parts = getattr(self, "_url_parts", None)
        if parts is None:
            path = reverse("api_v1:program_detail", kwargs={"code": _URL_SENTINEL})
            request = self.context.get("request")
            url = request.build_absolute_uri(path) if request is not None else path
            parts = self._url_parts = url.split(_URL_SENTINEL, 1)
        return f"{parts[0]}{code}{parts[1]}"

    row_fields = (
        "code", "name", "description", "sponsor_id", "sponsor__full_name", "start_date",
        "end_date", "currency", "time_zone", "status", "my_role", "version",
    )  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "code": r["code"],
            "name": r["name"],
            "description": r["description"],
            "sponsor": user_ref(r["sponsor_id"], r["sponsor__full_name"]),
            "start_date": format_date(r["start_date"]),
            "end_date": format_date(r["end_date"]),
            "currency": r["currency"],
            "time_zone": r["time_zone"],
            "status": r["status"],
            "my_role": r["my_role"] or self.context.get("my_role"),
            "version": r["version"],
            "url": self._url(r["code"]),
        }


class WorkstreamSerializer(RowSerializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. WS-3.")
    name = serializers.CharField(max_length=200)
    lead = UserRefSerializer(read_only=True, allow_null=True)
    lead_id = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The user id of a program member; null for no lead.",
    )
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=WorkstreamStatus.choices, required=False)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you edited (or send If-Match)."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_name(self, value: str) -> str:
        program = self.context["program"]
        clash = Workstream.objects.filter(program=program, name=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                "This program already has a workstream with that name."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if "lead_id" in attrs:
            attrs["lead"] = _member_or_error(self.context["program"], attrs.pop("lead_id"), "lead")
        return attrs

    row_fields = (
        "key", "name", "lead_id", "lead__full_name", "description", "status", "version",
        "created_at", "updated_at",
    )  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "key": r["key"],
            "name": r["name"],
            "lead": user_ref(r["lead_id"], r["lead__full_name"]),
            "description": r["description"],
            "status": r["status"],
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class MemberUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)


class MembershipSerializer(RowSerializer):
    """A member as listed and as changed (PATCH sends `role`)."""

    id = serializers.IntegerField(read_only=True)
    user = MemberUserSerializer(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you edited (or send If-Match)."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if "role" not in attrs:
            raise serializers.ValidationError({"role": ["This field is required."]})
        return attrs

    row_fields = (
        "id", "user_id", "user__full_name", "user__email", "role", "version", "created_at",
        "updated_at",
    )  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": r["id"],
            "user": {
                "id": r["user_id"],
                "full_name": r["user__full_name"],
                "email": r["user__email"],
            },
            "role": r["role"],
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class MembershipCreateSerializer(serializers.Serializer):
    """Add a person by e-mail; someone new to the site also needs a full name (and is invited)."""

    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)
    full_name = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="Needed for someone new."
    )


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, allow_null=True, help_text="Null for the system.")
    name = serializers.CharField(read_only=True)


class ActivitySerializer(RowSerializer):
    """One entry of the append-only audit trail."""

    id = serializers.IntegerField(read_only=True)
    timestamp = serializers.DateTimeField(read_only=True)
    actor = ActorSerializer(read_only=True)
    action = serializers.ChoiceField(choices=AuditAction.choices, read_only=True)
    object_type = serializers.CharField(
        read_only=True, help_text="app_label.model, e.g. programs.workstream."
    )
    object_id = serializers.CharField(read_only=True)
    object_repr = serializers.CharField(read_only=True)
    object_version = serializers.IntegerField(read_only=True, allow_null=True)
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField()),
        read_only=True,
        help_text="{field: [before, after]}",
    )
    request_id = serializers.CharField(read_only=True)

    row_fields = (
        "id", "timestamp", "actor_id", "actor_name", "action", "content_type_id", "object_id",
        "object_repr", "object_version", "request_id",
    )  # fmt: skip

    # List pages embed `changes` as the JSON text PostgreSQL stores, without decoding it.
    row_extra = {"changes_json": Cast("changes", output_field=TextField())}

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        raw = r.get("changes_json")
        return {
            "id": r["id"],
            "timestamp": self.format_datetime(r["timestamp"]),
            "actor": {"id": r["actor_id"], "name": r["actor_name"] or "system"},
            "action": r["action"],
            "object_type": _object_type(r["content_type_id"]),
            "object_id": r["object_id"],
            "object_repr": r["object_repr"],
            "object_version": r["object_version"],
            "changes": orjson.Fragment(raw) if raw is not None else r.get("changes", {}),
            "request_id": r["request_id"],
        }


class MeMembershipSerializer(serializers.Serializer):
    program = serializers.CharField(read_only=True, help_text="The program's code.")
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    job_title = serializers.CharField(read_only=True)
    memberships = MeMembershipSerializer(many=True, read_only=True)
