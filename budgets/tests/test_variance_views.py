"""Variance pages through the client: the matrix in each grouping, filters, the unexplained
list and one-click requests, writing and reviewing an explanation, permissions, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from budgets.models import ExplanationStatus, VarianceExplanation
from budgets.services import variance as services
from core.permissions import Role
from programs.tests.factories import ProgramFactory, manager_of, member

from .factories import actual, make_category, make_line, plan
from .invoice_factories import finance_of
from .variance_factories import APR, FEB, JAN, MAR, D, worked_example

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(program, tail: str = "") -> str:
    return f"/programs/{program.code}/budget/variance/{tail}"


@pytest.fixture
def example(program):
    return worked_example(program)


@pytest.mark.parametrize("group", ["month", "category", "workstream", "vendor", "line"])
def test_the_variance_page_in_every_grouping(program, example, group):
    page = client(finance_of(program)).get(url(program), {"group": group})
    assert page.status_code == 200
    body = page.content.decode()
    assert "variance-flag" in body  # Line B's January
    assert "11,200.00" in body  # the actual total
    assert "export.csv?group=" in body or group == "month"
    viewer = client(member(program, Role.VIEWER).user).get(url(program), {"group": group})
    assert viewer.status_code == 200 and "export.csv" not in viewer.content.decode()
    if group == "line":
        assert example.b.key in body


def test_filters_stay_in_the_links_and_bad_ones_are_explained(program, example):
    page = client(manager_of(program)).get(
        url(program),
        {"group": "line", "category": example.a.category_id, "from": "2026-02", "to": "nope"},
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert f"export.csv?category={example.a.category_id}&amp;from=2026-02&amp;group=line" in body
    assert "is not a month" in body
    assert example.b.key not in body.split("variance-table")[1]


def test_htmx_gets_the_table_only(program, example):
    page = client(manager_of(program)).get(url(program), HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="variance-table"' in body and "<html" not in body


def _page_queries(user, path) -> int:
    c = client(user)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "tail", ["", "?group=line", "?group=vendor", "unexplained/", "explanations/"]
)
def test_queries_do_not_grow_with_lines_and_months(program, tail):
    user = finance_of(program)
    category = make_category(program)
    line = make_line(program, category=category, owner=manager_of(program))
    plan(line, JAN, "100.00")
    actual(line, JAN, "9000.00")
    services.explanation_request(actor=user, line=line, month=JAN)
    one = _page_queries(user, url(program, tail))
    for i in range(3):
        more = make_line(
            program, category=make_category(program), name=f"More {i}", owner=manager_of(program)
        )
        for month in (JAN, FEB, MAR, APR):
            plan(more, month, "100.00")
            actual(more, month, "9000.00")
        services.explanation_request(actor=user, line=more, month=FEB)
    assert _page_queries(user, url(program, tail)) == one


def test_unexplained_list_and_one_click_request(program, example):
    finance = finance_of(program)
    page = client(finance).get(url(program, "unexplained/"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Not requested" in body and "Request all 1" in body and example.b.key in body
    answer = client(finance).post(
        url(program, "explanations/request/"),
        {"line": example.b.key.lower(), "month": "2026-01", "next": url(program, "unexplained/")},
    )
    assert answer.status_code == 302 and answer["Location"] == url(program, "unexplained/")
    explanation = VarianceExplanation.objects.get()
    assert (explanation.line, explanation.month) == (example.b, JAN)
    again = client(finance).post(
        url(program, "explanations/request/"),
        {"line": example.b.key, "month": "2026-01"},
        follow=True,
    )
    assert "exists already" in again.content.decode()
    assert VarianceExplanation.objects.count() == 1


def test_request_all_from_the_list(program, example):
    answer = client(finance_of(program)).post(
        url(program, "explanations/request-all/"), follow=True
    )
    assert answer.status_code == 200
    assert "1 explanation requested" in answer.content.decode()
    assert VarianceExplanation.objects.get().line == example.b


def test_an_offsite_next_is_ignored(program, example):
    answer = client(finance_of(program)).post(
        url(program, "explanations/request/"),
        {"line": example.b.key, "month": "2026-01", "next": "https://evil.example/"},
    )
    assert answer["Location"] == url(program, "unexplained/")


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.VIEWER, Role.EXECUTIVE, Role.VENDOR])
def test_roles_without_review_cannot_request(program, example, role):
    someone = member(program, role).user
    answer = client(someone).post(
        url(program, "explanations/request/"), {"line": example.b.key, "month": "2026-01"}
    )
    assert answer.status_code == 403
    assert not VarianceExplanation.objects.exists()


def test_vendor_and_non_member(program, example):
    vendor = member(program, Role.VENDOR).user
    assert client(vendor).get(url(program)).status_code == 403
    outsider = manager_of(ProgramFactory())
    assert client(outsider).get(url(program)).status_code == 404


def test_the_explanation_flow_through_the_pages(program, example):
    finance = finance_of(program)
    explanation = services.explanation_request(actor=finance, line=example.b, month=JAN)
    detail = url(program, f"explanations/{explanation.pk}/")
    owner_page = client(example.owner).get(detail)
    assert owner_page.status_code == 200 and "Send for approval" in owner_page.content.decode()
    empty = client(example.owner).post(detail + "write/", {"version": "1", "text": ""})
    assert empty.status_code == 400
    sent = client(example.owner).post(
        detail + "write/", {"version": "1", "text": "Licence true-up."}
    )
    assert sent.status_code == 302
    review_page = client(finance).get(detail).content.decode()
    assert "Record the decision" in review_page and "Licence true-up." in review_page
    no_note = client(finance).post(
        detail + "review/", {"version": "2", "decision": "returned", "note": ""}
    )
    assert no_note.status_code == 400 and "Say what is missing" in no_note.content.decode()
    stale = client(finance).post(detail + "review/", {"version": "1", "decision": "approved"})
    assert stale.status_code == 409 and "while you were editing" in stale.content.decode()
    ok = client(finance).post(
        detail + "review/", {"version": "2", "decision": "approved", "note": "Fine."}
    )
    assert ok.status_code == 302
    explanation.refresh_from_db()
    assert explanation.status == ExplanationStatus.APPROVED
    after = client(example.owner).get(detail).content.decode()
    assert "Send for approval" not in after and "Licence true-up." in after
    # the approved explanation shows on the variance view's cell
    cells = client(finance).get(url(program), {"group": "line"}).content.decode()
    assert f"/variance/explanations/{explanation.pk}/" in cells and "ti-message-check" in cells


def test_another_contributor_is_refused_with_the_reason(program, example):
    explanation = services.explanation_request(actor=finance_of(program), line=example.b, month=JAN)
    other = member(program, Role.CONTRIBUTOR).user
    page = client(other).get(url(program, f"explanations/{explanation.pk}/"))
    assert "Send for approval" not in page.content.decode()
    answer = client(other).post(
        url(program, f"explanations/{explanation.pk}/write/"),
        {"version": "1", "text": "Mine now."},
        follow=True,
    )
    assert "Only the line&#x27;s owner" in answer.content.decode()
    explanation.refresh_from_db()
    assert explanation.text == ""


def test_explanation_list_filters_by_status(program, example):
    finance = finance_of(program)
    line = make_line(program, name="Over", owner=example.owner)
    plan(line, FEB, "100.00")
    actual(line, FEB, "9000.00")
    services.explanation_request(actor=finance, line=example.b, month=JAN)
    second = services.explanation_request(actor=finance, line=line, month=FEB)
    services.explanation_write(
        actor=example.owner, explanation=second, text="Done.", expected_version=1
    )
    page = (
        client(finance).get(url(program, "explanations/"), {"status": "submitted"}).content.decode()
    )
    assert line.key in page and example.b.key not in page.split("<tbody>")[1]
    assert "+8,900.00" in page


def test_another_programs_explanation_is_404(program, example):
    explanation = services.explanation_request(actor=finance_of(program), line=example.b, month=JAN)
    other = ProgramFactory()
    assert (
        client(manager_of(other))
        .get(f"/programs/{other.code}/budget/variance/explanations/{explanation.pk}/")
        .status_code
        == 404
    )


def test_empty_program_pages(program):
    for tail in ("", "?group=line", "unexplained/", "explanations/"):
        page = client(manager_of(program)).get(url(program, tail))
        assert page.status_code == 200
    assert (
        "Every variance is explained"
        in client(manager_of(program)).get(url(program, "unexplained/")).content.decode()
    )
    assert D("0") == 0
