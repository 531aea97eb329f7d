"""Template helpers of vendor performance: a scorecard measure with its colour and arrow, SLA
values without trailing zeros, level and status badges."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html

from ..models import EscalationLevel, SLADirection

register = template.Library()

COLOUR_WORDS = {"green": "on target", "yellow": "watch", "red": "below target"}
STATUS_COLOURS = {"open": "orange", "resolved": "green", "closed": "secondary"}
LEVEL_COLOURS = {1: "azure", 2: "yellow", 3: "orange", 4: "red"}


@register.filter
def plain(value) -> str:
    """99.500 -> 99.5, 4.000 -> 4; a dash for None."""
    if value is None or value == "":
        return "—"
    number = Decimal(value).normalize()
    return f"{number:f}"


@register.filter
def with_unit(value, unit: str) -> str:
    text = plain(value)
    if text == "—":
        return text
    return f"{text} %" if unit == "%" else f"{text} {unit}"


@register.simple_tag
def sla_target(sla) -> str:
    sign = "≥" if sla.direction == SLADirection.AT_LEAST else "≤"
    return f"{sign} {with_unit(sla.target, sla.unit)}"


@register.inclusion_tag("vendors/performance/_measure.html")
def measure(m, compact: bool = False, show_counts: bool = True):
    """A measure's value, coloured, with its movement since the previous period."""
    return {"m": m, "compact": compact, "show_counts": show_counts,
            "colour_word": COLOUR_WORDS.get(m.colour or "", "")}  # fmt: skip


@register.simple_tag
def level_badge(level) -> str:
    label = EscalationLevel(level).label.split(" (")[0] if level in EscalationLevel.values else ""
    return format_html(
        '<span class="badge bg-{}-lt text-nowrap" title="{}">L{}</span>',
        LEVEL_COLOURS.get(level, "secondary"),
        label,
        level,
    )


@register.simple_tag
def escalation_status_badge(status: str, label: str = "") -> str:
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>',
        STATUS_COLOURS.get(status, "secondary"),
        label or status.capitalize(),
    )


@register.filter
def colour_of(value) -> str:
    """A percentage's colour class (green/yellow/red), for the trend table."""
    from ..periods import percent_colour

    return percent_colour(value) or ""
