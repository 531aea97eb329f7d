"""The compliance pages through the client: the list (filters, sorting, paging, query counts),
an obligation with its evidence and history, the forms, uploads with their refusals, downloads
and the evidence package."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import OutboundEmail
from core.permissions import Role
from governance.models import Evidence, Obligation
from governance.services import compliance as services
from programs.tests.factories import member

from .compliance_factories import PDF, evidence, media, obligation, upload  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def url(name: str, **kwargs) -> str:
    return reverse(f"governance:{name}", kwargs={"code": "ERP", **kwargs})


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def register(program, manager):
    ana = member(program, Role.CONTRIBUTOR, full_name="Ana Souza").user
    return {
        "gdpr": obligation(program, title="Security of processing", reference="GDPR Art. 32"),
        "sox": obligation(
            program, title="Access reviews", reference="SOX ITGC AC-1", owner=ana,
            status="non_compliant", review_date=dt.date(2020, 1, 1),
        ),
        "msa": obligation(
            program, title="EU data centres", reference="MSA §14.2", kind="contract",
            status="at_risk",
        ),
    }  # fmt: skip


def keys(response) -> list[str]:
    return [o.key for o in response.context["page_obj"]]


# --- the list -------------------------------------------------------------------------------------


def test_list_shows_counts_and_every_obligation(program, manager, register):
    response = logged_in(manager).get(url("compliance_list"))

    assert response.status_code == 200
    assert keys(response) == ["CMP-1", "CMP-2", "CMP-3"]
    counts = {c["value"]: c["count"] for c in response.context["counts"]}
    assert counts == {"compliant": 1, "at_risk": 1, "non_compliant": 1, "not_assessed": 0}
    html = response.content.decode()
    assert "New obligation" in html
    assert 'value="CMP-2" form="package-form"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=non_compliant", ["CMP-2"]),
        ("kind=contract", ["CMP-3"]),
        ("q=gdpr", ["CMP-1"]),
        ("q=cmp-3", ["CMP-3"]),
        ("review=overdue", ["CMP-2"]),
        ("sort=-reference", ["CMP-2", "CMP-3", "CMP-1"]),
        ("sort=status", ["CMP-3", "CMP-1", "CMP-2"]),
    ],
)
def test_list_filters_and_sorts(program, manager, register, query, expected):
    response = logged_in(manager).get(url("compliance_list") + "?" + query)

    assert keys(response) == expected


def test_list_filters_by_owner_and_answers_htmx_with_the_table(program, manager, register):
    ana = register["sox"].owner

    response = logged_in(manager).get(
        url("compliance_list") + f"?owner={ana.pk}", headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="obligation-table"')
    assert "CMP-2" in html and "CMP-1" not in html


def test_list_pages_25_at_a_time(program, manager):
    for n in range(27):
        obligation(program, reference=f"Policy {n}")

    first = logged_in(manager).get(url("compliance_list"))
    second = logged_in(manager).get(url("compliance_list") + "?page=2")

    assert len(first.context["page_obj"]) == 25
    assert keys(second) == ["CMP-26", "CMP-27"]


def test_empty_list_invites_the_first_obligation(program, manager, users_by_role):
    assert "No obligations yet" in logged_in(manager).get(url("compliance_list")).content.decode()
    viewer = logged_in(users_by_role["viewer"]).get(url("compliance_list")).content.decode()
    assert "The program manager or a coordinator keeps the compliance register." in viewer
    assert "New obligation" not in viewer


LIST_QUERIES = 10


@pytest.mark.parametrize("rows", [1, 3])
def test_list_query_count_does_not_grow(rows, program, manager, django_assert_num_queries):
    for n in range(rows):
        item = obligation(program, reference=f"GDPR Art. {30 + n}")
        evidence(item, f"e{n}.txt", b"evidence\n")
    client = logged_in(manager)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url("compliance_list"))

    assert len(response.context["page_obj"]) == rows


# --- forms ----------------------------------------------------------------------------------------


def form_data(**fields) -> dict:
    return {
        "title": "Record of processing",
        "kind": "regulation",
        "reference": "GDPR Art. 30",
        "text": "",
        "control": "The DPO reviews the record before each go-live.",
        "review_date": "2026-12-01",
        "status": "at_risk",
        "notes": "",
        **fields,
    }


def test_create_an_obligation(program, manager):
    response = logged_in(manager).post(url("compliance_create"), form_data(owner=manager.pk))

    created = Obligation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("compliance_detail", key="CMP-1")
    assert (created.reference, created.status, created.owner) == (
        "GDPR Art. 30",
        "at_risk",
        manager,
    )


def test_create_refusal_keeps_the_input(program, manager):
    response = logged_in(manager).post(url("compliance_create"), form_data(owner="", title=""))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="GDPR Art. 30"' in html
    assert response.context["form"].errors.keys() == {"title", "owner"}
    assert Obligation.objects.count() == 0


def test_edit_to_non_compliant_says_the_manager_was_emailed(program, manager, register):
    item = register["gdpr"]
    client = logged_in(manager)

    response = client.post(
        url("compliance_edit", key=item.key),
        form_data(owner=manager.pk, status="non_compliant", version="1", reference="GDPR Art. 32"),
        follow=True,
    )

    assert "CMP-1 saved. It is non-compliant: the program manager has been e-mailed." in (
        response.content.decode()
    )
    assert (
        OutboundEmail.objects.filter(
            idempotency_key__startswith=f"compliance-escalation:{item.pk}:"
        ).count()
        == 1
    )


def test_stale_edit_shows_the_other_change_and_keeps_the_input(program, manager, register):
    item = register["gdpr"]
    services.obligation_update(
        actor=manager, obligation=item, expected_version=1, notes="Re-tested"
    )

    response = logged_in(manager).post(
        url("compliance_edit", key=item.key),
        form_data(owner=manager.pk, version="1", reference="GDPR Art. 32", title="Security"),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "changed this while you were editing (Findings: (empty) → Re-tested)" in html
    assert 'value="Security"' in html
    assert 'name="version" value="2"' in html
    item.refresh_from_db()
    assert item.title == "Security of processing"


def test_contributor_cannot_edit_but_can_add_evidence(program, users_by_role, register):
    client = logged_in(users_by_role["contributor"])

    assert client.get(url("compliance_edit", key="CMP-1")).status_code == 403
    response = client.post(
        url("compliance_evidence_upload", key="CMP-1"),
        {"file": upload("review.pdf", PDF), "note": "Signed"},
    )
    assert response.status_code == 302
    assert Evidence.objects.get().uploaded_by == users_by_role["contributor"]


def test_delete_refused_with_evidence_and_done_without(program, manager, register):
    evidence(register["gdpr"])
    client = logged_in(manager)

    page = client.get(url("compliance_delete", key="CMP-1")).content.decode()
    refused = client.post(url("compliance_delete", key="CMP-1"), {"version": "1"}, follow=True)
    deleted = client.post(url("compliance_delete", key="CMP-3"), {"version": "1"})

    assert "CMP-1 cannot be deleted yet" in page
    assert "auditors may need them" in refused.content.decode()
    assert Obligation.objects.filter(key="CMP-1").exists()
    assert deleted["Location"] == url("compliance_list")
    assert not Obligation.objects.filter(key="CMP-3").exists()


# --- detail, evidence and history -----------------------------------------------------------------


def test_detail_shows_the_obligation_its_evidence_and_the_escalation(program, manager, register):
    evidence(register["sox"], "q3.txt", b"open: 81\n", note="Q3 status")

    response = logged_in(manager).get(url("compliance_detail", key="CMP-2"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Non-compliant since" in html
    assert "Step 1: e-mailed the program manager" in html
    assert "Next escalation on" in html
    assert "q3.txt" in html and "Q3 status" in html
    assert "Add evidence" in html


def test_upload_refusal_says_why(program, manager, register):
    response = logged_in(manager).post(
        url("compliance_evidence_upload", key="CMP-1"),
        {"file": upload("setup.exe", b"MZ\x90"), "note": "Installer"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "“setup.exe” is not a type accepted as evidence." in html
    assert "Installer" in html  # the note is kept
    assert "choose it again" in html
    assert Evidence.objects.count() == 0


def test_upload_without_a_file(program, manager, register):
    response = logged_in(manager).post(url("compliance_evidence_upload", key="CMP-1"), {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_download_gives_the_file_as_an_attachment(program, users_by_role, register):
    added = evidence(register["gdpr"], "pentest.pdf", PDF)

    response = logged_in(users_by_role["viewer"]).get(
        url("compliance_evidence_download", key="CMP-1", pk=added.pk)
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="pentest.pdf"'
    assert b"".join(response.streaming_content) == PDF


def test_download_of_another_obligations_file_is_404(program, manager, register):
    added = evidence(register["gdpr"])

    response = logged_in(manager).get(url("compliance_evidence_download", key="CMP-2", pk=added.pk))

    assert response.status_code == 404


def test_evidence_removal(program, manager, register):
    added = evidence(register["gdpr"])
    client = logged_in(manager)

    assert (
        "filed in error"
        in client.get(url("compliance_evidence_delete", key="CMP-1", pk=added.pk)).content.decode()
    )
    response = client.post(
        url("compliance_evidence_delete", key="CMP-1", pk=added.pk), {"version": "1"}
    )

    assert response["Location"] == url("compliance_detail", key="CMP-1") + "#evidence"
    assert not Evidence.objects.exists()


def test_history_tab_lists_the_changes_and_the_evidence(program, manager, register):
    evidence(register["gdpr"], "pentest.pdf", PDF)
    services.obligation_update(
        actor=manager, obligation=register["gdpr"], expected_version=1, status="non_compliant"
    )

    response = logged_in(manager).get(url("compliance_detail", key="CMP-1") + "?tab=history")

    html = response.content.decode()
    assert [e.action for e in response.context["history"]] == ["update", "create", "create"]
    assert "Escalation level" in html and "Step 1: e-mailed" in html
    assert "CMP-1 · pentest.pdf" in html


# --- the evidence package -------------------------------------------------------------------------


def test_package_from_the_list_of_ticked_obligations(program, users_by_role, register):
    evidence(register["gdpr"], "pentest.pdf", PDF)
    evidence(register["sox"], "q3.txt", b"open: 81\n")

    response = logged_in(users_by_role["executive"]).get(
        url("compliance_package") + "?obligations=CMP-2&obligations=CMP-3"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="ERP-evidence-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["CMP-2 SOX ITGC AC-1/q3.txt", "index.csv"]
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert [(r["obligation_key"], r["file_name"]) for r in index] == [
        ("CMP-2", "CMP-2 SOX ITGC AC-1/q3.txt"),
        ("CMP-3", ""),
    ]


def test_package_of_everything_and_unknown_keys(program, manager, register):
    evidence(register["gdpr"], "pentest.pdf", PDF)
    client = logged_in(manager)

    everything = client.get(url("compliance_package"))
    unknown = client.get(url("compliance_package") + "?obligations=CMP-99")

    archive = zipfile.ZipFile(io.BytesIO(b"".join(everything.streaming_content)))
    assert sorted(archive.namelist()) == ["CMP-1 GDPR Art. 32/pentest.pdf", "index.csv"]
    assert unknown.status_code == 404


def test_vendor_sees_no_compliance(program, users_by_role, register):
    client = logged_in(users_by_role["vendor"])

    assert client.get(url("compliance_list")).status_code == 403
    assert client.get(url("compliance_package")).status_code == 403
    assert mail.outbox == []
