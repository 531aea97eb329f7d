"""Optimistic locking: version checks, what a stale editor is told, the form that keeps input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.forms import VersionedForm, display_value
from core.models import AuditEntry
from core.permissions import Role
from core.tests.factories import UserFactory
from core.versioning import StaleVersionError, apply_changes, lock_current
from programs import services
from programs.forms import WorkstreamForm
from programs.models import Workstream
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return UserFactory(full_name="Ada Manager", can_create_programs=True)


@pytest.fixture
def erp(ada):
    return ProgramFactory(code="ERP", name="ERP migration", manager=ada)


@pytest.fixture
def bob(erp):
    return member(erp, Role.COORDINATOR, full_name="Bob Coordinator").user


@pytest.fixture
def ws(erp, ada):
    return WorkstreamFactory(program=erp, name="Finance", description="GL", actor=ada)


def ws_row(ws) -> dict:
    return Workstream.objects.filter(pk=ws.pk).values().get()


# --- lock_current ---------------------------------------------------------------------------


def test_lock_current_returns_the_row_when_the_version_matches(ws):
    assert lock_current(Workstream, pk=ws.pk, expected_version=1) == ws


def test_lock_current_without_expected_version_does_not_check(ws, ada):
    services.workstream_update(actor=ada, workstream=ws, expected_version=1, name="F2")

    assert lock_current(Workstream, pk=ws.pk, expected_version=None).version == 2


def test_lock_current_on_stale_version_raises_with_the_current_row(ws, ada):
    services.workstream_update(actor=ada, workstream=ws, expected_version=1, name="F2")

    with pytest.raises(StaleVersionError) as exc_info:
        lock_current(Workstream, pk=ws.pk, expected_version=1)

    error = exc_info.value
    assert (error.current.version, error.current.name, error.expected_version) == (2, "F2", 1)
    assert str(error) == (
        "WS-1 F2 was changed by someone else (your version 1, current version 2)."
    )


def test_a_version_from_the_future_is_stale_too(ws):
    with pytest.raises(StaleVersionError) as exc_info:
        lock_current(Workstream, pk=ws.pk, expected_version=5)

    assert exc_info.value.changed_fields == {}
    assert exc_info.value.changed_by == []


# --- apply_changes --------------------------------------------------------------------------


def test_apply_changes_bumps_the_version_and_audits_once(ws, ada):
    result = apply_changes(
        ws, actor=ada, changes={"name": "F2", "status": "closed"}, expected_version=1
    )

    assert (result.name, result.status, result.version) == ("F2", "closed", 2)
    row = ws_row(ws)
    assert (row["name"], row["status"], row["version"]) == ("F2", "closed", 2)
    assert row["updated_at"] > ws.updated_at
    entry = AuditEntry.objects.filter(action="update").get()
    assert entry.changes == {"name": ["Finance", "F2"], "status": ["active", "closed"]}


def test_apply_changes_with_nothing_changed_writes_nothing(ws, ada):
    before, audit_count = ws_row(ws), AuditEntry.objects.count()

    result = apply_changes(ws, actor=ada, changes={"name": "Finance"}, expected_version=1)

    assert result.version == 1
    assert ws_row(ws) == before
    assert AuditEntry.objects.count() == audit_count


def test_apply_changes_validates_before_saving(ws, ada):
    before, audit_count = ws_row(ws), AuditEntry.objects.count()

    with pytest.raises(ValidationError) as exc_info:
        apply_changes(ws, actor=ada, changes={"status": "exploded"}, expected_version=1)

    assert exc_info.value.message_dict == {"status": ["Value 'exploded' is not a valid choice."]}
    assert ws_row(ws) == before
    assert AuditEntry.objects.count() == audit_count


def test_apply_changes_saves_only_the_changed_fields(ws, ada):
    # A value changed in memory but not passed in `changes` is neither compared nor saved.
    ws.description = "changed in memory only"

    apply_changes(ws, actor=ada, changes={"name": "F2"}, expected_version=1)

    assert ws_row(ws)["description"] == "GL"


def test_apply_changes_on_stale_version_changes_nothing(ws, ada, bob):
    apply_changes(ws, actor=ada, changes={"name": "F2"}, expected_version=1)
    before, audit_count = ws_row(ws), AuditEntry.objects.count()

    with pytest.raises(StaleVersionError):
        apply_changes(ws, actor=bob, changes={"name": "Mine"}, expected_version=1)

    assert ws_row(ws) == before
    assert AuditEntry.objects.count() == audit_count


# --- what changed meanwhile -----------------------------------------------------------------


def test_changed_fields_merge_every_change_since_the_editors_version(ws, ada, bob):
    services.workstream_update(actor=ada, workstream=ws, expected_version=1, name="F2")
    services.workstream_update(
        actor=bob, workstream=ws, expected_version=2, name="F3", lead=bob, status="on_hold"
    )

    with pytest.raises(StaleVersionError) as exc_info:
        services.workstream_update(actor=ada, workstream=ws, expected_version=1, name="Mine")

    error = exc_info.value
    assert error.changed_fields == {
        "name": ["Finance", "F3"],
        "lead": [None, {"id": bob.pk, "repr": "Bob Coordinator"}],
        "status": ["active", "on_hold"],
    }
    assert error.changed_by == ["Ada Manager", "Bob Coordinator"]
    assert [e.object_version for e in error.entries] == [2, 3]


def test_changed_fields_leave_out_what_the_editor_already_saw(ws, ada, bob):
    services.workstream_update(actor=ada, workstream=ws, expected_version=1, name="F2")
    services.workstream_update(actor=bob, workstream=ws, expected_version=2, status="closed")

    with pytest.raises(StaleVersionError) as exc_info:
        services.workstream_update(actor=ada, workstream=ws, expected_version=2, name="Mine")

    assert exc_info.value.changed_fields == {"status": ["active", "closed"]}
    assert exc_info.value.changed_by == ["Bob Coordinator"]


def test_changed_fields_ignore_other_objects(erp, ws, ada, bob):
    other = WorkstreamFactory(program=erp, name="HR")
    services.workstream_update(actor=bob, workstream=other, expected_version=1, name="People")
    services.workstream_update(actor=bob, workstream=ws, expected_version=1, description="GL+AP")

    with pytest.raises(StaleVersionError) as exc_info:
        services.workstream_update(actor=ada, workstream=ws, expected_version=1, name="Mine")

    assert exc_info.value.changed_fields == {"description": ["GL", "GL+AP"]}


# --- the form that reports the conflict -----------------------------------------------------


def stale_error(ws, ada, bob) -> StaleVersionError:
    services.workstream_update(
        actor=ada, workstream=ws, expected_version=1, name="Finance & controlling", lead=ada
    )
    with pytest.raises(StaleVersionError) as exc_info:
        services.workstream_update(actor=bob, workstream=ws, expected_version=1, name="Mine")
    return exc_info.value


def test_report_conflict_names_who_and_what_and_keeps_the_input(erp, ws, ada, bob):
    error = stale_error(ws, ada, bob)
    form = WorkstreamForm(
        {"version": "1", "name": "Bob's name", "lead": "", "status": "active", "description": "d"},
        program=erp,
    )
    assert form.is_valid()

    form.report_conflict(error)

    assert form.non_field_errors() == [
        "Ada Manager changed this while you were editing (Lead: (empty) → Ada Manager; "
        "Name: Finance → Finance & controlling). Your changes are kept below; review them and "
        "save again to apply them."
    ]
    assert form.conflict is error
    assert form.data["version"] == "2"
    assert (form.data["name"], form.data["description"]) == ("Bob's name", "d")
    # Bob left the lead alone, so it now shows Ada's choice instead of reverting it.
    assert form.data["lead"] == str(ada.pk)


def test_report_conflict_form_accepts_the_next_save(erp, ws, ada, bob):
    error = stale_error(ws, ada, bob)
    form = WorkstreamForm(
        {"version": "1", "name": "Bob's name", "lead": "", "status": "active", "description": ""},
        program=erp,
    )
    form.is_valid()
    form.report_conflict(error)

    again = WorkstreamForm(form.data, program=erp)

    assert again.is_valid(), again.errors
    data = dict(again.cleaned_data)
    version = data.pop("version")
    saved = services.workstream_update(actor=bob, workstream=ws, expected_version=version, **data)
    # Bob's name wins (he changed it); Ada's lead survives (Bob never touched it).
    assert (saved.name, saved.lead, saved.version) == ("Bob's name", ada, 3)


def test_report_conflict_labels_fields_the_form_does_not_have():
    class NameOnly(VersionedForm):
        pass

    class FakeError:
        changed_fields = {"start_date": ["2026-01-01", "2026-02-01"]}
        changed_by: list[str] = []

        class current:  # stands in for the model instance
            version = 4

    form = NameOnly({"version": "3"})
    form.is_valid()
    form.report_conflict(FakeError())

    assert form.non_field_errors() == [
        "someone else changed this while you were editing (Start date: 2026-01-01 → 2026-02-01). "
        "Your changes are kept below; review them and save again to apply them."
    ]
    assert form.data["version"] == "4"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "(empty)"),
        ("", "(empty)"),
        ({"id": 3, "repr": "Ada Manager"}, "Ada Manager"),
        ("2026-01-05", "2026-01-05"),
        (0, "0"),
        (False, "False"),
    ],
)
def test_display_value(value, shown):
    assert display_value(value) == shown


def test_version_field_rejects_missing_and_non_positive_versions(erp):
    for version in ("", "0", "-1", "x"):
        form = WorkstreamForm(
            {"version": version, "name": "N", "lead": "", "status": "active"}, program=erp
        )
        assert not form.is_valid()
        assert list(form.errors) == ["version"], version


def test_apply_changes_still_checks_a_constraint_that_ties_a_changed_field_to_another(erp, ada):
    """Only what changed is validated again, but a constraint naming a changed field is checked
    with the fields it ties it to: an end date moved before the unchanged start is refused."""
    with pytest.raises(ValidationError) as exc_info:
        apply_changes(
            erp, actor=ada, changes={"end_date": erp.start_date.replace(year=2000)},
            expected_version=erp.version,
        )  # fmt: skip

    assert "program_end_after_start" in str(exc_info.value) or "end" in str(exc_info.value)
    erp.refresh_from_db()
    assert erp.end_date.year != 2000
    assert not AuditEntry.objects.filter(action="update", object_id=str(erp.pk)).exists()


def test_apply_changes_reads_the_row_once_and_validates_only_what_changed(ws, ada, erp):
    """One locking read brings the row's relations for the audit snapshot; unchanged foreign
    keys are not looked up again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ws.lead = ada
    ws.save(update_fields=["lead"])
    with CaptureQueriesContext(connection) as queries:
        apply_changes(ws, actor=ada, changes={"name": "Ledger"}, expected_version=1)

    sql = [q["sql"] for q in queries.captured_queries]
    selects = [s for s in sql if s.startswith("SELECT")]
    assert len([s for s in selects if "FOR UPDATE" in s]) == 1
    # the new name is checked for uniqueness in the program; no foreign key is looked up again
    assert [s for s in selects if s.startswith('SELECT 1 AS "a"')] == [
        s for s in selects if s.startswith('SELECT 1 AS "a" FROM "programs_workstream"')
    ]
    assert not [s for s in selects if '"core_user"' in s and "FOR UPDATE" not in s]
