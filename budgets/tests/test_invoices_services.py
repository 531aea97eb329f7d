"""Invoice services: receipt and its refusals, each validation problem on its own, the role
rules of approval, actuals from approval, rejection and payment with their e-mails."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from budgets.models import BudgetSettings, CostEntry, CostSource, Invoice, InvoiceStatus
from budgets.selectors.ledger import ledger
from budgets.services import invoices as services
from core.errors import Refused
from core.models import AuditEntry, OutboundEmail
from core.permissions import Role
from programs.tests.factories import manager_of, member
from vendors.services import contracts as contract_services
from vendors.tests.factories import fresh, make_portal_user, make_vendor

from .invoice_factories import (
    MARCH,
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


@pytest.fixture
def contract(program):
    return make_tm_contract(program)


@pytest.fixture
def budget_line(program, contract):
    return make_contract_line(program, contract)


def codes(invoice) -> list[str]:
    return [p["code"] for p in invoice.problems]


# --- receipt ----------------------------------------------------------------------------------


def test_receive_records_lines_total_and_validates(program, contract, budget_line):
    invoice = receive(
        program,
        contract,
        lines=[line(), line(description="Lead", role="Data migration lead", quantity="2",
                            rate="1200.00", amount="2400.00")],
    )  # fmt: skip

    assert invoice.key == "INV-1"
    assert invoice.total == Decimal("6900.00")
    assert invoice.status == S.VALIDATED
    assert invoice.problems == []
    assert invoice.validated_at is not None
    assert invoice.vendor == contract.vendor
    assert invoice.currency == "EUR"
    assert [ln.budget_line for ln in invoice.lines.order_by("id")] == [budget_line, budget_line]
    assert AuditEntry.objects.filter(object_repr__startswith="INV-1").count() >= 2


def test_receive_defaults_month_to_first_month_and_amount_from_quantity_and_rate(
    program, contract, budget_line
):
    invoice = receive(
        program,
        contract,
        period_start=dt.date(2026, 4, 10),
        period_end=dt.date(2026, 4, 30),
        lines=[line(month=None, amount="")],
    )

    only = invoice.lines.get()
    assert only.month == dt.date(2026, 4, 1)
    assert only.amount == Decimal("4500.00")


def test_receive_leaves_lines_unmapped_when_the_contract_has_two_budget_lines(
    program, contract, budget_line
):
    make_contract_line(program, contract, name="Second line")

    invoice = receive(program, contract)

    assert invoice.lines.get().budget_line is None
    assert codes(invoice) == ["unmapped_line"]
    assert invoice.status == S.RECEIVED


def test_duplicate_invoice_number_is_refused_at_receipt(program, contract, budget_line):
    receive(program, contract, invoice_number="CT-2026-031")

    with pytest.raises(ValidationError) as exc:
        receive(program, contract, invoice_number="ct-2026-031 ")

    assert "already sent an invoice numbered" in exc.value.message_dict["invoice_number"][0]
    assert "INV-1" in exc.value.message_dict["invoice_number"][0]
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-10.00", "negative"),
        ("abc", "is not an amount"),
        ("10.123", "more than two decimals"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_recorded(
    program, contract, budget_line, value, expected
):
    with pytest.raises(ValidationError) as exc:
        receive(program, contract, lines=[line(), line(amount=value, quantity=None, rate=None)])

    message = exc.value.message_dict["lines"][0]
    assert message.startswith("Line 2: ")
    assert expected in message
    assert Invoice.objects.count() == 0


def test_float_amounts_and_bad_quantities_are_refused(program, contract, budget_line):
    with pytest.raises(ValidationError) as exc:
        receive(program, contract, lines=[line(amount=4500.0), line(quantity="1.234")])

    assert exc.value.message_dict["lines"] == [
        "Line 1: Give amounts as text or Decimal, never as a float.",
        "Line 2: quantity 1.234 has more than two decimals",
    ]


def test_unknown_currency_period_outside_program_and_missing_lines_are_refused(
    program, contract, budget_line
):
    with pytest.raises(ValidationError) as exc:
        receive(program, contract, currency="XYZ")
    assert "not a currency we know" in exc.value.message_dict["currency"][0]

    with pytest.raises(ValidationError) as exc:
        receive(
            program,
            contract,
            invoice_date=dt.date(2028, 1, 31),
            received_on=dt.date(2028, 2, 1),
            due_date=None,
            period_start=dt.date(2028, 1, 1),
            period_end=dt.date(2028, 1, 31),
        )
    assert "outside" in exc.value.message_dict["period_start"][0]

    with pytest.raises(ValidationError) as exc:
        receive(program, contract, lines=[])
    assert exc.value.message_dict["lines"] == ["An invoice has at least one line."]

    with pytest.raises(ValidationError) as exc:
        receive(program, contract, lines=[line(month=dt.date(2025, 6, 1))])
    assert "outside the program" in exc.value.message_dict["lines"][0]
    assert Invoice.objects.count() == 0


def test_draft_contract_and_contract_of_another_vendor_are_refused(program, contract):
    draft = make_tm_contract(program, contract.vendor, title="Draft", status="draft")
    with pytest.raises(ValidationError) as exc:
        receive(program, draft)
    assert "draft" in exc.value.message_dict["contract"][0]

    other = make_vendor(program, name="Fabrikam")
    with pytest.raises(ValidationError) as exc:
        services.invoice_receive(
            actor=finance_of(program), program=program, contract=contract, vendor=other,
            lines=[line()], invoice_number="X1", invoice_date=dt.date(2026, 3, 31),
            period_start=MARCH, period_end=dt.date(2026, 3, 31),
        )  # fmt: skip
    assert "not Fabrikam" in exc.value.message_dict["contract"][0]


@pytest.mark.usefixtures("media")
def test_document_must_be_a_pdf(program, contract, budget_line):
    with pytest.raises(ValidationError) as exc:
        receive(program, contract, document=pdf("invoice.pdf", b"not a pdf"))
    assert "does not look like a PDF" in exc.value.message_dict["document"][0]

    invoice = receive(program, contract, document=pdf("March invoice.pdf"))
    assert invoice.document.name.endswith(".pdf")
    assert invoice.document.read().startswith(b"%PDF-")


# --- validation, one problem at a time ----------------------------------------------------------


def test_validation_flags_the_same_number_written_differently(program, contract, budget_line):
    receive(program, contract, invoice_number="CT-2026/031")

    second = receive(program, contract, invoice_number="CT 2026 031")

    assert codes(second) == ["duplicate_number"]
    assert "“CT-2026/031” (INV-1)" in second.problems[0]["message"]
    assert second.status == S.RECEIVED


def test_validation_flags_a_total_above_the_remaining_value(program, contract, budget_line):
    receive(program, contract, lines=[line(quantity="100", amount="90000.00")])

    second = receive(program, contract, lines=[line(quantity="40", amount="36000.00")])

    assert codes(second) == ["above_remaining"]
    assert second.problems[0]["message"] == (
        f"The total EUR 36,000.00 is above what is left on {contract.key}: current value "
        "EUR 120,000.00, invoiced by its other invoices EUR 90,000.00, remaining EUR 30,000.00 "
        "(over by EUR 6,000.00)."
    )


def test_validation_does_not_count_the_invoice_itself_against_remaining(
    program, contract, budget_line
):
    invoice = receive(program, contract, lines=[line(quantity="100", amount="90000.00")])

    again = services.invoice_validate(actor=finance_of(program), invoice=invoice)

    assert again.problems == []
    assert again.status == S.VALIDATED


def test_validation_flags_a_rate_that_differs_from_the_rate_card(program, contract, budget_line):
    invoice = receive(program, contract, lines=[line(rate="950.00", amount="4750.00")])

    assert codes(invoice) == ["rate_differs"]
    message = invoice.problems[0]["message"]
    assert "billed at EUR 950.00 per day" in message
    assert "rate card says EUR 900.00 per day" in message


def test_validation_flags_a_role_not_on_the_rate_card(program, contract, budget_line):
    invoice = receive(program, contract, lines=[line(role="Architect", rate="900.00")])

    assert codes(invoice) == ["rate_not_on_card"]
    assert "Data migration lead; Migration developer" in invoice.problems[0]["message"]


def test_validation_flags_a_period_outside_the_contract(program, contract, budget_line):
    invoice = receive(
        program,
        contract,
        invoice_date=dt.date(2027, 1, 31),
        received_on=dt.date(2027, 2, 1),
        due_date=None,
        period_start=dt.date(2026, 12, 1),
        period_end=dt.date(2026, 12, 31),
        lines=[line(month=dt.date(2026, 12, 1))],
    )

    assert codes(invoice) == ["period_outside_contract"]
    assert "runs from 05 Jan 2026 to 18 Dec 2026" in invoice.problems[0]["message"]


def test_validation_flags_a_currency_other_than_the_contracts(program, contract, budget_line):
    invoice = receive(program, contract, currency="USD")

    assert codes(invoice) == ["currency", "currency"]
    assert invoice.problems[0]["message"] == f"The invoice is in USD but {contract.key} is in EUR."


def test_validation_flags_unmapped_lines(program, contract):
    invoice = receive(program, contract)  # no budget line tied to the contract

    assert codes(invoice) == ["unmapped_line"]
    assert "not mapped to a budget line" in invoice.problems[0]["message"]


def test_validation_flags_quantity_times_rate_not_the_amount(program, contract, budget_line):
    invoice = receive(program, contract, lines=[line(amount="4600.00")])

    assert codes(invoice) == ["amount_mismatch"]
    assert invoice.problems[0]["message"] == (
        "Line 1 “Migration developer, March”: 5.00 x EUR 900.00 = EUR 4,500.00, but the line "
        "says EUR 4,600.00."
    )


def test_validation_flags_a_month_outside_the_period(program, contract, budget_line):
    invoice = receive(program, contract, lines=[line(month=dt.date(2026, 5, 1))])

    assert codes(invoice) == ["month_outside_period"]


def test_validation_flags_a_budget_line_of_another_contract(program, contract, budget_line):
    other = make_tm_contract(program, make_vendor(program, name="Fabrikam"), title="Hosting")
    other_line = make_contract_line(program, other)

    invoice = receive(program, contract, lines=[line(budget_line=other_line)])

    assert codes(invoice) == ["line_other_contract"]


def test_correcting_a_received_invoice_revalidates_it(program, contract, budget_line):
    invoice = receive(program, contract, lines=[line(rate="950.00", amount="4750.00")])
    assert invoice.status == S.RECEIVED

    corrected = services.invoice_update(
        actor=finance_of(program),
        invoice=invoice,
        expected_version=invoice.version,
        lines=[line()],
        note="Rate corrected after a call with Contoso.",
    )

    assert corrected.status == S.VALIDATED
    assert corrected.problems == []
    assert corrected.total == Decimal("4500.00")
    assert corrected.lines.count() == 1


# --- approval -----------------------------------------------------------------------------------


def test_approval_books_one_cost_entry_per_line_and_moves_the_ledger(
    program, contract, budget_line
):
    invoice = receive(
        program,
        contract,
        period_end=dt.date(2026, 4, 30),
        lines=[line(), line(description="April", month=dt.date(2026, 4, 1), quantity="2",
                            amount="1800.00")],
    )  # fmt: skip
    before = ledger(program).line_total(budget_line.pk).actual

    approved = approve(invoice)

    assert approved.status == S.APPROVED
    assert approved.decided_by == manager_of(program)
    entries = list(CostEntry.objects.filter(invoice_line__invoice=invoice).order_by("month"))
    assert [(e.month, e.amount, e.source) for e in entries] == [
        (MARCH, Decimal("4500.00"), CostSource.INVOICE),
        (dt.date(2026, 4, 1), Decimal("1800.00"), CostSource.INVOICE),
    ]
    assert all(e.vendor == contract.vendor and e.line == budget_line for e in entries)
    after = ledger(program)
    assert after.line_total(budget_line.pk).actual == before + Decimal("6300.00")
    assert after.cell(budget_line.pk, MARCH).actual == Decimal("4500.00")


def test_a_received_invoice_is_not_approved(program, contract, budget_line):
    invoice = receive(program, contract, lines=[line(rate="950.00", amount="4750.00")])

    with pytest.raises(Refused) as exc:
        approve(invoice)

    assert "has not passed validation (1 problem found)" in exc.value.reason
    assert fresh(invoice).status == S.RECEIVED
    assert not CostEntry.objects.exists()


def test_nobody_approves_an_invoice_they_entered(program, contract, budget_line):
    manager = manager_of(program)
    invoice = receive(program, contract, actor=manager)

    with pytest.raises(Refused) as exc:
        approve(invoice, actor=manager)

    assert "You entered" in exc.value.reason
    assert fresh(invoice).status == S.VALIDATED


def test_finance_approves_up_to_the_limit_only_the_manager_above(program, contract, budget_line):
    coordinator = member(program, Role.COORDINATOR).user
    BudgetSettings.objects.create(program=program, invoice_approval_limit=Decimal("4500.00"))
    small = receive(program, contract, actor=coordinator)
    large = receive(
        program, contract, actor=coordinator, lines=[line(quantity="6", amount="5400.00")]
    )
    finance = finance_of(program)

    assert services.invoice_approve(actor=finance, invoice=small).status == S.APPROVED
    with pytest.raises(Refused) as exc:
        services.invoice_approve(actor=finance, invoice=large)
    assert exc.value.reason == (
        f"{large.key} is EUR 5,400.00, above the EUR 4,500.00 finance approves: the program "
        "manager approves it."
    )
    assert fresh(large).status == S.VALIDATED
    assert services.invoice_approve(actor=manager_of(program), invoice=large).status == S.APPROVED


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CONTRIBUTOR, Role.VIEWER, Role.EXECUTIVE])
def test_other_roles_cannot_approve(program, contract, budget_line, role):
    invoice = receive(program, contract)

    with pytest.raises(PermissionDenied):
        approve(invoice, actor=member(program, role).user)

    assert fresh(invoice).status == S.VALIDATED


def test_approval_rechecks_and_refuses_when_validation_no_longer_passes(
    program, contract, budget_line
):
    invoice = receive(program, contract)
    card = contract.rates.get(role="Migration developer")
    manager = manager_of(program)
    contract_services.rate_update(
        actor=manager, entry=card, expected_version=card.version, rate=Decimal("880.00")
    )

    with pytest.raises(Refused) as exc:
        approve(invoice)

    assert "no longer passes validation" in exc.value.reason
    assert "rate card says EUR 880.00" in exc.value.reason
    assert not CostEntry.objects.exists()


def test_approved_and_paid_invoices_are_never_edited(program, contract, budget_line):
    invoice = approve(receive(program, contract))

    with pytest.raises(Refused):
        services.invoice_update(
            actor=finance_of(program), invoice=invoice, expected_version=None, note="x"
        )
    with pytest.raises(Refused):
        services.invoice_validate(actor=finance_of(program), invoice=invoice)


# --- rejection and payment ------------------------------------------------------------------


@pytest.fixture
def portal_user(program, contract):
    user = member(program, Role.VENDOR, email="tom@contoso.example").user
    make_portal_user(program, contract.vendor, user=user)
    return user


def test_rejection_needs_a_reason_and_emails_the_vendor(
    program, contract, budget_line, portal_user, django_capture_on_commit_callbacks
):
    invoice = receive(program, contract)
    with pytest.raises(ValidationError):
        services.invoice_reject(actor=finance_of(program), invoice=invoice, reason=" ")

    rejected = services.invoice_reject(
        actor=finance_of(program), invoice=invoice, reason="Hours not approved by the lead."
    )

    assert rejected.status == S.REJECTED
    assert rejected.rejection_reason == "Hours not approved by the lead."
    mail = OutboundEmail.objects.get(idempotency_key=f"invoice-rejected:{invoice.pk}")
    assert mail.to == ["tom@contoso.example"]
    assert "Hours not approved by the lead." in mail.body_text
    with pytest.raises(Refused):
        approve(rejected)


def test_a_rejected_invoice_no_longer_counts_against_the_contract(program, contract, budget_line):
    first = receive(program, contract, lines=[line(quantity="100", amount="90000.00")])
    services.invoice_reject(actor=finance_of(program), invoice=first, reason="Wrong PO.")

    second = receive(program, contract, lines=[line(quantity="100", amount="90000.00")])

    assert second.problems == []


def test_payment_of_an_approved_invoice_emails_the_vendor(
    program, contract, budget_line, portal_user
):
    invoice = approve(receive(program, contract))
    finance = finance_of(program)
    with pytest.raises(ValidationError) as exc:
        services.invoice_pay(actor=finance, invoice=invoice, paid_on=None, payment_reference="")
    assert set(exc.value.message_dict) == {"paid_on", "payment_reference"}

    paid = services.invoice_pay(
        actor=finance, invoice=invoice, paid_on=dt.date(2026, 4, 28), payment_reference="PAY-7781"
    )

    assert paid.status == S.PAID
    mail = OutboundEmail.objects.get(idempotency_key=f"invoice-paid:{invoice.pk}")
    assert "PAY-7781" in mail.body_text
    assert mail.to == ["tom@contoso.example"]
    with pytest.raises(Refused):
        services.invoice_pay(
            actor=finance, invoice=paid, paid_on=dt.date(2026, 4, 28), payment_reference="X"
        )


def test_only_finance_pays_and_only_approved_invoices(program, contract, budget_line):
    invoice = receive(program, contract)
    with pytest.raises(Refused):
        services.invoice_pay(
            actor=finance_of(program), invoice=invoice, paid_on=dt.date(2026, 4, 28),
            payment_reference="PAY-1",
        )  # fmt: skip
    approved = approve(invoice)
    with pytest.raises(PermissionDenied):
        services.invoice_pay(
            actor=manager_of(program), invoice=approved, paid_on=dt.date(2026, 4, 28),
            payment_reference="PAY-1",
        )  # fmt: skip
    assert fresh(invoice).status == S.APPROVED


# --- the vendor's portal submission -------------------------------------------------------------


@pytest.mark.usefixtures("media")
def test_portal_submission_needs_a_pdf_an_active_own_contract_and_emails_finance(
    program, contract, budget_line, portal_user
):
    finance = finance_of(program)
    base = {
        "actor": portal_user, "program": program, "lines": [line()], "invoice_number": "P-1",
        "invoice_date": dt.date(2026, 3, 31), "period_start": MARCH,
        "period_end": dt.date(2026, 3, 31),
    }  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.invoice_submit(contract=contract, document=None, **base)
    assert exc.value.message_dict["document"] == ["Attach the invoice as a PDF."]

    theirs = make_tm_contract(program, make_vendor(program, name="Fabrikam"), title="Hosting")
    with pytest.raises(ValidationError):
        services.invoice_submit(contract=theirs, document=pdf(), **base)

    invoice = services.invoice_submit(contract=contract, document=pdf(), **base)

    assert invoice.submitted_by == portal_user
    assert invoice.lines.get().budget_line is None  # finance maps it
    assert codes(invoice) == ["unmapped_line"]
    mail = OutboundEmail.objects.get(idempotency_key=f"invoice-submitted:{invoice.pk}")
    assert mail.to == [finance.email]
