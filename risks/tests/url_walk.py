"""The RAID log's rows for the URL-walking permission test (tests/test_url_permissions.py).

One item of each type, owned by the program's contributor so that every role the matrix lets edit
may edit it (contributors change only what they own), and an action on the risk.
"""

from __future__ import annotations

from django.urls import reverse

from core.permissions import Role
from programs.models import ProgramMembership
from risks import services
from risks.views import analysis, items, log

ROUTE_SEGMENT = "raid/"


def rows(program, manager) -> dict[str, dict[str, str]]:
    contributor = (
        ProgramMembership.objects.filter(program=program, role=Role.CONTRIBUTOR)
        .select_related("user")
        .first()
    )
    owner = contributor.user if contributor else manager
    risk = services.risk_create(
        actor=manager, program=program, title="Data quality", owner=owner, probability=4
    )
    issue = services.issue_create(actor=manager, program=program, title="Late SIT", owner=owner)
    assumption = services.assumption_create(
        actor=manager, program=program, title="Key users free", owner=owner
    )
    dependency = services.dependency_create(
        actor=manager,
        program=program,
        title="Bank certification",
        owner=owner,
        giver_external="House bank",
        receiver_external="Treasury",
    )
    action = services.action_create(
        actor=manager,
        program=program,
        subject=risk,
        title="Cleanse vendors",
        owner=owner,
        due_date=None,
    )
    return {
        "item": {"key": risk.key},
        "risks": {"key": risk.key},
        "issues": {"key": issue.key},
        "assumptions": {"key": assumption.key},
        "dependencies": {"key": dependency.key},
        "actions": {"key": action.key},
    }


def _url(name: str, site, **kwargs) -> str:
    return reverse(f"risks:{name}", kwargs={"code": site.program.code, **kwargs})


def _risk_key(site) -> str:
    return site.app_values.get(ROUTE_SEGMENT, {}).get("risks", {}).get("key", "RSK-1")


ALLOWED_GET = {
    analysis.SnapshotTakeView: lambda s: (302, _url("trend", s)),
    items.RiskReviewView: lambda s: (302, _url("risk_detail", s, key=_risk_key(s))),
    items.ActionSubjectView: lambda s: (302, _url("risk_detail", s, key=_risk_key(s))),
}
ALLOWED_POST = {
    items.ItemCreateView: lambda s: (400, None),  # an empty form comes back with its errors
    items.ItemEditView: lambda s: (400, None),
    items.RiskReviewView: lambda s: (400, None),
    items.RiskRaiseIssueView: lambda s: (400, None),
    log.ItemInlineView: lambda s: (422, None),  # the row editor again, with its errors
    items.ItemDeleteView: lambda s: (302, None),  # to the type's list (no version: no check)
    analysis.SnapshotTakeView: lambda s: (302, _url("trend", s)),
}
