"""The KPI Celery task (imported by reporting/tasks.py, which Celery autodiscovers; the beat
entry is in config/settings/celery.py): record this week's value of every computed KPI of every
active program. Idempotent: a re-run updates the week's values, so daily runs keep the week
current and its last run is what stays."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

__all__ = ["record_kpis_task"]

log = logging.getLogger(__name__)


@shared_task(
    name="reporting.record_kpis",
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def record_kpis_task(program_id: int | None = None) -> dict[str, int]:
    """This week's KPI values (in each program's time zone) of every active program, or of one."""
    from programs.models import Program

    from .selectors.kpis import current_period
    from .services.kpis import record_week

    totals = {"programs": 0, "created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    programs = Program.objects.filter(status="active").order_by("pk")
    if program_id is not None:
        programs = programs.filter(pk=program_id)
    for program in programs:
        counts = record_week(program, current_period(program))
        totals["programs"] += 1
        for name, n in counts.items():
            totals[name] += n
    log.info("KPIs recorded: %s", totals)
    return totals
