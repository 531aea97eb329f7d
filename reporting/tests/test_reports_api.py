"""Status reports API: list, open, detail with the snapshot, narrative with If-Match, the steps,
overrides, commentary, files, settings; 400/403/404/409/412/428 with reasons."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from budgets.selectors.evm import program_today
from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, manager_of, member
from reporting.models import RagOverride, StatusReport
from reporting.periods import period_of, shift
from reporting.services import reports as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory(code="API", name="API test")


@pytest.fixture
def manager(program):
    return manager_of(program)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def base(program):
    return f"/api/v1/programs/{program.code}/reports/"


@pytest.fixture
def report(program, manager):
    week = shift(period_of(program_today(program)), -1)
    return services.report_open(actor=manager, program=program, period=week)


def test_open_list_and_detail(program, manager, base):
    client = api(manager)
    week = period_of(program_today(program))
    created = client.post(base, {"period": week}, format="json")
    assert created.status_code == 201 and created["ETag"] == '"1"'
    data = created.json()
    assert (data["period"], data["status"], data["snapshot"]["status"]) == (week, "draft", "draft")
    assert data["rag"]["cost"] == "grey" and data["snapshot"]["has_budget"] is False
    again = client.post(base, {"period": week}, format="json")
    assert again.status_code == 409 and "already has a report" in again.json()["detail"]
    bad = client.post(base, {"period": "2026-W77"}, format="json")
    assert bad.status_code == 400 and bad.json() == {"period": ["2026 has no week 77."]}
    listed = client.get(base).json()
    assert [row["period"] for row in listed] == [week]
    detail = client.get(f"{base}{week}/")
    assert detail.status_code == 200 and detail["ETag"] == '"1"'
    assert client.get(f"{base}2020-W01/").status_code == 404


def test_narrative_patch_needs_if_match_and_refuses_a_stale_one(manager, base, report):
    client = api(manager)
    target = f"{base}{report.period}/"
    assert client.patch(target, {"headline": "X"}, format="json").status_code == 428
    ok = client.patch(target, {"headline": "On plan."}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok.json()["headline"] == "On plan." and ok["ETag"] == '"2"'
    stale = client.patch(target, {"headline": "Late."}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["headline"] == "On plan."
    assert stale.json()["changed_fields"]["headline"] == ["", "On plan."]


def test_override_without_a_reason_is_400_and_with_one_changes_the_overall(manager, base, report):
    client = api(manager)
    target = f"{base}{report.period}/overrides/"
    refused = client.post(target, {"dimension": "risk", "rag": "red", "reason": ""},
                          format="json")  # fmt: skip
    assert refused.status_code == 400 and "reason" in refused.json()
    assert not RagOverride.objects.exists()
    done = client.post(target, {"dimension": "risk", "rag": "red", "reason": "Vendor risk."},
                       format="json")  # fmt: skip
    assert done.status_code == 200
    assert (done.json()["rag"]["risk"], done.json()["overall_rag"]) == ("red", "red")
    line = next(r for r in done.json()["snapshot"]["rag"] if r["dimension"] == "risk")
    assert line["override_reason"] == "Vendor risk." and line["computed_rag"]
    assert client.get(target).json()[0]["reason"] == "Vendor risk."
    assert client.delete(f"{target}risk/").status_code == 204
    assert client.delete(f"{target}risk/").status_code == 409


def test_roles_overrides_and_publishing_are_the_managers(program, base, report):
    coordinator = api(member(program, Role.COORDINATOR).user)
    assert coordinator.post(f"{base}{report.period}/overrides/",
                            {"dimension": "risk", "rag": "red", "reason": "x"},
                            format="json").status_code == 403  # fmt: skip
    assert coordinator.post(f"{base}{report.period}/publish/").status_code == 403
    viewer = api(member(program, Role.VIEWER).user)
    assert viewer.get(f"{base}{report.period}/").status_code == 200
    assert viewer.post(f"{base}{report.period}/submit/").status_code == 403
    outsider = api(member(ProgramFactory(), Role.MANAGER).user)
    assert outsider.get(f"{base}{report.period}/").status_code == 404


def test_commentary_by_workstream_key(program, manager, base, report):
    lead = member(program, Role.CONTRIBUTOR).user
    mine = WorkstreamFactory(program=program, name="Finance", lead=lead)
    other = WorkstreamFactory(program=program, name="Supply")
    client = api(lead)
    target = f"{base}{report.period}/commentary/"
    saved = client.post(target, {"workstream": mine.key, "rag": "amber", "text": "Late close."},
                        format="json")  # fmt: skip
    assert saved.status_code == 200 and saved.json()["workstream_name"] == "Finance"
    forbidden = client.post(target, {"workstream": other.key, "rag": "green", "text": "Hi"},
                            format="json")  # fmt: skip
    assert forbidden.status_code == 403
    unknown = client.post(target, {"workstream": "WS-99", "rag": "green", "text": "Hi"},
                          format="json")  # fmt: skip
    assert unknown.status_code == 400 and "WS-99" in unknown.json()["workstream"][0]
    assert [c["text"] for c in client.get(target).json()] == ["Late close."]
    assert client.delete(f"{target}{mine.key}/").status_code == 204


def test_publish_freezes_and_every_change_answers_409(manager, base, report):
    client = api(manager)
    published = client.post(f"{base}{report.period}/publish/", {"version": 1}, format="json")
    assert published.status_code == 200
    data = published.json()
    assert data["status"] == "published" and data["snapshot"]["status"] == "published"
    for method, path, body in [
        ("post", "refresh/", {}),
        ("post", "submit/", {}),
        ("post", "overrides/", {"dimension": "risk", "rag": "red", "reason": "Late."}),
        ("patch", "", {"headline": "Changed", "version": data["version"]}),
    ]:
        response = getattr(client, method)(f"{base}{report.period}/{path}", body, format="json")
        assert response.status_code == 409, path
        assert "frozen" in response.json()["detail"]
    report.refresh_from_db()
    assert report.headline == ""


def test_files_answer_pdfs_whatever_accept_says(manager, base, report):
    client = api(manager)
    for name in ("briefing.pdf", "deck.pdf"):
        response = client.get(f"{base}{report.period}/{name}", HTTP_ACCEPT="application/pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_settings_read_by_members_changed_by_the_manager_with_if_match(program, manager, base):
    viewer = api(member(program, Role.VIEWER).user)
    read = viewer.get(f"{base}settings/")
    assert read.status_code == 200 and read.json()["spi_red"] == "0.90"
    assert viewer.patch(f"{base}settings/", {"spi_red": "0.8"}, format="json",
                        HTTP_IF_MATCH=read["ETag"]).status_code == 403  # fmt: skip
    client = api(manager)
    bad = client.patch(f"{base}settings/", {"cpi_red": "0.99"}, format="json",
                       HTTP_IF_MATCH=read["ETag"])  # fmt: skip
    assert bad.status_code == 400 and "cpi_red" in bad.json()
    ok = client.patch(f"{base}settings/", {"cpi_red": "0.85"}, format="json",
                      HTTP_IF_MATCH=read["ETag"])  # fmt: skip
    assert ok.status_code == 200 and ok.json()["cpi_red"] == "0.85"
    stale = client.patch(f"{base}settings/", {"cpi_red": "0.80"}, format="json",
                         HTTP_IF_MATCH=read["ETag"])  # fmt: skip
    assert stale.status_code == 412
    assert StatusReport.objects.count() == 0
