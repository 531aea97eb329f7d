"""Shared pytest fixtures: factories, role-holding users and a query counter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member


@pytest.fixture
def program(db):
    return ProgramFactory(code="ERP", name="ERP migration")


@pytest.fixture
def users_by_role(program):
    """One user per role in `program` (the manager is the program's creator)."""
    users = {Role.MANAGER.value: program.memberships.get(role=Role.MANAGER).user}
    for role in Role.values:
        if role != Role.MANAGER:
            users[role] = member(program, role).user
    return users


@pytest.fixture
def manager(program):
    return program.memberships.get(role=Role.MANAGER).user


@pytest.fixture
def count_queries():
    """Usage: with count_queries() as ctx: ...; len(ctx.captured_queries)."""

    def _count():
        return CaptureQueriesContext(connection)

    return _count
