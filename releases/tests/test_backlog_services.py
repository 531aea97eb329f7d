"""Backlog services: WSJF kept on save, ranks (moves, sort by WSJF, renumbering under a lock,
concurrent moves), iteration planning rules, dependencies (no self, other programs or cycles,
refused with the chain), cross-team and later-iteration flags, iterations (close moves the
unfinished items), the audit trail of each change."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from core.errors import Refused
from core.models import AuditEntry
from programs.tests.factories import ProgramFactory
from releases.models import BacklogItem, Iteration, IterationStatus
from releases.selectors import backlog as selectors
from releases.services import backlog as services
from releases.tests.backlog_factories import item, iteration, make_backlog, ranked, scored

pytestmark = pytest.mark.django_db
MON = dt.date(2026, 3, 2)


@pytest.fixture
def bl(program):
    return make_backlog(program)


# --- items and WSJF ------------------------------------------------------------------------------


def test_wsjf_is_computed_on_create_and_kept_on_update(bl):
    row = scored(bl, 8, 3)  # (8 + 1 + 1) / 3

    assert row.wsjf == Decimal("3.33")
    row = services.backlog_item_update(
        actor=bl.manager, item=row, expected_version=row.version, job_size=5
    )
    row.refresh_from_db()
    assert row.wsjf == Decimal("2.00")


def test_wsjf_is_none_until_all_four_scores(bl):
    row = item(bl, business_value=8, time_criticality=5)

    assert row.wsjf is None


def test_new_items_go_to_the_bottom_of_their_workstream(bl):
    first, second = item(bl), item(bl)
    other = item(bl, bl.integration)

    assert (first.rank, second.rank, other.rank) == (1, 2, 1)


def test_update_refuses_a_stale_version_and_changes_nothing(bl):
    from core.versioning import StaleVersionError

    row = item(bl, title="Before")
    services.backlog_item_update(actor=bl.manager, item=row, expected_version=1, title="One")

    with pytest.raises(StaleVersionError):
        services.backlog_item_update(actor=bl.manager, item=row, expected_version=1, title="Two")
    row.refresh_from_db()
    assert row.title == "One"


def test_moving_to_another_workstream_goes_to_its_bottom_and_closes_the_gap(bl):
    a, b, c = item(bl), item(bl), item(bl)
    item(bl, bl.integration)

    services.backlog_item_update(actor=bl.manager, item=a, expected_version=a.version,
                                 workstream=bl.integration)  # fmt: skip

    a.refresh_from_db()
    assert a.rank == 2
    assert ranked(bl.finance) == [b.key, c.key]
    assert list(BacklogItem.objects.filter(workstream=bl.finance).values_list("rank", flat=True)
                .order_by("rank")) == [1, 2]  # fmt: skip


def test_assignee_must_be_a_member(bl):
    from core.tests.factories import UserFactory

    with pytest.raises(ValidationError) as exc:
        item(bl, assignee=UserFactory())
    assert "assignee" in exc.value.message_dict


def test_delete_is_refused_while_others_depend_on_it(bl):
    needed, dependant = item(bl), item(bl)
    services.backlog_dependency_add(actor=bl.manager, item=dependant, depends_on=needed)

    with pytest.raises(Refused, match=f"{dependant.key} depends on {needed.key}"):
        services.backlog_item_delete(actor=bl.manager, item=needed, expected_version=1)
    assert BacklogItem.objects.filter(pk=needed.pk).exists()


def test_delete_renumbers_the_rest(bl):
    a, b, c = item(bl), item(bl), item(bl)

    services.backlog_item_delete(actor=bl.manager, item=a, expected_version=a.version)

    assert ranked(bl.finance) == [b.key, c.key]
    assert sorted(BacklogItem.objects.values_list("rank", flat=True)) == [1, 2]


# --- ranks ---------------------------------------------------------------------------------------


def test_move_to_position_before_and_steps(bl):
    a, b, c, d = (item(bl) for _ in range(4))

    services.backlog_item_move(actor=bl.manager, item=d, position=1)
    assert ranked(bl.finance) == [d.key, a.key, b.key, c.key]
    services.backlog_item_move(actor=bl.manager, item=a, before=c)
    assert ranked(bl.finance) == [d.key, b.key, a.key, c.key]
    services.backlog_item_move(actor=bl.manager, item=c, direction="up")
    assert ranked(bl.finance) == [d.key, b.key, c.key, a.key]
    services.backlog_item_move(actor=bl.manager, item=d, direction="down")
    assert ranked(bl.finance) == [b.key, d.key, c.key, a.key]
    services.backlog_item_move(actor=bl.manager, item=a, direction="top")
    assert ranked(bl.finance) == [a.key, b.key, d.key, c.key]
    services.backlog_item_move(actor=bl.manager, item=a, direction="bottom")
    assert ranked(bl.finance) == [b.key, d.key, c.key, a.key]
    assert sorted(BacklogItem.objects.values_list("rank", flat=True)) == [1, 2, 3, 4]


def test_steps_skip_finished_items_hidden_from_grooming(bl):
    a = item(bl)
    done = item(bl, status="done")
    c = item(bl)

    services.backlog_item_move(actor=bl.manager, item=c, direction="up")

    assert ranked(bl.finance) == [c.key, a.key, done.key]


def test_move_before_an_item_of_another_workstream_is_refused(bl):
    a = item(bl)
    other = item(bl, bl.integration)

    with pytest.raises(ValidationError, match="not in Finance's backlog"):
        services.backlog_item_move(actor=bl.manager, item=a, before=other)


def test_move_audits_each_rank_that_changed_in_one_insert(bl, count_queries):
    a, b, c = item(bl), item(bl), item(bl)
    before = AuditEntry.objects.count()

    services.backlog_item_move(actor=bl.manager, item=c, position=1)

    entries = AuditEntry.objects.order_by("id")[before:]
    assert sorted((e.object_repr.split()[0], e.changes["rank"]) for e in entries) == [
        (a.key, [1, 2]), (b.key, [2, 3]), (c.key, [3, 1])
    ]  # fmt: skip


def test_move_locks_the_workstream_and_queries_stay_flat(bl):
    for _ in range(3):
        item(bl)
    last = item(bl)
    with CaptureQueriesContext(connection) as small:
        services.backlog_item_move(actor=bl.manager, item=last, position=1)
    for _ in range(20):
        item(bl)
    last = item(bl)
    with CaptureQueriesContext(connection) as large:
        services.backlog_item_move(actor=bl.manager, item=last, position=1)

    assert any("FOR UPDATE" in q["sql"] and "programs_workstream" in q["sql"]
               for q in small.captured_queries)  # fmt: skip
    assert len(large.captured_queries) == len(small.captured_queries)


def test_rank_by_wsjf_puts_highest_first_unscored_then_finished_last(bl):
    low = scored(bl, 1, 8)  # 0.38
    unscored = item(bl)
    done = scored(bl, 20, 1, status="done")
    high = scored(bl, 13, 2)  # 7.50
    mid = scored(bl, 8, 3)  # 3.33

    changed = services.backlog_rank_by_wsjf(actor=bl.manager, workstream=bl.finance)

    assert ranked(bl.finance) == [high.key, mid.key, low.key, unscored.key, done.key]
    assert changed == 5


def test_grooming_orders_by_wsjf_with_unscored_last(bl):
    low = scored(bl, 1, 8)
    unscored = item(bl)
    high = scored(bl, 13, 2)

    view = selectors.grooming(program=bl.program, workstream=bl.finance, order="wsjf")

    assert [i.key for i in view.items] == [high.key, low.key, unscored.key]
    assert [i.position for i in view.items] == [3, 1, 2]  # the lead's rank stays visible


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_leave_ranks_one_to_n():
    program = ProgramFactory(code="CON")
    bl = make_backlog(program)
    items = [item(bl) for _ in range(8)]
    barrier = threading.Barrier(4)
    errors = []

    def mover(row, position):
        try:
            barrier.wait(timeout=10)
            services.backlog_item_move(actor=bl.manager, item=row, position=position)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=mover, args=(items[-1 - n], n + 1)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    ranks = sorted(BacklogItem.objects.filter(workstream=bl.finance).values_list("rank", flat=True))
    assert ranks == list(range(1, 9))


# --- iterations ----------------------------------------------------------------------------------


def test_assign_to_another_workstreams_iteration_is_refused(bl):
    row = item(bl)
    theirs = iteration(bl, "INT Sprint 1", MON, workstream=bl.integration)

    with pytest.raises(ValidationError, match="belongs to Integration"):
        services.backlog_item_assign(actor=bl.manager, item=row, iteration=theirs)
    row.refresh_from_db()
    assert row.iteration is None


def test_assign_to_own_or_program_wide_iteration(bl):
    row = item(bl)
    own = iteration(bl, "FI Sprint 1", MON, workstream=bl.finance)
    wide = iteration(bl, "PI 1", MON)

    services.backlog_item_assign(actor=bl.manager, item=row, iteration=own)
    row = services.backlog_item_assign(actor=bl.manager, item=row, iteration=wide)

    assert row.iteration == wide


def test_assign_to_a_closed_iteration_is_refused_unless_finished(bl):
    closed = iteration(bl, "Sprint 0", MON, workstream=bl.finance)
    services.iteration_close(actor=bl.manager, iteration=closed, expected_version=1, move_to=None)
    closed.refresh_from_db()

    with pytest.raises(ValidationError, match="closed"):
        services.backlog_item_assign(actor=bl.manager, item=item(bl), iteration=closed)
    done = services.backlog_item_assign(
        actor=bl.manager, item=item(bl, status="done"), iteration=closed
    )
    assert done.iteration == closed


def test_iteration_of_another_program_is_refused(bl):
    other = ProgramFactory(code="OTH")
    theirs = Iteration.objects.create(program=other, name="X", start_date=MON, end_date=MON)

    with pytest.raises(ValidationError):
        services.backlog_item_assign(actor=bl.manager, item=item(bl), iteration=theirs)


def test_iteration_dates_must_be_ordered(bl):
    with pytest.raises(ValidationError, match="on or after the start"):
        services.iteration_create(actor=bl.manager, program=bl.program, name="Backwards",
                                  start_date=MON, end_date=MON - dt.timedelta(days=1))  # fmt: skip


def test_close_moves_unfinished_items_to_the_next_iteration(bl):
    one = iteration(bl, "Sprint 1", MON, workstream=bl.finance, status="active")
    two = iteration(bl, "Sprint 2", MON + dt.timedelta(days=14), workstream=bl.finance)
    done = item(bl, iteration=one, status="done")
    open_ = item(bl, iteration=one, status="in_progress")

    assert services.next_iteration(one) == two
    moved = services.iteration_close(actor=bl.manager, iteration=one, expected_version=1,
                                     move_to=two)  # fmt: skip

    assert moved == 1
    done.refresh_from_db()
    open_.refresh_from_db()
    one.refresh_from_db()
    assert (done.iteration, open_.iteration, one.status) == (one, two, IterationStatus.CLOSED)
    entry = AuditEntry.objects.filter(object_id=str(open_.pk)).latest("id")
    assert entry.changes["iteration"][1]["repr"] == "Sprint 2"


def test_close_to_the_backlog_and_refused_twice(bl):
    one = iteration(bl, "Sprint 1", MON, workstream=bl.finance)
    row = item(bl, iteration=one)

    services.iteration_close(actor=bl.manager, iteration=one, expected_version=1, move_to=None)
    row.refresh_from_db()
    assert row.iteration is None
    with pytest.raises(Refused, match="already closed"):
        services.iteration_close(actor=bl.manager, iteration=one, expected_version=None,
                                 move_to=None)  # fmt: skip


def test_delete_iteration_with_items_is_refused(bl):
    one = iteration(bl, "Sprint 1", MON, workstream=bl.finance)
    item(bl, iteration=one)

    with pytest.raises(Refused, match="1 item is planned"):
        services.iteration_delete(actor=bl.manager, iteration=one, expected_version=1)


def test_iteration_load_counts_points(bl):
    one = iteration(bl, "Sprint 1", MON, workstream=bl.finance, capacity=Decimal("10"))
    item(bl, iteration=one, estimate=Decimal("8"))
    item(bl, iteration=one, estimate=Decimal("5"), status="done")
    item(bl, iteration=one, estimate=Decimal("3"), status="removed")

    row = selectors.iteration_list(program=bl.program).get(pk=one.pk)
    view = selectors.grooming(program=bl.program, workstream=bl.finance)

    assert (row.committed, row.done_points, row.item_count) == (13, 5, 2)
    assert view.iterations[0].over is True


# --- dependencies --------------------------------------------------------------------------------


def test_dependency_on_itself_is_refused(bl):
    row = item(bl)

    with pytest.raises(ValidationError, match="cannot depend on itself"):
        services.backlog_dependency_add(actor=bl.manager, item=row, depends_on=row)


def test_dependency_cycle_is_refused_with_the_chain(bl):
    a, b, c = item(bl), item(bl), item(bl)
    services.backlog_dependency_add(actor=bl.manager, item=a, depends_on=b)
    services.backlog_dependency_add(actor=bl.manager, item=b, depends_on=c)

    with pytest.raises(ValidationError) as exc:
        services.backlog_dependency_add(actor=bl.manager, item=c, depends_on=a)

    message = exc.value.message_dict["depends_on"][0]
    assert f"({c.key} → {a.key} → {b.key} → {c.key})" in message
    assert not c.depends_on.exists()


def test_dependency_of_another_program_is_refused(bl):
    other = make_backlog(ProgramFactory(code="OTH"))
    theirs = item(other)

    with pytest.raises(ValidationError, match="another program"):
        services.backlog_dependency_add(actor=bl.manager, item=item(bl), depends_on=theirs)


def test_dependency_changes_are_audited(bl):
    a, b = item(bl), item(bl)

    services.backlog_dependency_add(actor=bl.manager, item=a, depends_on=b)
    services.backlog_dependency_remove(actor=bl.manager, item=a, depends_on=b)

    changes = [e.changes["depends_on"] for e in
               AuditEntry.objects.filter(object_id=str(a.pk)).order_by("id")[1:]]  # fmt: skip
    assert changes == [[[], [b.key]], [[b.key], []]]


def test_cross_team_and_later_iteration_flags(bl):
    early = iteration(bl, "PI 1.1", MON)
    late = iteration(bl, "PI 1.2", MON + dt.timedelta(days=14))
    interface = item(bl, bl.integration, title="Bank interface", iteration=late)
    load = item(bl, title="Load bank balances", iteration=early)
    same_team = item(bl, title="Check balances", iteration=late)
    services.backlog_dependency_add(actor=bl.manager, item=load, depends_on=interface)
    services.backlog_dependency_add(actor=bl.manager, item=same_team, depends_on=load)

    rows = {i.key: i for i in selectors.annotate_links(selectors.backlog_list(program=bl.program))}

    load_links = rows[load.key].links
    assert [link.item.key for link in load_links.cross_team] == [interface.key]
    assert load_links.other_workstreams == ["Integration"]
    assert "after" in load_links.at_risk[0].later
    assert rows[interface.key].links.cross_team[0].item.key == load.key  # flagged both ways
    assert rows[same_team.key].links.cross_team == []
    assert rows[same_team.key].links.at_risk == []
    cross_only = selectors.BacklogFilterSet(
        {"cross_team": "true"},
        program=bl.program,
        queryset=selectors.backlog_list(program=bl.program),
    )
    assert sorted(i.key for i in cross_only.qs) == sorted([load.key, interface.key])


def test_requirements_must_be_of_the_program(bl):
    from releases.tests.factories import make_requirement

    mine = make_requirement(bl.program)
    theirs = make_requirement(ProgramFactory(code="OTH"))
    row = item(bl, requirements=[mine])

    assert list(row.requirements.all()) == [mine]
    with pytest.raises(ValidationError, match="another program"):
        services.backlog_requirement_link(actor=bl.manager, item=row, requirement=theirs)


def test_can_groom_managers_coordinators_and_the_lead(bl, users_by_role):
    from programs.access import program_access_for_user

    def can(user, ws):
        access = program_access_for_user(user=user, code=bl.program.code)
        return selectors.can_groom(access, user, ws)

    assert can(bl.manager, bl.finance)
    assert can(users_by_role["coordinator"], bl.integration)
    assert can(bl.lead, bl.finance)
    assert not can(bl.lead, bl.integration)
    assert not can(bl.contributor, bl.finance)
    assert not can(bl.viewer, bl.finance)
