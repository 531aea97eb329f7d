"""Budgets Celery tasks: thin wrappers around the budgets services (beat schedule in
config/settings/celery.py). Every task is idempotent, so a retry or a duplicated run sends
nothing twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import DatabaseError

from .exports.monthly import monthly_exports_run


@shared_task(
    name="budgets.monthly_export_send",
    acks_late=True,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=60,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def monthly_export_send_task(now: str | None = None) -> dict[str, int]:
    """E-mail the variance report to the finance members of every program whose month has
    begun (hourly around the turn of the month; once per program, month and member). `now`
    (ISO 8601 with an offset) replaces the clock, for a catch-up run or a test."""
    return monthly_exports_run(now=dt.datetime.fromisoformat(now) if now else None)


@shared_task(
    name="budgets.evm_snapshots_take",
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def evm_snapshots_take_task() -> int:
    """This month's earned-value snapshot of every active program (the S-curve's EV history).
    Daily: re-taking a month replaces its snapshot, so the month's last run is what stays."""
    from programs.models import Program

    from .services.evm import evm_snapshot_take

    taken = 0
    for program in Program.objects.filter(status="active"):
        taken += len(evm_snapshot_take(program=program))
    return taken
