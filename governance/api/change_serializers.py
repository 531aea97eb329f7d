"""Serializers of the change control API: a change request (rows for lists, the same JSON for
one request), the workflow steps' bodies, the timeline and the policy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from core.api.serializers import RowSerializer, UserRefSerializer, format_date, user_ref
from programs.models import Program, Workstream
from programs.selectors import member_users
from schedules.api.serializers import WorkstreamRefSerializer, workstream_ref
from schedules.models import Baseline

from ..choices import ApprovalLevel, ChangeKind, ChangeStatus
from ..models import ChangeControlPolicy, ChangeRequest
from ..models.changes import MAX_IMPACT_DAYS, MAX_MONEY
from ..selectors import changes as selectors
from ..selectors.links import split_keys

VERSION_HELP = "The version you edited (or send If-Match)."


def member_or_error(program: Program, user_id: int | None, field: str):
    if user_id is None:
        return None
    user = member_users(program=program).filter(pk=user_id).first()
    if user is None:
        raise serializers.ValidationError(
            {field: [f"User {user_id} is not a member of {program.code}."]}
        )
    return user


def _workstream(program: Program, key: str | None):
    if not key:
        return None
    workstream = Workstream.objects.filter(program=program, key=str(key).strip().upper()).first()
    if workstream is None:
        raise serializers.ValidationError(
            {"workstream_key": [f"There is no workstream {key} in {program.code}."]}
        )
    return workstream


def _items(program: Program, keys: list[str]):
    wanted = []
    for key in keys:
        wanted += split_keys(key)
    try:
        return selectors.items_for_keys(program=program, keys=wanted)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(
            {"affected_items": exc.message_dict["affected_items"]}
        ) from exc


class BaselineRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ImpactFieldsMixin(serializers.Serializer):
    schedule_impact_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=-MAX_IMPACT_DAYS,
        max_value=MAX_IMPACT_DAYS,
        help_text="Working days the plan moves: positive later, negative earlier.",
    )
    cost_impact = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        min_value=-MAX_MONEY,
        max_value=MAX_MONEY,
        help_text="In the program currency: positive costs more, negative saves.",
    )
    scope_impact = serializers.CharField(required=False, allow_blank=True)
    risk_impact = serializers.CharField(required=False, allow_blank=True)
    affected_items = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=500,
        help_text='Keys of the WBS items it changes, e.g. ["TSK-12", "TSK-40"].',
    )


class ChangeRequestSerializer(ImpactFieldsMixin, RowSerializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. CR-7.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    status = serializers.ChoiceField(choices=ChangeStatus.choices, read_only=True)
    requester = UserRefSerializer(read_only=True)
    requester_id = serializers.IntegerField(
        write_only=True,
        required=False,
        min_value=1,
        help_text="A member (programme managers and coordinators may raise for someone else); "
        "default: you.",
    )
    workstream = WorkstreamRefSerializer(read_only=True, allow_null=True)
    workstream_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, allow_null=True, max_length=16
    )
    needed_by = serializers.DateField(required=False, allow_null=True)
    currency = serializers.CharField(read_only=True, help_text="The program currency.")
    approval_level = serializers.ChoiceField(
        choices=ApprovalLevel.choices,
        read_only=True,
        help_text="Who decides, by the program's policy: the sponsor above its thresholds.",
    )
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    decision = serializers.CharField(
        read_only=True, allow_null=True, help_text="The decision-log key, e.g. DEC-9."
    )
    baseline = BaselineRefSerializer(read_only=True, allow_null=True)
    budget_reference = serializers.CharField(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    row_fields = (
        "id", "key", "title", "description", "reason", "kind", "status", "requester_id",
        "requester__full_name", "workstream_id", "workstream__key", "workstream__name", "needed_by",
        "schedule_impact_days", "cost_impact", "scope_impact", "risk_impact", "approval_level",
        "submitted_at", "decided_at", "decided_by_id", "decided_by__full_name", "decision__key",
        "baseline_id", "baseline__name", "budget_reference", "version", "created_at",
        "updated_at",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program = self.context["program"]
        attrs.pop("version", None)
        if "requester_id" in attrs:
            attrs["requester"] = member_or_error(program, attrs.pop("requester_id"), "requester_id")
        if "workstream_key" in attrs:
            attrs["workstream"] = _workstream(program, attrs.pop("workstream_key"))
        if "affected_items" in attrs:
            attrs["affected_items"] = _items(program, attrs["affected_items"])
        if "title" in attrs:
            attrs["title"] = attrs["title"].strip()
            if not attrs["title"]:
                raise serializers.ValidationError({"title": ["This field may not be blank."]})
        return attrs

    def instance_row(self, instance: ChangeRequest) -> dict[str, Any]:
        row = super().instance_row(instance)
        policy = self.context.get("policy") or selectors.change_policy_get(program=instance.program)
        row["approval_level"] = getattr(
            instance, "approval_level", None
        ) or selectors.approval_level(instance, policy)
        row["affected_items"] = list(
            instance.affected_items.order_by("outline_path").values_list("key", flat=True)
        )
        return row

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        cost = r["cost_impact"]
        return {
            "key": r["key"],
            "title": r["title"],
            "description": r["description"],
            "reason": r["reason"],
            "kind": r["kind"],
            "status": r["status"],
            "requester": user_ref(r["requester_id"], r["requester__full_name"]),
            "workstream": workstream_ref(
                r["workstream_id"], r["workstream__key"], r["workstream__name"]
            ),
            "needed_by": format_date(r["needed_by"]),
            "schedule_impact_days": r["schedule_impact_days"],
            "cost_impact": None if cost is None else f"{Decimal(cost):.2f}",
            "currency": self.context["program"].currency,
            "scope_impact": r["scope_impact"],
            "risk_impact": r["risk_impact"],
            "affected_items": r.get("affected_items", []),
            "approval_level": r["approval_level"],
            "submitted_at": self.format_datetime(r["submitted_at"]),
            "decided_at": self.format_datetime(r["decided_at"]),
            "decided_by": user_ref(r["decided_by_id"], r["decided_by__full_name"]),
            "decision": r["decision__key"],
            "baseline": (
                {"id": r["baseline_id"], "name": r["baseline__name"]} if r["baseline_id"] else None
            ),
            "budget_reference": r["budget_reference"],
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


class TransitionSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="Why; required to reject or defer, and to close a deferred request.",
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        return attrs


class AssessSerializer(ImpactFieldsMixin, TransitionSerializer):
    """The assessment: schedule and cost impact are required (0 for none)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "affected_items" in attrs:
            attrs["affected_items"] = _items(self.context["program"], attrs["affected_items"])
        return attrs


class OutcomeFieldsMixin(serializers.Serializer):
    baseline_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The baseline the change caused (null clears it).",
    )
    new_baseline_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Save a new baseline now under this name and link it (program managers).",
    )
    budget_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The budget change it caused, e.g. a change order reference.",
    )

    def outcome(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program = self.context["program"]
        if "baseline_id" in attrs:
            baseline_id = attrs.pop("baseline_id")
            baseline = None
            if baseline_id is not None:
                baseline = Baseline.objects.filter(program=program, pk=baseline_id).first()
                if baseline is None:
                    raise serializers.ValidationError(
                        {"baseline_id": [f"There is no baseline {baseline_id} in {program.code}."]}
                    )
            attrs["baseline"] = baseline
        return attrs


class ImplementSerializer(OutcomeFieldsMixin, TransitionSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return self.outcome(super().validate(attrs))


class OutcomeSerializer(OutcomeFieldsMixin):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        return self.outcome(attrs)


class ChangeRequestTransitionSerializer(RowSerializer):
    from_status = serializers.CharField(
        read_only=True, help_text="Empty for the creation of the request."
    )
    to_status = serializers.ChoiceField(choices=ChangeStatus.choices, read_only=True)
    actor = UserRefSerializer(read_only=True, allow_null=True)
    actor_name = serializers.CharField(read_only=True)
    comment = serializers.CharField(read_only=True)
    at = serializers.DateTimeField(read_only=True)

    row_fields = ("from_status", "to_status", "actor_id", "actor__full_name", "actor_name",
                  "comment", "at")  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "from_status": r["from_status"],
            "to_status": r["to_status"],
            "actor": user_ref(r["actor_id"], r["actor__full_name"]),
            "actor_name": r["actor_name"],
            "comment": r["comment"],
            "at": self.format_datetime(r["at"]),
        }


class ChangePolicySerializer(serializers.Serializer):
    sponsor_cost_threshold = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_MONEY,
        required=False,
        help_text="A cost impact above this (up or down) needs the sponsor.",
    )
    sponsor_schedule_threshold_days = serializers.IntegerField(
        min_value=0,
        max_value=MAX_IMPACT_DAYS,
        required=False,
        help_text="A schedule impact of more working days than this needs the sponsor.",
    )
    allow_self_approval = serializers.BooleanField(
        required=False, help_text="Requesters may decide on their own requests."
    )
    currency = serializers.CharField(read_only=True)
    sponsor = UserRefSerializer(read_only=True, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        return attrs

    def to_representation(self, policy: ChangeControlPolicy) -> dict[str, Any]:
        program = policy.program
        return {
            "sponsor_cost_threshold": f"{policy.sponsor_cost_threshold:.2f}",
            "sponsor_schedule_threshold_days": policy.sponsor_schedule_threshold_days,
            "allow_self_approval": policy.allow_self_approval,
            "currency": program.currency,
            "sponsor": user_ref(program.sponsor_id, program.sponsor.full_name)
            if program.sponsor_id
            else None,
            "version": policy.version,
        }
