"""RAID log Celery tasks: thin wrappers around risks.escalation (beat schedule in
config/settings/celery.py). Every task is idempotent, so a retry or a duplicate delivery of the
same run sends nothing twice."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import escalation

# Shared by the periodic tasks: acknowledged after the run (a worker that dies mid-run leaves the
# task to another), retried with backoff on database or network trouble, and bounded in time.
PERIODIC = {
    "acks_late": True,
    "autoretry_for": (DatabaseError, OSError),
    "retry_backoff": 60,
    "retry_backoff_max": 900,
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": 240,
    "time_limit": 300,
}


@shared_task(name="risks.raid_escalate_overdue", **PERIODIC)
def raid_escalate_overdue_task() -> dict[str, int]:
    """Escalate overdue actions and issues in every active program (hourly)."""
    return escalation.escalate_all()


@shared_task(name="risks.risk_review_remind", **PERIODIC)
def risk_review_remind_task() -> dict[str, int]:
    """E-mail the owners of risks due for review, once per review date (hourly)."""
    return escalation.remind_all()


@shared_task(name="risks.risk_snapshots_take", **PERIODIC)
def risk_snapshots_take_task() -> dict[str, int]:
    """Refresh this week's risk exposure point of every active program (daily; one per week)."""
    return escalation.snapshot_all()
