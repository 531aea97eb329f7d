"""Status reports, subscriptions and KPIs for tests.

Rows are created through `core.domain.create` (validated, audited). A report's snapshot is the
hand-built `snapshots.sample()` for the report's period unless a test passes its own; `set_state`
puts a report straight into a later state for a test's setup (the services that move it are
tested on their own).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils import timezone

from core.domain import create
from programs.tests.factories import manager_of
from reporting.collect import period_bounds
from reporting.models import (
    KpiDefinition,
    KpiValue,
    ReportStatus,
    StatusReport,
    Subscription,
    SubscriptionRecipient,
)
from reporting.snapshot import Snapshot, to_json

from .snapshots import sample

PERIOD = "2026-W48"


def snapshot_for(program, period: str = PERIOD, **overrides) -> Snapshot:
    start, end = period_bounds(period)
    return dataclasses.replace(
        sample(**overrides), program_code=program.code, program_name=program.name,
        period=period, period_start=start, period_end=end, status_date=end,
        currency=program.currency,
    )  # fmt: skip


def make_report(
    program, actor=None, *, period: str = PERIOD, status: str = ReportStatus.DRAFT,
    snapshot: Snapshot | None = None, **fields: Any,
) -> StatusReport:  # fmt: skip
    actor = actor or manager_of(program)
    start, end = period_bounds(period)
    snap = snapshot or snapshot_for(program, period)
    if status == ReportStatus.PUBLISHED:
        snap = dataclasses.replace(
            snap, status="published", published_at=timezone.now(), published_by=str(actor)
        )
    overall = snap.rag_of("overall")
    report = create(
        StatusReport, actor=actor, program=program, period=period, period_start=start,
        period_end=end, snapshot=to_json(snap), computed_at=timezone.now(),
        overall_rag=overall.rag if overall else "", created_by=actor, **fields,
    )  # fmt: skip
    if status != ReportStatus.DRAFT:
        set_state(report, status, actor=actor)
    return report


def set_state(report: StatusReport, status: str, *, actor=None) -> StatusReport:
    now = timezone.now()
    report.status = status
    if status in (ReportStatus.REVIEW, ReportStatus.PUBLISHED):
        report.submitted_at, report.submitted_by = now, actor
    if status == ReportStatus.PUBLISHED:
        report.published_at, report.published_by = now, actor
    report.save()
    return report


def make_subscription(program, actor=None, *, users=(), emails=(), **fields: Any) -> Subscription:
    actor = actor or manager_of(program)
    fields.setdefault("name", "Steering committee briefing")
    subscription = create(Subscription, actor=actor, program=program, created_by=actor, **fields)
    for user in users:
        SubscriptionRecipient.objects.create(subscription=subscription, user=user)
    for address in emails:
        SubscriptionRecipient.objects.create(subscription=subscription, email=address)
    return subscription


def make_kpi(program, actor=None, **fields: Any) -> KpiDefinition:
    count = KpiDefinition.objects.filter(program=program).count() + 1
    fields.setdefault("name", f"KPI {count}")
    fields.setdefault("formula", "Measured weekly.")
    return create(KpiDefinition, actor=actor or manager_of(program), program=program, **fields)


def make_kpi_value(definition: KpiDefinition, period: str, value, **fields: Any) -> KpiValue:
    return KpiValue.objects.create(
        program=definition.program, definition=definition, period=period, value=value, **fields
    )
