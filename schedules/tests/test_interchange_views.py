"""The import page, the downloads and their API twins, through the test clients."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.permissions import Role
from core.tests.factories import UserFactory
from programs.tests.factories import ProgramFactory
from schedules import mspdi
from schedules.models import Item
from schedules.tests.factories import ItemFactory, link

pytestmark = pytest.mark.django_db

DOC = (
    '<?xml version="1.0"?>\n<Project xmlns="http://schemas.microsoft.com/project">\n'
    "<StartDate>2026-01-05T08:00:00</StartDate>\n<Tasks>\n{tasks}</Tasks>\n</Project>\n"
)
GOOD = DOC.format(
    tasks="<Task><UID>1</UID><Name>Design</Name><OutlineLevel>1</OutlineLevel>"
    "<Duration>PT16H0M0S</Duration></Task>\n"
    "<Task><UID>2</UID><Name>Build</Name><OutlineLevel>1</OutlineLevel>"
    "<Duration>PT8H0M0S</Duration><PredecessorLink><PredecessorUID>1</PredecessorUID>"
    "<Type>1</Type></PredecessorLink></Task>\n"
).encode()
BAD_TYPE = GOOD.replace(b"<Type>1</Type>", b"<Type>7</Type>")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _upload(data: bytes = GOOD, name: str = "plan.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/xml")


def _url(name: str, code: str = "ERP") -> str:
    return reverse(f"schedules:{name}", kwargs={"code": code})


def _api_url(name: str, code: str = "ERP") -> str:
    return reverse(f"api_v1:{name}", kwargs={"code": code})


# --- the import page -----------------------------------------------------------------------------


def test_import_page_shows_the_form_and_the_current_schedule(program, manager):
    ItemFactory(program=program, name="Existing")
    response = _client(manager).get(_url("import"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="file"' in body and 'name="replace"' in body
    assert "already has a schedule: 1 item" in body
    assert _url("export_mspdi") in body and _url("export_csv") in body


def test_import_page_imports_and_reports_counts_with_a_link_to_the_grid(program, manager):
    response = _client(manager).post(_url("import"), {"file": _upload()})
    assert response.status_code == 302
    assert response["Location"] == _url("import")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts[0].startswith("Imported plan.xml: 2 items, 1 link, 0 holidays and 0 baselines.")
    assert f'href="{_url("grid")}"' in texts[0]
    assert list(Item.objects.filter(program=program).values_list("name", flat=True)) == [
        "Design",
        "Build",
    ]


def test_import_page_lists_every_error_keeps_the_choice_and_imports_nothing(program, manager):
    response = _client(manager).post(
        _url("import"), {"file": _upload(BAD_TYPE, "broken.xml"), "replace": "on"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "broken.xml was not imported" in body
    assert "Task UID 2 (line 6): PredecessorLink/Type: unknown link type 7" in body
    assert 'name="replace" id="mspdi-replace" class="form-check-input"' in body
    assert "checked" in body.split('id="mspdi-replace"')[1].split(">")[0]
    assert Item.objects.filter(program=program).count() == 0


def test_import_page_needs_replace_for_a_program_with_items(program, manager):
    ItemFactory(program=program, name="Existing")
    client = _client(manager)
    response = client.post(_url("import"), {"file": _upload()})
    assert response.status_code == 400
    assert "already has a schedule (1 items)" in response.content.decode()
    assert list(Item.objects.filter(program=program).values_list("name", flat=True)) == ["Existing"]
    response = client.post(_url("import"), {"file": _upload(), "replace": "on"})
    assert response.status_code == 302
    assert Item.objects.filter(program=program).count() == 2


def test_import_page_without_a_file_says_so(program, manager):
    response = _client(manager).post(_url("import"), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.MANAGER])
def test_import_page_is_for_managers_only(role, program, users_by_role):
    client = _client(users_by_role[role])
    assert client.get(_url("import")).status_code == 403
    assert client.post(_url("import"), {"file": _upload()}).status_code == 403
    assert Item.objects.filter(program=program).count() == 0


def test_non_members_get_404_everywhere(program):
    outsider = _client(UserFactory())
    for name in ("import", "export_mspdi", "export_csv"):
        assert outsider.get(_url(name)).status_code == 404
    api = _api(UserFactory())
    for name in ("schedule_export_mspdi", "schedule_export_csv"):
        assert api.get(_api_url(name)).status_code == 404
    assert (
        api.post(_api_url("schedule_import"), GOOD, content_type="application/xml").status_code
        == 404
    )


# --- downloads ---------------------------------------------------------------------------------


def test_export_downloads_have_good_filenames(program, manager, users_by_role):
    a = ItemFactory(program=program, name="=cmd|' /C calc'!A0")
    link(a, ItemFactory(program=program, name="Second"))
    viewer = _client(users_by_role[Role.VIEWER])
    xml = viewer.get(_url("export_mspdi"))
    assert xml.status_code == 200
    assert xml["Content-Type"] == "application/xml; charset=utf-8"
    assert xml["Content-Disposition"].startswith('attachment; filename="ERP-schedule-')
    assert xml["Content-Disposition"].endswith('.xml"')
    names = [t.name for t in mspdi.parse(xml.content).tasks]
    assert names == ["ERP migration", "=cmd|' /C calc'!A0", "Second"]
    got = viewer.get(_url("export_csv"))
    assert got.status_code == 200 and got.streaming
    assert got["Content-Disposition"].startswith('attachment; filename="ERP-wbs-')
    rows = list(csv.DictReader(io.StringIO(b"".join(got.streaming_content).decode("utf-8"))))
    assert [r["name"] for r in rows] == ["'=cmd|' /C calc'!A0", "Second"]


def test_export_query_counts_do_not_grow_with_items(program, manager, count_queries):
    client = _client(manager)

    def counts() -> tuple[int, int]:
        with count_queries() as xml_ctx:
            assert client.get(_url("export_mspdi")).status_code == 200
        with count_queries() as csv_ctx:
            b"".join(client.get(_url("export_csv")).streaming_content)
        return len(xml_ctx.captured_queries), len(csv_ctx.captured_queries)

    first = ItemFactory(program=program, name="Task 1")
    client.get(_url("export_mspdi"))  # warm the session and content-type caches
    one = counts()
    link(first, ItemFactory(program=program, name="Task 2"))
    ItemFactory(program=program, name="Task 3", parent=first)
    assert counts() == one


# --- the API -----------------------------------------------------------------------------------


def test_api_import_raw_xml_body(program, manager):
    response = _api(manager).post(_api_url("schedule_import"), GOOD, content_type="application/xml")
    assert response.status_code == 201, response.content
    assert response.json() == {
        "items": 2, "links": 1, "holidays": 0, "baselines": 0, "replaced": 0, "warnings": [],
    }  # fmt: skip


def test_api_import_multipart_with_replace(program, manager):
    ItemFactory(program=program, name="Existing")
    api = _api(manager)
    refused = api.post(_api_url("schedule_import"), {"file": _upload()}, format="multipart")
    assert refused.status_code == 400
    assert "already has a schedule" in refused.json()["non_field_errors"][0]
    ok = api.post(
        _api_url("schedule_import"), {"file": _upload(), "replace": "true"}, format="multipart"
    )
    assert ok.status_code == 201
    assert ok.json()["replaced"] == 1
    assert Item.objects.filter(program=program).count() == 2


def test_api_import_replace_as_query_parameter(program, manager):
    ItemFactory(program=program, name="Existing")
    response = _api(manager).post(
        _api_url("schedule_import") + "?replace=true", GOOD, content_type="text/xml"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "content_type", "field", "message"),
    [
        (BAD_TYPE, "application/xml", "non_field_errors", "unknown link type 7"),
        (b"<html/>", "application/xml", "non_field_errors", "not MSPDI"),
        (GOOD[:120], "application/xml", "non_field_errors", "truncated"),
        (b"", "application/xml", "file", "Send an MSPDI file"),
        ({}, None, "file", "Send an MSPDI file"),
    ],
)
def test_api_import_bad_input_is_400_and_imports_nothing(
    body, content_type, field, message, program, manager
):
    api = _api(manager)
    if content_type:
        response = api.post(_api_url("schedule_import"), body, content_type=content_type)
    else:
        response = api.post(_api_url("schedule_import"), body, format="multipart")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert Item.objects.filter(program=program).count() == 0


def test_api_import_needs_the_import_permission(program, users_by_role):
    for role in (Role.COORDINATOR, Role.CONTRIBUTOR, Role.VIEWER):
        response = _api(users_by_role[role]).post(
            _api_url("schedule_import"), GOOD, content_type="application/xml"
        )
        assert response.status_code == 403
    assert Item.objects.filter(program=program).count() == 0


def test_api_exports(program, manager, users_by_role):
    ItemFactory(program=program, name="Only")
    api = _api(users_by_role[Role.VIEWER])
    xml = api.get(_api_url("schedule_export_mspdi"), HTTP_ACCEPT="application/xml")
    assert xml.status_code == 200
    assert [t.name for t in mspdi.parse(xml.content).tasks][1:] == ["Only"]
    assert api.get(_api_url("schedule_export_mspdi")).status_code == 200
    got = api.get(_api_url("schedule_export_csv"), HTTP_ACCEPT="text/csv")
    assert got.status_code == 200
    text = b"".join(got.streaming_content).decode()
    assert text.splitlines()[0].startswith("key,wbs,name,kind")
    assert _api(UserFactory()).get(_api_url("schedule_export_csv")).status_code == 404
    vendor = _api(users_by_role[Role.VENDOR]).get(_api_url("schedule_export_csv"))
    assert vendor.status_code == 403


def test_other_programs_are_not_reachable_through_the_import(program, manager):
    other = ProgramFactory(code="OTHER")
    response = _api(manager).post(
        _api_url("schedule_import", "OTHER"), GOOD, content_type="application/xml"
    )
    assert response.status_code == 404
    assert Item.objects.filter(program=other).count() == 0


def test_api_download_errors_are_json_whatever_the_client_accepts(program):
    api = _api(UserFactory())
    response = api.get(_api_url("schedule_export_mspdi"), HTTP_ACCEPT="application/xml")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
