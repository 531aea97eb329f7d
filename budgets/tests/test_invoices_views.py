"""Invoice pages through the test client: the list (filters, totals, query count), the detail
(problems, booked actuals, the contract's remaining value), recording with errors that keep what
was typed, correcting, and the steps with their role rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from budgets.models import CostEntry, Invoice, InvoiceStatus
from core.permissions import Role
from programs.tests.factories import manager_of, member
from vendors.tests.factories import fresh, make_vendor

from .invoice_factories import (
    approve,
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
BASE = "/programs/ERP/budget/invoices/"


@pytest.fixture
def contract(program):
    return make_tm_contract(program)


@pytest.fixture
def budget_line(program, contract):
    return make_contract_line(program, contract)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(contract, **overrides) -> dict:
    data = {
        "contract": str(contract.pk),
        "invoice_number": "CT-0042",
        "invoice_date": "2026-03-31",
        "received_on": "2026-04-02",
        "due_date": "2026-04-30",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "currency": "EUR",
        "note": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-description": "Migration developer, March",
        "lines-0-role": "Migration developer",
        "lines-0-quantity": "5",
        "lines-0-unit": "day",
        "lines-0-rate": "900.00",
        "lines-0-amount": "",
        "lines-0-month": "",
        "lines-0-budget_line": "",
    }
    data.update(overrides)
    return data


# --- the list -----------------------------------------------------------------------------------


def test_list_shows_invoices_with_status_tiles_and_totals(program, contract, budget_line):
    receive(program, contract, invoice_number="CT-1")
    receive(program, contract, invoice_number="CT-2", lines=[line(amount="4600.00")])

    response = client_for(finance_of(program)).get(BASE)

    assert response.status_code == 200
    body = response.content.decode()
    assert "CT-1" in body and "CT-2" in body
    assert "2 invoices" in body
    assert "9,100.00" in body  # the total of the two
    assert "1 problem" in body


def test_list_filters_by_status_vendor_contract_and_month(program, contract, budget_line):
    receive(program, contract, invoice_number="CT-MARCH")
    other = make_tm_contract(program, make_vendor(program, name="Fabrikam"), title="Hosting")
    make_contract_line(program, other)
    receive(
        program, other, invoice_number="FB-APRIL", period_start=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 4, 30), lines=[line(month=dt.date(2026, 4, 1))],
    )  # fmt: skip
    client = client_for(finance_of(program))

    by_month = client.get(BASE, {"month": "2026-04"}).content.decode()
    by_vendor = client.get(BASE, {"vendor": contract.vendor_id}).content.decode()
    by_contract = client.get(BASE, {"contract": other.pk}).content.decode()
    by_status = client.get(BASE, {"status": "approved"}).content.decode()

    assert "FB-APRIL" in by_month and "CT-MARCH" not in by_month
    assert "CT-MARCH" in by_vendor and "FB-APRIL" not in by_vendor
    assert "FB-APRIL" in by_contract and "CT-MARCH" not in by_contract
    assert "No invoices match these filters" in by_status


def _list_queries(client, count_queries, url=BASE) -> int:
    client.get(url)  # warm caches (session, content types)
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(program, contract, budget_line, count_queries):
    client = client_for(finance_of(program))
    receive(program, contract, invoice_number="CT-0")
    one = _list_queries(client, count_queries)

    for n in range(1, 3):
        receive(program, contract, invoice_number=f"CT-{n}", lines=[line(), line()])
    three = _list_queries(client, count_queries)

    assert one == three


def test_empty_list_invites_to_record_an_invoice(program):
    response = client_for(finance_of(program)).get(BASE)

    assert "No invoices yet" in response.content.decode()
    assert "Record an invoice" in response.content.decode()


# --- the detail ---------------------------------------------------------------------------------


def test_detail_shows_problems_in_words(program, contract, budget_line):
    invoice = receive(program, contract, lines=[line(rate="950.00", amount="4750.00")])

    body = client_for(finance_of(program)).get(f"{BASE}{invoice.key}/").content.decode()

    assert "1 problem found." in body
    assert "Rate differs from the rate card." in body
    assert "billed at EUR 950.00 per day" in body
    assert "rate card says EUR 900.00 per day" in body


def test_detail_of_an_approved_invoice_shows_booked_actuals_and_remaining(
    program, contract, budget_line
):
    invoice = approve(receive(program, contract))

    body = client_for(finance_of(program)).get(f"{BASE}{invoice.key}/").content.decode()

    assert "Booked to actuals" in body
    assert budget_line.key in body
    assert "EUR 115,500.00" in body  # 120,000 - 4,500 remaining on the contract


def test_contract_page_shows_what_was_invoiced(program, contract, budget_line):
    receive(program, contract)

    body = client_for(manager_of(program)).get(contract.get_absolute_url()).content.decode()

    assert "4,500.00" in body
    assert "115,500.00" in body


# --- recording and correcting ------------------------------------------------------------------


@pytest.mark.usefixtures("media")
def test_record_an_invoice_through_the_form(program, contract, budget_line):
    data = form_data(contract, document=pdf())

    response = client_for(finance_of(program)).post(f"{BASE}new/", data)

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}{invoice.key}/"
    assert invoice.status == S.VALIDATED
    assert invoice.total == Decimal("4500.00")
    assert invoice.lines.get().budget_line == budget_line
    assert invoice.document


def test_an_empty_row_with_the_suggested_budget_line_is_ignored(program, contract, budget_line):
    data = form_data(contract, **{"lines-1-budget_line": str(budget_line.pk)})

    response = client_for(finance_of(program)).post(f"{BASE}new/", data)

    assert response.status_code == 302
    assert Invoice.objects.get().lines.count() == 1


def test_bad_amounts_in_the_form_keep_what_was_typed(program, contract, budget_line):
    data = form_data(
        contract,
        **{"lines-0-amount": "4500.123", "lines-1-description": "Travel", "lines-1-amount": "-5"},
    )

    response = client_for(finance_of(program)).post(f"{BASE}new/", data)

    assert response.status_code == 400
    body = response.content.decode()
    assert "more than two decimals" in body
    assert "is negative" in body
    assert 'value="4500.123"' in body
    assert 'value="CT-0042"' in body
    assert Invoice.objects.count() == 0


def test_duplicate_number_in_the_form_is_refused_with_the_existing_key(
    program, contract, budget_line
):
    receive(program, contract, invoice_number="CT-0042")

    response = client_for(finance_of(program)).post(f"{BASE}new/", form_data(contract))

    assert response.status_code == 400
    assert "already sent an invoice numbered" in response.content.decode()
    assert Invoice.objects.count() == 1


def test_add_a_line_saves_nothing_and_keeps_input(program, contract, budget_line):
    data = form_data(contract, add_line="1")

    response = client_for(finance_of(program)).post(f"{BASE}new/", data)

    assert response.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="3"' in response.content.decode()
    assert Invoice.objects.count() == 0


def test_correcting_revalidates(program, contract, budget_line):
    invoice = receive(program, contract, invoice_number="CT-0042", lines=[line(amount="4600.00")])
    data = form_data(
        contract, version=str(invoice.version), **{"lines-0-budget_line": str(budget_line.pk)}
    )

    response = client_for(finance_of(program)).post(f"{BASE}{invoice.key}/edit/", data)

    assert response.status_code == 302
    corrected = fresh(invoice)
    assert corrected.status == S.VALIDATED
    assert corrected.total == Decimal("4500.00")


def test_an_approved_invoice_is_not_corrected(program, contract, budget_line):
    invoice = approve(receive(program, contract))

    response = client_for(finance_of(program)).get(f"{BASE}{invoice.key}/edit/")

    assert response.status_code == 302
    assert response["Location"] == f"{BASE}{invoice.key}/"


# --- the steps ----------------------------------------------------------------------------------


def test_approve_through_the_page_books_actuals(program, contract, budget_line):
    invoice = receive(program, contract)

    response = client_for(manager_of(program)).post(
        f"{BASE}{invoice.key}/approve/", {"version": invoice.version}
    )

    assert response.status_code == 302
    assert fresh(invoice).status == S.APPROVED
    assert CostEntry.objects.filter(invoice_line__invoice=invoice).count() == 1


def test_approving_ones_own_invoice_shows_the_reason_and_changes_nothing(
    program, contract, budget_line
):
    finance = finance_of(program)
    invoice = receive(program, contract, actor=finance)
    client = client_for(finance)

    page = client.get(f"{BASE}{invoice.key}/").content.decode()
    response = client.post(f"{BASE}{invoice.key}/approve/", follow=True)

    assert "someone else approves it" in page
    assert "someone else approves it" in response.content.decode()
    assert fresh(invoice).status == S.VALIDATED


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CONTRIBUTOR, Role.VIEWER])
def test_roles_without_approval_get_403(program, contract, budget_line, role):
    invoice = receive(program, contract)

    response = client_for(member(program, role).user).post(f"{BASE}{invoice.key}/approve/")

    assert response.status_code == 403
    assert fresh(invoice).status == S.VALIDATED


def test_reject_needs_a_reason(program, contract, budget_line):
    invoice = receive(program, contract)
    client = client_for(manager_of(program))

    empty = client.post(f"{BASE}{invoice.key}/reject/", {"version": invoice.version})
    done = client.post(
        f"{BASE}{invoice.key}/reject/", {"version": invoice.version, "reason": "Wrong PO."}
    )

    assert empty.status_code == 400
    assert done.status_code == 302
    assert fresh(invoice).rejection_reason == "Wrong PO."


def test_pay_records_date_and_reference(program, contract, budget_line):
    invoice = approve(receive(program, contract))
    client = client_for(finance_of(program))

    response = client.post(
        f"{BASE}{invoice.key}/pay/",
        {"version": fresh(invoice).version, "paid_on": "2026-04-28", "payment_reference": "P-1"},
    )

    assert response.status_code == 302
    paid = fresh(invoice)
    assert (paid.status, paid.paid_on, paid.payment_reference) == (
        S.PAID,
        dt.date(2026, 4, 28),
        "P-1",
    )


def test_a_non_member_gets_404(program, contract, budget_line):
    from core.tests.factories import UserFactory

    invoice = receive(program, contract)

    response = client_for(UserFactory()).get(f"{BASE}{invoice.key}/")

    assert response.status_code == 404
