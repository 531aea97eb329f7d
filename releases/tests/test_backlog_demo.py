"""The backlog demo: sprints around today (closed, active, planned) per workstream, ~45 ranked
items, cross-team dependencies and one planned too late, requirements linked."""

from __future__ import annotations

import pytest

from programs.tests.factories import WorkstreamFactory, manager_of
from releases import demo_backlog
from releases.models import BacklogItem, Iteration
from releases.selectors import backlog as selectors
from releases.tests.factories import make_requirement

pytestmark = pytest.mark.django_db


def test_demo_builds_a_realistic_backlog(program):
    manager = manager_of(program)
    workstreams = {code: WorkstreamFactory(program=program, name=code, actor=manager)
                   for code in ("FI", "SC", "DM", "IT")}  # fmt: skip
    requirement = make_requirement(program, title="Supplier master with bank details verified")
    ctx = {"manager": manager, "people": {}, "workstreams": workstreams,
           "requirements": {requirement.key: requirement}}  # fmt: skip

    counts = demo_backlog.build(program, ctx)

    assert counts == {"backlog items": len(demo_backlog.ITEMS), "iterations": 12}
    assert 40 <= len(ctx["backlog"]) <= 50
    statuses = set(Iteration.objects.values_list("status", flat=True))
    assert statuses == {"active", "closed", "planned"}
    items = selectors.annotate_links(selectors.backlog_list(program=program))
    assert sum(1 for i in items if i.links.cross_team) >= 6
    assert any(i.links.at_risk for i in items)
    assert BacklogItem.objects.filter(requirements=requirement).count() == 1
    for ws in workstreams.values():
        ranks = list(BacklogItem.objects.filter(workstream=ws).values_list("rank", flat=True))
        assert sorted(ranks) == list(range(1, len(ranks) + 1))


def test_demo_without_workstreams_does_nothing(program):
    assert demo_backlog.build(program, {}) == {}
