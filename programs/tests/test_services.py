"""Program, workstream and membership services: every rule, and every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
import re
import threading
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import resolve
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from core.models import AuditEntry, KeySequence, OutboundEmail, User
from core.permissions import Role
from core.tasks import outbound_email_send_task
from core.tests.factories import UserFactory
from core.versioning import StaleVersionError
from programs import services
from programs.models import Program, ProgramMembership, Workstream
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member

pytestmark = pytest.mark.django_db

CODE_RULE = "Use 2 to 12 capital letters or digits, starting with a letter (e.g. ERP or CRM2)."
START = dt.date(2026, 1, 5)
END = dt.date(2026, 12, 31)


def db_state() -> dict[str, list[dict]]:
    """Every row a program service can touch, to prove that a refused call changed nothing."""
    models = (Program, Workstream, ProgramMembership, User, AuditEntry, OutboundEmail, KeySequence)
    return {m.__name__: list(m._default_manager.order_by("pk").values()) for m in models}


def entries_for(instance) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(instance)
    return list(
        AuditEntry.objects.filter(content_type=ct, object_id=str(instance.pk)).order_by("id")
    )


@pytest.fixture
def creator():
    return UserFactory(full_name="Ada Lovelace", can_create_programs=True)


def create(actor, **overrides):
    fields = {
        "code": "CRM",
        "name": "CRM rollout",
        "start_date": START,
        "end_date": END,
        "currency": "GBP",
        "time_zone": "Europe/London",
    }
    fields.update(overrides)
    return services.program_create(actor=actor, **fields)


# --- program_create -------------------------------------------------------------------------


def test_program_create_saves_fields_and_makes_the_creator_manager(creator):
    program = create(creator, description="Replace the CRM", status="proposed")

    program.refresh_from_db()
    assert (program.code, program.name, program.description) == (
        "CRM",
        "CRM rollout",
        "Replace the CRM",
    )
    assert (program.start_date, program.end_date) == (START, END)
    assert (program.currency, program.time_zone, program.status) == (
        "GBP",
        "Europe/London",
        "proposed",
    )
    assert program.sponsor is None
    assert program.version == 1
    assert list(program.memberships.values_list("user", "role")) == [(creator.pk, Role.MANAGER)]


def test_program_create_audits_program_and_membership(creator):
    program = create(creator)

    membership = program.memberships.get()
    [program_entry] = entries_for(program)
    [membership_entry] = entries_for(membership)
    assert program_entry.action == "create"
    assert program_entry.actor == creator
    assert program_entry.actor_name == "Ada Lovelace"
    assert program_entry.program_id == program.pk
    assert program_entry.object_version == 1
    assert program_entry.changes == {
        "code": [None, "CRM"],
        "name": [None, "CRM rollout"],
        "start_date": [None, "2026-01-05"],
        "end_date": [None, "2026-12-31"],
        "currency": [None, "GBP"],
        "time_zone": [None, "Europe/London"],
        "status": [None, "active"],
    }
    assert membership_entry.program_id == program.pk
    assert membership_entry.changes == {
        "program": [None, {"id": program.pk, "repr": "CRM · CRM rollout"}],
        "user": [None, {"id": creator.pk, "repr": "Ada Lovelace"}],
        "role": [None, "manager"],
    }


def test_program_create_with_sponsor_makes_the_sponsor_an_executive_member(creator):
    sponsor = UserFactory(full_name="Grace Hopper")

    program = create(creator, sponsor=sponsor)

    assert program.sponsor == sponsor
    roles = set(program.memberships.values_list("user", "role"))
    assert roles == {(creator.pk, Role.MANAGER), (sponsor.pk, Role.EXECUTIVE)}
    assert AuditEntry.objects.filter(program_id=program.pk).count() == 3


def test_program_create_with_creator_as_sponsor_makes_one_membership(creator):
    program = create(creator, sponsor=creator)

    assert list(program.memberships.values_list("user", "role")) == [(creator.pk, Role.MANAGER)]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"start_date": dt.date(2026, 3, 1), "end_date": dt.date(2026, 2, 28)},
            {"end_date": ["The end date must be on or after the start date."]},
        ),
        ({"currency": "XXX"}, {"currency": ["Value 'XXX' is not a valid choice."]}),
        (
            {"time_zone": "Mars/Olympus"},
            {"time_zone": ["Value 'Mars/Olympus' is not a valid choice."]},
        ),
        (
            {"code": "crm"},
            {"code": [CODE_RULE]},
        ),
        ({"name": ""}, {"name": ["This field cannot be blank."]}),
    ],
    ids=["end-before-start", "unknown-currency", "bad-time-zone", "bad-code", "blank-name"],
)
def test_program_create_invalid_input_is_refused_and_changes_nothing(creator, overrides, errors):
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        create(creator, **overrides)

    assert exc_info.value.message_dict == errors
    assert db_state() == before


def test_program_create_end_on_start_day_is_accepted(creator):
    program = create(creator, start_date=START, end_date=START)

    assert (program.start_date, program.end_date) == (START, START)


def test_program_create_duplicate_code_is_refused(creator):
    create(creator)
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        create(creator, name="Another CRM")

    assert exc_info.value.message_dict == {"code": ["Program with this Code already exists."]}
    assert db_state() == before


def test_program_create_refuses_fields_that_are_not_editable(creator):
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        create(creator, version=7)

    assert exc_info.value.messages == ["These fields cannot be changed here: version"]
    assert db_state() == before


# --- program_update -------------------------------------------------------------------------


def test_program_update_saves_bumps_version_and_audits(program, manager):
    updated = services.program_update(
        actor=manager, program=program, expected_version=1, name="ERP wave 2", currency="USD"
    )

    program.refresh_from_db()
    assert (program.name, program.currency, program.version) == ("ERP wave 2", "USD", 2)
    assert updated.version == 2
    entry = entries_for(program)[-1]
    assert entry.action == "update"
    assert entry.actor == manager
    assert entry.object_version == 2
    assert entry.changes == {"currency": ["EUR", "USD"], "name": ["ERP migration", "ERP wave 2"]}


def test_program_update_without_a_change_keeps_version_and_writes_no_audit(program, manager):
    before = db_state()

    result = services.program_update(
        actor=manager, program=program, expected_version=1, name="ERP migration", currency="EUR"
    )

    assert result.version == 1
    assert db_state() == before


def test_program_update_on_stale_version_is_refused(program, manager):
    services.program_update(actor=manager, program=program, expected_version=1, name="Renamed")
    before = db_state()

    with pytest.raises(StaleVersionError) as exc_info:
        services.program_update(actor=manager, program=program, expected_version=1, name="Mine")

    assert exc_info.value.expected_version == 1
    assert exc_info.value.current.version == 2
    assert exc_info.value.changed_fields == {"name": ["ERP migration", "Renamed"]}
    assert db_state() == before


def test_program_update_without_expected_version_skips_the_check(program, manager):
    services.program_update(actor=manager, program=program, expected_version=1, name="Renamed")

    result = services.program_update(
        actor=manager, program=program, expected_version=None, name="Again"
    )

    assert (result.name, result.version) == ("Again", 3)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"end_date": dt.date(2025, 1, 1)},
            {"end_date": ["The end date must be on or after the start date."]},
        ),
        ({"currency": "ABC"}, {"currency": ["Value 'ABC' is not a valid choice."]}),
        (
            {"time_zone": "Nowhere/City"},
            {"time_zone": ["Value 'Nowhere/City' is not a valid choice."]},
        ),
    ],
    ids=["end-before-start", "unknown-currency", "bad-time-zone"],
)
def test_program_update_invalid_input_is_refused(program, manager, changes, errors):
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.program_update(actor=manager, program=program, expected_version=1, **changes)

    assert exc_info.value.message_dict == errors
    assert db_state() == before


def test_program_update_sponsor_must_be_a_member(program, manager):
    outsider = UserFactory(full_name="Olive Outsider")
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.program_update(
            actor=manager, program=program, expected_version=1, sponsor=outsider
        )

    assert exc_info.value.message_dict == {"sponsor": ["Olive Outsider is not a member of ERP."]}
    assert db_state() == before


def test_program_update_sponsor_who_is_a_member_is_saved(program, manager):
    executive = member(program, Role.EXECUTIVE, full_name="Eve Exec").user

    services.program_update(actor=manager, program=program, expected_version=1, sponsor=executive)

    program.refresh_from_db()
    assert program.sponsor == executive
    assert entries_for(program)[-1].changes == {
        "sponsor": [None, {"id": executive.pk, "repr": "Eve Exec"}]
    }


def test_program_update_code_cannot_be_changed(program, manager):
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.program_update(actor=manager, program=program, expected_version=1, code="NEW")

    assert exc_info.value.messages == ["These fields cannot be changed here: code"]
    assert db_state() == before


# --- workstream_create ----------------------------------------------------------------------


def test_workstream_create_allocates_sequential_keys_and_audits(program, manager):
    first = services.workstream_create(actor=manager, program=program, name="Finance")
    second = services.workstream_create(
        actor=manager, program=program, name="Supply chain", lead=manager, status="on_hold"
    )

    assert (first.key, second.key) == ("WS-1", "WS-2")
    assert (second.lead, second.status, second.version) == (manager, "on_hold", 1)
    [entry] = entries_for(second)
    assert entry.action == "create"
    assert entry.actor == manager
    assert entry.program_id == program.pk
    assert entry.object_repr == "WS-2 Supply chain"
    assert entry.changes == {
        "program": [None, {"id": program.pk, "repr": "ERP · ERP migration"}],
        "key": [None, "WS-2"],
        "name": [None, "Supply chain"],
        "lead": [None, {"id": manager.pk, "repr": str(manager)}],
        "status": [None, "on_hold"],
    }


def test_workstream_create_keys_count_per_program(program, manager):
    other = ProgramFactory(code="CRM")

    keys = [
        services.workstream_create(actor=None, program=program, name="A").key,
        services.workstream_create(actor=None, program=other, name="A").key,
        services.workstream_create(actor=None, program=program, name="B").key,
    ]

    assert keys == ["WS-1", "WS-1", "WS-2"]


def test_workstream_create_lead_who_is_not_a_member_is_refused(program, manager):
    outsider = UserFactory(full_name="Olive Outsider")
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.workstream_create(actor=manager, program=program, name="Finance", lead=outsider)

    assert exc_info.value.message_dict == {"lead": ["Olive Outsider is not a member of ERP."]}
    assert db_state() == before


def test_workstream_create_duplicate_name_is_refused_without_using_a_key(program, manager):
    services.workstream_create(actor=manager, program=program, name="Finance")
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.workstream_create(actor=manager, program=program, name="Finance")

    assert exc_info.value.message_dict == {
        "__all__": ["This program already has a workstream with that name."]
    }
    assert db_state() == before
    assert services.workstream_create(actor=manager, program=program, name="HR").key == "WS-2"


def test_workstream_create_same_name_in_another_program_is_accepted(program, manager):
    services.workstream_create(actor=manager, program=program, name="Finance")
    other = ProgramFactory(code="CRM")

    assert services.workstream_create(actor=None, program=other, name="Finance").key == "WS-1"


def test_workstream_create_refuses_the_key_as_input(program, manager):
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.workstream_create(actor=manager, program=program, name="Finance", key="WS-99")

    assert exc_info.value.messages == ["These fields cannot be changed here: key"]
    assert db_state() == before


# --- workstream_update ----------------------------------------------------------------------


def test_workstream_update_saves_bumps_version_and_audits(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance", actor=manager)
    lead = member(program, Role.CONTRIBUTOR, full_name="Lee Lead").user

    updated = services.workstream_update(
        actor=manager, workstream=ws, expected_version=1, name="Finance & controlling", lead=lead
    )

    ws.refresh_from_db()
    assert (ws.name, ws.lead, ws.version, updated.version) == ("Finance & controlling", lead, 2, 2)
    entry = entries_for(ws)[-1]
    assert (entry.action, entry.actor, entry.object_version) == ("update", manager, 2)
    assert entry.changes == {
        "lead": [None, {"id": lead.pk, "repr": "Lee Lead"}],
        "name": ["Finance", "Finance & controlling"],
    }


def test_workstream_update_without_a_change_keeps_version(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")
    before = db_state()

    result = services.workstream_update(
        actor=manager, workstream=ws, expected_version=1, name="Finance", status="active"
    )

    assert result.version == 1
    assert db_state() == before


def test_workstream_update_each_change_bumps_version_once(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")

    ws = services.workstream_update(actor=manager, workstream=ws, expected_version=1, name="F2")
    ws = services.workstream_update(
        actor=manager, workstream=ws, expected_version=2, status="closed"
    )

    assert ws.version == 3
    assert [e.object_version for e in entries_for(ws)] == [1, 2, 3]


def test_workstream_update_on_stale_version_is_refused(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")
    services.workstream_update(actor=manager, workstream=ws, expected_version=1, name="Money")
    before = db_state()

    with pytest.raises(StaleVersionError) as exc_info:
        services.workstream_update(actor=manager, workstream=ws, expected_version=1, name="Mine")

    assert exc_info.value.changed_fields == {"name": ["Finance", "Money"]}
    assert exc_info.value.changed_by == [str(manager)]
    assert db_state() == before


def test_workstream_update_lead_who_is_not_a_member_is_refused(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")
    outsider = UserFactory(full_name="Olive Outsider")
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.workstream_update(actor=manager, workstream=ws, expected_version=1, lead=outsider)

    assert exc_info.value.message_dict == {"lead": ["Olive Outsider is not a member of ERP."]}
    assert db_state() == before


def test_workstream_update_to_a_duplicate_name_is_refused(program, manager):
    WorkstreamFactory(program=program, name="Finance")
    ws = WorkstreamFactory(program=program, name="HR")
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.workstream_update(actor=manager, workstream=ws, expected_version=1, name="Finance")

    assert exc_info.value.message_dict == {
        "__all__": ["This program already has a workstream with that name."]
    }
    assert db_state() == before


def test_workstream_update_refuses_program_and_key(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.workstream_update(
            actor=manager, workstream=ws, expected_version=1, key="X-1", program=ProgramFactory()
        )

    assert exc_info.value.messages == ["These fields cannot be changed here: key, program"]
    # ProgramFactory made rows of its own; the workstream and its trail are untouched.
    ws.refresh_from_db()
    assert (ws.key, ws.program_id, ws.version) == ("WS-1", program.pk, 1)
    assert len(entries_for(ws)) == 1
    assert before["Workstream"] == db_state()["Workstream"]


# --- workstream_delete ----------------------------------------------------------------------


def test_workstream_delete_removes_and_audits(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance", description="")
    pk = ws.pk

    services.workstream_delete(actor=manager, workstream=ws, expected_version=1)

    assert not Workstream.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(action="delete", object_id=str(pk))
    assert (entry.actor, entry.program_id, entry.object_version) == (manager, program.pk, 1)
    assert entry.object_repr == "WS-1 Finance"
    assert entry.changes == {
        "program": [{"id": program.pk, "repr": "ERP · ERP migration"}, None],
        "key": ["WS-1", None],
        "name": ["Finance", None],
        "status": ["active", None],
    }


def test_workstream_delete_on_stale_version_is_refused(program, manager):
    ws = WorkstreamFactory(program=program, name="Finance")
    services.workstream_update(actor=manager, workstream=ws, expected_version=1, name="Money")
    before = db_state()

    with pytest.raises(StaleVersionError):
        services.workstream_delete(actor=manager, workstream=ws, expected_version=1)

    assert db_state() == before


# --- membership_add -------------------------------------------------------------------------


def test_membership_add_existing_user_sends_no_invitation(
    program, manager, django_capture_on_commit_callbacks
):
    user = UserFactory(email="sam@example.com", full_name="Sam Smith")

    with django_capture_on_commit_callbacks() as callbacks:
        membership = services.membership_add(
            actor=manager, program=program, email="Sam@Example.COM", role=Role.FINANCE
        )

    assert (membership.user, membership.role, membership.version) == (user, Role.FINANCE, 1)
    [entry] = entries_for(membership)
    assert (entry.action, entry.actor, entry.program_id) == ("create", manager, program.pk)
    assert OutboundEmail.objects.count() == 0
    assert callbacks == []


def test_membership_add_new_user_creates_account_and_queues_invitation(
    program, manager, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(outbound_email_send_task, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks() as callbacks:
        membership = services.membership_add(
            actor=manager,
            program=program,
            email="New.Person@Example.com",
            role=Role.VIEWER,
            full_name="  Nia New  ",
        )

    user = membership.user
    assert (user.email, user.full_name, user.has_usable_password()) == (
        "new.person@example.com",
        "Nia New",
        False,
    )
    assert membership.role == Role.VIEWER
    [email] = OutboundEmail.objects.all()
    assert email.to == ["new.person@example.com"]
    assert email.subject == f"{manager} invited you to ERP migration"
    assert email.idempotency_key == f"invite:{program.pk}:{user.pk}"
    assert email.status == "pending"
    # The body carries a working set-password link for exactly this user.
    links = re.findall(re.escape(settings.SITE_URL) + r"(/\S+/)", email.body_text)
    assert len(links) == 1
    match = resolve(urlsplit(links[0]).path)
    assert match.url_name == "password_reset_confirm"
    assert force_str(urlsafe_base64_decode(match.kwargs["uidb64"])) == str(user.pk)
    assert default_token_generator.check_token(user, match.kwargs["token"]) is True
    # The user creation is in the trail too (outside any program).
    [user_entry] = entries_for(user)
    assert (user_entry.action, user_entry.program_id) == ("create", None)
    assert "password" not in user_entry.changes
    # The send is handed to a worker only after commit, and exactly once.
    assert len(callbacks) == 1
    assert queued == []
    callbacks[0]()
    assert queued == [(str(email.pk),)]


def test_membership_add_new_user_without_name_is_refused(program, manager):
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.membership_add(
            actor=manager, program=program, email="x@example.com", role=Role.VIEWER, full_name=" "
        )

    assert exc_info.value.message_dict == {
        "full_name": ["Give the full name of a person new to the site."]
    }
    assert db_state() == before


def test_membership_add_existing_member_is_refused(program, manager):
    existing = member(program, Role.VIEWER, full_name="Vic Viewer").user
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.membership_add(
            actor=manager, program=program, email=existing.email, role=Role.MANAGER
        )

    assert exc_info.value.message_dict == {"email": ["Vic Viewer is already a member of ERP."]}
    assert db_state() == before


def test_membership_add_unknown_role_is_refused(program, manager):
    user = UserFactory()
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.membership_add(actor=manager, program=program, email=user.email, role="owner")

    assert exc_info.value.message_dict == {"role": ["Value 'owner' is not a valid choice."]}
    assert db_state() == before


# --- membership_change_role -----------------------------------------------------------------


def test_membership_change_role_saves_and_audits(program, manager):
    membership = member(program, Role.VIEWER)

    result = services.membership_change_role(
        actor=manager, membership=membership, role=Role.COORDINATOR, expected_version=1
    )

    membership.refresh_from_db()
    assert (membership.role, membership.version, result.version) == (Role.COORDINATOR, 2, 2)
    assert entries_for(membership)[-1].changes == {"role": ["viewer", "coordinator"]}


def test_membership_change_role_to_the_same_role_changes_nothing(program, manager):
    membership = member(program, Role.VIEWER)
    before = db_state()

    result = services.membership_change_role(
        actor=manager, membership=membership, role=Role.VIEWER, expected_version=1
    )

    assert result.version == 1
    assert db_state() == before


def test_membership_change_role_cannot_demote_the_last_manager(program, manager):
    membership = program.memberships.get(user=manager)
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.membership_change_role(
            actor=manager, membership=membership, role=Role.VIEWER, expected_version=1
        )

    assert exc_info.value.message_dict == {
        "role": ["A program needs at least one program manager; appoint another one first."]
    }
    assert db_state() == before


def test_membership_change_role_can_demote_a_manager_when_another_remains(program, manager):
    second = member(program, Role.MANAGER)
    first = program.memberships.get(user=manager)

    services.membership_change_role(
        actor=second.user, membership=first, role=Role.VIEWER, expected_version=1
    )

    assert set(program.memberships.values_list("user", "role")) == {
        (manager.pk, Role.VIEWER),
        (second.user_id, Role.MANAGER),
    }


def test_membership_change_role_on_stale_version_is_refused(program, manager):
    membership = member(program, Role.VIEWER)
    services.membership_change_role(
        actor=manager, membership=membership, role=Role.FINANCE, expected_version=1
    )
    before = db_state()

    with pytest.raises(StaleVersionError):
        services.membership_change_role(
            actor=manager, membership=membership, role=Role.EXECUTIVE, expected_version=1
        )

    assert db_state() == before


def test_membership_change_role_unknown_role_is_refused(program, manager):
    membership = member(program, Role.VIEWER)
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.membership_change_role(
            actor=manager, membership=membership, role="owner", expected_version=1
        )

    assert exc_info.value.message_dict == {"role": ["Value 'owner' is not a valid choice."]}
    assert db_state() == before


# --- membership_remove ----------------------------------------------------------------------


def test_membership_remove_deletes_and_audits(program, manager):
    membership = member(program, Role.VIEWER)
    pk = membership.pk

    services.membership_remove(actor=manager, membership=membership)

    assert not ProgramMembership.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(action="delete", object_id=str(pk))
    assert (entry.actor, entry.program_id) == (manager, program.pk)
    assert entry.changes["role"] == ["viewer", None]


def test_membership_remove_cannot_remove_the_last_manager(program, manager):
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.membership_remove(actor=manager, membership=program.memberships.get(user=manager))

    assert exc_info.value.message_dict == {
        "role": ["A program needs at least one program manager; appoint another one first."]
    }
    assert db_state() == before


def test_membership_remove_a_manager_when_another_remains(program, manager):
    second = member(program, Role.MANAGER)

    services.membership_remove(actor=second.user, membership=program.memberships.get(user=manager))

    assert list(program.memberships.values_list("user", "role")) == [(second.user_id, Role.MANAGER)]


def test_membership_remove_of_a_workstream_lead_is_refused(program, manager):
    lead = member(program, Role.CONTRIBUTOR, full_name="Lee Lead")
    WorkstreamFactory(program=program, lead=lead.user)
    before = db_state()

    with pytest.raises(ValidationError) as exc_info:
        services.membership_remove(actor=manager, membership=lead)

    assert exc_info.value.message_dict == {
        "role": ["Lee Lead leads a workstream; choose another lead before removing them."]
    }
    assert db_state() == before


def test_membership_remove_of_a_lead_in_another_program_is_accepted(program, manager):
    person = member(program, Role.CONTRIBUTOR)
    other = ProgramFactory(code="CRM")
    services.membership_add(
        actor=None, program=other, email=person.user.email, role=Role.CONTRIBUTOR
    )
    WorkstreamFactory(program=other, lead=person.user)

    services.membership_remove(actor=manager, membership=person)

    assert not program.memberships.filter(user=person.user).exists()


def test_membership_remove_on_stale_version_is_refused(program, manager):
    membership = member(program, Role.VIEWER)
    services.membership_change_role(
        actor=manager, membership=membership, role=Role.FINANCE, expected_version=1
    )
    before = db_state()

    with pytest.raises(StaleVersionError):
        services.membership_remove(actor=manager, membership=membership, expected_version=1)

    assert db_state() == before


# --- two managers acting on each other at the same moment -----------------------------------


def _race(first, second) -> list[str]:
    """Run both callables at once, each in its own transaction and connection."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(work):
        try:
            barrier.wait(timeout=10)
            work()
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        except Exception as exc:  # a deadlock or any other database error is the failure here
            outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(outcomes)


LAST_MANAGER = "A program needs at least one program manager; appoint another one first."


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation", ["demote", "remove"])
def test_two_managers_acting_on_each_other_at_once_keep_one_manager(operation):
    for round_ in range(8):  # the race is timing-dependent: give it several chances to show
        program = ProgramFactory(code=f"R{round_}X")
        a = program.memberships.get(role=Role.MANAGER)
        b = member(program, Role.MANAGER)

        def act(target, actor):
            if operation == "demote":
                return lambda: services.membership_change_role(
                    actor=actor, membership=target, role=Role.VIEWER, expected_version=1
                )
            return lambda: services.membership_remove(actor=actor, membership=target)

        outcomes = _race(act(a, b.user), act(b, a.user))

        assert outcomes == [LAST_MANAGER, "ok"], f"round {round_}"
        assert program.memberships.filter(role=Role.MANAGER).count() == 1
