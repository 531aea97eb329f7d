"""The whole-program recompute: what it stores, and that its per-process memory never serves
stale dates (another process may have recomputed, or a transaction rolled back)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit_guard import bulk_writes_allowed
from schedules import services
from schedules.models import Dependency, Item, Schedule
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


# ---------------------------------------------------------------------------------------------
# The remembered recompute (only changed rows converted, roll-up and outline reused) must store
# exactly what a recompute without memory stores, whatever the edits were.
# ---------------------------------------------------------------------------------------------

EDIT_KINDS = (
    "drag", "duration", "progress", "constraint", "alap", "link", "unlink", "holiday", "add",
    "status_date", "manual",
)  # fmt: skip


def _stored(program):
    return sorted(
        Item.objects.filter(program=program).values_list(
            "id", *Item.COMPUTED_FIELDS, "percent_complete"
        )
    )


@pytest.fixture
def outline(program):
    phases = [ItemFactory(program=program, name=f"Phase {p}") for p in range(2)]
    tasks = [
        ItemFactory(program=program, parent=phases[k % 2], duration_minutes=days(1 + k % 4))
        for k in range(6)
    ]
    ItemFactory(program=program, parent=phases[1], kind="milestone", name="Go-live")
    link(tasks[0], tasks[2])
    link(tasks[2], tasks[4], type="SS", lag_days=1)
    link(tasks[1], tasks[3], type="FF")
    link(tasks[0], phases[1])
    return program


def _apply(program, manager, kind, pick, amount):
    items = list(Item.objects.filter(program=program).order_by("outline_path"))
    leaves = [i for i in items if i.kind != "summary"]
    tasks = [i for i in leaves if i.kind != "milestone"]
    item = leaves[pick % len(leaves)]
    task = tasks[pick % len(tasks)]
    day = dt.date(2026, 1, 5) + dt.timedelta(days=amount)
    edit = {"actor": manager, "expected_version": None}
    if kind == "drag":
        services.item_update(item=item, start=day, **edit)
    elif kind == "duration":
        services.item_update(item=task, duration_minutes=days(1 + amount % 7), **edit)
    elif kind == "progress":
        services.item_update(item=task, percent_complete=(0, 40, 100)[amount % 3], **edit)
    elif kind == "constraint":
        cons = ("snlt", "fnet", "fnlt", "mso", "mfo", "asap")[amount % 6]
        date = None if cons == "asap" else day
        services.item_update(item=item, constraint=cons, constraint_date=date, **edit)
    elif kind == "alap":
        services.item_update(item=item, constraint="alap", constraint_date=None, **edit)
    elif kind == "manual":
        services.item_update(item=task, manual=True, start=day, **edit)
    elif kind == "link":
        other = leaves[(pick + 1 + amount) % len(leaves)]
        link(item, other, type=("FS", "SS", "FF", "SF")[amount % 4], lag_days=amount % 3 - 1)
    elif kind == "unlink":
        links = list(Dependency.objects.filter(program=program).order_by("id"))
        if links:
            dep = links[pick % len(links)]
            services.dependency_delete(actor=manager, dependency=dep, expected_version=None)
    elif kind == "holiday":
        services.holiday_create(
            actor=manager, program=program, name="Closed", start=day, finish=day
        )
    elif kind == "status_date":
        services.schedule_update(
            actor=manager, program=program, expected_version=None, status_date=day
        )
    else:
        parent = next(i for i in items if i.kind == "summary")
        ItemFactory(program=program, parent=parent, duration_minutes=days(1 + amount % 3))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(EDIT_KINDS), st.integers(0, 50), st.integers(0, 40)),
        min_size=1,
        max_size=5,
    )
)
def test_a_remembered_recompute_stores_what_a_fresh_one_would(outline, manager, edits):
    program = outline
    for kind, pick, amount in edits:
        try:
            _apply(program, manager, kind, pick, amount)
        except ValidationError:
            continue  # refused (a loop, a summary's dates ...): nothing was stored
        remembered = _stored(program)

        services._LAST_RUNS.clear()
        fresh = services.recompute(program)

        assert fresh.changed_ids == []
        assert _stored(program) == remembered


def test_a_drag_converts_only_the_rows_it_moves(program, manager, chain, monkeypatch):
    """With the memory valid, a drag converts to dates only the rows whose answers changed
    (and the summaries): here the dragged task and its successor, not the longer unlinked
    task that sets the project finish."""
    a, b = chain
    other = ItemFactory(program=program, name="Unrelated", duration_minutes=days(20))
    services.recompute(program)
    converted = []
    real = services.ProgramCalendar.start_date

    def spy(self, offset):
        converted.append(offset)
        return real(self, offset)

    monkeypatch.setattr(services.ProgramCalendar, "start_date", spy)
    a.refresh_from_db()
    services.item_update(
        actor=manager, item=a, expected_version=a.version, start=dt.date(2026, 1, 12)
    )

    assert len(converted) == 2 * 2  # early and late start of `a` and `b`
    assert _finish(b) == dt.date(2026, 1, 16)
    other.refresh_from_db()
    assert other.finish == dt.date(2026, 1, 30)
