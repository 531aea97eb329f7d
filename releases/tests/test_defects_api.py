"""The defects API: CRUD by key with ETag/If-Match, filters, the workflow step (409 with the
reason), the summary; 400, 404, 409, 412 and 428 as documented."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from releases.models import Defect
from releases.services import defects as services
from releases.tests import factories

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def base(program) -> str:
    return f"/api/v1/programs/{program.code}/defects/"


def raise_defect(program, actor, **fields):
    fields.setdefault("title", "Payment run skips vendor 4711")
    return services.defect_create(actor=actor, program=program, **fields)


def test_create_with_keys_and_read_back(program, manager):
    requirement = factories.make_requirement(program)
    release = factories.make_release(program)
    case = factories.make_case(program)

    response = api(manager).post(
        base(program),
        {"title": "CAMT import stops", "severity": 1, "priority": "urgent",
         "requirement": requirement.key.lower(), "target_release": release.key,
         "test_case": case.key, "owner_id": manager.pk},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.data
    assert response["ETag"] == '"1"'
    data = response.data
    assert (data["key"], data["status"], data["severity"], data["requirement"]) == (
        "DEF-1", "new", 1, requirement.key,
    )  # fmt: skip
    assert data["owner"] == {"id": manager.pk, "full_name": manager.full_name}
    assert data["next_statuses"] == ["triaged", "rejected", "deferred"]
    assert data["transitions"][0]["to_status"] == "new"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"severity": 5}, "severity"),
        ({"requirement": "REQ-99"}, "requirement"),
        ({"owner_id": 999999}, "owner_id"),
        ({"title": ""}, "title"),
        ({"test_run": 999999}, "test_run"),
    ],
)
def test_create_answers_400_with_field_errors(program, manager, payload, field):
    response = api(manager).post(base(program), {"title": "X", **payload}, format="json")

    assert response.status_code == 400
    assert field in response.data
    assert Defect.objects.count() == 0


def test_list_filters_and_is_scoped(program, manager):
    raise_defect(program, manager, severity=1)
    raise_defect(program, manager, severity=3)
    factories.make_defect(ProgramFactory())

    client = api(manager)
    everything = client.get(base(program))
    critical = client.get(base(program) + "?severity=1")
    bad = client.get(base(program) + "?state=sideways")

    assert [d["key"] for d in everything.data["results"]] == ["DEF-1", "DEF-2"]
    assert [d["key"] for d in critical.data["results"]] == ["DEF-1"]
    assert bad.status_code == 400


def test_list_query_count_does_not_grow(program, manager, count_queries):
    client = api(manager)
    raise_defect(program, manager, owner=manager, requirement=factories.make_requirement(program))
    with count_queries() as one:
        client.get(base(program))
    for _ in range(3):
        raise_defect(program, manager, owner=member(program).user,
                     requirement=factories.make_requirement(program),
                     target_release=factories.make_release(program))  # fmt: skip
    with count_queries() as four:
        client.get(base(program))

    assert len(four.captured_queries) == len(one.captured_queries)


def test_other_programs_defects_are_404(program, manager):
    other = ProgramFactory()
    foreign = factories.make_defect(other)

    assert api(manager).get(base(program) + foreign.key + "/").status_code == 404
    assert api(manager).get(base(other) + foreign.key + "/").status_code == 404
    assert api(manager).get(base(program) + "DEF-404/").status_code == 404


def test_update_needs_the_version_and_refuses_a_stale_one(program, manager):
    defect = raise_defect(program, manager)
    url = base(program) + defect.key + "/"
    client = api(manager)

    missing = client.patch(url, {"title": "A"}, format="json")
    first = client.patch(url, {"title": "A"}, format="json", HTTP_IF_MATCH='"1"')
    stale = client.patch(url, {"title": "B"}, format="json", HTTP_IF_MATCH='"1"')

    assert missing.status_code == 428
    assert (first.status_code, first["ETag"], first.data["title"]) == (200, '"2"', "A")
    assert stale.status_code == 412
    assert stale.data["current"]["title"] == "A"
    assert stale.data["changed_fields"] == {"title": ["Payment run skips vendor 4711", "A"]}
    assert Defect.objects.get(pk=defect.pk).title == "A"


def test_delete_new_and_refuse_later(program, manager):
    client = api(manager)
    new = raise_defect(program, manager)
    triaged = raise_defect(program, manager, owner=manager)
    services.defect_transition(actor=manager, defect=triaged, to="triaged")

    gone = client.delete(base(program) + new.key + "/", HTTP_IF_MATCH='"1"')
    refused = client.delete(base(program) + triaged.key + "/", HTTP_IF_MATCH='"2"')

    assert gone.status_code == 204
    assert refused.status_code == 409
    assert "only a new defect raised by mistake" in refused.data["detail"]
    assert Defect.objects.filter(pk=triaged.pk).exists()


def test_transition_moves_and_records(program, manager):
    defect = raise_defect(program, manager)
    lead = member(program, Role.CONTRIBUTOR).user

    response = api(manager).post(
        base(program) + defect.key + "/transition/",
        {"to": "triaged", "owner_id": lead.pk, "severity": 1, "priority": "urgent",
         "comment": "Blocks the payment run"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200, response.data
    assert (response.data["status"], response.data["severity"]) == ("triaged", 1)
    assert response.data["owner"]["id"] == lead.pk
    assert response.data["transitions"][-1]["comment"] == "Blocks the payment run"
    assert response["ETag"] == '"2"'


def test_transition_illegal_move_is_409_with_the_next_steps(program, manager):
    defect = raise_defect(program, manager)

    response = api(manager).post(
        base(program) + defect.key + "/transition/", {"to": "closed"}, format="json"
    )

    assert response.status_code == 409
    assert response.data["detail"] == (
        "DEF-1 is new: it cannot move to closed. Next steps from new: triaged, rejected, deferred."
    )
    assert Defect.objects.get(pk=defect.pk).status == "new"


def test_transition_missing_input_is_400(program, manager):
    defect = raise_defect(program, manager)

    no_owner = api(manager).post(
        base(program) + defect.key + "/transition/", {"to": "triaged"}, format="json"
    )
    bad_dup = api(manager).post(
        base(program) + defect.key + "/transition/",
        {"to": "rejected", "rejection_reason": "duplicate", "duplicate_of": "DEF-77"},
        format="json",
    )
    bad_to = api(manager).post(
        base(program) + defect.key + "/transition/", {"to": "done"}, format="json"
    )

    assert (no_owner.status_code, list(no_owner.data)) == (400, ["owner"])
    assert bad_dup.data == {"duplicate_of": ["There is no defect DEF-77 in ERP."]}
    assert bad_to.status_code == 400


def test_transition_stale_if_match_is_412(program, manager):
    defect = raise_defect(program, manager, owner=manager)
    services.defect_update(actor=manager, defect=defect, expected_version=1, title="Moved on")

    response = api(manager).post(
        base(program) + defect.key + "/transition/", {"to": "triaged"}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip

    assert response.status_code == 412
    assert response.data["current"]["title"] == "Moved on"


def test_transition_role_limits(program, manager):
    defect = raise_defect(program, manager)
    services.defect_transition(actor=manager, defect=defect, to="rejected",
                               rejection_reason="cannot_reproduce")  # fmt: skip
    contributor = member(program, Role.CONTRIBUTOR).user
    viewer = member(program, Role.VIEWER).user
    url = base(program) + defect.key + "/transition/"

    by_viewer = api(viewer).post(url, {"to": "reopened", "comment": "x"}, format="json")
    by_contributor = api(contributor).post(url, {"to": "reopened", "comment": "x"}, format="json")

    assert by_viewer.status_code == 403
    assert by_contributor.status_code == 403
    assert "Only a program manager or coordinator" in by_contributor.data["detail"]


def test_summary(program, manager):
    raise_defect(program, manager, severity=1)
    raise_defect(program, manager, severity=2)

    response = api(manager).get(base(program) + "summary/")

    assert response.status_code == 200
    assert response.data["open_total"] == 2
    assert response.data["open_by_severity"] == {"1": 1, "2": 1, "3": 0, "4": 0}
    assert response.data["ageing"]["1"] == {"0-7": 1, "8-14": 0, "15-30": 0, ">30": 0}
    assert response.data["by_status"]["new"] == 2


def test_summary_of_a_program_i_am_not_in_is_404(program):
    outsider = member(ProgramFactory()).user

    assert api(outsider).get(base(program) + "summary/").status_code == 404
