"""RAID items for tests, created through the services (so they are keyed, derived and audited)."""

from __future__ import annotations

from typing import Any

from programs.tests.factories import manager_of
from risks import services
from risks.models import Action, Assumption, Dependency, Issue, Risk


def make_risk(program, actor=None, **fields: Any) -> Risk:
    fields.setdefault("title", "Data quality risk")
    return services.risk_create(actor=actor or manager_of(program), program=program, **fields)


def make_issue(program, actor=None, **fields: Any) -> Issue:
    fields.setdefault("title", "An issue")
    return services.issue_create(actor=actor or manager_of(program), program=program, **fields)


def make_assumption(program, actor=None, **fields: Any) -> Assumption:
    fields.setdefault("title", "An assumption")
    return services.assumption_create(actor=actor or manager_of(program), program=program, **fields)


def make_dependency(program, actor=None, **fields: Any) -> Dependency:
    fields.setdefault("title", "A dependency")
    if not any(k.startswith("giver_") for k in fields):
        fields["giver_external"] = "House bank"
    if not any(k.startswith("receiver_") for k in fields):
        fields["receiver_external"] = "Treasury"
    return services.dependency_create(actor=actor or manager_of(program), program=program, **fields)


def make_action(program, actor=None, subject=None, **fields: Any) -> Action:
    return services.action_create(
        actor=actor or manager_of(program),
        program=program,
        subject=subject,
        title=fields.pop("title", "An action"),
        owner=fields.pop("owner", None),
        due_date=fields.pop("due_date", None),
        **fields,
    )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)
