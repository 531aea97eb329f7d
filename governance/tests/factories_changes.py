"""Change requests and decisions for tests, made through the services (so they are audited),
and a program cast with every person change control involves."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.models import User
from core.permissions import Role
from core.tests.factories import UserFactory
from governance.models import ChangeRequest, Decision
from governance.services import changes as change_services
from governance.services import decisions as decision_services
from programs import services as program_services
from programs.models import Program
from programs.tests.factories import ProgramFactory, member


@dataclass
class Cast:
    """A program with a sponsor, two managers, a coordinator, a contributor and the rest."""

    program: Program
    pm: User
    pm2: User
    sponsor: User
    coordinator: User
    contributor: User
    other_contributor: User
    executive: User
    finance: User
    viewer: User
    vendor: User


def make_cast(code: str = "ERP", currency: str = "EUR") -> Cast:
    pm = UserFactory(full_name="Priya Raman", email=f"pm@{code.lower()}.example")
    program = ProgramFactory(code=code, name=f"{code} program", currency=currency, manager=pm)
    sponsor = member(program, Role.EXECUTIVE, full_name="Daniel Okafor").user
    program = program_services.program_update(
        actor=pm, program=program, expected_version=program.version, sponsor=sponsor
    )
    return Cast(
        program=program,
        pm=pm,
        pm2=member(program, Role.MANAGER, full_name="Paul Second").user,
        sponsor=sponsor,
        coordinator=member(program, Role.COORDINATOR, full_name="Marcus Lee").user,
        contributor=member(program, Role.CONTRIBUTOR, full_name="Ana Souza").user,
        other_contributor=member(program, Role.CONTRIBUTOR, full_name="Kenji Tanaka").user,
        executive=member(program, Role.EXECUTIVE, full_name="Erin Exec").user,
        finance=member(program, Role.FINANCE, full_name="Fatima Khan").user,
        viewer=member(program, Role.VIEWER, full_name="Grace Kim").user,
        vendor=member(program, Role.VENDOR, full_name="Tom Becker").user,
    )


def make_cr(
    program: Program, requester: User, *, status: str = "draft", actor_for: Cast | None = None,
    **fields: Any,
) -> ChangeRequest:  # fmt: skip
    """A request raised by `requester`, walked to `status` by the cast's right people."""
    values = {
        "title": "Add the Brno warehouse to EWM",
        "kind": "scope",
        "description": "Third warehouse joins the EWM roll-out.",
        "reason": "The plant consolidates two sites next spring.",
    }
    values.update(fields)
    cr = change_services.change_request_create(actor=requester, program=program, **values)
    if status == "draft":
        return cr
    cast = actor_for
    assert cast is not None, "pass actor_for=cast to walk the workflow"
    cr = change_services.change_request_submit(actor=requester, change_request=cr)
    if status == "submitted":
        return cr
    impact = {
        "schedule_impact_days": fields.get("schedule_impact_days", 3),
        "cost_impact": fields.get("cost_impact", Decimal("12000.00")),
    }
    cr = change_services.change_request_assess(actor=cast.coordinator, change_request=cr, **impact)
    if status == "assessed":
        return cr
    approver = cast.sponsor if requester == cast.pm else cast.pm
    if status == "rejected":
        return change_services.change_request_reject(
            actor=approver, change_request=cr, comment="Not worth it."
        )
    if status == "deferred":
        return change_services.change_request_defer(
            actor=approver, change_request=cr, comment="Not now."
        )
    cr = change_services.change_request_approve(actor=approver, change_request=cr)
    if status == "approved":
        return cr
    cr = change_services.change_request_implement(actor=cast.coordinator, change_request=cr)
    if status == "implemented":
        return cr
    return change_services.change_request_close(actor=cast.coordinator, change_request=cr)


def make_decision(program: Program, actor: User, **fields: Any) -> Decision:
    values = {"title": "Two go-live waves", "statement": "Finance first, then supply chain."}
    values.update(fields)
    return decision_services.decision_record(actor=actor, program=program, **values)
