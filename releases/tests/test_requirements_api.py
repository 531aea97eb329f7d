"""Requirements API through APIClient: CRUD, ETag/If-Match (412), refusals (409), bad input
(400), other programs (404), the steps and the revisions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import ProgramFactory
from releases.models import Requirement
from releases.tests import factories
from releases.tests.requirements_factories import change_request, deliverable, requirement_in

pytestmark = pytest.mark.django_db


def base(program) -> str:
    return f"/api/v1/programs/{program.code}/requirements/"


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_list_with_filters(api, program):
    requirement_in(program, title="Ledgers")
    requirement_in(program, "approved", title="Bank import")
    response = api.get(base(program), {"status": "approved"})
    assert response.status_code == 200
    assert [r["title"] for r in response.data["results"]] == ["Bank import"]
    assert api.get(base(program), {"q": "ledg"}).data["count"] == 1
    assert api.get(base(program), {"status": "nonsense"}).status_code == 400


def test_list_queries_do_not_grow_with_rows(api, program):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(base(program)).status_code == 200
        return len(ctx.captured_queries)

    def add():
        requirement = requirement_in(program)
        requirement.deliverables.add(deliverable(program))
        requirement.change_requests.add(change_request(program))

    add()
    one = count()
    add()
    add()
    assert count() == one


def test_create_retrieve_with_etag(api, program):
    item = deliverable(program)
    response = api.post(
        base(program),
        {"title": "E-invoicing", "statement": "Send XRechnung.", "priority": "must",
         "deliverables": [item.key]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    assert response.data["key"] == "REQ-1"
    assert response.data["status"] == "proposed"
    assert response.data["deliverables"] == [item.key]
    got = api.get(base(program) + "req-1/")
    assert got.status_code == 200
    assert got["ETag"] == '"1"'


def test_create_bad_input_is_400_with_field_errors(api, program):
    response = api.post(
        base(program),
        {"title": "", "statement": "x", "type": "non_functional", "deliverables": ["TSK-999"]},
        format="json",
    )
    assert response.status_code == 400
    assert "title" in response.data
    response = api.post(
        base(program), {"title": "T", "statement": "x", "type": "non_functional"}, format="json"
    )
    assert response.status_code == 400
    assert "quality_attribute" in response.data
    assert not Requirement.objects.exists()


def test_update_with_a_stale_if_match_is_412(api, program):
    requirement = requirement_in(program)
    response = api.patch(
        base(program) + f"{requirement.key}/", {"title": "New"}, format="json",
        HTTP_IF_MATCH='"99"',
    )  # fmt: skip
    assert response.status_code == 412
    assert response.data["current"]["title"] == requirement.title
    assert (
        api.patch(base(program) + f"{requirement.key}/", {"title": "N"}, format="json").status_code
        == 428
    )


def test_update_baselined_wording_without_cr_is_409_with_the_reason(api, program):
    requirement = requirement_in(program, "approved")
    response = api.patch(
        base(program) + f"{requirement.key}/", {"statement": "Other."}, format="json",
        HTTP_IF_MATCH=f'"{requirement.version}"',
    )  # fmt: skip
    assert response.status_code == 409
    assert "needs an approved change request" in response.data["detail"]
    assert Requirement.objects.get(pk=requirement.pk).statement == requirement.statement


def test_update_baselined_wording_with_an_approved_cr(api, program):
    requirement = requirement_in(program, "approved")
    cr = change_request(program, "approved")
    response = api.patch(
        base(program) + f"{requirement.key}/",
        {"statement": "Other.", "change_request": cr.key, "revision_note": "Per CR."},
        format="json",
        HTTP_IF_MATCH=f'"{requirement.version}"',
    )
    assert response.status_code == 200
    assert response.data["baseline_revision"] == 2
    assert response.data["change_requests"] == [cr.key]
    revisions = api.get(base(program) + f"{requirement.key}/revisions/")
    assert [r["revision"] for r in revisions.data["results"]] == [2, 1]
    assert revisions.data["results"][0]["change_request"] == cr.key


def test_update_with_an_unknown_cr_is_400(api, program):
    requirement = requirement_in(program, "approved")
    response = api.patch(
        base(program) + f"{requirement.key}/", {"statement": "x", "change_request": "CR-77"},
        format="json", HTTP_IF_MATCH=f'"{requirement.version}"',
    )  # fmt: skip
    assert response.status_code == 400
    assert "change_request" in response.data


def test_delete_proposed_204_and_approved_409(api, program):
    proposed, approved = requirement_in(program), requirement_in(program, "approved")
    response = api.delete(base(program) + f"{approved.key}/", HTTP_IF_MATCH=f'"{approved.version}"')
    assert response.status_code == 409
    response = api.delete(base(program) + f"{proposed.key}/", HTTP_IF_MATCH=f'"{proposed.version}"')
    assert response.status_code == 204
    assert list(Requirement.objects.values_list("key", flat=True)) == [approved.key]


def test_another_programs_requirement_is_404(api, program):
    other = requirement_in(ProgramFactory())
    assert api.get(f"/api/v1/programs/{other.program.code}/requirements/").status_code == 404
    assert api.get(base(program) + f"{other.key}/").status_code == 404
    assert api.post(base(program) + "REQ-99/approve/", {}, format="json").status_code == 404


def test_steps_approve_then_verify_refused_with_409(api, program):
    requirement = requirement_in(program)
    response = api.post(base(program) + f"{requirement.key}/approve/", {}, format="json")
    assert response.status_code == 200
    assert (response.data["status"], response.data["baseline_revision"]) == ("approved", 1)
    assert (
        api.post(base(program) + f"{requirement.key}/start/", {}, format="json").status_code == 200
    )
    refused = api.post(base(program) + f"{requirement.key}/verify/", {}, format="json")
    assert refused.status_code == 409
    assert "no test case is linked to it" in refused.data["detail"]


def test_step_with_a_stale_version_is_412_and_defer_needs_a_reason(api, program):
    requirement = requirement_in(program)
    stale = api.post(
        base(program) + f"{requirement.key}/approve/", {}, format="json", HTTP_IF_MATCH='"9"'
    )
    assert stale.status_code == 412
    missing = api.post(base(program) + f"{requirement.key}/defer/", {}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.data
    done = api.post(
        base(program) + f"{requirement.key}/defer/", {"reason": "Wave 2."}, format="json"
    )
    assert (done.status_code, done.data["status_reason"]) == (200, "Wave 2.")


def test_a_coordinator_cannot_approve_but_can_start(program, users_by_role):
    client = APIClient()
    client.force_authenticate(users_by_role[Role.COORDINATOR])
    proposed, approved = requirement_in(program), requirement_in(program, "approved")
    assert client.post(base(program) + f"{proposed.key}/approve/", {}).status_code == 403
    assert client.post(base(program) + f"{approved.key}/start/", {}).status_code == 200


def test_a_viewer_reads_but_cannot_create(program, users_by_role):
    client = APIClient()
    client.force_authenticate(users_by_role[Role.VIEWER])
    requirement_in(program)
    assert client.get(base(program)).status_code == 200
    assert client.post(base(program), {"title": "x", "statement": "y"}).status_code == 403


def test_list_shows_counts(api, program):
    requirement = requirement_in(program, "in_delivery")
    factories.make_case(program, requirements=[requirement])
    factories.make_defect(program, requirement=requirement)
    [row] = api.get(base(program)).data["results"]
    assert (row["case_count"], row["open_defects"]) == (1, 1)
