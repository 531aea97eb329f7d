"""Checks every budgets service applies to what it is given: money to the cent in the program's
currency, and months inside the program."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from core.fields import MAX_MONEY
from programs.models import Program

from ..months import add_months, month_label, month_of

CENT = Decimal("0.01")


def parse_amount(value, field: str, *, signed: bool = False) -> Decimal:
    """`value` (Decimal, int or text such as "1250.50") as a Decimal to the cent, or a
    ValidationError naming `field`: not a number, more than two decimals, negative (unless
    `signed`) or too large. Floats are refused: money never passes through binary floating point."""
    if isinstance(value, float):
        raise ValidationError({field: "Give amounts as text or Decimal, never as a float."})
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{value!r} is not an amount; write e.g. 1250.50."}) from None
    if not amount.is_finite():
        raise ValidationError({field: f"{value!r} is not an amount; write e.g. 1250.50."})
    if amount != amount.quantize(CENT):
        raise ValidationError(
            {field: f"{value} has more than two decimals; amounts are to the cent."}
        )
    if amount < 0 and not signed:
        raise ValidationError({field: f"{value} is negative; amounts here cannot be."})
    if abs(amount) > MAX_MONEY:
        raise ValidationError({field: f"{value} is larger than {MAX_MONEY}."})
    return amount.quantize(CENT)


def check_currency(program: Program, currency: str, field: str = "currency") -> None:
    if (currency or "").upper() != program.currency:
        given = currency or "(none)"
        raise ValidationError(
            {field: f"{given} is not {program.code}'s currency ({program.currency})."}
        )


def program_months(program: Program) -> tuple[dt.date, dt.date]:
    """The first and last month of the program."""
    return month_of(program.start_date), month_of(program.end_date)


def check_month(program: Program, month: dt.date, field: str = "month") -> dt.date:
    """`month` as its first day, refused when outside the program's months."""
    if not isinstance(month, dt.date):
        raise ValidationError({field: "Give a month, e.g. 2026-03."})
    month = month_of(month)
    first, last = program_months(program)
    if not first <= month <= last:
        raise ValidationError(
            {field: f"{month_label(month)} is outside the program "
                    f"({month_label(first)} to {month_label(last)})."}
        )  # fmt: skip
    return month


def next_month(month: dt.date) -> dt.date:
    return add_months(month, 1)
