"""The RACI pages through the client: the grid for each role, saving a row over htmx (saved,
refused with the reason, stale), the row and column forms, moves, removals, and query counts."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from core.permissions import Role
from governance.models import RaciCell, RaciColumn, RaciRow
from governance.services import raci as services

from .raci_factories import deliverable, person_column, raci_row, role_column

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def url(name: str, **kwargs) -> str:
    return reverse(f"governance:{name}", kwargs={"code": "ERP", **kwargs})


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
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


def cells_post(cols, version, **letters_by_name) -> dict[str, str]:
    data = {f"cell-{c.pk}": "" for c in cols.values()}
    data.update({f"cell-{cols[name].pk}": letter for name, letter in letters_by_name.items()})
    data["version"] = str(version)
    return data


def selected(html: str, column) -> str:
    """The selected option of a cell's select in `html` ("" when none is)."""
    match = re.search(rf'<select name="cell-{column.pk}".*?</select>', html, re.S)
    assert match, f"no select for column {column.pk}"
    chosen = re.search(r'<option value="([^"]*)" selected>', match.group(0))
    return chosen.group(1) if chosen else ""


# --- the grid -------------------------------------------------------------------------------------


def test_grid_shows_the_matrix_to_an_editor(program, manager, cols, row):
    response = logged_in(manager).get(url("raci"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Finance solution design" in html
    assert [c.label for c in response.context["matrix"].columns] == [
        "Priya Raman",
        "Ana Souza",
        "Steering committee",
    ]
    assert selected(html, cols["priya"]) == "A"
    assert selected(html, cols["ana"]) == "R"
    assert selected(html, cols["sc"]) == "I"
    assert f'id="raci-form-{row.pk}"' in html
    assert "Add row" in html and "Add column" in html


def test_viewer_sees_letters_without_controls(program, users_by_role, cols, row):
    response = logged_in(users_by_role["viewer"]).get(url("raci"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<select" not in html
    assert "raci-form-" not in html
    assert "Add row" not in html and "Add column" not in html
    assert '<span class="raci-letter raci-l-A" title="Priya Raman">A</span>' in html


def test_vendor_cannot_see_the_matrix(program, users_by_role):
    assert logged_in(users_by_role["vendor"]).get(url("raci")).status_code == 403


def test_empty_grid_asks_for_columns_first(program, manager):
    html = logged_in(manager).get(url("raci")).content.decode()

    assert "Start with the people and roles" in html
    assert "Add row" not in html


GRID_QUERIES = 10


@pytest.mark.parametrize("rows", [1, 3])
def test_grid_query_count_does_not_grow_with_rows(
    rows, program, manager, cols, django_assert_num_queries
):
    for n in range(rows):
        item = deliverable(program, f"Deliverable {n}")
        raci_row(program, {cols["priya"]: "A", cols["ana"]: "R", cols["sc"]: "C"}, item=item)
    client = logged_in(manager)

    with django_assert_num_queries(GRID_QUERIES):
        response = client.get(url("raci"))

    assert len(response.context["matrix"].rows) == rows


# --- saving a row ---------------------------------------------------------------------------------


def test_htmx_save_stores_the_letters_and_returns_the_row(program, manager, cols, row):
    response = logged_in(manager).post(
        url("raci_row_cells", pk=row.pk),
        cells_post(cols, 1, priya="AR", ana="C", sc="I"),
        headers=HX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tbody id="raci-row-{row.pk}"')
    assert "Saved" in html
    assert selected(html, cols["priya"]) == "AR"
    row.refresh_from_db()
    assert row.version == 2
    assert letters(row) == {"Priya Raman": "AR", "Ana Souza": "C", "Steering committee": "I"}


def test_two_accountables_are_refused_with_the_reason_and_the_letters_kept(
    program, manager, cols, row
):
    audit = AuditEntry.objects.count()

    response = logged_in(manager).post(
        url("raci_row_cells", pk=row.pk),
        cells_post(cols, 1, priya="A", ana="A", sc="R"),
        headers=HX,
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "Row “TSK-1 Finance solution design” needs exactly one A (Accountable); it has 2: "
        "Priya Raman and Ana Souza." in html.replace("&ldquo;", "“").replace("&rdquo;", "”")
    )
    assert "Nothing was saved" in html
    # the user's letters stay in the row, and the stored ones are what "saved" compares with
    assert selected(html, cols["ana"]) == "A"
    assert 'data-saved="R"' in html
    row.refresh_from_db()
    assert row.version == 1
    assert letters(row) == {"Priya Raman": "A", "Ana Souza": "R", "Steering committee": "I"}
    assert AuditEntry.objects.count() == audit


def test_row_without_responsible_is_refused(program, manager, cols, row):
    response = logged_in(manager).post(
        url("raci_row_cells", pk=row.pk), cells_post(cols, 1, priya="A", sc="I"), headers=HX
    )

    assert response.status_code == 400
    assert "needs at least one R (Responsible)" in response.content.decode()
    assert letters(row)["Ana Souza"] == "R"


def test_stale_save_shows_what_changed_and_keeps_the_letters(program, manager, cols, row):
    services.raci_row_update(
        actor=manager, row=row, expected_version=1, cells={cols["priya"]: "AR"}
    )

    response = logged_in(manager).post(
        url("raci_row_cells", pk=row.pk),
        cells_post(cols, 1, priya="A", ana="R", sc="C"),
        headers=HX,
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "changed this row while you were editing" in html
    assert "A: Priya Raman; R: Ana Souza; I: Steering committee → A/R: Priya Raman" in html
    assert selected(html, cols["sc"]) == "C"
    assert 'name="version" value="2"' in html  # the next save is based on the current row
    assert letters(row) == {"Priya Raman": "AR"}


def test_plain_post_refusal_renders_the_grid_with_the_letters_kept(program, manager, cols, row):
    response = logged_in(manager).post(
        url("raci_row_cells", pk=row.pk), cells_post(cols, 1, priya="A", ana="A", sc="R")
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "RACI matrix" in html  # the whole page
    assert "it has 2: Priya Raman and Ana Souza" in html
    assert selected(html, cols["sc"]) == "R"


def test_plain_post_success_redirects_to_the_row(program, manager, cols, row):
    response = logged_in(manager).post(
        url("raci_row_cells", pk=row.pk), cells_post(cols, 1, priya="A", ana="R")
    )

    assert response.status_code == 302
    assert response["Location"] == url("raci") + f"?focus=row-{row.pk}"
    assert letters(row) == {"Priya Raman": "A", "Ana Souza": "R"}


def test_htmx_get_returns_the_stored_row(program, manager, cols, row):
    response = logged_in(manager).get(url("raci_row_cells", pk=row.pk), headers=HX)

    assert response.status_code == 200
    assert selected(response.content.decode(), cols["ana"]) == "R"


def test_contributor_cannot_save_a_row(program, users_by_role, cols, row):
    response = logged_in(users_by_role["contributor"]).post(
        url("raci_row_cells", pk=row.pk), cells_post(cols, 1, priya="AR"), headers=HX
    )

    assert response.status_code == 403
    assert letters(row)["Ana Souza"] == "R"


def test_row_of_another_program_is_not_found(program, manager, cols):
    from programs.tests.factories import ProgramFactory

    other = ProgramFactory(code="CRM")
    column = role_column(other, "Board")
    foreign = raci_row(other, {column: "AR"}, activity="Elsewhere")

    response = logged_in(manager).post(url("raci_row_cells", pk=foreign.pk), {"version": "1"})

    assert response.status_code == 404


# --- row and column forms -------------------------------------------------------------------------


def test_new_row_from_the_modal(program, manager, cols):
    golive = deliverable(program, "Wave 1 go-live", kind="milestone")
    client = logged_in(manager)
    form = client.get(url("raci_row_create"), headers=HX)
    assert form.status_code == 200
    assert golive.key in form.content.decode()

    response = client.post(
        url("raci_row_create"),
        {"source": "item", "item": golive.pk, f"cell-{cols['sc'].pk}": "A",
         f"cell-{cols['priya'].pk}": "R", f"cell-{cols['ana'].pk}": "I"},
        headers=HX,
    )  # fmt: skip

    new = RaciRow.objects.get()
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("raci") + f"?focus=row-{new.pk}"
    assert new.item == golive
    assert letters(new) == {"Steering committee": "A", "Priya Raman": "R", "Ana Souza": "I"}


def test_new_row_breaking_the_rule_is_refused_in_the_form(program, manager, cols):
    response = logged_in(manager).post(
        url("raci_row_create"),
        {"source": "activity", "activity": "Data cutover rehearsal",
         f"cell-{cols['priya'].pk}": "A", f"cell-{cols['ana'].pk}": "A"},
        headers=HX,
    )  # fmt: skip

    assert response.status_code == 400
    html = response.content.decode()
    assert "needs exactly one A (Accountable); it has 2: Priya Raman and Ana Souza" in html
    assert "needs at least one R (Responsible)" in html
    assert 'value="Data cutover rehearsal"' in html  # the input is kept
    assert RaciRow.objects.count() == 0


def test_new_row_needs_a_source(program, manager, cols):
    response = logged_in(manager).post(
        url("raci_row_create"), {"source": "item", f"cell-{cols['priya'].pk}": "AR"}
    )

    assert response.status_code == 400
    assert "Choose the deliverable or milestone this row stands for." in response.content.decode()


def test_edit_row_switches_to_an_activity(program, manager, cols, row):
    response = logged_in(manager).post(
        url("raci_row_edit", pk=row.pk),
        {"source": "activity", "activity": "Design workshops", "version": "1",
         f"cell-{cols['priya'].pk}": "A", f"cell-{cols['ana'].pk}": "R"},
    )  # fmt: skip

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.item, row.activity, row.version) == (None, "Design workshops", 2)
    assert letters(row) == {"Priya Raman": "A", "Ana Souza": "R"}


def test_new_column_for_a_member(program, manager, cols):
    from programs.tests.factories import member

    new_member = member(program, Role.COORDINATOR, full_name="Lena Novak").user
    client = logged_in(manager)
    form = client.get(url("raci_column_create"), headers=HX).content.decode()
    assert "Lena Novak" in form
    assert "Priya Raman" not in form  # she has a column already

    response = client.post(
        url("raci_column_create"), {"kind": "person", "user": new_member.pk}, headers=HX
    )

    assert response.status_code == 204
    column = RaciColumn.objects.get(user=new_member)
    assert column.position == 4


def test_role_column_needs_a_name(program, manager):
    response = logged_in(manager).post(url("raci_column_create"), {"kind": "role"})

    assert response.status_code == 400
    assert "Name the role" in response.content.decode()
    assert RaciColumn.objects.count() == 0


def test_column_removal_refused_while_it_holds_the_only_a(program, manager, cols, row):
    response = logged_in(manager).post(
        url("raci_column_delete", pk=cols["priya"].pk), {"version": "1"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "The column was not removed" in html
    assert "Priya Raman holds the only A or the only R of 1 row" in html
    assert RaciColumn.objects.filter(pk=cols["priya"].pk).exists()


def test_column_removal_takes_its_letters(program, manager, cols, row):
    response = logged_in(manager).post(
        url("raci_column_delete", pk=cols["sc"].pk), {"version": "1"}
    )

    assert response.status_code == 302
    assert not RaciColumn.objects.filter(pk=cols["sc"].pk).exists()
    assert letters(row) == {"Priya Raman": "A", "Ana Souza": "R"}


def test_moves_answer_htmx_with_the_grid(program, manager, cols, row):
    second = raci_row(program, {cols["ana"]: "AR"}, activity="Cutover rehearsal")
    client = logged_in(manager)

    moved = client.post(
        url("raci_row_move", pk=second.pk), {"direction": "up", "version": "1"}, headers=HX
    )
    column = client.post(
        url("raci_column_move", pk=cols["sc"].pk), {"direction": "left", "version": "1"}, headers=HX
    )

    assert moved.status_code == 200
    html = moved.content.decode()
    assert html.lstrip().startswith('<div id="raci-grid"')
    assert "Row “Cutover rehearsal” moved up." in html
    assert re.findall(r'<tbody id="raci-row-(\d+)"', html) == [str(second.pk), str(row.pk)]
    assert column.status_code == 200
    assert re.findall(r'<th scope="col" class="raci-head-col" id="raci-col-(\d+)"',
                      column.content.decode()) == [
        str(cols["priya"].pk), str(cols["sc"].pk), str(cols["ana"].pk)
    ]  # fmt: skip


def test_row_removal(program, manager, row):
    client = logged_in(manager)
    assert "Remove the row" in client.get(url("raci_row_delete", pk=row.pk)).content.decode()

    response = client.post(url("raci_row_delete", pk=row.pk), {"version": "1"})

    assert response.status_code == 302
    assert not RaciRow.objects.exists()
