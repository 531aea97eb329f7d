"""Template helpers of change control and the decision log: status badges and impact figures."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html

from ..choices import (
    CHANGE_STATUS_COLOURS,
    DECISION_STATUS_COLOURS,
    ChangeStatus,
    DecisionStatus,
)

register = template.Library()


@register.simple_tag
def change_status_badge(status: str) -> str:
    try:
        label = ChangeStatus(status).label
    except ValueError:
        return format_html('<span class="badge bg-secondary-lt">{}</span>', status)
    colour = CHANGE_STATUS_COLOURS[status]
    return format_html(
        '<span class="badge bg-{}-lt gov-status gov-status-{}">{}</span>', colour, status, label
    )


@register.simple_tag
def decision_status_badge(status: str) -> str:
    try:
        label = DecisionStatus(status).label
    except ValueError:
        return format_html('<span class="badge bg-secondary-lt">{}</span>', status)
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>', DECISION_STATUS_COLOURS[status], label
    )


@register.simple_tag
def impact_days(value: int | None, short: bool = False) -> str:
    """`+15 working days` (`+15 d` when short), `no change` for 0, a dash when not assessed."""
    if value is None:
        return format_html('<span class="text-secondary" title="Not assessed yet">{}</span>', "—")
    if value == 0:
        return format_html(
            '<span class="text-secondary">{}</span>', "0 d" if short else "No change"
        )
    unit = "d" if short else ("working day" if abs(value) == 1 else "working days")
    css = "gov-impact-up" if value > 0 else "gov-impact-down"
    return format_html('<span class="{}">{}</span>', css, f"{value:+d} {unit}")


@register.simple_tag
def impact_money(value: Decimal | None, currency: str = "") -> str:
    """`+120,000.00 EUR` with a sign (costs more / saves), `no change` for 0, a dash when not
    assessed. Rounded half-even at presentation only."""
    if value is None:
        return format_html('<span class="text-secondary" title="Not assessed yet">{}</span>', "—")
    if value == 0:
        return format_html(
            '<span class="text-secondary">{}</span>', "No change" if currency else "0"
        )
    text = f"{value:+,.2f}" + (f" {currency}" if currency else "")
    css = "gov-impact-up" if value > 0 else "gov-impact-down"
    return format_html('<span class="{}">{}</span>', css, text)


TIMELINE = {
    # to_status: (icon, verb)
    ChangeStatus.DRAFT: ("ti-file-plus", "raised it"),
    ChangeStatus.SUBMITTED: ("ti-send", "submitted it"),
    ChangeStatus.ASSESSED: ("ti-clipboard-check", "assessed it"),
    ChangeStatus.APPROVED: ("ti-circle-check", "approved it"),
    ChangeStatus.REJECTED: ("ti-circle-x", "rejected it"),
    ChangeStatus.DEFERRED: ("ti-player-pause", "deferred it"),
    ChangeStatus.IMPLEMENTED: ("ti-tool", "marked it implemented"),
    ChangeStatus.CLOSED: ("ti-lock", "closed it"),
}


@register.filter
def change_colour(status: str) -> str:
    return CHANGE_STATUS_COLOURS.get(status, "secondary")


@register.filter
def change_icon(to_status: str, from_status: str = "") -> str:
    if to_status == ChangeStatus.SUBMITTED and from_status == ChangeStatus.DEFERRED:
        return "ti-refresh"
    return TIMELINE.get(to_status, ("ti-point", ""))[0]


@register.filter
def change_verb(to_status: str, from_status: str = "") -> str:
    if to_status == ChangeStatus.SUBMITTED and from_status == ChangeStatus.DEFERRED:
        return "resubmitted it"
    return TIMELINE.get(to_status, ("", "moved it"))[1]
