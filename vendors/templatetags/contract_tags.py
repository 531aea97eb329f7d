"""Template helpers of contracts: money as finance reads it, status badges, burn bars."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from core.templatetags.money import money, signed_money

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
register.filter("money", money)
register.filter("signed_money", signed_money)


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
