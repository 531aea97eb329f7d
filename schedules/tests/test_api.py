"""The schedule API: settings, recompute and WBS items (scoping, roles, bad input, versions).

Links are in test_api_links.py; baselines, the comparison and holidays in test_api_baselines.py.
Dates: the program starts on Monday 2026-01-05 with a Monday-Friday calendar.
"""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import AuditEntry, User
from core.permissions import Role
from core.tests.factories import UserFactory
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member
from schedules import services
from schedules.models import Item
from schedules.tests.factories import ItemFactory, days, link

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programs/ERP/schedule/"
D = dt.date
OUTSIDE_CALENDAR = (
    "The plan cannot be scheduled: it would reach outside the working calendar (more than 12 "
    "years after or 3 years before the project start, or no working days left). Check long "
    "durations, lags, holidays and far-off dates."
)


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def api_client(user: User | None = None) -> APIClient:
    """An APIClient sending that user's token; anonymous without a user."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    return api_client


@pytest.fixture
def outsider(db):
    return UserFactory()


@pytest.fixture
def workstream(program, manager):
    return WorkstreamFactory(program=program, name="Data migration", lead=manager, actor=manager)


def audit_count() -> int:
    return AuditEntry.objects.count()


def item_url(key: str = "", suffix: str = "") -> str:
    return f"{BASE}items/" + (f"{key}/" if key else "") + suffix


def reload(item: Item) -> Item:
    return Item.objects.get(pk=item.pk)


# --------------------------------------------------------------------------------------------
# Settings and recompute


def test_schedule_get_exact_with_etag(api, program, manager):
    ItemFactory(program=program, duration_minutes=days(5))
    schedule = services.schedule_for(program)

    response = api(manager).get(BASE)

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json() == {
        "weekdays": [0, 1, 2, 3, 4],
        "project_start": None,
        "calendar_start": "2026-01-05",
        "status_date": None,
        "slip_threshold_days": 5,
        "project_finish": "2026-01-09",
        "computed_at": iso(schedule.computed_at),
        "version": 1,
        "updated_at": iso(schedule.updated_at),
    }


@pytest.mark.parametrize(
    ("role", "status"),
    [("viewer", 200), ("contributor", 200), ("executive", 200), ("vendor", 403)],
)
def test_schedule_get_by_role(api, users_by_role, role, status):
    assert api(users_by_role[role]).get(BASE).status_code == status


def test_schedule_not_a_member_or_anonymous(api, program, outsider):
    assert api(outsider).get(BASE).json() == {"detail": "No such program"}
    assert api(outsider).get(BASE).status_code == 404
    assert api(outsider).patch(BASE, {"weekdays": [0]}, HTTP_IF_MATCH='"1"').status_code == 404
    assert api().get(BASE).status_code == 401


def test_schedule_patch_weekdays_reschedules(api, program, manager):
    task = ItemFactory(program=program, duration_minutes=days(5))
    before = audit_count()

    response = api(manager).patch(
        BASE, {"weekdays": [3, 0, 1, 2, 3], "status_date": "2026-01-05"}, HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["weekdays"], body["status_date"], body["version"]) == (
        [0, 1, 2, 3], "2026-01-05", 2,
    )  # fmt: skip
    # unstarted work runs after the status date: Tue 6, Wed 7, Thu 8, Mon 12, Tue 13
    assert body["project_finish"] == "2026-01-13"
    assert reload(task).finish == D(2026, 1, 13)
    assert audit_count() == before + 1


def test_schedule_patch_needs_settings_right_and_version(api, program, users_by_role):
    coordinator, manager = users_by_role["coordinator"], users_by_role["manager"]
    refused = api(coordinator).patch(BASE, {"slip_threshold_days": 2}, HTTP_IF_MATCH='"1"')
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role (Coordinator) in ERP does not allow this."}
    blind = api(manager).patch(BASE, {"slip_threshold_days": 2})
    assert blind.status_code == 428
    assert services.schedule_for(program).slip_threshold_days == 5


def test_schedule_patch_stale_is_412_with_current(api, program, manager):
    services.schedule_update(
        actor=manager, program=program, expected_version=None, slip_threshold_days=3
    )
    response = api(manager).patch(BASE, {"slip_threshold_days": 9}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    body = response.json()
    assert body["current"]["slip_threshold_days"] == 3
    assert body["changed_fields"] == {"slip_threshold_days": [5, 3]}
    assert services.schedule_for(program).slip_threshold_days == 3


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"weekdays": []}, {"weekdays": ["This list may not be empty."]}),
        ({"weekdays": [7]}, {"weekdays": {"0": ["Ensure this value is less than or equal to 6."]}}),
        ({"weekdays": "mon"}, {"weekdays": ['Expected a list of items but got type "str".']}),
        (
            {"status_date": "yesterday"},
            {
                "status_date": [
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
                ]
            },
        ),
        (
            {"slip_threshold_days": -1},
            {"slip_threshold_days": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"slip_threshold_days": "many"},
            {"slip_threshold_days": ["A valid integer is required."]},
        ),
        (
            {},
            {
                "non_field_errors": [
                    "Send at least one of weekdays, project_start, status_date, "
                    "slip_threshold_days."
                ]
            },
        ),
    ],
)
def test_schedule_patch_bad_input_is_400_and_changes_nothing(api, program, manager, data, errors):
    services.schedule_for(program)
    response = api(manager).patch(BASE, data, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert response.json() == errors
    schedule = services.schedule_for(program)
    assert (schedule.version, schedule.weekdays) == (1, [0, 1, 2, 3, 4])


@pytest.mark.parametrize("field", ["project_start", "status_date"])
def test_schedule_patch_date_the_calendar_cannot_hold_is_400(api, program, manager, field):
    ItemFactory(program=program, constraint="snet", constraint_date=D(2026, 3, 2))
    response = api(manager).patch(BASE, {field: "1990-01-01"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400, response.content
    assert response.json() == {field: [OUTSIDE_CALENDAR]}
    assert services.schedule_for(program).version == 1


def test_item_running_past_the_calendar_is_400_not_500(api, program, manager):
    response = api(manager).post(item_url(), {"name": "Forever", "duration_days": 4999})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [OUTSIDE_CALENDAR]}
    assert not Item.objects.filter(program=program).exists()


def test_recompute(api, program, users_by_role):
    ItemFactory(program=program, duration_minutes=days(2))
    response = api(users_by_role["coordinator"]).post(f"{BASE}recompute/")
    assert response.status_code == 200
    assert response.json() == {"items": 1, "changed": 0, "project_finish": "2026-01-06"}
    assert api(users_by_role["viewer"]).post(f"{BASE}recompute/").status_code == 403
    assert api(users_by_role["coordinator"]).get(f"{BASE}recompute/").status_code == 405


# --------------------------------------------------------------------------------------------
# Items: reading


def test_item_list_exact(api, program, manager, workstream):
    task = ItemFactory(
        program=program,
        name="Load customers",
        duration_minutes=days(3),
        workstream=workstream,
        owner=manager,
        cost="1200.50",
    )

    response = api(manager).get(item_url())

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "key": "TSK-1",
                "wbs": "1",
                "depth": 0,
                "parent": None,
                "kind": "task",
                "name": "Load customers",
                "workstream": {"id": workstream.pk, "key": "WS-1", "name": "Data migration"},
                "owner": {"id": manager.pk, "full_name": manager.full_name},
                "description": "",
                "duration_days": 3.0,
                "manual": False,
                "manual_start": None,
                "manual_finish": None,
                "start": "2026-01-05",
                "finish": "2026-01-07",
                "percent_complete": 0,
                "actual_start": None,
                "actual_finish": None,
                "status": "not_started",
                "constraint": "asap",
                "constraint_date": None,
                "deadline": None,
                "cost": "1200.50",
                "acceptance_criteria": "",
                "accepted_by": None,
                "accepted_at": None,
                "acceptance_evidence": "",
                "remediation_plan": "",
                "early_start": "2026-01-05",
                "early_finish": "2026-01-07",
                "late_start": "2026-01-05",
                "late_finish": "2026-01-07",
                "total_float_days": 0.0,
                "free_float_days": 0.0,
                "critical": True,
                "version": 1,
                "created_at": iso(task.created_at),
                "updated_at": iso(reload(task).updated_at),
            }
        ],
    }


def test_item_list_is_in_outline_order_and_detail_matches(api, program, manager):
    phase = ItemFactory(program=program, name="Phase")
    ItemFactory(program=program, name="Later")
    child = ItemFactory(program=program, name="Child", parent=phase)
    client = api(manager)

    rows = client.get(item_url()).json()["results"]

    assert [(r["wbs"], r["key"], r["kind"], r["parent"], r["duration_days"]) for r in rows] == [
        ("1", "TSK-1", "summary", None, None),  # a summary's span comes from its items
        ("1.1", "TSK-3", "task", "TSK-1", 5.0),
        ("2", "TSK-2", "task", None, 5.0),
    ]
    detail = client.get(item_url(child.key))
    assert detail.status_code == 200
    assert detail["ETag"] == '"1"'
    assert detail.json() == rows[1]
    assert client.get(item_url("tsk-3")).json()["key"] == "TSK-3"  # keys are case-insensitive


@pytest.mark.parametrize("n", [1, 3])
def test_item_list_query_count_is_constant(
    api, program, manager, n, workstream, django_assert_num_queries
):
    parent = ItemFactory(program=program, name="Phase", workstream=workstream, owner=manager)
    previous = parent
    for i in range(n):
        owner = member(program, Role.CONTRIBUTOR).user
        task = ItemFactory(program=program, name=f"T{i}", parent=parent, owner=owner)
        if previous is not parent:
            link(previous, task)
        previous = task
    client = api(manager)
    with django_assert_num_queries(6):  # savepoint, token, access, count, page, release
        response = client.get(item_url())
    assert response.json()["count"] == n + 1
    with django_assert_num_queries(7):  # ... plus the workstream choice the filter checks
        response = client.get(item_url() + f"?critical=true&workstream={workstream.pk}&q=phase")
    assert [r["name"] for r in response.json()["results"]] == ["Phase"]


def test_item_list_filters(api, program, manager, workstream):
    owner = member(program, Role.CONTRIBUTOR).user
    a = ItemFactory(program=program, name="Alpha", duration_minutes=days(10), owner=owner)
    b = ItemFactory(program=program, name="Beta", duration_minutes=days(2), workstream=workstream)
    ItemFactory(program=program, name="Gate", kind="milestone")
    link(b, a, "SS")
    services.item_update(actor=manager, item=b, expected_version=None, status="on_hold")
    client = api(manager)

    def names(query: str) -> list[str]:
        response = client.get(item_url() + query)
        assert response.status_code == 200, response.json()
        return [r["name"] for r in response.json()["results"]]

    assert names("?critical=true") == ["Alpha", "Beta"]
    assert names("?critical=false") == ["Gate"]
    assert names(f"?owner={owner.pk}") == ["Alpha"]
    assert names(f"?workstream={workstream.pk}") == ["Beta"]
    assert names("?status=on_hold") == ["Beta"]
    assert names("?kind=milestone") == ["Gate"]
    assert names("?q=tsk-1") == ["Alpha"]
    assert names("?page_size=2&page=2") == ["Gate"]


@pytest.mark.parametrize(
    ("query", "status", "body"),
    [
        (
            "?status=bogus",
            400,
            {"status": ["Select a valid choice. bogus is not one of the available choices."]},
        ),
        (
            "?owner=abc",
            400,
            {"owner": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
        ("?page=9", 404, {"detail": "Invalid page."}),
    ],
)
def test_item_list_bad_query_is_refused_cleanly(api, program, manager, query, status, body):
    ItemFactory(program=program)
    response = api(manager).get(item_url() + query)
    assert response.status_code == status
    assert response.json() == body


def test_item_list_owner_filter_offers_only_members(api, program, manager, outsider):
    assert api(manager).get(item_url() + f"?owner={outsider.pk}").status_code == 400


@pytest.mark.parametrize(("role", "status"), [("viewer", 200), ("finance", 200), ("vendor", 403)])
def test_item_list_by_role(api, users_by_role, role, status):
    assert api(users_by_role[role]).get(item_url()).status_code == status


def test_item_of_another_program_is_404(api, program, manager, outsider):
    other = ProgramFactory(code="CRM")
    foreign = ItemFactory(program=other, name="Secret")
    client = api(manager)
    assert client.get(item_url(foreign.key)).status_code == 404  # TSK-1 of CRM, not ERP's
    assert client.get(item_url("TSK-99")).json() == {"detail": "No such item"}
    assert api(outsider).get(item_url()).status_code == 404
    assert (
        client.patch(item_url(foreign.key), {"name": "Mine"}, HTTP_IF_MATCH='"1"').status_code
        == 404
    )
    assert reload(foreign).name == "Secret"


# --------------------------------------------------------------------------------------------
# Items: creating


def test_item_create_task_under_a_parent(api, program, manager, workstream):
    phase = ItemFactory(program=program, name="Phase")
    ItemFactory(program=program, name="First", parent=phase)
    owner = member(program, Role.CONTRIBUTOR, email="olga@example.com").user
    before = audit_count()

    response = api(manager).post(
        item_url(),
        {
            "name": "Cutover rehearsal",
            "parent": "tsk-1",
            "index": 0,
            "workstream_key": "WS-1",
            "owner_email": "OLGA@example.com",
            "duration_days": 2.5,
            "deadline": "2026-02-27",
            "cost": "900",
        },
    )

    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    body = response.json()
    assert (body["key"], body["wbs"], body["parent"], body["depth"]) == ("TSK-3", "1.1", "TSK-1", 1)
    assert body["owner"] == {"id": owner.pk, "full_name": owner.full_name}
    assert body["workstream"]["key"] == "WS-1"
    assert (body["duration_days"], body["deadline"], body["cost"]) == (2.5, "2026-02-27", "900.00")
    assert (body["start"], body["finish"]) == ("2026-01-05", "2026-01-07")
    item = Item.objects.get(program=program, key="TSK-3")
    assert (item.duration_minutes, item.owner, item.workstream) == (1200, owner, workstream)
    assert Item.objects.get(key="TSK-2", program=program).wbs == "1.2"
    assert audit_count() == before + 1


def test_item_create_with_start_and_finish(api, program, manager):
    response = api(manager).post(
        item_url(), {"name": "Fixed window", "start": "2026-01-12", "finish": "2026-01-16"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["start"], body["finish"], body["duration_days"]) == (
        "2026-01-12", "2026-01-16", 5.0,
    )  # fmt: skip
    assert (body["constraint"], body["constraint_date"]) == ("snet", "2026-01-12")


def test_item_create_milestone(api, program, manager):
    response = api(manager).post(
        item_url(), {"name": "Go-live", "kind": "milestone", "duration_days": 4}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["duration_days"]) == ("milestone", 0.0)
    assert body["start"] == body["finish"]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        (
            {"name": "X", "duration_days": -1},
            {"duration_days": ["Ensure this value is greater than or equal to 0."]},
        ),
        ({"name": "X", "duration_days": "two"}, {"duration_days": ["A valid number is required."]}),
        (
            {"name": "X", "duration_days": None},
            {"duration_days": ["Give a number of working days (0 for a milestone)."]},
        ),
        (
            {"name": "X", "duration_days": 10**9},
            {"duration_days": ["Ensure this value is less than or equal to 5000."]},
        ),
        ({"name": "X", "parent": "TSK-99"}, {"parent": ["There is no item TSK-99 in ERP."]}),
        (
            {"name": "X", "workstream_key": "WS-9"},
            {"workstream_key": ["There is no workstream WS-9 in ERP."]},
        ),
        (
            {"name": "X", "start": "2026-01-16", "finish": "2026-01-12"},
            {"finish": ["The finish cannot be before the start."]},
        ),
        (
            {"name": "X", "start": "2026-02-30"},
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            {"name": "X", "start": "2026-01-12", "finish": "2026-01-16", "duration_days": 3},
            {"duration_days": ["Give the start and the finish, or a duration: not both."]},
        ),
        (
            {"name": "X", "constraint": "mso"},
            {"constraint_date": ["This constraint needs a date."]},
        ),
        ({"name": "X", "kind": "epic"}, {"kind": ['"epic" is not a valid choice.']}),
        (
            {"name": "X", "percent_complete": 101},
            {"percent_complete": ["Ensure this value is less than or equal to 100."]},
        ),
        (
            {"name": "X", "actual_start": "2026-01-09", "actual_finish": "2026-01-05"},
            {"actual_finish": ["The actual finish cannot be before the actual start."]},
        ),
        (
            {"name": "X", "deadline": "2090-01-01"},
            {
                "deadline": [
                    "2090-01-01 is too far from the project start (2026-01-05) to schedule."
                ]
            },
        ),
        ({"name": "X", "owner_id": "me"}, {"owner_id": ["A valid integer is required."]}),
        (
            {"name": "X", "cost": "-5"},
            {"cost": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"name": "X", "owner_id": 1, "owner_email": "a@example.com"},
            {"owner_email": ["Give the owner by id or by e-mail, not both."]},
        ),
    ],
)
def test_item_create_bad_input_is_400_and_saves_nothing(api, program, manager, data, errors):
    count, audits = Item.objects.count(), audit_count()
    response = api(manager).post(item_url(), data)
    assert response.status_code == 400, response.content
    assert response.json() == errors
    assert (Item.objects.count(), audit_count()) == (count, audits)


def test_item_create_owner_and_parent_must_be_of_this_program(api, program, manager, outsider):
    other = ProgramFactory(code="CRM")
    foreign = ItemFactory(program=other, name="Foreign")  # TSK-1 of CRM
    client = api(manager)
    not_member = client.post(item_url(), {"name": "X", "owner_id": outsider.pk})
    assert not_member.status_code == 400
    assert not_member.json() == {"owner": [f"User {outsider.pk} is not a member of ERP."]}
    by_mail = client.post(item_url(), {"name": "X", "owner_email": outsider.email})
    assert by_mail.json() == {"owner": [f"{outsider.email} is not a member of ERP."]}
    cross = client.post(item_url(), {"name": "X", "parent": foreign.key})
    assert cross.json() == {"parent": ["There is no item TSK-1 in ERP."]}
    assert not Item.objects.filter(program=program).exists()


@pytest.mark.parametrize("role", ["contributor", "viewer", "executive"])
def test_item_create_needs_change_right(api, program, users_by_role, role):
    response = api(users_by_role[role]).post(item_url(), {"name": "Sneaky"})
    assert response.status_code == 403
    assert not Item.objects.filter(program=program).exists()


def test_item_create_by_coordinator(api, program, users_by_role):
    response = api(users_by_role["coordinator"]).post(item_url(), {"name": "Mine"})
    assert response.status_code == 201


# --------------------------------------------------------------------------------------------
# Items: changing


def test_item_patch_bumps_version_and_audits(api, program, manager):
    task = ItemFactory(program=program, name="Old", duration_minutes=days(3))

    response = api(manager).patch(
        item_url(task.key),
        {"name": "New", "duration_days": 4, "critical": False, "early_start": "2030-01-01"},
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["name"], body["duration_days"], body["finish"], body["version"]) == (
        "New", 4.0, "2026-01-08", 2,
    )  # fmt: skip
    assert (body["critical"], body["early_start"]) == (True, "2026-01-05")  # computed: read-only
    entry = AuditEntry.objects.filter(object_id=str(task.pk), action="update").get()
    assert entry.changes == {"name": ["Old", "New"], "duration_minutes": [1440, 1920]}


def test_item_gantt_drag_moves_and_resize_keeps_start(api, program, manager):
    task = ItemFactory(program=program, duration_minutes=days(5))  # Mon 5 .. Fri 9
    client = api(manager)

    moved = client.patch(
        item_url(task.key), {"start": "2026-01-12", "finish": "2026-01-16"}, HTTP_IF_MATCH='"1"'
    )
    assert moved.status_code == 200, moved.json()
    body = moved.json()
    assert (body["start"], body["finish"], body["duration_days"]) == (
        "2026-01-12", "2026-01-16", 5.0,
    )  # fmt: skip
    assert (body["constraint"], body["constraint_date"]) == ("snet", "2026-01-12")

    resized = client.patch(
        item_url(task.key), {"start": "2026-01-12", "finish": "2026-01-20"}, HTTP_IF_MATCH='"2"'
    )
    assert resized.status_code == 200, resized.json()
    body = resized.json()
    assert (body["start"], body["finish"], body["duration_days"], body["version"]) == (
        "2026-01-12", "2026-01-20", 7.0, 3,
    )  # fmt: skip
    assert body["constraint_date"] == "2026-01-12"

    from_the_left = client.patch(
        item_url(task.key), {"start": "2026-01-14", "finish": "2026-01-20"}, HTTP_IF_MATCH='"3"'
    )
    body = from_the_left.json()
    assert (body["start"], body["finish"], body["duration_days"], body["constraint_date"]) == (
        "2026-01-14", "2026-01-20", 5.0, "2026-01-14",
    )  # fmt: skip


def test_item_patch_unchanged_dates_do_not_pin_the_task(api, program, manager):
    a = ItemFactory(program=program, duration_minutes=days(2))
    b = ItemFactory(program=program, duration_minutes=days(3))
    link(a, b)
    client = api(manager)
    current = client.get(item_url(b.key)).json()

    response = client.patch(
        item_url(b.key),
        {"name": "Renamed", "start": current["start"], "finish": current["finish"]},
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200
    assert (response.json()["constraint"], response.json()["duration_days"]) == ("asap", 3.0)
    services.item_update(
        actor=manager, item=reload(a), expected_version=None, duration_minutes=days(4)
    )
    assert reload(b).start == D(2026, 1, 9)  # still follows its predecessor


def test_two_people_dragging_the_same_bar_second_gets_412(api, program, manager, users_by_role):
    task = ItemFactory(program=program, duration_minutes=days(5))
    first = api(manager).patch(
        item_url(task.key), {"start": "2026-01-12", "finish": "2026-01-16"}, HTTP_IF_MATCH='"1"'
    )
    assert first.status_code == 200
    audits = audit_count()

    second = api(users_by_role["coordinator"]).patch(
        item_url(task.key), {"start": "2026-01-19", "finish": "2026-01-23"}, HTTP_IF_MATCH='"1"'
    )

    assert second.status_code == 412
    assert second["ETag"] == '"2"'
    body = second.json()
    assert body["current"]["start"] == "2026-01-12"
    assert body["current"]["version"] == 2
    assert body["changed_fields"]["constraint"] == ["asap", "snet"]
    assert reload(task).start == D(2026, 1, 12)
    assert audit_count() == audits


def test_item_patch_without_version_is_428(api, program, manager):
    task = ItemFactory(program=program, name="Keep")
    response = api(manager).patch(item_url(task.key), {"name": "Blind"})
    assert response.status_code == 428
    assert (reload(task).name, reload(task).version) == ("Keep", 1)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"duration_days": -2},
            {"duration_days": ["Ensure this value is greater than or equal to 0."]},
        ),
        ({"finish": "2026-01-01"}, {"finish": ["The finish cannot be before the start."]}),
        (
            {"start": "2026-01-09", "finish": "2026-01-05"},
            {"finish": ["The finish cannot be before the start."]},
        ),
        (
            {"start": "someday"},
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ({"parent": "TSK-9"}, {"parent": ["To move an item, POST to its move/ address."]}),
        (
            {"owner": 3, "workstream": "WS-1"},
            {
                "owner": ["To set the owner, send owner_id (a member's user id) or owner_email."],
                "workstream": ["To set the workstream, send workstream_key (e.g. WS-2)."],
            },
        ),
        ({"kind": "summary"}, {"kind": ["An item becomes a summary when items go below it."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"percent_complete": "half"}, {"percent_complete": ["A valid integer is required."]}),
        (
            {"constraint": "mfo", "constraint_date": None},
            {"constraint_date": ["This constraint needs a date."]},
        ),
    ],
)
def test_item_patch_bad_input_is_400_and_changes_nothing(api, program, manager, data, errors):
    task = ItemFactory(program=program, name="Keep", duration_minutes=days(3))
    response = api(manager).patch(item_url(task.key), data, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400, response.content
    assert response.json() == errors
    task = reload(task)
    assert (task.name, task.version, task.duration_minutes) == ("Keep", 1, days(3))


def test_item_patch_summary_duration_is_400(api, program, manager):
    phase = ItemFactory(program=program, name="Phase")
    ItemFactory(program=program, parent=phase)
    response = api(manager).patch(
        item_url(phase.key), {"duration_days": 9}, HTTP_IF_MATCH=f'"{reload(phase).version}"'
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["A summary's duration and progress come from the items below it."]
    }


def test_item_put_of_what_was_read_changes_only_what_differs(api, program, manager, workstream):
    phase = ItemFactory(program=program, name="Phase")
    task = ItemFactory(program=program, name="Old", parent=phase, workstream=workstream)
    client = api(manager)
    body = client.get(item_url(task.key)).json()

    response = client.put(item_url(task.key), {**body, "name": "New"}, HTTP_IF_MATCH='"1"')

    assert response.status_code == 200, response.json()
    assert {k: v for k, v in response.json().items() if body[k] != v} == {
        "name": "New",
        "version": 2,
        "updated_at": response.json()["updated_at"],
    }
    entry = AuditEntry.objects.filter(object_id=str(task.pk), action="update").get()
    assert entry.changes == {"name": ["Old", "New"]}


def test_item_put_replaces_given_fields(api, program, manager):
    task = ItemFactory(program=program, name="Old")
    response = api(manager).put(
        item_url(task.key), {"name": "New", "description": "Why"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"]) == ("New", "Why")
    assert api(manager).put(item_url(task.key), {}, HTTP_IF_MATCH='"2"').json() == {
        "name": ["This field is required."]
    }


def test_contributor_may_report_progress_only(api, program, users_by_role):
    contributor = users_by_role["contributor"]
    task = ItemFactory(program=program, name="Build", duration_minutes=days(4))
    client = api(contributor)

    progress = client.patch(
        item_url(task.key),
        {"percent_complete": 50, "actual_start": "2026-01-05"},
        HTTP_IF_MATCH='"1"',
    )
    assert progress.status_code == 200, progress.json()
    assert (progress.json()["percent_complete"], progress.json()["status"]) == (50, "in_progress")

    refused = client.patch(
        item_url(task.key), {"percent_complete": 60, "name": "Mine"}, HTTP_IF_MATCH='"2"'
    )
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Your role (Contributor) may only report progress (percent_complete, "
        "actual_start, actual_finish, status); not change name."
    }
    task = reload(task)
    assert (task.name, task.percent_complete, task.version) == ("Build", 50, 2)
    assert client.delete(item_url(task.key), HTTP_IF_MATCH='"2"').status_code == 403


@pytest.mark.parametrize("role", ["viewer", "executive", "finance"])
def test_item_patch_by_read_only_roles_is_403(api, program, users_by_role, role):
    task = ItemFactory(program=program)
    response = api(users_by_role[role]).patch(
        item_url(task.key), {"percent_complete": 10}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403
    assert reload(task).percent_complete == 0


def test_item_delete_takes_the_items_below(api, program, manager):
    phase = ItemFactory(program=program, name="Phase")
    child = ItemFactory(program=program, parent=phase)
    other = ItemFactory(program=program)
    link(child, other)
    client = api(manager)
    version = reload(phase).version
    assert client.delete(item_url(phase.key)).status_code == 428
    assert client.delete(item_url(phase.key), HTTP_IF_MATCH=f'"{version + 1}"').status_code == 412
    response = client.delete(item_url(phase.key), HTTP_IF_MATCH=f'"{version}"')
    assert response.status_code == 204
    assert list(Item.objects.filter(program=program).values_list("key", "wbs")) == [("TSK-3", "1")]


# --------------------------------------------------------------------------------------------
# Items: moving, bulk edit, sign-off


def test_item_move_under_a_parent_renumbers(api, program, manager):
    a = ItemFactory(program=program, name="A")
    b = ItemFactory(program=program, name="B")
    c = ItemFactory(program=program, name="C")
    client = api(manager)

    response = client.post(
        item_url(c.key, "move/"), {"parent": a.key, "index": 0}, HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert (response.json()["wbs"], response.json()["parent"]) == ("1.1", "TSK-1")
    wbs = dict(Item.objects.filter(program=program).values_list("key", "wbs"))
    assert wbs == {a.key: "1", c.key: "1.1", b.key: "2"}
    top = client.post(item_url(c.key, "move/"), {"parent": None}, HTTP_IF_MATCH='"2"')
    assert top.status_code == 200
    assert (top.json()["wbs"], top.json()["parent"]) == ("3", None)


def test_item_move_actions(api, program, manager):
    a = ItemFactory(program=program, name="A")
    b = ItemFactory(program=program, name="B")
    client = api(manager)

    def move(item, action):
        item = reload(item)
        response = client.post(
            item_url(item.key, "move/"), {"action": action}, HTTP_IF_MATCH=f'"{item.version}"'
        )
        assert response.status_code == 200, response.json()
        return response.json()["wbs"]

    assert move(b, "indent") == "1.1"
    assert move(b, "outdent") == "2"
    assert move(b, "up") == "1"
    assert move(b, "down") == "2"
    assert reload(a).wbs == "1"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"parent": ["Say where to: a parent key (null for the top level) or an action."]}),
        ({"parent": "TSK-99"}, {"parent": ["There is no item TSK-99 in ERP."]}),
        ({"action": "sideways"}, {"action": ['"sideways" is not a valid choice.']}),
        (
            {"action": "up", "parent": "TSK-1"},
            {"action": ["Send an action, or a parent and index: not both."]},
        ),
        (
            {"parent": "TSK-1", "index": -1},
            {"index": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"action": "indent"},
            {
                "non_field_errors": [
                    "There is no item above this one at the same level to indent under."
                ]
            },
        ),
        ({"action": "outdent"}, {"non_field_errors": ["This item is already at the top level."]}),
    ],
)
def test_item_move_bad_input_is_400(api, program, manager, data, errors):
    a = ItemFactory(program=program, name="A")
    response = api(manager).post(item_url(a.key, "move/"), data, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert response.json() == errors
    assert (reload(a).wbs, reload(a).version) == ("1", 1)


def test_item_move_under_itself_or_stale_or_blind(api, program, manager, users_by_role):
    phase = ItemFactory(program=program, name="Phase")
    child = ItemFactory(program=program, parent=phase)
    client = api(manager)
    v = reload(phase).version
    loop = client.post(item_url(phase.key, "move/"), {"parent": child.key}, HTTP_IF_MATCH=f'"{v}"')
    assert loop.status_code == 400
    assert loop.json() == {"parent": ["An item cannot move under itself or its own items."]}
    assert client.post(item_url(phase.key, "move/"), {"parent": None}).status_code == 428
    stale = client.post(
        item_url(phase.key, "move/"), {"action": "down"}, HTTP_IF_MATCH=f'"{v + 5}"'
    )
    assert stale.status_code == 412
    assert stale.json()["current"]["key"] == phase.key
    refused = api(users_by_role["contributor"]).post(
        item_url(child.key, "move/"), {"parent": None}, HTTP_IF_MATCH='"1"'
    )
    assert refused.status_code == 403
    assert reload(child).parent_id == phase.pk


def test_item_bulk_update(api, program, manager, workstream):
    owner = member(program, Role.CONTRIBUTOR).user
    a, b, c = (ItemFactory(program=program, name=n) for n in "ABC")
    response = api(manager).post(
        item_url(suffix="bulk/"),
        {
            "keys": [a.key, "tsk-3"],
            "owner_id": owner.pk,
            "status": "on_hold",
            "workstream_key": "WS-1",
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"changed": 2, "keys": ["TSK-1", "TSK-3"]}
    rows = Item.objects.filter(program=program).order_by("key")
    assert [(i.key, i.owner_id, i.status, i.workstream_id) for i in rows] == [
        ("TSK-1", owner.pk, "on_hold", workstream.pk),
        ("TSK-2", None, "not_started", None),
        ("TSK-3", owner.pk, "on_hold", workstream.pk),
    ]
    assert reload(b).version == 1 and reload(c).version == 2


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"keys": ["TSK-1", "TSK-9"], "status": "complete"},
            {"keys": ["No such item in ERP: TSK-9."]},
        ),
        ({"keys": [], "status": "complete"}, {"keys": ["This list may not be empty."]}),
        (
            {"keys": ["TSK-1"]},
            {
                "non_field_errors": [
                    "Choose at least one of owner_id, owner_email, status, workstream_key "
                    "to change."
                ]
            },
        ),
        ({"keys": ["TSK-1"], "status": "done"}, {"status": ['"done" is not a valid choice.']}),
        (
            {"keys": ["TSK-1"], "workstream": "WS-1"},
            {"workstream": ["To set the workstream, send workstream_key (e.g. WS-2)."]},
        ),
        (
            {"keys": "TSK-1", "status": "complete"},
            {"keys": ['Expected a list of items but got type "str".']},
        ),
        (
            {"keys": ["TSK-1"], "workstream_key": "WS-7"},
            {"workstream_key": ["There is no workstream WS-7 in ERP."]},
        ),
    ],
)
def test_item_bulk_bad_input_changes_nothing(api, program, manager, data, errors):
    ItemFactory(program=program)
    audits = audit_count()
    response = api(manager).post(item_url(suffix="bulk/"), data)
    assert response.status_code == 400
    assert response.json() == errors
    assert audit_count() == audits
    assert Item.objects.get(program=program).status == "not_started"


def test_item_bulk_owner_must_be_member_and_role_must_allow(api, program, users_by_role, outsider):
    task = ItemFactory(program=program)
    manager = users_by_role["manager"]
    response = api(manager).post(
        item_url(suffix="bulk/"), {"keys": [task.key], "owner_id": outsider.pk}
    )
    assert response.json() == {"owner": [f"User {outsider.pk} is not a member of ERP."]}
    refused = api(users_by_role["contributor"]).post(
        item_url(suffix="bulk/"), {"keys": [task.key], "status": "complete"}
    )
    assert refused.status_code == 403
    assert reload(task).owner_id is None and reload(task).status == "not_started"


def test_item_signoff_and_revoke(api, program, users_by_role):
    executive = users_by_role["executive"]
    gate = ItemFactory(program=program, name="Go-live", kind="milestone")
    client = api(executive)

    signed = client.post(
        item_url(gate.key, "signoff/"), {"evidence": " UAT report v3 "}, HTTP_IF_MATCH='"1"'
    )

    assert signed.status_code == 200, signed.json()
    assert signed["ETag"] == '"2"'
    body = signed.json()
    assert body["accepted_by"] == {"id": executive.pk, "full_name": executive.full_name}
    assert body["acceptance_evidence"] == "UAT report v3"
    assert body["accepted_at"] == iso(reload(gate).accepted_at)

    revoked = client.delete(item_url(gate.key, "signoff/"), HTTP_IF_MATCH='"2"')
    assert revoked.status_code == 200
    assert (revoked.json()["accepted_by"], revoked.json()["accepted_at"]) == (None, None)
    again = client.delete(item_url(gate.key, "signoff/"), HTTP_IF_MATCH='"3"')
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This item has not been signed off."]}


def test_item_signoff_refusals(api, program, users_by_role):
    task = ItemFactory(program=program, name="Build")
    gate = ItemFactory(program=program, name="Gate", kind="deliverable", duration_minutes=days(1))
    manager = api(users_by_role["manager"])
    not_a_milestone = manager.post(
        item_url(task.key, "signoff/"), {"evidence": "x"}, HTTP_IF_MATCH='"1"'
    )
    assert not_a_milestone.status_code == 400
    assert not_a_milestone.json() == {
        "non_field_errors": ["Only milestones and deliverables are signed off."]
    }
    blank = manager.post(item_url(gate.key, "signoff/"), {"evidence": "  "}, HTTP_IF_MATCH='"1"')
    assert blank.json() == {"evidence": ["This field may not be blank."]}
    blind = manager.post(item_url(gate.key, "signoff/"), {"evidence": "ok"})
    assert blind.status_code == 428
    contributor = api(users_by_role["contributor"]).post(
        item_url(gate.key, "signoff/"), {"evidence": "ok"}, HTTP_IF_MATCH='"1"'
    )
    assert contributor.status_code == 403
    assert reload(gate).accepted_at is None


def test_item_detail_reads_need_no_query_per_field(
    api, program, manager, workstream, django_assert_num_queries
):
    phase = ItemFactory(program=program, name="Phase")
    task = ItemFactory(program=program, parent=phase, owner=manager, workstream=workstream)
    client = api(manager)
    with django_assert_num_queries(5):  # savepoint, token, access, item with relations, release
        response = client.get(item_url(task.key))
    assert response.json()["parent"] == phase.key


def test_malformed_json_is_400(api, program, manager):
    response = api(manager).generic(
        "POST", item_url(), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert not Item.objects.filter(program=program).exists()


def test_item_options_and_browsable_api(api, program, manager, client):
    task = ItemFactory(program=program)
    assert api(manager).options(item_url(task.key)).status_code == 200
    client.force_login(manager)
    assert client.get(item_url(), HTTP_ACCEPT="text/html").status_code == 200
