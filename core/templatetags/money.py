"""Money as finance reads it, for every domain's templates: `{% load money %}`."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def money(value, currency: str = "") -> str:
    """`1,840,000.00` (with `EUR` before it when given), rounded half-even; a dash for None."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    text = f"{amount.quantize(CENT, rounding=ROUND_HALF_EVEN):,.2f}"
    return f"{currency} {text}" if currency else text


@register.filter
def signed_money(value, currency: str = "") -> str:
    """`+58,000.00` / `-85,000.00` (a real minus sign, U+2212) for changes; `0.00` unsigned."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    text = f"{abs(amount).quantize(CENT, rounding=ROUND_HALF_EVEN):,.2f}"
    sign = "+" if amount > 0 else "\u2212" if amount < 0 else ""
    return f"{currency} {sign}{text}" if currency else f"{sign}{text}"
