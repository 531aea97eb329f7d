"""The import page (upload, check, preview, confirm), the templates and the export downloads."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEntry, KeySequence
from core.permissions import Role
from programs.tests.factories import WorkstreamFactory, member
from risks import services
from risks.imports import COLUMNS
from risks.models import Action, Assumption, Dependency, Issue, Risk
from risks.views import io as io_views

pytestmark = pytest.mark.django_db
MODELS = (Risk, Issue, Assumption, Dependency, Action)

GOOD = (
    b"Type,Key,Title,Owner,Workstream,Probability,Schedule impact,Due date,Linked to\r\n"
    b"Risk,R-1,Legacy data quality,ana@example.com,Data Migration,4,4,,\r\n"
    b"Issue,,Mock load 2 rejected,ana@example.com,,,,2026-03-20,\r\n"
    b"Action,,Re-run the cleansing rules,ana@example.com,,,,2026-03-18,R-1\r\n"
)
BAD = (
    b"Type,Title,Owner,Probability,Due date\r\n"
    b"Risk,Fine,ana@example.com,3,\r\n"
    b"Risk,Too likely,ana@example.com,9,\r\n"
    b"Action,No such owner,zed@example.com,,31/03/2026\r\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def setup(program, users_by_role):
    ana = member(program, Role.CONTRIBUTOR, email="ana@example.com", full_name="Ana Souza").user
    WorkstreamFactory(program=program, name="Data Migration", lead=ana)
    return {"ana": ana, **users_by_role}


def url(name: str, **kwargs) -> str:
    return reverse(f"risks:{name}", kwargs={"code": "ERP", **kwargs})


def client_as(client, user):
    client.force_login(user)
    return client


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def state() -> dict:
    return {
        "items": {m.__name__: list(m.objects.order_by("pk").values()) for m in MODELS},
        "audit": AuditEntry.objects.count(),
        "keys": list(KeySequence.objects.order_by("pk").values()),
    }


def staged_files() -> list[str]:
    try:
        return sorted(default_storage.listdir(io_views.STAGED_DIR)[1])
    except FileNotFoundError:
        return []


def test_import_page_shows_the_form_and_the_columns(client, setup):
    response = client_as(client, setup["manager"]).get(url("raid_import"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="file"' in html and 'enctype="multipart/form-data"' in html
    assert f"All {len(COLUMNS)} columns" in html
    assert url("raid_import_template") in html and url("raid_import_template_csv") in html


def test_good_file_is_previewed_then_imported_on_confirmation(client, setup):
    c = client_as(client, setup["manager"])
    before = state()

    response = c.post(url("raid_import"), {"file": upload("raid.csv", GOOD)})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ready to import raid.csv" in html
    assert "3 items will be added (1 risk, 1 issue and 1 action)" in html
    assert "Import 3 items" in html
    preview = html.split('class="table table-sm table-vcenter card-table raid-io-preview"')[1]
    preview = preview.split("</table>")[0]
    assert preview.count("<tr>") == 4  # header and three rows
    assert state() == before  # the check wrote nothing
    [staged] = staged_files()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)

    confirmed = c.post(url("raid_import"), {"token": token})

    assert confirmed.status_code == 302
    assert confirmed["Location"] == url("risk_list") + "?state=all"
    assert list(Risk.objects.values_list("key", "title")) == [("RSK-1", "Legacy data quality")]
    assert Action.objects.get().subject_key == "RSK-1"
    assert staged_files() == []
    page = c.get(confirmed["Location"])
    assert "Imported raid.csv: 3 items (1 risk, 1 issue and 1 action)." in page.content.decode()
    # the same token cannot import twice
    again = c.post(url("raid_import"), {"token": token})
    assert again.status_code == 400
    assert "The checked file is no longer kept" in again.content.decode()
    assert Risk.objects.count() == 1
    assert staged


def test_bad_file_lists_every_problem_and_imports_nothing(client, setup):
    c = client_as(client, setup["manager"])
    before = state()

    response = c.post(url("raid_import"), {"file": upload("bad.csv", BAD)})

    assert response.status_code == 400
    html = response.content.decode()
    assert "bad.csv was not imported" in html
    assert "3 problems in 2 rows." in html
    problems = re.findall(
        r"<td class=\"text-nowrap\">([^<]+)</td>\s*<td class=\"raid-io-col\">([^<]+)</td>\s*"
        r"<td class=\"raid-io-msg\">([^<]+)</td>",
        html,
    )
    assert problems == [
        ("Line 3", "Probability", "9 is outside 1-5."),
        ("Line 4", "Owner", "No member of ERP has the e-mail zed@example.com."),
        ("Line 4", "Due date", "“31/03/2026” is ambiguous (day/month or month/day): write "
                               "YYYY-MM-DD."),
    ]  # fmt: skip
    assert 'name="file"' in html  # upload the corrected file from here
    assert state() == before
    assert staged_files() == []


def test_confirmation_checks_again_and_refuses_what_changed(client, setup, manager):
    c = client_as(client, setup["manager"])
    html = c.post(url("raid_import"), {"file": upload("raid.csv", GOOD)}).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    services.risk_create(actor=manager, program=setup["ana"].memberships.first().program,
                         title="Meanwhile")  # fmt: skip
    from programs import services as program_services
    from programs.models import Workstream

    workstream = Workstream.objects.get(name="Data Migration")
    program_services.workstream_delete(actor=manager, workstream=workstream, expected_version=None)
    before = state()

    response = c.post(url("raid_import"), {"token": token})

    assert response.status_code == 400
    html = response.content.decode()
    assert "raid.csv was not imported" in html
    assert "Line 2: " not in html  # shown as a table
    assert "ERP has no workstream “Data Migration”." in html
    assert state() == before
    assert staged_files() == []


def test_token_of_another_user_or_a_forged_one_is_refused(client, setup):
    html = (
        client_as(client, setup["manager"])
        .post(url("raid_import"), {"file": upload("raid.csv", GOOD)})
        .content.decode()
    )
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    client.logout()
    other = client_as(client, setup["coordinator"])

    for value in (token, token[:-2] + "xx"):
        response = other.post(url("raid_import"), {"token": value})
        assert response.status_code == 400
        assert "The checked file is no longer kept" in response.content.decode()
    assert Risk.objects.count() == 0


def test_upload_without_a_file_or_with_a_huge_one(client, setup, monkeypatch):
    c = client_as(client, setup["manager"])

    response = c.post(url("raid_import"), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()

    monkeypatch.setattr(io_views, "MAX_BYTES", 1024 * 1024)
    big = GOOD + b"Risk,,x\r\n" * (1024 * 1024 // 8)
    response = c.post(url("raid_import"), {"file": upload("big.csv", big)})
    assert response.status_code == 400
    assert "The file is larger than 1 MB." in response.content.decode()
    assert Risk.objects.count() == 0


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.VIEWER, Role.FINANCE])
def test_import_needs_the_import_right(client, setup, role):
    c = client_as(client, setup[role])
    before = state()

    assert c.get(url("raid_import")).status_code == 403
    assert c.post(url("raid_import"), {"file": upload("raid.csv", GOOD)}).status_code == 403
    assert state() == before


def test_coordinator_may_import(client, setup):
    c = client_as(client, setup["coordinator"])
    html = c.post(url("raid_import"), {"file": upload("raid.csv", GOOD)}).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)

    assert c.post(url("raid_import"), {"token": token}).status_code == 302
    assert AuditEntry.objects.filter(actor=setup["coordinator"], action="create").count() == 3


def test_stale_staged_files_are_cleared(client, setup):
    import os
    import time

    c = client_as(client, setup["manager"])
    c.post(url("raid_import"), {"file": upload("raid.csv", GOOD)})
    [old] = staged_files()
    path = default_storage.path(f"{io_views.STAGED_DIR}/{old}")
    past = time.time() - io_views.STAGED_HOURS * 3600 - 60
    os.utime(path, (past, past))

    c.post(url("raid_import"), {"file": upload("raid.csv", GOOD)})

    assert old not in staged_files()
    assert len(staged_files()) == 1


# --- downloads ----------------------------------------------------------------------------


def test_templates_download(client, setup):
    c = client_as(client, setup["viewer"])

    xlsx = c.get(url("raid_import_template"))
    csv_template = c.get(url("raid_import_template_csv"))

    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"] == 'attachment; filename="raid-import-template.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert book.sheetnames[-1] == "Read me"
    assert csv_template["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_template.content.decode().startswith("\ufeffType,Key,Title,")


def test_export_downloads_follow_the_list(client, setup, manager, program):
    services.risk_create(actor=manager, program=program, title="Open risk", probability=5)
    services.risk_create(actor=manager, program=program, title="Closed risk", status="closed")
    services.action_create(actor=manager, program=program, subject=None, title="Do it",
                           owner=None, due_date=None)  # fmt: skip
    c = client_as(client, setup["viewer"])

    default = c.get(url("raid_export_csv") + "?type=risks")
    everything = c.get(url("raid_export_csv") + "?type=risks&state=all&sort=title")
    whole = c.get(url("raid_export_csv"))
    xlsx = c.get(url("raid_export_xlsx") + "?type=risks&q=closed&state=all")

    def keys(response):
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        return [r["Key"] for r in csv.DictReader(io.StringIO(body))]

    assert default["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="ERP-raid-risks-\d{4}-\d\d-\d\d\.csv"',
        default["Content-Disposition"],
    )
    assert keys(default) == ["RSK-1"]  # open items, like the list without a state
    assert keys(everything) == ["RSK-2", "RSK-1"]
    assert keys(whole) == ["RSK-1", "RSK-2", "ACT-1"]
    assert whole["Content-Disposition"].startswith('attachment; filename="ERP-raid-log-')
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert [r[0] for r in book["Risks"].iter_rows(min_row=2, values_only=True)] == ["RSK-2"]


def test_unknown_type_exports_the_whole_log(client, setup):
    response = client_as(client, setup["viewer"]).get(url("raid_export_csv") + "?type=nope")

    assert response.status_code == 200
    assert 'filename="ERP-raid-log-' in response["Content-Disposition"]


@pytest.mark.parametrize("name", ["raid_export_csv", "raid_export_xlsx", "raid_import_template"])
def test_downloads_are_for_members_only(client, setup, name):
    from core.tests.factories import UserFactory

    assert client_as(client, UserFactory()).get(url(name)).status_code == 404
    client.logout()
    assert client_as(client, setup["vendor"]).get(url(name)).status_code == 403


@pytest.mark.parametrize("n", [1, 3])
def test_export_queries_do_not_grow_with_rows(client, setup, manager, program, n,
                                              django_assert_num_queries):  # fmt: skip
    for i in range(n):
        services.risk_create(actor=manager, program=program, title=f"Risk {i}")
    c = client_as(client, setup["viewer"])

    # the request's savepoint and its release, session, user, membership; then, streamed, the
    # rows (one server-side cursor) and their WBS links (one query per 2,000 rows)
    with django_assert_num_queries(EXPORT_QUERIES):
        response = c.get(url("raid_export_csv") + "?type=risks")
        body = b"".join(response.streaming_content)

    assert body.count(b"\r\n") == n + 1


EXPORT_QUERIES = 7


def test_raid_log_toolbar_has_the_buttons(client, setup):
    html = client_as(client, setup["manager"]).get(url("raid_log")).content.decode()

    assert f'href="{url("raid_import")}"' in html
    assert f'href="{url("raid_export_xlsx")}?type=risks"' in html
    assert f'href="{url("raid_export_csv")}"' in html
    assert "js/raid-io.js" in html
    viewer = client_as(client, setup["viewer"]).get(url("raid_log")).content.decode()
    assert f'href="{url("raid_import")}"' not in viewer
    assert f'href="{url("raid_export_csv")}"' in viewer
