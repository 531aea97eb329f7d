"""API serializers of the RAID log: one per type, sharing the fields every item has.

People are named by user id (`owner_id`) or e-mail (`owner_email`), workstreams by key
(`workstream_key`, WS-2), WBS items by key (`wbs_item_keys`, TSK-12), other programs by code.
Validated data comes out as the keyword arguments of the matching service. List rows come from
`.values(*row_fields)`; a page's WBS links are added in one query by the view.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from rest_framework import serializers

from core.api.serializers import RowSerializer, UserRefSerializer, format_date, user_ref
from programs.models import Program
from schedules.api.serializers import (
    MAX_ID,
    WorkstreamRefSerializer,
    _pop_owner,
    money,
    refuse_read_only_names,
    workstream_for_key,
    workstream_ref,
)
from schedules.models import Item

from ..choices import (
    RATING_MAX,
    RATING_MIN,
    ActionStatus,
    AssumptionStatus,
    DependencyDirection,
    DependencyStatus,
    EscalationLevel,
    IssueStatus,
    Priority,
    ResponseStrategy,
    RiskCategory,
    RiskStatus,
    ScoreBand,
    Severity,
    score_band,
)
from ..models import RAID_MODELS, Action, Dependency, Risk
from ..selectors import raid_item_by_key

VERSION_HELP = "The version you edited (or send If-Match)."


def _version_field() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


def rating(help_text: str, *, required: bool = False, allow_null: bool = False):
    return serializers.IntegerField(
        min_value=RATING_MIN,
        max_value=RATING_MAX,
        required=required,
        allow_null=allow_null,
        help_text=help_text,
    )


def wbs_for_keys(program: Program, keys: list[str]) -> list[Item]:
    wanted = list(dict.fromkeys(k.strip().upper() for k in keys))
    items = list(Item.objects.filter(program=program, key__in=wanted).select_related("program"))
    found = {i.key for i in items}
    missing = [k for k in wanted if k not in found]
    if missing:
        raise serializers.ValidationError(
            {"wbs_item_keys": [f"No such WBS item in {program.code}: {', '.join(missing[:20])}."]}
        )
    return items


class PartySerializer(serializers.Serializer):
    """One side of a dependency: exactly one of program (code), workstream (key) or external."""

    kind = serializers.ChoiceField(
        choices=[("program", "program"), ("workstream", "workstream"), ("external", "external")],
        read_only=True,
    )
    program = serializers.CharField(read_only=True, allow_null=True, help_text="Program code.")
    workstream = serializers.CharField(read_only=True, allow_null=True, help_text="WS key.")
    external = serializers.CharField(read_only=True, allow_null=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field named label


def party(program_code, ws_key, ws_name, external) -> dict[str, Any]:
    out: dict[str, Any] = {"program": None, "workstream": None, "external": None}
    if program_code:
        return {**out, "kind": "program", "program": program_code, "label": program_code}
    if ws_key:
        return {**out, "kind": "workstream", "workstream": ws_key, "label": ws_name}
    return {**out, "kind": "external", "external": external, "label": external}


class SubjectSerializer(serializers.Serializer):
    type = serializers.CharField(read_only=True, help_text="app_label.model, e.g. risks.risk.")
    id = serializers.IntegerField(read_only=True)
    key = serializers.CharField(read_only=True, help_text="The subject's key, e.g. RSK-3.")


# ---------------------------------------------------------------------------------------------
# The fields every type has


class RaidItemSerializer(RowSerializer):
    key = serializers.CharField(read_only=True, help_text="The reference, e.g. RSK-12.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
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
    workstream = WorkstreamRefSerializer(read_only=True, allow_null=True)
    workstream_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=16,
        help_text="The workstream's key, e.g. WS-2; null clears it.",
    )
    wbs_items = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Keys of the linked WBS items."
    )
    wbs_item_keys = serializers.ListField(
        child=serializers.CharField(max_length=16),
        write_only=True,
        required=False,
        max_length=500,
        help_text="Link these WBS items (keys, e.g. TSK-12); replaces the current links.",
    )
    version = _version_field()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    COMMON_ROW = (
        "id", "key", "title", "description", "status", "owner_id", "owner__full_name",
        "workstream_id", "workstream__key", "workstream__name", "version", "created_at",
        "updated_at",
    )  # fmt: skip
    TYPE_ROW: tuple[str, ...] = ()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        program = self.context["program"]
        refuse_read_only_names(self.initial_data)
        if "workstream_key" in attrs:
            attrs["workstream"] = workstream_for_key(
                program, attrs.pop("workstream_key"), "workstream_key"
            )
        _pop_owner(attrs, program)
        if "wbs_item_keys" in attrs:
            attrs["wbs_items"] = wbs_for_keys(program, attrs.pop("wbs_item_keys"))
        return self.validate_type(attrs, program)

    def validate_type(self, attrs: dict[str, Any], program: Program) -> dict[str, Any]:
        return attrs

    def instance_row(self, instance: Any) -> dict[str, Any]:
        row = super().instance_row(instance)
        if "wbs_items" not in row or row["wbs_items"] is None:
            row["wbs_items"] = sorted(
                instance.wbs_items.values_list("key", flat=True), key=_key_number
            )
        return row

    def common(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "key": r["key"],
            "title": r["title"],
            "description": r["description"],
            "status": r["status"],
            "owner": user_ref(r["owner_id"], r["owner__full_name"]),
            "workstream": workstream_ref(
                r["workstream_id"], r["workstream__key"], r["workstream__name"]
            ),
            "wbs_items": r.get("wbs_items") or [],
        }

    def tail(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "version": r["version"],
            "created_at": self.format_datetime(r["created_at"]),
            "updated_at": self.format_datetime(r["updated_at"]),
        }


def _key_number(key: str) -> int:
    number = key.rpartition("-")[2]
    return int(number) if number.isdigit() else 0


# ---------------------------------------------------------------------------------------------
# Risks


class RiskSerializer(RaidItemSerializer):
    """A risk. `score` = probability x the highest impact; `emv` = cost x the probability's
    percentage (1 = 10 %, 2 = 30 %, 3 = 50 %, 4 = 70 %, 5 = 90 %). Both are computed."""

    status = serializers.ChoiceField(choices=RiskStatus.choices, required=False)
    category = serializers.ChoiceField(choices=RiskCategory.choices, required=False)
    cause = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    event = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    effect = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    probability = rating("1 rare ... 5 almost certain.")
    impact_schedule = rating("1 negligible ... 5 severe.")
    impact_cost = rating("1 negligible ... 5 severe.")
    impact_scope = rating("1 negligible ... 5 severe.")
    impact_quality = rating("1 negligible ... 5 severe.")
    impact = serializers.IntegerField(read_only=True, help_text="The highest of the four impacts.")
    score = serializers.IntegerField(read_only=True, help_text="probability x impact (1..25).")
    band = serializers.ChoiceField(choices=ScoreBand.choices, read_only=True)
    proximity_date = serializers.DateField(required=False, allow_null=True)
    response_strategy = serializers.ChoiceField(choices=ResponseStrategy.choices, required=False)
    mitigation_plan = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    contingency_plan = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    trigger = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    residual_probability = rating("After mitigation; null until assessed.", allow_null=True)
    residual_impact = rating("After mitigation; null until assessed.", allow_null=True)
    residual_score = serializers.IntegerField(read_only=True, allow_null=True)
    cost_impact_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text="What it would cost if it occurred, in the program currency.",
    )
    emv = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="Expected monetary value."
    )
    review_date = serializers.DateField(required=False, allow_null=True)
    last_reviewed_on = serializers.DateField(required=False, allow_null=True)

    row_fields = (
        *RaidItemSerializer.COMMON_ROW, "category", "cause", "event", "effect", "probability",
        "impact_schedule", "impact_cost", "impact_scope", "impact_quality", "impact", "score",
        "proximity_date", "response_strategy", "mitigation_plan", "contingency_plan", "trigger",
        "residual_probability", "residual_impact", "residual_score", "cost_impact_amount", "emv",
        "review_date", "last_reviewed_on",
    )  # fmt: skip

    def validate_type(self, attrs, program):
        instance = self.instance
        rp = attrs.get("residual_probability", getattr(instance, "residual_probability", None))
        ri = attrs.get("residual_impact", getattr(instance, "residual_impact", None))
        if (rp is None) != (ri is None):
            field = "residual_impact" if ri is None else "residual_probability"
            raise serializers.ValidationError(
                {field: ["Give both residual probability and residual impact, or neither."]}
            )
        return attrs

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        d = format_date
        return {
            **self.common(r),
            "category": r["category"],
            "cause": r["cause"],
            "event": r["event"],
            "effect": r["effect"],
            "probability": r["probability"],
            "impact_schedule": r["impact_schedule"],
            "impact_cost": r["impact_cost"],
            "impact_scope": r["impact_scope"],
            "impact_quality": r["impact_quality"],
            "impact": r["impact"],
            "score": r["score"],
            "band": score_band(r["score"]),
            "proximity_date": d(r["proximity_date"]),
            "response_strategy": r["response_strategy"],
            "mitigation_plan": r["mitigation_plan"],
            "contingency_plan": r["contingency_plan"],
            "trigger": r["trigger"],
            "residual_probability": r["residual_probability"],
            "residual_impact": r["residual_impact"],
            "residual_score": r["residual_score"],
            "cost_impact_amount": money(r["cost_impact_amount"]),
            "emv": money(r["emv"]),
            "review_date": d(r["review_date"]),
            "last_reviewed_on": d(r["last_reviewed_on"]),
            **self.tail(r),
        }


# ---------------------------------------------------------------------------------------------
# Issues


class IssueSerializer(RaidItemSerializer):
    """An issue: a problem happening now. Escalation is set by the escalation job (read-only)."""

    status = serializers.ChoiceField(choices=IssueStatus.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    escalation_level = serializers.ChoiceField(choices=EscalationLevel.choices, read_only=True)
    escalated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    resolved_on = serializers.DateField(required=False, allow_null=True)
    raised_from_risk = serializers.CharField(
        read_only=True, allow_null=True, help_text="The key of the risk it came from."
    )
    raised_from_risk_key = serializers.CharField(
        write_only=True, required=False, allow_null=True, allow_blank=True, max_length=16
    )

    row_fields = (
        *RaidItemSerializer.COMMON_ROW, "severity", "priority", "due_date", "escalation_level",
        "escalated_at", "resolution", "resolved_on", "raised_from_risk__key",
    )  # fmt: skip

    def validate_type(self, attrs, program):
        if "raised_from_risk_key" in attrs:
            key = (attrs.pop("raised_from_risk_key") or "").strip().upper()
            risk = None
            if key:
                risk = Risk.objects.filter(program=program, key=key).first()
                if risk is None:
                    raise serializers.ValidationError(
                        {"raised_from_risk_key": [f"There is no risk {key} in {program.code}."]}
                    )
            attrs["raised_from_risk"] = risk
        return attrs

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.common(r),
            "severity": r["severity"],
            "priority": r["priority"],
            "due_date": format_date(r["due_date"]),
            "escalation_level": r["escalation_level"],
            "escalated_at": self.format_datetime(r["escalated_at"]),
            "resolution": r["resolution"],
            "resolved_on": format_date(r["resolved_on"]),
            "raised_from_risk": r["raised_from_risk__key"],
            **self.tail(r),
        }


# ---------------------------------------------------------------------------------------------
# Assumptions


class AssumptionSerializer(RaidItemSerializer):
    status = serializers.ChoiceField(choices=AssumptionStatus.choices, required=False)
    validate_by = serializers.DateField(required=False, allow_null=True)
    consequence_if_false = serializers.CharField(
        required=False, allow_blank=True, max_length=20000, help_text="What breaks if false."
    )
    validated_on = serializers.DateField(required=False, allow_null=True)

    row_fields = (*RaidItemSerializer.COMMON_ROW, "validate_by", "consequence_if_false",
                  "validated_on")  # fmt: skip

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.common(r),
            "validate_by": format_date(r["validate_by"]),
            "consequence_if_false": r["consequence_if_false"],
            "validated_on": format_date(r["validated_on"]),
            **self.tail(r),
        }


# ---------------------------------------------------------------------------------------------
# Dependencies


class RaidDependencySerializer(RaidItemSerializer):
    """A RAID dependency between parties. Each side is exactly one of another program (its
    code), a workstream of this program (its key) or an external party (text); sending one field
    of a side replaces that side."""

    status = serializers.ChoiceField(choices=DependencyStatus.choices, required=False)
    direction = serializers.ChoiceField(choices=DependencyDirection.choices, required=False)
    giver = PartySerializer(read_only=True)
    receiver = PartySerializer(read_only=True)
    giver_program_code = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=12
    )
    giver_workstream_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=16
    )
    giver_external = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200
    )
    receiver_program_code = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=12
    )
    receiver_workstream_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=16
    )
    receiver_external = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200
    )
    needed_by = serializers.DateField(required=False, allow_null=True)

    row_fields = (
        *RaidItemSerializer.COMMON_ROW, "direction", "needed_by", "giver_program__code",
        "giver_workstream__key", "giver_workstream__name", "giver_external",
        "receiver_program__code", "receiver_workstream__key", "receiver_workstream__name",
        "receiver_external",
    )  # fmt: skip

    def validate_type(self, attrs, program):
        user = self.context["request"].user
        for side in Dependency.SIDES:
            names = [f"{side}_program_code", f"{side}_workstream_key", f"{side}_external"]
            sent = {n: (attrs.pop(n) or "").strip() for n in names if n in attrs}
            if not sent:
                continue
            given = [n for n, v in sent.items() if v]
            if len(given) != 1:
                raise serializers.ValidationError(
                    {
                        names[0]: [
                            f"Name exactly one {side}: {side}_program_code, "
                            f"{side}_workstream_key or {side}_external."
                        ]
                    }
                )
            name, value = given[0], sent[given[0]]
            if name.endswith("program_code"):
                # Only programs the caller is a member of: codes of others must not leak.
                other = Program.objects.filter(code=value.upper(), memberships__user=user).first()
                if other is None:
                    raise serializers.ValidationError(
                        {name: [f"You are not a member of a program {value}."]}
                    )
                attrs[f"{side}_program"] = other
            elif name.endswith("workstream_key"):
                attrs[f"{side}_workstream"] = workstream_for_key(program, value, name)
            else:
                attrs[f"{side}_external"] = value
        return attrs

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.common(r),
            "direction": r["direction"],
            "giver": party(
                r["giver_program__code"],
                r["giver_workstream__key"],
                r["giver_workstream__name"],
                r["giver_external"],
            ),
            "receiver": party(
                r["receiver_program__code"],
                r["receiver_workstream__key"],
                r["receiver_workstream__name"],
                r["receiver_external"],
            ),
            "needed_by": format_date(r["needed_by"]),
            **self.tail(r),
        }


# ---------------------------------------------------------------------------------------------
# Actions


class ActionSerializer(RaidItemSerializer):
    """An action: on a RAID item, a decision or a change request (`subject`), or stand-alone.
    Escalation is set by the escalation job (read-only)."""

    status = serializers.ChoiceField(choices=ActionStatus.choices, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    completed_on = serializers.DateField(required=False, allow_null=True)
    escalation_level = serializers.ChoiceField(choices=EscalationLevel.choices, read_only=True)
    escalated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    subject = SubjectSerializer(read_only=True, allow_null=True)
    subject_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="On create: the key of the RAID item it is about (e.g. RSK-3).",
    )

    row_fields = (
        *RaidItemSerializer.COMMON_ROW, "due_date", "completed_on", "escalation_level",
        "escalated_at", "content_type_id", "object_id", "subject_key",
    )  # fmt: skip

    def validate_type(self, attrs, program):
        if "subject_key" in attrs:
            key = attrs.pop("subject_key").strip().upper()
            if self.instance is not None:
                raise serializers.ValidationError(
                    {"subject_key": ["An action's subject is set when it is created."]}
                )
            subject = raid_item_by_key(program=program, key=key) if key else None
            if key and (subject is None or isinstance(subject, Action)):
                raise serializers.ValidationError(
                    {"subject_key": [f"There is no risk, issue, assumption or dependency {key}."]}
                )
            attrs["subject"] = subject
        return attrs

    def represent_row(self, r: dict[str, Any]) -> dict[str, Any]:
        subject = None
        if r["content_type_id"] is not None:
            ct = ContentType.objects.get_for_id(r["content_type_id"])  # cached per process
            subject = {
                "type": f"{ct.app_label}.{ct.model}",
                "id": r["object_id"],
                "key": r["subject_key"],
            }
        return {
            **self.common(r),
            "due_date": format_date(r["due_date"]),
            "completed_on": format_date(r["completed_on"]),
            "escalation_level": r["escalation_level"],
            "escalated_at": self.format_datetime(r["escalated_at"]),
            "subject": subject,
            "subject_key": r["subject_key"] or None,
            **self.tail(r),
        }


SERIALIZERS: dict[str, type[RaidItemSerializer]] = dict(
    zip(
        RAID_MODELS,
        (
            RiskSerializer,
            IssueSerializer,
            AssumptionSerializer,
            RaidDependencySerializer,
            ActionSerializer,
        ),
        strict=True,
    )
)


# ---------------------------------------------------------------------------------------------
# Heat map, snapshots, overdue


class HeatMapSerializer(serializers.Serializer):
    current = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="5 rows (probability 5 down to 1) of 5 counts (impact 1 to 5).",
    )
    residual = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="The same for residual ratings (risks without one are left out).",
    )
    open_risks = serializers.IntegerField()
    residual_assessed = serializers.IntegerField()
    exposure = serializers.IntegerField(help_text="Sum of the open risks' scores.")
    contingency_reserve = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Sum of the open risks' EMV."
    )


class SnapshotSerializer(serializers.Serializer):
    week_start = serializers.DateField()
    open_count = serializers.IntegerField()
    low_count = serializers.IntegerField()
    medium_count = serializers.IntegerField()
    high_count = serializers.IntegerField()
    critical_count = serializers.IntegerField()
    total_exposure = serializers.IntegerField()
    residual_exposure = serializers.IntegerField()
    total_emv = serializers.DecimalField(max_digits=16, decimal_places=2)
    taken_at = serializers.DateTimeField()


class OverdueRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    owner = UserRefSerializer(allow_null=True)
    due = serializers.DateField(allow_null=True)
    days_late = serializers.IntegerField(allow_null=True)
    escalation_level = serializers.IntegerField(allow_null=True)


class OverdueSerializer(serializers.Serializer):
    issues = OverdueRowSerializer(many=True)
    actions = OverdueRowSerializer(many=True)
    risks = OverdueRowSerializer(many=True, help_text="Risks past their review date.")
    assumptions = OverdueRowSerializer(many=True)
    dependencies = OverdueRowSerializer(many=True)
