"""Variance API: the matrix with group_by and filters, the unexplained list, and the explanation
steps with 409 reasons and 412 on a stale If-Match."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from budgets.models import ExplanationStatus, VarianceExplanation
from budgets.services import variance as services
from core.permissions import Role
from programs.tests.factories import ProgramFactory, manager_of, member

from .invoice_factories import finance_of
from .variance_factories import JAN, worked_example

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def url(program, tail: str = "") -> str:
    return f"/api/v1/programs/{program.code}/budget/variance/{tail}"


@pytest.fixture
def example(program):
    return worked_example(program)


def test_variance_by_month_and_by_line(program, example):
    viewer = member(program, Role.VIEWER).user
    by_month = api(viewer).get(url(program)).json()
    assert by_month["currency"] == "EUR" and by_month["group_by"] == "month"
    jan = by_month["rows"][0]["total"]
    assert (jan["month"], jan["plan"], jan["actual"], jan["variance"], jan["beyond_threshold"]) == (
        "2026-01", "1500.00", "9100.00", "7600.00", True,
    )  # fmt: skip
    assert by_month["totals"]["total"]["actual"] == "11200.00"
    by_line = (
        api(viewer)
        .get(url(program), {"group_by": "line", "from": "2026-01", "to": "2026-03"})
        .json()
    )
    assert [r["key"] for r in by_line["rows"]] == [example.a.key, example.b.key]
    feb = by_line["rows"][0]["cells"][1]
    assert (feb["plan"], feb["accrued"], feb["variance"]) == ("1200.00", "300.00", "0.00")
    assert by_line["months"] == ["2026-01", "2026-02", "2026-03"]
    assert by_line["burn_rate"]["closed_months"] == 3


def test_bad_filters_are_400_with_reasons(program, example):
    answer = api(manager_of(program)).get(url(program), {"group_by": "colour", "from": "May"})
    assert answer.status_code == 400
    assert set(answer.json()) == {"group_by", "from"}


def test_unexplained_list(program, example):
    rows = api(manager_of(program)).get(url(program, "unexplained/")).json()
    assert rows == [
        {
            "line": example.b.key, "line_name": "Line B", "owner": str(example.owner),
            "month": "2026-01", "plan": "500.00", "actual": "8000.00", "accrued": "0.00",
            "variance": "7500.00", "variance_percent": "1500.00", "state": "not_requested",
            "explanation": None,
        }
    ]  # fmt: skip
    assert (
        api(manager_of(program)).get(url(program, "unexplained/"), {"state": "x"}).status_code
        == 400
    )


def test_request_write_approve(program, example):
    finance = api(finance_of(program))
    created = finance.post(
        url(program, "explanations/request/"), {"line": example.b.key, "month": "2026-01"}
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "requested"
    twice = finance.post(
        url(program, "explanations/request/"), {"line": example.b.key, "month": "2026-01"}
    )
    assert twice.status_code == 409 and "exists already" in twice.json()["detail"]
    within = finance.post(
        url(program, "explanations/request/"), {"line": example.a.key, "month": "2026-02"}
    )
    assert within.status_code == 409 and "within the thresholds" in within.json()["detail"]
    unknown = finance.post(
        url(program, "explanations/request/"), {"line": "BL-99", "month": "2026-13"}
    )
    assert unknown.status_code == 400 and set(unknown.json()) == {"line", "month"}

    other = api(member(program, Role.CONTRIBUTOR).user)
    refused = other.post(url(program, f"explanations/{pk}/write/"), {"text": "Not mine."})
    assert refused.status_code == 409 and "line's owner" in refused.json()["detail"]
    written = api(example.owner).post(
        url(program, f"explanations/{pk}/write/"), {"text": "True-up."}, HTTP_IF_MATCH='"1"'
    )
    assert written.status_code == 200 and written["ETag"] == '"2"'
    assert written.json()["status"] == "submitted"

    stale = finance.post(url(program, f"explanations/{pk}/approve/"), {}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412 and stale.json()["current"]["version"] == 2
    no_note = finance.post(url(program, f"explanations/{pk}/return/"), {"note": ""})
    assert no_note.status_code == 400 and "note" in no_note.json()
    approved = finance.post(
        url(program, f"explanations/{pk}/approve/"), {"note": "Fine."}, HTTP_IF_MATCH='"2"'
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    edit = api(example.owner).post(url(program, f"explanations/{pk}/write/"), {"text": "Changed."})
    assert edit.status_code == 409 and "never edited" in edit.json()["detail"]
    assert VarianceExplanation.objects.get().text == "True-up."

    listed = api(example.owner).get(url(program, "explanations/"), {"status": "approved"}).json()
    assert [r["id"] for r in listed["results"]] == [pk]
    one = api(example.owner).get(url(program, f"explanations/{pk}/"))
    assert one.json()["variance"] == "7500.00" and one["ETag"] == '"3"'


@pytest.mark.parametrize(
    ("role", "tail", "status"),
    [
        (Role.CONTRIBUTOR, "explanations/request/", 403),
        (Role.VIEWER, "explanations/{pk}/approve/", 403),
        (Role.EXECUTIVE, "explanations/{pk}/write/", 403),
        (Role.VENDOR, "", 403),
    ],
)
def test_roles(program, example, role, tail, status):
    explanation = services.explanation_request(actor=finance_of(program), line=example.b, month=JAN)
    user = api(member(program, role).user)
    path = url(program, tail.format(pk=explanation.pk))
    answer = (
        user.get(path)
        if not tail
        else user.post(path, {"line": example.b.key, "month": "2026-01", "text": "x"})
    )
    assert answer.status_code == status
    explanation.refresh_from_db()
    assert explanation.status == ExplanationStatus.REQUESTED


def test_non_member_and_other_program(program, example):
    explanation = services.explanation_request(actor=finance_of(program), line=example.b, month=JAN)
    other = ProgramFactory()
    outsider = api(manager_of(other))
    assert outsider.get(url(program)).status_code == 404
    assert outsider.get(url(other, f"explanations/{explanation.pk}/")).status_code == 404
