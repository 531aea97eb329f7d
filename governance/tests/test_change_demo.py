"""The demo's change requests and decision log: every workflow state, the right approvers, real
WBS links, the baseline the re-plan caused, a superseded decision, and building only once."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from governance import demo
from governance.models import ChangeRequest, ChangeRequestTransition, Decision
from governance.selectors.changes import approval_level, change_policy_get
from governance.selectors.decisions import decision_link_keys
from programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo seeded once for the module (rolled back at its end); tests run in savepoints."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def erp(seeded, db):
    return Program.objects.get(code="ERP")


def test_erp_has_a_request_in_every_state_the_story_needs(erp):
    requests = {cr.key: cr for cr in ChangeRequest.objects.filter(program=erp)}
    assert {key: cr.status for key, cr in requests.items()} == {
        "CR-1": "closed", "CR-2": "implemented", "CR-3": "rejected", "CR-4": "deferred",
        "CR-5": "assessed", "CR-6": "submitted", "CR-7": "approved", "CR-8": "draft",
    }  # fmt: skip
    policy = change_policy_get(program=erp)
    assert policy.sponsor_cost_threshold == 75000
    # the assessed one waits for the sponsor; the implemented one holds the Q3 re-plan baseline
    assert approval_level(requests["CR-5"], policy) == "sponsor"
    assert requests["CR-2"].baseline.name == "Re-plan Q3"
    assert requests["CR-2"].decided_by.email == "exec@example.com"
    assert requests["CR-3"].decided_by.email == "exec@example.com"
    assert requests["CR-7"].decided_by.email == "pm@example.com"  # within the thresholds
    assert all(cr.affected_items.exists() for cr in requests.values())


def test_erp_timelines_follow_the_story_dates(erp):
    cr2 = ChangeRequest.objects.get(program=erp, key="CR-2")
    steps = list(ChangeRequestTransition.objects.filter(change_request=cr2).order_by("at"))
    assert [s.to_status for s in steps] == [
        "draft", "submitted", "assessed", "approved", "implemented",
    ]  # fmt: skip
    assert steps[3].at.date() == dt.date(2026, 8, 11)
    assert steps[3].actor.email == "exec@example.com"
    assert cr2.decision.decided_on == dt.date(2026, 8, 11)
    assert cr2.created_at.date() == dt.date(2026, 7, 28)


def test_erp_decision_log(erp):
    decisions = {d.key: d for d in Decision.objects.filter(program=erp)}
    # the governance demo's ten come first; later demos add theirs (the vendors' RFP selection)
    assert {f"DEC-{n}" for n in range(1, 11)} <= set(decisions)
    assert [d.key for d in decisions.values() if d.status == "superseded"] == ["DEC-4"]
    assert decisions["DEC-4"].superseded_by == decisions["DEC-5"]
    assert [d.key for d in decisions.values() if d.status == "proposed"] == ["DEC-10"]
    assert decisions["DEC-10"].needed_by == dt.date(2026, 12, 15)
    assert "CR-5" in decision_link_keys(decision=decisions["DEC-10"])
    recorded_by_requests = {cr.decision.key for cr in ChangeRequest.objects.filter(
        program=erp, decision__isnull=False)}  # fmt: skip
    assert recorded_by_requests == {"DEC-6", "DEC-7", "DEC-8", "DEC-9"}
    assert all(d.options for d in decisions.values() if d.key in ("DEC-1", "DEC-2", "DEC-3"))


def test_the_crm_program_gets_its_own_small_set(seeded, db):
    crm = Program.objects.get(code="CRM")
    assert list(
        ChangeRequest.objects.filter(program=crm).order_by("key").values_list("key", "status")
    ) == [("CR-1", "implemented"), ("CR-2", "draft")]
    assert Decision.objects.filter(program=crm).count() == 2


def test_build_demo_runs_once(erp):
    assert demo.build_demo(erp) is None
    assert ChangeRequest.objects.filter(program=erp).count() == 8
