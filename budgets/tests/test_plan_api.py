"""Budget structure API: the plan as JSON and a line's months PUT with If-Match (412 stale,
400 per month, 428 without a version), categories and lines CRUD with refusals (409), change
orders (400 for a request not approved, 409 for the author or a decided order) and reserves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from budgets.models import ChangeOrderStatus, PlanAmount
from budgets.tests.factories import actual, make_category, make_line, plan
from budgets.tests.plan_factories import make_order, make_reserve
from core.tests.factories import UserFactory
from governance.tests.factories_changes import make_cast, make_cr

pytestmark = pytest.mark.django_db

API = "/api/v1/programs/ERP/budget/"
JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def line(program, manager):
    line = make_line(program, name="Northwind SOW 1")
    plan(line, JAN, "1000.00")
    line.refresh_from_db()
    return line


def test_plan_as_json(program, users_by_role, line):
    response = api(users_by_role["viewer"]).get(API + "plan/")
    assert response.status_code == 200
    data = response.json()
    assert data["currency"] == "EUR" and data["view"] == "original"
    assert data["months"][0] == "2026-01" and len(data["months"]) == 18
    [row] = data["lines"]
    assert row["key"] == line.key and row["amounts"]["2026-01"] == "1000.00"
    assert row["amounts"]["2026-02"] == "0.00" and data["total"] == "1000.00"
    assert api(users_by_role["viewer"]).get(API + "plan/?workstream=WS-99").status_code == 400


def test_put_a_lines_months_with_if_match(program, users_by_role, line):
    finance = api(users_by_role["finance"])
    response = finance.put(
        f"{API}plan/{line.key}/", {"amounts": {"2026-02": "20.50"}}, format="json",
        HTTP_IF_MATCH=f'"{line.version}"',
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json()["amounts"]["2026-02"] == "20.50"
    assert response["ETag"] == f'"{line.version + 1}"'

    stale = finance.put(
        f"{API}plan/{line.key}/", {"amounts": {"2026-03": "1"}}, format="json",
        HTTP_IF_MATCH=f'"{line.version}"',
    )  # fmt: skip
    assert stale.status_code == 412
    assert stale.json()["current"]["amounts"]["2026-02"] == "20.50"
    assert stale.json()["changed_fields"] == {"plan 2026-02": ["0.00", "20.50"]}

    assert finance.put(f"{API}plan/{line.key}/", {"amounts": {}}, format="json").status_code == 428


def test_put_bad_amounts_answers_400_per_month_and_saves_nothing(program, users_by_role, line):
    response = api(users_by_role["finance"]).put(
        f"{API}plan/{line.key}/",
        {"amounts": {"2026-01": "5.00", "2026-02": "-1", "2026-03": "x", "2031-01": "1",
                     "March": "1"}, "version": line.version},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["March"]
    response = api(users_by_role["finance"]).put(
        f"{API}plan/{line.key}/",
        {"amounts": {"2026-01": "5.00", "2026-02": "-1", "2026-03": "x", "2031-01": "1"},
         "version": line.version},
        format="json",
    )  # fmt: skip
    errors = response.json()
    assert set(errors) == {"2026-02", "2026-03", "2031-01"}
    assert "negative" in errors["2026-02"][0]
    assert PlanAmount.objects.get(line=line).amount == Decimal("1000.00")


@pytest.mark.parametrize("role", ["contributor", "viewer", "executive", "vendor"])
def test_plan_put_is_refused_without_budget_change(program, users_by_role, line, role):
    response = api(users_by_role[role]).put(
        f"{API}plan/{line.key}/", {"amounts": {"2026-01": "1"}, "version": line.version},
        format="json",
    )  # fmt: skip
    assert response.status_code == 403


def test_non_member_gets_404(program, line):
    assert api(UserFactory()).get(API + "plan/").status_code == 404
    assert api(UserFactory()).get(f"{API}lines/{line.key}/").status_code == 404


def test_categories_crud_and_refusal_in_use(program, users_by_role, line):
    finance = api(users_by_role["finance"])
    created = finance.post(
        API + "categories/", {"name": "Travel", "expense_type": "opex", "gl_account": "650000"}
    )
    assert created.status_code == 201 and created["ETag"] == '"1"'
    pk = created.json()["id"]
    patched = finance.patch(f"{API}categories/{pk}/", {"position": 3}, HTTP_IF_MATCH='"1"')
    assert patched.status_code == 200 and patched.json()["position"] == 3
    assert finance.delete(f"{API}categories/{pk}/", HTTP_IF_MATCH='"1"').status_code == 412
    assert finance.delete(f"{API}categories/{pk}/", HTTP_IF_MATCH='"2"').status_code == 204
    in_use = finance.delete(
        f"{API}categories/{line.category_id}/", HTTP_IF_MATCH=f'"{line.category.version}"'
    )
    assert in_use.status_code == 409 and "used by 1 budget line" in in_use.json()["detail"]
    assert finance.post(API + "categories/", {"name": ""}).status_code == 400


def test_lines_crud_and_refusal_with_actuals(program, users_by_role, line):
    finance = api(users_by_role["finance"])
    category = make_category(program, name="Labour")
    created = finance.post(
        API + "lines/",
        {"name": "FTEs", "workstream": line.workstream.key, "category": category.pk,
         "owner_id": users_by_role["finance"].pk},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    key = created.json()["key"]
    assert created.json()["owner"]["id"] == users_by_role["finance"].pk
    bad = finance.post(API + "lines/", {"name": "x", "workstream": "WS-404", "category": 1})
    assert bad.status_code == 400 and "workstream" in bad.json()
    assert (
        finance.patch(f"{API}lines/{key}/", {"notes": "n"}, HTTP_IF_MATCH='"1"').status_code == 200
    )
    actual(line, JAN, "5.00")
    refused = finance.delete(f"{API}lines/{line.key}/", HTTP_IF_MATCH=f'"{line.version}"')
    assert refused.status_code == 409 and "1 actual cost entry" in refused.json()["detail"]
    assert finance.delete(f"{API}lines/{key}/", HTTP_IF_MATCH='"2"').status_code == 204


@pytest.mark.parametrize("count", [1, 3])
def test_line_list_queries_do_not_grow(
    program, users_by_role, line, count, django_assert_max_num_queries
):
    for n in range(count):
        make_line(program, name=f"Extra {n}")
    with django_assert_max_num_queries(6):
        assert api(users_by_role["viewer"]).get(API + "lines/").status_code == 200


def test_change_orders_through_the_api():
    cast = make_cast()
    line = make_line(cast.program, actor=cast.pm, name="SOW")
    finance = api(cast.finance)
    submitted = make_cr(cast.program, cast.contributor, status="submitted", actor_for=cast)
    body = {"title": "More SIT", "reason": "Behind", "change_request": submitted.key,
            "amounts": [{"line": line.key, "month": "2026-03", "amount": "100.00"}]}  # fmt: skip

    refused = finance.post(API + "change-orders/", body, format="json")
    assert refused.status_code == 400 and "submitted" in refused.json()["change_request"][0]

    body["change_request"] = None
    created = finance.post(API + "change-orders/", body, format="json")
    assert created.status_code == 201 and created.json()["total"] == "100.00"
    key = created.json()["key"]
    assert api(cast.pm).post(f"{API}change-orders/{key}/approve/").status_code == 200
    own = make_order(cast.program, [(line, dt.date(2026, 4, 1), "5.00")], actor=cast.pm)
    assert api(cast.pm).post(f"{API}change-orders/{own.key}/approve/").status_code == 409
    assert api(cast.finance).post(f"{API}change-orders/{own.key}/reject/").status_code == 403
    assert api(cast.sponsor).post(f"{API}change-orders/{own.key}/reject/").json()["status"] == (
        ChangeOrderStatus.REJECTED
    )
    edit = finance.patch(f"{API}change-orders/{key}/", {"title": "x"}, HTTP_IF_MATCH='"2"')
    assert edit.status_code == 409 and "only a draft" in edit.json()["detail"]
    listing = api(cast.viewer).get(API + "change-orders/?status=approved").json()
    assert [o["key"] for o in listing["results"]] == [key]
    bad_rows = finance.post(
        API + "change-orders/",
        {**body, "amounts": [{"line": "BL-99", "month": "2026-13", "amount": "1"}]},
        format="json",
    )
    assert bad_rows.status_code == 400 and "Row 1" in bad_rows.json()["amounts"][0]


def test_reserves_and_movements(program, users_by_role):
    finance = api(users_by_role["finance"])
    listing = finance.get(API + "reserves/").json()
    assert [r["kind"] for r in listing] == ["management", "contingency"]
    created = finance.put(API + "reserves/contingency/", {"amount": "400000.00"}, format="json")
    assert created.status_code == 200 and created.json()["balance"] == "400000.00"
    assert finance.put(API + "reserves/contingency/", {"amount": "1"}).status_code == 428
    moved = finance.post(
        API + "reserves/contingency/movements/",
        {"amount": "-185000.00", "on": "2026-05-04", "reason": "Re-plan"},
    )
    assert moved.status_code == 201 and moved.json()["amount"] == "-185000.00"
    assert finance.get(API + "reserves/contingency/").json()["balance"] == "215000.00"
    no_reserve = finance.post(
        API + "reserves/management/movements/", {"amount": "-1", "on": "2026-05-04", "reason": "x"}
    )
    assert no_reserve.status_code == 400 and "reserve" in no_reserve.json()
    assert finance.get(API + "reserves/other/").status_code == 404
    assert (
        api(users_by_role["viewer"]).put(API + "reserves/management/", {"amount": "1"}).status_code
        == 403
    )
    make_reserve(program, "management", "10.00")
    assert finance.get(API + "reserves/management/")["ETag"] == '"1"'
