"""schedules/services.py: the WBS tree, dates as MS Project translates them, progress rules,
links and loops, bulk edits, sign-off, baselines and the calendar. Refusals change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry
from core.permissions import Role
from core.versioning import StaleVersionError
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from schedules import services
from schedules.models import (
    Baseline,
    BaselineItem,
    Constraint,
    Dependency,
    Item,
    ItemKind,
    ItemStatus,
)
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 1, 5)  # the factories' program start


def outline(program) -> list[tuple[str, str, int]]:
    """(wbs, name, depth) in outline order."""
    return list(
        Item.objects.filter(program=program)
        .order_by("outline_path")
        .values_list("wbs", "name", "depth")
    )


def fresh(item: Item) -> Item:
    return Item.objects.get(pk=item.pk)


@pytest.fixture
def tree(program):
    """1 A (summary) > 1.1 A1, 1.2 A2 (summary) > 1.2.1 A2x; 2 B; 3 C."""
    a = ItemFactory(program=program, name="A")
    a1 = ItemFactory(program=program, name="A1", parent=a)
    a2 = ItemFactory(program=program, name="A2", parent=a)
    a2x = ItemFactory(program=program, name="A2x", parent=a2)
    b = ItemFactory(program=program, name="B")
    c = ItemFactory(program=program, name="C")
    return {i.name: fresh(i) for i in (a, a1, a2, a2x, b, c)}


# --- the tree ---------------------------------------------------------------------------------


def test_create_numbers_the_outline_and_makes_parents_summaries(tree, program):
    assert outline(program) == [
        ("1", "A", 0), ("1.1", "A1", 1), ("1.2", "A2", 1), ("1.2.1", "A2x", 2),
        ("2", "B", 0), ("3", "C", 0),
    ]  # fmt: skip
    assert [fresh(tree[n]).kind for n in ("A", "A2", "A2x", "B")] == [
        ItemKind.SUMMARY, ItemKind.SUMMARY, ItemKind.TASK, ItemKind.TASK,
    ]  # fmt: skip
    assert [i.key for i in Item.objects.order_by("pk")] == [f"TSK-{n}" for n in range(1, 7)]


def test_create_at_an_index_among_siblings(tree, program, manager):
    services.item_create(actor=manager, program=program, name="First", index=0)

    assert [w for w, _, d in outline(program) if d == 0] == ["1", "2", "3", "4"]
    assert outline(program)[0] == ("1", "First", 0)
    assert fresh(tree["A2x"]).wbs == "2.2.1"


def test_move_under_renumbers_the_subtree(tree, program, manager):
    services.item_move(actor=manager, item=tree["A2"], expected_version=None, parent=tree["C"])

    assert outline(program) == [
        ("1", "A", 0), ("1.1", "A1", 1), ("2", "B", 0), ("3", "C", 0), ("3.1", "A2", 1),
        ("3.1.1", "A2x", 2),
    ]  # fmt: skip
    assert fresh(tree["C"]).kind == ItemKind.SUMMARY
    moved = fresh(tree["A2"])
    assert moved.version == tree["A2"].version + 1
    entry = AuditEntry.objects.filter(object_id=str(moved.pk), action="update").latest("id")
    assert entry.changes["parent"][1]["id"] == tree["C"].pk


def test_move_under_itself_or_its_own_items_is_refused(tree, program, manager):
    before = outline(program)
    for parent in (tree["A"], tree["A2x"]):
        with pytest.raises(ValidationError, match="cannot move under itself or its own items"):
            services.item_move(actor=manager, item=tree["A"], expected_version=None, parent=parent)

    assert outline(program) == before


def test_move_with_a_stale_version_is_refused(tree, program, manager):
    before = outline(program)

    with pytest.raises(StaleVersionError):
        services.item_move(actor=manager, item=tree["B"], expected_version=99, parent=tree["A"])

    assert outline(program) == before


def test_indent_and_outdent(tree, program, manager):
    services.item_indent(actor=manager, item=tree["B"], expected_version=None)
    assert outline(program)[4:] == [("1.3", "B", 1), ("2", "C", 0)]

    services.item_outdent(actor=manager, item=fresh(tree["A1"]), expected_version=None)
    assert outline(program) == [
        ("1", "A", 0), ("1.1", "A2", 1), ("1.1.1", "A2x", 2), ("1.2", "B", 1),
        ("2", "A1", 0), ("3", "C", 0),
    ]  # fmt: skip


def test_indent_of_a_first_child_and_outdent_of_the_top_level_are_refused(tree, program, manager):
    before = outline(program)

    with pytest.raises(ValidationError, match="no item above this one at the same level"):
        services.item_indent(actor=manager, item=tree["A1"], expected_version=None)
    with pytest.raises(ValidationError, match="already at the top level"):
        services.item_outdent(actor=manager, item=tree["B"], expected_version=None)

    assert outline(program) == before


def test_outdenting_the_last_child_turns_the_summary_back_into_a_task(tree, program, manager):
    services.item_outdent(actor=manager, item=tree["A2x"], expected_version=None)

    assert fresh(tree["A2"]).kind == ItemKind.TASK
    assert fresh(tree["A2x"]).wbs == "1.3"  # one level up: under A, just after A2


def test_reorder_up_and_down_stays_within_the_siblings(tree, program, manager):
    services.item_reorder(actor=manager, item=tree["C"], expected_version=None, delta=-1)
    assert [n for _, n, d in outline(program) if d == 0] == ["A", "C", "B"]

    services.item_reorder(actor=manager, item=fresh(tree["A"]), expected_version=None, delta=-1)
    assert [n for _, n, d in outline(program) if d == 0] == ["A", "C", "B"]

    services.item_reorder(actor=manager, item=fresh(tree["A"]), expected_version=None, delta=5)
    assert [n for _, n, d in outline(program) if d == 0] == ["C", "B", "A"]
    assert fresh(tree["A2x"]).wbs == "3.2.1"


def test_delete_removes_the_subtree_its_links_and_baseline_rows(tree, program, manager):
    link(tree["A2x"], tree["B"])
    link(tree["A1"], tree["C"])
    services.baseline_create(actor=manager, program=program, name="Plan")

    count = services.item_delete(actor=manager, item=tree["A2"], expected_version=None)

    assert count == 2
    assert outline(program) == [("1", "A", 0), ("1.1", "A1", 1), ("2", "B", 0), ("3", "C", 0)]
    assert list(Dependency.objects.values_list("predecessor__name", "successor__name")) == [
        ("A1", "C")
    ]
    assert BaselineItem.objects.filter(item_id=tree["A2x"].pk).count() == 0
    deleted = AuditEntry.objects.filter(action="delete").values_list("object_repr", flat=True)
    assert {"TSK-3 A2", "TSK-4 A2x"} <= set(deleted)


# --- dates as MS Project translates them ------------------------------------------------------


def test_a_new_start_sets_start_no_earlier_than(program, manager):
    task = ItemFactory(program=program, name="T", duration_minutes=days(3))

    task = services.item_update(
        actor=manager, item=task, expected_version=None, start=dt.date(2026, 1, 14)
    )

    assert (task.constraint, task.constraint_date) == (Constraint.SNET, dt.date(2026, 1, 14))
    assert (task.start, task.finish, task.duration_minutes) == (
        dt.date(2026, 1, 14), dt.date(2026, 1, 16), days(3),
    )  # fmt: skip


def test_a_new_finish_changes_the_duration_in_working_days(program, manager):
    task = ItemFactory(program=program, name="T", duration_minutes=days(3))

    task = services.item_update(
        actor=manager, item=task, expected_version=None, finish=dt.date(2026, 1, 13)
    )

    assert task.duration_minutes == days(7)  # Mon 5 .. Tue 13 Jan: 7 working days
    assert task.constraint == Constraint.ASAP


def test_a_finish_before_the_start_is_refused(program, manager):
    task = ItemFactory(program=program, name="T", duration_minutes=days(3))

    with pytest.raises(ValidationError) as exc:
        services.item_update(
            actor=manager, item=task, expected_version=None, finish=dt.date(2026, 1, 2)
        )

    assert exc.value.message_dict == {"finish": ["The finish cannot be before the start."]}
    assert fresh(task).version == task.version


def test_a_date_far_outside_the_calendar_is_refused(program, manager):
    task = ItemFactory(program=program, name="T")

    with pytest.raises(ValidationError) as exc:
        services.item_update(
            actor=manager, item=task, expected_version=None, start=dt.date(2150, 1, 1)
        )

    assert "too far from the project start" in exc.value.message_dict["start"][0]


def test_a_milestone_date_becomes_its_constraint(program, manager):
    ms = ItemFactory(program=program, name="M", kind=ItemKind.MILESTONE)

    ms = services.item_update(
        actor=manager, item=ms, expected_version=None, finish=dt.date(2026, 2, 3)
    )

    assert (ms.start, ms.finish, ms.duration_minutes) == (
        dt.date(2026, 2, 3), dt.date(2026, 2, 3), 0,
    )  # fmt: skip


def test_a_summarys_dates_and_duration_cannot_be_set(tree, manager):
    with pytest.raises(ValidationError, match="A summary's dates come from the items below it"):
        services.item_update(
            actor=manager, item=tree["A"], expected_version=None, start=dt.date(2026, 2, 2)
        )
    with pytest.raises(ValidationError, match="duration and progress come from the items below"):
        services.item_update(
            actor=manager, item=tree["A"], expected_version=None, duration_minutes=days(2)
        )


def test_negative_duration_is_refused(program, manager):
    task = ItemFactory(program=program, name="T")

    with pytest.raises(ValidationError, match="A duration cannot be negative"):
        services.item_update(actor=manager, item=task, expected_version=None, duration_minutes=-1)

    assert fresh(task).duration_minutes == days(5)


# --- progress ---------------------------------------------------------------------------------


def test_percent_complete_drives_status_and_actual_dates(program, manager):
    task = ItemFactory(program=program, name="T", duration_minutes=days(4))

    task = services.item_update(
        actor=manager, item=task, expected_version=None, percent_complete=50
    )
    assert (task.status, task.actual_start, task.actual_finish) == (
        ItemStatus.IN_PROGRESS, MONDAY, None,
    )  # fmt: skip

    task = services.item_update(
        actor=manager, item=task, expected_version=None, percent_complete=100
    )
    assert (task.status, task.actual_finish) == (ItemStatus.COMPLETE, task.finish)

    task = services.item_update(
        actor=manager, item=task, expected_version=None, percent_complete=60
    )
    assert (task.status, task.actual_finish) == (ItemStatus.IN_PROGRESS, None)


def test_status_complete_means_100_percent(program, manager):
    task = ItemFactory(program=program, name="T")

    task = services.item_update(
        actor=manager, item=task, expected_version=None, status=ItemStatus.COMPLETE
    )

    assert task.percent_complete == 100
    assert task.actual_start == MONDAY


def test_summaries_roll_up_duration_weighted_percent_complete(program, manager):
    phase = ItemFactory(program=program, name="Phase")
    short = ItemFactory(program=program, name="Short", parent=phase, duration_minutes=days(1))
    long = ItemFactory(program=program, name="Long", parent=phase, duration_minutes=days(3))

    services.item_update(actor=manager, item=short, expected_version=None, percent_complete=100)
    services.item_update(actor=manager, item=long, expected_version=None, percent_complete=20)

    assert fresh(phase).percent_complete == 40  # (1 x 100 + 3 x 20) / 4


def test_actual_finish_before_actual_start_is_refused(program, manager):
    task = ItemFactory(program=program, name="T")

    with pytest.raises(ValidationError, match="actual finish cannot be before the actual start"):
        services.item_update(
            actor=manager, item=task, expected_version=None,
            actual_start=dt.date(2026, 1, 8), actual_finish=dt.date(2026, 1, 6),
        )  # fmt: skip


# --- links ------------------------------------------------------------------------------------


def test_a_finish_to_start_link_with_lag_moves_the_successor(program):
    a = ItemFactory(program=program, name="A", duration_minutes=days(2))
    b = ItemFactory(program=program, name="B", duration_minutes=days(1))

    link(a, b, "FS", 2)

    assert fresh(b).start == dt.date(2026, 1, 9)  # A ends Tue 6; 2 working days of lag
    assert [fresh(a).critical, fresh(b).critical] == [True, True]


def test_a_link_that_closes_a_loop_names_the_loop_and_adds_nothing(program):
    a, b, c = (ItemFactory(program=program, name=n) for n in "ABC")
    link(a, b)
    link(b, c)

    with pytest.raises(ValidationError) as exc:
        link(c, a)

    assert exc.value.messages == ["These links would close a loop: TSK-1 → TSK-2 → TSK-3 → TSK-1."]
    assert Dependency.objects.count() == 2


def test_a_link_back_the_other_way_is_refused_as_a_loop(program):
    a, b = (ItemFactory(program=program, name=n) for n in "AB")
    link(a, b)

    with pytest.raises(ValidationError, match="close a loop: TSK-2 → TSK-1 → TSK-2"):
        link(b, a, "SS")


def test_links_into_a_summarys_own_line_are_refused(tree):
    for pred, succ in ((tree["A"], tree["A2x"]), (tree["A2x"], tree["A"])):
        with pytest.raises(ValidationError, match="same line of the outline"):
            link(pred, succ)

    assert Dependency.objects.count() == 0


def test_links_across_programs_and_duplicates_are_refused(program, manager):
    a, b = (ItemFactory(program=program, name=n) for n in "AB")
    theirs = ItemFactory(program=ProgramFactory(code="OTH"), name="Theirs")
    link(a, b)

    with pytest.raises(ValidationError, match="already linked"):
        link(a, b)
    with pytest.raises(ValidationError, match="Both items must belong to this program"):
        services.dependency_create(actor=manager, program=program, predecessor=a, successor=theirs)
    assert Dependency.objects.count() == 1


def test_dependency_update_and_delete_recompute(program, manager):
    a = ItemFactory(program=program, name="A", duration_minutes=days(2))
    b = ItemFactory(program=program, name="B", duration_minutes=days(1))
    dep = link(a, b)
    assert fresh(b).start == dt.date(2026, 1, 7)

    dep = services.dependency_update(
        actor=manager, dependency=dep, expected_version=dep.version, type="SS",
        lag_minutes=days(1),
    )  # fmt: skip
    assert fresh(b).start == dt.date(2026, 1, 6)

    with pytest.raises(StaleVersionError):
        services.dependency_delete(actor=manager, dependency=dep, expected_version=1)
    services.dependency_delete(actor=manager, dependency=dep, expected_version=dep.version)
    assert fresh(b).start == MONDAY


# --- bulk edits -------------------------------------------------------------------------------


def test_bulk_update_sets_fields_on_every_item_and_skips_summary_status(tree, program, manager):
    ws = WorkstreamFactory(program=program, name="Ops")
    ana = member(program, Role.CONTRIBUTOR).user
    items = [tree["A"], tree["B"], tree["C"]]

    changed = services.items_bulk_update(
        actor=manager, program=program, items=items, owner=ana, workstream=ws,
        status=ItemStatus.COMPLETE,
    )  # fmt: skip

    assert changed == 3
    assert [(i.owner_id, i.workstream_id) for i in map(fresh, items)] == [(ana.pk, ws.pk)] * 3
    assert fresh(tree["A"]).status == ItemStatus.NOT_STARTED  # a summary's status is not set
    assert (fresh(tree["B"]).status, fresh(tree["B"]).percent_complete) == (
        ItemStatus.COMPLETE, 100,
    )  # fmt: skip


def test_bulk_update_refuses_outsiders_and_other_programs_workstreams(tree, program, manager):
    other = ProgramFactory(code="OTH")
    stranger = member(other, Role.CONTRIBUTOR).user
    their_ws = WorkstreamFactory(program=other, name="Theirs")
    items = [tree["B"], tree["C"]]

    with pytest.raises(ValidationError, match="is not a member of ERP"):
        services.items_bulk_update(actor=manager, program=program, items=items, owner=stranger)
    with pytest.raises(ValidationError, match="workstream belongs to another program"):
        services.items_bulk_update(actor=manager, program=program, items=items, workstream=their_ws)
    with pytest.raises(ValidationError, match="Choose at least one field"):
        services.items_bulk_update(actor=manager, program=program, items=items)

    assert {(i.owner_id, i.workstream_id) for i in map(fresh, items)} == {(None, None)}


# --- sign-off ---------------------------------------------------------------------------------


def test_signoff_records_who_when_and_evidence_and_revoke_clears_it(program, users_by_role):
    ms = ItemFactory(program=program, name="Go-live", kind=ItemKind.MILESTONE)
    executive = users_by_role["executive"]

    ms = services.item_signoff(
        actor=executive, item=ms, expected_version=ms.version, evidence="  SC minutes 7 "
    )

    assert (ms.accepted_by, ms.acceptance_evidence) == (executive, "SC minutes 7")
    assert ms.accepted_at is not None
    with pytest.raises(StaleVersionError):
        services.item_signoff_revoke(actor=executive, item=ms, expected_version=1)

    ms = services.item_signoff_revoke(actor=executive, item=ms, expected_version=ms.version)
    assert (ms.accepted_by, ms.accepted_at) == (None, None)
    with pytest.raises(ValidationError, match="has not been signed off"):
        services.item_signoff_revoke(actor=executive, item=ms, expected_version=None)


def test_signoff_needs_evidence_and_a_milestone_or_deliverable(program, manager):
    task = ItemFactory(program=program, name="T")
    deliverable = ItemFactory(program=program, name="D", kind=ItemKind.DELIVERABLE)

    with pytest.raises(ValidationError, match="Only milestones and deliverables"):
        services.item_signoff(actor=manager, item=task, expected_version=None, evidence="x")
    with pytest.raises(ValidationError) as exc:
        services.item_signoff(actor=manager, item=deliverable, expected_version=None, evidence=" ")

    assert "acceptance_evidence" in exc.value.message_dict
    assert fresh(deliverable).accepted_at is None


# --- baselines --------------------------------------------------------------------------------


def test_baseline_saves_every_item_and_only_one_is_current(program, manager):
    a = ItemFactory(program=program, name="A", duration_minutes=days(2))
    b = ItemFactory(program=program, name="B", duration_minutes=days(3))
    link(a, b)

    first = services.baseline_create(actor=manager, program=program, name="Original")
    services.item_update(actor=manager, item=a, expected_version=None, duration_minutes=days(4))
    second = services.baseline_create(actor=manager, program=program, name="Re-plan")

    assert list(
        BaselineItem.objects.filter(baseline=first)
        .order_by("item__pk")
        .values_list("item__name", "start", "finish", "duration_minutes")
    ) == [
        ("A", MONDAY, dt.date(2026, 1, 6), days(2)),
        ("B", dt.date(2026, 1, 7), dt.date(2026, 1, 9), days(3)),
    ]
    assert BaselineItem.objects.get(baseline=second, item=b).finish == dt.date(2026, 1, 13)
    assert list(Baseline.objects.filter(is_current=True)) == [second]
    assert (first.number, second.number) == (0, 1)

    services.baseline_set_current(actor=manager, baseline=first)
    assert list(Baseline.objects.filter(is_current=True).values_list("name", flat=True)) == [
        "Original"
    ]


def test_baseline_names_are_unique_per_program(program, manager):
    services.baseline_create(actor=manager, program=program, name="Plan")

    with pytest.raises(ValidationError, match="already has a baseline with that name"):
        services.baseline_create(actor=manager, program=program, name="Plan")

    assert Baseline.objects.count() == 1


def test_baseline_delete_removes_its_rows(program, manager):
    ItemFactory(program=program, name="A")
    baseline = services.baseline_create(actor=manager, program=program, name="Plan")

    services.baseline_delete(actor=manager, baseline=baseline, expected_version=baseline.version)

    assert (Baseline.objects.count(), BaselineItem.objects.count()) == (0, 0)


# --- the calendar -----------------------------------------------------------------------------


def test_holidays_move_dates_and_removing_them_moves_them_back(program, manager):
    task = ItemFactory(program=program, name="T", duration_minutes=days(5))
    assert fresh(task).finish == dt.date(2026, 1, 9)

    holiday = services.holiday_create(
        actor=manager, program=program, name="Stocktake",
        start=dt.date(2026, 1, 7), finish=dt.date(2026, 1, 8),
    )  # fmt: skip
    assert fresh(task).finish == dt.date(2026, 1, 13)

    services.holiday_delete(actor=manager, holiday=holiday, expected_version=holiday.version)
    assert fresh(task).finish == dt.date(2026, 1, 9)


def test_working_weekdays_change_dates(program, manager):
    task = ItemFactory(program=program, name="T", duration_minutes=days(6))
    schedule = services.schedule_for(program)

    services.schedule_update(
        actor=manager, program=program, expected_version=schedule.version,
        weekdays=[0, 1, 2, 3, 4, 5],
    )  # fmt: skip

    assert fresh(task).finish == dt.date(2026, 1, 10)  # Mon..Sat: the sixth day is Saturday


def test_a_holiday_ending_before_it_starts_is_refused(program, manager):
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        services.holiday_create(
            actor=manager, program=program, name="Oops",
            start=dt.date(2026, 1, 9), finish=dt.date(2026, 1, 8),
        )  # fmt: skip
