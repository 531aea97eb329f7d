"""The governance app's rows for the URL-walking permission test (tests/test_url_permissions.py).

`rows()` builds one row per area and merges their URL kwargs: add an area with one more builder
in ROW_BUILDERS, and its views' non-200 answers in ALLOWED_GET / ALLOWED_POST.
"""

from __future__ import annotations

from governance.services import changes as change_services
from governance.services import decisions as decision_services
from governance.views import changes as change_views
from governance.views import decisions as decision_views
from governance.views import raid_actions as action_views

ROUTE_SEGMENT = "governance/"


def _change_rows(program, manager) -> dict[str, dict[str, str]]:
    """A draft change request raised by the manager (so every role's edit page is decidable)."""
    cr = change_services.change_request_create(
        actor=manager,
        program=program,
        title="Add the Brno warehouse to EWM",
        kind="scope",
        description="A third warehouse joins the EWM roll-out.",
        reason="The plant consolidates two sites.",
    )
    return {"item": {"key": cr.key}, "changes": {"key": cr.key}}


def _decision_rows(program, manager) -> dict[str, dict[str, str]]:
    decision = decision_services.decision_record(
        actor=manager, program=program, title="Two go-live waves", statement="Finance first."
    )
    return {"decisions": {"key": decision.key}}


ROW_BUILDERS = [_change_rows, _decision_rows]


def rows(program, manager) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for build in ROW_BUILDERS:
        for segment, values in build(program, manager).items():
            merged.setdefault(segment, {}).update(values)
    return merged


def _bad_form(site):
    return (400, None)  # an empty form (no version, no fields) is re-rendered with its errors


C = change_views
D = decision_views
ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {
    C.ChangeRequestCreateView: _bad_form,
    C.ChangeRequestEditView: _bad_form,
    C.ChangeRequestSubmitView: _bad_form,
    C.ChangeRequestAssessView: _bad_form,
    C.ChangeRequestApproveView: _bad_form,
    C.ChangeRequestRejectView: _bad_form,
    C.ChangeRequestDeferView: _bad_form,
    C.ChangeRequestImplementView: _bad_form,
    C.ChangeRequestCloseView: _bad_form,
    C.ChangeRequestOutcomeView: _bad_form,
    C.ChangePolicyView: _bad_form,
    D.DecisionCreateView: _bad_form,
    D.DecisionEditView: _bad_form,
    D.DecisionSupersedeView: _bad_form,
    D.DecisionDecideView: _bad_form,
    action_views.ChangeRequestActionCreateView: _bad_form,
    action_views.DecisionActionCreateView: _bad_form,
}


# --- the RACI matrix and the compliance register ------------------------------------------------

from pathlib import Path  # noqa: E402

from django.conf import settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from governance.models import Evidence  # noqa: E402
from governance.services import compliance as compliance_services  # noqa: E402
from governance.services import raci as raci_services  # noqa: E402
from governance.views import compliance as compliance_views  # noqa: E402
from governance.views import raci as raci_views  # noqa: E402

WALK_EVIDENCE = "evidence/url-walk/access-review.txt"


def _raci_rows(program, manager) -> dict[str, dict[str, str]]:
    """The manager's column (A/R of an activity) and a role column that only holds an I, so
    removing the role column is allowed."""
    person = raci_services.raci_column_create(
        actor=manager, program=program, kind="person", user=manager
    )
    role = raci_services.raci_column_create(
        actor=manager, program=program, kind="role", role_name="Steering committee"
    )
    row = raci_services.raci_row_create(
        actor=manager, program=program, activity="Data cutover rehearsal",
        cells={person: "AR", role: "I"},
    )  # fmt: skip
    return {
        "raci/rows": {"pk": str(row.pk), "id": str(row.pk)},
        "raci/columns": {"pk": str(role.pk), "id": str(role.pk)},
        "cells": {"pk": str(person.pk)},  # after raci/rows: the cell's column
    }


def _compliance_rows(program, manager) -> dict[str, dict[str, str]]:
    """A compliant obligation with one evidence file (a fixed file under MEDIA_ROOT, written once
    and shared by every walk, so the walk does not leave a file per test)."""
    obligation = compliance_services.obligation_create(
        actor=manager, program=program, title="User access reviews", kind="regulation",
        reference="SOX ITGC AC-3", owner=manager, review_date=program.end_date,
        status="compliant",
    )  # fmt: skip
    path = Path(settings.MEDIA_ROOT) / WALK_EVIDENCE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Q3 user access review, signed off by the controller.\n")
    evidence = Evidence(
        program=program, obligation=obligation, file_name="access-review.txt", size=54,
        content_type="text/plain", sha256="0" * 64, uploaded_by=manager,
    )  # fmt: skip
    evidence.file.name = WALK_EVIDENCE
    evidence.save()
    return {
        "compliance": {"key": obligation.key},
        "obligations": {"key": obligation.key},
        "evidence": {"pk": str(evidence.pk), "id": str(evidence.pk)},
    }


ROW_BUILDERS += [_raci_rows, _compliance_rows]


def _walk_value(site, segment: str, name: str, default: str) -> str:
    """A value of this app's rows (placeholders at collection time, when there are none)."""
    return site.app_values.get(ROUTE_SEGMENT, {}).get(segment, {}).get(name, default)


def _raci(site, focus_row: bool = False) -> tuple[int, str]:
    url = reverse("governance:raci", kwargs={"code": site.program.code})
    if focus_row:
        url += f"?focus=row-{_walk_value(site, 'raci/rows', 'pk', '1')}"
    return (302, url)


def _obligation(site, anchor: str = "") -> tuple[int, str]:
    key = _walk_value(site, "compliance", "key", "CMP-1")
    url = reverse("governance:compliance_detail", kwargs={"code": site.program.code, "key": key})
    return (302, url + anchor)


R = raci_views
K = compliance_views
ALLOWED_GET.update(
    {
        R.RaciRowCellsView: lambda s: _raci(s, focus_row=True),
        R.RaciRowMoveView: _raci,
        R.RaciColumnMoveView: _raci,
        K.EvidenceUploadView: lambda s: _obligation(s, "#evidence"),
    }
)
ALLOWED_POST.update(
    {
        R.RaciRowCreateView: _bad_form,
        R.RaciRowCellsView: _bad_form,  # no version: the grid comes back with the reason
        R.RaciRowEditView: _bad_form,
        R.RaciRowMoveView: lambda s: _raci(s, focus_row=True),  # no direction: a message
        R.RaciRowDeleteView: _raci,
        R.RaciColumnCreateView: _bad_form,
        R.RaciColumnEditView: _bad_form,
        R.RaciColumnMoveView: _raci,
        R.RaciColumnDeleteView: _raci,  # the role column holds only an I
        K.ObligationCreateView: _bad_form,
        K.ObligationEditView: _bad_form,
        K.ObligationDeleteView: _obligation,  # refused: it has evidence
        K.EvidenceUploadView: _bad_form,
        K.EvidenceDeleteView: lambda s: _obligation(s, "#evidence"),
    }
)
