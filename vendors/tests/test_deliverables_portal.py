"""The vendor portal's deliverables: a vendor user sees and submits only its own vendor's; every
page, file and API object of another vendor answers 404, and the program's pages 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import member
from vendors.models import Submission

from .deliverable_factories import (
    PDF,
    make_deliverable,
    media,  # noqa: F401 - a fixture
    review,
    submit,
    upload,
)
from .factories import fresh, make_contract, make_portal_user, make_vendor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

PORTAL = "/programs/ERP/vendors/portal/deliverables/"
API = "/api/v1/programs/ERP/vendors/"


@pytest.fixture
def northwind(program):
    return make_vendor(program, name="Northwind Consulting")


@pytest.fixture
def contoso(program):
    return make_vendor(program, name="Contoso Data")


@pytest.fixture
def tom(program, northwind):
    """Northwind's portal user."""
    user = member(program, Role.VENDOR, email="tom@northwind.example").user
    make_portal_user(program, northwind, user=user)
    return user


@pytest.fixture
def ours(program, northwind):
    return make_deliverable(program, make_contract(program, northwind), title="Our design")


@pytest.fixture
def theirs(program, contoso):
    """Contoso's deliverable, with a submitted file."""
    deliverable = make_deliverable(
        program, make_contract(program, contoso, title="Migration"), title="Their mock load"
    )
    submit(deliverable, files=[upload("secret.pdf")])
    return deliverable


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_my_deliverables_lists_only_my_vendors_with_the_next_step(tom, ours, theirs):
    response = client_for(tom).get(PORTAL)

    body = response.content.decode()
    assert response.status_code == 200
    assert [d.key for d in response.context["page_obj"]] == [ours.key]
    assert "Their mock load" not in body
    assert "Submit by the due date" in body
    assert f"{PORTAL}{ours.key}/submit/" in body


def test_the_vendor_submits_through_the_portal(tom, ours):
    client = client_for(tom)

    response = client.post(
        f"{PORTAL}{ours.key}/submit/",
        {"files": [upload("design.pdf", PDF)], "note": "Version 1", "version": 1},
        follow=True,
    )

    submission = Submission.objects.get()
    assert (submission.deliverable, submission.submitted_by) == (ours, tom)
    assert fresh(ours).status == "submitted"
    assert "Round 1 of DLV-1 submitted with 1 file" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"{PORTAL}{ours.key}/"


def test_portal_upload_errors_are_clear_and_nothing_is_stored(tom, ours, settings):
    settings.VENDOR_UPLOAD_MAX_BYTES = 1024

    response = client_for(tom).post(
        f"{PORTAL}{ours.key}/submit/",
        {"files": [upload("design.docx", PDF), upload("huge.pdf", PDF + b"0" * 4096)],
         "note": "Version 1", "version": 1},
    )  # fmt: skip

    assert response.status_code == 400
    assert response.context["form"].errors["files"] == [
        "“design.docx” does not look like a Word document file: its content does not match its "
        "name. Upload a PDF, a Word, Excel or PowerPoint file (.docx, .xlsx, .pptx), a ZIP "
        "archive, an image (PNG, JPEG) or a text, Markdown or CSV file.",
        "“huge.pdf” is 4 KB; deliverable files can be at most 1 KB.",
    ]
    assert not Submission.objects.exists()
    assert fresh(ours).status == "planned"


def test_the_vendor_sees_the_reasons_of_a_rejected_round(tom, ours):
    submit(ours, actor=tom)
    review(ours, True, "The sign-off page is missing.")

    detail = client_for(tom).get(f"{PORTAL}{ours.key}/")

    body = detail.content.decode()
    assert "The sign-off page is missing." in body
    assert "Resubmit: 1 criterion not met in round 1." in body
    assert f"{PORTAL}{ours.key}/submit/" in body


def test_another_vendors_deliverable_is_404_everywhere(tom, ours, theirs):
    client = client_for(tom)
    api = api_for(tom)
    file = Submission.objects.get(deliverable=theirs).files.get()

    pages = [
        client.get(f"{PORTAL}{theirs.key}/"),
        client.get(f"{PORTAL}{theirs.key}/submit/"),
        client.post(f"{PORTAL}{theirs.key}/submit/", {"files": [upload()], "version": 1}),
        client.get(f"{PORTAL}{theirs.key}/files/{file.pk}/"),
        client.get(f"{PORTAL}{ours.key}/files/{file.pk}/"),  # my key, their file
        api.get(f"{API}portal/deliverables/{theirs.key}/"),
        api.post(f"{API}portal/deliverables/{theirs.key}/submissions/", {"files": [upload()]}),
        api.get(f"{API}portal/deliverables/{theirs.key}/files/{file.pk}/download/"),
        api.get(f"{API}portal/deliverables/{ours.key}/files/{file.pk}/download/"),
    ]

    assert [p.status_code for p in pages] == [404] * len(pages)
    assert Submission.objects.count() == 1
    listed = api.get(f"{API}portal/deliverables/").json()
    assert [d["key"] for d in listed["results"]] == [ours.key]


def test_the_vendor_cannot_reach_the_programs_pages_or_api(tom, ours):
    client = client_for(tom)
    api = api_for(tom)

    assert client.get("/programs/ERP/vendors/deliverables/").status_code == 403
    assert client.get(f"/programs/ERP/vendors/deliverables/{ours.key}/").status_code == 403
    assert api.get(f"{API}deliverables/").status_code == 403
    assert api.get(f"{API}deliverables/{ours.key}/").status_code == 403
    assert api.post(f"{API}deliverables/{ours.key}/review/", {}, format="json").status_code == 403


def test_a_vendor_user_not_bound_to_a_vendor_is_told_so(program, ours):
    loose = member(program, Role.VENDOR).user

    response = client_for(loose).get(PORTAL)

    assert response.status_code == 403
    assert "not linked to a vendor" in response.content.decode()


def test_internal_roles_do_not_use_the_portal(program, manager):
    assert client_for(manager).get(PORTAL).status_code == 403


def test_the_vendor_downloads_its_own_files(tom, ours):
    submission = submit(ours, actor=tom, files=[upload("design.pdf", PDF)])
    file = submission.files.get()

    page = client_for(tom).get(f"{PORTAL}{ours.key}/files/{file.pk}/")
    api = api_for(tom).get(f"{API}portal/deliverables/{ours.key}/files/{file.pk}/download/")

    assert b"".join(page.streaming_content) == PDF
    assert b"".join(api.streaming_content) == PDF


def test_portal_api_submit_and_detail(tom, ours):
    api = api_for(tom)

    created = api.post(
        f"{API}portal/deliverables/{ours.key}/submissions/",
        {"files": [upload("design.pdf", PDF)], "note": "v1"},
        format="multipart",
    )
    detail = api.get(f"{API}portal/deliverables/{ours.key}/")

    assert created.status_code == 201, created.content
    assert created.json()["round"] == 1
    assert created.json()["files"][0]["download_url"].startswith(
        f"{API}portal/deliverables/{ours.key}/files/"
    )
    body = detail.json()
    assert (body["status"], body["reviewer"]) == ("submitted", None)
    assert body["next_step"].startswith("Nothing to do: round 1 is with the program")
    assert [c["number"] for c in body["criteria"]] == [1, 2]


def test_portal_list_query_count_is_constant(program, northwind, tom, count_queries):
    contract = make_contract(program, northwind)
    client = client_for(tom)
    counts = []
    for n in (1, 3):
        while program and contract.deliverables.count() < n:
            d = make_deliverable(program, contract, due_date=dt.date(2026, 12, 1 + n))
            submit(d, actor=tom)
            review(d, True, "Missing")
        client.get(PORTAL)
        with count_queries() as ctx:
            client.get(PORTAL)
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]
