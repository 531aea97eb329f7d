"""The demo RAID logs: about forty ERP items in every state, linked to the demo plan, some
overdue and escalated, twelve weekly snapshots; a smaller CRM log; built once."""

from __future__ import annotations

from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from core.models import AuditEntry
from programs.models import Program
from risks import demo, selectors
from risks.choices import (
    ActionStatus,
    AssumptionStatus,
    DependencyStatus,
    IssueStatus,
    RiskStatus,
)
from risks.models import Action, Assumption, Dependency, Issue, Risk, RiskSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def erp(seeded, db):
    return Program.objects.get(code="ERP")


@pytest.fixture
def crm(seeded, db):
    return Program.objects.get(code="CRM")


def test_erp_has_about_forty_items_in_every_state(erp):
    counts = {m.__name__: m.objects.filter(program=erp).count()
              for m in (Risk, Issue, Assumption, Dependency, Action)}  # fmt: skip
    assert 40 <= sum(counts.values()) <= 50
    statuses = {
        Risk: RiskStatus, Issue: IssueStatus, Assumption: AssumptionStatus,
        Dependency: DependencyStatus, Action: ActionStatus,
    }  # fmt: skip
    for model, choices in statuses.items():
        used = set(model.objects.filter(program=erp).values_list("status", flat=True))
        assert used == set(choices.values), model.__name__


def test_erp_items_link_to_the_plan_and_have_owners(erp):
    risks = Risk.objects.filter(program=erp)
    assert all(r.wbs_items.exists() for r in risks)
    assert all(r.owner_id for r in risks)
    assert {r.proximity_date is not None for r in risks} == {True}


def test_erp_has_overdue_and_escalated_work_relative_to_today(erp):
    today = timezone.localdate()
    overdue = selectors.raid_items_overdue(program=erp, today=today)

    assert len([i for i in overdue if isinstance(i, Action)]) >= 3
    assert len([i for i in overdue if isinstance(i, Issue)]) >= 2
    assert Action.objects.filter(program=erp, escalation_level__gte=2).exists()
    assert Issue.objects.filter(program=erp, escalation_level=3).exists()
    assert Risk.objects.filter(program=erp, review_date__lt=today, status="open").count() == 2


def test_erp_has_an_issue_raised_from_a_risk_and_actions_on_items(erp):
    issue = Issue.objects.get(program=erp, raised_from_risk__isnull=False)
    assert issue.raised_from_risk.status == RiskStatus.OCCURRED
    assert Action.objects.filter(program=erp, content_type__isnull=True).count() == 1
    assert Action.objects.filter(program=erp, subject_key__startswith="ISS-").exists()


def test_erp_has_twelve_weekly_snapshots_ending_this_week(erp):
    snaps = list(RiskSnapshot.objects.filter(program=erp).order_by("week_start"))
    now = selectors.risk_exposure(program=erp)

    assert len(snaps) == 12
    gaps = [(b.week_start - a.week_start).days for a, b in pairwise(snaps)]
    assert gaps == [7] * 11
    assert snaps[-1].total_exposure == now["total_exposure"]
    assert max(s.total_exposure for s in snaps) > snaps[-1].total_exposure > snaps[0].total_exposure


def test_crm_log_is_smaller_and_points_at_erp(crm, erp):
    assert 6 <= sum(m.objects.filter(program=crm).count()
                    for m in (Risk, Issue, Assumption, Dependency, Action)) <= 12  # fmt: skip
    assert Dependency.objects.get(program=crm).giver_program == erp
    assert RiskSnapshot.objects.filter(program=crm).count() == 8


def test_items_carry_a_history_by_their_authors(erp):
    risk = Risk.objects.get(program=erp, key="RSK-1")
    entries = AuditEntry.objects.filter(object_id=str(risk.pk), content_type__model="risk")
    assert entries.first().actor_name == "Sara Ibrahim"


def test_building_again_does_nothing(erp, crm):
    before = AuditEntry.objects.count()

    assert demo.build_demo(erp) is None
    assert demo.build_demo(crm) is None
    assert AuditEntry.objects.count() == before
