"""The change control API: CRUD with If-Match, the workflow walked step by step with the right
people, refusals (409 for the state, 403 for the person, 400 for input, 412 for a stale
version), the timeline, the outcome and the policy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import AuditEntry
from governance.models import ChangeRequest
from governance.tests.factories_changes import make_cast, make_cr
from programs.tests.factories import ProgramFactory, WorkstreamFactory
from schedules.models import Baseline
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programs/ERP/governance/"


@pytest.fixture
def cast(db):
    return make_cast()


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def cr_url(key: str = "", suffix: str = "") -> str:
    return f"{BASE}changes/" + (f"{key}/" if key else "") + suffix


def cr_in(cast, status, requester=None, **fields):
    fields.setdefault("schedule_impact_days", 3)
    fields.setdefault("cost_impact", Decimal("12000.00"))
    return make_cr(
        cast.program, requester or cast.contributor, status=status, actor_for=cast, **fields
    )


# --- reading -------------------------------------------------------------------------------------


def test_retrieve_answers_the_whole_request_with_its_etag(cast):
    ws = WorkstreamFactory(program=cast.program, name="Finance", actor=cast.pm)
    item = ItemFactory(program=cast.program, name="Build")
    cr = make_cr(
        cast.program, cast.contributor, workstream=ws, affected_items=[item],
        cost_impact=Decimal("1234.5"), schedule_impact_days=-2,
    )  # fmt: skip

    response = api(cast.viewer).get(cr_url(cr.key.lower()))

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    body = response.json()
    assert {k: body[k] for k in (
        "key", "title", "kind", "status", "requester", "workstream", "schedule_impact_days",
        "cost_impact", "currency", "affected_items", "approval_level", "decision", "baseline",
        "budget_reference", "version", "decided_by",
    )} == {
        "key": "CR-1", "title": "Add the Brno warehouse to EWM", "kind": "scope",
        "status": "draft",
        "requester": {"id": cast.contributor.pk, "full_name": "Ana Souza"},
        "workstream": {"id": ws.pk, "key": ws.key, "name": "Finance"},
        "schedule_impact_days": -2, "cost_impact": "1234.50", "currency": "EUR",
        "affected_items": [item.key], "approval_level": "manager", "decision": None,
        "baseline": None, "budget_reference": "", "version": 1, "decided_by": None,
    }  # fmt: skip


def test_list_filters_and_pages(cast):
    small = cr_in(cast, "draft", kind="cost")
    big = cr_in(cast, "assessed", cost_impact=Decimal("90000"))
    client = api(cast.pm)

    def keys(query: str = "") -> list[str]:
        response = client.get(cr_url() + query)
        assert response.status_code == 200, response.json()
        return [row["key"] for row in response.json()["results"]]

    assert keys() == [big.key, small.key]
    assert keys("?status=assessed") == [big.key]
    assert keys("?kind=cost") == [small.key]
    assert keys("?approval=sponsor") == [big.key]
    assert keys("?sort=key") == [small.key, big.key]
    assert keys(f"?q={small.key}") == [small.key]
    assert keys("?page_size=1&page=2") == [small.key]
    bad = client.get(cr_url() + "?status=nope")
    assert bad.status_code == 400
    assert list(bad.json()) == ["status"]


@pytest.mark.parametrize("n", [1, 3])
def test_list_query_count_is_constant(cast, n, django_assert_num_queries):
    for _ in range(n):
        item = ItemFactory(program=cast.program)
        cr_in(cast, "approved", affected_items=[item])
    client = api(cast.pm)
    # savepoint, token, access, policy, count, page, affected items, release
    with django_assert_num_queries(8):
        response = client.get(cr_url())
    assert response.json()["count"] == n
    assert all(len(row["affected_items"]) == 1 for row in response.json()["results"])
    assert all(row["decision"] for row in response.json()["results"])


@pytest.mark.parametrize("n", [1, 3])
def test_transition_list_query_count_is_constant(cast, n, django_assert_num_queries):
    cr = cr_in(cast, "draft")
    for _ in range(n - 1):
        cr = cr_in(cast, "submitted")
    client = api(cast.pm)
    with django_assert_num_queries(7):  # savepoint, token, access, request, count, page, release
        response = client.get(cr_url(cr.key, "transitions/"))
    assert response.json()["count"] == (1 if n == 1 else 2)


def test_the_api_is_scoped_to_members(cast):
    cr = make_cr(cast.program, cast.contributor)
    outsider = ProgramFactory(code="OTH").memberships.get().user
    assert api().get(cr_url()).status_code == 401
    assert api(outsider).get(cr_url(cr.key)).status_code == 404
    assert api(cast.vendor).get(cr_url()).status_code == 403
    assert api(cast.pm).get(cr_url("CR-404")).status_code == 404


# --- writing -------------------------------------------------------------------------------------


def test_create_and_bad_input(cast):
    item = ItemFactory(program=cast.program, name="Build")
    client = api(cast.contributor)
    bad = client.post(
        cr_url(),
        {"title": " ", "kind": "color", "affected_items": ["TSK-404", item.key],
         "workstream_key": "WS-99", "cost_impact": "1.234"},
        format="json",
    )  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()) == {"title", "kind", "cost_impact"}
    bad_keys = client.post(
        cr_url(), {"title": "X", "kind": "scope", "affected_items": ["TSK-404"],
                   "workstream_key": "WS-99"}, format="json",
    )  # fmt: skip
    assert bad_keys.status_code == 400
    assert bad_keys.json() == {"workstream_key": ["There is no workstream WS-99 in ERP."]}
    on_behalf = client.post(
        cr_url(), {"title": "X", "kind": "scope", "requester_id": cast.pm.pk}, format="json"
    )
    assert on_behalf.status_code == 403
    assert ChangeRequest.objects.count() == 0

    created = client.post(
        cr_url(),
        {"title": "LIMS interface", "kind": "scope", "description": "Lab.", "reason": "Rekeying.",
         "affected_items": [item.key.lower()], "cost_impact": "55000", "needed_by": "2026-12-15"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created["ETag"] == '"1"'
    body = created.json()
    assert (body["key"], body["status"], body["requester"]["id"], body["affected_items"]) == (
        "CR-1", "draft", cast.contributor.pk, [item.key],
    )  # fmt: skip
    assert (body["cost_impact"], body["needed_by"], body["approval_level"]) == (
        "55000.00", "2026-12-15", "sponsor",
    )  # fmt: skip


def test_update_needs_the_version_and_refuses_stale_or_frozen_requests(cast):
    cr = make_cr(cast.program, cast.contributor)
    client = api(cast.contributor)
    assert client.patch(cr_url(cr.key), {"title": "New"}, format="json").status_code == 428
    ok = client.patch(cr_url(cr.key), {"title": "New"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200
    assert (ok.json()["title"], ok["ETag"]) == ("New", '"2"')

    stale = client.patch(cr_url(cr.key), {"title": "Newer"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["title"] == "New"
    assert stale.json()["changed_fields"] == {"title": ["Add the Brno warehouse to EWM", "New"]}

    other = api(cast.other_contributor).patch(
        cr_url(cr.key), {"title": "Mine"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert other.status_code == 403
    assert other.json()["detail"].startswith("Only the requester (Ana Souza)")

    assessed = cr_in(cast, "assessed")
    frozen = api(cast.pm).patch(
        cr_url(assessed.key), {"title": "Late edit"}, format="json",
        HTTP_IF_MATCH=f'"{assessed.version}"',
    )  # fmt: skip
    assert frozen.status_code == 409
    assert frozen.json()["detail"].startswith("CR-2 is assessed: its content and impact are frozen")
    assert ChangeRequest.objects.get(pk=assessed.pk).title == assessed.title


def test_delete_only_drafts(cast):
    draft = make_cr(cast.program, cast.contributor)
    submitted = cr_in(cast, "submitted")
    client = api(cast.pm)
    assert client.delete(cr_url(draft.key)).status_code == 428
    assert client.delete(cr_url(draft.key), HTTP_IF_MATCH='"1"').status_code == 204
    refused = client.delete(cr_url(submitted.key), HTTP_IF_MATCH=f'"{submitted.version}"')
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "CR-2 is submitted; only a draft can be deleted. Close or reject it instead, "
        "so the record stays."
    }
    assert list(ChangeRequest.objects.values_list("key", flat=True)) == ["CR-2"]


# --- the workflow --------------------------------------------------------------------------------


def test_the_whole_workflow_through_the_api_with_the_right_people(cast):
    ItemFactory(program=cast.program, name="Build")
    created = api(cast.contributor).post(
        cr_url(),
        {"title": "Move go-live", "kind": "schedule", "description": "February to March.",
         "reason": "SIT is late."},
        format="json",
    )  # fmt: skip
    key = created.json()["key"]

    def step(user, name, data=None, **headers):
        return api(user).post(cr_url(key, f"{name}/"), data or {}, format="json", **headers)

    assert step(cast.contributor, "submit").json()["status"] == "submitted"
    missing = step(cast.coordinator, "assess")
    assert missing.status_code == 400
    assert set(missing.json()) == {"schedule_impact_days", "cost_impact"}
    assessed = step(
        cast.coordinator, "assess",
        {"schedule_impact_days": 15, "cost_impact": "95000", "comment": "Needs the sponsor."},
    )  # fmt: skip
    assert (assessed.status_code, assessed.json()["approval_level"]) == (200, "sponsor")

    not_pm = step(cast.pm, "approve")
    assert not_pm.status_code == 403
    assert not_pm.json()["detail"] == (
        f"{key} needs the sponsor's decision (Daniel Okafor): its cost impact of 95,000.00 EUR "
        "is beyond the 50,000.00 EUR threshold and its schedule impact of +15 working days is "
        "beyond the 10-day threshold."
    )
    stale = step(cast.sponsor, "approve", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    approved = step(cast.sponsor, "approve", {"comment": "Go."}, HTTP_IF_MATCH='"3"')
    assert approved.status_code == 200, approved.json()
    assert (approved.json()["status"], approved.json()["decision"]) == ("approved", "DEC-1")
    assert approved.json()["decided_by"] == {"id": cast.sponsor.pk, "full_name": "Daniel Okafor"}

    implemented = step(
        cast.pm, "implement", {"new_baseline_name": "Re-plan", "budget_reference": "CO-1"}
    )
    assert implemented.json()["baseline"] == {
        "id": Baseline.objects.get(name="Re-plan").pk,
        "name": "Re-plan",
    }
    closed = step(cast.coordinator, "close")
    assert closed.json()["status"] == "closed"
    reopened = step(cast.contributor, "submit")
    assert reopened.status_code == 409
    assert reopened.json() == {
        "detail": f"{key} is closed; a closed request cannot be reopened. Raise a new change "
        "request instead."
    }

    timeline = api(cast.viewer).get(cr_url(key, "transitions/")).json()["results"]
    assert [(t["from_status"], t["to_status"], t["actor"]["full_name"]) for t in timeline] == [
        ("", "draft", "Ana Souza"),
        ("draft", "submitted", "Ana Souza"),
        ("submitted", "assessed", "Marcus Lee"),
        ("assessed", "approved", "Daniel Okafor"),
        ("approved", "implemented", "Priya Raman"),
        ("implemented", "closed", "Marcus Lee"),
    ]
    assert timeline[3]["comment"] == "Go."
    pk = ChangeRequest.objects.get(key=key).pk
    history = AuditEntry.objects.filter(
        content_type__model="changerequest", object_id=str(pk)
    ).order_by("id")
    assert [e.changes.get("status") for e in history] == [
        [None, "draft"], ["draft", "submitted"], ["submitted", "assessed"],
        ["assessed", "approved"], ["approved", "implemented"], ["implemented", "closed"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "step", "detail"),
    [
        ("draft", "approve", "CR-1 is draft; only an assessed request can be approved."),
        ("submitted", "implement", "CR-1 is submitted; only an approved request can be marked "
         "implemented."),
        ("approved", "assess", "CR-1 is approved; only a submitted request can be assessed."),
        ("rejected", "submit", "CR-1 is rejected; only a draft or deferred request can be "
         "submitted."),
    ],
)  # fmt: skip
def test_illegal_steps_answer_409_with_the_reason_and_change_nothing(cast, status, step, detail):
    cr = cr_in(cast, status)
    trail = AuditEntry.objects.count()
    response = api(cast.pm).post(cr_url(cr.key, f"{step}/"), {"comment": "x"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": detail}
    assert ChangeRequest.objects.get(pk=cr.pk).status == status
    assert AuditEntry.objects.count() == trail


def test_reject_needs_a_comment_and_roles_are_checked_first(cast):
    cr = cr_in(cast, "assessed")
    assert api(cast.coordinator).post(cr_url(cr.key, "reject/")).status_code == 403
    no_reason = api(cast.pm).post(cr_url(cr.key, "reject/"), {}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json() == {
        "comment": ["Say why CR-1 is rejected: the requester and the record need the reason."]
    }
    assert api(cast.pm).get(cr_url(cr.key, "reject/")).status_code == 405


def test_outcome_needs_the_version_and_an_approved_request(cast):
    ItemFactory(program=cast.program, name="Build")
    cr = cr_in(cast, "implemented")
    client = api(cast.coordinator)
    assert client.patch(cr_url(cr.key, "outcome/"), {"budget_reference": "CO-2"}).status_code == 428
    ok = client.patch(
        cr_url(cr.key, "outcome/"), {"budget_reference": "CO-2"}, format="json",
        HTTP_IF_MATCH=f'"{cr.version}"',
    )  # fmt: skip
    assert ok.json()["budget_reference"] == "CO-2"
    unknown = client.patch(
        cr_url(cr.key, "outcome/"), {"baseline_id": 999}, format="json",
        HTTP_IF_MATCH=f'"{cr.version + 1}"',
    )  # fmt: skip
    assert unknown.status_code == 400
    assert unknown.json() == {"baseline_id": ["There is no baseline 999 in ERP."]}
    draft = make_cr(cast.program, cast.contributor)
    refused = client.patch(
        cr_url(draft.key, "outcome/"), {"budget_reference": "X"}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip
    assert refused.status_code == 409


def test_policy_read_and_change(cast):
    client = api(cast.pm)
    policy = client.get(f"{BASE}change-policy/")
    assert policy.json() == {
        "sponsor_cost_threshold": "50000.00",
        "sponsor_schedule_threshold_days": 10,
        "allow_self_approval": False,
        "currency": "EUR",
        "sponsor": {"id": cast.sponsor.pk, "full_name": "Daniel Okafor"},
        "version": 1,
    }
    assert policy["ETag"] == '"1"'
    assert client.patch(f"{BASE}change-policy/", {"allow_self_approval": True}).status_code == 428
    assert (
        api(cast.coordinator)
        .patch(f"{BASE}change-policy/", {"allow_self_approval": True}, HTTP_IF_MATCH='"1"')
        .status_code
        == 403
    )
    changed = client.patch(
        f"{BASE}change-policy/", {"sponsor_cost_threshold": "75000"}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip
    assert (changed.status_code, changed.json()["sponsor_cost_threshold"]) == (200, "75000.00")
    bad = client.patch(
        f"{BASE}change-policy/", {"sponsor_schedule_threshold_days": -1}, format="json",
        HTTP_IF_MATCH='"2"',
    )  # fmt: skip
    assert bad.status_code == 400
    assert list(bad.json()) == ["sponsor_schedule_threshold_days"]
