"""Change request services: create, edit, delete, every legal and illegal workflow step, who may
take each step, the approver rules at the policy's thresholds, comments, audit entries, the
decision recorded, the outcome, the policy and the e-mails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEntry, OutboundEmail
from core.permissions import Role
from core.versioning import StaleVersionError
from governance.choices import ChangeStatus
from governance.models import ChangeRequest, ChangeRequestTransition, Decision, DecisionLink
from governance.selectors.changes import (
    approval_level,
    change_policy_get,
    change_request_pending_for,
)
from governance.services import change_rules as rules
from governance.services import changes as services
from governance.services.errors import TransitionRefused
from governance.tests.factories_changes import make_cast, make_cr
from programs import services as program_services
from programs.tests.factories import ProgramFactory, WorkstreamFactory
from schedules import services as schedule_services
from schedules.models import Baseline
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

S = ChangeStatus
STATUSES = [s.value for s in ChangeStatus]


@pytest.fixture
def cast(db):
    return make_cast()


def entries(obj) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(obj)
    return list(AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("id"))


def state(cr: ChangeRequest) -> tuple:
    """Everything a refused step must leave as it was."""
    fresh = ChangeRequest.objects.get(pk=cr.pk)
    return (
        fresh.status,
        fresh.version,
        fresh.decided_by_id,
        fresh.decision_id,
        ChangeRequestTransition.objects.filter(change_request=cr).count(),
        len(entries(cr)),
        Decision.objects.count(),
        OutboundEmail.objects.count(),
    )


def in_status(cast, status: str, **fields) -> ChangeRequest:
    """A request by the contributor with the requester's estimate (3 days, 12,000 EUR)."""
    fields.setdefault("schedule_impact_days", 3)
    fields.setdefault("cost_impact", Decimal("12000.00"))
    return make_cr(cast.program, cast.contributor, status=status, actor_for=cast, **fields)


# --- create ------------------------------------------------------------------------------------


def test_create_raises_a_draft_with_a_key_a_timeline_and_an_audit_entry(cast):
    items = [ItemFactory(program=cast.program, name=f"Task {n}") for n in (1, 2)]
    cr = services.change_request_create(
        actor=cast.contributor,
        program=cast.program,
        title="  Add the Brno warehouse  ",
        kind="scope",
        description="Third warehouse.",
        reason="Site consolidation.",
        cost_impact=Decimal("1000.50"),
        affected_items=[items[1], items[0]],
    )
    second = services.change_request_create(
        actor=cast.contributor, program=cast.program, title="Another", kind="cost"
    )

    assert (cr.key, second.key) == ("CR-1", "CR-2")
    assert (cr.status, cr.requester, cr.title, cr.version) == (
        "draft", cast.contributor, "Add the Brno warehouse", 1,
    )  # fmt: skip
    assert sorted(cr.affected_items.values_list("key", flat=True)) == sorted(i.key for i in items)
    [raised] = ChangeRequestTransition.objects.filter(change_request=cr)
    assert (raised.from_status, raised.to_status, raised.actor, raised.comment) == (
        "", "draft", cast.contributor, "",
    )  # fmt: skip
    [entry] = entries(cr)
    assert entry.action == "create"
    assert entry.actor == cast.contributor
    assert entry.changes["title"] == [None, "Add the Brno warehouse"]
    assert entry.changes["cost_impact"] == [None, "1000.50"]
    assert sorted(entry.changes["affected_items"][1]) == sorted(i.key for i in items)
    assert entry.program_id == cast.program.pk


@pytest.mark.parametrize("role", ["finance", "executive", "viewer", "vendor"])
def test_create_is_refused_to_roles_that_cannot_raise_requests(cast, role):
    with pytest.raises(PermissionDenied, match=r"^You cannot raise change requests in ERP\.$"):
        services.change_request_create(
            actor=getattr(cast, role), program=cast.program, title="X", kind="scope"
        )
    assert ChangeRequest.objects.count() == 0
    assert AuditEntry.objects.filter(content_type__model="changerequest").count() == 0


def test_create_on_behalf_of_someone_needs_a_manager_or_coordinator(cast):
    on_behalf = services.change_request_create(
        actor=cast.coordinator,
        program=cast.program,
        title="For Ana",
        kind="scope",
        requester=cast.contributor,
    )
    assert on_behalf.requester == cast.contributor

    with pytest.raises(PermissionDenied, match="Only a program manager or coordinator"):
        services.change_request_create(
            actor=cast.contributor,
            program=cast.program,
            title="For Kenji",
            kind="scope",
            requester=cast.other_contributor,
        )
    assert ChangeRequest.objects.count() == 1


def test_create_refuses_outsiders_and_other_programs_rows(cast):
    other = ProgramFactory(code="OTH")
    foreign_item = ItemFactory(program=other, name="Elsewhere")
    foreign_ws = WorkstreamFactory(program=other, name="Other ws")
    outsider = other.memberships.get(role=Role.MANAGER).user

    with pytest.raises(ValidationError) as error:
        services.change_request_create(
            actor=cast.pm, program=cast.program, title="X", kind="scope", requester=outsider
        )
    assert error.value.message_dict == {"requester": [f"{outsider} is not a member of ERP."]}
    with pytest.raises(ValidationError) as error:
        services.change_request_create(
            actor=cast.pm, program=cast.program, title="X", kind="scope", workstream=foreign_ws
        )
    assert error.value.message_dict == {
        "workstream": ["That workstream belongs to another program."]
    }
    with pytest.raises(ValidationError) as error:
        services.change_request_create(
            actor=cast.pm, program=cast.program, title="X", kind="scope",
            affected_items=[foreign_item],
        )  # fmt: skip
    assert error.value.message_dict == {
        "affected_items": [f"Not items of ERP: {foreign_item.key}."]
    }
    assert ChangeRequest.objects.count() == 0


def test_create_refuses_a_blank_title_and_a_bad_kind(cast):
    with pytest.raises(ValidationError) as error:
        services.change_request_create(actor=cast.pm, program=cast.program, title=" ", kind="x")
    assert set(error.value.message_dict) == {"title", "kind"}
    assert ChangeRequest.objects.count() == 0


# --- edit and delete ---------------------------------------------------------------------------


def test_requester_edits_their_draft_and_the_audit_shows_items_before_and_after(cast):
    a, b = ItemFactory(program=cast.program, name="A"), ItemFactory(program=cast.program, name="B")
    cr = in_status(cast, "draft", affected_items=[a])

    cr = services.change_request_update(
        actor=cast.contributor,
        change_request=cr,
        expected_version=1,
        title="Renamed",
        affected_items=[a, b],
    )

    assert (cr.title, cr.version) == ("Renamed", 2)
    entry = entries(cr)[-1]
    assert entry.changes == {
        "title": ["Add the Brno warehouse to EWM", "Renamed"],
        "affected_items": [[a.key], [a.key, b.key]],
    }


def test_edit_with_a_stale_version_is_refused(cast):
    cr = in_status(cast, "draft")
    services.change_request_update(
        actor=cast.pm, change_request=cr, expected_version=1, title="First"
    )
    before = state(cr)
    with pytest.raises(StaleVersionError):
        services.change_request_update(
            actor=cast.contributor, change_request=cr, expected_version=1, title="Second"
        )
    assert state(cr) == before
    assert ChangeRequest.objects.get(pk=cr.pk).title == "First"


def test_someone_elses_contributor_cannot_edit_but_a_coordinator_can(cast):
    cr = in_status(cast, "draft")
    with pytest.raises(PermissionDenied, match="Only the requester \\(Ana Souza\\) or a program"):
        services.change_request_update(
            actor=cast.other_contributor, change_request=cr, expected_version=1, title="Mine"
        )
    assert ChangeRequest.objects.get(pk=cr.pk).version == 1

    cr = services.change_request_update(
        actor=cast.coordinator, change_request=cr, expected_version=1, requester=cast.pm
    )
    assert cr.requester == cast.pm


def test_a_contributor_cannot_hand_their_request_to_someone_else(cast):
    cr = in_status(cast, "draft")
    with pytest.raises(PermissionDenied, match="change the requester"):
        services.change_request_update(
            actor=cast.contributor, change_request=cr, expected_version=1,
            requester=cast.other_contributor,
        )  # fmt: skip
    assert ChangeRequest.objects.get(pk=cr.pk).requester == cast.contributor


@pytest.mark.parametrize("status", ["draft", "submitted", "deferred"])
def test_content_is_editable_before_the_assessment_and_after_a_deferral(cast, status):
    cr = in_status(cast, status)
    cr = services.change_request_update(
        actor=cast.pm, change_request=cr, expected_version=cr.version, reason="Updated reason."
    )
    assert cr.reason == "Updated reason."


@pytest.mark.parametrize("status", ["assessed", "approved", "rejected", "implemented", "closed"])
def test_content_is_frozen_from_the_assessment_on(cast, status):
    cr = in_status(cast, status)
    before = state(cr)
    with pytest.raises(TransitionRefused) as refused:
        services.change_request_update(
            actor=cast.pm, change_request=cr, expected_version=cr.version, title="Sneaky"
        )
    if status == "assessed":
        assert refused.value.reason == (
            "CR-1 is assessed: its content and impact are frozen while the decision is pending. "
            "The approver can defer it to allow changes."
        )
    else:
        assert refused.value.reason == f"CR-1 is {status}; its content is part of the record."
    assert state(cr) == before


def test_a_draft_is_deleted_by_its_requester_with_an_audit_entry(cast):
    cr = in_status(cast, "draft")
    pk = cr.pk

    services.change_request_delete(actor=cast.contributor, change_request=cr, expected_version=1)

    assert not ChangeRequest.objects.filter(pk=pk).exists()
    assert not ChangeRequestTransition.objects.filter(change_request_id=pk).exists()
    last = AuditEntry.objects.filter(object_id=str(pk), content_type__model="changerequest").first()
    assert (last.action, last.actor) == ("delete", cast.contributor)


def test_only_drafts_are_deleted_and_only_by_the_right_people(cast):
    submitted = in_status(cast, "submitted")
    before = state(submitted)
    with pytest.raises(TransitionRefused) as refused:
        services.change_request_delete(
            actor=cast.pm, change_request=submitted, expected_version=None
        )
    assert refused.value.reason == (
        "CR-1 is submitted; only a draft can be deleted. Close or reject it instead, so the "
        "record stays."
    )
    assert state(submitted) == before

    draft = in_status(cast, "draft")
    with pytest.raises(PermissionDenied, match="Only the requester"):
        services.change_request_delete(
            actor=cast.other_contributor, change_request=draft, expected_version=None
        )
    assert ChangeRequest.objects.filter(pk=draft.pk).exists()


# --- every step from every status ---------------------------------------------------------------

ACTOR_FOR = {
    "submit": "contributor",  # the requester
    "assess": "coordinator",
    "approve": "pm",
    "reject": "pm",
    "defer": "pm",
    "implement": "coordinator",
    "close": "coordinator",
}
LEGAL = {(s, name) for name, t in rules.TRANSITIONS.items() for s in t.sources}


def _expected_refusal(status: str, name: str) -> str:
    if status == "closed":
        return (
            "CR-1 is closed; a closed request cannot be reopened. Raise a new change request "
            "instead."
        )
    only = {
        "submit": "a draft or deferred request can be submitted",
        "assess": "a submitted request can be assessed",
        "approve": "an assessed request can be approved",
        "reject": "an assessed request can be rejected",
        "defer": "an assessed request can be deferred",
        "implement": "an approved request can be marked implemented",
        "close": "an implemented, rejected or deferred request can be closed",
    }[name]
    return f"CR-1 is {status}; only {only}."


@pytest.mark.parametrize("name", list(rules.TRANSITIONS))
@pytest.mark.parametrize("status", STATUSES)
def test_every_step_from_every_status(cast, status, name):
    cr = in_status(cast, status)
    actor = getattr(cast, ACTOR_FOR[name])
    service = services.TRANSITION_SERVICES[name]
    before = state(cr)

    if (status, name) not in LEGAL:
        with pytest.raises(TransitionRefused) as refused:
            service(actor=actor, change_request=cr, comment="Because.")
        assert refused.value.reason == _expected_refusal(status, name)
        assert state(cr) == before
        return

    moved = service(actor=actor, change_request=cr, comment="Because.")

    target = rules.TRANSITIONS[name].target
    assert ChangeRequest.objects.get(pk=cr.pk).status == target == moved.status
    assert moved.version == cr.version + 1
    last = ChangeRequestTransition.objects.filter(change_request=cr).order_by("id").last()
    assert (last.from_status, last.to_status, last.actor, last.comment) == (
        status, target, actor, "Because.",
    )  # fmt: skip
    entry = entries(cr)[-1]
    assert (entry.action, entry.actor, entry.object_version) == ("update", actor, moved.version)
    assert entry.changes["status"] == [status, target]
    assert entry.changes["comment"] == [None, "Because."]


def test_a_closed_request_offers_no_step_at_all(cast):
    cr = in_status(cast, "closed")
    assert rules.change_request_checks(
        actor=cast.pm, change_request=cr, role="manager", policy=change_policy_get(
            program=cast.program
        )
    ) == []  # fmt: skip


def test_the_steps_a_status_offers(cast):
    offered = {}
    for status in STATUSES:
        cr = in_status(cast, status)
        checks = rules.change_request_checks(
            actor=cast.pm, change_request=cr, role="manager",
            policy=change_policy_get(program=cast.program),
        )  # fmt: skip
        offered[status] = [c.name for c in checks]
    assert offered == {
        "draft": ["submit"],
        "submitted": ["assess"],
        "assessed": ["approve", "reject", "defer"],
        "approved": ["implement"],
        "rejected": ["close"],
        "deferred": ["submit", "close"],
        "implemented": ["close"],
        "closed": [],
    }


# --- who may take each step ----------------------------------------------------------------------

ROLES = ["pm", "pm2", "sponsor", "coordinator", "contributor", "other_contributor", "executive",
         "finance", "viewer", "vendor"]  # fmt: skip
MAY = {
    "submit": {"pm", "pm2", "coordinator", "contributor"},
    "assess": {"pm", "pm2", "coordinator"},
    "approve": {"pm", "pm2", "sponsor"},
    "reject": {"pm", "pm2", "sponsor"},
    "defer": {"pm", "pm2", "sponsor"},
    "implement": {"pm", "pm2", "coordinator"},
    "close": {"pm", "pm2", "coordinator"},
}
SOURCE = {"submit": "draft", "assess": "submitted", "approve": "assessed", "reject": "assessed",
          "defer": "assessed", "implement": "approved", "close": "implemented"}  # fmt: skip
ROLE_LABEL = {"pm": "Program manager", "pm2": "Program manager", "sponsor": "Executive",
              "coordinator": "Coordinator", "contributor": "Contributor",
              "other_contributor": "Contributor", "executive": "Executive", "finance": "Finance",
              "viewer": "Viewer", "vendor": "Vendor"}  # fmt: skip
WHO = {"submit": "the requester, a program manager or a coordinator",
       "assess": "program managers and coordinators", "implement": "program managers and "
       "coordinators", "close": "program managers and coordinators"}  # fmt: skip


@pytest.mark.parametrize("person", ROLES)
@pytest.mark.parametrize("name", list(rules.TRANSITIONS))
def test_who_may_take_each_step(cast, name, person):
    cr = in_status(cast, SOURCE[name])
    actor = getattr(cast, person)
    service = services.TRANSITION_SERVICES[name]
    before = state(cr)

    if person in MAY[name]:
        moved = service(actor=actor, change_request=cr, comment="Because.")
        assert moved.status == rules.TRANSITIONS[name].target
        return

    with pytest.raises(PermissionDenied) as refused:
        service(actor=actor, change_request=cr, comment="Because.")
    reason = str(refused.value)
    label = ROLE_LABEL[person]
    if name == "submit" and person == "other_contributor":
        assert reason == (
            "Only the requester (Ana Souza) or a program manager or coordinator can submit CR-1."
        )
    elif name in ("approve", "reject", "defer") and person == "executive":
        assert reason == (
            "CR-1 is decided by a program manager or the sponsor (its impact is within the "
            "thresholds (50,000.00 EUR, 10 working days))."
        )
    elif name in ("approve", "reject", "defer"):
        assert reason == (
            f"Your role ({label}) cannot {name} change requests; the sponsor or a program "
            "manager can."
        )
    else:
        assert reason == f"Your role ({label}) cannot {name} change requests; {WHO[name]} can."
    assert state(cr) == before


def test_someone_outside_the_program_is_refused(cast):
    cr = in_status(cast, "assessed")
    outsider = ProgramFactory(code="OUT").memberships.get(role=Role.MANAGER).user
    before = state(cr)
    with pytest.raises(PermissionDenied, match=r"^You are not a member of ERP\.$"):
        services.change_request_approve(actor=outsider, change_request=cr)
    assert state(cr) == before


# --- the approver rules at the thresholds --------------------------------------------------------


@pytest.mark.parametrize(
    ("cost", "days", "level", "why"),
    [
        ("50000.00", 10, "manager", None),
        ("-50000.00", -10, "manager", None),
        ("0", 0, "manager", None),
        ("50000.01", 0, "sponsor", "its cost impact of 50,000.01 EUR is beyond the 50,000.00 "
         "EUR threshold"),
        ("-50000.01", 0, "sponsor", "its cost impact of -50,000.01 EUR is beyond the 50,000.00 "
         "EUR threshold"),
        ("0", 11, "sponsor", "its schedule impact of +11 working days is beyond the 10-day "
         "threshold"),
        ("0", -11, "sponsor", "its schedule impact of -11 working days is beyond the 10-day "
         "threshold"),
        ("60000", 12, "sponsor", "its cost impact of 60,000.00 EUR is beyond the 50,000.00 EUR "
         "threshold and its schedule impact of +12 working days is beyond the 10-day threshold"),
    ],
)  # fmt: skip
def test_who_approves_at_the_thresholds(cast, cost, days, level, why):
    cr = in_status(cast, "assessed", cost_impact=Decimal(cost), schedule_impact_days=days)
    policy = change_policy_get(program=cast.program)
    assert approval_level(cr, policy) == level

    if level == "manager":
        approved = services.change_request_approve(actor=cast.pm, change_request=cr)
        assert approved.status == "approved"
        return
    before = state(cr)
    with pytest.raises(PermissionDenied) as refused:
        services.change_request_approve(actor=cast.pm, change_request=cr)
    assert str(refused.value) == f"CR-1 needs the sponsor's decision (Daniel Okafor): {why}."
    assert state(cr) == before
    approved = services.change_request_approve(actor=cast.sponsor, change_request=cr)
    assert (approved.status, approved.decided_by) == ("approved", cast.sponsor)


def test_the_sponsor_may_decide_within_the_thresholds_too(cast):
    cr = in_status(cast, "assessed")
    deferred = services.change_request_defer(
        actor=cast.sponsor, change_request=cr, comment="After go-live."
    )
    assert (deferred.status, deferred.decided_by) == ("deferred", cast.sponsor)


def test_without_a_sponsor_the_big_requests_wait_with_the_reason(cast):
    program = program_services.program_update(
        actor=cast.pm, program=cast.program, expected_version=cast.program.version, sponsor=None
    )
    cr = in_status(cast, "assessed", cost_impact=Decimal("90000"))
    cr.program = program
    before = state(cr)
    with pytest.raises(PermissionDenied) as refused:
        services.change_request_approve(actor=cast.pm, change_request=cr)
    assert str(refused.value) == (
        "CR-1 needs the sponsor's decision (its cost impact of 90,000.00 EUR is beyond the "
        "50,000.00 EUR threshold), but ERP has no sponsor; the program manager names one in "
        "the program settings."
    )
    assert state(cr) == before


def test_nobody_decides_on_their_own_request_unless_the_policy_allows_it(cast):
    cr = make_cr(cast.program, cast.pm, status="assessed", actor_for=cast)
    before = state(cr)
    for step in ("approve", "reject", "defer"):
        with pytest.raises(PermissionDenied) as refused:
            services.TRANSITION_SERVICES[step](actor=cast.pm, change_request=cr, comment="Mine.")
        assert str(refused.value) == (
            "You raised CR-1, so someone else must decide on it: the change control policy of "
            "ERP does not allow deciding on your own requests."
        )
    assert state(cr) == before
    # another manager (or the sponsor) decides
    assert services.change_request_approve(actor=cast.pm2, change_request=cr).status == "approved"

    other = make_cr(cast.program, cast.pm, status="assessed", actor_for=cast)
    policy = change_policy_get(program=cast.program)
    services.change_policy_update(
        actor=cast.pm, program=cast.program, expected_version=policy.version,
        allow_self_approval=True,
    )  # fmt: skip
    assert services.change_request_approve(actor=cast.pm, change_request=other).status == "approved"


def test_a_changed_policy_applies_to_requests_waiting_for_a_decision(cast):
    cr = in_status(cast, "assessed", cost_impact=Decimal("40000"))
    policy = change_policy_get(program=cast.program)
    services.change_policy_update(
        actor=cast.pm, program=cast.program, expected_version=policy.version,
        sponsor_cost_threshold=Decimal("30000"),
    )  # fmt: skip
    with pytest.raises(PermissionDenied, match="needs the sponsor's decision"):
        services.change_request_approve(actor=cast.pm, change_request=cr)


def test_pending_lists_what_waits_for_each_approver(cast):
    small = in_status(cast, "assessed", cost_impact=Decimal("1000"))
    big = in_status(cast, "assessed", cost_impact=Decimal("90000"))
    own = make_cr(cast.program, cast.pm, status="assessed", actor_for=cast)
    in_status(cast, "submitted", cost_impact=Decimal("90000"))

    def pending(user, role):
        return list(change_request_pending_for(program=cast.program, user=user, role=role))

    assert pending(cast.sponsor, "executive") == [big]
    assert pending(cast.pm, "manager") == [small]
    assert pending(cast.pm2, "manager") == [small, own]
    assert pending(cast.executive, "executive") == []


# --- comments and content --------------------------------------------------------------------


@pytest.mark.parametrize("step", ["reject", "defer"])
def test_reject_and_defer_need_the_reason(cast, step):
    cr = in_status(cast, "assessed")
    before = state(cr)
    with pytest.raises(ValidationError) as error:
        services.TRANSITION_SERVICES[step](actor=cast.pm, change_request=cr, comment="   ")
    past = {"reject": "rejected", "defer": "deferred"}[step]
    assert error.value.message_dict == {
        "comment": [f"Say why CR-1 is {past}: the requester and the record need the reason."]
    }
    assert state(cr) == before


def test_closing_a_deferred_request_needs_the_reason_but_an_implemented_one_does_not(cast):
    deferred = in_status(cast, "deferred")
    before = state(deferred)
    with pytest.raises(ValidationError, match="Say why CR-1 is closed"):
        services.change_request_close(actor=cast.pm, change_request=deferred)
    assert state(deferred) == before

    implemented = in_status(cast, "implemented")
    assert services.change_request_close(actor=cast.pm, change_request=implemented).status == (
        "closed"
    )


def test_submit_needs_a_description_and_a_reason(cast):
    cr = make_cr(cast.program, cast.contributor, description="", reason="")
    before = state(cr)
    with pytest.raises(ValidationError) as error:
        services.change_request_submit(actor=cast.contributor, change_request=cr)
    assert error.value.messages == [
        "CR-1 needs a description and a reason before it can be submitted."
    ]
    assert state(cr) == before


def test_assess_needs_the_schedule_and_cost_impact_and_records_them(cast):
    cr = in_status(cast, "submitted", schedule_impact_days=None, cost_impact=None)
    before = state(cr)
    with pytest.raises(ValidationError) as error:
        services.change_request_assess(actor=cast.coordinator, change_request=cr)
    assert error.value.message_dict == {
        "schedule_impact_days": ["Give the schedule impact in working days (0 for none)."],
        "cost_impact": ["Give the cost impact in EUR (0 for none)."],
    }
    assert state(cr) == before

    item = ItemFactory(program=cast.program, name="EWM build")
    cr = services.change_request_assess(
        actor=cast.coordinator,
        change_request=cr,
        comment="Northwind re-estimated.",
        schedule_impact_days=0,
        cost_impact=Decimal("0"),
        scope_impact="One more warehouse.",
        affected_items=[item],
    )
    assert (cr.status, cr.schedule_impact_days, cr.cost_impact, cr.scope_impact) == (
        "assessed", 0, Decimal("0.00"), "One more warehouse.",
    )  # fmt: skip
    assert list(cr.affected_items.values_list("key", flat=True)) == [item.key]
    changes = entries(cr)[-1].changes
    assert changes["status"] == ["submitted", "assessed"]
    assert changes["affected_items"] == [[], [item.key]]
    assert changes["comment"] == [None, "Northwind re-estimated."]


def test_a_stale_version_refuses_a_step(cast):
    cr = in_status(cast, "assessed")
    before = state(cr)
    with pytest.raises(StaleVersionError):
        services.change_request_approve(
            actor=cast.pm, change_request=cr, expected_version=cr.version - 1
        )
    assert state(cr) == before


def test_a_deferred_request_can_be_resubmitted_and_decided_again(cast):
    cr = in_status(cast, "deferred")
    assert cr.decided_by == cast.pm

    cr = services.change_request_submit(actor=cast.contributor, change_request=cr, comment="Now.")
    assert (cr.status, cr.decided_by, cr.decided_at) == ("submitted", None, None)
    cr = services.change_request_assess(actor=cast.coordinator, change_request=cr)
    cr = services.change_request_approve(actor=cast.pm, change_request=cr)

    assert cr.status == "approved"
    assert list(
        ChangeRequestTransition.objects.filter(change_request=cr)
        .order_by("id")
        .values_list("to_status", flat=True)
    ) == ["draft", "submitted", "assessed", "deferred", "submitted", "assessed", "approved"]


# --- the decision, the outcome and the e-mails --------------------------------------------------


@pytest.mark.parametrize(("step", "verb"), [("approve", "Approved"), ("reject", "Rejected")])
def test_a_decision_is_recorded_and_linked_both_ways(cast, step, verb):
    item = ItemFactory(program=cast.program, name="EWM build")
    cr = in_status(cast, "assessed", affected_items=[item])

    cr = services.TRANSITION_SERVICES[step](
        actor=cast.pm, change_request=cr, comment="Worth it." if step == "approve" else "No."
    )

    decision = cr.decision
    assert decision.key == "DEC-1"
    assert decision.title == f"{verb} CR-1: Add the Brno warehouse to EWM"
    assert decision.status == "decided"
    assert decision.decided_by == cast.pm
    assert decision.rationale == ("Worth it." if step == "approve" else "No.")
    assert decision.context == "The plant consolidates two sites next spring."
    assert decision.forum == "Change control (program manager)"
    accepted = "accepted" if step == "approve" else "declined"
    assert decision.statement == (
        f"{verb} change request CR-1 (scope change). Impact {accepted}: schedule +3 working "
        "days, cost +12,000.00 EUR."
    )
    linked = set(DecisionLink.objects.filter(decision=decision).values_list("object_id", flat=True))
    assert linked == {cr.pk, item.pk}
    assert list(decision.change_requests.all()) == [cr]
    assert entries(cr)[-1].changes["decision"] == [None, {"id": decision.pk, "repr": str(decision)}]


def test_a_deferral_records_no_decision(cast):
    cr = in_status(cast, "deferred")
    assert (cr.decision, Decision.objects.count()) == (None, 0)


def test_assessing_e_mails_each_approver_once(cast):
    cr = in_status(cast, "submitted")
    cr = services.change_request_assess(
        actor=cast.coordinator, change_request=cr, schedule_impact_days=2,
        cost_impact=Decimal("100"), comment="Small one.",
    )  # fmt: skip
    record = ChangeRequestTransition.objects.filter(change_request=cr).last()

    emails = list(OutboundEmail.objects.order_by("idempotency_key"))
    assert sorted((e.to[0], e.idempotency_key) for e in emails) == sorted(
        (user.email, f"governance:cr-assessed:{record.pk}:{user.pk}")
        for user in (cast.pm, cast.pm2)
    )
    assert emails[0].subject == "[ERP] CR-1 needs your decision: Add the Brno warehouse to EWM"
    body = emails[0].body_text
    assert "Marcus Lee has assessed CR-1" in body
    assert "Small one." in body
    assert "http://127.0.0.1:8000/programs/ERP/governance/changes/CR-1/" in body
    # a retried notification (same transition) sends nothing new
    services._notify_approvers(
        actor=cast.coordinator, change_request=cr,
        policy=change_policy_get(program=cast.program), record=record,
    )  # fmt: skip
    assert OutboundEmail.objects.count() == 2


def test_a_big_request_e_mails_the_sponsor_only_and_never_the_requester(cast):
    cr = make_cr(cast.program, cast.pm, status="submitted", actor_for=cast)
    services.change_request_assess(
        actor=cast.coordinator, change_request=cr, schedule_impact_days=20,
        cost_impact=Decimal("0"),
    )  # fmt: skip
    assert [e.to for e in OutboundEmail.objects.all()] == [[cast.sponsor.email]]

    small = make_cr(cast.program, cast.pm, status="submitted", actor_for=cast)
    OutboundEmail.objects.all().delete()
    services.change_request_assess(
        actor=cast.coordinator, change_request=small, schedule_impact_days=1,
        cost_impact=Decimal("1"),
    )  # fmt: skip
    assert [e.to for e in OutboundEmail.objects.all()] == [[cast.pm2.email]]


@pytest.mark.parametrize("step", ["approve", "reject", "defer"])
def test_the_requester_is_told_of_the_decision_once(cast, step):
    cr = in_status(cast, "assessed")
    OutboundEmail.objects.all().delete()

    cr = services.TRANSITION_SERVICES[step](actor=cast.pm, change_request=cr, comment="Noted.")

    record = ChangeRequestTransition.objects.filter(change_request=cr).last()
    [email] = OutboundEmail.objects.all()
    outcome = {"approve": "approved", "reject": "rejected", "defer": "deferred"}[step]
    assert email.to == [cast.contributor.email]
    assert email.idempotency_key == f"governance:cr-decided:{record.pk}"
    assert email.subject == f"[ERP] CR-1 was {outcome}: Add the Brno warehouse to EWM"
    assert f"was {outcome} by Priya Raman" in email.body_text
    assert "Noted." in email.body_text
    services._notify_requester(actor=cast.pm, change_request=cr, record=record)
    assert OutboundEmail.objects.count() == 1


def test_implement_links_an_existing_or_a_new_baseline_and_the_budget_change(cast):
    ItemFactory(program=cast.program, name="Build")
    existing = schedule_services.baseline_create(actor=cast.pm, program=cast.program, name="B1")
    first = in_status(cast, "approved")
    first = services.change_request_implement(
        actor=cast.coordinator, change_request=first, baseline=existing, budget_reference="CO-4"
    )
    assert (first.baseline, first.budget_reference) == (existing, "CO-4")

    second = in_status(cast, "approved")
    with pytest.raises(PermissionDenied, match=r"^Only the program manager saves baselines\.$"):
        services.change_request_implement(
            actor=cast.coordinator, change_request=second, new_baseline_name="After CR-2"
        )
    assert Baseline.objects.count() == 1
    second = services.change_request_implement(
        actor=cast.pm, change_request=second, new_baseline_name="After CR-2"
    )
    created = Baseline.objects.get(name="After CR-2")
    assert second.baseline == created
    assert (created.is_current, created.note) == (
        True,
        "Saved for CR-2 Add the Brno warehouse to EWM.",
    )

    third = in_status(cast, "approved")
    with pytest.raises(ValidationError, match="not both"):
        services.change_request_implement(
            actor=cast.pm, change_request=third, baseline=existing, new_baseline_name="X"
        )


def test_the_outcome_is_recorded_or_cleared_after_approval_only(cast):
    ItemFactory(program=cast.program, name="Build")
    baseline = schedule_services.baseline_create(actor=cast.pm, program=cast.program, name="B1")
    cr = in_status(cast, "implemented")
    cr = services.change_request_record_outcome(
        actor=cast.coordinator, change_request=cr, expected_version=cr.version,
        baseline=baseline, budget_reference="CO-9",
    )  # fmt: skip
    assert (cr.baseline, cr.budget_reference) == (baseline, "CO-9")
    assert entries(cr)[-1].changes == {
        "baseline": [None, {"id": baseline.pk, "repr": "B1"}],
        "budget_reference": ["", "CO-9"],
    }
    cr = services.change_request_record_outcome(
        actor=cast.pm, change_request=cr, expected_version=cr.version, baseline=None
    )
    assert (cr.baseline, cr.budget_reference) == (None, "CO-9")

    draft = in_status(cast, "draft")
    with pytest.raises(TransitionRefused, match="only an approved request has an outcome"):
        services.change_request_record_outcome(
            actor=cast.pm, change_request=draft, expected_version=None, budget_reference="X"
        )
    with pytest.raises(PermissionDenied):
        services.change_request_record_outcome(
            actor=cast.contributor, change_request=cr, expected_version=None, budget_reference="X"
        )


def test_deleting_a_linked_baseline_unlinks_the_request_with_an_audit_entry(cast):
    ItemFactory(program=cast.program, name="Build")
    baseline = schedule_services.baseline_create(actor=cast.pm, program=cast.program, name="B1")
    cr = in_status(cast, "approved")
    cr = services.change_request_implement(actor=cast.pm, change_request=cr, baseline=baseline)

    schedule_services.baseline_delete(actor=cast.pm, baseline=baseline, expected_version=None)

    cr.refresh_from_db()
    assert (cr.baseline, cr.status) == (None, "implemented")
    last = entries(cr)[-1]
    assert (last.actor_name, last.changes) == (
        "system", {"baseline": [{"id": baseline.pk, "repr": "B1"}, None]},
    )  # fmt: skip


# --- the policy ----------------------------------------------------------------------------------


def test_the_policy_has_defaults_until_the_manager_changes_it(cast):
    policy = change_policy_get(program=cast.program)
    assert policy.pk is None
    assert (policy.sponsor_cost_threshold, policy.sponsor_schedule_threshold_days) == (
        Decimal("50000.00"), 10,
    )  # fmt: skip

    saved = services.change_policy_update(
        actor=cast.pm, program=cast.program, expected_version=1,
        sponsor_cost_threshold=Decimal("75000"), sponsor_schedule_threshold_days=15,
    )  # fmt: skip

    assert (saved.sponsor_cost_threshold, saved.sponsor_schedule_threshold_days, saved.version) == (
        Decimal("75000"), 15, 2,
    )  # fmt: skip
    assert [e.action for e in entries(saved)] == ["create", "update"]
    assert entries(saved)[-1].changes == {
        "sponsor_cost_threshold": ["50000.00", "75000"],
        "sponsor_schedule_threshold_days": [10, 15],
    }


@pytest.mark.parametrize("person", ["pm2", "coordinator", "sponsor", "viewer"])
def test_only_a_program_manager_changes_the_policy(cast, person):
    if person == "pm2":
        saved = services.change_policy_update(
            actor=cast.pm2, program=cast.program, expected_version=1, allow_self_approval=True
        )
        assert saved.allow_self_approval is True
        return
    with pytest.raises(PermissionDenied):
        services.change_policy_update(
            actor=getattr(cast, person), program=cast.program, expected_version=1,
            allow_self_approval=True,
        )  # fmt: skip
    assert change_policy_get(program=cast.program).pk is None


def test_the_policy_refuses_a_stale_version_and_bad_values(cast):
    services.change_policy_update(
        actor=cast.pm, program=cast.program, expected_version=1, allow_self_approval=True
    )
    with pytest.raises(StaleVersionError):
        services.change_policy_update(
            actor=cast.pm, program=cast.program, expected_version=1, allow_self_approval=False
        )
    with pytest.raises(ValidationError) as error:
        services.change_policy_update(
            actor=cast.pm, program=cast.program, expected_version=2,
            sponsor_cost_threshold=Decimal("-1"),
        )  # fmt: skip
    assert list(error.value.message_dict) == ["sponsor_cost_threshold"]
    assert change_policy_get(program=cast.program).allow_self_approval is True
