"""Rows and expectations of the status report pages and API for the URL-walking permission test
(tests/test_url_permissions.py, through reporting/tests/url_walk.py).

The walked report is the base rows' draft (factories.make_report); it gets a risk override and a
commentary of the walk's workstream, so the API's overrides/<dimension>/ and
commentary/<workstream>/ routes act on rows that exist. The workflow steps are POST-only: a GET
goes back to the report; their empty POSTs take the step (or explain the refusal) and go back
too; the forms' empty POSTs re-render with the errors (400).
"""

from __future__ import annotations

from django.urls import reverse

from programs import services as program_services
from reporting.services import reports as services
from reporting.views import reports as pages
from reporting.views import reports_actions as actions


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    report = base["report"]
    services.override_set(
        actor=manager, report=report, dimension="risk", rag="red", reason="Walk override."
    )
    # a workstream of its own: the walk deletes the site's workstream, which a commentary keeps
    workstream = program_services.workstream_create(
        actor=manager, program=program, name="Reports walk"
    )
    services.commentary_save(
        actor=manager, report=report, workstream=workstream, rag="green", text="Walked."
    )
    return {"overrides": {"key": "risk"}, "commentary": {"key": workstream.key}}


def _period(site) -> str:
    rows = site.app_values.get("reports/", {})
    return rows.get("item", {}).get("period", "2026-W48")


def _detail(site):
    return (
        302,
        reverse("reporting:report_detail", kwargs={"code": site.program.code,
                                                   "period": _period(site)}),
    )  # fmt: skip


def _bad(site):
    return (400, None)


ALLOWED_GET: dict = {
    actions.ReportRefreshView: _detail,
    actions.ReportSubmitView: _detail,
    actions.ReportReturnView: _detail,
    actions.ReportOverrideRemoveView: _detail,
}
ALLOWED_POST: dict = {
    actions.ReportEditView: _bad,
    actions.ReportOverrideView: _bad,
    actions.ReportCommentaryView: _bad,
    actions.ReportRefreshView: _detail,
    actions.ReportSubmitView: _detail,
    actions.ReportReturnView: _detail,  # refused (a draft), explained on the report
    actions.ReportPublishView: _detail,
    actions.ReportOverrideRemoveView: _detail,  # no dimension named: refused, explained
    pages.ReportSettingsView: _bad,
}
