"""Change orders and reserves API, under /api/v1/programs/<code>/budget/.

Change orders (CO-n): CRUD while a draft (409 afterwards), `approve/` and `reject/` steps by
budget.approve and never by the author; the current budget = original + approved change orders.
Reserves: the management and contingency reserve (amount set aside, PUT with If-Match once it
exists) and their movements (draws negative, top-ups positive; created, never edited).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.refusals import REFUSED, optional_version, refusals_as_409
from core.api.schema import (
    ETAG,
    FORBIDDEN,
    IF_MATCH,
    NOT_FOUND,
    UNAUTHORIZED,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    stale_response,
    update_schema,
)
from core.api.serializers import UserRefSerializer, format_date
from core.api.versioning import VersionedMixin, expected_version
from core.api.views import ApiView, ApiViewSet
from programs.api.views import ProgramScopedMixin
from programs.models import Program

from ..models import BudgetLine, ChangeOrder, ChangeOrderStatus, Reserve, ReserveKind
from ..months import month_label, parse_month
from ..selectors import plan as selectors
from ..services import structure as services
from .plan import CODE, VERSION_HELP, money

KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The change order, e.g. CO-2."
)
KIND = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ReserveKind.values,
    description="management or contingency.",
)  # fmt: skip
STATUS = OpenApiParameter(
    "status", OpenApiTypes.STR, enum=ChangeOrderStatus.values, description="Only this status."
)


class ChangeOrderAmountSerializer(serializers.Serializer):
    line = serializers.CharField(max_length=16, help_text="The budget line's key, e.g. BL-3.")
    month = serializers.CharField(max_length=10, help_text="YYYY-MM.")
    amount = serializers.CharField(max_length=24, help_text="Signed: negative takes budget away.")


class ChangeOrderSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    title = serializers.CharField(max_length=200)
    reason = serializers.CharField()
    change_request = serializers.CharField(
        max_length=16, required=False, allow_null=True, allow_blank=True,
        help_text="The key of the approved or implemented change request that caused it.",
    )  # fmt: skip
    status = serializers.ChoiceField(choices=ChangeOrderStatus.choices, read_only=True)
    amounts = ChangeOrderAmountSerializer(many=True)
    total = serializers.CharField(read_only=True, help_text="The net of the amounts.")
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    decided_on = serializers.DateField(read_only=True, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        program: Program = self.context["program"]
        attrs.pop("version", None)
        if "change_request" in attrs:
            from governance.models import ChangeRequest

            key = (attrs.pop("change_request") or "").strip().upper()
            cr = None
            if key:
                cr = ChangeRequest.objects.filter(program=program, key=key).first()
                if cr is None:
                    raise serializers.ValidationError(
                        {"change_request": [f"There is no change request {key} in {program.code}."]}
                    )
            attrs["change_request"] = cr
        if "amounts" in attrs:
            keys = {(a["line"] or "").strip().upper() for a in attrs["amounts"]}
            lines = {ln.key: ln for ln in BudgetLine.objects.filter(program=program, key__in=keys)}
            rows, errors = [], []
            for index, a in enumerate(attrs["amounts"], start=1):
                key = a["line"].strip().upper()
                try:
                    month = parse_month(a["month"])
                except ValueError as exc:
                    errors.append(f"Row {index}: {exc}")
                    continue
                if key not in lines:
                    errors.append(f"Row {index}: there is no budget line {key} in {program.code}.")
                    continue
                rows.append((lines[key], month, a["amount"]))
            if errors:
                raise serializers.ValidationError({"amounts": errors})
            attrs["amounts"] = rows
        return attrs

    def to_representation(self, order: ChangeOrder) -> dict[str, Any]:
        amounts = list(order.amounts.all())
        return {
            "key": order.key,
            "title": order.title,
            "reason": order.reason,
            "change_request": order.change_request.key if order.change_request else None,
            "status": order.status,
            "amounts": [
                {"line": a.line.key, "month": month_label(a.month), "amount": money(a.amount)}
                for a in sorted(amounts, key=lambda a: (a.line.number, a.month))
            ],
            "total": money(sum((a.amount for a in amounts), services.ZERO)),
            "created_by": UserRefSerializer(order.created_by).data if order.created_by else None,
            "decided_by": UserRefSerializer(order.decided_by).data if order.decided_by else None,
            "decided_on": format_date(order.decided_on),
            "version": order.version,
        }


def _orders(program: Program):
    return (
        ChangeOrder.objects.filter(program=program)
        .select_related("change_request", "created_by", "decided_by")
        .prefetch_related("amounts__line")
        .order_by("-number")
    )


@extend_schema_view(
    list=list_schema(ChangeOrderSerializer, parameters=[CODE, STATUS]),
    create=create_schema(
        ChangeOrderSerializer, parameters=[CODE], description="Records a draft change order."
    ),
    retrieve=retrieve_schema(ChangeOrderSerializer, parameters=[CODE, KEY]),
    update=update_schema(
        ChangeOrderSerializer,
        parameters=[CODE, KEY],
        description="Only a draft changes (409 otherwise); `amounts`, when sent, replace all.",
    ),
    partial_update=update_schema(ChangeOrderSerializer, parameters=[CODE, KEY]),
    destroy=destroy_schema(
        ChangeOrderSerializer, parameters=[CODE, KEY], description="Only a draft (409 otherwise)."
    ),
)
@extend_schema(tags=["budget structure"])
class ChangeOrderViewSet(ProgramScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """Change orders: amounts per line and month that move the budget once approved."""

    service_target = "change_order"
    permission_actions = {
        "list": "budget.view",
        "retrieve": "budget.view",
        "create": "budget.change_order",
        "update": "budget.change_order",
        "partial_update": "budget.change_order",
        "destroy": "budget.change_order",
    }
    queryset = ChangeOrder.objects.none()
    serializer_class = ChangeOrderSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def get_queryset(self):
        rows = _orders(self.program)
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in ChangeOrderStatus.values:
                raise serializers.ValidationError(
                    {"status": [f"Use one of {', '.join(ChangeOrderStatus.values)}."]}
                )
            rows = rows.filter(status=wanted)
        return rows

    def get_object(self):
        return selectors.change_order_get(program=self.program, key=self.kwargs["key"])

    def serialize_current(self, instance) -> dict:
        return ChangeOrderSerializer(_orders(self.program).get(pk=instance.pk)).data

    def create_service(self, **kwargs):
        return services.change_order_create(**kwargs)

    def update_service(self, **kwargs):
        return services.change_order_update(**kwargs)

    def delete_service(self, **kwargs):
        services.change_order_delete(**kwargs)


class ChangeOrderDecisionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


DECIDE_RESPONSES = {
    200: ChangeOrderSerializer,
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: REFUSED,
    412: stale_response(ChangeOrderSerializer),
}


def decide_schema(verb: str):
    return extend_schema(
        operation_id=f"budgets_change_order_{verb}",
        parameters=[CODE, KEY, IF_MATCH, ETAG],
        request=ChangeOrderDecisionSerializer,
        responses=DECIDE_RESPONSES,
        description="Only a draft, and not by the person who created it (409). If-Match is "
        "optional: when sent, a decision on a changed draft answers 412.",
        tags=["budget structure"],
    )


class DecisionViewBase(ProgramScopedMixin, VersionedMixin, ApiView):
    permission_actions = {"post": "budget.approve"}
    filter_backends: list = []

    def serialize_current(self, instance) -> dict:
        return ChangeOrderSerializer(_orders(self.program).get(pk=instance.pk)).data

    def decide(self, request, key: str, *, approve: bool) -> Response:
        order = selectors.change_order_get(program=self.program, key=key)
        version = optional_version(request)
        ChangeOrderDecisionSerializer(data=request.data).is_valid(raise_exception=True)
        with refusals_as_409():
            order = services.change_order_decide(
                actor=request.user, change_order=order, approve=approve, expected_version=version
            )
        return Response(self.serialize_current(order))


class ChangeOrderApproveView(DecisionViewBase):
    """Approve a draft change order: its amounts join the current budget."""

    @decide_schema("approve")
    def post(self, request, code: str, key: str):
        return self.decide(request, key, approve=True)


class ChangeOrderRejectView(DecisionViewBase):
    """Reject a draft change order: the budget stays as it is."""

    @decide_schema("reject")
    def post(self, request, code: str, key: str):
        return self.decide(request, key, approve=False)


# --- reserves -----------------------------------------------------------------------------------


class BudgetReserveSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReserveKind.choices, read_only=True)
    label = serializers.CharField(read_only=True)
    amount = serializers.CharField(max_length=24, help_text="The amount set aside.")
    note = serializers.CharField(required=False, allow_blank=True)
    movements_total = serializers.CharField(read_only=True)
    balance = serializers.CharField(read_only=True, help_text="amount + movements.")
    currency = serializers.CharField(read_only=True)
    version = serializers.IntegerField(
        required=False, min_value=1, allow_null=True, help_text=VERSION_HELP
    )

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs


def _reserve_json(row: dict, currency: str) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "label": row["label"],
        "amount": money(row["amount"]),
        "note": row["note"],
        "movements_total": money(row["movements_total"]),
        "balance": money(row["balance"]),
        "currency": currency,
        "version": row["version"],
    }


@extend_schema_view(
    list=list_schema(BudgetReserveSerializer, parameters=[CODE]),
    retrieve=retrieve_schema(BudgetReserveSerializer, parameters=[CODE, KIND]),
    update=update_schema(
        BudgetReserveSerializer,
        parameters=[CODE, KIND],
        description="Sets the amount set aside (the first PUT creates the reserve and needs no "
        "version; later ones do). Movements never change it.",
    ),
)
@extend_schema(tags=["budget structure"])
class ReserveViewSet(ProgramScopedMixin, VersionedMixin, ApiViewSet):
    """The management and contingency reserves with their balances (always both kinds)."""

    permission_actions = {
        "list": "budget.view",
        "retrieve": "budget.view",
        "update": "budget.change",
    }
    queryset = Reserve.objects.none()
    serializer_class = BudgetReserveSerializer
    pagination_class = None
    filter_backends: list = []

    def row(self, kind: str) -> dict:
        if kind not in ReserveKind.values:
            raise Http404("No such reserve.")
        return next(r for r in selectors.reserve_balances(self.program) if r["kind"] == kind)

    def serialize_current(self, instance) -> dict:
        return _reserve_json(self.row(instance.kind), self.program.currency)

    def list(self, request, *args, **kwargs):
        currency = self.program.currency
        return Response(
            [_reserve_json(r, currency) for r in selectors.reserve_balances(self.program)]
        )

    def retrieve(self, request, *args, **kwargs):
        return Response(_reserve_json(self.row(self.kwargs["key"]), self.program.currency))

    def update(self, request, *args, **kwargs):
        kind = self.kwargs["key"]
        existing = selectors.reserve_get(program=self.program, kind=kind)
        version = expected_version(request) if existing is not None else None
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.reserve_set(
            actor=request.user, program=self.program, kind=kind, amount=data["amount"],
            note=data.get("note"), expected_version=version,
        )  # fmt: skip
        return Response(_reserve_json(self.row(kind), self.program.currency))


class ReserveMovementSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reserve = serializers.CharField(read_only=True)
    amount = serializers.CharField(max_length=24, help_text="Negative draws, positive tops up.")
    on = serializers.DateField()
    reason = serializers.CharField()
    change_order = serializers.CharField(
        max_length=16, required=False, allow_null=True, allow_blank=True, help_text="CO-n."
    )
    recorded_by = UserRefSerializer(read_only=True, allow_null=True)

    def validate(self, attrs):
        program: Program = self.context["program"]
        key = (attrs.pop("change_order", None) or "").strip().upper()
        attrs["change_order"] = None
        if key:
            order = ChangeOrder.objects.filter(program=program, key=key).first()
            if order is None:
                raise serializers.ValidationError(
                    {"change_order": [f"There is no change order {key} in {program.code}."]}
                )
            attrs["change_order"] = order
        return attrs

    def to_representation(self, m) -> dict[str, Any]:
        return {
            "id": m.pk,
            "reserve": m.reserve.kind,
            "amount": money(m.amount),
            "on": format_date(m.on),
            "reason": m.reason,
            "change_order": m.change_order.key if m.change_order else None,
            "recorded_by": UserRefSerializer(m.recorded_by).data if m.recorded_by else None,
        }


@extend_schema_view(
    list=list_schema(ReserveMovementSerializer, parameters=[CODE, KIND]),
    create=create_schema(
        ReserveMovementSerializer,
        parameters=[CODE, KIND],
        description="Records a draw (negative) or top-up (positive). Movements are never "
        "edited or deleted: a correction is another movement. The reserve must be set up.",
    ),
)
@extend_schema(tags=["budget structure"])
class MovementViewSet(ProgramScopedMixin, ApiViewSet):
    """A reserve's movements, newest first."""

    permission_actions = {"list": "budget.view", "create": "budget.change"}
    serializer_class = ReserveMovementSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def get_queryset(self):
        kind = self.kwargs["key"]
        if kind not in ReserveKind.values:
            raise Http404("No such reserve.")
        return selectors.reserve_movements(program=self.program, kind=kind)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReserveMovementSerializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        kind = self.kwargs["key"]
        reserve = selectors.reserve_get(program=self.program, kind=kind)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if reserve is None:
            raise serializers.ValidationError(
                {"reserve": [f"Set the {ReserveKind(kind).label.lower()}'s amount first."]}
            )
        movement = services.reserve_movement_create(
            actor=request.user, reserve=reserve, **serializer.validated_data
        )
        return Response(ReserveMovementSerializer(movement).data, status=status.HTTP_201_CREATED)
