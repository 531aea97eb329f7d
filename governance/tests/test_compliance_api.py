"""The compliance API: obligations with If-Match versions (412/428), filters, history, evidence
uploads (multipart) and downloads, the evidence package, roles and query counts."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import AuditEntry, OutboundEmail
from core.tests.factories import UserFactory
from governance.models import Evidence, Obligation
from governance.services import compliance as services

from .compliance_factories import PDF, evidence, media, obligation, upload  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

BASE = "/api/v1/programs/ERP/governance/compliance/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def state() -> tuple:
    return (
        list(Obligation.objects.order_by("pk").values()),
        list(Evidence.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


NEW = {
    "title": "Record of processing",
    "kind": "regulation",
    "reference": "GDPR Art. 30",
    "review_date": "2026-12-01",
    "status": "at_risk",
}


def test_create_and_read_an_obligation(program, manager):
    client = api(manager)

    created = client.post(f"{BASE}obligations/", {**NEW, "owner_id": manager.pk}, format="json")
    read = client.get(f"{BASE}obligations/CMP-1/")

    assert created.status_code == 201
    assert created["ETag"] == '"1"'
    body = read.json()
    assert read["ETag"] == '"1"'
    assert {
        k: body[k] for k in ("key", "reference", "status", "review_date", "evidence_count")
    } == {
        "key": "CMP-1",
        "reference": "GDPR Art. 30",
        "status": "at_risk",
        "review_date": "2026-12-01",
        "evidence_count": 0,
    }
    assert body["owner"] == {"id": manager.pk, "full_name": manager.full_name}


def test_create_refusals(program, manager):
    before = state()
    client = api(manager)

    outsider = client.post(
        f"{BASE}obligations/", {**NEW, "owner_id": UserFactory().pk}, format="json"
    )
    missing = client.post(f"{BASE}obligations/", {"title": "x"}, format="json")
    bad_status = client.post(
        f"{BASE}obligations/", {**NEW, "owner_id": manager.pk, "status": "fine"}, format="json"
    )

    assert outsider.status_code == 400
    assert "is not a member of ERP" in outsider.json()["owner_id"][0]
    assert set(missing.json()) == {"kind", "reference", "owner_id", "review_date"}
    assert bad_status.json() == {"status": ['"fine" is not a valid choice.']}
    assert state() == before


def test_patch_needs_a_current_version(program, manager):
    item = obligation(program)
    services.obligation_update(actor=manager, obligation=item, expected_version=1, notes="Done")
    before = state()
    client = api(manager)

    missing = client.patch(f"{BASE}obligations/CMP-1/", {"notes": "x"}, format="json")
    stale = client.patch(
        f"{BASE}obligations/CMP-1/", {"notes": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["changed_fields"] == {"notes": ["", "Done"]}
    assert stale.json()["current"]["version"] == 2
    assert state() == before


def test_patch_to_non_compliant_escalates(program, manager):
    obligation(program)

    response = api(manager).patch(
        f"{BASE}obligations/CMP-1/", {"status": "non_compliant"}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["escalation_level"], body["version"]) == ("non_compliant", 1, 2)
    assert body["last_escalation"].startswith("Step 1: e-mailed the program manager")
    assert (
        OutboundEmail.objects.filter(idempotency_key__startswith="compliance-escalation:").count()
        == 1
    )


def test_delete_refused_with_evidence(program, manager):
    evidence(obligation(program))
    before = state()

    response = api(manager).delete(f"{BASE}obligations/CMP-1/", HTTP_IF_MATCH='"1"')

    assert response.status_code == 400
    assert "auditors may need them" in response.json()["non_field_errors"][0]
    assert state() == before


def test_filters_and_sorting(program, manager):
    obligation(program, reference="GDPR Art. 32", status="compliant")
    obligation(program, reference="SOX ITGC AC-1", status="non_compliant")
    obligation(program, reference="MSA §14.2", kind="contract", status="at_risk")
    client = api(manager)

    def keys(query: str) -> list[str]:
        return [o["key"] for o in client.get(f"{BASE}obligations/?{query}").json()["results"]]

    assert keys("status=non_compliant") == ["CMP-2"]
    assert keys("kind=contract") == ["CMP-3"]
    assert keys("q=sox") == ["CMP-2"]
    assert keys("sort=-reference") == ["CMP-2", "CMP-3", "CMP-1"]
    assert client.get(f"{BASE}obligations/?status=bad").status_code == 400


@pytest.mark.parametrize("rows", [1, 3])
def test_obligation_list_query_count_does_not_grow(
    rows, program, manager, django_assert_num_queries
):
    for n in range(rows):
        evidence(obligation(program, reference=f"GDPR Art. {n}"), f"{n}.txt", b"x\n")
    client = api(manager)

    with django_assert_num_queries(6):
        response = client.get(f"{BASE}obligations/")

    assert [o["evidence_count"] for o in response.json()["results"]] == [1] * rows


@pytest.mark.parametrize("rows", [1, 3])
def test_evidence_list_query_count_does_not_grow(rows, program, manager, django_assert_num_queries):
    item = obligation(program)
    for n in range(rows):
        evidence(item, f"{n}.txt", b"x\n")
    client = api(manager)

    with django_assert_num_queries(7):
        response = client.get(f"{BASE}obligations/CMP-1/evidence/")

    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_history_query_count_does_not_grow(rows, program, manager, django_assert_num_queries):
    item = obligation(program)
    for n in range(rows):
        evidence(item, f"{n}.txt", b"x\n")
    client = api(manager)

    with django_assert_num_queries(7):
        response = client.get(f"{BASE}obligations/CMP-1/history/")

    assert response.json()["count"] == rows + 1


def test_history_lists_the_changes(program, manager):
    item = obligation(program)
    evidence(item, "a.txt", b"a\n")

    response = api(manager).get(f"{BASE}obligations/CMP-1/history/")

    assert response.status_code == 200
    assert [(e["action"], e["object_type"]) for e in response.json()["results"]] == [
        ("create", "governance.evidence"),
        ("create", "governance.obligation"),
    ]


# --- evidence -------------------------------------------------------------------------------------


def test_upload_download_and_remove_evidence(program, manager, users_by_role):
    obligation(program)
    contributor = api(users_by_role["contributor"])

    uploaded = contributor.post(
        f"{BASE}obligations/CMP-1/evidence/",
        {"file": upload("pentest.pdf", PDF), "note": "External test"},
        format="multipart",
    )

    assert uploaded.status_code == 201
    body = uploaded.json()
    assert (body["file_name"], body["size"], body["content_type"]) == (
        "pentest.pdf", len(PDF), "application/pdf",
    )  # fmt: skip
    assert body["uploaded_by"]["id"] == users_by_role["contributor"].pk
    download = api(users_by_role["viewer"]).get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"] == 'attachment; filename="pentest.pdf"'
    # removal is the manager's (or coordinator's); contributors may only add
    assert (
        contributor.delete(
            f"{BASE}obligations/CMP-1/evidence/{body['id']}/", HTTP_IF_MATCH='"1"'
        ).status_code
        == 403
    )
    removed = api(manager).delete(
        f"{BASE}obligations/CMP-1/evidence/{body['id']}/", HTTP_IF_MATCH='"1"'
    )
    assert removed.status_code == 204
    assert not Evidence.objects.exists()


def test_upload_refusals_say_why(program, manager, settings):
    obligation(program)
    settings.COMPLIANCE_EVIDENCE_MAX_BYTES = 100
    client = api(manager)

    wrong_type = client.post(
        f"{BASE}obligations/CMP-1/evidence/", {"file": upload("x.exe", b"MZ")}, format="multipart"
    )
    too_big = client.post(
        f"{BASE}obligations/CMP-1/evidence/",
        {"file": upload("big.pdf", PDF + b"0" * 200)},
        format="multipart",
    )
    no_file = client.post(f"{BASE}obligations/CMP-1/evidence/", {"note": "x"}, format="multipart")

    assert wrong_type.status_code == 400
    assert wrong_type.json()["file"][0].startswith("“x.exe” is not a type accepted as evidence.")
    assert too_big.json() == {
        "file": [f"“big.pdf” is {len(PDF) + 200} bytes; evidence files can be at most 100 bytes."]
    }
    assert no_file.json() == {"file": ["No file was submitted."]}
    assert Evidence.objects.count() == 0


def test_viewer_cannot_upload(program, users_by_role):
    obligation(program)

    response = api(users_by_role["viewer"]).post(
        f"{BASE}obligations/CMP-1/evidence/", {"file": upload("a.txt", b"a\n")}, format="multipart"
    )

    assert response.status_code == 403
    assert Evidence.objects.count() == 0


def test_evidence_package_read_back(program, manager):
    first = obligation(program)
    obligation(program, reference="GDPR Art. 30")
    added = evidence(first, "pentest.pdf", PDF)

    response = api(manager).get(f"{BASE}evidence-package.zip?obligations=CMP-1,CMP-2")

    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["CMP-1 GDPR Art. 32/pentest.pdf", "index.csv"]
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert [(r["obligation_key"], r["sha256"]) for r in index] == [
        ("CMP-1", added.sha256),
        ("CMP-2", ""),
    ]
    assert api(manager).get(f"{BASE}evidence-package.zip?obligations=CMP-7").status_code == 404


def test_non_members_and_vendors(program, users_by_role):
    obligation(program)

    assert api(UserFactory()).get(f"{BASE}obligations/").status_code == 404
    assert api(users_by_role["vendor"]).get(f"{BASE}obligations/").status_code == 403
    assert api().get(f"{BASE}evidence-package.zip").status_code == 401
