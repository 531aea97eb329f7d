"""The vendor portal's invoices: a vendor user sees and submits only its own vendor's invoices;
another vendor's invoice answers 404 on pages, PDF downloads and the API; the program's invoice
pages answer 403; nothing of the budget is shown."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from budgets.models import Invoice
from budgets.services import invoices as services
from core.models import OutboundEmail
from core.permissions import Role
from programs.tests.factories import member
from vendors.tests.factories import make_portal_user, make_vendor

from .invoice_factories import (
    finance_of,
    line,
    make_contract_line,
    make_tm_contract,
    media,  # noqa: F401 - a fixture
    pdf,
    receive,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
PORTAL = "/programs/ERP/budget/portal/invoices/"
API = "/api/v1/programs/ERP/budget/portal/invoices/"


@pytest.fixture
def contract(program):
    return make_tm_contract(program, make_vendor(program, name="Northwind Consulting"))


@pytest.fixture
def budget_line(program, contract):
    return make_contract_line(program, contract)


@pytest.fixture
def tom(program, contract):
    """Northwind's portal user."""
    user = member(program, Role.VENDOR, email="tom@northwind.example").user
    make_portal_user(program, contract.vendor, user=user)
    return user


@pytest.fixture
def ours(program, contract, budget_line):
    invoice = receive(program, contract, invoice_number="NW-1", document=pdf())
    return services.invoice_reject(
        actor=finance_of(program), invoice=invoice, reason="The PO number is missing."
    )


@pytest.fixture
def theirs(program):
    other = make_tm_contract(program, make_vendor(program, name="Contoso Data"))
    make_contract_line(program, other)
    return receive(program, other, invoice_number="CT-SECRET", document=pdf())


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def form_data(contract, **overrides) -> dict:
    data = {
        "contract": str(contract.pk),
        "invoice_number": "NW-2026-077",
        "invoice_date": "2026-03-31",
        "due_date": "",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "currency": "EUR",
        "lines-TOTAL_FORMS": "1",
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
    }
    data.update(overrides)
    return data


def test_my_invoices_lists_only_mine_with_the_rejection_reason(tom, ours, theirs):
    body = client_for(tom).get(PORTAL).content.decode()

    assert "NW-1" in body
    assert "The PO number is missing." in body
    assert "CT-SECRET" not in body


def test_my_invoice_shows_status_and_nothing_of_the_budget(tom, ours, budget_line):
    body = client_for(tom).get(f"{PORTAL}{ours.key}/").content.decode()

    assert "The PO number is missing." in body
    assert budget_line.key not in body
    assert budget_line.name not in body


def test_another_vendors_invoice_is_404_on_pages_pdf_and_api(tom, theirs):
    client = client_for(tom)

    assert client.get(f"{PORTAL}{theirs.key}/").status_code == 404
    assert client.get(f"{PORTAL}{theirs.key}/document/").status_code == 404
    assert api_for(tom).get(f"{API}{theirs.key}/").status_code == 404
    keys = [r["key"] for r in api_for(tom).get(API).data["results"]]
    assert theirs.key not in keys


def test_the_programs_invoice_pages_and_api_are_403_for_a_vendor(tom, theirs):
    assert client_for(tom).get("/programs/ERP/budget/invoices/").status_code == 403
    assert client_for(tom).get(f"/programs/ERP/budget/invoices/{theirs.key}/").status_code == 403
    assert api_for(tom).get("/api/v1/programs/ERP/budget/invoices/").status_code == 403


def test_my_pdf_downloads(tom, ours):
    response = client_for(tom).get(f"{PORTAL}{ours.key}/document/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_submit_through_the_portal_emails_finance(program, tom, contract):
    finance = finance_of(program)

    response = client_for(tom).post(f"{PORTAL}new/", form_data(contract, document=pdf()))

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{PORTAL}{invoice.key}/"
    assert invoice.submitted_by == tom
    assert invoice.received_on is not None
    mail = OutboundEmail.objects.get(idempotency_key=f"invoice-submitted:{invoice.pk}")
    assert mail.to == [finance.email]


def test_submit_without_pdf_keeps_input_and_records_nothing(tom, contract):
    response = client_for(tom).post(f"{PORTAL}new/", form_data(contract))

    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required" in body or "Attach the invoice" in body
    assert 'value="NW-2026-077"' in body
    assert not Invoice.objects.exists()


def test_the_portal_form_offers_only_my_active_contracts(program, tom, contract, theirs):
    make_tm_contract(program, contract.vendor, title="Our draft", status="draft")

    body = client_for(tom).get(f"{PORTAL}new/").content.decode()

    assert contract.key in body
    assert theirs.contract.key not in body
    assert "Our draft" not in body
    assert "Budget line" not in body


def test_submitting_for_another_vendors_contract_is_refused(tom, theirs):
    response = client_for(tom).post(f"{PORTAL}new/", form_data(theirs.contract, document=pdf()))

    assert response.status_code == 400
    assert Invoice.objects.count() == 1


def test_submit_through_the_portal_api(program, tom, contract):
    data = {
        "contract": contract.key,
        "invoice_number": "NW-API-1",
        "invoice_date": "2026-03-31",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "lines": '[{"description": "Developer", "role": "Migration developer", '
        '"quantity": "5", "unit": "day", "rate": "900.00"}]',
        "document": pdf(),
    }

    response = api_for(tom).post(API, data, format="multipart")
    other = api_for(tom).post(API, {**data, "contract": "CTR-99"}, format="multipart")

    assert response.status_code == 201, response.data
    assert response.data["total"] == "4500.00"
    assert response.data["lines"][0]["budget_line"] is None
    assert response.data["problems"] == []  # the program's checks stay internal
    assert other.status_code == 400


def test_a_vendor_user_not_linked_to_a_vendor_gets_403(program, ours):
    loose = member(program, Role.VENDOR).user

    assert client_for(loose).get(PORTAL).status_code == 403
    assert api_for(loose).get(API).status_code == 403


def test_portal_list_query_count_does_not_grow(program, tom, contract, count_queries):
    client = client_for(tom)
    receive(program, contract, invoice_number="Q-1")
    client.get(PORTAL)
    with count_queries() as one:
        client.get(PORTAL)
    receive(program, contract, invoice_number="Q-2", lines=[line(), line()])
    receive(program, contract, invoice_number="Q-3")
    with count_queries() as three:
        client.get(PORTAL)

    assert len(one.captured_queries) == len(three.captured_queries)
