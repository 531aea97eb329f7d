"""API serializers for the schedule: settings, WBS items, links, baselines and holidays.

The API speaks working *days* (`duration_days`, `lag_days`, `total_float_days`); the database
keeps working minutes (480 a day), converted here. Items, parents and workstreams are named by
their keys (TSK-12, WS-3), people by user id (or e-mail). Validated data comes out as the
keyword arguments of the matching service (`workstream_key` -> `workstream`, `owner_id` ->
`owner`, `duration_days` -> `duration_minutes`). List rows come from `.values(*row_fields)`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from core.api.serializers import (
    RowSerializer,
    UserRefSerializer,
    format_date,
    format_datetime,
    user_ref,
)
from programs.models import Program, Workstream
from programs.selectors import member_users

from ..models import (
    MINUTES_PER_DAY,
    Baseline,
    Constraint,
    Holiday,
    Item,
    ItemKind,
    ItemStatus,
    LinkType,
)

MAX_ID = 2**63 - 1
MAX_DAYS = 5000  # about 20 years of working days: more than any calendar we can hold
VERSION_HELP = "The version you edited (or send If-Match)."


def minutes_of(days: float) -> int:
    return round(days * MINUTES_PER_DAY)


def days_of(minutes: int | None) -> float | None:
    return None if minutes is None else minutes / MINUTES_PER_DAY


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _version_field() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


def item_for_key(program: Program, key: str | None, field: str) -> Item | None:
    """The program's item with this key, None for null, or a field error naming the key."""
    if key is None:
        return None
    item = (
        Item.objects.filter(program=program, key=str(key).strip().upper())
        .select_related("program")
        .first()
    )
    if item is None:
        raise serializers.ValidationError({field: [f"There is no item {key} in {program.code}."]})
    return item


def workstream_for_key(program: Program, key: str | None, field: str) -> Workstream | None:
    if key is None or key == "":
        return None
    workstream = Workstream.objects.filter(program=program, key=str(key).strip().upper()).first()
    if workstream is None:
        raise serializers.ValidationError(
            {field: [f"There is no workstream {key} in {program.code}."]}
        )
    return workstream


def member_for(program: Program, *, user_id: int | None = None, email: str | None = None):
    """The member with this id or e-mail, or an `owner` field error (as the service names it)."""
    users = member_users(program=program)
    if email is not None:
        user = users.filter(email__iexact=email.strip()).first()
        if user is None:
            raise serializers.ValidationError(
                {"owner": [f"{email} is not a member of {program.code}."]}
            )
        return user
    user = users.filter(pk=user_id).first()
    if user is None:
        raise serializers.ValidationError(
            {"owner": [f"User {user_id} is not a member of {program.code}."]}
        )
    return user


def _pop_owner(attrs: dict[str, Any], program: Program) -> None:
    """`owner_id` or `owner_email` -> `owner` (a member, or None to clear)."""
    has_id, has_email = "owner_id" in attrs, "owner_email" in attrs
    if has_id and has_email:
        raise serializers.ValidationError(
            {"owner_email": ["Give the owner by id or by e-mail, not both."]}
        )
    if has_id:
        user_id = attrs.pop("owner_id")
        attrs["owner"] = None if user_id is None else member_for(program, user_id=user_id)
    elif has_email:
        email = attrs.pop("owner_email")
        attrs["owner"] = None if not email else member_for(program, email=email)


# Output-only names a client may naturally try to write: say which field to send instead.
WRITE_INSTEAD = {
    "owner": "owner_id (a member's user id) or owner_email",
    "workstream": "workstream_key (e.g. WS-2)",
}


def refuse_read_only_names(data: Any) -> None:
    """A scalar sent as `owner` or `workstream` would be silently ignored: refuse it instead.

    Objects and nulls pass, so that a PUT of what was read works."""
    if not hasattr(data, "get"):
        return
    errors = {
        name: [f"To set the {name}, send {instead}."]
        for name, instead in WRITE_INSTEAD.items()
        if isinstance(data.get(name), str | int) and not isinstance(data.get(name), bool)
    }
    if errors:
        raise serializers.ValidationError(errors)


class WorkstreamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="For the `workstream` list filter.")
    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


def workstream_ref(pk: int | None, key: str | None, name: str | None) -> dict | None:
    return None if pk is None else {"id": pk, "key": key, "name": name}


# ---------------------------------------------------------------------------------------------
# Schedule settings


class ScheduleSerializer(serializers.Serializer):
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        allow_empty=False,
        max_length=7,
        required=False,
        help_text="Working weekdays, 0 = Monday .. 6 = Sunday.",
    )
    project_start = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Tasks without predecessors start here; null: the program's start date.",
    )
    calendar_start = serializers.DateField(
        read_only=True, help_text="The project start in effect (project_start or the program's)."
    )
    status_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Remaining work of started tasks runs from this date; null: none.",
    )
    slip_threshold_days = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_DAYS,
        help_text="Milestones later than their baseline by more working days are 'slipped'.",
    )
    project_finish = serializers.DateField(read_only=True, allow_null=True)
    computed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = _version_field()
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_weekdays(self, value: list[int]) -> list[int]:
        return sorted(set(value))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if not attrs:
            raise serializers.ValidationError(
                "Send at least one of weekdays, project_start, status_date, slip_threshold_days."
            )
        return attrs

    def to_representation(self, schedule) -> dict[str, Any]:
        program = self.context.get("program") or schedule.program
        return {
            "weekdays": list(schedule.weekdays),
            "project_start": format_date(schedule.project_start),
            "calendar_start": format_date(schedule.project_start or program.start_date),
            "status_date": format_date(schedule.status_date),
            "slip_threshold_days": schedule.slip_threshold_days,
            "project_finish": format_date(schedule.project_finish),
            "computed_at": format_datetime(schedule.computed_at),
            "version": schedule.version,
            "updated_at": format_datetime(schedule.updated_at),
        }


class RecomputeSerializer(serializers.Serializer):
    items = serializers.IntegerField(read_only=True, help_text="Items scheduled.")
    changed = serializers.IntegerField(read_only=True, help_text="Items whose dates moved.")
    project_finish = serializers.DateField(read_only=True, allow_null=True)


# ---------------------------------------------------------------------------------------------
# Items


ITEM_CREATE_ONLY = ("parent", "index")
ITEM_PROGRESS_FIELDS = ("percent_complete", "actual_start", "actual_finish", "status")


class ItemSerializer(RowSerializer):
    """A WBS item. Computed dates and floats are read-only; `start`/`finish` may be written
    (moving the start sets a "start no earlier than" constraint, moving the finish changes the
    duration, as in MS Project)."""

    key = serializers.CharField(read_only=True, help_text="The reference, e.g. TSK-12.")
    wbs = serializers.CharField(read_only=True, help_text="The outline number, e.g. 1.2.3.")
    depth = serializers.IntegerField(read_only=True, help_text="0 for top-level items.")
    parent = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=16,
        help_text="The key of the summary above (null: top level). Set on create; to move an "
        "item later, POST to its move/ address.",
    )
    index = serializers.IntegerField(
        write_only=True,
        required=False,
        min_value=0,
        max_value=10**6,
        help_text="Position among its new siblings (0 = first; default last). Create only.",
    )
    kind = serializers.ChoiceField(
        choices=ItemKind.choices,
        required=False,
        help_text="An item becomes a summary when items go below it.",
    )
    name = serializers.CharField(max_length=300)
    workstream = WorkstreamRefSerializer(read_only=True, allow_null=True)
    workstream_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=16,
        help_text="The workstream's key, e.g. WS-2; null clears it.",
    )
    owner = UserRefSerializer(read_only=True, allow_null=True)
    owner_id = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The user id of a program member; null clears it.",
    )
    owner_email = serializers.EmailField(
        write_only=True,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Or the e-mail address of a program member.",
    )
    description = serializers.CharField(required=False, allow_blank=True)
    duration_days = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_DAYS,
        help_text="Working days (fractions allowed); 0 for milestones. Null for summaries, "
        "whose span comes from the items below them.",
    )
    manual = serializers.BooleanField(
        required=False, help_text="Manually scheduled: keeps its own dates whatever the links say."
    )
    manual_start = serializers.DateField(required=False, allow_null=True)
    manual_finish = serializers.DateField(required=False, allow_null=True)
    start = serializers.DateField(
        required=False, help_text="Computed; writing it sets a start-no-earlier-than constraint."
    )
    finish = serializers.DateField(
        required=False, help_text="Computed; writing it changes the duration."
    )
    percent_complete = serializers.IntegerField(required=False, min_value=0, max_value=100)
    actual_start = serializers.DateField(required=False, allow_null=True)
    actual_finish = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=ItemStatus.choices, required=False)
    constraint = serializers.ChoiceField(choices=Constraint.choices, required=False)
    constraint_date = serializers.DateField(required=False, allow_null=True)
    deadline = serializers.DateField(required=False, allow_null=True)
    cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False
    )
    acceptance_criteria = serializers.CharField(required=False, allow_blank=True)
    accepted_by = UserRefSerializer(read_only=True, allow_null=True)
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    acceptance_evidence = serializers.CharField(read_only=True)
    remediation_plan = serializers.CharField(required=False, allow_blank=True)
    early_start = serializers.DateField(read_only=True, allow_null=True)
    early_finish = serializers.DateField(read_only=True, allow_null=True)
    late_start = serializers.DateField(read_only=True, allow_null=True)
    late_finish = serializers.DateField(read_only=True, allow_null=True)
    total_float_days = serializers.FloatField(read_only=True, allow_null=True)
    free_float_days = serializers.FloatField(read_only=True, allow_null=True)
    critical = serializers.BooleanField(read_only=True)
    version = _version_field()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        program = self.context["program"]
        refuse_read_only_names(self.initial_data)
        if self.instance is not None:
            # the current parent sent back (a PUT of what was read) is not a move
            current_parent = self.instance.parent.key if self.instance.parent_id else None
            if "parent" in attrs and (attrs["parent"] or "").upper() == (current_parent or ""):
                del attrs["parent"]
            # Dates sent back unchanged are no move (as in the service): an unchanged start is
            # dropped; an unchanged finish too unless the start moved (a resize from the left).
            if "start" in attrs and attrs["start"] == self.instance.start:
                del attrs["start"]
            if (
                "finish" in attrs
                and attrs["finish"] == self.instance.finish
                and "start" not in attrs
            ):
                del attrs["finish"]
            moved = [name for name in ITEM_CREATE_ONLY if name in attrs]
            if moved:
                raise serializers.ValidationError(
                    {name: ["To move an item, POST to its move/ address."] for name in moved}
                )
        elif "parent" in attrs:
            attrs["parent"] = item_for_key(program, attrs["parent"], "parent")
        if "workstream_key" in attrs:
            key = attrs.pop("workstream_key")
            attrs["workstream"] = workstream_for_key(program, key, "workstream_key")
        _pop_owner(attrs, program)
        if "duration_days" in attrs:
            days = attrs.pop("duration_days")
            if days is None:
                raise serializers.ValidationError(
                    {"duration_days": ["Give a number of working days (0 for a milestone)."]}
                )
            if "start" in attrs and "finish" in attrs:
                raise serializers.ValidationError(
                    {"duration_days": ["Give the start and the finish, or a duration: not both."]}
                )
            attrs["duration_minutes"] = minutes_of(days)
        start, finish = attrs.get("start"), attrs.get("finish")
        if start and finish and finish < start:
            raise serializers.ValidationError(
                {"finish": ["The finish cannot be before the start."]}
            )
        return attrs

    row_fields = (
        "key", "wbs", "depth", "parent__key", "kind", "name", "workstream_id", "workstream__key",
        "workstream__name", "owner_id", "owner__full_name", "description", "duration_minutes",
        "manual", "manual_start", "manual_finish", "start", "finish", "percent_complete",
        "actual_start", "actual_finish", "status", "constraint", "constraint_date", "deadline",
        "cost", "acceptance_criteria", "accepted_by_id", "accepted_by__full_name", "accepted_at",
        "acceptance_evidence", "remediation_plan", "early_start", "early_finish", "late_start",
        "late_finish", "total_float_minutes", "free_float_minutes", "critical", "version",
        "created_at", "updated_at",
    )  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        d = format_date
        return {
            "key": r["key"],
            "wbs": r["wbs"],
            "depth": r["depth"],
            "parent": r["parent__key"],
            "kind": r["kind"],
            "name": r["name"],
            "workstream": workstream_ref(
                r["workstream_id"], r["workstream__key"], r["workstream__name"]
            ),
            "owner": user_ref(r["owner_id"], r["owner__full_name"]),
            "description": r["description"],
            "duration_days": None
            if r["kind"] == ItemKind.SUMMARY
            else r["duration_minutes"] / MINUTES_PER_DAY,
            "manual": r["manual"],
            "manual_start": d(r["manual_start"]),
            "manual_finish": d(r["manual_finish"]),
            "start": d(r["start"]),
            "finish": d(r["finish"]),
            "percent_complete": r["percent_complete"],
            "actual_start": d(r["actual_start"]),
            "actual_finish": d(r["actual_finish"]),
            "status": r["status"],
            "constraint": r["constraint"],
            "constraint_date": d(r["constraint_date"]),
            "deadline": d(r["deadline"]),
            "cost": money(r["cost"]),
            "acceptance_criteria": r["acceptance_criteria"],
            "accepted_by": user_ref(r["accepted_by_id"], r["accepted_by__full_name"]),
            "accepted_at": self.format_datetime(r["accepted_at"]),
            "acceptance_evidence": r["acceptance_evidence"],
            "remediation_plan": r["remediation_plan"],
            "early_start": d(r["early_start"]),
            "early_finish": d(r["early_finish"]),
            "late_start": d(r["late_start"]),
            "late_finish": d(r["late_finish"]),
            "total_float_days": days_of(r["total_float_minutes"]),
            "free_float_days": days_of(r["free_float_minutes"]),
            "critical": r["critical"],
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class ItemMoveSerializer(serializers.Serializer):
    """Either `parent` (+ `index`) or `action`."""

    parent = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=16,
        help_text="The key of the new summary above; null for the top level.",
    )
    index = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=10**6,
        help_text="Position among the new siblings (0 = first; default last).",
    )
    action = serializers.ChoiceField(
        choices=[("indent", "indent"), ("outdent", "outdent"), ("up", "up"), ("down", "down")],
        required=False,
        help_text="Instead of parent/index: indent under the item above, outdent, up or down.",
    )
    version = _version_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        has_parent = "parent" in attrs or "index" in attrs
        if "action" in attrs and has_parent:
            raise serializers.ValidationError(
                {"action": ["Send an action, or a parent and index: not both."]}
            )
        if "action" not in attrs and "parent" not in attrs:
            raise serializers.ValidationError(
                {"parent": ["Say where to: a parent key (null for the top level) or an action."]}
            )
        if "parent" in attrs:
            attrs["parent"] = item_for_key(self.context["program"], attrs["parent"], "parent")
        return attrs


class ItemBulkSerializer(serializers.Serializer):
    keys = serializers.ListField(
        child=serializers.CharField(max_length=16),
        allow_empty=False,
        max_length=5000,
        help_text="The keys of the items to change.",
    )
    status = serializers.ChoiceField(choices=ItemStatus.choices, required=False)
    workstream_key = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=16
    )
    owner_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    owner_email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program = self.context["program"]
        refuse_read_only_names(self.initial_data)
        if "workstream_key" in attrs:
            attrs["workstream"] = workstream_for_key(
                program, attrs.pop("workstream_key"), "workstream_key"
            )
        _pop_owner(attrs, program)
        if len(attrs) == 1:
            raise serializers.ValidationError(
                "Choose at least one of owner_id, owner_email, status, workstream_key to change."
            )
        keys = list(dict.fromkeys(k.strip().upper() for k in attrs["keys"]))
        items = list(Item.objects.filter(program=program, key__in=keys).select_related("program"))
        found = {item.key for item in items}
        missing = [k for k in keys if k not in found]
        if missing:
            raise serializers.ValidationError(
                {"keys": [f"No such item in {program.code}: {', '.join(missing[:20])}."]}
            )
        attrs["items"] = items
        del attrs["keys"]
        return attrs


class ItemBulkResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(read_only=True, help_text="Items that changed.")
    keys = serializers.ListField(child=serializers.CharField(), read_only=True)


class SignoffSerializer(serializers.Serializer):
    evidence = serializers.CharField(
        max_length=10000, help_text="What the acceptance rests on (a document, a test run...)."
    )
    version = _version_field()


# ---------------------------------------------------------------------------------------------
# Links


class DependencySerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    predecessor = serializers.CharField(max_length=16, help_text="The predecessor's key.")
    predecessor_name = serializers.CharField(read_only=True)
    successor = serializers.CharField(max_length=16, help_text="The successor's key.")
    successor_name = serializers.CharField(read_only=True)
    type = serializers.ChoiceField(choices=LinkType.choices, required=False)
    lag_days = serializers.FloatField(
        required=False,
        min_value=-MAX_DAYS,
        max_value=MAX_DAYS,
        help_text="Working days; negative is a lead.",
    )
    lag_percent = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        required=False,
        allow_null=True,
        min_value=Decimal(-10000),
        max_value=Decimal(10000),
        help_text="A lag as a percentage of the predecessor's duration (replaces lag_days).",
    )
    version = _version_field()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        program = self.context["program"]
        if self.instance is not None:
            fixed = [name for name in ("predecessor", "successor") if name in attrs]
            if fixed:
                raise serializers.ValidationError(
                    {name: ["Delete the link and add a new one instead."] for name in fixed}
                )
        else:
            attrs["predecessor"] = item_for_key(program, attrs["predecessor"], "predecessor")
            attrs["successor"] = item_for_key(program, attrs["successor"], "successor")
        if "lag_days" in attrs:
            attrs["lag_minutes"] = minutes_of(attrs.pop("lag_days"))
        return attrs

    row_fields = (
        "id", "predecessor__key", "predecessor__name", "successor__key", "successor__name",
        "type", "lag_minutes", "lag_percent", "version", "created_at", "updated_at",
    )  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        pct = r["lag_percent"]
        return {
            "id": r["id"],
            "predecessor": r["predecessor__key"],
            "predecessor_name": r["predecessor__name"],
            "successor": r["successor__key"],
            "successor_name": r["successor__name"],
            "type": r["type"],
            "lag_days": r["lag_minutes"] / MINUTES_PER_DAY,
            "lag_percent": None if pct is None else f"{pct:.2f}",
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


# ---------------------------------------------------------------------------------------------
# Baselines


class BaselineSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    number = serializers.IntegerField(
        read_only=True, help_text="MS Project baseline number (0 = Baseline, 1..10)."
    )
    is_current = serializers.BooleanField(read_only=True)
    make_current = serializers.BooleanField(
        write_only=True,
        required=False,
        default=True,
        help_text="Create only: make it the baseline the plan is compared with (default true).",
    )
    note = serializers.CharField(required=False, allow_blank=True)
    item_count = serializers.IntegerField(read_only=True, help_text="Items it holds.")
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    version = _version_field()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        clash = Baseline.objects.filter(program=self.context["program"], name=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("This program already has a baseline with that name.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        if self.instance is not None:
            if "make_current" in self.initial_data:
                raise serializers.ValidationError(
                    {"make_current": ["POST to the baseline's current/ address instead."]}
                )
            attrs.pop("make_current", None)
        return attrs

    row_fields = (
        "id", "name", "number", "is_current", "note", "item_count", "created_by_id",
        "created_by__full_name", "version", "created_at", "updated_at",
    )  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": r["id"],
            "name": r["name"],
            "number": r["number"],
            "is_current": r["is_current"],
            "note": r["note"],
            "item_count": r["item_count"],
            "created_by": user_ref(r["created_by_id"], r["created_by__full_name"]),
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class ComparisonRowSerializer(serializers.Serializer):
    """One item of the plan against a baseline (from `selectors.baselines.comparison_rows`)."""

    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    wbs = serializers.CharField(read_only=True)
    depth = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=ItemKind.choices, read_only=True)
    workstream = serializers.CharField(read_only=True, allow_null=True)
    baseline_start = serializers.DateField(read_only=True, allow_null=True)
    baseline_finish = serializers.DateField(read_only=True, allow_null=True)
    start = serializers.DateField(read_only=True, allow_null=True)
    finish = serializers.DateField(read_only=True, allow_null=True)
    start_variance_days = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Working days later (+) or earlier (-)."
    )
    finish_variance_days = serializers.IntegerField(read_only=True, allow_null=True)
    duration_variance_days = serializers.FloatField(read_only=True, allow_null=True)
    baseline_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, allow_null=True
    )
    cost = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    cost_variance = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, allow_null=True
    )
    critical = serializers.BooleanField(read_only=True)

    def to_representation(self, r: dict[str, Any]) -> dict[str, Any]:
        d = format_date
        return {
            "key": r["key"],
            "name": r["name"],
            "wbs": r["wbs"],
            "depth": r["depth"],
            "kind": r["kind"],
            "workstream": r["workstream"],
            "baseline_start": d(r["baseline_start"]),
            "baseline_finish": d(r["baseline_finish"]),
            "start": d(r["start"]),
            "finish": d(r["finish"]),
            "start_variance_days": r["start_variance_days"],
            "finish_variance_days": r["finish_variance_days"],
            "duration_variance_days": r["duration_variance_days"],
            "baseline_cost": money(r["baseline_cost"]),
            "cost": money(r["cost"]),
            "cost_variance": money(r["cost_variance"]),
            "critical": r.get("critical", False),
        }


class SlippedMilestoneSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    workstream = serializers.CharField(read_only=True, allow_null=True)
    baseline_finish = serializers.DateField(read_only=True)
    forecast_finish = serializers.DateField(read_only=True, allow_null=True)
    days_late = serializers.IntegerField(read_only=True, help_text="Working days.")
    remediation_plan = serializers.CharField(read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text="The item's version (for a PATCH of remediation_plan)."
    )

    def to_representation(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "key": r["key"],
            "name": r["name"],
            "workstream": r["workstream"],
            "baseline_finish": format_date(r["baseline_finish"]),
            "forecast_finish": format_date(r["forecast_finish"]),
            "days_late": r["days_late"],
            "remediation_plan": r["remediation_plan"],
            "version": r["version"],
        }


class SlippedMilestonesSerializer(serializers.Serializer):
    baseline = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The baseline compared with (its id)."
    )
    threshold_days = serializers.IntegerField(read_only=True)
    count = serializers.IntegerField(read_only=True)
    results = SlippedMilestoneSerializer(many=True, read_only=True)


# ---------------------------------------------------------------------------------------------
# Holidays


class HolidaySerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    start = serializers.DateField()
    finish = serializers.DateField(required=False, help_text="Inclusive; default the start.")
    uid = serializers.CharField(read_only=True, help_text="UID of the imported iCal event.")
    version = _version_field()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        instance: Holiday | None = self.instance
        if instance is None and "finish" not in attrs:
            attrs["finish"] = attrs["start"]
        start = attrs.get("start", instance.start if instance else None)
        finish = attrs.get("finish", instance.finish if instance else None)
        if start and finish and finish < start:
            raise serializers.ValidationError(
                {"finish": ["A holiday cannot end before it starts."]}
            )
        return attrs

    row_fields = ("id", "name", "start", "finish", "uid", "version", "created_at", "updated_at")

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": r["id"],
            "name": r["name"],
            "start": format_date(r["start"]),
            "finish": format_date(r["finish"]),
            "uid": r["uid"],
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }
