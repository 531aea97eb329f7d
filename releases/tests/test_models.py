"""Row-level rules of the releases models: WSJF kept on save, keys, release versions unique."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.versioning import apply_changes
from programs.tests.factories import ProgramFactory, manager_of
from releases.models import wsjf
from releases.tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ((8, 5, 3, 2), Decimal("8.00")),  # (8 + 5 + 3) / 2
        ((20, 20, 20, 1), Decimal("60.00")),
        ((1, 1, 1, 20), Decimal("0.15")),
        ((5, 3, 2, 3), Decimal("3.33")),
        ((5, None, 2, 3), None),  # not scored yet
        ((5, 3, 2, None), None),
    ],
)
def test_wsjf_is_cost_of_delay_over_job_size(scores, expected):
    assert wsjf(*scores) == expected


def test_wsjf_is_kept_when_a_score_changes_through_a_partial_save():
    program = ProgramFactory()
    item = factories.make_backlog_item(
        program, business_value=8, time_criticality=5, risk_reduction=3, job_size=8
    )
    assert item.wsjf == Decimal("2.00")
    apply_changes(item, actor=manager_of(program), changes={"job_size": 2}, expected_version=1)
    item.refresh_from_db()
    assert item.wsjf == Decimal("8.00")


def test_keys_are_per_program_and_sequential():
    program, other = ProgramFactory(), ProgramFactory()
    first, second = factories.make_requirement(program), factories.make_requirement(program)
    assert (first.key, second.key) == ("REQ-1", "REQ-2")
    assert factories.make_requirement(other).key == "REQ-1"
    assert factories.make_defect(program).key == "DEF-1"
    assert factories.make_case(program).key == "TC-1"


def test_a_release_version_is_unique_in_its_program():
    program = ProgramFactory()
    factories.make_release(program, version_label="1.0")
    with pytest.raises(ValidationError) as error:
        factories.make_release(program, version_label="1.0")
    assert "already has a release with that version" in str(error.value)
    assert factories.make_release(ProgramFactory(), version_label="1.0").key == "REL-1"
