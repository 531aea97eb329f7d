"""Invoices API: list with filters and a flat query count, create with lines (JSON and
multipart), 400 with reasons, update with If-Match (412, 428), the steps (409 with the reason)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from budgets.models import CostEntry, Invoice, InvoiceStatus
from core.permissions import Role
from programs.tests.factories import manager_of, member

from .invoice_factories import (
    finance_of,
    line,
    make_contract_line,
    make_tm_contract,
    media,  # noqa: F401 - a fixture
    pdf,
    receive,
)

pytestmark = pytest.mark.django_db
S = InvoiceStatus
API = "/api/v1/programs/ERP/budget/invoices/"


@pytest.fixture
def contract(program):
    return make_tm_contract(program)


@pytest.fixture
def budget_line(program, contract):
    return make_contract_line(program, contract)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def payload(contract, **overrides) -> dict:
    data = {
        "contract": contract.key,
        "invoice_number": "CT-0042",
        "invoice_date": "2026-03-31",
        "received_on": "2026-04-02",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "lines": [
            {"description": "Developer", "role": "Migration developer", "quantity": "5",
             "unit": "day", "rate": "900.00", "amount": "4500.00", "month": "2026-03"},
        ],
    }  # fmt: skip
    data.update(overrides)
    return data


def test_create_with_lines_validates_and_maps(program, contract, budget_line):
    response = api_for(finance_of(program)).post(API, payload(contract), format="json")

    assert response.status_code == 201, response.data
    assert response.data["key"] == "INV-1"
    assert response.data["status"] == "validated"
    assert response.data["total"] == "4500.00"
    assert response.data["lines"][0]["budget_line"] == budget_line.key
    assert response["ETag"] == f'"{response.data["version"]}"'


@pytest.mark.usefixtures("media")
def test_create_multipart_with_pdf_and_lines_as_json_text(program, contract, budget_line):
    data = payload(contract)
    data["lines"] = json.dumps(data["lines"])
    data["document"] = pdf()

    response = api_for(finance_of(program)).post(API, data, format="multipart")

    assert response.status_code == 201, response.data
    assert response.data["document_url"].endswith(f"/invoices/{response.data['key']}/document/")


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-1.00", "negative"), ("ten", "is not an amount"), ("1.001", "more than two decimals")],
)
def test_bad_amounts_answer_400_with_the_reason(program, contract, budget_line, amount, message):
    body = payload(contract)
    body["lines"][0]["amount"] = amount

    response = api_for(finance_of(program)).post(API, body, format="json")

    assert response.status_code == 400
    assert message in response.data["lines"][0]
    assert not Invoice.objects.exists()


def test_duplicate_number_answers_400(program, contract, budget_line):
    receive(program, contract, invoice_number="CT-0042")

    response = api_for(finance_of(program)).post(API, payload(contract), format="json")

    assert response.status_code == 400
    assert "already sent an invoice numbered" in response.data["invoice_number"][0]


def test_unknown_contract_and_budget_line_answer_400(program, contract, budget_line):
    body = {**payload(contract), "contract": "CTR-99"}
    body["lines"][0]["budget_line"] = "BL-99"

    response = api_for(finance_of(program)).post(API, body, format="json")

    assert response.status_code == 400
    assert set(response.data) == {"contract", "lines"}


def test_list_filters_and_query_count_does_not_grow(program, contract, budget_line, count_queries):
    client = api_for(finance_of(program))
    receive(program, contract, invoice_number="A-1")
    client.get(API)
    with count_queries() as one:
        client.get(API)
    receive(program, contract, invoice_number="A-2", lines=[line(amount="4600.00")])
    receive(program, contract, invoice_number="A-3")
    with count_queries() as three:
        response = client.get(API)

    assert len(one.captured_queries) == len(three.captured_queries)
    assert response.data["count"] == 3
    assert {r["invoice_number"] for r in response.data["results"]} == {"A-1", "A-2", "A-3"}
    received = client.get(API, {"status": "received"}).data["results"]
    assert [r["invoice_number"] for r in received] == ["A-2"]
    assert received[0]["problems"][0]["code"] == "amount_mismatch"
    assert client.get(API, {"month": "2026-05"}).data["count"] == 0
    assert client.get(API, {"status": "nonsense"}).status_code == 400


def test_update_needs_a_version_and_refuses_a_stale_one(program, contract, budget_line):
    invoice = receive(program, contract, lines=[line(amount="4600.00")])
    client = api_for(finance_of(program))
    url = f"{API}{invoice.key}/"

    missing = client.patch(url, {"note": "x"}, format="json")
    stale = client.patch(url, {"note": "x"}, format="json", HTTP_IF_MATCH='"1"')
    fixed = client.patch(
        url,
        {"lines": [{"description": "Developer", "quantity": "5", "rate": "900.00",
                    "unit": "day", "role": "Migration developer"}]},
        format="json",
        HTTP_IF_MATCH=f'"{invoice.version}"',
    )  # fmt: skip

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.data["current"]["key"] == invoice.key
    assert fixed.status_code == 200, fixed.data
    assert fixed.data["status"] == "validated"
    assert fixed.data["total"] == "4500.00"


def test_steps_answer_409_with_the_reason(program, contract, budget_line):
    finance = finance_of(program)
    invoice = receive(program, contract, actor=finance)
    url = f"{API}{invoice.key}/"

    own = api_for(finance).post(url + "approve/", {}, format="json")
    pay_early = api_for(finance).post(
        url + "pay/", {"paid_on": "2026-04-28", "payment_reference": "P-1"}, format="json"
    )
    approved = api_for(manager_of(program)).post(url + "approve/", {}, format="json")
    edit_after = api_for(finance).patch(
        url, {"note": "x"}, format="json", HTTP_IF_MATCH=f'"{approved.data["version"]}"'
    )
    paid = api_for(finance).post(
        url + "pay/", {"paid_on": "2026-04-28", "payment_reference": "P-1"}, format="json"
    )

    assert own.status_code == 409
    assert "You entered" in own.data["detail"]
    assert pay_early.status_code == 409
    assert approved.status_code == 200
    assert approved.data["status"] == "approved"
    assert CostEntry.objects.filter(invoice_line__invoice=invoice).get().amount == Decimal(
        "4500.00"
    )
    assert edit_after.status_code == 409
    assert paid.status_code == 200
    assert paid.data["status"] == "paid"


def test_reject_and_validate_steps(program, contract, budget_line):
    invoice = receive(program, contract, lines=[line(amount="4600.00")])
    client = api_for(manager_of(program))
    url = f"{API}{invoice.key}/"

    checked = client.post(url + "validate/", {}, format="json")
    no_reason = client.post(url + "reject/", {"reason": ""}, format="json")
    rejected = client.post(url + "reject/", {"reason": "Wrong amount."}, format="json")
    again = client.post(url + "reject/", {"reason": "Again."}, format="json")

    assert checked.status_code == 200
    assert checked.data["problems"][0]["code"] == "amount_mismatch"
    assert no_reason.status_code == 400
    assert rejected.data["status"] == "rejected"
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("role", "path", "expected"),
    [
        (Role.VIEWER, "approve/", 403),
        (Role.COORDINATOR, "approve/", 403),
        (Role.MANAGER, "pay/", 403),
        (Role.VENDOR, "", 403),
    ],
)
def test_roles_without_the_action_get_403(program, contract, budget_line, role, path, expected):
    invoice = receive(program, contract)
    user = manager_of(program) if role == Role.MANAGER else member(program, role).user

    method = "get" if not path else "post"
    response = getattr(api_for(user), method)(f"{API}{invoice.key}/{path}", {}, format="json")

    assert response.status_code == expected
