"""Decision log services: recording (also from other apps), links to any keyed item, editing,
taking a proposal, superseding, deleting a proposal, and the key lookups behind the links."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from core.models import AuditEntry
from core.versioning import StaleVersionError
from governance.models import ChangeRequest, Decision, DecisionLink
from governance.selectors.decisions import (
    decision_link_keys,
    decision_links,
    decisions_linked_to,
)
from governance.selectors.links import objects_for_keys, split_keys
from governance.services import decisions as services
from governance.services.errors import TransitionRefused
from governance.tests.factories_changes import make_cast, make_cr, make_decision
from programs.tests.factories import ProgramFactory, WorkstreamFactory
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def cast(db):
    return make_cast()


def entries(obj) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(obj)
    return list(AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("id"))


def snapshot_of(decision) -> tuple:
    fresh = Decision.objects.get(pk=decision.pk)
    return (
        fresh.status,
        fresh.version,
        fresh.superseded_by_id,
        fresh.title,
        sorted(DecisionLink.objects.filter(decision=fresh).values_list("object_id", flat=True)),
        len(entries(fresh)),
    )


# --- recording ---------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC))
def test_record_defaults_to_today_in_the_program_zone_and_the_actor(cast):
    # 23:30 UTC: still Friday the 27th in London (the program's zone), Saturday in Berlin.
    decision = services.decision_record(
        actor=cast.pm, program=cast.program, title=" Two waves ", statement="Finance first."
    )

    assert (decision.key, decision.title, decision.status) == ("DEC-1", "Two waves", "decided")
    assert (decision.decided_by, decision.decided_on) == (cast.pm, D(2026, 11, 27))
    [entry] = entries(decision)
    assert entry.action == "create"
    assert entry.changes["decided_on"] == [None, "2026-11-27"]
    assert "links" not in entry.changes
    berlin = ProgramFactory(code="BER", time_zone="Europe/Berlin", manager=cast.pm)
    later = services.decision_record(actor=cast.pm, program=berlin, title="Same moment")
    assert later.decided_on == D(2026, 11, 28)


def test_record_a_proposal_keeps_no_decision_date(cast):
    proposal = services.decision_record(
        actor=cast.pm, program=cast.program, title="Keep February?", status="proposed",
        decided_by=cast.sponsor, decided_on=D(2026, 12, 1), needed_by=D(2026, 12, 15),
    )  # fmt: skip
    assert (proposal.status, proposal.decided_by, proposal.decided_on, proposal.needed_by) == (
        "proposed", cast.sponsor, None, D(2026, 12, 15),
    )  # fmt: skip


def test_record_links_change_requests_wbs_items_and_workstreams(cast):
    cr = make_cr(cast.program, cast.contributor)
    item = ItemFactory(program=cast.program, name="Legacy archive decision")
    ws = WorkstreamFactory(program=cast.program, name="Data Migration")

    decision = services.decision_record(
        actor=cast.pm, program=cast.program, title="Archive", links=[cr, item, ws, cr]
    )

    assert [link.key for link in decision_links(decision=decision)] == [cr.key, item.key, ws.key]
    described = decision_links(decision=decision)
    assert [(d.kind, d.label) for d in described] == [
        ("Change request", cr.title), ("WBS item", "Legacy archive decision"),
        ("Workstream", "Data Migration"),
    ]  # fmt: skip
    assert described[0].url == f"/programs/ERP/governance/changes/{cr.key}/"
    assert entries(decision)[0].changes["links"] == [None, [cr.key, item.key, ws.key]]
    assert list(decisions_linked_to(obj=item)) == [decision]


def test_record_refuses_links_outside_the_program_or_to_itself(cast):
    other = ProgramFactory(code="OTH")
    foreign = ItemFactory(program=other, name="Elsewhere")
    with pytest.raises(ValidationError) as error:
        services.decision_record(actor=cast.pm, program=cast.program, title="X", links=[foreign])
    assert error.value.message_dict == {"links": [f"{foreign} belongs to another program."]}
    with pytest.raises(ValidationError, match="cannot be linked"):
        services.decision_record(actor=cast.pm, program=cast.program, title="X", links=[cast.pm])
    decision = make_decision(cast.program, cast.pm)
    with pytest.raises(ValidationError, match="cannot link to itself"):
        services.decision_update(
            actor=cast.pm, decision=decision, expected_version=1, links=[decision]
        )
    assert Decision.objects.count() == 1


def test_record_refuses_a_decider_outside_the_program_and_a_superseded_status(cast):
    outsider = ProgramFactory(code="OTH").memberships.get().user
    with pytest.raises(ValidationError) as error:
        services.decision_record(
            actor=cast.pm, program=cast.program, title="X", decided_by=outsider
        )
    assert error.value.message_dict == {"decided_by": [f"{outsider} is not a member of ERP."]}
    with pytest.raises(ValidationError, match="proposed or decided"):
        services.decision_record(
            actor=cast.pm, program=cast.program, title="X", status="superseded"
        )
    assert Decision.objects.count() == 0


def test_options_are_cleaned_and_checked(cast):
    decision = services.decision_record(
        actor=cast.pm, program=cast.program, title="Integrator",
        options=[
            {"option": " Northwind ", "pros": "References", "cons": ""},
            {"option": "", "pros": "", "cons": ""},
            {"option": "Contoso", "pros": None, "cons": "No plants"},
        ],
    )  # fmt: skip
    assert decision.options == [
        {"option": "Northwind", "pros": "References", "cons": ""},
        {"option": "Contoso", "pros": "", "cons": "No plants"},
    ]
    with pytest.raises(ValidationError) as error:
        services.decision_record(
            actor=cast.pm, program=cast.program, title="X", options=[{"pros": "only pros"}]
        )
    assert error.value.message_dict == {"options": ["Option 1 needs a name."]}
    with pytest.raises(ValidationError) as error:
        services.decision_record(
            actor=cast.pm, program=cast.program, title="X",
            options=[{"option": str(n)} for n in range(13)],
        )  # fmt: skip
    assert error.value.message_dict == {"options": ["List at most 12 options."]}
    assert Decision.objects.count() == 1


# --- editing, taking, superseding, deleting ------------------------------------------------------


def test_edit_changes_texts_and_links_with_one_audit_entry(cast):
    cr = make_cr(cast.program, cast.contributor)
    item = ItemFactory(program=cast.program, name="Build")
    decision = make_decision(cast.program, cast.pm, links=[cr])

    decision = services.decision_update(
        actor=cast.coordinator, decision=decision, expected_version=1,
        rationale="Lower risk.", links=[item],
    )  # fmt: skip

    assert (decision.rationale, decision.version) == ("Lower risk.", 2)
    assert decision_link_keys(decision=decision) == [item.key]
    assert entries(decision)[-1].changes == {
        "rationale": ["", "Lower risk."],
        "links": [[cr.key], [item.key]],
    }


def test_edit_without_a_change_writes_nothing_and_a_stale_one_is_refused(cast):
    decision = make_decision(cast.program, cast.pm, title="Same")
    same = services.decision_update(
        actor=cast.pm, decision=decision, expected_version=1, title="Same"
    )
    assert (same.version, len(entries(decision))) == (1, 1)
    services.decision_update(actor=cast.pm, decision=decision, expected_version=1, title="New")
    before = snapshot_of(decision)
    with pytest.raises(StaleVersionError):
        services.decision_update(actor=cast.pm, decision=decision, expected_version=1, title="X")
    assert snapshot_of(decision) == before


def test_a_proposal_is_taken_once(cast):
    proposal = make_decision(cast.program, cast.pm, status="proposed", needed_by=D(2026, 12, 15))

    decided = services.decision_decide(
        actor=cast.pm, decision=proposal, expected_version=1, decided_by=cast.sponsor,
        decided_on=D(2026, 12, 15), forum="Steering committee", rationale="Risk too high.",
    )  # fmt: skip

    assert (decided.status, decided.decided_by, decided.decided_on, decided.needed_by) == (
        "decided", cast.sponsor, D(2026, 12, 15), None,
    )  # fmt: skip
    assert entries(decided)[-1].changes["status"] == ["proposed", "decided"]
    before = snapshot_of(decided)
    with pytest.raises(TransitionRefused) as refused:
        services.decision_decide(actor=cast.pm, decision=decided, expected_version=None)
    assert refused.value.reason == "DEC-1 is decided; only a proposed decision can be taken."
    assert snapshot_of(decided) == before


def test_supersede_links_both_and_keeps_the_old_entry(cast):
    old = make_decision(cast.program, cast.pm, title="Seven years of history")
    new = make_decision(cast.program, cast.sponsor, title="Two years and an archive")

    services.decision_supersede(actor=cast.pm, decision=old, replacement=new, expected_version=1)

    old.refresh_from_db()
    assert (old.status, old.superseded_by, old.version) == ("superseded", new, 2)
    assert list(new.supersedes.all()) == [old]
    assert entries(old)[-1].changes == {
        "status": ["decided", "superseded"],
        "superseded_by": [None, {"id": new.pk, "repr": str(new)}],
    }
    assert entries(new)[-1].changes == {"supersedes": [None, old.key]}
    before = snapshot_of(old)
    with pytest.raises(TransitionRefused) as refused:
        services.decision_update(actor=cast.pm, decision=old, expected_version=2, title="Edit")
    assert refused.value.reason == (
        "DEC-1 was superseded by DEC-2; the log keeps it as it was. Edit the decision that "
        "replaced it instead."
    )
    assert snapshot_of(old) == before


def test_supersede_refusals_change_nothing(cast):
    decided = make_decision(cast.program, cast.pm, title="A")
    proposal = make_decision(cast.program, cast.pm, title="B", status="proposed")
    other_program = make_decision(ProgramFactory(code="OTH"), cast.pm, title="C")
    before = snapshot_of(decided)

    with pytest.raises(TransitionRefused, match="DEC-2 is proposed; only a decided decision"):
        services.decision_supersede(
            actor=cast.pm, decision=proposal, replacement=decided, expected_version=None
        )
    with pytest.raises(ValidationError) as error:
        services.decision_supersede(
            actor=cast.pm, decision=decided, replacement=proposal, expected_version=None
        )
    assert error.value.message_dict == {
        "replacement": ["DEC-2 is proposed; the replacing decision must be decided."]
    }
    with pytest.raises(ValidationError, match="cannot supersede itself"):
        services.decision_supersede(
            actor=cast.pm, decision=decided, replacement=decided, expected_version=None
        )
    with pytest.raises(ValidationError, match="same program"):
        services.decision_supersede(
            actor=cast.pm, decision=decided, replacement=other_program, expected_version=None
        )
    assert snapshot_of(decided) == before


def test_record_a_replacement_in_one_step(cast):
    old = make_decision(cast.program, cast.pm, title="Seven years")
    new = services.decision_record(
        actor=cast.pm, program=cast.program, title="Two years", supersedes=old,
        supersedes_version=1,
    )  # fmt: skip
    old.refresh_from_db()
    assert (old.status, old.superseded_by) == ("superseded", new)
    with pytest.raises(StaleVersionError):
        services.decision_record(
            actor=cast.pm, program=cast.program, title="Three", supersedes=new,
            supersedes_version=7,
        )  # fmt: skip
    assert not Decision.objects.filter(title="Three").exists()


def test_only_a_proposal_is_deleted(cast):
    proposal = make_decision(cast.program, cast.pm, status="proposed")
    decided = make_decision(cast.program, cast.pm, title="Taken")
    pk = proposal.pk

    services.decision_delete(actor=cast.pm, decision=proposal, expected_version=1)
    assert not Decision.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(object_id=str(pk), action="delete").count() == 1

    with pytest.raises(TransitionRefused, match="the log keeps taken decisions"):
        services.decision_delete(actor=cast.pm, decision=decided, expected_version=1)
    assert Decision.objects.filter(pk=decided.pk).exists()


def test_a_decision_from_a_change_request_survives_its_requests_deletion_of_links(cast):
    cr = make_cr(cast.program, cast.contributor, status="approved", actor_for=cast)
    decision = cr.decision
    assert decision_link_keys(decision=decision) == [cr.key]
    assert ChangeRequest.objects.filter(decision=decision).count() == 1


# --- keys ----------------------------------------------------------------------------------------


def test_keys_are_split_and_resolved_with_every_problem_named(cast):
    cr = make_cr(cast.program, cast.contributor)
    item = ItemFactory(program=cast.program, name="Build")
    assert split_keys(" cr-1, tsk-1;CR-1\nDEC-9 ") == ["CR-1", "TSK-1", "DEC-9"]

    found = objects_for_keys(program=cast.program, keys=[item.key, cr.key], field="links")
    assert found == [item, cr]
    with pytest.raises(ValidationError) as error:
        objects_for_keys(
            program=cast.program, keys=["XYZ-1", "CR-99", "nonsense", cr.key], field="links"
        )
    [unknown, nonsense, missing] = error.value.message_dict["links"]
    assert unknown.startswith("XYZ-1 is not a key of a linkable item (use ")
    assert "CR-, " in unknown and "TSK-" in unknown
    assert nonsense.startswith("nonsense is not a key of a linkable item")
    assert missing == "There is no CR-99 in ERP."
    with pytest.raises(ValidationError, match="CR-1 is not a WBS item key: they look like TSK-12"):
        objects_for_keys(program=cast.program, keys=[cr.key], field="x", prefixes=("TSK",))
