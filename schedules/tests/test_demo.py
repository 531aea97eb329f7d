"""The demo schedules (a believable ERP plan, a small CRM plan) and the scaled benchmark builder."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from core.models import AuditEntry
from programs.models import Program, ProgramMembership
from programs.tests.factories import ProgramFactory, WorkstreamFactory
from schedules import demo, services
from schedules.models import (
    Baseline,
    BaselineItem,
    Dependency,
    ForecastSnapshot,
    Holiday,
    Item,
    ItemKind,
    ItemStatus,
)
from schedules.selectors.baselines import comparison_rows, slipped_milestones

pytestmark = pytest.mark.django_db

STATUS_DATE = demo.DEMO_STATUS_DATE


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo seeded once for the module, inside a transaction rolled back at its end; each
    test runs in a savepoint of it (pytest-django's `db`), so none sees another's changes."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def erp(seeded, db):
    return Program.objects.get(code="ERP")


def items_of(program, **filters):
    return Item.objects.filter(program=program, **filters)


def by_name(program, name):
    return Item.objects.get(program=program, name=name)


# ---------------------------------------------------------------------------------------------
# The ERP plan
# ---------------------------------------------------------------------------------------------


def test_erp_plan_is_an_outline_of_about_150_items_of_every_kind(erp):
    items = list(items_of(erp).order_by("outline_path"))

    assert 140 <= len(items) <= 160
    kinds = defaultdict(int)
    for item in items:
        kinds[item.kind] += 1
    assert kinds[ItemKind.SUMMARY] >= 15
    assert kinds[ItemKind.TASK] >= 80
    assert kinds[ItemKind.MILESTONE] >= 15
    assert kinds[ItemKind.DELIVERABLE] >= 15
    # keys follow the outline and summaries nest (phase > workstream package > task)
    assert [i.key for i in items] == [f"TSK-{n}" for n in range(1, len(items) + 1)]
    assert items[0].wbs == "1" and items[0].name == "Prepare"
    assert max(i.depth for i in items) == 2
    assert by_name(erp, "Finance & Controlling design").parent.name == (
        "Explore: fit-to-standard and design"
    )
    for name in ["Design sign-off", "Wave 1 go-live: Finance on S/4HANA", "Program closure"]:
        assert by_name(erp, name).kind == ItemKind.MILESTONE
        assert by_name(erp, name).duration_minutes == 0
    # every item's summary is above it, and the summaries really have items below them
    parents = {i.parent_id for i in items}
    assert all((i.kind == ItemKind.SUMMARY) == (i.pk in parents) for i in items)


def test_erp_plan_has_owners_workstreams_and_costs_from_the_program(erp):
    members = set(ProgramMembership.objects.filter(program=erp).values_list("user_id", flat=True))
    leaves = items_of(erp).exclude(kind=ItemKind.SUMMARY)

    assert all(i.owner_id in members for i in items_of(erp))
    assert {i.owner.email for i in leaves} >= {
        "contributor@example.com",
        "j.moreau@example.com",
        "s.ibrahim@example.com",
        "k.tanaka@example.com",
        "l.novak@example.com",
        "vendor@example.com",
    }
    assert set(leaves.values_list("workstream__name", flat=True)) == {
        "Finance & Controlling",
        "Supply Chain & Procurement",
        "Data Migration",
        "Integration & Technical Architecture",
        None,  # program-level work: governance, change management, go/no-go decisions
    }
    assert all(t.cost > 0 for t in leaves.filter(kind=ItemKind.TASK))


def test_erp_deliverables_have_acceptance_criteria_and_some_are_signed_off(erp):
    deliverables = items_of(erp, kind=ItemKind.DELIVERABLE)
    signed = deliverables.exclude(accepted_at=None)

    assert all(d.acceptance_criteria for d in deliverables)
    assert signed.count() >= 5
    for item in signed:
        assert item.status == ItemStatus.COMPLETE
        assert item.accepted_by is not None and item.acceptance_evidence
        assert item.accepted_at.date() >= item.actual_finish
        assert item.accepted_at.date() <= STATUS_DATE
    # one finished deliverable still waits for its sign-off
    assert deliverables.filter(status=ItemStatus.COMPLETE, accepted_at=None).exists()


def test_erp_links_use_all_four_types_with_lags_and_leads(erp):
    links = Dependency.objects.filter(program=erp)
    by_type = defaultdict(int)
    for link in links:
        by_type[link.type] += 1

    assert links.count() >= 150
    assert set(by_type) == {"FS", "SS", "FF", "SF"}
    assert by_type["FS"] > links.count() / 2
    assert links.filter(lag_minutes__gt=0).count() >= 5
    assert links.filter(lag_minutes__lt=0).count() >= 3  # leads
    assert links.filter(lag_percent__isnull=False).exists()
    # links cross workstreams (the data load waits for the finance configuration)
    assert links.filter(
        predecessor__workstream__name="Finance & Controlling",
        successor__workstream__name="Data Migration",
    ).exists()


def test_erp_calendar_constraints_and_deadlines(erp):
    schedule = services.schedule_for(erp)

    assert schedule.status_date == STATUS_DATE
    assert schedule.project_start == erp.start_date
    assert schedule.slip_threshold_days == 5
    holidays = Holiday.objects.filter(program=erp)
    assert {h.start.year for h in holidays} == {2026, 2027}
    shutdown = holidays.get(name="Year-end shutdown", start=dt.date(2026, 12, 24))
    assert shutdown.finish == dt.date(2027, 1, 1)
    # no computed date falls on a holiday or a weekend
    cal = services.program_calendar(erp)
    for item in items_of(erp):
        assert cal.is_working_day(item.finish), item
    constrained = items_of(erp).exclude(constraint="asap")
    assert {c.constraint for c in constrained} >= {"mso", "snet", "fnlt"}
    assert items_of(erp).exclude(deadline=None).count() >= 2


def test_erp_progress_is_as_of_the_status_date(erp):
    leaves = items_of(erp).exclude(kind=ItemKind.SUMMARY)
    complete = leaves.filter(status=ItemStatus.COMPLETE)
    started = leaves.filter(status=ItemStatus.IN_PROGRESS)
    waiting = leaves.filter(status=ItemStatus.NOT_STARTED)

    assert complete.count() >= 60 and started.count() >= 3 and waiting.count() >= 30
    for item in complete:
        assert item.percent_complete == 100
        assert item.actual_start <= item.actual_finish <= STATUS_DATE
    for item in started:
        assert 0 < item.percent_complete < 100
        assert item.actual_start <= STATUS_DATE < item.finish
        assert item.actual_finish is None
    for item in waiting:
        assert item.percent_complete == 0 and item.actual_start is None
        assert item.start > STATUS_DATE  # nothing unstarted is left in the past
    # summaries roll progress up: the Prepare phase is done, the program is under way
    assert by_name(erp, "Prepare").percent_complete == 100
    assert 0 < by_name(erp, "Realize: wave 1 (Finance)").percent_complete < 100


def test_erp_has_two_baselines_the_re_plan_current(erp):
    baselines = list(Baseline.objects.filter(program=erp).order_by("created_at"))

    assert [(b.name, b.is_current) for b in baselines] == [
        ("Original plan", False),
        ("Re-plan Q3", True),
    ]
    original, replan = baselines
    assert original.created_at.date() == dt.date(2026, 4, 21)
    assert replan.created_at.date() == dt.date(2026, 8, 11)
    items = items_of(erp).count()
    for baseline in baselines:
        assert BaselineItem.objects.filter(baseline=baseline).count() == items
    # the re-plan moved the design sign-off and both go-lives later than originally planned
    rows = {r["name"]: r for r in comparison_rows(erp, original)}
    # longer work costs more: the re-plan's longer durations carry their cost
    assert sum(r["cost_variance"] for r in rows.values() if r["kind"] != ItemKind.SUMMARY) > 0
    for name in ["Design sign-off", "Wave 1 go-live: Finance on S/4HANA"]:
        replanned = BaselineItem.objects.get(baseline=replan, item__name=name).finish
        assert replanned > rows[name]["baseline_finish"], name


def test_erp_milestones_slipped_beyond_the_threshold_have_remediation_plans(erp):
    slipped = slipped_milestones(erp)  # against the current baseline, over 5 working days
    names = [m["name"] for m in slipped]

    assert "Wave 1 go-live: Finance on S/4HANA" in names
    assert "Wave 2 go-live: supply chain and plants" in names
    assert all(m["days_late"] > 5 for m in slipped)
    with_plans = items_of(erp).exclude(remediation_plan="")
    assert with_plans.count() >= 2
    assert set(with_plans.values_list("name", flat=True)) <= set(names)
    # against the original plan the slip is larger still
    original = Baseline.objects.get(program=erp, name="Original plan")
    late_then = {m["name"]: m["days_late"] for m in slipped_milestones(erp, baseline=original)}
    for m in slipped:
        assert late_then[m["name"]] > m["days_late"]


def test_erp_critical_path_runs_from_the_late_test_cycle_to_the_last_milestone(erp):
    last = items_of(erp, kind=ItemKind.MILESTONE).order_by("-finish", "-outline_path").first()
    assert last.name == "Program closure"
    assert last.critical and last.finish == services.schedule_for(erp).project_finish
    assert last.finish <= erp.end_date

    # walk back from the last milestone through critical predecessors that drive it
    preds = defaultdict(list)
    for link in Dependency.objects.filter(program=erp).select_related("predecessor"):
        preds[link.successor_id].append(link.predecessor)
    children = defaultdict(list)
    for item in items_of(erp):
        children[item.parent_id].append(item)
    reached, stack = set(), [last]
    while stack:
        item = stack.pop()
        if item.pk in reached:
            continue
        reached.add(item.pk)
        stack += [p for p in preds[item.pk] if p.critical]
        stack += [c for c in children[item.pk] if c.critical]  # links into a summary
    sit1 = by_name(erp, "System integration test, cycle 1")
    assert sit1.status == ItemStatus.IN_PROGRESS and sit1.critical
    assert sit1.pk in reached
    assert by_name(erp, "Wave 1 go-live: Finance on S/4HANA").pk in reached
    assert by_name(erp, "Wave 2 go-live: supply chain and plants").pk in reached
    # finished work is not critical any more, even a whole finished phase
    assert not items_of(erp, status=ItemStatus.COMPLETE, critical=True).exists()
    assert not by_name(erp, "Prepare").critical


def test_erp_forecast_history_shows_go_live_drifting_later(erp):
    golive = by_name(erp, "Wave 1 go-live: Finance on S/4HANA")
    history = list(ForecastSnapshot.objects.filter(item=golive).order_by("as_of"))
    finishes = [s.finish for s in history]

    assert len(history) >= 17  # weekly for 16 weeks, the status date and today
    assert history[0].as_of <= STATUS_DATE - dt.timedelta(weeks=16)
    assert finishes == sorted(finishes)  # drifting later, never jumping back
    assert len(set(finishes)) >= 4  # recognised step by step at the status reviews
    assert finishes[0] < finishes[-1] == golive.finish
    # a milestone already reached keeps its actual date
    signoff = by_name(erp, "Design sign-off")
    assert set(ForecastSnapshot.objects.filter(item=signoff).values_list("finish", flat=True)) == {
        signoff.actual_finish
    }


def test_erp_plan_is_audited(erp):
    items = items_of(erp)
    created = set(
        AuditEntry.objects.filter(
            program_id=erp.pk,
            action="create",
            content_type__app_label="schedules",
            content_type__model="item",
        ).values_list("object_id", flat=True)
    )
    assert created == {str(pk) for pk in items.values_list("pk", flat=True)}
    link_entries = AuditEntry.objects.filter(
        program_id=erp.pk,
        action="create",
        content_type__app_label="schedules",
        content_type__model="dependency",
    )
    assert link_entries.count() == Dependency.objects.filter(program=erp).count()
    # progress was reported by the owners, the re-plan edits and sign-offs are in the trail
    sit1 = by_name(erp, "System integration test, cycle 1")
    updates = AuditEntry.objects.filter(
        content_type__app_label="schedules",
        content_type__model="item",
        object_id=str(sit1.pk),
        action="update",
    ).order_by("id")
    assert [e.actor_id for e in updates][-1] == sit1.owner_id
    assert updates.last().changes["percent_complete"] == [0, 65]
    assert sit1.version == 1 + updates.count()


def test_erp_plan_is_built_once(erp):
    before = (items_of(erp).count(), Dependency.objects.filter(program=erp).count())

    assert demo.build_erp_plan(erp) is None
    call_command("seed_demo", stdout=StringIO())

    assert (items_of(erp).count(), Dependency.objects.filter(program=erp).count()) == before
    assert Baseline.objects.filter(program=erp).count() == 2


# ---------------------------------------------------------------------------------------------
# The CRM plan
# ---------------------------------------------------------------------------------------------


def test_crm_plan_is_small_with_one_baseline(erp):
    crm = Program.objects.get(code="CRM")
    items = items_of(crm)

    assert 20 <= items.count() <= 30
    assert [(b.name, b.is_current) for b in Baseline.objects.filter(program=crm)] == [
        ("Initial plan", True)
    ]
    assert by_name(crm, "Discovery").percent_complete == 100
    assert by_name(crm, "CRM go-live").finish <= crm.end_date
    assert by_name(crm, "Prioritised requirements backlog").accepted_at is not None
    members = set(ProgramMembership.objects.filter(program=crm).values_list("user_id", flat=True))
    assert all(i.owner_id in members for i in items)
    # the portal's added scope shows against the baseline
    rows = {r["name"]: r for r in comparison_rows(crm, Baseline.objects.get(program=crm))}
    assert rows["Customer portal (Experience Cloud)"]["duration_variance_days"] == 5


# ---------------------------------------------------------------------------------------------
# Scaled schedules
# ---------------------------------------------------------------------------------------------


def bench_program(code="BENCH"):
    program = ProgramFactory(code=code)
    for n in range(3):
        WorkstreamFactory(program=program, name=f"Stream {n}")
    return program


def test_build_scaled_schedule_makes_the_requested_counts():
    program = bench_program()

    counts = demo.build_scaled_schedule(program, items=300, links=320, seed=7)

    assert counts == {"items": 300, "links": 320}
    items = items_of(program)
    assert items.count() == 300
    assert Dependency.objects.filter(program=program).count() == 320
    assert set(items.values_list("kind", flat=True)) == set(ItemKind.values)
    types = set(Dependency.objects.filter(program=program).values_list("type", flat=True))
    assert types == {"FS", "SS", "FF", "SF"}
    # scheduled by the engine (no loop), numbered as the services number the outline
    assert not items.filter(finish=None).exists()
    wbs_before = dict(items.values_list("pk", "wbs"))
    services.renumber(program)
    assert dict(items.values_list("pk", "wbs")) == wbs_before
    assert items.exclude(workstream=None).count() > 250
    # audited like any creation
    audited = AuditEntry.objects.filter(
        program_id=program.pk, content_type__app_label="schedules", content_type__model="item"
    )
    assert audited.count() == 300


def test_build_scaled_schedule_is_reproducible():
    one, two = bench_program("ONE"), bench_program("TWO")

    demo.build_scaled_schedule(one, items=60, links=60, seed=3)
    demo.build_scaled_schedule(two, items=60, links=60, seed=3)

    def links(program):
        return list(
            Dependency.objects.filter(program=program)
            .order_by("pk")
            .values_list("predecessor__key", "successor__key", "type", "lag_minutes")
        )

    assert links(one) == links(two)


def test_build_scaled_schedule_queries_do_not_grow_with_items(count_queries):
    small, large = bench_program("SMALL"), bench_program("LARGE")

    with count_queries() as few:
        demo.build_scaled_schedule(small, items=40, links=40)
    with count_queries() as many:
        demo.build_scaled_schedule(large, items=400, links=400)

    assert items_of(large).count() == 400
    # one INSERT per outline level and per batch of links and of audit entries, one recompute
    assert len(many.captured_queries) == len(few.captured_queries)


def test_build_scaled_schedule_refuses_bad_sizes_and_existing_plans():
    program = bench_program()

    with pytest.raises(ValueError, match="at least 1"):
        demo.build_scaled_schedule(program, items=0, links=0)
    with pytest.raises(ValueError, match="at most 6 links"):
        demo.build_scaled_schedule(program, items=5, links=50)
    assert not items_of(program).exists()

    demo.build_scaled_schedule(program, items=10, links=5)
    with pytest.raises(ValueError, match="already has a schedule"):
        demo.build_scaled_schedule(program, items=10, links=5)
    assert items_of(program).count() == 10
