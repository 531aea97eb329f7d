"""The portfolio dashboard page: a row per program the user belongs to, sortable and filtered
by query parameters (so sorting and filtering work without JavaScript)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from programs.choices import ProgramStatus

from .. import rag
from ..selectors.portfolio import DEFAULT_SORT, SORTS, parse_params, portfolio

RAG_FILTERS = [(r.value, r.label) for r in rag.Rag] + [("none", "No published report")]


def sort_links(params) -> dict[str, dict[str, str]]:
    """For each sortable column: the URL that sorts by it (toggling the direction when it is
    the current sort), and its aria-sort value."""
    links = {}
    for key in SORTS:
        current = params.sort_key == key
        if current:
            next_sort = key if params.descending else f"-{key}"
        else:
            next_sort = f"-{key}" if key in ("rag", "exposure", "defects", "variance") else key
        query = {k: v for k, v in (("status", params.status), ("rag", params.rag)) if v}
        if next_sort != DEFAULT_SORT:
            query["sort"] = next_sort
        links[key] = {
            "url": "?" + urlencode(query) if query else "?",
            "aria": ("descending" if params.descending else "ascending") if current else "none",
            "icon": ("ti-sort-descending" if params.descending else "ti-sort-ascending")
            if current
            else "ti-arrows-sort",
        }
    return links


class PortfolioView(LoginRequiredMixin, TemplateView):
    access_policy = "authenticated"  # every signed-in user sees the programs they belong to
    template_name = "reporting/portfolio/index.html"

    def get_context_data(self, **kwargs):
        params, errors = parse_params(self.request.GET)
        found = portfolio(self.request.user, params)
        return super().get_context_data(
            portfolio=found,
            rows=found.rows,
            params=params,
            errors=errors,
            sorts=sort_links(params),
            status_choices=ProgramStatus.choices,
            rag_choices=RAG_FILTERS,
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=400 if context["errors"] else 200)
