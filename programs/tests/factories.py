"""Factories for programs. Rows are created through the services, so they carry audit entries."""

import datetime as dt

import factory

from core.permissions import Role
from core.tests.factories import UserFactory
from programs import services
from programs.models import Program, ProgramMembership, Workstream


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    code = factory.Sequence(lambda n: f"PRG{n}")
    name = factory.Sequence(lambda n: f"Program {n}")
    start_date = dt.date(2026, 1, 5)
    end_date = dt.date(2027, 6, 30)
    currency = "EUR"
    time_zone = "Europe/London"

    @classmethod
    def _create(cls, model_class, *args, manager=None, **kwargs):
        manager = manager or UserFactory(can_create_programs=True)
        return services.program_create(actor=manager, **kwargs)


def member(program: Program, role: str = Role.CONTRIBUTOR, **user_kwargs) -> ProgramMembership:
    """A user with `role` in `program`."""
    user = UserFactory(**user_kwargs)
    return services.membership_add(actor=None, program=program, email=user.email, role=role)


def manager_of(program: Program):
    return ProgramMembership.objects.filter(program=program, role=Role.MANAGER).first().user


class WorkstreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workstream

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Workstream {n}")
    description = "Delivers part of the program."

    @classmethod
    def _create(cls, model_class, *args, program, actor=None, **kwargs):
        return services.workstream_create(actor=actor, program=program, **kwargs)
