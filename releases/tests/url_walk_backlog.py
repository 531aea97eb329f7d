"""The backlog's expectations for the URL walk (merged by releases/tests/url_walk.py).

The base rows give the item (`backlog/<key>`) and the iteration (`iterations/<pk>`). The
POST-only steps answer GET with 405; an empty POST re-renders a form (400) or, for the steps
that need nothing, does them and redirects (the walk rolls each request back).
"""

from __future__ import annotations

from django.urls import reverse

from releases.views import backlog as views
from releases.views import backlog_grooming as grooming
from releases.views import backlog_import as jira
from releases.views import backlog_iterations as iterations


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    return {"backlog-walk": {"workstream": base["workstream"].key, "item": base["item"].key}}


def _walk(site) -> dict:
    """The walk's rows; placeholders while the walk is only being planned (no rows yet)."""
    rows = getattr(site, "app_values", {}).get("backlog/") or {}
    return rows.get("backlog-walk") or {"workstream": "WS-1", "item": "PBI-1"}


def _item(site, anchor: str = "") -> str:
    url = reverse("releases:backlog_detail", kwargs={"code": site.program.code,
                                                    "key": _walk(site)["item"]})  # fmt: skip
    return url + anchor


def _grooming(site, query: bool = True) -> str:
    url = reverse("releases:backlog_grooming", kwargs={"code": site.program.code})
    return url + (f"?workstream={_walk(site)['workstream']}" if query else "")


def _code(site) -> dict:
    return {"code": site.program.code}


POST_ONLY = (views.BacklogStatusView, grooming.ItemMoveView, grooming.ItemAssignView,
             grooming.RankByWsjfView, views.DependencyAddView, views.DependencyRemoveView,
             views.RequirementLinkView, views.RequirementUnlinkView)  # fmt: skip
ALLOWED_GET = {view: (lambda s: (405, None)) for view in POST_ONLY}
ALLOWED_POST = {
    views.BacklogCreateView: lambda s: (400, None),
    views.BacklogEditView: lambda s: (400, None),
    views.BacklogDeleteView: lambda s: (302, reverse("releases:backlog_list", kwargs=_code(s))),
    views.BacklogStatusView: lambda s: (302, _item(s)),
    grooming.ItemMoveView: lambda s: (302, _grooming(s)),
    grooming.ItemAssignView: lambda s: (302, _grooming(s)),
    grooming.RankByWsjfView: lambda s: (302, _grooming(s, query=False)),
    views.DependencyAddView: lambda s: (400, None),
    views.DependencyRemoveView: lambda s: (302, _item(s, "#dependencies")),
    views.RequirementLinkView: lambda s: (400, None),
    views.RequirementUnlinkView: lambda s: (302, _item(s, "#requirements")),
    jira.JiraImportView: lambda s: (400, None),
    iterations.IterationCreateView: lambda s: (400, None),
    iterations.IterationEditView: lambda s: (400, None),
    iterations.IterationCloseView: lambda s: (400, None),
    iterations.IterationDeleteView: lambda s: (
        302,
        reverse("releases:iteration_list", kwargs=_code(s)),
    ),
}
