"""The decision log API: list (with links, constant queries), create with options and links,
If-Match on edits and deletes, decide/ and supersede/ with their refusals."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from governance.models import Decision
from governance.tests.factories_changes import make_cast, make_cr, make_decision
from schedules.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programs/ERP/governance/decisions/"


@pytest.fixture
def cast(db):
    return make_cast()


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_create_with_options_and_links_and_read_it_back(cast):
    cr = make_cr(cast.program, cast.contributor)
    item = ItemFactory(program=cast.program, name="Build")
    response = api(cast.coordinator).post(
        BASE,
        {
            "title": "Two waves",
            "decision": "Finance first.",
            "options": [{"option": "Big bang", "cons": "Risky"}, {"option": "Two waves"}],
            "links": [cr.key.lower(), item.key],
            "decided_by_id": cast.sponsor.pk,
            "decided_on": "2026-03-02",
            "forum": "Charter",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        **body,
        "key": "DEC-1", "title": "Two waves", "decision": "Finance first.", "status": "decided",
        "options": [{"option": "Big bang", "pros": "", "cons": "Risky"},
                    {"option": "Two waves", "pros": "", "cons": ""}],
        "links": [cr.key, item.key],
        "decided_by": {"id": cast.sponsor.pk, "full_name": "Daniel Okafor"},
        "decided_on": "2026-03-02", "forum": "Charter", "superseded_by": None, "version": 1,
    }  # fmt: skip
    assert response["ETag"] == '"1"'
    assert api(cast.viewer).get(f"{BASE}dec-1/").json() == body


def test_create_refuses_bad_links_options_and_statuses(cast):
    client = api(cast.pm)
    bad = client.post(
        BASE,
        {"title": "X", "links": ["CR-9", "XYZ-1"], "options": [{"pros": "no name"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json() == {"options": {"0": {"option": ["This field is required."]}}}
    links = client.post(BASE, {"title": "X", "links": ["CR-9"]}, format="json")
    assert links.json() == {"links": ["There is no CR-9 in ERP."]}
    superseded = client.post(BASE, {"title": "X", "status": "superseded"}, format="json")
    assert superseded.json() == {
        "status": ["Record it as decided, then supersede the old one with supersede/."]
    }
    assert api(cast.contributor).post(BASE, {"title": "X"}, format="json").status_code == 403
    assert Decision.objects.count() == 0


@pytest.mark.parametrize("n", [1, 3])
def test_list_query_count_is_constant(cast, n, django_assert_num_queries):
    item = ItemFactory(program=cast.program, name="Build")
    for i in range(n):
        make_decision(
            cast.program, cast.pm, title=f"D{i}", links=[item, make_cr(cast.program, cast.pm)]
        )
    client = api(cast.pm)
    # savepoint, token, access, count, page, links, items, change requests, release
    with django_assert_num_queries(9):
        response = client.get(BASE)
    results = response.json()["results"]
    assert [r["title"] for r in results] == [f"D{i}" for i in reversed(range(n))]
    assert all(r["links"][0] == item.key for r in results)


def test_filters(cast):
    make_decision(cast.program, cast.pm, title="Waves")
    make_decision(cast.program, cast.pm, title="Integrator", status="proposed")
    client = api(cast.pm)
    assert [r["key"] for r in client.get(BASE + "?status=proposed").json()["results"]] == ["DEC-2"]
    assert [r["key"] for r in client.get(BASE + "?q=wave").json()["results"]] == ["DEC-1"]
    assert client.get(BASE + "?decided_after=nonsense").status_code == 400


def test_edit_needs_the_version_and_leaves_superseded_entries_alone(cast):
    old = make_decision(cast.program, cast.pm, title="Seven years")
    client = api(cast.pm)
    assert client.patch(f"{BASE}{old.key}/", {"title": "X"}, format="json").status_code == 428
    edited = client.patch(
        f"{BASE}{old.key}/", {"rationale": "Auditors."}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert (edited.status_code, edited.json()["rationale"], edited["ETag"]) == (
        200, "Auditors.", '"2"',
    )  # fmt: skip
    status_change = client.patch(
        f"{BASE}{old.key}/", {"status": "proposed"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert status_change.status_code == 400
    stale = client.patch(f"{BASE}{old.key}/", {"title": "Y"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["rationale"] == "Auditors."

    new = make_decision(cast.program, cast.pm, title="Two years")
    replaced = client.post(
        f"{BASE}{old.key}/supersede/", {"replacement": new.key.lower()}, format="json"
    )
    assert replaced.status_code == 200
    assert (replaced.json()["status"], replaced.json()["superseded_by"]) == ("superseded", "DEC-2")
    frozen = client.patch(f"{BASE}{old.key}/", {"title": "Z"}, format="json", HTTP_IF_MATCH='"3"')
    assert frozen.status_code == 409
    assert frozen.json()["detail"].startswith("DEC-1 was superseded by DEC-2")


def test_decide_and_supersede_refusals(cast):
    proposal = make_decision(cast.program, cast.pm, title="Keep February?", status="proposed")
    decided = make_decision(cast.program, cast.pm, title="Waves")
    client = api(cast.pm)

    early = client.post(f"{BASE}{proposal.key}/supersede/", {"replacement": decided.key})
    assert early.status_code == 409
    assert early.json() == {
        "detail": "DEC-1 is proposed; only a decided decision can be superseded."
    }
    unknown = client.post(f"{BASE}{decided.key}/supersede/", {"replacement": "DEC-99"})
    assert unknown.json() == {"replacement": ["There is no decision DEC-99 in ERP."]}
    not_decided = client.post(f"{BASE}{decided.key}/supersede/", {"replacement": proposal.key})
    assert not_decided.json() == {
        "replacement": ["DEC-1 is proposed; the replacing decision must be decided."]
    }

    taken = client.post(
        f"{BASE}{proposal.key}/decide/",
        {"decided_by_id": cast.sponsor.pk, "decided_on": "2026-12-15", "rationale": "Risk."},
        format="json",
    )
    assert taken.status_code == 200
    assert (taken.json()["status"], taken.json()["decided_on"], taken.json()["rationale"]) == (
        "decided", "2026-12-15", "Risk.",
    )  # fmt: skip
    twice = client.post(f"{BASE}{proposal.key}/decide/", {}, format="json")
    assert twice.status_code == 409
    assert api(cast.viewer).post(f"{BASE}{proposal.key}/decide/").status_code == 403


def test_delete_only_proposals(cast):
    proposal = make_decision(cast.program, cast.pm, status="proposed")
    decided = make_decision(cast.program, cast.pm)
    client = api(cast.pm)
    assert client.delete(f"{BASE}{proposal.key}/").status_code == 428
    assert client.delete(f"{BASE}{proposal.key}/", HTTP_IF_MATCH='"1"').status_code == 204
    refused = client.delete(f"{BASE}{decided.key}/", HTTP_IF_MATCH='"1"')
    assert refused.status_code == 409
    assert list(Decision.objects.values_list("key", flat=True)) == [decided.key]
