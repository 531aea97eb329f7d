"""The program dashboard page and its API: who sees it, what it shows (the same numbers as the
budget overview and the RAID heat map pages), and that it carries no inline script."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from budgets.selectors.evm import program_today
from budgets.selectors.overview import overview_figures
from core.permissions import Role
from core.templatetags.money import money
from core.tests.factories import UserFactory
from programs.tests.factories import ProgramFactory, manager_of, member
from reporting.tests.factories import make_report
from risks.selectors import risk_heatmap
from risks.tests.factories import make_action, make_risk

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(program) -> str:
    return reverse("reporting:dashboard", kwargs={"code": program.code})


def test_members_see_the_dashboard_others_are_refused():
    program = ProgramFactory()
    assert _client(manager_of(program)).get(_url(program)).status_code == 200
    assert _client(member(program, Role.VIEWER).user).get(_url(program)).status_code == 200
    assert _client(member(program, Role.VENDOR).user).get(_url(program)).status_code == 403
    assert _client(UserFactory()).get(_url(program)).status_code == 404
    anonymous = Client().get(_url(program))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_the_page_shows_tiles_actions_heat_map_and_the_latest_report():
    program = ProgramFactory()
    owner = member(program, full_name="Kenji Tanaka").user
    make_action(
        program,
        title="Book the cutover rehearsal",
        owner=owner,
        due_date=program_today(program) - dt.timedelta(days=2),
    )
    make_risk(program, probability=5, impact_cost=5)
    make_report(program, period="2026-W40", status="published")
    html = _client(manager_of(program)).get(_url(program)).content.decode()
    for dimension in ("Overall", "Schedule", "Cost", "Scope", "Risk", "Quality"):
        assert f'<div class="subheader">{dimension}</div>' in html
    assert "No baseline yet: the schedule is not rated." in html
    assert "Book the cutover rehearsal" in html and "Kenji Tanaka" in html
    assert "2 days late" in html
    assert 'aria-label="1 open risk, probability 5, impact 5"' in html
    assert "2026-W40" in html
    assert "No budget yet" in html  # the burn chart's empty state, and no chart script
    assert "chart.umd.min.js" not in html


def test_the_page_has_no_inline_script(settings):
    program = ProgramFactory()
    html = _client(manager_of(program)).get(_url(program)).content.decode()
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert scripts == []


def test_the_api_gives_the_dashboard_figures_to_members_only():
    program = ProgramFactory()
    make_risk(program, probability=4, impact_cost=4)
    api = APIClient()
    url = reverse("api_v1:reporting_dashboard", kwargs={"code": program.code})
    assert api.get(url).status_code == 401
    api.force_authenticate(UserFactory())
    assert api.get(url).status_code == 404
    api.force_authenticate(member(program, Role.EXECUTIVE).user)
    response = api.get(url)
    assert response.status_code == 200
    data = response.json()
    assert data["program"] == program.code and data["budget"] is None
    assert [r["dimension"] for r in data["rag"]] == [
        "overall",
        "schedule",
        "cost",
        "scope",
        "risk",
        "quality",
    ]
    assert data["risk_exposure"] == 16 and data["open_risks"] == 1
    assert len(data["heat_map"]) == 25
    assert {"probability": 4, "impact": 4, "count": 1, "band": "high"} in data["heat_map"]
    assert data["latest_report"] is None


# --- on the demo: the dashboard's numbers are the domain pages' numbers ----------------------

from reporting.tests.test_dashboard_selectors import erp, seeded  # noqa: E402, F401


def test_the_demo_dashboard_prints_the_budget_and_risk_pages_figures(erp):  # noqa: F811
    pm = manager_of(erp)
    client = _client(pm)
    page = client.get(_url(erp)).content.decode()
    budget_page = client.get(reverse("budgets:overview", kwargs={"code": "ERP"})).content.decode()
    figures = overview_figures(erp)
    for amount in (figures.budget, figures.actual, figures.eac):
        text = money(amount, "EUR")
        assert text in page and text in budget_page
    heat_page = client.get(reverse("risks:heat_map", kwargs={"code": "ERP"})).content.decode()
    exposure = risk_heatmap(program=erp).figures["exposure"]
    assert f'<span class="h2 mb-0">{exposure}</span>' in page
    assert f'<div class="h2 mb-0">{exposure}</div>' in heat_page
    assert 'id="dash-burn-data" type="application/json"' in page
    assert "budgets/overview.js" in page  # the budget overview's chart, drawn the same way
    api = APIClient()
    api.force_authenticate(pm)
    data = api.get(reverse("api_v1:reporting_dashboard", kwargs={"code": "ERP"})).json()
    assert data["budget"]["budget"] == f"{figures.budget:.2f}"
    assert data["budget"]["variance"] == f"{figures.variance:.2f}"
    assert data["risk_exposure"] == exposure
