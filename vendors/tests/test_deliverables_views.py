"""Deliverable pages through the client: the list (filters, counts, overdue, query count), the
detail with its rounds and acceptance record, the forms (keeping input on errors), the review
form (marks the criteria without a decision), submission on the vendor's behalf, criteria and
permission-checked downloads."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from core.permissions import Role
from programs.tests.factories import member
from vendors.models import Deliverable, Review, Submission
from vendors.services import deliverables as services

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

BASE = "/programs/ERP/vendors/deliverables/"
TODAY = dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def contract(program):
    return make_contract(program, make_vendor(program, name="Northwind Consulting"))


@pytest.fixture
def pm(manager):
    return client_for(manager)


@pytest.fixture
def deliverable(program, contract):
    return make_deliverable(program, contract)


# --- list -----------------------------------------------------------------------------------


def test_list_shows_counts_filters_and_overdue_in_red(program, contract, pm):
    other = make_contract(program, make_vendor(program, name="Contoso Data"), title="Migration")
    with time_machine.travel(TODAY, tick=False):
        late = make_deliverable(
            program, contract, title="Late design", due_date=dt.date(2026, 11, 2)
        )
        make_deliverable(program, other, title="Mock load report", due_date=dt.date(2027, 1, 15))

        page = pm.get(BASE)
        filtered = pm.get(BASE, {"due": "overdue"})

    body = page.content.decode()
    assert page.status_code == 200
    assert 'class="dlv-row-overdue"' in body
    assert "Late design" in body and "Mock load report" in body
    assert '<span class="visually-hidden"> (overdue)</span>' in body
    assert [d.key for d in filtered.context["page_obj"]] == [late.key]
    counts = {c["value"]: c["count"] for c in page.context["counts"]}
    assert counts == {
        "planned": 2, "submitted": 0, "rejected": 0, "accepted": 0, "withdrawn": 0, "overdue": 1,
    }  # fmt: skip


def test_list_filters_by_vendor_and_status_and_answers_htmx_with_the_table(
    program, contract, deliverable, pm
):
    other_vendor = make_vendor(program, name="Contoso Data")
    make_deliverable(program, make_contract(program, other_vendor), title="Other")
    submit(deliverable)

    by_vendor = pm.get(BASE, {"vendor": other_vendor.pk})
    by_status = pm.get(BASE, {"status": "submitted"}, HTTP_HX_REQUEST="true")

    assert [d.title for d in by_vendor.context["page_obj"]] == ["Other"]
    assert [d.key for d in by_status.context["page_obj"]] == [deliverable.key]
    assert by_status.content.decode().lstrip().startswith('<div id="deliverable-table"')


@pytest.mark.parametrize("rows", [1, 4])
def test_list_query_count_does_not_grow_with_rows(
    program, contract, manager, rows, django_assert_num_queries
):
    for n in range(rows):
        d = make_deliverable(program, contract, title=f"Deliverable {n}")
        submit(d)
        review(d, True, "Missing")
    client = client_for(manager)
    client.get(BASE)  # warm the session and the content types

    with django_assert_num_queries(11):
        response = client.get(BASE)

    assert len(response.context["page_obj"]) == rows


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_rounds_reasons_files_and_the_acceptance_record(deliverable, pm):
    first = submit(deliverable, note="First cut")
    review(deliverable, True, "The sign-off page is missing.")
    submit(deliverable, files=[upload("design v2.pdf")], note="Signed page added")
    review(deliverable, True, True, summary="Thanks.")
    file = first.files.get()

    response = pm.get(f"{BASE}{deliverable.key}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Acceptance record" in body
    assert "2 of 2" in body  # accepted in round 2 of 2
    assert "The sign-off page is missing." in body
    assert "First cut" in body and "Signed page added" in body
    assert f"{BASE}{deliverable.key}/files/{file.pk}/" in body
    assert "/media/" not in body
    assert [r.submission.round for r in response.context["rounds"]] == [2, 1]


def test_detail_query_count_does_not_grow_with_rounds(deliverable, manager, count_queries):
    client = client_for(manager)
    url = f"{BASE}{deliverable.key}/"
    submit(deliverable)
    review(deliverable, True, "Missing")
    client.get(url)
    with count_queries() as one:
        client.get(url)
    for _ in range(2):
        submit(deliverable, files=[upload(), upload("b.pdf")])
        review(deliverable, True, "Missing")
    with count_queries() as three:
        client.get(url)

    assert len(three.captured_queries) == len(one.captured_queries)


def test_detail_links_the_wbs_item(program, contract, pm):
    from schedules.models import Item

    item = Item.objects.create(program=program, key="TSK-4", name="Design", kind="deliverable")
    deliverable = make_deliverable(program, contract, wbs_item=item)

    body = pm.get(f"{BASE}{deliverable.key}/").content.decode()

    assert '/programs/ERP/schedule/items/TSK-4/"' in body


def test_unknown_key_is_404(pm):
    assert pm.get(f"{BASE}DLV-99/").status_code == 404


# --- create and edit ------------------------------------------------------------------------


def test_create_with_criteria_one_per_line(contract, pm):
    response = pm.post(
        f"{BASE}new/",
        {
            "title": "Cut-over runbook",
            "contract": contract.pk,
            "due_date": "2027-01-15",
            "criteria": "Every step has an owner\n\n  Rehearsed once  \n",
        },
    )

    deliverable = Deliverable.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}{deliverable.key}/"
    assert [c.text for c in deliverable.criteria.order_by("position")] == [
        "Every step has an owner",
        "Rehearsed once",
    ]


def test_create_refusal_keeps_the_input(program, pm):
    closed = make_contract(program, make_vendor(program, name="Litware"), status="completed")

    response = pm.post(
        f"{BASE}new/",
        {"title": "Training plan", "contract": closed.pk, "due_date": "2027-01-15",
         "criteria": "Covers all roles"},
    )  # fmt: skip

    assert response.status_code == 400
    form = response.context["form"]
    assert "contract" in form.errors  # not offered: completed contracts take no deliverables
    assert form["title"].value() == "Training plan"
    assert form["criteria"].value() == "Covers all roles"
    assert not Deliverable.objects.exists()


def test_edit_with_a_stale_version_shows_the_conflict(deliverable, manager, pm):
    services.deliverable_update(
        actor=manager, deliverable=deliverable, expected_version=1, title="Renamed meanwhile"
    )

    response = pm.post(
        f"{BASE}{deliverable.key}/edit/",
        {"title": "My title", "contract": deliverable.contract_id, "due_date": "2026-12-18",
         "version": 1},
    )  # fmt: skip

    assert response.status_code == 400
    assert response.context["form"].conflict is not None
    assert fresh(deliverable).title == "Renamed meanwhile"


def test_contributors_cannot_create(program, contract):
    client = client_for(member(program, Role.CONTRIBUTOR).user)

    assert client.get(f"{BASE}new/").status_code == 403
    assert client.get(BASE).status_code == 200


# --- review ---------------------------------------------------------------------------------


def test_review_form_marks_criteria_without_a_decision_and_keeps_input(deliverable, pm):
    submit(deliverable)
    first, _ = deliverable.criteria.order_by("position")

    response = pm.post(
        f"{BASE}{deliverable.key}/review/",
        {f"met_{first.pk}": "not_met", f"reason_{first.pk}": "Two interfaces missing",
         "summary": "Close", "version": fresh(deliverable).version},
    )  # fmt: skip

    body = response.content.decode()
    assert response.status_code == 400
    assert "1 of 2 criteria have no decision yet (criterion 2)" in body
    rows = response.context["rows"]
    assert [(r["missing"], r["value"]) for r in rows] == [(False, "not_met"), (True, None)]
    assert "Two interfaces missing" in body
    assert 'class="dlv-review-row dlv-missing"' in body
    assert not Review.objects.exists()


def test_review_not_met_needs_a_reason(deliverable, pm):
    submit(deliverable)
    first, second = deliverable.criteria.order_by("position")

    response = pm.post(
        f"{BASE}{deliverable.key}/review/",
        {f"met_{first.pk}": "met", f"met_{second.pk}": "not_met", "version": 2},
    )

    assert response.status_code == 400
    assert response.context["form"].errors[f"reason_{second.pk}"] == ["Say why it is not met."]


def test_review_rejects_and_tells_the_vendor(deliverable, pm):
    submit(deliverable)
    first, second = deliverable.criteria.order_by("position")

    response = pm.post(
        f"{BASE}{deliverable.key}/review/",
        {f"met_{first.pk}": "met", f"met_{second.pk}": "not_met",
         f"reason_{second.pk}": "Unsigned", "version": 2},
        follow=True,
    )  # fmt: skip

    assert fresh(deliverable).status == "rejected"
    assert "Round 1 of DLV-1 rejected (1 criterion not met)" in response.content.decode()


def test_review_page_without_a_round_to_review_goes_back(deliverable, pm):
    response = pm.get(f"{BASE}{deliverable.key}/review/")

    assert (response.status_code, response["Location"]) == (302, f"{BASE}{deliverable.key}/")


def test_contributors_cannot_review(deliverable, program):
    submit(deliverable)
    client = client_for(member(program, Role.CONTRIBUTOR).user)

    assert client.get(f"{BASE}{deliverable.key}/review/").status_code == 403


# --- submission on the vendor's behalf, files -----------------------------------------------


def test_staff_submit_several_files_for_the_vendor(deliverable, pm, manager):
    response = pm.post(
        f"{BASE}{deliverable.key}/submit/",
        {"files": [upload("a.pdf"), upload("b.csv", b"x,y\n")], "note": "By e-mail", "version": 1},
    )

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert (submission.submitted_by, submission.files.count()) == (manager, 2)


def test_submission_refusals_name_each_file_and_keep_the_note(deliverable, pm, settings):
    settings.VENDOR_UPLOAD_MAX_BYTES = 100

    response = pm.post(
        f"{BASE}{deliverable.key}/submit/",
        {"files": [upload("big.pdf", PDF + b"0" * 200), upload("tool.exe", b"MZ\x90")],
         "note": "Please review", "version": 1},
    )  # fmt: skip

    assert response.status_code == 400
    errors = response.context["form"].errors["files"]
    assert errors[0] == (
        f"“big.pdf” is {len(PDF) + 200} bytes; deliverable files can be at most 100 bytes."
    )
    assert errors[1].startswith("“tool.exe” is not a type accepted for deliverables. Upload a PDF")
    assert response.context["form"]["note"].value() == "Please review"
    assert "choose them again" in response.content.decode()
    assert not Submission.objects.exists()


def test_file_download_is_permission_checked(deliverable, program, pm):
    submission = submit(deliverable, files=[upload("design.pdf", PDF)])
    file = submission.files.get()
    url = f"{BASE}{deliverable.key}/files/{file.pk}/"

    response = pm.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="design.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert pm.get(f"{BASE}DLV-2/files/{file.pk}/").status_code == 404
    vendor_user = member(program, Role.VENDOR).user
    assert client_for(vendor_user).get(url).status_code == 403


# --- criteria -------------------------------------------------------------------------------


def test_criteria_page_adds_edits_moves_and_removes(deliverable, pm):
    url = f"{BASE}{deliverable.key}/criteria/"
    first, second = deliverable.criteria.order_by("position")

    assert pm.post(url, {"text": "Has an index"}).status_code == 302
    assert pm.post(f"{url}{second.pk}/move/", {"direction": "up"}).status_code == 302
    assert pm.post(f"{url}{first.pk}/edit/", {"text": "Reworded", "version": 2}).status_code == 302
    assert pm.post(f"{url}{first.pk}/delete/", {"version": 3}).status_code == 302

    assert [c.text for c in deliverable.criteria.order_by("position")] == [
        "Signed off by the finance design authority",
        "Has an index",
    ]


def test_criteria_page_says_why_criteria_are_locked(deliverable, pm):
    submit(deliverable)

    response = pm.get(f"{BASE}{deliverable.key}/criteria/")
    refused = pm.post(f"{BASE}{deliverable.key}/criteria/", {"text": "More"})

    assert "is awaiting review against these criteria" in response.content.decode()
    assert refused.status_code == 400
    assert deliverable.criteria.count() == 2


# --- withdraw and delete --------------------------------------------------------------------


def test_withdraw_needs_a_reason(deliverable, pm):
    refused = pm.post(f"{BASE}{deliverable.key}/withdraw/", {"reason": "", "version": 1})
    done = pm.post(f"{BASE}{deliverable.key}/withdraw/", {"reason": "Descoped", "version": 1})

    assert refused.status_code == 400
    assert done.status_code == 302
    assert fresh(deliverable).status == "withdrawn"


def test_delete_with_a_round_is_refused_with_the_reason(deliverable, pm):
    submit(deliverable)

    response = pm.post(f"{BASE}{deliverable.key}/delete/", {"version": 2}, follow=True)

    assert "Withdraw it instead." in response.content.decode()
    assert Deliverable.objects.count() == 1
