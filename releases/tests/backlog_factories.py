"""Backlog rows for the backlog tests: two workstreams with leads, iterations, scored items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.test import Client

from core.permissions import Role
from programs.models import Program, Workstream
from programs.tests.factories import WorkstreamFactory, manager_of, member
from releases.models import BacklogItem, Iteration
from releases.services import backlog as services


@dataclass
class Backlog:
    program: Program
    manager: object
    finance: Workstream  # led by `lead` (a contributor)
    integration: Workstream
    lead: object
    contributor: object  # a contributor who leads nothing
    viewer: object


def make_backlog(program: Program) -> Backlog:
    manager = manager_of(program)
    lead = member(program, Role.CONTRIBUTOR, full_name="Lena Lead").user
    contributor = member(program, Role.CONTRIBUTOR, full_name="Carl Contributor").user
    viewer = member(program, Role.VIEWER, full_name="Vera Viewer").user
    finance = WorkstreamFactory(program=program, name="Finance", lead=lead, actor=manager)
    integration = WorkstreamFactory(program=program, name="Integration", actor=manager)
    return Backlog(program, manager, finance, integration, lead, contributor, viewer)


def item(backlog: Backlog, workstream: Workstream | None = None, **fields) -> BacklogItem:
    fields.setdefault("title", f"Story {BacklogItem.objects.count() + 1}")
    return services.backlog_item_create(
        actor=backlog.manager, program=backlog.program,
        workstream=workstream or backlog.finance, **fields,
    )  # fmt: skip


def scored(backlog: Backlog, value: int, size: int, **fields) -> BacklogItem:
    """An item whose WSJF is (value + 1 + 1) / size."""
    return item(backlog, business_value=value, time_criticality=1, risk_reduction=1,
                job_size=size, **fields)  # fmt: skip


def iteration(backlog: Backlog, name: str, start: dt.date, workstream=None, **fields) -> Iteration:
    return services.iteration_create(
        actor=backlog.manager, program=backlog.program, workstream=workstream, name=name,
        start_date=start, end_date=start + dt.timedelta(days=13), **fields,
    )  # fmt: skip


def ranked(workstream: Workstream) -> list[str]:
    return list(
        BacklogItem.objects.filter(workstream=workstream)
        .order_by("rank")
        .values_list("key", flat=True)
    )


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c
