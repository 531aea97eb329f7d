"""RACI services: columns, rows and letters; the rule (exactly one A, at least one R) in every
form it can be broken, versions, moves, removals and the audit trail."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from core.models import AuditEntry
from core.permissions import Role
from core.tests.factories import UserFactory
from core.versioning import StaleVersionError
from governance.models import RaciCell, RaciColumn, RaciRow
from governance.models.raci import normalise_letter, raci_rule_problems
from governance.selectors.raci import raci_matrix
from governance.services import raci as services
from programs.tests.factories import ProgramFactory, member
from schedules import services as schedule_services
from schedules.models import ItemKind
from schedules.tests.factories import ItemFactory

from .raci_factories import deliverable, person_column, raci_row, role_column

pytestmark = pytest.mark.django_db


@pytest.fixture
def cols(program):
    """Priya (A), Ana, Kenji and the steering committee."""
    return {
        "priya": person_column(program, full_name="Priya Raman"),
        "ana": person_column(program, full_name="Ana Souza"),
        "kenji": person_column(program, full_name="Kenji Tanaka"),
        "sc": role_column(program, "Steering committee"),
    }


@pytest.fixture
def design(program):
    return deliverable(program, "Finance solution design")


def letters(row) -> dict[str, str]:
    return {
        c.column.label: c.letter for c in RaciCell.objects.filter(row=row).select_related("column")
    }


def state() -> tuple:
    """Everything a refused write must leave as it was."""
    return (
        list(RaciRow.objects.order_by("pk").values()),
        list(RaciCell.objects.order_by("pk").values()),
        list(RaciColumn.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


def entries(instance) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(instance)
    return list(
        AuditEntry.objects.filter(content_type=ct, object_id=str(instance.pk)).order_by("id")
    )


# --- the rule, as a function ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("R", "R"), ("a", "A"), ("A/R", "AR"), ("a/r", "AR"), ("RA", "AR"), (" c ", "C"),
     ("i", "I"), ("", ""), (None, ""), ("-", ""), ("\u2013", "")],
)  # fmt: skip
def test_normalise_letter_reads_what_people_type(typed, stored):
    assert normalise_letter(typed) == stored


@pytest.mark.parametrize("typed", ["X", "RR", "AC", "Responsible", "1"])
def test_normalise_letter_refuses_anything_else(typed):
    with pytest.raises(ValueError, match="is not a RACI letter"):
        normalise_letter(typed)


def test_rule_problems_name_the_row_and_the_people():
    assert raci_rule_problems("Go-live", [("Priya", "A"), ("Ana", "R")]) == []
    assert raci_rule_problems("Go-live", [("Priya", "AR")]) == []
    assert raci_rule_problems("Go-live", [("Priya", "A"), ("Ana", "AR"), ("Kenji", "A")]) == [
        "Row “Go-live” needs exactly one A (Accountable); it has 3: Priya, Ana and Kenji. "
        "Keep one A and make the others R, C or I."
    ]
    assert raci_rule_problems("Go-live", [("Ana", "R"), ("Kenji", "C")]) == [
        "Row “Go-live” needs exactly one A (Accountable); it has none. "
        "Mark the one person or role who answers for it."
    ]
    assert raci_rule_problems("Go-live", [("Priya", "A"), ("Kenji", "I")]) == [
        "Row “Go-live” needs at least one R (Responsible); it has none. "
        "The accountable person may do the work too: use A/R."
    ]
    assert len(raci_rule_problems("Go-live", [])) == 2


# --- columns --------------------------------------------------------------------------------------


def test_person_column_is_created_last_and_audited(program, manager, cols):
    column = person_column(program, full_name="Lena Novak")

    assert column.label == "Lena Novak"
    assert column.position == 5
    [entry] = entries(column)
    assert entry.action == "create"
    assert entry.actor == manager
    assert entry.changes["kind"] == [None, "person"]
    assert entry.changes["user"][1]["repr"] == "Lena Novak"


def test_column_of_a_non_member_is_refused(program, manager):
    outsider = UserFactory(full_name="Olga Outside")
    before = state()

    with pytest.raises(ValidationError) as exc:
        services.raci_column_create(actor=manager, program=program, kind="person", user=outsider)

    assert exc.value.message_dict == {"user": ["Olga Outside is not a member of ERP."]}
    assert state() == before


def test_a_person_or_role_gets_one_column(program, manager, cols):
    before = state()

    with pytest.raises(ValidationError) as person:
        services.raci_column_create(
            actor=manager, program=program, kind="person", user=cols["ana"].user
        )
    with pytest.raises(ValidationError) as role:
        services.raci_column_create(
            actor=manager, program=program, kind="role", role_name="  steering COMMITTEE "
        )

    assert person.value.messages == ["This person already has a column in the matrix."]
    assert role.value.messages == ["The matrix already has a column for this role."]
    assert state() == before


def test_role_column_needs_a_name(program, manager):
    with pytest.raises(ValidationError) as exc:
        services.raci_column_create(actor=manager, program=program, kind="role", role_name=" ")

    assert exc.value.message_dict == {"role_name": ['Name the role, e.g. "Steering committee".']}
    assert RaciColumn.objects.count() == 0


def test_column_can_become_a_role_and_keeps_its_letters(program, manager, cols, design):
    row = raci_row(program, {cols["priya"]: "A", cols["ana"]: "R"}, item=design)

    column = services.raci_column_update(
        actor=manager,
        column=cols["ana"],
        expected_version=1,
        kind="role",
        role_name="Finance lead",
    )

    assert (column.kind, column.user, column.role_name, column.version) == (
        "role",
        None,
        "Finance lead",
        2,
    )
    assert letters(row) == {"Priya Raman": "A", "Finance lead": "R"}
    assert entries(column)[-1].changes == {
        "kind": ["person", "role"],
        "role_name": ["", "Finance lead"],
        "user": [{"id": cols["ana"].user_id, "repr": "Ana Souza"}, None],
    }


def test_column_update_with_a_stale_version_changes_nothing(program, manager, cols):
    services.raci_column_update(
        actor=manager, column=cols["sc"], expected_version=1, role_name="Steering board"
    )
    before = state()

    with pytest.raises(StaleVersionError):
        services.raci_column_update(
            actor=manager, column=cols["sc"], expected_version=1, role_name="Board"
        )

    assert state() == before


# --- rows and the rule ----------------------------------------------------------------------------


def test_row_for_a_deliverable_keeps_its_letters_and_history(program, manager, cols, design):
    row = raci_row(
        program,
        {cols["priya"]: "A", cols["ana"]: "R", cols["kenji"]: "c", cols["sc"].pk: "I"},
        item=design,
    )

    assert row.label == f"{design.key} Finance solution design"
    assert row.activity == "Finance solution design"
    assert row.position == 1
    assert letters(row) == {
        "Priya Raman": "A",
        "Ana Souza": "R",
        "Kenji Tanaka": "C",
        "Steering committee": "I",
    }
    assert row.assignments == (
        "A: Priya Raman; R: Ana Souza; C: Kenji Tanaka; I: Steering committee"
    )
    [entry] = entries(row)
    assert entry.action == "create"
    assert entry.changes["assignments"] == [None, row.assignments]


def test_activity_row_with_one_accountable_responsible(program, cols):
    row = raci_row(
        program, {cols["priya"]: "A/R", cols["sc"]: "I"}, activity=" Data cutover rehearsal "
    )

    assert (row.item, row.activity, row.label) == (
        None,
        "Data cutover rehearsal",
        "Data cutover rehearsal",
    )
    assert row.assignments == "A/R: Priya Raman; I: Steering committee"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"priya": "A", "ana": "A", "kenji": "R"},
            "Row “Data cutover rehearsal” needs exactly one A (Accountable); it has 2: "
            "Priya Raman and Ana Souza. Keep one A and make the others R, C or I.",
        ),
        (
            {"priya": "A", "ana": "AR"},
            "Row “Data cutover rehearsal” needs exactly one A (Accountable); it has 2: "
            "Priya Raman and Ana Souza. Keep one A and make the others R, C or I.",
        ),
        (
            {"ana": "R", "kenji": "C"},
            "Row “Data cutover rehearsal” needs exactly one A (Accountable); it has none. "
            "Mark the one person or role who answers for it.",
        ),
        (
            {"priya": "A", "kenji": "C", "sc": "I"},
            "Row “Data cutover rehearsal” needs at least one R (Responsible); it has none. "
            "The accountable person may do the work too: use A/R.",
        ),
    ],
    ids=["two A", "A and A/R", "no A", "no R"],
)
def test_new_row_breaking_the_rule_is_refused_and_nothing_saved(program, cols, cells, message):
    before = state()

    with pytest.raises(ValidationError) as exc:
        raci_row(program, {cols[k]: v for k, v in cells.items()}, activity="Data cutover rehearsal")

    assert exc.value.message_dict == {"cells": [message]}
    assert state() == before


def test_row_without_any_letter_gets_both_reasons(program, cols):
    with pytest.raises(ValidationError) as exc:
        raci_row(program, {}, activity="Hypercare rota")

    assert len(exc.value.message_dict["cells"]) == 2
    assert RaciRow.objects.count() == 0


def test_rows_need_columns_first(program):
    with pytest.raises(ValidationError) as exc:
        raci_row(program, {}, activity="Hypercare rota")

    assert exc.value.message_dict == {
        "cells": ["Add the people and roles (the columns) before adding rows."]
    }


def test_unknown_column_and_letter_are_refused(program, cols):
    other = role_column(ProgramFactory(code="CRM"), "Board")

    with pytest.raises(ValidationError) as exc:
        raci_row(program, {cols["priya"]: "X", other.pk: "R", "abc": "A"}, activity="Cutover")

    assert exc.value.message_dict == {
        "cells": [
            "Priya Raman: 'X' is not a RACI letter; use R, A, A/R, C or I (or leave it empty).",
            f"Column {other.pk} is not in this matrix (it may have been removed).",
            "'abc' is not a column of this matrix.",
        ]
    }
    assert RaciRow.objects.count() == 0


def test_row_item_must_be_a_deliverable_or_milestone_of_this_program(program, cols):
    task = ItemFactory(program=program, name="Configure GL", kind=ItemKind.TASK)
    elsewhere = deliverable(ProgramFactory(code="CRM"), "CRM design")

    with pytest.raises(ValidationError) as as_task:
        raci_row(program, {cols["priya"]: "AR"}, item=task)
    with pytest.raises(ValidationError) as foreign:
        raci_row(program, {cols["priya"]: "AR"}, item=elsewhere)

    assert as_task.value.message_dict == {
        "item": [
            f"{task.key} is a task; rows of the matrix are deliverables, milestones or "
            "free-text activities."
        ]
    }
    assert foreign.value.message_dict == {"item": ["That item belongs to another program."]}
    assert RaciRow.objects.count() == 0


def test_an_item_gets_one_row(program, cols, design):
    raci_row(program, {cols["priya"]: "AR"}, item=design)

    with pytest.raises(ValidationError) as exc:
        raci_row(program, {cols["ana"]: "AR"}, item=design)

    assert exc.value.messages == ["This item already has a row in the matrix."]
    assert RaciRow.objects.count() == 1


def test_milestone_row(program, cols):
    golive = deliverable(program, "Wave 1 go-live", kind=ItemKind.MILESTONE)

    row = raci_row(program, {cols["sc"]: "A", cols["priya"]: "R"}, item=golive)

    assert row.assignments == "A: Steering committee; R: Priya Raman"


# --- updates --------------------------------------------------------------------------------------


@pytest.fixture
def row(program, cols, design):
    return raci_row(program, {cols["priya"]: "A", cols["ana"]: "R", cols["sc"]: "I"}, item=design)


def test_update_replaces_the_letters_bumps_the_version_and_audits(program, manager, cols, row):
    updated = services.raci_row_update(
        actor=manager,
        row=row,
        expected_version=1,
        cells={cols["ana"]: "A", cols["kenji"]: "R", cols["priya"]: "C"},
    )

    assert updated.version == 2
    assert letters(updated) == {"Priya Raman": "C", "Ana Souza": "A", "Kenji Tanaka": "R"}
    assert entries(row)[-1].changes == {
        "assignments": [
            "A: Priya Raman; R: Ana Souza; I: Steering committee",
            "A: Ana Souza; R: Kenji Tanaka; C: Priya Raman",
        ]
    }
    assert entries(row)[-1].object_version == 2


def test_update_with_the_same_letters_changes_nothing(program, manager, cols, row):
    before = state()

    same = services.raci_row_update(
        actor=manager,
        row=row,
        expected_version=1,
        cells={cols["priya"]: "A", cols["ana"]: "R", cols["sc"]: "I"},
    )

    assert same.version == 1
    assert state() == before


def test_update_giving_a_second_a_is_refused_and_keeps_the_stored_letters(
    program, manager, cols, row
):
    before = state()

    with pytest.raises(ValidationError) as exc:
        services.raci_row_update(
            actor=manager,
            row=row,
            expected_version=1,
            cells={cols["priya"]: "A", cols["ana"]: "R", cols["kenji"]: "A"},
        )

    assert exc.value.message_dict["cells"][0].startswith(
        f"Row “{row.label}” needs exactly one A (Accountable); it has 2: Priya Raman and "
        "Kenji Tanaka."
    )
    assert state() == before


def test_update_based_on_a_stale_version_is_refused(program, manager, cols, row):
    services.raci_row_update(
        actor=manager, row=row, expected_version=1, cells={cols["priya"]: "AR"}
    )
    before = state()

    with pytest.raises(StaleVersionError) as exc:
        services.raci_row_update(
            actor=manager, row=row, expected_version=1, cells={cols["kenji"]: "AR"}
        )

    assert exc.value.changed_fields == {
        "assignments": [
            "A: Priya Raman; R: Ana Souza; I: Steering committee",
            "A/R: Priya Raman",
        ]
    }
    assert state() == before


def test_row_can_switch_from_item_to_activity(program, manager, cols, row):
    updated = services.raci_row_update(
        actor=manager, row=row, expected_version=1, item=None, activity="Design workshops"
    )

    assert (updated.item, updated.activity, updated.version) == (None, "Design workshops", 2)
    changes = entries(row)[-1].changes
    assert changes["activity"] == ["Finance solution design", "Design workshops"]
    assert changes["item"][1] is None


def test_cell_set_moves_one_letter_and_keeps_the_rule(program, manager, cols, row):
    updated = services.raci_cell_set(
        actor=manager, row=row, column=cols["kenji"], letter="C", expected_version=1
    )
    assert letters(updated)["Kenji Tanaka"] == "C"

    with pytest.raises(ValidationError) as two_a:
        services.raci_cell_set(
            actor=manager, row=row, column=cols["kenji"], letter="A", expected_version=2
        )
    with pytest.raises(ValidationError) as no_r:
        services.raci_cell_set(
            actor=manager, row=row, column=cols["ana"], letter=None, expected_version=2
        )

    assert "it has 2: Priya Raman and Kenji Tanaka" in two_a.value.message_dict["cells"][0]
    assert "needs at least one R" in no_r.value.message_dict["cells"][0]
    assert letters(row) == {
        "Priya Raman": "A",
        "Ana Souza": "R",
        "Kenji Tanaka": "C",
        "Steering committee": "I",
    }


# --- moves and removals ---------------------------------------------------------------------------


def test_row_moves_renumber_without_touching_versions(program, manager, cols, row):
    second = raci_row(program, {cols["priya"]: "AR"}, activity="Cutover rehearsal")
    third = raci_row(program, {cols["ana"]: "AR"}, activity="Hypercare rota")

    moved = services.raci_row_move(actor=manager, row=third, expected_version=1, delta=-1)
    services.raci_row_move(actor=manager, row=row, expected_version=1, delta=-1)  # already first

    order = list(
        RaciRow.objects.order_by("position").values_list("activity", "position", "version")
    )
    assert order == [
        ("Finance solution design", 1, 1),
        ("Hypercare rota", 2, 1),
        ("Cutover rehearsal", 3, 1),
    ]
    assert moved.position == 2
    assert entries(third)[-1].changes == {"position": [3, 2]}
    assert len(entries(row)) == 1  # not moved, no entry
    assert second.version == 1


def test_column_moves(program, manager, cols):
    services.raci_column_move(actor=manager, column=cols["sc"], expected_version=1, index=0)

    assert [c.label for c in raci_matrix(program=program).columns] == [
        "Steering committee",
        "Priya Raman",
        "Ana Souza",
        "Kenji Tanaka",
    ]
    assert entries(cols["sc"])[-1].changes == {"position": [4, 1]}


def test_column_holding_a_rows_only_a_cannot_be_removed(program, manager, cols, row):
    raci_row(program, {cols["priya"]: "AR"}, activity="Cutover rehearsal")
    before = state()

    with pytest.raises(ValidationError) as exc:
        services.raci_column_delete(actor=manager, column=cols["priya"], expected_version=1)

    assert exc.value.messages == [
        f"Priya Raman holds the only A or the only R of 2 rows: “{row.label}”, “Cutover "
        "rehearsal”. Give those rows another accountable or responsible person first; nothing "
        "was removed."
    ]
    assert state() == before


def test_removing_a_column_takes_its_letters_from_the_rows(program, manager, cols, row):
    assert services.raci_column_delete(actor=manager, column=cols["sc"], expected_version=1) == 1

    row.refresh_from_db()
    assert not RaciColumn.objects.filter(pk=cols["sc"].pk).exists()
    assert letters(row) == {"Priya Raman": "A", "Ana Souza": "R"}
    assert (row.version, row.assignments) == (2, "A: Priya Raman; R: Ana Souza")
    assert entries(row)[-1].changes == {
        "assignments": [
            "A: Priya Raman; R: Ana Souza; I: Steering committee",
            "A: Priya Raman; R: Ana Souza",
        ]
    }
    assert entries(cols["sc"])[-1].action == "delete"


def test_row_delete_is_audited_and_takes_its_cells(program, manager, row):
    services.raci_row_delete(actor=manager, row=row, expected_version=1)

    assert RaciRow.objects.count() == 0
    assert RaciCell.objects.count() == 0
    assert entries(row)[-1].action == "delete"
    assert entries(row)[-1].changes["assignments"][0] == row.assignments


def test_row_delete_with_a_stale_version_is_refused(program, manager, cols, row):
    services.raci_row_update(
        actor=manager, row=row, expected_version=1, cells={cols["priya"]: "AR"}
    )

    with pytest.raises(StaleVersionError):
        services.raci_row_delete(actor=manager, row=row, expected_version=1)

    assert RaciRow.objects.filter(pk=row.pk).exists()


def test_deleting_the_item_from_the_plan_keeps_the_row(program, manager, cols, row, design):
    schedule_services.item_delete(actor=manager, item=design, expected_version=design.version)

    [kept] = raci_matrix(program=program).rows
    assert kept.row.pk == row.pk
    assert kept.row.live_item is None
    assert kept.row.item_removed is True
    assert kept.row.label == "Finance solution design"
    assert kept.kind_label == "Removed from the plan"
    assert kept.letters == ["A", "R", "", "I"]
    # its letters can still be changed
    updated = services.raci_row_update(
        actor=manager, row=kept.row, expected_version=1, cells={cols["ana"]: "AR"}
    )
    assert (updated.version, updated.item_id, updated.assignments) == (
        2,
        design.pk,
        "A/R: Ana Souza",
    )


def test_person_who_left_the_program_keeps_a_marked_column(program, manager, cols):
    from programs import services as program_services

    membership = program.memberships.get(user=cols["kenji"].user)
    program_services.membership_remove(actor=manager, membership=membership)

    matrix = raci_matrix(program=program)
    assert matrix.former_members == {cols["kenji"].pk}


def test_matrix_counts_the_load_per_column(program, cols, row):
    raci_row(program, {cols["priya"]: "AR", cols["ana"]: "C"}, activity="Cutover rehearsal")

    counts = raci_matrix(program=program).column_counts()

    assert counts == [
        {"A": 2, "R": 1, "C": 0, "I": 0},
        {"A": 0, "R": 1, "C": 1, "I": 0},
        {"A": 0, "R": 0, "C": 0, "I": 0},
        {"A": 0, "R": 0, "C": 0, "I": 1},
    ]


def test_contributor_columns_are_program_members_only(program, manager):
    viewer = member(program, Role.VIEWER, full_name="Grace Kim").user

    column = services.raci_column_create(actor=manager, program=program, kind="person", user=viewer)

    assert column.label == "Grace Kim"
