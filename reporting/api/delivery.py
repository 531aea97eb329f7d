"""Briefing subscriptions and their delivery log, under /api/v1/programs/<code>/: CRUD of
subscriptions by id (ETag/If-Match) with their recipients, `subscriptions/<id>/send-now/`, and
the read-only `deliveries/` log (filter `status`, `subscription`).

Recipients are written as `members` (user ids of program members) and `emails` (addresses of
people who are not members); an invalid address is refused (400) naming it, and nothing is
saved. Deleting a subscription deactivates it (its delivery log stays).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.crud import ServiceCrudMixin
from core.api.pagination import StandardPagination
from core.api.refusals import REFUSED, refusals_as_409
from core.api.schema import (
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHORIZED,
    create_schema,
    destroy_schema,
    list_schema,
    retrieve_schema,
    update_schema,
)
from core.api.serializers import format_datetime
from core.api.versioning import VersionedMixin
from core.api.views import ApiView, ApiViewSet
from programs.api.views import CODE, ProgramScopedMixin

from ..models import WEEKDAYS, Delivery, DeliveryKind, DeliveryStatus, Subscription
from ..selectors import delivery as selectors
from ..services import delivery as delivery_services
from ..services import subscriptions as services

ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The subscription's id."
)


class RecipientSerializer(serializers.Serializer):
    address = serializers.EmailField()
    user_id = serializers.IntegerField(allow_null=True, help_text="Set for a program member.")
    unsubscribed_at = serializers.DateTimeField(
        allow_null=True, help_text="When they unsubscribed through their link."
    )


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=120)
    weekday = serializers.ChoiceField(
        choices=WEEKDAYS, required=False, help_text="0 = Monday … 6 = Sunday."
    )
    send_time = serializers.TimeField(required=False, help_text="HH:MM in the program's time zone.")
    include_deck = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)
    members = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, write_only=True,
        help_text="User ids of program members (replaces the member recipients).",
    )  # fmt: skip
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, write_only=True,
        help_text="Addresses of people who are not members (replaces them).",
    )  # fmt: skip
    recipients = RecipientSerializer(many=True, read_only=True)
    time_zone = serializers.CharField(read_only=True)
    next_send_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1, help_text="Or If-Match.")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_emails(self, value: list[str]) -> list[str]:
        from django.core.exceptions import ValidationError

        try:
            return services.parse_addresses(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("version", None)
        return attrs

    def to_representation(self, s: Subscription) -> dict[str, Any]:
        return {
            "id": s.pk,
            "name": s.name,
            "weekday": s.weekday,
            "send_time": s.send_time.strftime("%H:%M"),
            "include_deck": s.include_deck,
            "active": s.active,
            "recipients": [
                {
                    "address": r.address,
                    "user_id": r.user_id,
                    "unsubscribed_at": format_datetime(r.unsubscribed_at),
                }
                for r in s.recipients.all()
            ],
            "time_zone": s.program.time_zone,
            "next_send_at": format_datetime(delivery_services.next_slot(s)) if s.active else None,
            "version": s.version,
            "created_at": format_datetime(s.created_at),
            "updated_at": format_datetime(s.updated_at),
        }


class DeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    subscription = serializers.IntegerField(help_text="The subscription's id.")
    subscription_name = serializers.CharField()
    period = serializers.CharField(help_text="The ISO week reported, e.g. 2026-W48.")
    kind = serializers.ChoiceField(choices=DeliveryKind.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    snapshot_status = serializers.CharField(help_text="published, draft or computed.")
    recipients = serializers.ListField(child=serializers.EmailField())
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    queued_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, d: Delivery) -> dict[str, Any]:
        return {
            "id": str(d.pk),
            "subscription": d.subscription_id,
            "subscription_name": d.subscription.name,
            "period": d.period,
            "kind": d.kind,
            "status": d.status,
            "snapshot_status": d.snapshot_status,
            "recipients": list(d.recipients),
            "attempts": d.attempts,
            "last_error": d.last_error,
            "created_at": format_datetime(d.created_at),
            "queued_at": format_datetime(d.queued_at),
            "sent_at": format_datetime(d.sent_at),
        }


class SubscriptionScopedMixin(ProgramScopedMixin):
    queryset = Subscription.objects.none()

    def get_object(self):
        return selectors.subscription_get(program=self.program, pk=self.kwargs["id"])

    def serialize_current(self, instance) -> dict:
        current = selectors.subscription_get(program=self.program, pk=instance.pk)
        return SubscriptionSerializer(current).data


@extend_schema_view(
    list=list_schema(SubscriptionSerializer, parameters=[CODE]),
    create=create_schema(
        SubscriptionSerializer,
        parameters=[CODE],
        description="At least one recipient (members or emails); an invalid address is "
        "refused, named, with 400.",
    ),
    retrieve=retrieve_schema(SubscriptionSerializer, parameters=[CODE, ID]),
    update=update_schema(SubscriptionSerializer, parameters=[CODE, ID]),
    partial_update=update_schema(SubscriptionSerializer, parameters=[CODE, ID]),
    destroy=destroy_schema(
        SubscriptionSerializer,
        parameters=[CODE, ID],
        description="Deactivates the subscription; it and its delivery log stay.",
    ),
)
@extend_schema(tags=["briefings"])
class SubscriptionViewSet(SubscriptionScopedMixin, VersionedMixin, ServiceCrudMixin, ApiViewSet):
    """Briefing subscriptions: who gets the weekly briefing e-mail, and when."""

    service_target = "subscription"
    permission_actions = {
        "list": "subscription.view",
        "retrieve": "subscription.view",
        "create": "subscription.change",
        "update": "subscription.change",
        "partial_update": "subscription.change",
        "destroy": "subscription.change",
    }
    serializer_class = SubscriptionSerializer
    pagination_class = StandardPagination
    filter_backends: list = []

    def get_queryset(self):
        return selectors.subscription_list(program=self.program)

    def create_service(self, **kwargs):
        return services.subscription_create(**kwargs)

    def update_service(self, **kwargs):
        return services.subscription_update(**kwargs)

    def delete_service(self, **kwargs):
        services.subscription_deactivate(**kwargs)


@extend_schema(tags=["briefings"])
class SubscriptionSendNowView(SubscriptionScopedMixin, ApiView):
    """Send the current period's briefing now (a worker makes and sends it)."""

    permission_actions = {"post": "subscription.send"}
    filter_backends: list = []

    @extend_schema(
        operation_id="reporting_subscription_send_now",
        parameters=[CODE, ID],
        request=None,
        responses={
            202: DeliverySerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REFUSED,
        },
        description="Records a manual delivery (status claimed) and hands it to a worker; "
        "follow it in deliveries/. 409 when the subscription is inactive or nobody is left to "
        "send to.",
    )
    def post(self, request, code: str, id: int):
        subscription = self.get_object()
        with refusals_as_409():
            delivery = delivery_services.send_now(actor=request.user, subscription=subscription)
        delivery = Delivery.objects.select_related("subscription").get(pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


STATUS = OpenApiParameter("status", OpenApiTypes.STR, enum=DeliveryStatus.values)
SUBSCRIPTION = OpenApiParameter(
    "subscription", OpenApiTypes.INT, description="Only this subscription's deliveries."
)


@extend_schema_view(list=list_schema(DeliverySerializer, parameters=[CODE, STATUS, SUBSCRIPTION]))
@extend_schema(tags=["briefings"])
class DeliveryViewSet(ProgramScopedMixin, ApiViewSet):
    """The delivery log: each briefing send (scheduled or "send now"), newest first."""

    permission_actions = {"list": "subscription.view"}
    serializer_class = DeliverySerializer
    pagination_class = StandardPagination
    queryset = Delivery.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        status_filter = self.request.query_params.get("status", "")
        if status_filter and status_filter not in DeliveryStatus.values:
            raise serializers.ValidationError(
                {"status": [f"One of {', '.join(DeliveryStatus.values)}."]}
            )
        subscription = None
        raw = self.request.query_params.get("subscription", "")
        if raw:
            subscription = selectors.subscription_get(program=self.program, pk=raw)
        return selectors.delivery_list(
            program=self.program, status=status_filter, subscription=subscription
        )

    def list(self, request, *args, **kwargs):
        rows = self.get_queryset()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
