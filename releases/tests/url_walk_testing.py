"""Testing rows for the URL walk (merged by releases/tests/url_walk.py).

The base gives a planned cycle with one case run (failed) by the manager; this assigns that case
to the walk's contributor, adds its id for `planned/<id>/` routes and one evidence file of
that run (a fixed file under
MEDIA_ROOT shared by every walk, so the walk leaves no file per run).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from core.permissions import Role
from programs.models import ProgramMembership
from releases.models import RunEvidence
from releases.tests import factories
from releases.views import testing as cycles
from releases.views import testing_cases as cases
from releases.views import testing_runs as runs

WALK_FILE = "test-evidence/url-walk/run.log"


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    path = Path(settings.MEDIA_ROOT) / WALK_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("12:00 ERROR the walk's run\n")
    evidence = RunEvidence(
        program=program, run=base["run"], file_name="run.log", size=27,
        content_type="text/plain", sha256="0" * 64,
    )  # fmt: skip
    evidence.file.name = WALK_FILE
    evidence.save()
    # the walk's contributor is the planned case's tester, so every role that records results
    # may open its run form (test.change roles may anyway)
    tester = ProgramMembership.objects.filter(program=program, role=Role.CONTRIBUTOR).first()
    if tester is not None:
        factories.set_state(base["cycle_case"], actor=manager, tester=tester.user)
    return {
        "planned": {"id": str(base["cycle_case"].pk)},
        "evidence": {"id": str(evidence.pk)},
    }


def _key(site, segment: str, default: str) -> str:
    rows_ = (getattr(site, "app_values", None) or {}).get("releases/", {})  # none at collection
    return rows_.get(segment, {}).get("key", default)


def _cycle_url(site) -> str:
    return f"/programs/{site.program.code}/releases/cycles/{_key(site, 'cycles', 'CYC-1')}/"


def _case_url(site) -> str:
    return f"/programs/{site.program.code}/releases/cases/{_key(site, 'cases', 'TC-1')}/"


ALLOWED_GET = {
    cycles.CycleStartView: lambda s: (302, _cycle_url(s)),
    cycles.CycleReopenView: lambda s: (302, _cycle_url(s)),
    cycles.CycleAssignView: lambda s: (302, _cycle_url(s)),
    # the walk's cycle is planned: there is nothing to close
    cycles.CycleCloseView: lambda s: (302, _cycle_url(s)),
    runs.CycleCaseRemoveView: lambda s: (302, _cycle_url(s)),
    cases.CaseRetireView: lambda s: (302, _case_url(s)),
    cases.CaseRestoreView: lambda s: (302, _case_url(s)),
}
ALLOWED_POST = {
    cycles.CycleCreateView: lambda s: (400, None),  # an empty form comes back with errors
    cycles.CycleEditView: lambda s: (400, None),
    cycles.CyclePlanView: lambda s: (400, None),  # no source picked
    cycles.CycleCloseView: lambda s: (302, _cycle_url(s)),  # refused: not in progress
    cycles.CycleStartView: lambda s: (302, _cycle_url(s)),
    cycles.CycleReopenView: lambda s: (302, _cycle_url(s)),  # refused: not closed
    cycles.CycleDeleteView: lambda s: (302, _cycle_url(s)),  # refused: it has a run
    cycles.CycleAssignView: lambda s: (302, _cycle_url(s)),  # nothing ticked: back with a message
    runs.RunRecordView: lambda s: (400, None),  # no result chosen
    runs.CycleCaseRemoveView: lambda s: (302, _cycle_url(s)),  # refused: it was run
    runs.RunRaiseDefectView: lambda s: (302, None),  # raised, then to the case page
    cases.CaseCreateView: lambda s: (400, None),
    cases.CaseEditView: lambda s: (400, None),
    cases.CaseRetireView: lambda s: (302, _case_url(s)),
    cases.CaseRestoreView: lambda s: (302, _case_url(s)),  # refused: not retired
    cases.CaseDeleteView: lambda s: (302, _case_url(s)),  # refused: planned in a cycle
}
