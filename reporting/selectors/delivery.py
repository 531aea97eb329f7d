"""Reads for the subscription and delivery pages and API, scoped to a program (404 outside)."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import Http404

from programs.models import Program

from ..models import Delivery, DeliveryStatus, Subscription, SubscriptionRecipient

STATUS_COLOURS = {
    DeliveryStatus.CLAIMED: "blue",
    DeliveryStatus.QUEUED: "azure",
    DeliveryStatus.SENT: "green",
    DeliveryStatus.FAILED: "red",
    DeliveryStatus.SKIPPED: "secondary",
}


_latest = Delivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at")


def subscription_list(*, program: Program):
    """Subscriptions with their recipients (one prefetch) and active recipient counts."""
    return (
        Subscription.objects.filter(program=program)
        .annotate(
            active_recipients=Count(
                "recipients", filter=Q(recipients__unsubscribed_at__isnull=True)
            )
        )
        .prefetch_related(
            Prefetch("recipients", queryset=SubscriptionRecipient.objects.select_related("user"))
        )
        .annotate(
            last_status=Subquery(_latest.values("status")[:1]),
            last_period=Subquery(_latest.values("period")[:1]),
            last_at=Subquery(_latest.values("created_at")[:1]),
        )
        .select_related("program")
        .order_by("-active", "name")
    )


def subscription_get(*, program: Program, pk) -> Subscription:
    try:
        return (
            Subscription.objects.select_related("program")
            .prefetch_related(
                Prefetch(
                    "recipients", queryset=SubscriptionRecipient.objects.select_related("user")
                )
            )
            .get(program=program, pk=int(pk))
        )
    except (Subscription.DoesNotExist, ValueError, TypeError):
        raise Http404("No such subscription in this program.") from None


def delivery_list(*, program: Program, status: str = "", subscription=None):
    rows = Delivery.objects.filter(program=program).select_related(
        "subscription", "requested_by", "report"
    )
    if status:
        rows = rows.filter(status=status)
    if subscription is not None:
        rows = rows.filter(subscription=subscription)
    return rows.order_by("-created_at")
