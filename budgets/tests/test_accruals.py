"""Accruals: posting books the accrual in its month and the reversal (negative) on the next
month's 1st in one transaction; cancelling books offsetting entries (nothing deleted) until the
reversal month closes; bad input refused; the ledger sees it as accrued; the pages (list, post,
detail, cancel) and the API; permissions and constant list queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from budgets.models import Accrual, AccrualStatus, CostEntry, CostSource
from budgets.selectors.ledger import ledger
from budgets.services import actuals as services
from budgets.tests.actuals_factories import NOV, OCT, TODAY, client, make_budget
from core.errors import Refused

pytestmark = pytest.mark.django_db

LIST = "/programs/ERP/budget/accruals/"
API = "/api/v1/programs/ERP/budget/accruals/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def budget(db):
    return make_budget()


def post(budget, month=OCT, amount="62500.00", **kwargs):
    return services.accrual_create(
        actor=budget.cast.finance, program=budget.program, line=budget.vendor_line, month=month,
        amount=amount, description="October build sprint", **kwargs,
    )  # fmt: skip


def test_posting_books_the_accrual_and_its_reversal_on_the_next_months_first(budget):
    accrual = post(budget)
    assert accrual.key == "ACR-1" and accrual.status == AccrualStatus.POSTED
    entries = list(accrual.entries.order_by("month"))
    assert [(e.source, e.month, e.posted_on, e.amount) for e in entries] == [
        (CostSource.ACCRUAL, OCT, dt.date(2026, 10, 31), Decimal("62500.00")),
        (CostSource.ACCRUAL_REVERSAL, NOV, NOV, Decimal("-62500.00")),
    ]
    assert {e.vendor.name for e in entries} == {"Northwind Consulting"}
    book = ledger(budget.program, as_of=NOV)
    assert book.cell(budget.vendor_line.pk, OCT).accrued == Decimal("62500.00")
    assert book.cell(budget.vendor_line.pk, NOV).actual == Decimal("-62500.00")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"amount": "0"}, "amount", "above zero"),
        ({"amount": "-5"}, "amount", "negative"),
        ({"amount": "1.001"}, "amount", "more than two decimals"),
        ({"month": dt.date(2027, 6, 1)}, "month", "program's last month"),
        ({"month": dt.date(2025, 12, 1)}, "month", "outside the program"),
    ],
)
def test_bad_accruals_are_refused_and_book_nothing(budget, kwargs, field, message):
    with pytest.raises(ValidationError) as caught:
        post(budget, **kwargs)
    assert message in caught.value.message_dict[field][0]
    assert not Accrual.objects.exists() and not CostEntry.objects.exists()


def test_cancelling_books_offsetting_entries_and_keeps_what_was_booked(budget):
    accrual = post(budget)
    services.accrual_cancel(
        actor=budget.cast.finance, accrual=accrual, expected_version=accrual.version,
        reason="Invoice arrived on 31 October",
    )  # fmt: skip
    accrual.refresh_from_db()
    assert accrual.status == AccrualStatus.CANCELLED
    entries = list(accrual.entries.order_by("id"))
    assert len(entries) == 4
    assert [(e.month, e.amount) for e in entries[2:]] == [
        (OCT, Decimal("-62500.00")), (NOV, Decimal("62500.00")),
    ]  # fmt: skip
    assert "Invoice arrived" in entries[2].description
    book = ledger(budget.program, as_of=NOV)
    assert book.cell(budget.vendor_line.pk, OCT).actual == 0
    assert book.cell(budget.vendor_line.pk, NOV).actual == 0
    with pytest.raises(Refused, match="already cancelled"):
        services.accrual_cancel(actor=None, accrual=accrual, expected_version=None, reason="x")


def test_cancelling_after_the_reversal_month_closed_is_refused(budget):
    accrual = post(budget)
    with pytest.raises(Refused, match="2026-11 has closed"):
        services.accrual_cancel(
            actor=None, accrual=accrual, expected_version=None, reason="Late",
            today=dt.date(2026, 12, 2),
        )  # fmt: skip
    assert accrual.entries.count() == 2


# --- pages --------------------------------------------------------------------------------------


def test_post_an_accrual_through_the_form(budget):
    c = client(budget.cast.finance)
    data = {"line": budget.vendor_line.pk, "month": "2026-10", "amount": "1500.00",
            "description": "Work done"}  # fmt: skip
    response = c.post(LIST + "new/", data)
    assert response.status_code == 302 and response["Location"] == LIST + "ACR-1/"
    bad = c.post(LIST + "new/", {**data, "amount": "15.5.0"})
    assert bad.status_code == 400 and 'value="Work done"' in bad.content.decode()
    detail = c.get(LIST + "ACR-1/").content.decode()
    assert "Cancel ACR-1" in detail and "Accrual reversal" in detail


def test_cancel_form_needs_a_reason_and_a_current_version(budget):
    accrual = post(budget)
    c = client(budget.cast.finance)
    url = f"{LIST}{accrual.key}/cancel/"
    assert c.post(url, {"version": accrual.version, "reason": ""}).status_code == 400
    assert c.post(url, {"version": 99, "reason": "x"}).status_code == 409
    done = c.post(url, {"version": accrual.version, "reason": "Invoice came early"})
    assert done.status_code == 302
    assert Accrual.objects.get().status == AccrualStatus.CANCELLED


def test_list_filters_by_month_and_status_with_constant_queries(budget):
    post(budget)
    c = client(budget.cast.viewer)
    with CaptureQueriesContext(connection) as one:
        body = c.get(LIST).content.decode()
    assert "ACR-1" in body and "EUR 62,500.00" in body
    for month in (dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)):
        post(budget, month=month, amount="10.00")
    with CaptureQueriesContext(connection) as four:
        c.get(LIST)
    assert len(four) == len(one)
    body = c.get(LIST + "?month=2026-08&status=posted").content.decode()
    assert "1 accrual" in body and "ACR-3" in body
    assert client(budget.cast.contributor).get(LIST + "new/").status_code == 403
    assert client(make_budget("CRM").cast.finance).get(LIST + "ACR-1/").status_code == 404


# --- API ----------------------------------------------------------------------------------------


def test_api_create_read_list_and_cancel(budget):
    c = APIClient()
    c.force_authenticate(budget.cast.finance)
    created = c.post(API, {"line": budget.vendor_line.key, "month": "2026-10", "amount": "99.90",
                           "description": "Sprint"}, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["reverses_in"] == "2026-11" and len(data["entries"]) == 2
    assert c.get(API, {"status": "posted"}).json()["count"] == 1
    bad = c.post(API, {"line": budget.vendor_line.key, "month": "2027-06", "amount": "1",
                       "description": "x"}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "last month" in str(bad.json())
    cancel = c.post(f"{API}ACR-1/cancel/", {"reason": "Invoiced"}, format="json")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    again = c.post(f"{API}ACR-1/cancel/", {"reason": "Again"}, format="json")
    assert again.status_code == 409
    viewer = APIClient()
    viewer.force_authenticate(budget.cast.viewer)
    assert viewer.get(f"{API}ACR-1/").status_code == 200
    assert viewer.post(API, {}, format="json").status_code == 403
