"""Template helpers of the RFP pages: status and evaluation badges, heat classes for mean
scores, and percentages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html

from ..models import RfpStatus

register = template.Library()

STATUS_COLOURS = {
    RfpStatus.DRAFT: "secondary",
    RfpStatus.OPEN: "azure",
    RfpStatus.EVALUATION: "purple",
    RfpStatus.DECIDED: "green",
    RfpStatus.CANCELLED: "red",
}
EVALUATION_STATES = {
    "submitted": ("green", "ti-circle-check", "Submitted"),
    "draft": ("yellow", "ti-pencil", "Draft"),
    "": ("secondary", "ti-circle-dashed", "Not started"),
}


@register.simple_tag
def rfp_status_badge(status: str) -> str:
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>',
        STATUS_COLOURS.get(status, "secondary"),
        RfpStatus(status).label if status in RfpStatus.values else status,
    )


@register.simple_tag
def evaluation_badge(state: str, compact: bool = False) -> str:
    """Submitted / draft / not started, as a badge (compact: the icon, labelled for readers)."""
    colour, icon, label = EVALUATION_STATES.get(state or "", EVALUATION_STATES[""])
    if compact:
        return format_html(
            '<span class="rfp-state rfp-state-{}" title="{}"><i class="ti {}" aria-hidden="true">'
            '</i><span class="visually-hidden">{}</span></span>',
            colour, label, icon, label,
        )  # fmt: skip
    return format_html(
        '<span class="badge bg-{}-lt"><i class="ti {} me-1" aria-hidden="true"></i>{}</span>',
        colour, icon, label,
    )  # fmt: skip


@register.filter
def heat(mean, scale_max) -> str:
    """A colour class for a mean score: rfp-heat-0 (low) ... rfp-heat-4 (high)."""
    if mean is None or mean == "" or not scale_max:
        return "rfp-heat-none"
    share = Decimal(mean) / Decimal(scale_max)
    return f"rfp-heat-{min(int(share * 5), 4)}"


@register.filter
def pct(value) -> str:
    """81.00 -> "81.00%"; a dash for None."""
    return "—" if value is None else f"{value}%"


@register.filter
def weight(value) -> str:
    """A weight without trailing zeros: 30.00 -> 30, 12.50 -> 12.5."""
    if value is None:
        return "—"
    number = Decimal(value).normalize()
    return f"{number:f}"
