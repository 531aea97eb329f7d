"""Briefing subscriptions and their deliveries.

A subscription sends a program's briefing (HTML e-mail with a text alternative, the briefing and
the deck as PDFs) to its recipients on a weekday and time in the program's time zone. Each
scheduled send is a `Delivery` unique per (subscription, period), claimed in a transaction before
anything is generated: a retried, duplicated or restarted task finds the claim and never sends a
second e-mail (see reporting/services/delivery.py). "Send now" makes a manual delivery of its own.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from programs.models import Program, ProgramOwnedModel

from .reports import StatusReport, validate_period

__all__ = [
    "WEEKDAYS",
    "Delivery",
    "DeliveryKind",
    "DeliveryStatus",
    "Subscription",
    "SubscriptionRecipient",
]

WEEKDAYS = [
    (0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"),
    (5, "Saturday"), (6, "Sunday"),
]  # fmt: skip


class Subscription(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="subscriptions")
    name = models.CharField(max_length=120, help_text="e.g. Steering committee weekly briefing")
    weekday = models.PositiveSmallIntegerField(
        choices=WEEKDAYS, default=0, validators=[MaxValueValidator(6)]
    )
    send_time = models.TimeField(default=dt.time(7, 0), help_text="In the program's time zone.")
    include_deck = models.BooleanField(
        "attach the deck", default=True, help_text="The briefing PDF is always attached."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )  # fmt: skip

    class Meta:
        ordering = ["program", "name"]

    def __str__(self) -> str:
        return self.name


class SubscriptionRecipient(models.Model):
    """A member of the program (their current address is used) or a plain e-mail address."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="recipients"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(blank=True, help_text="For someone who is not a member.")
    unsubscribed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subscription", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(email=""),
                name="subscription_recipient_user_or_email",
            ),
            models.UniqueConstraint(
                fields=["subscription", "user"], condition=models.Q(user__isnull=False),
                name="subscription_recipient_user_unique",
            ),
            models.UniqueConstraint(
                fields=["subscription", "email"], condition=~models.Q(email=""),
                name="subscription_recipient_email_unique",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return self.user.email if self.user_id else self.email

    @property
    def active(self) -> bool:
        return self.unsubscribed_at is None


class DeliveryKind(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    MANUAL = "manual", "Send now"


class DeliveryStatus(models.TextChoices):
    CLAIMED = "claimed", "Generating"  # claimed by a worker; PDFs being made
    QUEUED = "queued", "Queued"  # the e-mail is recorded in the outbox; a worker sends it
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"  # nobody left to send to


class Delivery(models.Model):
    """One send of a subscription's briefing for one period. Scheduled ones are unique per
    (subscription, period): the row is the idempotency key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    period = models.CharField(max_length=8, validators=[validate_period])
    kind = models.CharField(
        max_length=10, choices=DeliveryKind.choices, default=DeliveryKind.SCHEDULED
    )
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.CLAIMED
    )
    report = models.ForeignKey(
        StatusReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    snapshot_status = models.CharField(max_length=10, blank=True)  # published / draft / computed
    email = models.ForeignKey(
        "core.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipients = models.JSONField(default=list)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # who holds the claim (the task id, or a random token): "" once released after a failure,
    # so the retry or the next due scan may take it (see reporting/services/delivery.py)
    claim_token = models.CharField(max_length=64, blank=True, editable=False)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"],
                condition=models.Q(kind="scheduled"),
                name="delivery_scheduled_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.period} ({self.status})"
