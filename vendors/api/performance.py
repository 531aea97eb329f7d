"""Vendor performance API, under /api/v1/programs/<code>/vendors/: SLAs (CRUD, deactivate and
reactivate), their measurements (record, correct, delete), escalations (CRUD and the steps
escalate, resolve, close, reopen), scorecards (every vendor for a period; one vendor with its
trend), and the vendor portal's own scorecard and SLA measurements.

Edits send If-Match (or `version`): without it 428, outdated 412. Steps take it optionally. A
step the object's state refuses (recording on a deactivated SLA, resolving a closed escalation,
escalating past level 4) answers 409 with the reason. Periods are `2026-03` (a month) or
`2026-Q1` (a quarter); the default is the last complete month.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.pagination import StandardPagination
from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    PRECONDITION_REQUIRED,
    UNAUTHORIZED,
    VALIDATION_ERROR,
    stale_response,
)
from core.api.serializers import format_date, format_datetime, user_ref
from core.api.versioning import VersionedMixin
from core.api.views import ApiView
from programs.api.views import ProgramScopedMixin
from programs.selectors import member_users

from .. import periods as P
from ..models import (
    Contract,
    Escalation,
    EscalationLevel,
    EscalationStatus,
    ServiceLevel,
    SLADirection,
    SLAMeasurement,
    SLAPeriod,
    Vendor,
)
from ..selectors import performance as selectors
from ..selectors.portal import portal_vendor_for
from ..services import performance as services
from ._base import REFUSED, optional_version, refusals_as_409

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The program code, e.g. ERP."
)
PK = OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The row's id.")
ESC_KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The escalation's key, e.g. ESC-2."
)
VENDOR_KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The vendor's key, e.g. VND-3."
)
PERIOD = OpenApiParameter(
    "period",
    OpenApiTypes.STR,
    description="`2026-03` (a month) or `2026-Q1` (a quarter); default: the last complete month.",
)
PERIODS = OpenApiParameter(
    "periods", OpenApiTypes.INT, description="How many periods the trend covers (1-36, default 12)."
)
VERSION_HELP = "The version you edited (or send If-Match)."
TAGS = ["vendor performance"]


def _number(value) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _period_json(period: P.Period) -> dict[str, Any]:
    return {
        "period": period.slug,
        "kind": period.kind,
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }


def _period(request, today) -> P.Period:
    raw = request.query_params.get("period")
    if raw in (None, ""):
        return P.Period.default(today)
    period = P.Period.parse(raw)
    if period is None:
        raise ValidationError({"period": ["Use 2026-03 for a month or 2026-Q1 for a quarter."]})
    if period.start > today:
        raise ValidationError({"period": ["That period has not started yet."]})
    return period


# --- serializers ----------------------------------------------------------------------------


class SLASerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    contract = serializers.CharField(max_length=16, help_text="The contract's key, e.g. CTR-5.")
    vendor = serializers.DictField(
        read_only=True, help_text="{key, name} of the contract's vendor."
    )
    metric = serializers.CharField(max_length=200)
    target = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0)
    unit = serializers.CharField(max_length=20, help_text="e.g. %, hours, days.")
    direction = serializers.ChoiceField(choices=SLADirection.choices, required=False)
    period = serializers.ChoiceField(choices=SLAPeriod.choices, required=False)
    is_active = serializers.BooleanField(read_only=True)
    last_measurement = serializers.DictField(
        read_only=True, allow_null=True, help_text="{period_start, value, breached} or null."
    )
    attainment_12_months = serializers.DictField(
        read_only=True, help_text="{measured, breaches, percent} over the last 12 months."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_contract(self, value: str) -> Contract:
        contract = Contract.objects.filter(
            program=self.context["program"], key=value.strip().upper()
        ).first()
        if contract is None:
            raise serializers.ValidationError(f"There is no contract {value} in this program.")
        return contract

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs

    def to_representation(self, sla: ServiceLevel) -> dict[str, Any]:
        last = None
        if getattr(sla, "last_period_start", None) is not None:
            last = {
                "period_start": format_date(sla.last_period_start),
                "value": _number(sla.last_value),
                "breached": sla.last_breached,
            }
        measured = getattr(sla, "measured", 0)
        breaches = getattr(sla, "breaches", 0)
        percent = P.percent(measured - breaches, measured)
        return {
            "id": sla.pk,
            "contract": sla.contract.key,
            "vendor": {"key": sla.vendor.key, "name": sla.vendor.name},
            "metric": sla.metric,
            "target": _number(sla.target),
            "unit": sla.unit,
            "direction": sla.direction,
            "period": sla.period,
            "is_active": sla.is_active,
            "last_measurement": last,
            "attainment_12_months": {
                "measured": measured,
                "breaches": breaches,
                "percent": None if percent is None else str(percent),
            },
            "version": sla.version,
            "created_at": format_datetime(sla.created_at),
            "updated_at": format_datetime(sla.updated_at),
        }


class MeasurementSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    sla = serializers.IntegerField(read_only=True, help_text="The SLA's id.")
    period_start = serializers.DateField(
        help_text="The first day of the SLA's period: a Monday (weekly), the 1st (monthly), "
        "1 Jan/Apr/Jul/Oct (quarterly)."
    )
    period_end = serializers.DateField(
        required=False, help_text="Its last day; derived from the period when left out."
    )
    value = serializers.DecimalField(max_digits=12, decimal_places=3)
    breached = serializers.BooleanField(
        read_only=True, help_text="Judged against the SLA's target when recorded or corrected."
    )
    note = serializers.CharField(required=False, allow_blank=True, help_text="Internal.")
    recorded_by = serializers.DictField(read_only=True, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs

    def to_representation(self, m: SLAMeasurement) -> dict[str, Any]:
        data = {
            "id": m.pk,
            "sla": m.service_level_id,
            "period_start": format_date(m.period_start),
            "period_end": format_date(m.period_end),
            "value": _number(m.value),
            "breached": m.breached,
            "note": m.note,
            "recorded_by": user_ref(m.recorded_by_id, getattr(m.recorded_by, "full_name", None)),
            "version": m.version,
            "created_at": format_datetime(m.created_at),
        }
        if self.context.get("portal"):
            for internal in ("note", "recorded_by", "version"):
                data.pop(internal)
        return data


class EscalationSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="e.g. ESC-2.")
    vendor = serializers.CharField(max_length=16, help_text="The vendor's key (on create only).")
    vendor_name = serializers.CharField(read_only=True)
    contract = serializers.CharField(
        max_length=16, required=False, allow_null=True, allow_blank=True,
        help_text="The key of the vendor's contract whose escalation clause applies.",
    )  # fmt: skip
    title = serializers.CharField(max_length=300)
    level = serializers.ChoiceField(
        choices=EscalationLevel.choices,
        required=False,
        help_text="On create (default 1); afterwards it goes up with escalate/.",
    )
    reason = serializers.CharField()
    owner_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="A member of the program."
    )
    owner = serializers.DictField(read_only=True, allow_null=True)
    raised_on = serializers.DateField(required=False, help_text="Default: today.")
    respond_by = serializers.DateField(required=False, allow_null=True)
    resolved_on = serializers.DateField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=EscalationStatus.choices, read_only=True)
    outcome = serializers.CharField(read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs):
        program = self.context["program"]
        attrs.pop("version", None)
        if self.instance is not None:
            for frozen in ("vendor", "level"):
                if frozen in attrs:
                    raise ValidationError(
                        {frozen: ["Set on create; the level goes up with escalate/."]}
                    )
            vendor = self.instance.vendor
        else:
            vendor = Vendor.objects.filter(
                program=program, key=attrs.get("vendor", "").strip().upper()
            ).first()
            if vendor is None:
                raise ValidationError({"vendor": [f"There is no vendor {attrs.get('vendor')}."]})
            attrs["vendor"] = vendor
        if "contract" in attrs:
            key = (attrs["contract"] or "").strip().upper()
            contract = None
            if key:
                contract = Contract.objects.filter(program=program, key=key).first()
                if contract is None:
                    raise ValidationError({"contract": [f"There is no contract {key}."]})
            attrs["contract"] = contract
        if "owner_id" in attrs:
            owner_id = attrs.pop("owner_id")
            owner = None
            if owner_id is not None:
                owner = member_users(program=program).filter(pk=owner_id).first()
                if owner is None:
                    raise ValidationError({"owner_id": ["Not a member of this program."]})
            attrs["owner"] = owner
        return attrs

    def to_representation(self, e: Escalation) -> dict[str, Any]:
        return {
            "key": e.key,
            "vendor": e.vendor.key,
            "vendor_name": e.vendor.name,
            "contract": e.contract.key if e.contract_id else None,
            "title": e.title,
            "level": e.level,
            "reason": e.reason,
            "owner": user_ref(e.owner_id, getattr(e.owner, "full_name", None)),
            "raised_on": format_date(e.raised_on),
            "respond_by": format_date(e.respond_by),
            "resolved_on": format_date(e.resolved_on),
            "status": e.status,
            "outcome": e.outcome,
            "version": e.version,
            "created_at": format_datetime(e.created_at),
            "updated_at": format_datetime(e.updated_at),
        }


class EscalateSerializer(serializers.Serializer):
    note = serializers.CharField(help_text="Why it goes up a level (recorded in its history).")
    owner_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    respond_by = serializers.DateField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        owner_id = attrs.pop("owner_id", None)
        if owner_id is not None:
            owner = member_users(program=self.context["program"]).filter(pk=owner_id).first()
            if owner is None:
                raise ValidationError({"owner_id": ["Not a member of this program."]})
            attrs["owner"] = owner
        return attrs


class FinishSerializer(serializers.Serializer):
    outcome = serializers.CharField(help_text="What was agreed, or why it is closed.")
    resolved_on = serializers.DateField(
        required=False, allow_null=True, help_text="Default: today."
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs


class ReopenSerializer(serializers.Serializer):
    note = serializers.CharField(help_text="Why it is reopened.")
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs


class ActiveSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class MeasureSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="Percent, or a count (escalations).")
    part = serializers.IntegerField()
    whole = serializers.IntegerField()
    colour = serializers.CharField(allow_null=True, help_text="green, yellow (amber), red, null.")
    change = serializers.DictField(allow_null=True, help_text="{direction, good, previous}.")


class ScorecardSerializer(serializers.Serializer):
    vendor = serializers.DictField(help_text="{key, name, status}.")
    period = serializers.DictField(help_text="{period, kind, label, start, end}.")
    on_time_delivery = MeasureSerializer()
    first_pass_acceptance = MeasureSerializer()
    sla_attainment = MeasureSerializer()
    open_escalations = MeasureSerializer()
    trend = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Oldest first (one vendor)."
    )


def scorecard_json(card) -> dict[str, Any]:
    vendor = card.vendor
    return {
        "vendor": {"key": vendor.key, "name": vendor.name, "status": vendor.status},
        "period": _period_json(card.period),
        "on_time_delivery": card.on_time.as_json(),
        "first_pass_acceptance": card.first_pass.as_json(),
        "sla_attainment": card.sla.as_json(),
        "open_escalations": card.escalations.as_json(),
    }


def trend_json(trend) -> list[dict[str, Any]]:
    return [
        {
            **_period_json(period),
            "on_time_delivery": row["on_time"].as_json(),
            "first_pass_acceptance": row["first_pass"].as_json(),
            "sla_attainment": row["sla"].as_json(),
            "open_escalations": row["escalations"].as_json(),
        }
        for period, row in zip(trend.periods, trend.rows, strict=True)
    ]


# --- schema helpers -------------------------------------------------------------------------


def _schema(operation_id, responses, *, parameters=(), request=None, description=""):
    base = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}
    return extend_schema(
        operation_id=operation_id,
        parameters=[CODE, *parameters],
        request=request,
        responses={**responses, **base},
        description=description,
        tags=TAGS,
    )


def _write(serializer, code=200, *, refused=True, stale=True, required=True):
    responses: dict[int, Any] = {code: serializer, 400: VALIDATION_ERROR}
    if refused:
        responses[409] = REFUSED
    if stale:
        responses[412] = stale_response(serializer)
    if required:
        responses[428] = PRECONDITION_REQUIRED
    return responses


class _Scoped(ProgramScopedMixin, VersionedMixin, ApiView):
    filter_backends: list = []

    def today(self):
        return services.program_today(self.program)

    def context(self) -> dict[str, Any]:
        return {"request": self.request, "program": self.program}

    def serialize_current(self, instance) -> dict:
        return self.represent(instance)

    represent: Callable[[Any], dict]  # each view's row body (also the 412 body's `current`)

    def page(self, rows, serializer_class, **extra_context):
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, self.request, view=self)
        data = serializer_class(page, many=True, context={**self.context(), **extra_context}).data
        return paginator.get_paginated_response(data)


# --- SLAs -----------------------------------------------------------------------------------


class SLAMixin(_Scoped):
    def sla(self, pk) -> ServiceLevel:
        selectors.service_level_get(program=self.program, pk=pk)  # 404 outside the program
        return selectors.service_level_list(program=self.program, today=self.today()).get(pk=pk)

    def represent(self, instance) -> dict:
        return SLASerializer(self.sla(instance.pk), context=self.context()).data


class SLAListView(SLAMixin):
    """The program's SLAs with their last measurement and 12-month attainment."""

    permission_actions = {"get": "sla.view", "post": "sla.change"}

    @_schema(
        "vendors_sla_list",
        {200: SLASerializer(many=True), 400: VALIDATION_ERROR},
        parameters=[
            OpenApiParameter("vendor", OpenApiTypes.STR, description="A vendor's key."),
            OpenApiParameter(
                "status", OpenApiTypes.STR, description="active, inactive or breached."
            ),
        ],
    )
    def get(self, request, code):
        vendor = None
        if request.query_params.get("vendor"):
            vendor = Vendor.objects.filter(
                program=self.program, key=request.query_params["vendor"].upper()
            ).first()
            if vendor is None:
                raise ValidationError({"vendor": ["No such vendor in this program."]})
        status_filter = request.query_params.get("status", "")
        if status_filter not in ("", "active", "inactive", "breached"):
            raise ValidationError({"status": ["Use active, inactive or breached."]})
        rows = selectors.service_level_list(
            program=self.program, today=self.today(), vendor=vendor, status=status_filter
        )
        return self.page(rows, SLASerializer)

    @_schema("vendors_sla_create", _write(SLASerializer, 201, stale=False, required=False),
             request=SLASerializer, parameters=[ETAG])  # fmt: skip
    def post(self, request, code):
        serializer = SLASerializer(data=request.data, context=self.context())
        serializer.is_valid(raise_exception=True)
        sla = services.service_level_create(
            actor=request.user, program=self.program, **serializer.validated_data
        )
        return Response(self.represent(sla), status=status.HTTP_201_CREATED)


class SLADetailView(SLAMixin):
    permission_actions = {"get": "sla.view", "put": "sla.change", "patch": "sla.change"}

    @_schema("vendors_sla_retrieve", {200: SLASerializer}, parameters=[PK, ETAG])
    def get(self, request, code, pk):
        return Response(self.represent(self.sla(pk)))

    @_schema(
        "vendors_sla_update",
        _write(SLASerializer, refused=False),
        request=SLASerializer,
        parameters=[PK, IF_MATCH, ETAG],
        description="A new target does not rewrite recorded breaches. The period and the "
        "contract cannot change once measurements exist (400).",
    )
    def put(self, request, code, pk, partial=False):
        sla = self.sla(pk)
        version = self.expected_version()
        serializer = SLASerializer(sla, data=request.data, partial=partial, context=self.context())
        serializer.is_valid(raise_exception=True)
        sla = services.service_level_update(
            actor=request.user,
            service_level=sla,
            expected_version=version,
            **serializer.validated_data,
        )
        return Response(self.represent(sla))

    @_schema(
        "vendors_sla_partial_update",
        _write(SLASerializer, refused=False),
        request=SLASerializer,
        parameters=[PK, IF_MATCH, ETAG],
    )
    def patch(self, request, code, pk):
        return self.put(request, code, pk, partial=True)


class SLAActiveView(SLAMixin):
    permission_actions = {"post": "sla.change"}
    active = False

    def post(self, request, code, pk):
        sla = self.sla(pk)
        serializer = ActiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            sla = services.service_level_set_active(
                actor=request.user,
                service_level=sla,
                active=self.active,
                expected_version=optional_version(request),
            )
        return Response(self.represent(sla))


class SLADeactivateView(SLAActiveView):
    """Stop measuring: recorded measurements stay on the scorecards."""

    active = False

    @_schema("vendors_sla_deactivate", _write(SLASerializer, required=False),
             request=ActiveSerializer, parameters=[PK, IF_MATCH, ETAG])  # fmt: skip
    def post(self, request, code, pk):
        return super().post(request, code, pk)


class SLAReactivateView(SLAActiveView):
    active = True

    @_schema("vendors_sla_reactivate", _write(SLASerializer, required=False),
             request=ActiveSerializer, parameters=[PK, IF_MATCH, ETAG])  # fmt: skip
    def post(self, request, code, pk):
        return super().post(request, code, pk)


# --- measurements ---------------------------------------------------------------------------


class MeasurementListView(SLAMixin):
    """An SLA's measurements, newest first; recording the next one."""

    permission_actions = {"get": "sla.view", "post": "sla.record"}

    @_schema(
        "vendors_sla_measurement_list",
        {200: MeasurementSerializer(many=True)},
        parameters=[PK],
    )
    def get(self, request, code, pk):
        sla = selectors.service_level_get(program=self.program, pk=pk)
        return self.page(selectors.measurement_list(service_level=sla), MeasurementSerializer)

    @_schema(
        "vendors_sla_measurement_create",
        _write(MeasurementSerializer, 201, stale=False, required=False),
        request=MeasurementSerializer,
        parameters=[PK, ETAG],
        description="400 when the period does not match the SLA's (with the period meant), is "
        "already measured, lies in the future or outside the contract, or a percentage is "
        "outside 0-100; 409 when the SLA is deactivated.",
    )
    def post(self, request, code, pk):
        sla = selectors.service_level_get(program=self.program, pk=pk)
        serializer = MeasurementSerializer(data=request.data, context=self.context())
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            measurement = services.measurement_record(
                actor=request.user, service_level=sla, **serializer.validated_data
            )
        return Response(self.represent_measurement(measurement), status=status.HTTP_201_CREATED)

    def represent_measurement(self, measurement) -> dict:
        fresh = selectors.measurement_get(program=self.program, pk=measurement.pk)
        return MeasurementSerializer(fresh, context=self.context()).data


class MeasurementDetailView(_Scoped):
    permission_actions = {
        "get": "sla.view", "put": "sla.record", "patch": "sla.record", "delete": "sla.change",
    }  # fmt: skip

    def measurement(self, pk) -> SLAMeasurement:
        return selectors.measurement_get(program=self.program, pk=pk)

    def represent(self, instance) -> dict:
        return MeasurementSerializer(self.measurement(instance.pk), context=self.context()).data

    @_schema("vendors_measurement_retrieve", {200: MeasurementSerializer}, parameters=[PK, ETAG])
    def get(self, request, code, pk):
        return Response(self.represent(self.measurement(pk)))

    @_schema(
        "vendors_measurement_update",
        _write(MeasurementSerializer, refused=False),
        request=MeasurementSerializer,
        parameters=[PK, IF_MATCH, ETAG],
        description="A corrected value is judged again against the SLA's current target.",
    )
    def put(self, request, code, pk, partial=False):
        measurement = self.measurement(pk)
        version = self.expected_version()
        serializer = MeasurementSerializer(
            measurement, data=request.data, partial=partial, context=self.context()
        )
        serializer.is_valid(raise_exception=True)
        measurement = services.measurement_update(
            actor=request.user,
            measurement=measurement,
            expected_version=version,
            **serializer.validated_data,
        )
        return Response(self.represent(measurement))

    @_schema(
        "vendors_measurement_partial_update",
        _write(MeasurementSerializer, refused=False),
        request=MeasurementSerializer,
        parameters=[PK, IF_MATCH, ETAG],
    )
    def patch(self, request, code, pk):
        return self.put(request, code, pk, partial=True)

    @_schema(
        "vendors_measurement_destroy",
        {204: OpenApiResponse(description="Deleted."), 412: stale_response(MeasurementSerializer),
         428: PRECONDITION_REQUIRED},
        parameters=[PK, IF_MATCH],
    )  # fmt: skip
    def delete(self, request, code, pk):
        measurement = self.measurement(pk)
        services.measurement_delete(
            actor=request.user, measurement=measurement, expected_version=self.expected_version()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- escalations ----------------------------------------------------------------------------


class EscalationMixin(_Scoped):
    def escalation(self, key) -> Escalation:
        return selectors.escalation_get(program=self.program, key=key)

    def represent(self, instance) -> dict:
        fresh = selectors.escalation_get(program=self.program, key=instance.key)
        return EscalationSerializer(fresh, context=self.context()).data


class EscalationListView(EscalationMixin):
    permission_actions = {"get": "escalation.view", "post": "escalation.change"}

    @_schema(
        "vendors_escalation_list",
        {200: EscalationSerializer(many=True), 400: VALIDATION_ERROR},
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="open, resolved, closed."),
            OpenApiParameter("vendor", OpenApiTypes.STR, description="A vendor's key."),
            OpenApiParameter("level", OpenApiTypes.INT, description="1-4."),
        ],
    )
    def get(self, request, code):
        params = request.query_params
        vendor = None
        if params.get("vendor"):
            vendor = Vendor.objects.filter(
                program=self.program, key=params["vendor"].upper()
            ).first()
            if vendor is None:
                raise ValidationError({"vendor": ["No such vendor in this program."]})
        if params.get("status") and params["status"] not in EscalationStatus.values:
            raise ValidationError({"status": ["Use open, resolved or closed."]})
        level = params.get("level")
        if level and level not in {str(v) for v in EscalationLevel.values}:
            raise ValidationError({"level": ["Use 1, 2, 3 or 4."]})
        rows = selectors.escalation_list(
            program=self.program,
            vendor=vendor,
            status=params.get("status", ""),
            level=int(level) if level else None,
        )
        return self.page(rows, EscalationSerializer)

    @_schema("vendors_escalation_create",
             _write(EscalationSerializer, 201, stale=False, required=False, refused=False),
             request=EscalationSerializer, parameters=[ETAG])  # fmt: skip
    def post(self, request, code):
        serializer = EscalationSerializer(data=request.data, context=self.context())
        serializer.is_valid(raise_exception=True)
        escalation = services.escalation_create(
            actor=request.user, program=self.program, **serializer.validated_data
        )
        return Response(self.represent(escalation), status=status.HTTP_201_CREATED)


class EscalationDetailView(EscalationMixin):
    permission_actions = {
        "get": "escalation.view", "put": "escalation.change", "patch": "escalation.change",
    }  # fmt: skip

    @_schema("vendors_escalation_retrieve", {200: EscalationSerializer}, parameters=[ESC_KEY, ETAG])
    def get(self, request, code, key):
        return Response(self.represent(self.escalation(key)))

    @_schema(
        "vendors_escalation_update",
        _write(EscalationSerializer),
        request=EscalationSerializer,
        parameters=[ESC_KEY, IF_MATCH, ETAG],
        description="Only an open escalation is edited (409 otherwise); `vendor` and `level` "
        "are set on create.",
    )
    def put(self, request, code, key, partial=False):
        escalation = self.escalation(key)
        version = self.expected_version()
        serializer = EscalationSerializer(
            escalation, data=request.data, partial=partial, context=self.context()
        )
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            escalation = services.escalation_update(
                actor=request.user,
                escalation=escalation,
                expected_version=version,
                **serializer.validated_data,
            )
        return Response(self.represent(escalation))

    @_schema(
        "vendors_escalation_partial_update",
        _write(EscalationSerializer),
        request=EscalationSerializer,
        parameters=[ESC_KEY, IF_MATCH, ETAG],
    )
    def patch(self, request, code, key):
        return self.put(request, code, key, partial=True)


class _EscalationStep(EscalationMixin):
    permission_actions = {"post": "escalation.change"}
    step = ""
    serializer_class: type[serializers.Serializer] = ReopenSerializer

    def post(self, request, code, key):
        escalation = self.escalation(key)
        version = optional_version(request)
        serializer = self.serializer_class(data=request.data, context=self.context())
        serializer.is_valid(raise_exception=True)
        service = getattr(services, f"escalation_{self.step}")
        with refusals_as_409():
            escalation = service(
                actor=request.user,
                escalation=escalation,
                expected_version=version,
                **serializer.validated_data,
            )
        return Response(self.represent(escalation))


def _step_schema(step: str, request, description: str):
    return _schema(
        f"vendors_escalation_{step}",
        _write(EscalationSerializer, required=False),
        request=request,
        parameters=[ESC_KEY, IF_MATCH, ETAG],
        description=description,
    )


class EscalationEscalateView(_EscalationStep):
    step, serializer_class = "escalate", EscalateSerializer

    @_step_schema("escalate", EscalateSerializer, "One level up (409 at level 4 or when not open).")
    def post(self, request, code, key):
        return super().post(request, code, key)


class EscalationResolveView(_EscalationStep):
    step, serializer_class = "resolve", FinishSerializer

    @_step_schema("resolve", FinishSerializer, "Open -> resolved, with the outcome.")
    def post(self, request, code, key):
        return super().post(request, code, key)


class EscalationCloseView(_EscalationStep):
    step, serializer_class = "close", FinishSerializer

    @_step_schema("close", FinishSerializer, "Open -> closed without resolution, with why.")
    def post(self, request, code, key):
        return super().post(request, code, key)


class EscalationReopenView(_EscalationStep):
    step, serializer_class = "reopen", ReopenSerializer

    @_step_schema("reopen", ReopenSerializer, "Resolved or closed -> open again.")
    def post(self, request, code, key):
        return super().post(request, code, key)


# --- scorecards -----------------------------------------------------------------------------


def _periods_count(request) -> int:
    raw = request.query_params.get("periods", "12")
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if not 1 <= count <= 36:
        raise ValidationError({"periods": ["A whole number from 1 to 36."]})
    return count


class ScorecardListView(_Scoped):
    """Every vendor's scorecard for a period."""

    permission_actions = {"get": "vendor.view"}

    @_schema(
        "vendors_scorecard_list",
        {200: ScorecardSerializer(many=True), 400: VALIDATION_ERROR},
        parameters=[PERIOD],
    )
    def get(self, request, code):
        today = self.today()
        period = _period(request, today)
        cards = selectors.scorecards(program=self.program, period=period, today=today)
        return Response(
            {"period": _period_json(period), "results": [scorecard_json(c) for c in cards]}
        )


class ScorecardDetailView(_Scoped):
    """One vendor's scorecard for a period and its trend."""

    permission_actions = {"get": "vendor.view"}

    @_schema(
        "vendors_scorecard_retrieve",
        {200: ScorecardSerializer, 400: VALIDATION_ERROR},
        parameters=[VENDOR_KEY, PERIOD, PERIODS],
    )
    def get(self, request, code, key):
        vendor = selectors.scorecard_vendor_for(program=self.program, key=key)
        return Response(scorecard_with_trend(self.program, vendor, request, self.today()))


def scorecard_with_trend(program, vendor, request, today) -> dict[str, Any]:
    period = _period(request, today)
    count = _periods_count(request)
    card = selectors.scorecard(program=program, vendor=vendor, period=period, today=today)
    trend = selectors.scorecard_trend(
        program=program, vendor=vendor, period=period, today=today, count=count
    )
    return {**scorecard_json(card), "trend": trend_json(trend)}


# --- the vendor portal ----------------------------------------------------------------------


class _Portal(_Scoped):
    permission_actions = {"get": "portal.view"}

    def vendor(self) -> Vendor:
        vendor = portal_vendor_for(program=self.program, user=self.request.user)
        if vendor is None:
            raise PermissionDenied(
                "Your account is not linked to a vendor yet. Ask the program manager to link it."
            )
        return vendor


class PortalScorecardView(_Portal):
    """Your company's scorecard and trend (the vendor portal)."""

    @_schema(
        "vendors_portal_scorecard",
        {200: ScorecardSerializer, 400: VALIDATION_ERROR},
        parameters=[PERIOD, PERIODS],
    )
    def get(self, request, code):
        return Response(scorecard_with_trend(self.program, self.vendor(), request, self.today()))


class PortalSLAListView(_Portal):
    """Your company's SLAs with their last measurement and attainment."""

    @_schema("vendors_portal_sla_list", {200: SLASerializer(many=True)})
    def get(self, request, code):
        rows = selectors.service_level_list(
            program=self.program, today=self.today(), vendor=self.vendor()
        )
        return self.page(rows, SLASerializer)


class PortalMeasurementListView(_Portal):
    """One of your SLAs' measurements (another vendor's SLA id answers 404)."""

    @_schema(
        "vendors_portal_sla_measurement_list",
        {200: MeasurementSerializer(many=True)},
        parameters=[PK],
    )
    def get(self, request, code, pk):
        sla = selectors.service_level_get(program=self.program, pk=pk, vendor=self.vendor())
        return self.page(
            selectors.measurement_list(service_level=sla), MeasurementSerializer, portal=True
        )
