"""RAID import and export through the API (multipart upload; 400 with every problem)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditEntry, KeySequence
from core.permissions import Role
from programs.tests.factories import WorkstreamFactory, member
from risks import services
from risks.models import Action, Assumption, Dependency, Issue, Risk

pytestmark = pytest.mark.django_db
MODELS = (Risk, Issue, Assumption, Dependency, Action)

GOOD = (
    b"Type,Key,Title,Owner,Workstream,Probability,Schedule impact,Due date,Linked to\r\n"
    b"Risk,R-1,Legacy data quality,ana@example.com,Data Migration,4,4,,\r\n"
    b"Action,,Re-run the cleansing rules,ana@example.com,,,,2026-03-18,R-1\r\n"
)
BAD = b"Type,Title,Probability,Impact\r\nRisk,Too likely,9,2\r\nRisk,,1,6\r\nIssue,Fine,,\r\n"


@pytest.fixture
def setup(program, users_by_role):
    ana = member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza").user
    WorkstreamFactory(program=program, name="Data Migration", lead=ana)
    return users_by_role


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(name: str) -> str:
    return reverse(f"api_v1:{name}", kwargs={"code": "ERP"})


def upload(data: bytes, name: str = "raid.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def state() -> dict:
    return {
        "items": {m.__name__: list(m.objects.order_by("pk").values()) for m in MODELS},
        "audit": AuditEntry.objects.count(),
        "keys": list(KeySequence.objects.order_by("pk").values()),
    }


def test_import_creates_every_row(setup):
    response = api(setup["manager"]).post(
        url("raid_import"), {"file": upload(GOOD)}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json() == {
        "dry_run": False,
        "created": 2,
        "counts": {"risks": 1, "issues": 0, "assumptions": 0, "dependencies": 0, "actions": 1},
        "notes": [],
        "items": [
            {"line": "Line 2", "type": "risks", "file_key": "R-1", "key": "RSK-1",
             "title": "Legacy data quality"},
            {"line": "Line 3", "type": "actions", "file_key": "", "key": "ACT-1",
             "title": "Re-run the cleansing rules"},
        ],
    }  # fmt: skip
    assert Action.objects.get().subject_key == "RSK-1"


def test_dry_run_answers_200_and_writes_nothing(setup):
    before = state()

    response = api(setup["coordinator"]).post(
        url("raid_import"), {"file": upload(GOOD), "dry_run": "true"}, format="multipart"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["dry_run"], body["created"], [i["key"] for i in body["items"]]) == (
        True, 0, ["RSK-1", "ACT-1"],
    )  # fmt: skip
    assert state() == before


def test_bad_file_answers_400_with_every_problem(setup):
    before = state()

    response = api(setup["manager"]).post(
        url("raid_import"), {"file": upload(BAD)}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Line 2: Probability: 9 is outside 1-5.",
            "Line 3: Title: required.",
            "Line 3: Impact: 6 is outside 1-5.",
        ]
    }
    assert state() == before


@pytest.mark.parametrize(
    ("data", "body"),
    [
        ({}, {"file": ["Send the CSV or XLSX file as `file` (multipart)."]}),
        ({"file": "raid.csv"}, {"file": ["Send the CSV or XLSX file as `file` (multipart)."]}),
        (
            {"file": SimpleUploadedFile("empty.csv", b"")},
            {"non_field_errors": ["The file is empty."]},
        ),
    ],
)
def test_missing_or_empty_file(setup, data, body):
    response = api(setup["manager"]).post(url("raid_import"), data, format="multipart")

    assert response.status_code == 400
    assert response.json() == body
    assert Risk.objects.count() == 0


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.VIEWER, Role.EXECUTIVE])
def test_import_is_refused_without_the_import_right(setup, role):
    before = state()

    response = api(setup[role]).post(url("raid_import"), {"file": upload(GOOD)}, format="multipart")

    assert response.status_code == 403
    assert state() == before


def test_non_members_get_404(setup):
    from core.tests.factories import UserFactory

    response = api(UserFactory()).post(
        url("raid_import"), {"file": upload(GOOD)}, format="multipart"
    )

    assert response.status_code == 404
    assert Risk.objects.count() == 0


# --- exports ------------------------------------------------------------------------------


@pytest.fixture
def log(setup, program):
    pm = setup["manager"]
    services.risk_create(actor=pm, program=program, title="High", probability=5)
    services.risk_create(actor=pm, program=program, title="Low", probability=1)
    services.risk_create(actor=pm, program=program, title="Gone", status="closed")
    services.issue_create(actor=pm, program=program, title="Broken")
    return program


def rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_export_csv_with_filters_and_sort(log, setup):
    client = api(setup["viewer"])

    response = client.get(url("raid_export_csv"), {"type": "risks", "sort": "score"})
    everything = client.get(url("raid_export_csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [r["Title"] for r in rows(response)] == ["Low", "High"]  # open only, lowest first
    # the whole log: each type in its list's default order (risks by score)
    assert [r["Key"] for r in rows(everything)] == ["RSK-1", "RSK-3", "RSK-2", "ISS-1"]


def test_export_xlsx(log, setup):
    response = api(setup["viewer"]).get(url("raid_export_xlsx"), {"type": "risks", "state": "all"})

    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["Risks", "About this export"]
    assert [r[1] for r in book["Risks"].iter_rows(min_row=2, values_only=True)] == [
        "High", "Gone", "Low",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"type": "nope"}, {"type": ["Choose one of risks, issues, assumptions, dependencies, "
                                     "actions."]}),
        ({"type": "risks", "band": "huge"},
         {"band": ["Select a valid choice. huge is not one of the available choices."]}),
    ],
)  # fmt: skip
def test_export_with_bad_parameters_answers_400(log, setup, params, body):
    response = api(setup["viewer"]).get(url("raid_export_csv"), params)

    assert response.status_code == 400
    assert response.json() == body


def test_export_is_for_internal_members(log, setup):
    assert api(setup["vendor"]).get(url("raid_export_csv")).status_code == 403
    assert APIClient().get(url("raid_export_xlsx")).status_code == 401
