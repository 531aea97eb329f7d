"""Defect rows for the URL walk (merged by releases/tests/url_walk.py).

The base rows hold a new defect (`base["defect"]`, routes with "defects/<str:key>"): every page
of it answers 200 to an allowed GET, except the inline status editor, which outside htmx sends
the browser to the step's page, and the summary strip, which sends it to the defect list.
"""

from __future__ import annotations

from django.urls import reverse

from releases.views import defects as views


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    return {"defects": {"key": base["defect"].key}}


def _walk_defect_key(site) -> str:
    # the placeholder while the walk is collected (its site has no rows yet)
    return site.app_values.get("defects/", {}).get("defects", {}).get("key", "WS-1")


ALLOWED_GET = {
    views.DefectStatusView: lambda s: (
        302,
        reverse(
            "releases:defect_transition",
            kwargs={"code": s.program.code, "key": _walk_defect_key(s)},
        ),
    ),
    # the summary strip (htmx), opened as a page, goes to the defect list that holds it
    views.DefectSummaryView: lambda s: (
        302,
        reverse("releases:defect_list", kwargs={"code": s.program.code}),
    ),
}
