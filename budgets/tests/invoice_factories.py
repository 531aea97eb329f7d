"""Invoices for tests, through the services: a vendor with a T&M contract and its rate card, the
budget line tied to it, and invoices received, approved and paid."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets.services import invoices as services
from core.permissions import Role
from programs.models import ProgramMembership
from programs.tests.factories import manager_of, member
from vendors.services import contracts as contract_services
from vendors.tests.factories import make_contract, make_vendor

from .factories import make_line, plan

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded invoice PDFs land in a temporary folder, never in var/media."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def pdf(name: str = "invoice.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def finance_of(program):
    found = ProgramMembership.objects.filter(program=program, role=Role.FINANCE).first()
    return found.user if found else member(program, Role.FINANCE).user


def make_tm_contract(program, vendor=None, **fields: Any):
    """A time-and-materials SOW (EUR 120,000, Jan-Dec 2026) with a two-role day-rate card."""
    fields.setdefault("title", "Data migration T&M")
    fields.setdefault("contract_type", "time_materials")
    contract = make_contract(program, vendor or make_vendor(program, name="Contoso Data"), **fields)
    for role, rate in (("Migration developer", "900.00"), ("Data migration lead", "1200.00")):
        contract_services.rate_create(
            actor=manager_of(program), contract=contract, role=role, rate=Decimal(rate), unit="day"
        )
    return contract


def make_contract_line(program, contract, **fields: Any):
    """The budget line tied to `contract`, with EUR 10,000 planned in March 2026."""
    fields.setdefault("name", f"{contract.vendor.name} services")
    line = make_line(program, contract=contract, **fields)
    plan(line, MARCH, "10000.00")
    return line


def line(**fields: Any) -> dict:
    """An invoice line: 5 days of a migration developer at the card's rate, in March 2026."""
    data = {
        "description": "Migration developer, March",
        "role": "Migration developer",
        "unit": "day",
        "quantity": Decimal("5"),
        "rate": Decimal("900.00"),
        "amount": Decimal("4500.00"),
        "month": MARCH,
    }
    data.update(fields)
    return data


def receive(program, contract, actor=None, lines=None, **fields: Any):
    fields.setdefault("invoice_number", f"CT-{contract.invoices.count() + 1:04d}")
    fields.setdefault("invoice_date", dt.date(2026, 3, 31))
    fields.setdefault("received_on", dt.date(2026, 4, 2))
    fields.setdefault("due_date", dt.date(2026, 4, 30))
    fields.setdefault("period_start", dt.date(2026, 3, 1))
    fields.setdefault("period_end", dt.date(2026, 3, 31))
    return services.invoice_receive(
        actor=actor or finance_of(program),
        program=program,
        contract=contract,
        lines=lines if lines is not None else [line()],
        **fields,
    )


def approve(invoice, actor=None):
    return services.invoice_approve(actor=actor or manager_of(invoice.program), invoice=invoice)
