"""The demo invoices: every state, one failing validation with its problem in words, one sent
by vendor@example.com through the portal, and the approved ones booked as the vendor lines'
actuals of the closed months (to the cent), with no e-mail sent for the history."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum

from budgets.models import CostEntry, CostSource, Invoice, InvoiceStatus
from budgets.selectors.ledger import ledger
from core.models import OutboundEmail
from programs.models import Program

pytestmark = pytest.mark.django_db
S = InvoiceStatus


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def erp(seeded, db):
    return Program.objects.get(code="ERP")


def test_demo_invoices_are_in_every_state(erp):
    statuses = set(Invoice.objects.filter(program=erp).values_list("status", flat=True))

    assert statuses == set(S.values)


def test_one_demo_invoice_fails_validation_on_the_rate_card(erp):
    failing = Invoice.objects.get(program=erp, invoice_number="CDS-2026-0088")

    assert failing.status == S.RECEIVED
    assert [p["code"] for p in failing.problems] == ["rate_differs"]
    assert "EUR 950.00 per day" in failing.problems[0]["message"]


def test_one_demo_invoice_came_through_the_portal(erp):
    submitted = Invoice.objects.get(program=erp, submitted_by__email="vendor@example.com")

    assert submitted.vendor.name == "Northwind Consulting"
    assert submitted.document
    assert submitted.status == S.RECEIVED  # finance maps its lines
    assert not OutboundEmail.objects.filter(idempotency_key__startswith="invoice-").exists()


def test_approved_demo_invoices_are_the_vendor_lines_actuals(erp):
    approved = Invoice.objects.filter(program=erp, status__in=(S.APPROVED, S.PAID))
    booked = CostEntry.objects.filter(program=erp, source=CostSource.INVOICE)

    assert booked.aggregate(t=Sum("amount"))["t"] == approved.aggregate(t=Sum("total"))["t"]
    assert not booked.exclude(invoice_line__invoice__in=approved).exists()
    figures = ledger(erp)
    vendor_lines = {e.line_id for e in booked}
    assert len(vendor_lines) == 3
    for line_id in vendor_lines:
        from_invoices = booked.filter(line_id=line_id).aggregate(t=Sum("amount"))["t"]
        assert figures.line_total(line_id).actual >= from_invoices > Decimal("0")
