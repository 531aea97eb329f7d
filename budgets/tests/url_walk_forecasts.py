"""Forecasts' rows and expectations for the URL walk (merged by budgets/tests/url_walk.py).

The forecast routes act on the walk's budget line. Copying the plan is a POST-only step (GET:
405); an empty POST there lacks the line's version and goes back to the line with a message.
An empty POST to the re-forecast form is its 400 re-render.
"""

from __future__ import annotations

from django.urls import reverse

from budgets.views import forecasts as views


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    return {"forecasts": {"key": base["line"].key}}


def _line(site) -> str:
    key = site.app_values.get("budget/", {}).get("forecasts", {}).get("key", "BL-1")
    return reverse("budgets:forecast_line", kwargs={"code": site.program.code, "key": key})


ALLOWED_GET = {views.ForecastCopyPlanView: lambda s: (405, None)}
ALLOWED_POST = {
    views.ForecastEditView: lambda s: (400, None),
    views.ForecastCopyPlanView: lambda s: (302, _line(s)),
}
