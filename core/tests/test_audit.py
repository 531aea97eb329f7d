"""The audit trail: what services record, and that nothing can edit or erase it afterwards."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, ProgrammingError, connection, transaction
from django.urls import reverse

from core.audit import diff, history_for_object, snapshot
from core.audit_guard import AuditedQuerySet, UnauditedWriteError, bulk_writes_allowed
from core.models import AuditEntry, VersionedModel
from core.permissions import Role
from core.tests.factories import UserFactory
from programs import services
from programs.models import Program, ProgramMembership, Workstream
from programs.tests.factories import WorkstreamFactory, member

pytestmark = pytest.mark.django_db

REQUEST_ID = "req-0123456789abcdef"


def audit_rows() -> list[dict]:
    return list(AuditEntry.objects.order_by("id").values())


def workstream_rows() -> list[dict]:
    return list(Workstream.objects.order_by("id").values())


def entries_for(instance) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(instance)
    return list(
        AuditEntry.objects.filter(content_type=ct, object_id=str(instance.pk)).order_by("id")
    )


@pytest.fixture
def workstream(program, manager):
    return WorkstreamFactory(
        program=program, name="Finance", description="GL and AP", actor=manager
    )


# --- what services record -------------------------------------------------------------------


def test_service_create_records_actor_program_and_field_values(program, manager, workstream):
    [entry] = entries_for(workstream)

    assert entry.action == "create"
    assert entry.actor == manager
    assert entry.actor_name == str(manager)
    assert entry.request_id == ""
    assert entry.program_id == program.pk
    assert entry.content_type == ContentType.objects.get_for_model(Workstream)
    assert entry.object_id == str(workstream.pk)
    assert entry.object_repr == "WS-1 Finance"
    assert entry.object_version == 1
    assert entry.changes == {
        "program": [None, {"id": program.pk, "repr": "ERP · ERP migration"}],
        "key": [None, "WS-1"],
        "name": [None, "Finance"],
        "description": [None, "GL and AP"],
        "status": [None, "active"],
    }


def test_service_update_records_only_the_changed_fields(program, manager, workstream):
    services.workstream_update(
        actor=manager,
        workstream=workstream,
        expected_version=1,
        name="Finance & controlling",
        description="GL and AP",
        status="on_hold",
    )

    entry = entries_for(workstream)[-1]
    assert (entry.action, entry.actor, entry.program_id) == ("update", manager, program.pk)
    assert entry.object_version == 2
    assert entry.changes == {
        "name": ["Finance", "Finance & controlling"],
        "status": ["active", "on_hold"],
    }


def test_service_delete_records_the_last_values(program, manager, workstream):
    pk = workstream.pk

    services.workstream_delete(actor=manager, workstream=workstream, expected_version=1)

    entry = AuditEntry.objects.get(action="delete")
    assert (entry.actor, entry.program_id, entry.object_id) == (manager, program.pk, str(pk))
    assert entry.changes == {
        "program": [{"id": program.pk, "repr": "ERP · ERP migration"}, None],
        "key": ["WS-1", None],
        "name": ["Finance", None],
        "description": ["GL and AP", None],
        "status": ["active", None],
    }


def test_service_without_actor_records_system(program):
    ws = WorkstreamFactory(program=program, actor=None)

    [entry] = entries_for(ws)
    assert (entry.actor, entry.actor_name) == (None, "system")


def test_program_entries_carry_the_programs_own_id(program):
    [entry] = entries_for(program)

    assert (entry.action, entry.program_id) == ("create", program.pk)


def test_snapshot_and_diff_skip_bookkeeping_fields(workstream):
    data = snapshot(workstream)

    assert set(data) == {"program", "key", "name", "lead", "description", "status"}
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}


def test_history_for_object_lists_only_that_object(program, manager, workstream):
    other = WorkstreamFactory(program=program, name="HR")
    services.workstream_update(actor=manager, workstream=workstream, expected_version=1, name="F")

    history = list(history_for_object(workstream))

    assert [e.action for e in history] == ["update", "create"]
    assert {e.object_id for e in history} == {str(workstream.pk)}
    assert len(history_for_object(other)) == 1


# --- the request id ---------------------------------------------------------------------------


def test_change_through_a_request_stores_its_request_id(client, program, manager, workstream):
    client.force_login(manager)
    url = reverse("programs:workstream_edit", kwargs={"code": "ERP", "key": "WS-1"})

    response = client.post(
        url,
        {"version": 1, "name": "Money", "lead": "", "status": "active", "description": ""},
        headers={"X-Request-ID": REQUEST_ID},
    )

    assert response.status_code == 302
    assert response["X-Request-ID"] == REQUEST_ID
    entry = entries_for(workstream)[-1]
    assert (entry.action, entry.actor, entry.request_id) == ("update", manager, REQUEST_ID)
    assert entry.changes == {"name": ["Finance", "Money"], "description": ["GL and AP", ""]}


def test_create_and_delete_through_requests_store_request_ids(client, program, manager):
    client.force_login(manager)

    response = client.post(
        reverse("programs:workstream_create", kwargs={"code": "ERP"}),
        {"name": "Data", "lead": "", "status": "active", "description": ""},
        headers={"X-Request-ID": "create-request-1"},
    )
    assert response.status_code == 302
    ws = Workstream.objects.get(program=program, name="Data")
    response = client.post(
        reverse("programs:workstream_delete", kwargs={"code": "ERP", "key": ws.key}),
        {"version": 1},
        headers={"X-Request-ID": "delete-request-1"},
    )
    assert response.status_code == 302

    rows = AuditEntry.objects.filter(object_id=str(ws.pk), content_type__model="workstream")
    assert sorted(rows.values_list("action", "request_id")) == [
        ("create", "create-request-1"),
        ("delete", "delete-request-1"),
    ]


def test_unsafe_request_id_is_replaced_by_a_generated_one(client, program, manager, workstream):
    client.force_login(manager)
    url = reverse("programs:workstream_edit", kwargs={"code": "ERP", "key": "WS-1"})

    response = client.post(
        url,
        {"version": 1, "name": "Money", "lead": "", "status": "active", "description": ""},
        headers={"X-Request-ID": "bad id\n<script>"},
    )

    generated = response["X-Request-ID"]
    assert len(generated) == 32
    assert all(c in "0123456789abcdef" for c in generated)
    assert entries_for(workstream)[-1].request_id == generated


# --- append-only: the model -------------------------------------------------------------------


def test_saving_an_existing_entry_is_refused(workstream):
    entry = entries_for(workstream)[0]
    before = audit_rows()
    entry.actor_name = "someone else"

    with pytest.raises(PermissionDenied, match=r"^Audit entries are append-only\.$"):
        entry.save()

    assert audit_rows() == before


def test_deleting_an_entry_is_refused(workstream):
    entry = entries_for(workstream)[0]
    before = audit_rows()

    with pytest.raises(PermissionDenied, match=r"^Audit entries are append-only\.$"):
        entry.delete()

    assert audit_rows() == before


# --- append-only: the database trigger ------------------------------------------------------


def test_trigger_is_installed_on_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditentry'::regclass "
            "AND NOT tgisinternal"
        )
        assert cursor.fetchall() == [("core_auditentry_append_only",)]


@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        ("UPDATE core_auditentry SET actor_name = 'forged', changes = '{}'", "UPDATE"),
        ("DELETE FROM core_auditentry", "DELETE"),
        ("DELETE FROM core_auditentry WHERE action = 'create'", "DELETE"),
    ],
    ids=["update", "delete-all", "delete-some"],
)
def test_raw_sql_cannot_change_the_trail(workstream, sql, operation):
    before = audit_rows()
    assert len(before) == 3  # program, manager membership, workstream

    # The trigger raises with SQLSTATE 42501 (insufficient_privilege): psycopg maps it to
    # InsufficientPrivilege, which Django wraps as ProgrammingError.
    with (
        pytest.raises(
            ProgrammingError, match=f"core_auditentry is append-only: {operation} is not allowed"
        ),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert audit_rows() == before


def test_queryset_update_and_delete_on_the_trail_hit_the_trigger(workstream):
    before = audit_rows()

    with pytest.raises(ProgrammingError), transaction.atomic():
        AuditEntry.objects.filter(program_id=workstream.program_id).update(actor_name="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()

    assert audit_rows() == before


# --- append-only: the admin -------------------------------------------------------------------


@pytest.fixture
def superuser_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True, full_name="Root Admin")
    client.force_login(admin)
    return client


def test_admin_lists_audit_entries(superuser_client, workstream):
    response = superuser_client.get(reverse("admin:core_auditentry_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert b"WS-1 Finance" in response.content
    assert response.context["has_add_permission"] is False


def test_admin_change_form_is_read_only(superuser_client, manager, workstream):
    entry = entries_for(workstream)[0]
    url = reverse("admin:core_auditentry_change", args=[entry.pk])

    page = superuser_client.get(url)
    response = superuser_client.post(url, {"actor_name": "forged", "action": "delete"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    assert response.status_code == 403
    entry.refresh_from_db()
    assert (entry.actor_name, entry.action) == (str(manager), "create")


def test_admin_cannot_add_or_delete_audit_entries(superuser_client, workstream):
    entry = entries_for(workstream)[0]
    before = audit_rows()

    add = superuser_client.post(reverse("admin:core_auditentry_add"), {"actor_name": "x"})
    delete_page = superuser_client.get(reverse("admin:core_auditentry_delete", args=[entry.pk]))
    delete = superuser_client.post(
        reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    bulk = superuser_client.post(
        reverse("admin:core_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert (add.status_code, delete_page.status_code, delete.status_code) == (403, 403, 403)
    # No admin action is offered, so the bulk delete is ignored and the list shown again.
    assert bulk.status_code == 200
    assert bulk.context["action_form"] is None
    assert audit_rows() == before


# --- the audited QuerySet guard -------------------------------------------------------------


def audited_models() -> list[type]:
    return [m for m in apps.get_models() if issubclass(m, VersionedModel) and not m._meta.abstract]


def test_every_versioned_model_uses_the_audited_queryset():
    models = audited_models()

    assert {m.__name__ for m in models} >= {"Program", "Workstream", "ProgramMembership"}
    for model in models:
        assert isinstance(model._default_manager.all(), AuditedQuerySet), model


def test_queryset_update_on_an_audited_model_is_refused(program, workstream):
    before = workstream_rows()

    with pytest.raises(UnauditedWriteError, match=r"^Workstream\.objects\.update\(\) bypasses"):
        Workstream.objects.filter(program=program).update(name="Renamed")
    with pytest.raises(UnauditedWriteError):
        program.workstreams.update(status="closed")

    assert workstream_rows() == before


def test_queryset_delete_on_an_audited_model_is_refused(program, workstream):
    before = workstream_rows()

    with pytest.raises(UnauditedWriteError, match=r"^Workstream\.objects\.delete\(\) bypasses"):
        Workstream.objects.filter(pk=workstream.pk).delete()
    with pytest.raises(UnauditedWriteError):
        ProgramMembership.objects.filter(program=program).delete()

    assert workstream_rows() == before
    assert program.memberships.count() == 1


def test_bulk_create_on_an_audited_model_is_refused(program):
    before = workstream_rows()
    audit_before = audit_rows()

    with pytest.raises(UnauditedWriteError, match=r"^Workstream\.objects\.bulk_create\(\)"):
        Workstream.objects.bulk_create([Workstream(program=program, key="WS-9", name="Sneaky")])

    assert workstream_rows() == before
    assert audit_rows() == audit_before


def test_bulk_update_on_an_audited_model_is_refused(workstream):
    before = workstream_rows()
    workstream.name = "Sneaky"

    with pytest.raises(UnauditedWriteError, match=r"^Workstream\.objects\.bulk_update\(\)"):
        Workstream.objects.bulk_update([workstream], ["name"])

    assert workstream_rows() == before


def test_program_queryset_writes_are_refused(program):
    before = list(Program.objects.values())

    with pytest.raises(UnauditedWriteError):
        Program.objects.update(name="Renamed")

    assert list(Program.objects.values()) == before


def test_bulk_writes_allowed_opens_the_guard_for_a_service(workstream):
    with bulk_writes_allowed():
        updated = Workstream.objects.filter(pk=workstream.pk).update(description="bulk")

    assert updated == 1
    workstream.refresh_from_db()
    assert workstream.description == "bulk"
    # ...and closes again afterwards.
    with pytest.raises(UnauditedWriteError):
        Workstream.objects.filter(pk=workstream.pk).update(description="again")


# --- source scan ------------------------------------------------------------------------------
#
# The runtime guard covers every manager and related manager of an audited model. The scan adds a
# precise static check for the one path it cannot see, `Model._base_manager`, and for direct
# `Model.objects...update()` chains anywhere outside services. It recognises call chains that start
# at an audited model's name; a queryset passed around in a variable is left to the runtime guard.

BULK_METHODS = {"update", "delete", "bulk_create", "bulk_update"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}
SKIPPED_DIRS = {".venv", "migrations", "tests", "node_modules", "static", "var", ".git", "bench"}
# Services that live outside a services.py because of their size; each writes its audit rows
# itself (in bulk) and its tests check them.
BULK_SERVICES = {
    "schedules/interchange/mspdi_import.py",  # thousands of rows; audit_create_many/audit_delete
    "schedules/demo.py",  # the demo plan and benchmark-sized schedules; audit_create_many
    "risks/demo.py",  # backdates when each demo risk was raised
    "risks/imports/__init__.py",  # RAID import: bulk rows, creation entries written in bulk
    "governance/demo_raci.py",  # backdates when one demo obligation turned non-compliant
    "governance/demo.py",  # backdates the demo requests' timelines and decisions to the story
    "vendors/demo_contracts.py",  # backdates when each demo amendment was recorded
    "vendors/demo_deliverables.py",  # backdates the demo submission rounds and reviews
    "budgets/services/gl_import.py",  # GL import: bulk cost entries, audit_create_many
    "releases/demo_requirements.py",  # backdates approvals; sets demo states the rules refuse
    "releases/demo_defects.py",  # backdates the demo defects' workflow trails and retests
    "releases/services/backlog.py",  # rank renumbering and iteration moves: audited per field
    "releases/services/release_rollback.py",  # step renumbering: audited on the plan
    "reporting/demo_reports.py",  # stores the demo weeks' story figures, backdates to Fridays
}


def _chain_root(node: ast.AST) -> tuple[str | None, set[str]]:
    """For `A.b(...).c.d(...)`, return ('A', {'b', 'c', 'd'})."""
    attrs: set[str] = set()
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            attrs.add(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            break
    return (node.id if isinstance(node, ast.Name) else None), attrs


def unaudited_writes(source: str, model_names: set[str]) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in BULK_METHODS
        ):
            continue
        root, attrs = _chain_root(node.func.value)
        if root in model_names and attrs & MANAGERS:
            found.append((node.lineno, f"{root}....{node.func.attr}()"))
    return found


def test_source_scan_finds_the_patterns_it_is_meant_to_find():
    source = (
        "Workstream.objects.filter(pk=1).update(name='x')\n"
        "Workstream._base_manager.filter(pk=1).delete()\n"
        "Program.objects.bulk_create([])\n"
        "ProgramMembership.objects.all()[:5].bulk_update([], ['role'])\n"
        "Token.objects.filter(user=u).delete()\n"
        "context.update(a=1)\n"
        "current.delete()\n"
    )

    found = unaudited_writes(source, {"Workstream", "Program", "ProgramMembership"})

    assert found == [
        (1, "Workstream....update()"),
        (2, "Workstream....delete()"),
        (3, "Program....bulk_create()"),
        (4, "ProgramMembership....bulk_update()"),
    ]


def test_no_unaudited_bulk_writes_outside_services():
    names = {m.__name__ for m in audited_models()}
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if SKIPPED_DIRS & set(rel.parts[:-1]) or path.name == "services.py":
            continue
        if rel.as_posix() in BULK_SERVICES:
            continue
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        for lineno, what in unaudited_writes(path.read_text(encoding="utf-8"), names):
            offenders.append(f"{rel}:{lineno}: {what}")

    assert offenders == [], "Write audited models through their app's services:\n" + "\n".join(
        offenders
    )


def test_member_factory_rows_are_audited_too(program):
    membership = member(program, Role.VIEWER)

    [entry] = entries_for(membership)
    assert (entry.action, entry.actor_name, entry.program_id) == ("create", "system", program.pk)
