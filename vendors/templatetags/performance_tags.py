"""Template helpers of vendor performance: a scorecard measure with its colour and arrow, SLA
values without trailing zeros, level and status badges."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


NOTHING = '<span class="perf-value perf-none" title="Nothing to count in this period">—</span>'
ARROWS = {"up": "ti-arrow-up-right", "down": "ti-arrow-down-right"}


def _shown(m, value) -> str:
    return f"{plain(value)} %" if m.is_percent else str(value)


@register.simple_tag
def measure(m, compact: bool = False, show_counts: bool = True):
    """A measure's value, coloured, with its movement since the previous period.

    Built with f-strings (everything shown is a number or a constant, nothing to escape) and
    kept on the measure: scorecard pages show hundreds of measures, each in two layouts."""
    cache = m.__dict__.setdefault("_html", {})
    if (compact, show_counts) in cache:
        return cache[compact, show_counts]
    if m.value is None:
        value = (
            '<span class="perf-value perf-none" title="Nothing to count in this period">—</span>'
        )
    else:
        number = f'{plain(m.value)}<span class="perf-unit">%</span>' if m.is_percent else m.value
        word = COLOUR_WORDS.get(m.colour or "", "")
        value = (
            f'<span class="perf-value perf-{m.colour}">{number}</span> '
            f'<span class="visually-hidden">({word})</span>'
        )
    change = ""
    if m.change:
        good, direction = m.change["good"], m.change["direction"]
        previous = _shown(m, m.change["previous"])
        state = "flat" if good is None else ("good" if good else "bad")
        said = "unchanged" if direction == "flat" else direction
        change = (
            f' <span class="perf-change perf-change-{state}" title="{previous} the period before">'
            f'<i class="ti {ARROWS.get(direction, "ti-arrow-right")}" aria-hidden="true"></i>'
            f'<span class="visually-hidden">{said} from {previous}</span></span>'
        )
    counts = ""
    if show_counts and m.is_percent and m.whole:
        counts = f' <span class="perf-counts">{int(m.part)} of {int(m.whole)}</span>'
    compact_class = " perf-measure-compact" if compact else ""
    html = mark_safe(  # noqa: S308 - numbers and constants only
        f'<span class="perf-measure{compact_class}">{value}{change}{counts}</span>'
    )
    cache[compact, show_counts] = html
    return html


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
