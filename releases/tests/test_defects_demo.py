"""The demo's defects: every status, a blocking severity-1 defect for wave 1, spread dates."""

from __future__ import annotations

import pytest
from django.utils import timezone

from programs.tests.factories import WorkstreamFactory
from releases import demo_base, demo_defects
from releases.models import Defect, DefectStatus
from releases.selectors.defects import open_defects_summary

pytestmark = pytest.mark.django_db


def test_demo_defects_cover_the_workflow(program, manager):
    for name in demo_base.WORKSTREAMS.values():
        WorkstreamFactory(program=program, name=name, actor=manager)
    ctx: dict = {}
    demo_base.build(program, ctx)

    counts = demo_defects.build(program, ctx)

    defects = list(Defect.objects.filter(program=program))
    assert counts == {"defects": len(defects)} and len(defects) >= 25
    assert {d.status for d in defects} == set(DefectStatus.values)
    assert {d.severity for d in defects} == {1, 2, 3, 4}
    wave1, wave2 = ctx["releases"]["wave1"], ctx["releases"]["wave2"]
    assert open_defects_summary(program=program, release=wave1)["by_severity"][1] >= 1
    assert all(d.target_release == wave2 for d in defects if d.status == "deferred")
    duplicate = next(d for d in defects if d.rejection_reason == "duplicate")
    assert duplicate.duplicate_of.program_id == program.pk
    ages = [(timezone.now() - d.created_at).days for d in defects]
    assert max(ages) >= 35 and min(ages) <= 1
    assert all(d.transitions.exists() for d in defects)
    assert set(ctx["defects"]) == {d.key for d in defects}
