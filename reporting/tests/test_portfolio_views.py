"""The portfolio page and API: the user's programs only, sorting by links (no JavaScript needed),
filters, the summary, the empty state and clear errors for bad options."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.permissions import Role
from core.tests.factories import UserFactory
from programs.tests.factories import ProgramFactory
from reporting.tests.test_portfolio_selectors import _join, _publish

pytestmark = pytest.mark.django_db
URL = "/portfolio/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _table(client, url: str) -> str:
    """The page below its title (the top bar's program switcher lists every program too)."""
    html = client.get(url).content.decode()
    return html[html.index('id="main"') :]


@pytest.fixture
def user():
    user = UserFactory()
    red, amber = (
        ProgramFactory(code="RED1", name="Red program"),
        ProgramFactory(code="AMB1", name="Amber program"),
    )
    _join(user, red)
    _join(user, amber, Role.MANAGER)
    _publish(red, 2, overall="amber", spi="0.95")
    _publish(red, 1, overall="red", spi="0.85")
    _publish(amber, 1, overall="amber", spi="0.99")
    ProgramFactory(code="HIDDEN", name="Somebody else's program")
    return user


def test_the_url_name_is_portfolio_index():
    assert reverse("portfolio:index") == URL


def test_the_page_lists_only_the_users_programs_worst_first(user):
    response = _client(user).get(URL)
    assert response.status_code == 200
    html = _table(_client(user), URL)
    assert "HIDDEN" not in html and "Somebody else" not in html
    assert html.index("RED1") < html.index("AMB1")
    assert "1 red, 1 amber, 0 green" in html
    assert 'aria-sort="descending"' in html  # the RAG column, the default sort
    assert "worse since" in html  # red after amber: the trend arrow says so


def test_sorting_is_a_link_so_it_works_without_javascript(user):
    html = _table(_client(user), URL)
    assert 'href="?sort=spi"' in html
    html = _table(_client(user), URL + "?sort=spi")
    assert html.index("RED1") < html.index("AMB1")
    assert 'href="?sort=-spi"' in html  # the sorted column toggles
    html = _table(_client(user), URL + "?sort=-spi")
    assert html.index("AMB1") < html.index("RED1")


def test_filters_and_their_empty_state(user):
    html = _table(_client(user), URL + "?rag=amber")
    assert "AMB1" in html and "RED1" not in html and "of 2" in html
    html = _client(user).get(URL + "?rag=green").content.decode()
    assert "No program matches" in html


def test_bad_options_are_explained_and_the_page_still_shows(user):
    response = _client(user).get(URL + "?sort=price&rag=purple")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Sort by one of" in html and "RAG is one of" in html
    assert "RED1" in html and "AMB1" in html


def test_a_user_without_programs_gets_a_helpful_empty_state():
    html = _client(UserFactory()).get(URL).content.decode()
    assert "No programs to show yet" in html and "Ask a program manager" in html


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_api_lists_the_users_rows_sorted_and_filtered(user):
    api = APIClient()
    url = reverse("api_v1:reporting_portfolio")
    assert api.get(url).status_code == 401
    api.force_authenticate(user)
    data = api.get(url).json()
    assert [r["code"] for r in data["results"]] == ["RED1", "AMB1"]
    assert data["count"] == 2 and data["total"] == 2
    assert data["summary"]["red"] == 1 and data["summary"]["amber"] == 1
    red = data["results"][0]
    assert red["spi"] == "0.85" and red["rag"]["overall"] == "red"
    assert red["trends"]["spi"] == {
        "direction": "down",
        "better": False,
        "previous": "0.95",
        "previous_period": red["trends"]["spi"]["previous_period"],
    }
    assert red["rag_trends"]["overall"]["better"] is False
    assert [r["code"] for r in api.get(url, {"sort": "-spi"}).json()["results"]] == ["AMB1", "RED1"]
    assert [r["code"] for r in api.get(url, {"rag": "amber"}).json()["results"]] == ["AMB1"]
    bad = api.get(url, {"sort": "price"})
    assert bad.status_code == 400 and "sort" in bad.json()


# --- the demo: both programs, each figure as its own published report says -----------------

from reporting.tests.test_dashboard_selectors import seeded  # noqa: E402, F401


def test_the_demo_portfolio_shows_erp_and_crm(seeded, db):  # noqa: F811
    from programs.models import Program, ProgramMembership
    from releases.models import OPEN_DEFECT_STATUSES, Defect
    from reporting.models import StatusReport

    executive = ProgramMembership.objects.filter(role=Role.EXECUTIVE).first().user
    api = APIClient()
    api.force_authenticate(executive)
    rows = {r["code"]: r for r in api.get(reverse("api_v1:reporting_portfolio")).json()["results"]}
    assert {"ERP", "CRM"} <= set(rows)
    for code, row in rows.items():
        program = Program.objects.get(code=code)
        open_defects = Defect.objects.filter(program=program, status__in=OPEN_DEFECT_STATUSES)
        assert row["open_sev1"] == open_defects.filter(severity=1).count()
        assert row["open_sev2"] == open_defects.filter(severity=2).count()
        latest = StatusReport.objects.filter(program=program, status="published").first()
        if latest is None:
            assert row["report_period"] is None
            continue
        assert row["report_period"] == latest.period
        assert row["rag"]["overall"] == latest.overall_rag
        assert row["risk_exposure"] == latest.snapshot["risk_exposure"]
    html = _client(executive).get(URL).content.decode()
    assert "ERP Migration" in html and "CRM" in html
