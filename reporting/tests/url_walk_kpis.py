"""KPI rows for the URL walk (merged by reporting/tests/url_walk.py).

The base rows hold a manual KPI without values (`base["kpi"]`, routes with "kpis/<str:key>"):
its pages answer 200 to an allowed GET, except the POST-only steps, which send a GET back to
the KPI list ("add the standard KPIs", "record this week now") or to the KPI's value form.
"""

from __future__ import annotations

from django.urls import reverse

from reporting.views import kpis as views


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    return {"kpis": {"key": base["kpi"].key}}


def _key(site) -> str:
    # the placeholder while the walk is collected (its site has no rows yet)
    return site.app_values.get("kpis/", {}).get("kpis", {}).get("key", "WS-1")


def _list(site) -> str:
    return reverse("reporting:kpi_list", kwargs={"code": site.program.code})


ALLOWED_GET = {
    views.KpiStandardView: lambda s: (302, _list(s)),
    views.KpiRecordView: lambda s: (302, _list(s)),
    views.KpiValueCreateView: lambda s: (
        302,
        reverse("reporting:kpi_detail", kwargs={"code": s.program.code, "key": _key(s)})
        + "#enter-value",
    ),
}
ALLOWED_POST = {
    views.KpiStandardView: lambda s: (302, _list(s)),
    views.KpiRecordView: lambda s: (302, _list(s)),
}
