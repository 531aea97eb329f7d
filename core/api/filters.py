"""The filter backend for FilterSets that need context, e.g. `WorkstreamFilterSet(program=...)`.

One FilterSet serves the HTML list and the API. FilterSets whose choice querysets are scoped to
a program take `program=`; a view passes such arguments from `get_filterset_extra_kwargs()`.
Invalid filter values answer 400 with field errors.
"""

from django_filters.rest_framework import DjangoFilterBackend


def _filters_requested(filterset_class, query_params) -> bool:
    # Range filters read `<name>_after`/`<name>_min`-style keys, hence the prefix test.
    names = filterset_class.base_filters.keys()
    return any(key == name or key.startswith(f"{name}_") for key in query_params for name in names)


class ScopedFilterBackend(DjangoFilterBackend):
    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        extra = getattr(view, "get_filterset_extra_kwargs", None)
        if extra is not None:
            kwargs.update(extra())
        return kwargs

    def filter_queryset(self, request, queryset, view):
        # Building a FilterSet copies its filters and validates a form: skip that on the common
        # unfiltered request, which then costs nothing here (the answer is the same).
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not _filters_requested(filterset_class, request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)
