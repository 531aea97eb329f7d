"""The demo's RACI matrix and compliance register (governance/demo_raci.py), built by seed_demo."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from core.models import OutboundEmail
from governance import demo_raci
from governance.models import Evidence, Obligation, RaciColumn, RaciRow
from governance.selectors.raci import raci_matrix
from programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo seeded once for the module (evidence files in a temporary MEDIA_ROOT), inside a
    transaction rolled back at its end."""
    media = tmp_path_factory.mktemp("media")
    with (
        override_settings(MEDIA_ROOT=str(media)),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=StringIO())
        yield media
        transaction.set_rollback(True)


@pytest.fixture
def erp(seeded, db):
    return Program.objects.get(code="ERP")


def test_matrix_has_plan_items_activities_people_and_roles(erp):
    matrix = raci_matrix(program=erp)

    assert [c.label for c in matrix.columns] == [
        "Daniel Okafor", "Priya Raman", "Marcus Lee", "Ana Souza", "Julien Moreau",
        "Sara Ibrahim", "Kenji Tanaka", "Lena Novak", "Steering committee",
        "Data protection officer",
    ]  # fmt: skip
    kinds = [r.kind_label for r in matrix.rows]
    assert len(matrix.rows) == 14
    assert kinds.count("Activity") == 3
    assert kinds.count("Milestone") == 2
    assert {r.row.label for r in matrix.rows} >= {
        "Data cutover rehearsal",
        "Hypercare support rota",
    }
    assert matrix.problems() == []  # every row: exactly one A, at least one R
    assert not matrix.former_members


def test_register_has_every_status_and_evidence(erp, seeded):
    obligations = Obligation.objects.filter(program=erp)

    assert obligations.count() == 11
    assert set(obligations.values_list("status", flat=True)) == {
        "compliant", "at_risk", "non_compliant", "not_assessed",
    }  # fmt: skip
    assert set(obligations.values_list("kind", flat=True)) == {"regulation", "policy", "contract"}
    files = Evidence.objects.filter(program=erp)
    assert files.count() == 9
    assert {f.file_name.rsplit(".", 1)[1] for f in files} == {"pdf", "txt", "csv"}
    for item in files:
        assert (Path(seeded) / item.file.name).stat().st_size == item.size


def test_access_review_was_escalated_twice(erp):
    review = Obligation.objects.get(program=erp, reference="SOX ITGC AC-1")

    assert review.escalation_level == 2
    assert review.last_escalation.startswith(
        "Step 2: still non-compliant after 19 days; e-mailed the program manager (Priya Raman) "
        "and the sponsor (Daniel Okafor)"
    )
    keys = OutboundEmail.objects.filter(
        idempotency_key__startswith=f"compliance-escalation:{review.pk}:"
    ).values_list("idempotency_key", flat=True)
    assert sorted(k.rsplit(":", 1)[1] for k in keys) == ["1", "2"]


def test_building_again_changes_nothing(erp):
    rows, columns = RaciRow.objects.count(), RaciColumn.objects.count()

    assert demo_raci.build_raci_demo(erp) is None
    assert demo_raci.build_raci_demo(Program.objects.get(code="CRM")) is None
    assert (RaciRow.objects.count(), RaciColumn.objects.count()) == (rows, columns)
