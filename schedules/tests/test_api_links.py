"""The schedule API's links (dependencies): keys, loops, lags in working days, versions."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from core.models import AuditEntry
from core.tests.factories import UserFactory
from programs.tests.factories import ProgramFactory
from schedules.models import Dependency, Item
from schedules.tests.factories import ItemFactory, days, link
from schedules.tests.test_api import BASE, api_client, audit_count, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return api_client


@pytest.fixture
def outsider(db):
    return UserFactory()


D = dt.date


def links_url(pk: int | None = None) -> str:
    return f"{BASE}links/" + (f"{pk}/" if pk else "")


@pytest.fixture
def chain(program):
    """TSK-1 (2d) -> TSK-2 (3d) -> TSK-3 (1d), finish-to-start, no lags."""
    a = ItemFactory(program=program, name="Design", duration_minutes=days(2))
    b = ItemFactory(program=program, name="Build", duration_minutes=days(3))
    c = ItemFactory(program=program, name="Test", duration_minutes=days(1))
    return a, b, c, link(a, b), link(b, c)


def test_link_list_exact(api, program, manager, chain):
    _a, _b, _c, ab, bc = chain
    response = api(manager).get(links_url())
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": ab.pk,
                "predecessor": "TSK-1",
                "predecessor_name": "Design",
                "successor": "TSK-2",
                "successor_name": "Build",
                "type": "FS",
                "lag_days": 0.0,
                "lag_percent": None,
                "version": 1,
                "created_at": iso(ab.created_at),
                "updated_at": iso(ab.updated_at),
            },
            {
                "id": bc.pk,
                "predecessor": "TSK-2",
                "predecessor_name": "Build",
                "successor": "TSK-3",
                "successor_name": "Test",
                "type": "FS",
                "lag_days": 0.0,
                "lag_percent": None,
                "version": 1,
                "created_at": iso(bc.created_at),
                "updated_at": iso(bc.updated_at),
            },
        ],
    }


@pytest.mark.parametrize("n", [1, 3])
def test_link_list_query_count_is_constant(api, program, manager, n, django_assert_num_queries):
    items = [ItemFactory(program=program, duration_minutes=days(1)) for _ in range(n + 1)]
    for pred, succ in itertools.pairwise(items):
        link(pred, succ, "SS", 1)
    client = api(manager)
    with django_assert_num_queries(6):  # savepoint, token, access, count, page, release
        response = client.get(links_url())
    assert response.json()["count"] == n
    with django_assert_num_queries(7):  # ... plus the item the filter names
        response = client.get(links_url() + f"?item={items[1].key}")
    assert response.status_code == 200


def test_link_list_filters(api, program, manager, chain):
    _a, _b, _c, ab, bc = chain
    client = api(manager)

    def ids(query: str) -> list[int]:
        response = client.get(links_url() + query)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids("?item=TSK-2") == [ab.pk, bc.pk]
    assert ids("?item=tsk-1") == [ab.pk]
    assert ids("?predecessor=TSK-2") == [bc.pk]
    assert ids("?successor=TSK-2") == [ab.pk]
    assert ids("?type=ss") == []
    bad = client.get(links_url() + "?item=TSK-99&type=XX")
    assert bad.status_code == 400
    assert bad.json() == {
        "item": ["There is no item TSK-99 in ERP."],
        "type": ["'XX' is not one of FS, SS, FF, SF."],
    }


def test_link_create_schedules_the_successor(api, program, manager):
    a = ItemFactory(program=program, name="Design", duration_minutes=days(2))  # Mon 5 - Tue 6
    b = ItemFactory(program=program, name="Build", duration_minutes=days(3))
    before = audit_count()

    response = api(manager).post(
        links_url(), {"predecessor": "TSK-1", "successor": "tsk-2", "type": "FS", "lag_days": 2}
    )

    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    body = response.json()
    assert (body["predecessor"], body["successor"], body["type"], body["lag_days"]) == (
        "TSK-1", "TSK-2", "FS", 2.0,
    )  # fmt: skip
    b = Item.objects.get(pk=b.pk)
    assert (b.start, b.finish) == (D(2026, 1, 9), D(2026, 1, 13))  # Wed, Thu lag; Fri 9..Tue 13
    assert Dependency.objects.get().lag_minutes == days(2)
    assert audit_count() == before + 1
    assert a.pk


def test_link_create_with_a_lead_and_percent(api, program, manager):
    ItemFactory(program=program, duration_minutes=days(4))
    ItemFactory(program=program, duration_minutes=days(2))
    response = api(manager).post(
        links_url(), {"predecessor": "TSK-1", "successor": "TSK-2", "type": "SS", "lag_percent": 50}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["lag_percent"] == "50.00"
    assert Item.objects.get(key="TSK-2", program=program).start == D(2026, 1, 7)


def test_link_closing_a_loop_is_400_naming_the_loop(api, program, manager, chain):
    links = Dependency.objects.count()
    response = api(manager).post(links_url(), {"predecessor": "TSK-3", "successor": "TSK-1"})
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["These links would close a loop: TSK-1 → TSK-2 → TSK-3 → TSK-1."]
    }
    assert Dependency.objects.count() == links


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {},
            {"predecessor": ["This field is required."], "successor": ["This field is required."]},
        ),
        (
            {"predecessor": "TSK-1", "successor": "TSK-9"},
            {"successor": ["There is no item TSK-9 in ERP."]},
        ),
        (
            {"predecessor": "TSK-1", "successor": "TSK-1"},
            {"non_field_errors": ["An item cannot depend on itself."]},
        ),
        (
            {"predecessor": "TSK-1", "successor": "TSK-2"},
            {"non_field_errors": ["TSK-1 is already linked to TSK-2."]},
        ),
        (
            {"predecessor": "TSK-2", "successor": "TSK-1"},
            {
                "non_field_errors": [
                    "TSK-1 already depends the other way round on TSK-2: these links would "
                    "close a loop: TSK-2 → TSK-1 → TSK-2."
                ]
            },
        ),
        (
            {"predecessor": "TSK-1", "successor": "TSK-3", "type": "XY"},
            {"type": ['"XY" is not a valid choice.']},
        ),
        (
            {"predecessor": "TSK-1", "successor": "TSK-3", "lag_days": "soon"},
            {"lag_days": ["A valid number is required."]},
        ),
        (
            {"predecessor": "TSK-1", "successor": "TSK-3", "lag_days": 10**7},
            {"lag_days": ["Ensure this value is less than or equal to 5000."]},
        ),
        (
            {"predecessor": "TSK-1", "successor": "TSK-3", "lag_percent": "1e9"},
            {"lag_percent": ["Ensure that there are no more than 7 digits in total."]},
        ),
    ],
)
def test_link_create_bad_input_is_400_and_saves_nothing(api, program, manager, chain, data, errors):
    links, audits = Dependency.objects.count(), audit_count()
    response = api(manager).post(links_url(), data)
    assert response.status_code == 400, response.content
    assert response.json() == errors
    assert (Dependency.objects.count(), audit_count()) == (links, audits)


def test_link_between_a_summary_and_its_own_item_is_400(api, program, manager):
    phase = ItemFactory(program=program, name="Phase")
    ItemFactory(program=program, name="Inside", parent=phase)
    response = api(manager).post(links_url(), {"predecessor": "TSK-1", "successor": "TSK-2"})
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "TSK-1 and TSK-2 are in the same line of the outline: a summary cannot be linked "
            "to its own items."
        ]
    }


def test_link_to_another_programs_item_is_400(api, program, manager):
    ItemFactory(program=program)
    other = ProgramFactory(code="CRM")
    ItemFactory(program=other)
    ItemFactory(program=other)  # CRM's TSK-2 exists, ERP's does not
    response = api(manager).post(links_url(), {"predecessor": "TSK-1", "successor": "TSK-2"})
    assert response.status_code == 400
    assert response.json() == {"successor": ["There is no item TSK-2 in ERP."]}
    assert not Dependency.objects.exists()


@pytest.mark.parametrize("role", ["contributor", "viewer"])
def test_link_writes_need_change_right(api, program, users_by_role, chain, role):
    _a, _b, _c, ab, _bc = chain
    client = api(users_by_role[role])
    assert client.get(links_url(ab.pk)).status_code == 200
    assert (
        client.post(links_url(), {"predecessor": "TSK-1", "successor": "TSK-3"}).status_code == 403
    )
    assert client.patch(links_url(ab.pk), {"lag_days": 1}, HTTP_IF_MATCH='"1"').status_code == 403
    assert client.delete(links_url(ab.pk), HTTP_IF_MATCH='"1"').status_code == 403
    assert Dependency.objects.count() == 2
    assert Dependency.objects.get(pk=ab.pk).lag_minutes == 0


def test_link_not_a_member_or_other_program_is_404(api, program, manager, outsider, chain):
    _a, _b, _c, _ab, _bc = chain
    assert api(outsider).get(links_url()).status_code == 404
    other = ProgramFactory(code="CRM")
    x, y = ItemFactory(program=other), ItemFactory(program=other)
    foreign = link(x, y)
    client = api(manager)
    assert client.get(links_url(foreign.pk)).json() == {"detail": "No such link"}
    assert client.delete(links_url(foreign.pk), HTTP_IF_MATCH='"1"').status_code == 404
    assert Dependency.objects.filter(pk=foreign.pk).exists()


def test_link_patch_lag_and_type(api, program, manager, chain):
    _a, b, _c, ab, _bc = chain
    client = api(manager)

    response = client.patch(links_url(ab.pk), {"lag_days": -1, "type": "SS"}, HTTP_IF_MATCH='"1"')

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["type"], body["lag_days"], body["version"], body["predecessor"]) == (
        "SS", -1.0, 2, "TSK-1",
    )  # fmt: skip
    # a lead before the project start: Build starts with Design (SS - 1 day), i.e. on Fri 2
    assert Item.objects.get(pk=b.pk).start == D(2026, 1, 2)
    entry = AuditEntry.objects.filter(object_id=str(ab.pk), action="update").get()
    assert entry.changes == {"type": ["FS", "SS"], "lag_minutes": [0, -480]}


def test_link_patch_refusals(api, program, manager, chain):
    _a, _b, _c, ab, _bc = chain
    client = api(manager)
    assert client.patch(links_url(ab.pk), {"lag_days": 1}).status_code == 428
    moved = client.patch(links_url(ab.pk), {"successor": "TSK-3"}, HTTP_IF_MATCH='"1"')
    assert moved.status_code == 400
    assert moved.json() == {"successor": ["Delete the link and add a new one instead."]}
    assert client.patch(links_url(ab.pk), {"type": "ZZ"}, HTTP_IF_MATCH='"1"').status_code == 400
    client.patch(links_url(ab.pk), {"lag_days": 1}, HTTP_IF_MATCH='"1"')
    stale = client.patch(links_url(ab.pk), {"lag_days": 3}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["lag_days"] == 1.0
    assert stale.json()["changed_fields"] == {"lag_minutes": [0, 480]}
    assert client.put(links_url(ab.pk), {"lag_days": 3}, HTTP_IF_MATCH='"2"').status_code == 405
    assert Dependency.objects.get(pk=ab.pk).lag_minutes == 480


def test_link_delete_reschedules(api, program, manager, chain):
    _a, b, _c, ab, _bc = chain
    client = api(manager)
    assert client.delete(links_url(ab.pk)).status_code == 428
    assert client.delete(links_url(ab.pk), HTTP_IF_MATCH='"2"').status_code == 412
    response = client.delete(links_url(ab.pk), HTTP_IF_MATCH='"1"')
    assert response.status_code == 204
    assert not Dependency.objects.filter(pk=ab.pk).exists()
    assert Item.objects.get(pk=b.pk).start == D(2026, 1, 5)
    assert client.get(links_url(ab.pk)).status_code == 404
    assert client.get(links_url() + "abc/").status_code == 404
