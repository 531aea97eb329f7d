"""What invoice validation checks, each problem as {code, message} in words finance can act on.

`invoice_problems(invoice)` reads the invoice, its lines, its contract (rate card, current value,
dates) and the vendor's other invoices, and returns every problem it finds (an empty list: the
invoice may be approved). It writes nothing; `services.invoices.invoice_validate` stores the
result. The checks, in the order they are listed:

- `duplicate_number`: another invoice of the vendor carries the same number written differently
  (case, spaces, dashes); the exact same number is refused at receipt (a database constraint);
- `currency`: not the contract's currency, or not the program's (it could not be booked);
- `period_outside_contract`: the period starts before the contract or ends after its current
  end date (amendments included);
- `above_remaining`: the total is above what is left on the contract (current value minus every
  other invoice not rejected);
- `month_outside_period`: a line's month is not a month of the invoice period;
- `rate_not_on_card` / `rate_differs`: a line names a role that the contract's rate card lacks for
  that unit, or bills another rate than the card's;
- `amount_mismatch`: quantity x rate is not the line's amount (to the cent, half-even);
- `unmapped_line`: a line has no budget line (finance maps it before approval);
- `line_other_contract`: a line is mapped to a budget line tied to another contract.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Sum

from ..models import Invoice, InvoiceLine, InvoiceStatus
from ..months import month_label, month_of, month_range

CENT = Decimal("0.01")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")

PROBLEM_CODES = {
    "duplicate_number": "Duplicate number",
    "currency": "Currency",
    "period_outside_contract": "Period outside the contract",
    "above_remaining": "Above the contract's remaining value",
    "month_outside_period": "Month outside the period",
    "rate_not_on_card": "Role not on the rate card",
    "rate_differs": "Rate differs from the rate card",
    "amount_mismatch": "Quantity x rate is not the amount",
    "unmapped_line": "Not mapped to a budget line",
    "line_other_contract": "Mapped to another contract's budget line",
}


def money_text(amount: Decimal | None, currency: str) -> str:
    """`EUR 1,840,000.00`, as the pages show money."""
    value = Decimal(amount or 0).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return f"{currency} {value:,.2f}"


def normalised_number(number: str) -> str:
    """The invoice number without case, spaces and punctuation: `nw 2026/31` -> `NW202631`."""
    return _NOT_ALNUM.sub("", (number or "").upper())


def line_amount(quantity: Decimal | None, rate: Decimal | None) -> Decimal | None:
    """quantity x rate to the cent (half-even), None unless both are given."""
    if quantity is None or rate is None:
        return None
    return (quantity * rate).quantize(CENT, rounding=ROUND_HALF_EVEN)


def invoiced_by_others(invoice: Invoice) -> Decimal:
    """What the contract's other invoices (any status but rejected) have invoiced."""
    others = (
        Invoice.objects.filter(contract_id=invoice.contract_id)
        .exclude(status=InvoiceStatus.REJECTED)
        .exclude(pk=invoice.pk)
        .aggregate(total=Sum("total"))["total"]
    )
    return others or Decimal("0.00")


def _problem(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _duplicates(invoice: Invoice) -> list[dict[str, str]]:
    mine = normalised_number(invoice.invoice_number)
    if not mine:
        return []
    candidates = (
        Invoice.objects.filter(vendor_id=invoice.vendor_id)
        .exclude(pk=invoice.pk)
        .exclude(status=InvoiceStatus.REJECTED)
        .values_list("key", "invoice_number")
    )
    return [
        _problem(
            "duplicate_number",
            f"{invoice.vendor.name} already sent invoice “{number}” ({key}); "
            f"“{invoice.invoice_number}” is the same number written differently. "
            "Check that this is not the same invoice twice.",
        )
        for key, number in candidates
        if normalised_number(number) == mine
    ]


def _currency(invoice: Invoice) -> list[dict[str, str]]:
    contract, program = invoice.contract, invoice.program
    problems = []
    if invoice.currency != contract.currency:
        problems.append(
            _problem(
                "currency",
                f"The invoice is in {invoice.currency} but {contract.key} is in "
                f"{contract.currency}.",
            )
        )
    if invoice.currency != program.currency:
        problems.append(
            _problem(
                "currency",
                f"{program.code} budgets in {program.currency}: an invoice in "
                f"{invoice.currency} cannot be booked to its budget lines.",
            )
        )
    return problems


def _period(invoice: Invoice) -> list[dict[str, str]]:
    contract = invoice.contract
    start, end = contract.start_date, contract.current_end_date
    if invoice.period_start >= start and invoice.period_end <= end:
        return []
    return [
        _problem(
            "period_outside_contract",
            f"The period {invoice.period_start:%d %b %Y} to {invoice.period_end:%d %b %Y} is "
            f"outside {contract.key}, which runs from {start:%d %b %Y} to {end:%d %b %Y}"
            f"{' (after amendments)' if end != contract.end_date else ''}.",
        )
    ]


def _remaining(invoice: Invoice) -> list[dict[str, str]]:
    contract = invoice.contract
    currency = contract.currency
    others = invoiced_by_others(invoice)
    remaining = contract.current_value - others
    if invoice.total <= remaining:
        return []
    over = invoice.total - remaining
    return [
        _problem(
            "above_remaining",
            f"The total {money_text(invoice.total, currency)} is above what is left on "
            f"{contract.key}: current value {money_text(contract.current_value, currency)}, "
            f"invoiced by its other invoices {money_text(others, currency)}, remaining "
            f"{money_text(remaining, currency)} (over by {money_text(over, currency)}).",
        )
    ]


def _lines(invoice: Invoice, lines: list[InvoiceLine]) -> list[dict[str, str]]:
    contract = invoice.contract
    currency = invoice.currency
    card = {(r.role.casefold(), r.unit): r for r in contract.rates.all()}
    roles = sorted({r.role for r in card.values()})
    months = set(month_range(invoice.period_start, invoice.period_end))
    problems = []
    for number, line in enumerate(lines, start=1):
        label = f"Line {number} “{line.description}”"
        if month_of(line.month) not in months:
            problems.append(
                _problem(
                    "month_outside_period",
                    f"{label} is booked to {month_label(line.month)}, outside the invoice "
                    f"period ({month_label(invoice.period_start)} to "
                    f"{month_label(invoice.period_end)}).",
                )
            )
        if line.role:
            entry = card.get((line.role.casefold(), line.unit))
            unit = f" per {line.unit}" if line.unit else ""
            if entry is None:
                on_card = "; ".join(roles) if roles else "it has no rate card"
                problems.append(
                    _problem(
                        "rate_not_on_card",
                        f"{label}: “{line.role}”{unit} is not on {contract.key}'s rate card "
                        f"(roles: {on_card}).",
                    )
                )
            elif line.rate is not None and line.rate != entry.rate:
                problems.append(
                    _problem(
                        "rate_differs",
                        f"{label}: billed at {money_text(line.rate, currency)}{unit} for "
                        f"“{entry.role}”; {contract.key}'s rate card says "
                        f"{money_text(entry.rate, contract.currency)}{unit}.",
                    )
                )
        expected = line_amount(line.quantity, line.rate)
        if expected is not None and expected != line.amount:
            problems.append(
                _problem(
                    "amount_mismatch",
                    f"{label}: {line.quantity} x {money_text(line.rate, currency)} = "
                    f"{money_text(expected, currency)}, but the line says "
                    f"{money_text(line.amount, currency)}.",
                )
            )
        if line.budget_line_id is None:
            problems.append(
                _problem(
                    "unmapped_line",
                    f"{label} is not mapped to a budget line: finance maps it before the "
                    "invoice can be approved.",
                )
            )
        elif (
            line.budget_line.contract_id is not None
            and line.budget_line.contract_id != invoice.contract_id
        ):
            problems.append(
                _problem(
                    "line_other_contract",
                    f"{label} is mapped to {line.budget_line.key} {line.budget_line.name}, "
                    f"which is tied to another contract than {contract.key}.",
                )
            )
    return problems


def invoice_problems(invoice: Invoice) -> list[dict[str, str]]:
    """Every problem of `invoice` as it is stored (lines included), [] when there is none."""
    lines = list(invoice.lines.select_related("budget_line").order_by("id"))
    return [
        *_duplicates(invoice),
        *_currency(invoice),
        *_period(invoice),
        *_remaining(invoice),
        *_lines(invoice, lines),
    ]
