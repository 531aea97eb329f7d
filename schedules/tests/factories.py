"""Factories for schedule rows, created through the services (so they are audited and scheduled)."""

from __future__ import annotations

import factory

from programs.tests.factories import ProgramFactory, manager_of
from schedules import services
from schedules.models import Dependency, Item, ItemKind


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Task {n}")
    kind = ItemKind.TASK
    duration_minutes = 5 * 480

    @classmethod
    def _create(cls, model_class, *args, program, actor=None, **kwargs):
        return services.item_create(actor=actor or manager_of(program), program=program, **kwargs)


def days(n: float) -> int:
    """Working days as the minutes the models keep."""
    return round(n * 480)


def link(pred: Item, succ: Item, type: str = "FS", lag_days: float = 0, actor=None) -> Dependency:
    return services.dependency_create(
        actor=actor or manager_of(pred.program),
        program=pred.program,
        predecessor=pred,
        successor=succ,
        type=type,
        lag_minutes=days(lag_days),
    )
