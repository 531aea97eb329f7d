"""The whole-program recompute: what it stores, and that its per-process memory never serves
stale dates (another process may have recomputed, or a transaction rolled back)."""

import datetime as dt

import pytest

from core.audit_guard import bulk_writes_allowed
from schedules import services
from schedules.models import Item, Schedule
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(program):
    a = ItemFactory(program=program, name="Design", duration_minutes=days(3))
    b = ItemFactory(program=program, name="Build", duration_minutes=days(2))
    link(a, b)
    return a, b


def _finish(item):
    return Item.objects.values_list("finish", flat=True).get(pk=item.pk)


def test_dates_written_by_another_process_are_put_right(program, chain):
    """Another process's recompute leaves a new stamp; ours must not trust its memory then."""
    _, b = chain
    services.recompute(program)
    assert _finish(b) == dt.date(2026, 1, 9)
    with bulk_writes_allowed():  # as if another process had stored other dates
        Item.objects.filter(pk=b.pk).update(finish=dt.date(2030, 1, 1))
        Schedule.objects.filter(program=program).update(
            computed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )

    services.recompute(program)

    assert _finish(b) == dt.date(2026, 1, 9)


def test_the_memory_is_used_only_with_its_own_stamp(program, chain):
    _, b = chain
    services.recompute(program)
    with bulk_writes_allowed():  # a change behind the engine's back, stamp untouched
        Item.objects.filter(pk=b.pk).update(finish=dt.date(2030, 1, 1))

    services.recompute(program)

    # the memory says nothing moved, and it is right about every recompute it made itself
    assert _finish(b) == dt.date(2030, 1, 1)
    services._LAST_RUNS.clear()
    services.recompute(program)
    assert _finish(b) == dt.date(2026, 1, 9)


def test_a_moved_start_reschedules_successors_with_a_reused_network(program, manager, chain):
    a, b = chain
    services.recompute(program)
    network = services._LAST_RUNS[program.pk].network

    services.item_update(
        actor=manager, item=a, expected_version=a.version, start=dt.date(2026, 1, 12)
    )

    assert services._LAST_RUNS[program.pk].network is network  # same outline and durations
    assert _finish(a) == dt.date(2026, 1, 14)
    assert _finish(b) == dt.date(2026, 1, 16)


def test_a_new_duration_recompiles_and_moves_successors(program, manager, chain):
    a, b = chain
    services.recompute(program)
    network = services._LAST_RUNS[program.pk].network

    a.refresh_from_db()
    services.item_update(
        actor=manager, item=a, expected_version=a.version, duration_minutes=days(5)
    )

    assert services._LAST_RUNS[program.pk].network is not network
    assert _finish(b) == dt.date(2026, 1, 13)


def test_summary_percent_is_weighted_by_duration(program, manager):
    phase = ItemFactory(program=program, name="Phase")
    long = ItemFactory(program=program, name="Long", parent=phase, duration_minutes=days(9))
    short = ItemFactory(program=program, name="Short", parent=phase, duration_minutes=days(1))
    long.refresh_from_db()
    services.item_update(
        actor=manager, item=long, expected_version=long.version, percent_complete=50
    )
    short.refresh_from_db()
    services.item_update(
        actor=manager, item=short, expected_version=short.version, percent_complete=100
    )

    phase.refresh_from_db()
    assert phase.percent_complete == 55  # (9 * 50 + 1 * 100) / 10


def test_recompute_queries_do_not_grow_with_items(program, count_queries):
    def measure():
        services._LAST_RUNS.clear()
        with count_queries() as ctx:
            services.recompute(program)
        return len(ctx.captured_queries)

    first = ItemFactory(program=program)
    one = measure()
    for _ in range(3):
        link(first, ItemFactory(program=program))
    assert measure() == one


def test_a_summary_opening_with_a_milestone_starts_on_the_milestone_day(program):
    """Wednesday 17:00 and Thursday 08:00 are the same working minute; the phase whose first
    item is a milestone at Wednesday 17:00 starts on Wednesday, as MS Project shows it."""
    design = ItemFactory(program=program, name="Design", duration_minutes=days(3))
    phase = ItemFactory(program=program, name="Build phase")
    gate = ItemFactory(program=program, name="Design approved", kind="milestone", parent=phase)
    build = ItemFactory(program=program, name="Build", parent=phase, duration_minutes=days(2))
    link(design, gate)
    link(gate, build)

    rows = dict(Item.objects.values_list("name", "start"))
    assert rows["Design approved"] == dt.date(2026, 1, 7)  # Wednesday
    assert rows["Build"] == dt.date(2026, 1, 8)
    assert rows["Build phase"] == dt.date(2026, 1, 7)
