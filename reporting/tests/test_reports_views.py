"""Status report pages through the client: list and history, detail as the snapshot says it,
the forms (errors keep the input), the workflow buttons per role, published = frozen, files."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from budgets.selectors.evm import program_today
from core.permissions import Role
from programs.tests.factories import ProgramFactory, WorkstreamFactory, manager_of, member
from reporting.models import RagOverride, StatusReport
from reporting.periods import period_of, shift
from reporting.services import reports as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory(code="VWS", name="Views test")


@pytest.fixture
def manager(program):
    return manager_of(program)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(program, name, **kwargs):
    return reverse(f"reporting:{name}", kwargs={"code": program.code, **kwargs})


@pytest.fixture
def report(program, manager):
    week = shift(period_of(program_today(program)), -1)
    return services.report_open(actor=manager, program=program, period=week)


def test_list_shows_each_report_with_its_pills_and_the_trend_of_published_weeks(
    program, manager, report
):
    services.report_update(actor=manager, report=report, expected_version=1,
                           headline="Steady week.")  # fmt: skip
    services.report_publish(actor=manager, report=report)
    response = client_of(manager).get(url(program, "report_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert report.period in body and "Steady week." in body
    assert 'id="rpt-trend-data"' in body and "rpt-rag-" in body
    assert "Open this week" in body  # this week has no report yet


def test_the_list_is_empty_with_an_explanation_and_a_viewer_cannot_open(program):
    viewer = member(program, Role.VIEWER).user
    body = client_of(viewer).get(url(program, "report_list")).content.decode()
    assert "No status reports yet" in body and "Open this week" not in body
    response = client_of(viewer).post(url(program, "report_open"), {"period": ""})
    assert response.status_code == 403 and not StatusReport.objects.exists()


def test_open_this_week_creates_the_draft_and_a_second_time_goes_to_it(program, manager):
    client = client_of(manager)
    response = client.post(url(program, "report_open"), {"period": ""})
    report = StatusReport.objects.get(program=program)
    assert report.period == period_of(program_today(program))
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    again = client.post(url(program, "report_open"), {"period": report.period.lower()})
    assert again["Location"] == report.get_absolute_url()
    assert StatusReport.objects.count() == 1


def test_open_a_bad_week_keeps_the_input_with_the_reason(program, manager):
    response = client_of(manager).post(url(program, "report_open"), {"period": "2099-W05"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "has not started yet" in body and 'value="2099-W05"' in body


def test_detail_of_a_draft_says_when_computed_and_offers_what_the_role_may(
    program, manager, report
):
    body = client_of(manager).get(report.get_absolute_url()).content.decode()
    assert "figures computed at" in body and "Refresh figures" in body
    assert "No baseline yet" in body and "No budget yet" in body  # a bare program says so
    for name in ("report_edit", "report_submit", "report_publish", "report_override"):
        assert url(program, name, period=report.period) in body
    viewer = member(program, Role.VIEWER).user
    seen = client_of(viewer).get(report.get_absolute_url()).content.decode()
    assert "Refresh figures" not in seen and url(program, "report_edit", period=report.period) \
        not in seen  # fmt: skip
    assert url(program, "report_briefing", period=report.period) in seen


def test_published_detail_shows_the_stored_snapshot_and_refuses_the_edit_forms(
    program, manager, report
):
    services.override_set(actor=manager, report=report, dimension="risk", rag="red",
                          reason="Supplier insolvency rumours.")  # fmt: skip
    services.report_publish(actor=manager, report=report)
    client = client_of(manager)
    body = client.get(report.get_absolute_url()).content.decode()
    assert "figures frozen" in body and "Published on" in body
    assert "Supplier insolvency rumours." in body and "Refresh figures" not in body
    edit = client.get(url(program, "report_edit", period=report.period))
    assert edit.status_code == 302 and edit["Location"] == report.get_absolute_url()
    refused = client.post(url(program, "report_refresh", period=report.period), follow=True)
    assert "is frozen" in refused.content.decode()


def test_narrative_form_saves_and_a_stale_save_keeps_the_input(program, manager, report):
    client = client_of(manager)
    target = url(program, "report_edit", period=report.period)
    ok = client.post(target, {"version": 1, "headline": "First.", "achievements": "A\nB"})
    assert ok.status_code == 302
    stale = client.post(target, {"version": 1, "headline": "Second.", "achievements": "C"})
    body = stale.content.decode()
    assert stale.status_code == 400 and "changed this while you were editing" in body
    assert 'value="Second."' in body
    report.refresh_from_db()
    assert report.headline == "First."


def test_override_form_without_a_reason_is_refused_and_keeps_the_choice(program, manager, report):
    response = client_of(manager).post(
        url(program, "report_override", period=report.period),
        {"version": report.version, "dimension": "risk", "rag": "red", "reason": ""},
    )
    body = response.content.decode()
    assert response.status_code == 400 and "Give the reason for the override" in body
    assert '<option value="risk" selected>' in body
    assert 'value="red"' in body.split("checked", 1)[0].rsplit("<input", 1)[1]
    assert not RagOverride.objects.exists()


def test_override_and_remove_through_the_pages(program, manager, report):
    client = client_of(manager)
    client.post(url(program, "report_override", period=report.period),
                {"version": report.version, "dimension": "scope", "rag": "red",
                 "reason": "Two large requests."})  # fmt: skip
    assert RagOverride.objects.get().reason == "Two large requests."
    client.post(url(program, "report_override_remove", period=report.period),
                {"dimension": "scope"})  # fmt: skip
    assert not RagOverride.objects.exists()


def test_a_lead_writes_their_commentary_and_sees_only_their_workstream(program, report):
    lead = member(program, Role.CONTRIBUTOR).user
    WorkstreamFactory(program=program, name="Finance", lead=lead)
    other = WorkstreamFactory(program=program, name="Supply")
    client = client_of(lead)
    page = client.get(url(program, "report_commentary", period=report.period)).content.decode()
    assert "Finance" in page and f'value="{other.key}"' not in page
    saved = client.post(url(program, "report_commentary", period=report.period),
                        {"workstream": "WS-1", "rag": "amber", "text": "Close late."})  # fmt: skip
    assert saved.status_code == 302
    refused = client.post(url(program, "report_commentary", period=report.period),
                          {"workstream": other.key, "rag": "green", "text": "Hi"})  # fmt: skip
    assert refused.status_code == 400
    body = client.get(report.get_absolute_url()).content.decode()
    assert "Close late." in body


def test_a_contributor_without_a_workstream_gets_an_explanation(program, report):
    contributor = member(program, Role.CONTRIBUTOR).user
    page = client_of(contributor).get(url(program, "report_commentary", period=report.period))
    assert page.status_code == 200 and "No workstream for you" in page.content.decode()


def test_workflow_buttons_submit_return_publish(program, manager, report):
    coordinator = member(program, Role.COORDINATOR).user
    client = client_of(coordinator)
    client.post(url(program, "report_submit", period=report.period), {"version": 1})
    report.refresh_from_db()
    assert report.status == "review"
    body = client.get(report.get_absolute_url()).content.decode()
    assert "Return to draft" in body and "Publish…" not in body
    assert client.post(url(program, "report_publish", period=report.period)).status_code == 403
    confirm = client_of(manager).get(url(program, "report_publish", period=report.period))
    assert confirm.status_code == 200 and "Publish and freeze" in confirm.content.decode()
    client_of(manager).post(url(program, "report_publish", period=report.period),
                            {"version": report.version})  # fmt: skip
    report.refresh_from_db()
    assert report.status == "published"


def test_files_are_pdfs_named_after_the_report(program, manager, report):
    client = client_of(manager)
    for name, stem in (("report_briefing", "briefing"), ("report_deck", "deck")):
        response = client.get(url(program, name, period=report.period))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert f"{program.code}-{report.period}-{stem}-DRAFT.pdf" in response["Content-Disposition"]


def test_settings_page_saves_and_refuses_red_before_amber_keeping_the_input(program, manager):
    client = client_of(manager)
    page = client.get(url(program, "report_settings"))
    assert page.status_code == 200 and "Amber below" in page.content.decode()
    data = {"version": 1, "spi_amber": "0.95", "spi_red": "0.97", "slipped_amber": 1,
            "slipped_red": 3, "cpi_amber": "0.95", "cpi_red": "0.90", "overrun_amber": "5",
            "overrun_red": "10", "open_changes_amber": 5, "open_changes_red": 10,
            "overdue_changes_amber": 1, "overdue_changes_red": 3, "exposure_amber": "60",
            "exposure_red": "120", "new_high_risks_amber": 1, "new_high_risks_red": 3,
            "sev1_red": 1, "sev2_amber": 1, "sev2_red": 5}  # fmt: skip
    bad = client.post(url(program, "report_settings"), data)
    assert bad.status_code == 400 and "Red must begin at or below amber" in bad.content.decode()
    assert 'value="0.97"' in bad.content.decode()
    ok = client.post(url(program, "report_settings"), {**data, "spi_red": "0.85"})
    assert ok.status_code == 302
    assert str(program.report_settings.spi_red) == "0.85"
    coordinator = member(program, Role.COORDINATOR).user
    assert client_of(coordinator).get(url(program, "report_settings")).status_code == 403
