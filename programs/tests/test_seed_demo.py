"""seed_demo: the demo program with one user per role, idempotent, and --scale for benchmarks.

The demo schedules themselves are tested in schedules/tests/test_demo.py.
"""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from core.models import AuditEntry, User
from core.permissions import Role
from programs.management.commands.seed_demo import DEMO_PASSWORD
from programs.models import Program, ProgramMembership, Workstream
from schedules.models import Baseline, Dependency, Holiday, Item

pytestmark = pytest.mark.django_db


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts():
    """Rows of every installed model (sessions, tokens and axes records included)."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy
    }


def test_seed_demo_builds_the_erp_program():
    output = seed()

    assert "Demo data ready (2 program(s) created this run)." in output
    erp = Program.objects.get(code="ERP")
    assert erp.name == "ERP Migration to S/4HANA"
    assert erp.currency == "EUR"
    assert erp.sponsor.email == "exec@example.com"
    assert list(
        Workstream.objects.filter(program=erp).order_by("key").values_list("name", flat=True)
    ) == [
        "Finance & Controlling",
        "Supply Chain & Procurement",
        "Data Migration",
        "Integration & Technical Architecture",
    ]
    assert all(ws.lead_id for ws in Workstream.objects.filter(program=erp))


def test_seed_demo_has_one_demo_user_per_role():
    seed()

    erp = Program.objects.get(code="ERP")
    by_email = dict(
        ProgramMembership.objects.filter(program=erp).values_list("user__email", "role")
    )
    expected = {
        "pm@example.com": Role.MANAGER,
        "coordinator@example.com": Role.COORDINATOR,
        "contributor@example.com": Role.CONTRIBUTOR,
        "finance@example.com": Role.FINANCE,
        "exec@example.com": Role.EXECUTIVE,
        "viewer@example.com": Role.VIEWER,
        "vendor@example.com": Role.VENDOR,
    }
    assert {email: by_email[email] for email in expected} == expected
    assert set(by_email.values()) == set(Role.values)
    for email in [*expected, "admin@example.com"]:
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD), email
    assert User.objects.get(email="admin@example.com").is_superuser
    assert User.objects.get(email="pm@example.com").can_create_programs


def test_seed_demo_writes_the_audit_trail():
    seed()

    erp = Program.objects.get(code="ERP")
    entries = AuditEntry.objects.filter(program_id=erp.pk)
    workstreams = Workstream.objects.filter(program=erp).count()
    members = ProgramMembership.objects.filter(program=erp).count()
    schedule_rows = sum(
        model.objects.filter(program=erp).count() for model in (Item, Dependency, Holiday, Baseline)
    )
    assert schedule_rows > 300  # the demo plan (schedules/demo.py)
    # each domain app's demo checks its own trail (e.g. risks/tests/test_demo.py)
    created = entries.filter(action="create", content_type__app_label__in=("programs", "schedules"))
    assert created.count() == 1 + members + workstreams + schedule_rows
    assert entries.filter(action="update").exists()


def test_seed_demo_twice_changes_nothing():
    seed()
    before = row_counts()
    audit_before = AuditEntry.objects.count()

    output = seed()

    assert "Demo data ready (0 program(s) created this run)." in output
    assert row_counts() == before
    assert AuditEntry.objects.count() == audit_before


def test_seed_demo_scale_adds_benchmark_programs():
    seed()
    programs_before = Program.objects.count()

    output = seed("--scale", "2", "--workstreams", "5", "--members", "3")

    assert "Demo data ready (2 program(s) created this run)." in output
    assert Program.objects.count() == programs_before + 2
    scaled = Program.objects.filter(code__startswith="SCALE").order_by("code")
    assert list(scaled.values_list("code", flat=True)) == ["SCALE001", "SCALE002"]
    for program in scaled:
        assert Workstream.objects.filter(program=program).count() == 5
        # the manager plus three bench members
        assert ProgramMembership.objects.filter(program=program).count() == 1 + 3
    assert set(Workstream.objects.filter(program__in=scaled).values_list("status", flat=True)) == {
        "active",
        "on_hold",
        "closed",
    }
    # a schedule of 40 items per workstream, as many links
    for program in scaled:
        assert Item.objects.filter(program=program).count() == 5 * 40
        assert Dependency.objects.filter(program=program).count() == 5 * 40
    assert "SCALE001 schedule: 200 items, 200 links." in output


def test_seed_demo_scale_items_sets_the_schedule_size():
    seed("--scale", "2", "--workstreams", "2", "--members", "2", "--items", "30")
    seed("--scale", "3", "--workstreams", "2", "--members", "2", "--items", "0")

    sizes = {
        code: Item.objects.filter(program__code=code).count()
        for code in ("SCALE001", "SCALE002", "SCALE003")
    }
    assert sizes == {"SCALE001": 30, "SCALE002": 30, "SCALE003": 0}


def test_seed_demo_scale_twice_changes_nothing():
    seed("--scale", "2", "--workstreams", "5", "--members", "3")
    before = row_counts()

    seed("--scale", "2", "--workstreams", "5", "--members", "3")

    assert row_counts() == before
