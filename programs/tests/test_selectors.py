"""Program selectors: scoping by membership, annotations, 404s for objects of other programs."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from core.models import AuditEntry
from core.permissions import Role
from core.tests.factories import UserFactory
from programs import selectors, services
from programs.models import Program, ProgramMembership, Workstream
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member

pytestmark = pytest.mark.django_db


# --- program_list_for_user ------------------------------------------------------------------


def test_program_list_for_user_returns_only_the_users_programs_with_role_and_counts():
    person = UserFactory()
    alpha = ProgramFactory(code="ALPHA", name="Alpha")
    beta = ProgramFactory(code="BETA", name="Beta")
    ProgramFactory(code="GAMMA", name="Gamma")  # not a member: never listed
    services.membership_add(actor=None, program=alpha, email=person.email, role=Role.VIEWER)
    services.membership_add(actor=None, program=beta, email=person.email, role=Role.FINANCE)
    member(beta, Role.CONTRIBUTOR)
    member(beta, Role.VIEWER)
    WorkstreamFactory(program=beta)
    WorkstreamFactory(program=beta)
    WorkstreamFactory(program=alpha)

    rows = [
        (p.code, p.my_role, p.member_count, p.workstream_count)
        for p in selectors.program_list_for_user(user=person)
    ]

    # alpha: its manager and person; beta: manager, person and two more.
    assert rows == [("ALPHA", "viewer", 2, 1), ("BETA", "finance", 4, 2)]


def test_program_list_for_user_without_memberships_is_empty():
    ProgramFactory()

    assert list(selectors.program_list_for_user(user=UserFactory())) == []


def test_program_list_for_user_orders_by_name():
    person = UserFactory(can_create_programs=True)
    for code, name in [("ZED", "Zulu"), ("ALP", "Alpha"), ("MID", "Mike")]:
        ProgramFactory(code=code, name=name, manager=person)

    codes = [p.code for p in selectors.program_list_for_user(user=person)]

    assert codes == ["ALP", "MID", "ZED"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [("erp", ["ERP"]), ("MIGRATION", ["ERP"]), ("crm", ["CRM"]), ("o", ["CRM", "ERP"]), ("x", [])],
)
def test_program_list_for_user_search_matches_code_or_name(search, expected):
    person = UserFactory(can_create_programs=True)
    ProgramFactory(code="ERP", name="ERP migration", manager=person)
    ProgramFactory(code="CRM", name="Customer portal", manager=person)

    codes = sorted(p.code for p in selectors.program_list_for_user(user=person, search=search))

    assert codes == expected


def test_program_list_for_user_filters_by_status():
    person = UserFactory(can_create_programs=True)
    ProgramFactory(code="ERP", manager=person, status="active")
    ProgramFactory(code="CRM", manager=person, status="closed")

    codes = [p.code for p in selectors.program_list_for_user(user=person, status="closed")]

    assert codes == ["CRM"]


def test_program_list_for_user_search_does_not_reach_other_programs():
    person = UserFactory(can_create_programs=True)
    ProgramFactory(code="ERP", manager=person)
    ProgramFactory(code="ERP2")

    codes = [p.code for p in selectors.program_list_for_user(user=person, search="ERP")]

    assert codes == ["ERP"]


# --- workstreams ----------------------------------------------------------------------------


def test_workstream_list_returns_only_this_programs_workstreams(program):
    mine = [WorkstreamFactory(program=program, name=n) for n in ("B", "A")]
    WorkstreamFactory(program=ProgramFactory(code="CRM"), name="C")

    assert list(selectors.workstream_list(program=program)) == [mine[1], mine[0]]


def test_workstream_get_finds_by_key(program):
    ws = WorkstreamFactory(program=program)

    assert selectors.workstream_get(program=program, key="WS-1") == ws


def test_workstream_get_of_another_program_is_404(program):
    WorkstreamFactory(program=ProgramFactory(code="CRM"))

    with pytest.raises(Http404):
        selectors.workstream_get(program=program, key="WS-1")


# --- members --------------------------------------------------------------------------------


def test_membership_list_returns_only_this_programs_memberships(program, manager):
    viewer = member(program, Role.VIEWER)
    member(ProgramFactory(code="CRM"), Role.VIEWER)

    pks = {m.pk for m in selectors.membership_list(program=program)}

    assert pks == {program.memberships.get(user=manager).pk, viewer.pk}


def test_membership_get_finds_by_pk(program):
    viewer = member(program, Role.VIEWER)

    assert selectors.membership_get(program=program, pk=viewer.pk) == viewer


@pytest.mark.parametrize("pk", ["other-program", "not-a-number", "missing"])
def test_membership_get_outside_the_program_is_404(program, pk):
    other = member(ProgramFactory(code="CRM"), Role.VIEWER)
    value = {"other-program": other.pk, "not-a-number": "abc", "missing": other.pk + 1000}[pk]

    with pytest.raises(Http404):
        selectors.membership_get(program=program, pk=value)


def test_member_users_are_active_members_by_name(program, manager):
    manager.full_name = "Mia Manager"
    manager.save(update_fields=["full_name"])
    zed = member(program, Role.VIEWER, full_name="Zed Zulu").user
    amy = member(program, Role.FINANCE, full_name="Amy Able").user
    member(program, Role.VIEWER, full_name="Ina Inactive", is_active=False)
    member(ProgramFactory(code="CRM"), Role.VIEWER, full_name="Otto Other")

    assert list(selectors.member_users(program=program)) == [amy, manager, zed]


def test_role_counts_counts_members_per_role(program):
    member(program, Role.VIEWER)
    member(program, Role.VIEWER)
    member(program, Role.VENDOR)
    member(ProgramFactory(code="CRM"), Role.FINANCE)

    assert selectors.role_counts(program=program) == {"manager": 1, "viewer": 2, "vendor": 1}


# --- activity -------------------------------------------------------------------------------


def test_activity_list_is_this_programs_trail_newest_first(program, manager):
    ws = WorkstreamFactory(program=program, actor=manager)
    services.workstream_update(actor=manager, workstream=ws, expected_version=1, name="Renamed")
    WorkstreamFactory(program=ProgramFactory(code="CRM"))

    entries = list(selectors.activity_list(program=program))

    assert {e.program_id for e in entries} == {program.pk}
    assert entries == list(
        AuditEntry.objects.filter(program_id=program.pk).order_by("-timestamp", "-id")
    )
    assert [(e.action, e.object_repr) for e in entries[:2]] == [
        ("update", "WS-1 Renamed"),
        ("create", f"WS-1 {ws.name}"),
    ]
    # program created, manager membership, workstream created and updated
    assert len(entries) == 4


def test_activity_object_types_lists_the_kinds_in_this_programs_trail(program):
    WorkstreamFactory(program=program)
    member(ProgramFactory(code="CRM"), Role.VIEWER)

    types = selectors.activity_object_types(program=program)

    assert types == [
        ContentType.objects.get_for_model(Program),
        ContentType.objects.get_for_model(ProgramMembership),
        ContentType.objects.get_for_model(Workstream),
    ]
    assert [t.name for t in types] == ["program", "program membership", "workstream"]
