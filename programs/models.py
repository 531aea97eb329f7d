"""Programs, their workstreams and who may see them (memberships)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from core.models import VersionedModel
from core.permissions import Role

from .choices import CURRENCIES, ProgramStatus, WorkstreamStatus, time_zone_choices
from .validators import validate_currency, validate_program_code, validate_time_zone


class Program(VersionedModel):
    code = models.CharField(
        max_length=12,
        unique=True,
        validators=[validate_program_code],
        help_text="Short code used in links and keys, e.g. ERP. It cannot be changed later.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sponsored_programs",
        help_text="The executive who owns the outcome.",
    )
    start_date = models.DateField()
    end_date = models.DateField()
    currency = models.CharField(
        max_length=3, choices=CURRENCIES, default="USD", validators=[validate_currency]
    )
    time_zone = models.CharField(
        max_length=64,
        choices=time_zone_choices,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Used for everything scheduled for people, such as the Monday briefing.",
    )
    status = models.CharField(
        max_length=10, choices=ProgramStatus.choices, default=ProgramStatus.ACTIVE
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="program_end_after_start",
                violation_error_message="The end date must be on or after the start date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("programs:program_home", kwargs={"code": self.code})

    @property
    def audit_program_id(self) -> int:
        return self.pk

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date must be on or after the start date."})


class ProgramOwnedModel(VersionedModel):
    """Base for every domain row: the program foreign key makes scoping a query one filter."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class Workstream(ProgramOwnedModel):
    KEY_PREFIX = "WS"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="workstreams")
    key = models.CharField(max_length=16, editable=False)
    name = models.CharField(max_length=200)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_workstreams",
    )
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=WorkstreamStatus.choices, default=WorkstreamStatus.ACTIVE
    )

    class Meta:
        ordering = ["program", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="workstream_key_unique"),
            models.UniqueConstraint(
                fields=["program", "name"],
                name="workstream_name_unique",
                violation_error_message="This program already has a workstream with that name.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse(
            "programs:workstream_detail", kwargs={"code": self.program.code, "key": self.key}
        )


class ProgramMembership(ProgramOwnedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=12, choices=Role.choices)

    class Meta:
        ordering = ["program", "user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.program.code}"
