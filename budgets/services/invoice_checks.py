"""The checks an invoice passes before it is recorded or corrected (refusals, not validation
problems): a signed contract of the vendor, known currency, coherent dates inside the program,
the vendor's invoice number not used before, and every line cleaned (amounts to the cent,
quantities, unit, month inside the program, a budget line of the program). Each refusal is a
ValidationError naming its field; line problems are listed together under `lines`, each with its
line number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from core import uploads
from core.domain import check_same_program
from programs.models import Program, ProgramMembership
from programs.validators import validate_currency
from vendors.models import Contract, ContractStatus, RateUnit, Vendor

from ..models import BudgetLine, Invoice
from ..months import month_label, month_of, parse_month
from .checks import check_month, parse_amount, program_months
from .invoice_validation import line_amount

MAX_QUANTITY = Decimal("99999999.99")
MAX_LINES = 200
INVOICE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024  # settings.INVOICE_UPLOAD_MAX_BYTES overrides
INVOICE_UPLOADS = uploads.UploadPolicy(
    extensions=(".pdf",),
    max_bytes_setting="INVOICE_UPLOAD_MAX_BYTES",
    default_max_bytes=INVOICE_UPLOAD_MAX_BYTES,
    accepted_text="the invoice as a PDF",
    files_noun="invoice PDFs",
    accepted_as="for invoices",
    field="document",
    fallback_name="invoice.pdf",
)


def role_of(program: Program, user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    return (
        ProgramMembership.objects.filter(program=program, user=user)
        .values_list("role", flat=True)
        .first()
    )


def person_of(actor):
    return actor if actor is not None and actor.is_authenticated else None


def default_budget_line(contract: Contract | None) -> BudgetLine | None:
    """The budget line tied to `contract` when there is exactly one, else None."""
    if contract is None:
        return None
    lines = list(BudgetLine.objects.filter(contract=contract)[:2])
    return lines[0] if len(lines) == 1 else None


def check_contract(program: Program, contract: Contract | None, vendor: Vendor | None) -> Vendor:
    if contract is None:
        raise ValidationError({"contract": "Choose the contract or SOW the invoice is under."})
    check_same_program(program, contract, "contract")
    if vendor is not None and contract.vendor_id != vendor.pk:
        raise ValidationError(
            {"contract": f"{contract.key} is with {contract.vendor.name}, not {vendor.name}."}
        )
    if contract.status == ContractStatus.DRAFT:
        raise ValidationError(
            {"contract": f"{contract.key} is a draft: invoices are recorded against signed "
                         "contracts."}
        )  # fmt: skip
    return contract.vendor


def clean_currency(value: str | None, contract: Contract) -> str:
    currency = (value or contract.currency or "").strip().upper()
    try:
        validate_currency(currency)
    except ValidationError:
        raise ValidationError(
            {"currency": f"“{value}” is not a currency we know; give its ISO 4217 code, e.g. "
                         f"{contract.currency}."}
        ) from None  # fmt: skip
    return currency


def check_dates(program: Program, fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    for name in ("invoice_date", "received_on", "period_start", "period_end"):
        if not isinstance(fields.get(name), dt.date):
            errors[name] = "Give a date, e.g. 2026-10-31."
    if errors:
        raise ValidationError(errors)
    due = fields.get("due_date")
    if due is not None and not isinstance(due, dt.date):
        errors["due_date"] = "Give a date, e.g. 2026-11-30, or leave it empty."
    if fields["period_end"] < fields["period_start"]:
        errors["period_end"] = "The period ends before it starts."
    if fields["received_on"] < fields["invoice_date"]:
        errors["received_on"] = (
            f"Received on {fields['received_on']:%d %b %Y}, before the invoice date "
            f"({fields['invoice_date']:%d %b %Y})."
        )
    if isinstance(due, dt.date) and due < fields["invoice_date"]:
        errors["due_date"] = "The due date is before the invoice date."
    first, last = program_months(program)
    if fields["period_end"] < first or month_of(fields["period_start"]) > last:
        errors["period_start"] = (
            f"The period is outside {program.code} ({month_label(first)} to "
            f"{month_label(last)}): it cannot be booked to its budget."
        )
    if errors:
        raise ValidationError(errors)


def check_number(vendor: Vendor, number: str, exclude: int | None = None) -> str:
    number = (number or "").strip()
    if not number:
        raise ValidationError({"invoice_number": "Give the vendor's invoice number."})
    if len(number) > 60:
        raise ValidationError({"invoice_number": "At most 60 characters."})
    same = Invoice.objects.filter(vendor=vendor, invoice_number__iexact=number)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    found = same.only("key", "received_on", "status").first()
    if found is not None:
        raise ValidationError(
            {"invoice_number": f"{vendor.name} already sent an invoice numbered “{number}” "
                               f"({found.key}, received {found.received_on:%d %b %Y}, "
                               f"{found.get_status_display().lower()}). The same invoice "
                               "cannot be recorded twice."}
        )  # fmt: skip
    return number


def parse_quantity(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise ValidationError("give the quantity as text or Decimal, never as a float")
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"quantity {value!r} is not a number") from None
    if not quantity.is_finite():
        raise ValidationError(f"quantity {value!r} is not a number")
    if quantity != quantity.quantize(Decimal("0.01")):
        raise ValidationError(f"quantity {value} has more than two decimals")
    if quantity < 0:
        raise ValidationError(f"quantity {value} is negative")
    if quantity > MAX_QUANTITY:
        raise ValidationError(f"quantity {value} is too large")
    return quantity.quantize(Decimal("0.01"))


def line_month(program: Program, value, period_start: dt.date) -> dt.date:
    if value is None or value == "":
        value = month_of(period_start)
    elif isinstance(value, str):
        try:
            value = parse_month(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    try:
        return check_month(program, value)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["month"][0]) from None


def messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for messages in error.message_dict.values() for m in messages]
    return list(error.messages)


def clean_line(program: Program, raw: Mapping[str, Any], period_start: dt.date) -> dict:
    description = str(raw.get("description") or "").strip()
    if not description:
        raise ValidationError("describe what it charges for")
    if len(description) > 300:
        raise ValidationError("the description is longer than 300 characters")
    role = str(raw.get("role") or "").strip()
    if len(role) > 120:
        raise ValidationError("the role is longer than 120 characters")
    unit = str(raw.get("unit") or "").strip().lower()
    if unit not in ("", *RateUnit.values):
        raise ValidationError(f"unit “{unit}” is not one of {', '.join(RateUnit.values)}")
    quantity = parse_quantity(raw.get("quantity"))
    rate = raw.get("rate")
    rate = None if rate is None or rate == "" else parse_amount(rate, "rate")
    amount = raw.get("amount")
    if amount is None or amount == "":
        amount = line_amount(quantity, rate)
        if amount is None:
            raise ValidationError("give the amount (or the quantity and the rate)")
    else:
        amount = parse_amount(amount, "amount")
    budget_line = raw.get("budget_line")
    if budget_line is not None and (
        not isinstance(budget_line, BudgetLine) or budget_line.program_id != program.pk
    ):
        raise ValidationError("that budget line belongs to another program")
    return {
        "description": description,
        "role": role,
        "unit": unit,
        "quantity": quantity,
        "rate": rate,
        "amount": amount,
        "month": line_month(program, raw.get("month"), period_start),
        "budget_line": budget_line,
    }


def clean_lines(
    program: Program, lines: Iterable[Mapping[str, Any]], period_start: dt.date, *,
    portal: bool, default_line: BudgetLine | None,
) -> list[dict]:  # fmt: skip
    """Every line cleaned, or one ValidationError on `lines` naming each bad line."""
    raw_lines = list(lines or [])
    if not raw_lines:
        raise ValidationError({"lines": "An invoice has at least one line."})
    if len(raw_lines) > MAX_LINES:
        raise ValidationError({"lines": f"At most {MAX_LINES} lines an invoice."})
    cleaned, problems = [], []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            line = clean_line(program, raw, period_start)
        except ValidationError as exc:
            problems += [f"Line {number}: {message}" for message in messages_of(exc)]
            continue
        if portal:
            line["budget_line"] = None
        elif line["budget_line"] is None:
            line["budget_line"] = default_line
        cleaned.append(line)
    if problems:
        raise ValidationError({"lines": problems})
    return cleaned


def check_document(document) -> uploads.CheckedFile | None:
    if document is None:
        return None
    checked = uploads.check_upload(document, INVOICE_UPLOADS)
    document.name = checked.name
    return checked
