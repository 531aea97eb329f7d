"""The traceability API: JSON pages with the scope's counts, CSV and XLSX, filters and their
400s, paging, roles (403), non-members (404) and anonymous calls (401)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from releases.tests import factories
from releases.tests.traceability_factories import full_requirement, setting

pytestmark = pytest.mark.django_db


def api_url(program) -> str:
    return reverse("api_v1:releases_traceability", kwargs={"code": program.code})


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def data(program):
    where = setting(program)
    full = full_requirement(program, where, 1, cases=2)
    untested = [factories.make_requirement(program, title=f"Untested {n}") for n in range(3)]
    return {"full": full, "untested": untested, "release": where.release}


def test_json_rows_with_links_results_and_gaps(api, program, data):
    response = api.get(api_url(program))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4 and body["page"] == 1 and body["pages"] == 1
    assert body["next"] is None and body["previous"] is None
    assert body["filters"] == {}
    assert body["summary"] == {
        "requirements": 4, "with_tests": 1, "passing": 0, "accepted": 0, "coverage_percent": 25,
        "gaps": {"no_test": 3, "failing": 1, "not_run": 0, "blocking_defect": 1,
                 "unaccepted": 4, "covered": 0},
    }  # fmt: skip
    full = body["results"][0]
    assert full["key"] == data["full"].key
    assert full["priority"] == "must" and full["status"] == "proposed"
    assert [c["latest_result"] for c in full["test_cases"]] == ["fail", "pass"]
    assert all(c["latest_run_at"] for c in full["test_cases"])
    assert sorted(d["severity"] for d in full["open_defects"]) == [1, 3]
    assert full["releases"] == [
        {"key": data["release"].key, "version": data["release"].version_label}
    ]
    assert len(full["deliverables"]) == 1 and len(full["change_requests"]) == 1
    assert full["change_requests"][0]["status"] == "draft"
    assert full["gaps"] == ["failing", "blocking_defect", "unaccepted"]
    assert body["results"][1]["gaps"] == ["no_test", "unaccepted"]


def test_filters_and_pages(api, program, data):
    body = api.get(api_url(program), {"gap": "no_test", "page_size": 2}).json()
    assert body["count"] == 3 and body["pages"] == 2
    assert [r["key"] for r in body["results"]] == [r.key for r in data["untested"][:2]]
    assert body["summary"]["requirements"] == 4  # the gap chooses within the scope
    assert "page=2" in body["next"] and "gap=no_test" in body["next"]
    second = api.get(body["next"]).json()
    assert [r["key"] for r in second["results"]] == [data["untested"][2].key]
    assert second["previous"] and "page=" not in second["previous"]
    body = api.get(api_url(program), {"release": data["release"].key}).json()
    assert [r["key"] for r in body["results"]] == [data["full"].key]
    assert body["filters"] == {"release": data["release"].key}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"gap": "nope"}, "gap"),
        ({"status": "done"}, "status"),
        ({"priority": "x"}, "priority"),
        ({"workstream": "WS-77"}, "workstream"),
        ({"release": "REL-77"}, "release"),
        ({"format": "pdf"}, "format"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"page": "two"}, "page"),
    ],
)
def test_bad_parameters_answer_400_naming_them(api, program, data, params, field):
    response = api.get(api_url(program), params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_page_past_the_end_is_404(api, program, data):
    assert api.get(api_url(program), {"page": 9}).status_code == 404


def test_csv_and_xlsx(api, program, data):
    response = api.get(api_url(program), {"format": "csv", "gap": "no_test"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Key"] for r in rows] == [r.key for r in data["untested"]]
    response = api.get(api_url(program), {"format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book["Traceability"].max_row == 5  # header + 4 requirements


def test_roles_members_and_anonymous(program, data, users_by_role):
    client = APIClient()
    assert client.get(api_url(program)).status_code == 401
    client.force_authenticate(users_by_role[Role.VIEWER])
    assert client.get(api_url(program)).status_code == 200
    client.force_authenticate(users_by_role[Role.VENDOR])
    assert client.get(api_url(program)).status_code == 403
    client.force_authenticate(member(ProgramFactory()).user)
    assert client.get(api_url(program)).status_code == 404
