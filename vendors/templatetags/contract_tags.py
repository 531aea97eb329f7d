"""Template helpers of contracts: money as finance reads it, status badges, burn bars."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

register = template.Library()

CONTRACT_STATUS_COLOURS = {
    "draft": "secondary",
    "active": "green",
    "on_hold": "yellow",
    "completed": "blue",
    "terminated": "red",
}
MILESTONE_STATUS_COLOURS = {"planned": "secondary", "due": "orange", "invoiced": "azure",
                            "paid": "green"}  # fmt: skip
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


@register.simple_tag
def contract_status_badge(status: str, label: str = "") -> str:
    colour = CONTRACT_STATUS_COLOURS.get(status, "secondary")
    text = label or str(status).replace("_", " ").capitalize()
    return format_html('<span class="badge bg-{}-lt">{}</span>', colour, text)


@register.simple_tag
def milestone_status_badge(status: str, label: str = "") -> str:
    colour = MILESTONE_STATUS_COLOURS.get(status, "secondary")
    text = label or str(status).capitalize()
    return format_html('<span class="badge bg-{}-lt">{}</span>', colour, text)


@register.filter
def burn_colour(pct) -> str:
    """The burn bar's colour: green up to 80 % invoiced, orange to 100 %, red beyond."""
    try:
        pct = int(pct or 0)
    except (TypeError, ValueError):
        pct = 0
    if pct > 100:
        return "danger"
    if pct >= 80:
        return "warning"
    return "success"
