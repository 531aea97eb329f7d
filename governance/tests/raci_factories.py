"""Building RACI matrices for tests, through the services (so every row is audited and valid)."""

from __future__ import annotations

from core.permissions import Role
from governance.services import raci as services
from programs.tests.factories import manager_of, member
from schedules.models import ItemKind
from schedules.tests.factories import ItemFactory


def person_column(program, *, full_name: str, role: str = Role.CONTRIBUTOR, actor=None, **user):
    """A new member of `program` and their column."""
    membership = member(program, role, full_name=full_name, **user)
    return services.raci_column_create(
        actor=actor or manager_of(program), program=program, kind="person", user=membership.user
    )


def role_column(program, name: str, actor=None):
    return services.raci_column_create(
        actor=actor or manager_of(program), program=program, kind="role", role_name=name
    )


def deliverable(program, name: str, kind: str = ItemKind.DELIVERABLE, **fields):
    if kind == ItemKind.MILESTONE:
        fields.setdefault("duration_minutes", 0)
    return ItemFactory(program=program, name=name, kind=kind, **fields)


def raci_row(program, cells: dict, *, item=None, activity: str = "", actor=None):
    return services.raci_row_create(
        actor=actor or manager_of(program),
        program=program,
        item=item,
        activity=activity,
        cells=cells,
    )
