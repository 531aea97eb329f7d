"""The overview page and API: tiles in the program currency equal to the selector's figures,
the empty state, permissions and a query count that does not grow with lines and months."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from budgets.selectors.overview import overview_figures
from core.permissions import Role
from core.templatetags.money import money
from programs.tests.factories import ProgramFactory, manager_of, member

from .factories import actual, make_category, make_line, plan
from .variance_factories import APR, FEB, JAN, MAR, worked_example

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_tiles_show_the_figures_in_the_program_currency(program):
    worked_example(program)
    viewer = member(program, Role.VIEWER).user
    page = client(viewer).get(f"/programs/{program.code}/budget/")
    assert page.status_code == 200
    body = page.content.decode()
    figures = overview_figures(program)
    for value in (figures.budget, figures.actual, figures.eac, figures.forecast):
        assert money(value, "EUR") in body
    assert "budget-chart-data" in body and "chart.umd.min.js" in body
    assert "1 <span" in body or ">1 <" in body  # one unexplained variance (Line B, January)
    assert "Management reserve" in body and "Contingency reserve" in body
    assert "Capex and opex" in body


def test_an_empty_program_shows_the_empty_state(program):
    page = client(manager_of(program)).get(f"/programs/{program.code}/budget/")
    assert page.status_code == 200
    assert "No budget yet" in page.content.decode()


@pytest.mark.parametrize(
    ("role", "status"), [(Role.VIEWER, 200), (Role.EXECUTIVE, 200), (Role.VENDOR, 403)]
)
def test_roles(program, role, status):
    assert (
        client(member(program, role).user).get(f"/programs/{program.code}/budget/").status_code
        == status
    )


def test_non_member_gets_404(program):
    outsider = manager_of(ProgramFactory())
    assert client(outsider).get(f"/programs/{program.code}/budget/").status_code == 404


def _queries(user, path) -> int:
    c = client(user)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_lines_and_months(program):
    user = manager_of(program)
    path = f"/programs/{program.code}/budget/"
    line = make_line(program)
    plan(line, JAN, "100.00")
    actual(line, JAN, "9000.00")
    one = _queries(user, path)
    for i in range(3):
        more = make_line(program, category=make_category(program), name=f"More {i}")
        for month in (JAN, FEB, MAR, APR):
            plan(more, month, "100.00")
            actual(more, month, "150.00")
    assert _queries(user, path) == one


def test_overview_api(program):
    worked_example(program)
    c = APIClient()
    c.force_authenticate(member(program, Role.EXECUTIVE).user)
    data = c.get(f"/api/v1/programs/{program.code}/budget/overview/").json()
    figures = overview_figures(program)
    assert data["currency"] == "EUR"
    assert data["budget"] == f"{figures.budget:.2f}" == "6700.00"
    assert data["actual"] == "11200.00" and data["eac"] == f"{figures.eac:.2f}"
    assert data["unexplained"] == 1
    assert [r["kind"] for r in data["reserves"]] == ["management", "contingency"]
    assert sum(Decimal(r["budget"]) for r in data["by_category"]) == Decimal("6700.00")
