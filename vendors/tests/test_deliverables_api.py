"""Deliverables API: CRUD with If-Match, criteria, multipart submissions, the review (400 listing
the criteria without a decision), withdrawal, downloads, refusals as 409, constant queries."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import member
from schedules.models import Item
from vendors.models import Deliverable, Review, Submission

from .deliverable_factories import (
    PDF,
    make_deliverable,
    media,  # noqa: F401 - a fixture
    review,
    submit,
    upload,
)
from .factories import fresh, make_contract, make_vendor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

BASE = "/api/v1/programs/ERP/vendors/deliverables/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def contract(program):
    return make_contract(program, make_vendor(program, name="Northwind Consulting"))


@pytest.fixture
def pm(manager):
    return api(manager)


@pytest.fixture
def deliverable(program, contract):
    return make_deliverable(program, contract)


def test_create_with_keys_and_criteria(program, contract, pm, manager):
    Item.objects.create(program=program, key="TSK-7", name="Design", kind="deliverable")

    response = pm.post(
        BASE,
        {"title": "Design", "contract": contract.key.lower(), "due_date": "2027-01-15",
         "wbs_item": "TSK-7", "reviewer_id": manager.pk, "criteria": ["Complete", "Signed"]},
        format="json",
    )  # fmt: skip

    body = response.json()
    assert response.status_code == 201, body
    assert response["ETag"] == '"1"'
    assert (body["key"], body["contract"], body["wbs_item"], body["status"]) == (
        "DLV-1", contract.key, "TSK-7", "planned",
    )  # fmt: skip
    assert body["vendor"] == {"key": contract.vendor.key, "name": "Northwind Consulting"}
    assert body["reviewer"] == {"id": manager.pk, "full_name": manager.full_name}
    assert [c["text"] for c in body["criteria"]] == ["Complete", "Signed"]
    assert body["submissions"] == []


def test_create_refusals_are_400_with_the_field(program, pm):
    closed = make_contract(program, make_vendor(program, name="Litware"), status="completed")

    unknown = pm.post(
        BASE, {"title": "x", "contract": "CTR-99", "due_date": "2027-01-15"}, format="json"
    )
    closed_answer = pm.post(
        BASE, {"title": "x", "contract": closed.key, "due_date": "2027-01-15"}, format="json"
    )

    assert unknown.status_code == 400
    assert unknown.json() == {"contract": ["There is no contract CTR-99 in ERP."]}
    assert closed_answer.status_code == 400
    assert "active or draft contracts" in closed_answer.json()["contract"][0]
    assert not Deliverable.objects.exists()


def test_list_filters_and_query_count(program, contract, pm, count_queries):
    first = make_deliverable(program, contract)
    submit(first)
    pm.get(BASE)
    with count_queries() as one:
        page = pm.get(BASE).json()
    for n in range(3):
        make_deliverable(program, contract, title=f"D{n}")
    with count_queries() as four:
        pm.get(BASE)

    assert [r["key"] for r in page["results"]] == ["DLV-1"]
    assert len(four.captured_queries) == len(one.captured_queries)
    assert [r["key"] for r in pm.get(BASE, {"status": "submitted"}).json()["results"]] == ["DLV-1"]
    assert pm.get(BASE, {"status": "nonsense"}).status_code == 400


def test_update_needs_a_version_and_refuses_a_stale_one(deliverable, pm):
    url = f"{BASE}{deliverable.key}/"

    missing = pm.patch(url, {"title": "New"}, format="json")
    ok = pm.patch(url, {"title": "New"}, format="json", HTTP_IF_MATCH='"1"')
    stale = pm.patch(url, {"title": "Newer"}, format="json", HTTP_IF_MATCH='"1"')

    assert missing.status_code == 428
    assert (ok.status_code, ok["ETag"], ok.json()["title"]) == (200, '"2"', "New")
    assert stale.status_code == 412
    assert stale.json()["current"]["title"] == "New"
    assert fresh(deliverable).title == "New"


def test_destroy_after_a_submission_is_409(deliverable, pm):
    submit(deliverable)

    response = pm.delete(f"{BASE}{deliverable.key}/", HTTP_IF_MATCH='"2"')

    assert response.status_code == 409
    assert response.json()["detail"].endswith("Withdraw it instead.")
    assert Deliverable.objects.count() == 1


def test_criteria_add_change_order_and_remove(deliverable, pm):
    url = f"{BASE}{deliverable.key}/criteria/"
    first, second = deliverable.criteria.order_by("position")

    added = pm.post(url, {"text": "Has an index"}, format="json")
    changed = pm.patch(f"{url}{first.pk}/", {"text": "Reworded"}, format="json", HTTP_IF_MATCH="1")
    ordered = pm.post(
        f"{url}order/", {"order": [added.json()["id"], second.pk, first.pk]}, format="json"
    )
    removed = pm.delete(f"{url}{second.pk}/", HTTP_IF_MATCH="1")  # its place did not change

    assert added.status_code == 201
    assert changed.json()["text"] == "Reworded"
    assert [c["text"] for c in ordered.json()] == ["Has an index", CRIT_2, "Reworded"]
    assert removed.status_code == 204
    assert [c["text"] for c in pm.get(url).json()] == ["Has an index", "Reworded"]


CRIT_2 = "Signed off by the finance design authority"


def test_criteria_are_locked_while_a_round_awaits_review(deliverable, pm):
    submit(deliverable)

    response = pm.post(f"{BASE}{deliverable.key}/criteria/", {"text": "More"}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Round 1 of DLV-1 is awaiting review")


def test_submit_on_behalf_by_multipart(deliverable, pm):
    response = pm.post(
        f"{BASE}{deliverable.key}/submissions/",
        {"files": [upload("design.pdf", PDF), upload("list.csv", b"a,b\n")], "note": "v1"},
        format="multipart",
    )

    body = response.json()
    assert response.status_code == 201, body
    assert (body["round"], body["note"], body["review"]) == (1, "v1", None)
    assert [(f["file_name"], f["content_type"]) for f in body["files"]] == [
        ("design.pdf", "application/pdf"),
        ("list.csv", "text/csv"),
    ]
    download = pm.get(body["files"][0]["download_url"])
    assert b"".join(download.streaming_content) == PDF
    again = pm.post(
        f"{BASE}{deliverable.key}/submissions/", {"files": [upload()]}, format="multipart"
    )
    assert again.status_code == 409


def test_submit_refusals_name_the_files(deliverable, pm, settings):
    settings.VENDOR_UPLOAD_MAX_BYTES = 100

    response = pm.post(
        f"{BASE}{deliverable.key}/submissions/",
        {"files": [upload("big.pdf", PDF + b"0" * 200), upload("x.exe", b"MZ")]},
        format="multipart",
    )
    no_file = pm.post(f"{BASE}{deliverable.key}/submissions/", {"note": "x"}, format="multipart")

    assert response.status_code == 400
    assert [m.split("”")[0] for m in response.json()["files"]] == ["“big.pdf", "“x.exe"]
    assert no_file.status_code == 400
    assert not Submission.objects.exists()


def test_review_missing_criteria_is_400_listing_them(deliverable, pm):
    submit(deliverable)
    first, _ = deliverable.criteria.order_by("position")

    response = pm.post(
        f"{BASE}{deliverable.key}/review/",
        {"results": [{"criterion": first.pk, "met": True}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "results": [
            f"Decide met or not met for every criterion; no decision on criterion 2 “{CRIT_2}”."
        ]
    }
    assert not Review.objects.exists()


def test_review_rejects_then_accepts_the_next_round(deliverable, pm):
    submit(deliverable)
    first, second = deliverable.criteria.order_by("position")
    url = f"{BASE}{deliverable.key}/review/"

    rejected = pm.post(
        url,
        {"results": [{"criterion": first.pk, "met": True},
                     {"criterion": second.pk, "met": False, "reason": "Unsigned"}],
         "summary": "Nearly"},
        format="json",
    )  # fmt: skip
    twice = pm.post(url, {"results": []}, format="json")
    submit(deliverable)
    accepted = pm.post(
        url,
        {"results": [{"criterion": first.pk, "met": True}, {"criterion": second.pk, "met": True}]},
        format="json",
    )

    assert rejected.status_code == 201
    assert rejected.json()["review"]["outcome"] == "rejected"
    assert rejected.json()["review"]["results"][1] == {
        "criterion": second.pk, "number": 2, "text": CRIT_2, "met": False, "reason": "Unsigned",
    }  # fmt: skip
    assert twice.status_code == 409
    assert accepted.json()["round"] == 2
    detail = pm.get(f"{BASE}{deliverable.key}/").json()
    assert detail["status"] == "accepted"
    assert [s["round"] for s in detail["submissions"]] == [2, 1]


def test_review_needs_the_review_role(deliverable, program):
    submit(deliverable)
    contributor = api(member(program, Role.CONTRIBUTOR).user)

    response = contributor.post(f"{BASE}{deliverable.key}/review/", {"results": []}, format="json")

    assert response.status_code == 403


def test_withdraw(deliverable, pm):
    refused = pm.post(f"{BASE}{deliverable.key}/withdraw/", {"reason": ""}, format="json")
    done = pm.post(f"{BASE}{deliverable.key}/withdraw/", {"reason": "Descoped"}, format="json")

    assert refused.status_code == 400
    assert (done.status_code, done.json()["status"]) == (200, "withdrawn")
    assert done.json()["withdrawn_reason"] == "Descoped"


def test_detail_query_count_is_constant_in_rounds(deliverable, pm, count_queries):
    url = f"{BASE}{deliverable.key}/"
    submit(deliverable)
    review(deliverable, True, "No")
    pm.get(url)
    with count_queries() as one:
        pm.get(url)
    for _ in range(2):
        submit(deliverable, files=[upload(), upload("b.pdf")])
        review(deliverable, True, "No")
    with count_queries() as three:
        pm.get(url)

    assert len(three.captured_queries) == len(one.captured_queries)


def test_the_schema_documents_the_deliverable_endpoints(pm):
    text = pm.get(reverse("api_schema")).content.decode()

    for path in (
        "/api/v1/programs/{code}/vendors/deliverables/{key}/review/:",
        "/api/v1/programs/{code}/vendors/deliverables/{key}/submissions/:",
        "/api/v1/programs/{code}/vendors/portal/deliverables/{key}/submissions/:",
        "/api/v1/programs/{code}/vendors/portal/deliverables/{key}/files/{id}/download/:",
    ):
        assert path in text
