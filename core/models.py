"""Users, the append-only audit trail, reference-key sequences and the abstract base models."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone

from .audit_guard import AuditedQuerySet


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, can_create_programs=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("staff (admin site)", default=False)
    can_create_programs = models.BooleanField(
        default=False, help_text="May start new programs (and becomes their manager)."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def initials(self) -> str:
        parts = [p for p in self.full_name.split() if p]
        return ("".join(p[0] for p in parts[:2]) or self.email[:2]).upper()


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """An editable row: `version` goes up by one on every saved change (optimistic locking)."""

    version = models.PositiveIntegerField(default=1, editable=False)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"


class AuditEntry(models.Model):
    """One create, update or delete of a domain object. Rows are only ever inserted.

    `program_id` is a plain integer rather than a foreign key: the trail must outlive what it
    describes, and `core` does not depend on `programs`.
    """

    id = models.BigAutoField(primary_key=True)
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    program_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.DO_NOTHING, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300)
    object_version = models.PositiveIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, help_text="{field: [before, after]}")

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["program_id", "-timestamp"], name="audit_program_time"),
            models.Index(fields=["content_type", "object_id", "-timestamp"], name="audit_object"),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr} by {self.actor_name or 'system'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit entries are append-only.")


class KeySequence(models.Model):
    """The last number handed out for one key prefix in one program (RSK-12 -> 12)."""

    program_id = models.BigIntegerField()
    prefix = models.CharField(max_length=8)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program_id", "prefix"], name="keyseq_program_prefix")
        ]

    def __str__(self) -> str:
        return f"{self.prefix} #{self.last_value} (program {self.program_id})"


class OutboundEmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundEmail(models.Model):
    """An e-mail to send once: the task locks the row, so a retried task never sends twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    idempotency_key = models.CharField(max_length=200, unique=True)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=OutboundEmailStatus.choices, default=OutboundEmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} -> {', '.join(self.to)} ({self.status})"


class OutboundEmailAttachment(models.Model):
    """A file sent with an outbound e-mail (e.g. the monthly budget export), kept with it so a
    retry sends the same bytes."""

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=120)
    content = models.BinaryField()

    class Meta:
        ordering = ["email_id", "id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.mimetype})"
