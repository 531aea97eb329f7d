"""htmx helpers: render the page, or only its named partial when htmx asks for a fragment."""

from __future__ import annotations

from django.http import HttpRequest


def wants_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def page_or_partial(request: HttpRequest, template: str, partial: str) -> str:
    """`risks/risk_list.html#risk-table` for htmx fragment requests, the whole page otherwise."""
    return f"{template}#{partial}" if wants_partial(request) else template
