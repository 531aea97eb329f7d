"""The RACI API and the CSV/XLSX exports (read back with csv and openpyxl): scoping, roles, the
rule refused with 400 and the reason, If-Match versions (412/428), cells, moves, query counts."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import AuditEntry
from core.tests.factories import UserFactory
from governance.models import RaciCell, RaciColumn, RaciRow
from governance.services import raci as services

from .raci_factories import deliverable, person_column, raci_row, role_column

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programs/ERP/governance/raci/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def cols(program):
    return {
        "priya": person_column(program, full_name="Priya Raman"),
        "ana": person_column(program, full_name="Ana Souza"),
        "sc": role_column(program, "Steering committee"),
    }


@pytest.fixture
def row(program, cols):
    design = deliverable(program, "Finance solution design")
    return raci_row(program, {cols["priya"]: "A", cols["ana"]: "R", cols["sc"]: "I"}, item=design)


def letters(row) -> dict[str, str]:
    return {
        c.column.label: c.letter for c in RaciCell.objects.filter(row=row).select_related("column")
    }


def state() -> tuple:
    return (
        list(RaciRow.objects.order_by("pk").values()),
        list(RaciCell.objects.order_by("pk").values()),
        list(RaciColumn.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


# --- reading --------------------------------------------------------------------------------------


def test_matrix_gives_columns_and_rows_with_letters(program, manager, cols, row):
    response = api(manager).get(BASE)

    assert response.status_code == 200
    body = response.json()
    assert [c["label"] for c in body["columns"]] == [
        "Priya Raman",
        "Ana Souza",
        "Steering committee",
    ]
    assert body["columns"][2] == {
        "id": cols["sc"].pk, "kind": "role", "user": None, "role_name": "Steering committee",
        "label": "Steering committee", "position": 3, "version": 1,
        "created_at": body["columns"][2]["created_at"],
        "updated_at": body["columns"][2]["updated_at"],
    }  # fmt: skip
    [only] = body["rows"]
    assert only["item"] == row.item.key
    assert only["kind"] == "deliverable"
    assert only["cells"] == {
        str(cols["priya"].pk): "A",
        str(cols["ana"].pk): "R",
        str(cols["sc"].pk): "I",
    }
    assert only["assignments"] == "A: Priya Raman; R: Ana Souza; I: Steering committee"


def test_row_detail_has_an_etag(program, manager, row):
    response = api(manager).get(f"{BASE}rows/{row.pk}/")

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["label"] == f"{row.item.key} Finance solution design"


def test_non_member_gets_404_and_vendor_403(program, users_by_role, row):
    assert api(UserFactory()).get(BASE).status_code == 404
    assert api(users_by_role["vendor"]).get(f"{BASE}rows/").status_code == 403
    assert api().get(BASE).status_code == 401


@pytest.mark.parametrize("rows", [1, 3])
def test_row_list_query_count_does_not_grow(
    rows, program, manager, cols, django_assert_num_queries
):
    for n in range(rows):
        raci_row(program, {cols["priya"]: "AR"}, item=deliverable(program, f"Deliverable {n}"))
    client = api(manager)

    with django_assert_num_queries(7):
        response = client.get(f"{BASE}rows/")

    assert response.json()["count"] == rows


@pytest.mark.parametrize("columns", [1, 3])
def test_column_list_query_count_does_not_grow(
    columns, program, manager, django_assert_num_queries
):
    for n in range(columns):
        role_column(program, f"Board {n}")
    client = api(manager)

    with django_assert_num_queries(6):
        response = client.get(f"{BASE}columns/")

    assert response.json()["count"] == columns


@pytest.mark.parametrize("rows", [1, 3])
def test_matrix_query_count_does_not_grow(rows, program, manager, cols, django_assert_num_queries):
    for n in range(rows):
        raci_row(program, {cols["ana"]: "AR"}, activity=f"Activity {n}")
    client = api(manager)

    with django_assert_num_queries(8):
        response = client.get(BASE)

    assert len(response.json()["rows"]) == rows


# --- rows and the rule ----------------------------------------------------------------------------


def test_create_row_with_letters(program, manager, cols):
    golive = deliverable(program, "Wave 1 go-live", kind="milestone")

    response = api(manager).post(
        f"{BASE}rows/",
        {
            "item": golive.key.lower(),
            "cells": {str(cols["sc"].pk): "a", str(cols["priya"].pk): "R"},
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["item"], body["kind"], body["position"]) == (golive.key, "milestone", 1)
    assert body["cells"] == {str(cols["priya"].pk): "R", str(cols["sc"].pk): "A"}
    assert response["ETag"] == '"1"'


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"priya": "A", "ana": "A/R"}, "it has 2: Priya Raman and Ana Souza"),
        ({"ana": "R"}, "needs exactly one A (Accountable); it has none"),
        ({"priya": "A", "sc": "C"}, "needs at least one R (Responsible)"),
    ],
    ids=["two A", "no A", "no R"],
)
def test_create_row_breaking_the_rule_is_400_with_the_reason(program, manager, cols, cells, reason):
    before = state()

    response = api(manager).post(
        f"{BASE}rows/",
        {
            "activity": "Data cutover rehearsal",
            "cells": {str(cols[k].pk): v for k, v in cells.items()},
        },
        format="json",
    )

    assert response.status_code == 400
    [message] = response.json()["cells"]
    assert message.startswith("Row “Data cutover rehearsal” needs")
    assert reason in message
    assert state() == before


def test_create_row_refuses_bad_cells_and_unknown_items(program, manager, cols):
    client = api(manager)

    bad_key = client.post(f"{BASE}rows/", {"activity": "X", "cells": {"abc": "A"}}, format="json")
    bad_letter = client.post(
        f"{BASE}rows/", {"activity": "X", "cells": {str(cols["ana"].pk): "Q"}}, format="json"
    )
    no_item = client.post(
        f"{BASE}rows/", {"item": "TSK-999", "cells": {str(cols["ana"].pk): "AR"}}, format="json"
    )
    nothing = client.post(f"{BASE}rows/", {"cells": {str(cols["ana"].pk): "AR"}}, format="json")

    assert bad_key.status_code == 400
    assert bad_key.json() == {"cells": ["Keys are column ids (numbers); got 'abc'."]}
    assert bad_letter.json() == {
        "cells": ["Ana Souza: 'Q' is not a RACI letter; use R, A, A/R, C or I (or leave it empty)."]
    }
    assert no_item.json() == {"item": ["There is no item TSK-999 in ERP."]}
    assert nothing.json() == {
        "activity": ["Give a deliverable or milestone (item) or name the activity."]
    }
    assert RaciRow.objects.count() == 0


def test_patch_merges_cells_and_checks_the_rule_on_the_result(program, manager, cols, row):
    client = api(manager)

    moved = client.patch(
        f"{BASE}rows/{row.pk}/",
        {"cells": {str(cols["priya"].pk): "C", str(cols["ana"].pk): "A/R"}},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    two_a = client.patch(
        f"{BASE}rows/{row.pk}/",
        {"cells": {str(cols["sc"].pk): "A"}},
        format="json",
        HTTP_IF_MATCH='"2"',
    )

    assert moved.status_code == 200
    assert moved["ETag"] == '"2"'
    assert letters(row) == {"Priya Raman": "C", "Ana Souza": "AR", "Steering committee": "I"}
    assert two_a.status_code == 400
    assert "it has 2: Ana Souza and Steering committee" in two_a.json()["cells"][0]
    assert letters(row)["Steering committee"] == "I"


def test_put_replaces_all_letters(program, manager, cols, row):
    response = api(manager).put(
        f"{BASE}rows/{row.pk}/",
        {"activity": "Design workshops", "item": None, "cells": {str(cols["ana"].pk): "AR"}},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["item"], body["activity"], body["kind"]) == (None, "Design workshops", "activity")
    assert letters(row) == {"Ana Souza": "AR"}


def test_writes_need_a_version_and_a_current_one(program, manager, cols, row):
    services.raci_row_update(
        actor=manager, row=row, expected_version=1, cells={cols["priya"]: "AR"}
    )
    before = state()
    client = api(manager)

    missing = client.patch(f"{BASE}rows/{row.pk}/", {"cells": {}}, format="json")
    stale = client.patch(
        f"{BASE}rows/{row.pk}/", {"cells": {str(cols["ana"].pk): "R"}}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale["ETag"] == '"2"'
    assert stale.json()["current"]["cells"] == {str(cols["priya"].pk): "A/R"}
    assert stale.json()["changed_fields"] == {
        "assignments": ["A: Priya Raman; R: Ana Souza; I: Steering committee", "A/R: Priya Raman"]
    }
    assert state() == before


def test_position_moves_a_row(program, manager, cols, row):
    second = raci_row(program, {cols["ana"]: "AR"}, activity="Cutover rehearsal")

    response = api(manager).patch(
        f"{BASE}rows/{second.pk}/", {"position": 1}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 200
    assert response.json()["position"] == 1
    assert list(RaciRow.objects.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        row.pk,
    ]


def test_delete_row(program, manager, row):
    response = api(manager).delete(f"{BASE}rows/{row.pk}/", HTTP_IF_MATCH='"1"')

    assert response.status_code == 204
    assert not RaciRow.objects.exists()


def test_viewer_cannot_write(program, users_by_role, cols, row):
    before = state()

    response = api(users_by_role["viewer"]).patch(
        f"{BASE}rows/{row.pk}/", {"cells": {}}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 403
    assert state() == before


# --- cells ----------------------------------------------------------------------------------------


def test_cell_get_put_and_delete(program, manager, cols, row):
    client = api(manager)
    cell = f"{BASE}rows/{row.pk}/cells/{cols['sc'].pk}/"

    got = client.get(cell)
    put = client.put(cell, {"letter": "C"}, format="json", HTTP_IF_MATCH='"1"')
    second_a = client.put(
        f"{BASE}rows/{row.pk}/cells/{cols['ana'].pk}/", {"letter": "A"}, format="json",
        HTTP_IF_MATCH='"2"',
    )  # fmt: skip
    cleared = client.delete(cell, HTTP_IF_MATCH='"2"')
    only_r = client.delete(f"{BASE}rows/{row.pk}/cells/{cols['ana'].pk}/", HTTP_IF_MATCH='"3"')

    assert got.json() == {"row": row.pk, "column": cols["sc"].pk, "letter": "I", "version": 1}
    assert got["ETag"] == '"1"'
    assert put.status_code == 200
    assert put.json()["cells"][str(cols["sc"].pk)] == "C"
    assert second_a.status_code == 400
    assert "needs exactly one A" in second_a.json()["cells"][0]
    assert cleared.status_code == 200
    assert str(cols["sc"].pk) not in cleared.json()["cells"]
    assert only_r.status_code == 400
    assert "needs at least one R" in only_r.json()["cells"][0]
    assert letters(row) == {"Priya Raman": "A", "Ana Souza": "R"}


def test_cell_of_another_programs_column_is_404(program, manager, row):
    from programs.tests.factories import ProgramFactory

    foreign = role_column(ProgramFactory(code="CRM"), "Board")

    response = api(manager).get(f"{BASE}rows/{row.pk}/cells/{foreign.pk}/")

    assert response.status_code == 404


# --- columns --------------------------------------------------------------------------------------


def test_create_columns(program, manager, users_by_role):
    client = api(manager)

    person = client.post(
        f"{BASE}columns/", {"kind": "person", "user_id": users_by_role["finance"].pk}, format="json"
    )
    role = client.post(f"{BASE}columns/", {"kind": "role", "role_name": "Data protection officer"})
    outsider = client.post(
        f"{BASE}columns/", {"kind": "person", "user_id": UserFactory().pk}, format="json"
    )
    unnamed = client.post(f"{BASE}columns/", {"kind": "role", "role_name": " "}, format="json")
    twice = client.post(f"{BASE}columns/", {"kind": "role", "role_name": "data protection OFFICER"})

    assert person.status_code == 201
    assert person.json()["label"] == str(users_by_role["finance"])
    assert role.status_code == 201
    assert role.json()["position"] == 2
    assert outsider.status_code == 400
    assert "is not a member of ERP" in outsider.json()["user_id"][0]
    assert unnamed.json() == {"role_name": ['Name the role, e.g. "Steering committee".']}
    assert twice.json() == {"non_field_errors": ["The matrix already has a column for this role."]}
    assert RaciColumn.objects.count() == 2


def test_patch_column_renames_and_moves(program, manager, cols):
    response = api(manager).patch(
        f"{BASE}columns/{cols['sc'].pk}/",
        {"role_name": "Steering board", "position": 1},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200
    assert (response.json()["label"], response.json()["position"]) == ("Steering board", 1)


def test_delete_column_refused_while_it_holds_the_only_a(program, manager, cols, row):
    before = state()

    response = api(manager).delete(f"{BASE}columns/{cols['priya'].pk}/", HTTP_IF_MATCH='"1"')

    assert response.status_code == 400
    assert response.json()["non_field_errors"][0].startswith(
        "Priya Raman holds the only A or the only R of 1 row"
    )
    assert state() == before


# --- exports --------------------------------------------------------------------------------------


@pytest.fixture
def exported(program, cols, row):
    """The matrix plus an activity whose name a spreadsheet would run as a formula."""
    raci_row(program, {cols["ana"]: "AR", cols["sc"]: "I"}, activity='=HYPERLINK("x")')
    return row


def test_csv_export_reads_back(program, manager, exported):
    response = api(manager).get(f"{BASE}export.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ERP-raci-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [
        ["position", "key", "deliverable_or_activity", "type", "Priya Raman", "Ana Souza",
         "Steering committee (role)"],
        ["1", exported.item.key, "Finance solution design", "Deliverable", "A", "R", "I"],
        ["2", "", "'=HYPERLINK(\"x\")", "Activity", "", "A/R", "I"],
    ]  # fmt: skip


def test_xlsx_export_reads_back_with_text_kept_as_text(program, manager, exported):
    response = api(manager).get(f"{BASE}export.xlsx")

    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["RACI", "Legend"]
    sheet = workbook["RACI"]
    values = [[cell.value for cell in r] for r in sheet.iter_rows()]
    assert values == [
        ["position", "key", "deliverable_or_activity", "type", "Priya Raman", "Ana Souza",
         "Steering committee (role)"],
        [1, exported.item.key, "Finance solution design", "Deliverable", "A", "R", "I"],
        [2, "", "=HYPERLINK(\"x\")", "Activity", "", "A/R", "I"],
    ]  # fmt: skip
    assert sheet["C3"].data_type == "s"  # a string, not a formula
    assert sheet.freeze_panes == "E2"
    legend = [[c.value for c in r] for r in workbook["Legend"].iter_rows(max_row=6)]
    assert legend[1:] == [["R", "Responsible"], ["A", "Accountable"],
                          ["A/R", "Accountable and responsible"], ["C", "Consulted"],
                          ["I", "Informed"]]  # fmt: skip


def test_page_exports_match_the_api(program, manager, exported):
    from django.test import Client

    client = Client()
    client.force_login(manager)

    page_csv = client.get("/programs/ERP/governance/raci/export.csv")
    page_xlsx = client.get("/programs/ERP/governance/raci/export.xlsx")

    api_csv = api(manager).get(f"{BASE}export.csv")
    assert b"".join(page_csv.streaming_content) == b"".join(api_csv.streaming_content)
    assert page_xlsx["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert openpyxl.load_workbook(io.BytesIO(page_xlsx.content))["RACI"]["F3"].value == "A/R"


def test_export_of_an_empty_matrix_has_the_header_only(program, manager):
    text = b"".join(api(manager).get(f"{BASE}export.csv").streaming_content).decode()

    assert text == "\ufeffposition,key,deliverable_or_activity,type\r\n"
