"""The earned value page through the test client: figures, status date, empty states,
permissions and query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from budgets.tests.evm_factories import STATUS, make_budget, make_items
from core.permissions import Role
from core.tests.factories import UserFactory
from programs.tests.factories import ProgramFactory, WorkstreamFactory, member

pytestmark = pytest.mark.django_db


def url(program, **query) -> str:
    base = reverse("budgets:evm", kwargs={"code": program.code})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def setup(program):
    workstream, _line = make_budget(program)
    make_items(program, workstream)
    return workstream


def test_page_shows_tiles_curve_and_workstream_table(client, program, manager, setup):
    client.force_login(manager)
    response = client.get(url(program, status_date=STATUS.isoformat()))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "EUR 4,200.00",  # BAC
        "EUR 3,200.00",  # PV
        "EUR 3,675.00",  # EV
        "EUR 1,500.00",  # AC
        "EUR +475.00",  # SV
        "EUR +2,175.00",  # CV
        "1.15",  # SPI
        "2.45",  # CPI
        "BAC \u00f7 CPI",
        "AC + (BAC \u2212 EV) \u00f7 (CPI \u00d7 SPI)",
        "EUR 1,714.29",  # EAC (CPI)
        "87.50 %",
        'id="evm-curve-data"',
        "Workstream A",
        "13 Feb 2026",
    ):
        assert text in html, text
    assert "<script>" not in html  # the chart reads json_script data; no inline JS
    assert response.context["report"].total.value.ev == 3675


def test_bad_status_date_is_refused_with_the_reason(client, program, manager, setup):
    client.force_login(manager)
    response = client.get(url(program, status_date="2026-13-45"))
    assert response.status_code == 400
    assert "Give a date as YYYY-MM-DD" in response.content.decode()
    assert 'value="2026-13-45"' in response.content.decode()  # what was typed stays
    outside = client.get(url(program, status_date="2030-01-01"))
    assert outside.status_code == 400
    assert "Pick a date within the program" in outside.content.decode()


def test_empty_states(client, program, manager):
    client.force_login(manager)
    response = client.get(url(program))
    assert response.status_code == 200
    assert "No budget to measure against" in response.content.decode()
    make_budget(program, WorkstreamFactory(program=program))
    response = client.get(url(program))
    assert "No schedule to measure progress" in response.content.decode()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE, Role.CONTRIBUTOR])
def test_internal_roles_may_see_it(client, program, role):
    client.force_login(member(program, role).user)
    assert client.get(url(program)).status_code == 200


def test_vendor_is_refused_and_non_member_not_found(client, program, setup):
    client.force_login(member(program, Role.VENDOR).user)
    assert client.get(url(program)).status_code == 403
    client.force_login(UserFactory())
    assert client.get(url(program)).status_code == 404
    other = ProgramFactory()
    client.force_login(member(program, Role.MANAGER).user)
    assert client.get(url(other)).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_page_query_count_does_not_grow(client, program, manager, count, django_assert_num_queries):
    for n in range(count):
        workstream, _line = make_budget(program, WorkstreamFactory(program=program, name=f"W{n}"))
        make_items(program, workstream, count_extra=count)
    client.force_login(manager)
    client.get(url(program))  # warm the session and the calendar cache
    with django_assert_num_queries(16):  # session, user, membership + the report
        assert client.get(url(program, status_date=STATUS.isoformat())).status_code == 200
