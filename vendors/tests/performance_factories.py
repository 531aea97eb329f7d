"""SLAs, measurements, escalations (through the services) and deliverable history for the
performance tests.

Deliverables, submissions and reviews are written directly with chosen timestamps: the scorecard
reads what they record (due date, first submission, round-1 review), and a test must place those
moments exactly (e.g. just before midnight in the program's time zone).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import time_machine

from core.keys import allocate_number
from programs.tests.factories import manager_of
from vendors.models import Deliverable, Review, Submission
from vendors.services import performance as services


def make_sla(program, contract, actor=None, **fields: Any):
    fields.setdefault("metric", "Availability of the production system")
    fields.setdefault("target", Decimal("99.5"))
    fields.setdefault("unit", "%")
    fields.setdefault("direction", "at_least")
    fields.setdefault("period", "monthly")
    return services.service_level_create(
        actor=actor or manager_of(program), program=program, contract=contract, **fields
    )


def measure(sla, start: dt.date, value, actor=None, **fields: Any):
    return services.measurement_record(
        actor=actor or manager_of(sla.program),
        service_level=sla,
        period_start=start,
        value=Decimal(str(value)),
        **fields,
    )


def make_escalation(program, vendor, actor=None, **fields: Any):
    fields.setdefault("title", "Repeated availability breaches")
    fields.setdefault("reason", "Availability below target three months running.")
    return services.escalation_create(
        actor=actor or manager_of(program), program=program, vendor=vendor, **fields
    )


def make_deliverable(contract, due: dt.date, *, title: str = "Design document", **fields: Any):
    number = allocate_number(program_id=contract.program_id, prefix="DLV")
    return Deliverable.objects.create(
        program_id=contract.program_id,
        contract=contract,
        vendor_id=contract.vendor_id,
        key=f"DLV-{number}",
        number=number,
        title=title,
        due_date=due,
        **fields,
    )


def submit(deliverable: Deliverable, at: dt.datetime, round: int = 1) -> Submission:
    """A submission at `at` (aware); the first one sets `first_submitted_at`."""
    with time_machine.travel(at, tick=False):
        submission = Submission.objects.create(
            program_id=deliverable.program_id, deliverable=deliverable, round=round
        )
    if deliverable.first_submitted_at is None:
        deliverable.first_submitted_at = at
        deliverable.status = "submitted"
        deliverable.rounds = round
        deliverable.save(update_fields=["first_submitted_at", "status", "rounds"])
    return submission


def review(submission: Submission, at: dt.datetime, accepted: bool) -> Review:
    with time_machine.travel(at, tick=False):
        return Review.objects.create(
            program_id=submission.program_id,
            submission=submission,
            outcome="accepted" if accepted else "rejected",
        )


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)
