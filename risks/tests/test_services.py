"""The RAID services: derived scores, keys, links, ownership, versions, side effects, snapshots.
Every refusal asserts that nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.audit import history_for_object
from core.models import AuditEntry, KeySequence
from core.permissions import Role
from core.versioning import StaleVersionError
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from risks import selectors, services
from risks.choices import PROBABILITY_PERCENT, expected_monetary_value, score_band
from risks.models import Action, Dependency, Issue, Risk, RiskSnapshot
from risks.tests.factories import (
    fresh,
    make_action,
    make_assumption,
    make_dependency,
    make_issue,
    make_risk,
)
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def rows(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def audit_count() -> int:
    return AuditEntry.objects.count()


@pytest.fixture
def contributor(program):
    return member(program, Role.CONTRIBUTOR, full_name="Ana Souza").user


# --- scales ----------------------------------------------------------------------------------


def test_emv_mapping_is_the_documented_percentage_band():
    assert PROBABILITY_PERCENT == {1: 10, 2: 30, 3: 50, 4: 70, 5: 90}
    assert expected_monetary_value(4, Decimal("100000.00")) == Decimal("70000.00")
    assert expected_monetary_value(1, Decimal("12345.67")) == Decimal("1234.57")
    assert expected_monetary_value(3, Decimal("0")) == Decimal("0.00")


@pytest.mark.parametrize(
    ("score", "band"),
    [(1, "low"), (4, "low"), (5, "medium"), (9, "medium"), (10, "high"), (16, "high"),
     (20, "critical"), (25, "critical"), (None, None)],
)  # fmt: skip
def test_score_bands(score, band):
    assert score_band(score) == band


# --- risks: create ---------------------------------------------------------------------------


def test_risk_create_derives_impact_score_residual_and_emv(program, manager):
    risk = make_risk(
        program,
        probability=4,
        impact_schedule=2,
        impact_cost=5,
        impact_scope=1,
        impact_quality=3,
        residual_probability=2,
        residual_impact=3,
        cost_impact_amount=Decimal("250000.00"),
    )

    assert (risk.key, risk.number) == ("RSK-1", 1)
    assert (risk.impact, risk.score, risk.residual_score) == (5, 20, 6)
    assert risk.emv == Decimal("175000.00")
    assert risk.band == "critical"
    stored = Risk.objects.values("impact", "score", "residual_score", "emv").get(pk=risk.pk)
    assert stored == {"impact": 5, "score": 20, "residual_score": 6, "emv": Decimal("175000.00")}


def test_risk_create_records_the_creation_with_its_links(program, manager):
    item = ItemFactory(program=program, name="Mock load 2")
    risk = make_risk(program, title="Load fails", wbs_items=[item])

    [entry] = history_for_object(risk)
    assert entry.action == "create"
    assert entry.actor == manager
    assert entry.changes["title"] == [None, "Load fails"]
    assert entry.changes["score"] == [None, 9]
    assert entry.changes["wbs_items"] == [None, [item.key]]
    assert list(risk.wbs_items.all()) == [item]


def test_keys_count_up_per_program_and_sort_numerically(program):
    other = ProgramFactory(code="CRM")
    keys = [make_risk(program).key for _ in range(3)] + [make_risk(other).key]

    assert keys == ["RSK-1", "RSK-2", "RSK-3", "RSK-1"]
    assert make_issue(program).key == "ISS-1"
    assert make_assumption(program).key == "ASM-1"
    assert make_dependency(program).key == "DEP-1"
    assert make_action(program).key == "ACT-1"


@pytest.mark.parametrize(
    ("field", "value"),
    [("probability", 6), ("probability", 0), ("impact_cost", 7), ("impact_quality", -1),
     ("residual_probability", 9)],
)  # fmt: skip
def test_ratings_outside_one_to_five_are_refused_and_nothing_is_written(
    program, manager, field, value
):
    extra = {"residual_impact": 2} if field == "residual_probability" else {}
    before = (rows(Risk), audit_count(), list(KeySequence.objects.values()))

    with pytest.raises(ValidationError) as exc:
        make_risk(program, **{field: value}, **extra)

    assert field in exc.value.message_dict
    assert (rows(Risk), audit_count(), list(KeySequence.objects.values())) == before


def test_residual_needs_both_ratings(program):
    before = rows(Risk)

    with pytest.raises(ValidationError) as exc:
        make_risk(program, residual_probability=2)

    assert exc.value.message_dict == {
        "residual_impact": ["Give both residual probability and residual impact, or neither."]
    }
    assert rows(Risk) == before


def test_database_refuses_ratings_outside_the_scale_and_wrong_scores(program):
    base = {"program": program, "title": "x", "impact": 3, "score": 9}
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(key="RSK-90", number=90, probability=0, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(key="RSK-91", number=91, probability=3, **{**base, "score": 12})
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(
            key="RSK-92", number=92, residual_probability=6, residual_impact=1, **base
        )
    assert rows(Risk) == []


def test_owner_must_be_a_member_and_workstream_of_this_program(program, manager):
    outsider = member(ProgramFactory(code="CRM"), Role.MANAGER).user
    foreign_ws = WorkstreamFactory(program=ProgramFactory(code="HR"), name="Payroll")
    foreign_item = ItemFactory(program=ProgramFactory(code="FIN"), name="Elsewhere")

    with pytest.raises(ValidationError) as exc:
        make_risk(program, owner=outsider, workstream=foreign_ws, wbs_items=[foreign_item])

    assert exc.value.message_dict == {
        "owner": [f"{outsider} is not a member of ERP."],
        "workstream": ["That workstream belongs to another program."],
        "wbs_items": [f"These WBS items belong to another program: {foreign_item.key}."],
    }
    assert rows(Risk) == []


def test_unknown_fields_are_refused(program):
    with pytest.raises(ValidationError, match="cannot be changed here: score"):
        make_risk(program, score=25)


# --- risks: update ---------------------------------------------------------------------------


def test_risk_update_rederives_the_score_and_audits_it(program, manager):
    risk = make_risk(program, probability=2, impact_cost=2, impact_schedule=2, impact_scope=2,
                     impact_quality=2)  # fmt: skip

    updated = services.risk_update(
        actor=manager, risk=risk, expected_version=1, probability=5, impact_scope=4
    )

    assert (updated.version, updated.impact, updated.score) == (2, 4, 20)
    entry = history_for_object(risk).filter(action="update").get()
    assert entry.changes == {
        "probability": [2, 5],
        "impact_scope": [2, 4],
        "impact": [2, 4],
        "score": [4, 20],
    }


def test_a_stale_version_is_refused_and_nothing_changes(program, manager):
    risk = make_risk(program)
    services.risk_update(actor=manager, risk=risk, expected_version=1, title="Renamed")
    before = (rows(Risk), audit_count())

    with pytest.raises(StaleVersionError) as exc:
        services.risk_update(actor=manager, risk=risk, expected_version=1, probability=5)

    assert exc.value.changed_fields == {"title": ["Data quality risk", "Renamed"]}
    assert (rows(Risk), audit_count()) == before


def test_an_update_that_changes_nothing_writes_nothing(program, manager):
    risk = make_risk(program, probability=3)
    before = (rows(Risk), audit_count())

    same = services.risk_update(actor=manager, risk=risk, expected_version=1, probability=3)

    assert same.version == 1
    assert (rows(Risk), audit_count()) == before


def test_links_are_replaced_and_the_change_is_in_the_history(program, manager):
    a, b, c = (ItemFactory(program=program, name=n) for n in ("Design", "Build", "Test"))
    risk = make_risk(program, wbs_items=[a, b])

    services.risk_update(actor=manager, risk=risk, expected_version=1, wbs_items=[c, a])

    assert sorted(i.key for i in fresh(risk).wbs_items.all()) == sorted([a.key, c.key])
    entry = history_for_object(risk).filter(action="update").get()
    assert entry.changes == {"wbs_items": [sorted([a.key, b.key]), sorted([a.key, c.key])]}
    assert fresh(risk).version == 2


# --- ownership: contributors change only their own items -------------------------------------


def test_contributor_changes_own_item(program, contributor):
    risk = make_risk(program, owner=contributor)

    updated = services.risk_update(
        actor=contributor, risk=risk, expected_version=1, mitigation_plan="Cleanse first."
    )

    assert updated.mitigation_plan == "Cleanse first."


def test_contributor_cannot_change_or_delete_someone_elses_item(program, manager, contributor):
    risk = make_risk(program, owner=manager)
    action = make_action(program, owner=None, title="Unowned")
    before = (rows(Risk), rows(Action), audit_count())

    with pytest.raises(PermissionDenied, match="only the RAID items you own; RSK-1 is owned by"):
        services.risk_update(actor=contributor, risk=risk, expected_version=1, probability=1)
    with pytest.raises(PermissionDenied, match="ACT-1 is without an owner"):
        services.action_update(actor=contributor, action=action, expected_version=1, status="done")
    with pytest.raises(PermissionDenied):
        services.risk_delete(actor=contributor, risk=risk, expected_version=1)

    assert (rows(Risk), rows(Action), audit_count()) == before


def test_non_members_cannot_change_anything(program):
    risk = make_risk(program)
    stranger = member(ProgramFactory(code="CRM"), Role.MANAGER).user

    with pytest.raises(PermissionDenied, match="not a member"):
        services.risk_update(actor=stranger, risk=risk, expected_version=1, title="x")
    assert fresh(risk).title == "Data quality risk"


def test_the_system_may_change_any_item(program, contributor):
    issue = make_issue(program, owner=contributor)

    updated = services.issue_update(
        actor=None, issue=issue, expected_version=None, escalation_level=2
    )

    assert updated.escalation_level == 2
    assert history_for_object(issue).filter(action="update").get().actor_name == "system"


# --- closing stamps dates --------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False)
def test_closing_and_reopening_stamp_and_clear_the_dates(program, manager):
    issue = make_issue(program)
    action = make_action(program)
    assumption = make_assumption(program)

    issue = services.issue_update(actor=manager, issue=issue, expected_version=1, status="resolved")
    action = services.action_update(actor=manager, action=action, expected_version=1, status="done")
    assumption = services.assumption_update(
        actor=manager, assumption=assumption, expected_version=1, status="validated"
    )
    assert (issue.resolved_on, action.completed_on, assumption.validated_on) == (
        dt.date(2026, 11, 20),
    ) * 3

    issue = services.issue_update(actor=manager, issue=issue, expected_version=2, status="open")
    assert issue.resolved_on is None


# --- dependencies ----------------------------------------------------------------------------


def test_dependency_sides_name_exactly_one_party(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")
    crm = ProgramFactory(code="CRM")

    dep = make_dependency(program, giver_program=crm, receiver_workstream=ws)
    assert (dep.giver, dep.receiver) == (str(crm), str(ws))

    # naming another party for a side clears that side's others
    dep = services.dependency_update(
        actor=manager, dependency=dep, expected_version=1, giver_external="SAP"
    )
    assert (dep.giver_program_id, dep.giver_workstream_id, dep.giver_external) == (
        None,
        None,
        "SAP",
    )


def test_dependency_with_two_givers_or_none_is_refused(program):
    ws = WorkstreamFactory(program=program, name="Finance")
    before = rows(Dependency)

    with pytest.raises(ValidationError) as exc:
        make_dependency(program, giver_workstream=ws, giver_external="SAP")
    assert "giver_program" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_dependency(program, receiver_external="  ")
    assert "receiver_program" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_dependency(program, giver_program=program)
    assert exc.value.message_dict["giver_program"] == [
        "For this program itself, choose one of its workstreams instead."
    ]
    assert rows(Dependency) == before


# --- actions on any subject ------------------------------------------------------------------


def test_action_on_a_raid_item_and_on_another_apps_object(program, manager):
    risk = make_risk(program)
    ws = WorkstreamFactory(program=program, name="Finance")  # any object with a program

    on_risk = make_action(program, subject=risk, title="Cleanse", due_date=dt.date(2026, 3, 1))
    on_ws = make_action(program, subject=ws, title="Brief the team")
    alone = make_action(program, title="Send the minutes")

    assert (on_risk.content_type, on_risk.object_id, on_risk.subject_key) == (
        ContentType.objects.get_for_model(Risk),
        risk.pk,
        "RSK-1",
    )
    assert on_ws.subject_key == ws.key
    assert (alone.content_type_id, alone.object_id, alone.subject_key) == (None, None, "")
    assert list(selectors.action_list_for_subject(subject=risk)) == [on_risk]
    assert list(selectors.action_list_for_subject(subject=ws)) == [on_ws]
    assert selectors.action_subject(on_risk) == risk


def test_action_subject_of_another_program_or_an_action_is_refused(program):
    foreign = make_risk(ProgramFactory(code="CRM"))
    action = make_action(program)
    before = rows(Action)

    with pytest.raises(ValidationError, match="belongs to another program"):
        make_action(program, subject=foreign)
    with pytest.raises(ValidationError, match="cannot be the subject of another action"):
        make_action(program, subject=action)
    assert rows(Action) == before


def test_actions_on_a_subject_list_soonest_first(program):
    risk = make_risk(program)
    late = make_action(program, subject=risk, title="Later", due_date=dt.date(2026, 5, 1))
    undated = make_action(program, subject=risk, title="Some day")
    soon = make_action(program, subject=risk, title="Soon", due_date=dt.date(2026, 2, 1))

    assert list(selectors.action_list_for_subject(subject=risk)) == [soon, late, undated]


# --- delete ----------------------------------------------------------------------------------


def test_deleting_a_risk_keeps_its_actions_and_issues_and_records_everything(program, manager):
    item = ItemFactory(program=program, name="Design")
    risk = make_risk(program, wbs_items=[item])
    action = make_action(program, subject=risk)
    issue = make_issue(program, raised_from_risk=risk)

    services.risk_delete(actor=manager, risk=risk, expected_version=1)

    assert not Risk.objects.filter(pk=risk.pk).exists()
    action, issue = fresh(action), fresh(issue)
    assert (action.content_type_id, action.object_id, action.subject_key) == (
        None,
        None,
        "RSK-1 (deleted)",
    )
    assert issue.raised_from_risk_id is None
    assert (action.version, issue.version) == (2, 2)
    deleted = AuditEntry.objects.get(action="delete", object_id=str(risk.pk))
    assert deleted.changes["wbs_items"] == [[item.key], None]
    assert deleted.actor == manager


def test_a_stale_delete_is_refused(program, manager):
    risk = make_risk(program)
    services.risk_update(actor=manager, risk=risk, expected_version=1, title="Renamed")
    before = (rows(Risk), audit_count())

    with pytest.raises(StaleVersionError):
        services.risk_delete(actor=manager, risk=risk, expected_version=1)

    assert (rows(Risk), audit_count()) == before


# --- review and raise an issue ---------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False)
def test_review_records_today_and_the_next_review(program, manager):
    risk = make_risk(program, probability=4, review_date=dt.date(2026, 11, 1))

    reviewed = services.risk_review(
        actor=manager,
        risk=risk,
        expected_version=1,
        next_review=dt.date(2026, 12, 4),
        probability=2,
    )

    assert (reviewed.last_reviewed_on, reviewed.review_date, reviewed.score) == (
        dt.date(2026, 11, 20),
        dt.date(2026, 12, 4),
        6,
    )


@time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False)
def test_review_with_a_next_date_in_the_past_is_refused(program, manager):
    risk = make_risk(program)
    before = rows(Risk)

    with pytest.raises(ValidationError) as exc:
        services.risk_review(
            actor=manager, risk=risk, expected_version=1, next_review=dt.date(2026, 11, 19)
        )

    assert exc.value.message_dict == {"review_date": ["The next review must be after today."]}
    assert rows(Risk) == before


def test_raising_an_issue_from_a_risk(program, manager, contributor):
    ws = WorkstreamFactory(program=program, name="Data")
    item = ItemFactory(program=program, name="Mock load")
    risk = make_risk(program, title="Load fails", owner=contributor, workstream=ws,
                     effect="Cut-over slips", wbs_items=[item])  # fmt: skip

    issue = services.risk_raise_issue(
        actor=contributor, risk=risk, expected_version=1, severity=4, due_date=dt.date(2026, 4, 1)
    )

    assert (issue.key, issue.title, issue.owner, issue.workstream) == (
        "ISS-1", "Load fails", contributor, ws,
    )  # fmt: skip
    assert (issue.description, issue.severity, issue.raised_from_risk) == (
        "Cut-over slips",
        4,
        risk,
    )
    assert list(issue.wbs_items.all()) == [item]
    assert fresh(risk).status == "occurred"

    with pytest.raises(ValidationError, match="already been raised"):
        services.risk_raise_issue(actor=manager, risk=fresh(risk), expected_version=2)
    assert Issue.objects.count() == 1


# --- overdue ---------------------------------------------------------------------------------


def test_raid_items_overdue_lists_open_issues_and_actions_past_due(program, manager):
    today = dt.date(2026, 11, 20)
    late_issue = make_issue(program, due_date=dt.date(2026, 11, 10))
    make_issue(program, due_date=dt.date(2026, 11, 20))  # due today: not late yet
    closed = make_issue(program, due_date=dt.date(2026, 11, 1))
    services.issue_update(actor=manager, issue=closed, expected_version=1, status="closed")
    late_action = make_action(program, due_date=dt.date(2026, 11, 5))
    done = make_action(program, due_date=dt.date(2026, 11, 2))
    services.action_update(actor=manager, action=done, expected_version=1, status="done")
    make_risk(program, review_date=dt.date(2026, 1, 1))  # reviews are not escalated

    overdue = selectors.raid_items_overdue(program=program, today=today)

    assert [(type(i).__name__, i.key) for i in overdue] == [
        ("Action", late_action.key),
        ("Issue", late_issue.key),
    ]


# --- snapshots -------------------------------------------------------------------------------


def test_snapshot_takes_the_open_risks_figures(program, manager):
    make_risk(program, probability=5, impact_cost=5, cost_impact_amount=Decimal("100000"))  # 25
    make_risk(program, probability=2, impact_cost=2, impact_schedule=2, impact_scope=2,
              impact_quality=2, residual_probability=1, residual_impact=1)  # fmt: skip  # 4 -> 1
    closed = make_risk(program, probability=5, impact_cost=5)
    services.risk_update(actor=manager, risk=closed, expected_version=1, status="closed")

    snap = services.risk_snapshot_take(program=program, week=dt.date(2026, 11, 19))

    assert snap.week_start == dt.date(2026, 11, 16)
    assert (snap.open_count, snap.low_count, snap.medium_count, snap.high_count,
            snap.critical_count) == (2, 1, 0, 0, 1)  # fmt: skip
    assert (snap.total_exposure, snap.residual_exposure, snap.total_emv) == (
        29,
        26,
        Decimal("90000.00"),
    )


def test_snapshot_is_idempotent_per_week(program, manager):
    risk = make_risk(program, probability=3)
    first = services.risk_snapshot_take(program=program, week=dt.date(2026, 11, 16))
    services.risk_update(actor=manager, risk=risk, expected_version=1, probability=5)

    again = services.risk_snapshot_take(program=program, week=dt.date(2026, 11, 20))
    next_week = services.risk_snapshot_take(program=program, week=dt.date(2026, 11, 23))

    assert again.pk == first.pk
    assert RiskSnapshot.objects.filter(program=program).count() == 2
    assert fresh(first).total_exposure == 15
    assert next_week.week_start == dt.date(2026, 11, 23)
