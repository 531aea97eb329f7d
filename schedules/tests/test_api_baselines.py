"""The schedule API's baselines, comparison, slipped milestones and holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import AuditEntry
from core.tests.factories import UserFactory
from programs.tests.factories import ProgramFactory
from schedules import services
from schedules.models import Baseline, BaselineItem, Holiday, Item
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


def baselines_url(pk: int | None = None, suffix: str = "") -> str:
    return f"{BASE}baselines/" + (f"{pk}/" if pk else "") + suffix


def holidays_url(pk: int | None = None) -> str:
    return f"{BASE}holidays/" + (f"{pk}/" if pk else "")


def slip(item: Item, by_days: int, actor) -> None:
    item = Item.objects.get(pk=item.pk)
    services.item_update(
        actor=actor,
        item=item,
        expected_version=None,
        duration_minutes=item.duration_minutes + days(by_days),
    )


@pytest.fixture
def plan(program, manager):
    """Build (5d, Mon 5 - Fri 9) -> Go-live milestone (Fri 9)."""
    build = ItemFactory(program=program, name="Build", duration_minutes=days(5), cost="1000")
    gate = ItemFactory(program=program, name="Go-live", kind="milestone")
    link(build, gate)
    return build, gate


# --------------------------------------------------------------------------------------------
# Baselines


def test_baseline_create_and_list(api, program, manager, plan):
    before = audit_count()

    response = api(manager).post(baselines_url(), {"name": " Approved plan ", "note": "Board"})

    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    baseline = Baseline.objects.get(program=program)
    expected = {
        "id": baseline.pk,
        "name": "Approved plan",
        "number": 0,
        "is_current": True,
        "note": "Board",
        "item_count": 2,
        "created_by": {"id": manager.pk, "full_name": manager.full_name},
        "version": 1,
        "created_at": iso(baseline.created_at),
        "updated_at": iso(baseline.updated_at),
    }
    assert response.json() == expected
    assert audit_count() == before + 1
    listed = api(manager).get(baselines_url())
    assert listed.json() == {"count": 1, "next": None, "previous": None, "results": [expected]}


def test_baseline_create_not_current(api, program, manager, plan):
    first = services.baseline_create(actor=manager, program=program, name="B1")
    response = api(manager).post(baselines_url(), {"name": "Draft", "make_current": False})
    assert response.status_code == 201
    assert (response.json()["is_current"], response.json()["number"]) == (False, 1)
    assert Baseline.objects.get(is_current=True) == first


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": "   "}, {"name": ["This field may not be blank."]}),
        ({"name": "Taken"}, {"name": ["This program already has a baseline with that name."]}),
        ({"name": "X", "make_current": "perhaps"}, {"make_current": ["Must be a valid boolean."]}),
    ],
)
def test_baseline_create_bad_input_is_400(api, program, manager, plan, data, errors):
    services.baseline_create(actor=manager, program=program, name="Taken")
    response = api(manager).post(baselines_url(), data)
    assert response.status_code == 400
    assert response.json() == errors
    assert Baseline.objects.count() == 1


@pytest.mark.parametrize("role", ["coordinator", "contributor", "executive"])
def test_baseline_writes_need_the_baseline_right(api, program, users_by_role, plan, role):
    baseline = services.baseline_create(actor=users_by_role["manager"], program=program, name="B")
    client = api(users_by_role[role])
    assert client.get(baselines_url(baseline.pk)).status_code == 200
    assert client.post(baselines_url(), {"name": "Mine"}).status_code == 403
    assert (
        client.patch(baselines_url(baseline.pk), {"name": "N"}, HTTP_IF_MATCH='"1"').status_code
        == 403
    )
    assert client.delete(baselines_url(baseline.pk), HTTP_IF_MATCH='"1"').status_code == 403
    assert (
        client.post(baselines_url(baseline.pk, "current/"), HTTP_IF_MATCH='"1"').status_code == 403
    )
    assert list(Baseline.objects.values_list("name", flat=True)) == ["B"]


@pytest.mark.parametrize("n", [1, 3])
def test_baseline_list_query_count_is_constant(
    api, program, manager, plan, n, django_assert_num_queries
):
    for i in range(n):
        services.baseline_create(actor=manager, program=program, name=f"B{i}")
    client = api(manager)
    with django_assert_num_queries(6):  # savepoint, token, access, count, page, release
        response = client.get(baselines_url())
    assert [b["name"] for b in response.json()["results"]] == [f"B{i}" for i in reversed(range(n))]
    assert all(b["item_count"] == 2 for b in response.json()["results"])


def test_baseline_patch_and_delete(api, program, manager, plan):
    baseline = services.baseline_create(actor=manager, program=program, name="B")
    services.baseline_create(actor=manager, program=program, name="Other")
    client = api(manager)
    assert client.patch(baselines_url(baseline.pk), {"name": "New"}).status_code == 428
    clash = client.patch(baselines_url(baseline.pk), {"name": "Other"}, HTTP_IF_MATCH='"1"')
    assert clash.json() == {"name": ["This program already has a baseline with that name."]}
    current = client.patch(baselines_url(baseline.pk), {"make_current": True}, HTTP_IF_MATCH='"1"')
    assert current.json() == {"make_current": ["POST to the baseline's current/ address instead."]}

    renamed = client.patch(
        baselines_url(baseline.pk), {"name": "Re-plan", "note": "After CR-4"}, HTTP_IF_MATCH='"1"'
    )

    assert renamed.status_code == 200, renamed.json()
    assert renamed["ETag"] == '"2"'
    assert (renamed.json()["name"], renamed.json()["note"], renamed.json()["item_count"]) == (
        "Re-plan", "After CR-4", 2,
    )  # fmt: skip
    stale = client.delete(baselines_url(baseline.pk), HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["name"] == "Re-plan"
    assert client.delete(baselines_url(baseline.pk), HTTP_IF_MATCH='"2"').status_code == 204
    assert not Baseline.objects.filter(pk=baseline.pk).exists()
    assert not BaselineItem.objects.filter(baseline_id=baseline.pk).exists()


def test_baseline_set_current(api, program, manager, plan):
    first = services.baseline_create(actor=manager, program=program, name="First")
    second = services.baseline_create(actor=manager, program=program, name="Second")
    client = api(manager)
    assert client.post(baselines_url(first.pk, "current/")).status_code == 428

    response = client.post(baselines_url(first.pk, "current/"), HTTP_IF_MATCH='"1"')

    assert response.status_code == 200, response.json()
    assert (response.json()["is_current"], response.json()["version"]) == (True, 2)
    assert response["ETag"] == '"2"'
    assert Baseline.objects.get(is_current=True) == first
    assert Baseline.objects.get(pk=second.pk).version == 2  # lost the flag, audited
    assert client.post(baselines_url(first.pk, "current/"), HTTP_IF_MATCH='"1"').status_code == 412


def test_baseline_of_another_program_is_404(api, program, manager, outsider):
    other = ProgramFactory(code="CRM")
    ItemFactory(program=other)
    foreign = services.baseline_create(
        actor=other.memberships.get().user, program=other, name="CRM plan"
    )
    client = api(manager)
    assert client.get(baselines_url(foreign.pk)).json() == {"detail": "No such baseline"}
    assert client.get(baselines_url(foreign.pk, "comparison/")).status_code == 404
    assert (
        client.post(baselines_url(foreign.pk, "current/"), HTTP_IF_MATCH='"1"').status_code == 404
    )
    assert client.delete(baselines_url(foreign.pk), HTTP_IF_MATCH='"1"').status_code == 404
    assert api(outsider).get(baselines_url()).status_code == 404
    assert Baseline.objects.filter(pk=foreign.pk).exists()


# --------------------------------------------------------------------------------------------
# Comparison and slipped milestones


def test_baseline_comparison_rows(api, program, manager, plan):
    build, _gate = plan
    baseline = services.baseline_create(actor=manager, program=program, name="B")
    slip(build, 3, manager)
    added = ItemFactory(program=program, name="Extra", duration_minutes=days(1))

    response = api(manager).get(baselines_url(baseline.pk, "comparison/"))

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    assert body["results"][0] == {
        "key": "TSK-1",
        "name": "Build",
        "wbs": "1",
        "depth": 0,
        "kind": "task",
        "workstream": None,
        "baseline_start": "2026-01-05",
        "baseline_finish": "2026-01-09",
        "start": "2026-01-05",
        "finish": "2026-01-14",
        "start_variance_days": 0,
        "finish_variance_days": 3,
        "duration_variance_days": 3,
        "baseline_cost": "1000.00",
        "cost": "1000.00",
        "cost_variance": "0.00",
        "critical": True,
    }
    assert body["results"][1]["finish_variance_days"] == 3  # the milestone moved with it
    extra = body["results"][2]
    assert (extra["key"], extra["baseline_finish"], extra["finish_variance_days"]) == (
        added.key, None, None,
    )  # fmt: skip


def test_baseline_comparison_paging_and_full(api, program, manager, plan):
    for i in range(3):
        ItemFactory(program=program, name=f"More {i}")
    baseline = services.baseline_create(actor=manager, program=program, name="B")
    client = api(manager)
    page = client.get(baselines_url(baseline.pk, "comparison/") + "?page_size=2&page=3")
    assert page.status_code == 200
    assert [r["name"] for r in page.json()["results"]] == ["More 2"]
    assert page.json()["count"] == 5
    full = client.get(baselines_url(baseline.pk, "comparison/") + "?full=true&page_size=2")
    assert len(full.json()["results"]) == 5
    assert client.get(baselines_url(baseline.pk, "comparison/") + "?page=x").status_code == 404


@pytest.mark.parametrize("n", [1, 3])
def test_baseline_comparison_query_count_is_constant(
    api, program, manager, n, django_assert_num_queries
):
    previous = None
    for i in range(n):
        item = ItemFactory(program=program, name=f"T{i}", duration_minutes=days(2))
        if previous is not None:
            link(previous, item)
        previous = item
    baseline = services.baseline_create(actor=manager, program=program, name="B")
    client = api(manager)
    with django_assert_num_queries(9):
        # savepoint, token, access, baseline, schedule, holidays, items, baseline items, release
        response = client.get(baselines_url(baseline.pk, "comparison/"))
    assert response.json()["count"] == n


def test_slipped_milestones(api, program, manager, plan):
    build, gate = plan
    services.baseline_create(actor=manager, program=program, name="B")
    slip(build, 3, manager)
    services.item_update(
        actor=manager,
        item=Item.objects.get(pk=gate.pk),
        expected_version=None,
        remediation_plan="Add a second team",
    )
    client = api(manager)

    default = client.get(f"{BASE}slipped-milestones/")
    assert default.status_code == 200
    baseline_id = Baseline.objects.get().pk
    assert default.json() == {
        "baseline": baseline_id,
        "threshold_days": 5,
        "count": 0,
        "results": [],
    }

    response = client.get(f"{BASE}slipped-milestones/?threshold_days=2")

    assert response.json() == {
        "baseline": baseline_id,
        "threshold_days": 2,
        "count": 1,
        "results": [
            {
                "key": "TSK-2",
                "name": "Go-live",
                "workstream": None,
                "baseline_finish": "2026-01-09",
                "forecast_finish": "2026-01-14",
                "days_late": 3,
                "remediation_plan": "Add a second team",
                "version": Item.objects.get(pk=gate.pk).version,
            }
        ],
    }
    explicit = client.get(f"{BASE}slipped-milestones/?threshold_days=0&baseline={baseline_id}")
    assert explicit.json()["count"] == 1


def test_slipped_milestones_without_baseline_and_bad_input(api, program, manager, plan):
    client = api(manager)
    assert client.get(f"{BASE}slipped-milestones/").json() == {
        "baseline": None,
        "threshold_days": 5,
        "count": 0,
        "results": [],
    }
    bad = client.get(f"{BASE}slipped-milestones/?threshold_days=soon")
    assert bad.status_code == 400
    assert bad.json() == {"threshold_days": ["A valid integer is required."]}
    negative = client.get(f"{BASE}slipped-milestones/?threshold_days=-1")
    assert negative.json() == {
        "threshold_days": ["Ensure this value is greater than or equal to 0."]
    }
    assert client.get(f"{BASE}slipped-milestones/?baseline=999999").status_code == 404
    assert client.get(f"{BASE}slipped-milestones/?baseline=abc").status_code == 404


@pytest.mark.parametrize(("role", "status"), [("viewer", 200), ("vendor", 403)])
def test_slipped_milestones_by_role(api, users_by_role, role, status):
    assert api(users_by_role[role]).get(f"{BASE}slipped-milestones/").status_code == status


# --------------------------------------------------------------------------------------------
# Holidays


def test_holiday_create_reschedules(api, program, manager, plan):
    build, _gate = plan
    before = audit_count()

    response = api(manager).post(holidays_url(), {"name": "Offsite", "start": "2026-01-07"})

    assert response.status_code == 201, response.json()
    holiday = Holiday.objects.get()
    assert response.json() == {
        "id": holiday.pk,
        "name": "Offsite",
        "start": "2026-01-07",
        "finish": "2026-01-07",
        "uid": "",
        "version": 1,
        "created_at": iso(holiday.created_at),
        "updated_at": iso(holiday.updated_at),
    }
    assert Item.objects.get(pk=build.pk).finish == D(2026, 1, 12)  # one day later
    assert audit_count() == before + 1


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": "X"}, {"start": ["This field is required."]}),
        (
            {"name": "X", "start": "2026-01-09", "finish": "2026-01-08"},
            {"finish": ["A holiday cannot end before it starts."]},
        ),
        (
            {"name": "X", "start": "31/12/2026"},
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ({"name": "", "start": "2026-01-09"}, {"name": ["This field may not be blank."]}),
    ],
)
def test_holiday_create_bad_input_is_400(api, program, manager, data, errors):
    response = api(manager).post(holidays_url(), data)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Holiday.objects.exists()


def test_holiday_patch_delete_and_versions(api, program, manager, plan):
    build, _gate = plan
    holiday = services.holiday_create(
        actor=manager, program=program, name="Day", start=D(2026, 1, 7), finish=D(2026, 1, 7)
    )
    client = api(manager)
    assert client.patch(holidays_url(holiday.pk), {"name": "X"}).status_code == 428
    backwards = client.patch(
        holidays_url(holiday.pk), {"finish": "2026-01-06"}, HTTP_IF_MATCH='"1"'
    )
    assert backwards.json() == {"finish": ["A holiday cannot end before it starts."]}

    longer = client.patch(holidays_url(holiday.pk), {"finish": "2026-01-08"}, HTTP_IF_MATCH='"1"')

    assert longer.status_code == 200, longer.json()
    assert longer["ETag"] == '"2"'
    assert Item.objects.get(pk=build.pk).finish == D(2026, 1, 13)
    assert client.delete(holidays_url(holiday.pk), HTTP_IF_MATCH='"1"').status_code == 412
    assert client.delete(holidays_url(holiday.pk), HTTP_IF_MATCH='"2"').status_code == 204
    assert Item.objects.get(pk=build.pk).finish == D(2026, 1, 9)
    assert AuditEntry.objects.filter(action="delete", object_repr__startswith="Day").exists()


@pytest.mark.parametrize("n", [1, 3])
def test_holiday_list_query_count_is_constant(api, program, manager, n, django_assert_num_queries):
    for i in range(n):
        services.holiday_create(
            actor=manager,
            program=program,
            name=f"H{i}",
            start=D(2026, 2, 2 + i),
            finish=D(2026, 2, 2 + i),
        )
    client = api(manager)
    with django_assert_num_queries(6):  # savepoint, token, access, count, page, release
        response = client.get(holidays_url())
    assert [h["name"] for h in response.json()["results"]] == [f"H{i}" for i in range(n)]


@pytest.mark.parametrize("role", ["coordinator", "contributor"])
def test_holiday_writes_need_the_settings_right(api, program, users_by_role, role):
    holiday = services.holiday_create(
        actor=None, program=program, name="Day", start=D(2026, 1, 7), finish=D(2026, 1, 7)
    )
    client = api(users_by_role[role])
    assert client.get(holidays_url(holiday.pk)).status_code == 200
    assert client.post(holidays_url(), {"name": "X", "start": "2026-03-02"}).status_code == 403
    assert (
        client.patch(holidays_url(holiday.pk), {"name": "Y"}, HTTP_IF_MATCH='"1"').status_code
        == 403
    )
    assert client.delete(holidays_url(holiday.pk), HTTP_IF_MATCH='"1"').status_code == 403
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Day"]


def test_holiday_of_another_program_is_404(api, program, manager):
    other = ProgramFactory(code="CRM")
    foreign = services.holiday_create(
        actor=None, program=other, name="CRM day", start=D(2026, 1, 7), finish=D(2026, 1, 7)
    )
    client = api(manager)
    assert client.get(holidays_url(foreign.pk)).json() == {"detail": "No such holiday"}
    assert client.delete(holidays_url(foreign.pk), HTTP_IF_MATCH='"1"').status_code == 404
    assert Holiday.objects.filter(pk=foreign.pk).exists()
