"""The contract list's FilterSet, shared by the page and the API so both filter and sort alike."""

from __future__ import annotations

import django_filters

from .models import Contract, ContractKind, ContractStatus, ContractType, Vendor
from .selectors.contracts import contract_search

SORTS = (
    ("number", "key"),
    ("title", "title"),
    ("vendor__name", "vendor"),
    ("status", "status"),
    ("contract_type", "type"),
    ("current_value", "value"),
    ("invoiced", "invoiced"),
    ("remaining", "remaining"),
    ("burn_pct", "burn"),
    ("current_end_date", "end"),
    ("start_date", "start"),
)

# (param, label ascending, label descending) in the order the sort menu lists them.
SORT_LABELS = (
    ("key", "Oldest first", "Newest first"),
    ("remaining", "Least remaining", "Most remaining"),
    ("value", "Smallest current value", "Largest current value"),
    ("burn", "Least invoiced (%)", "Most invoiced (%)"),
    ("end", "Ending soonest", "Ending latest"),
    ("start", "Starting soonest", "Starting latest"),
    ("vendor", "Vendor (A-Z)", "Vendor (Z-A)"),
    ("title", "Title (A-Z)", "Title (Z-A)"),
    ("status", "Status", "Status (reverse)"),
    ("type", "Type", "Type (reverse)"),
    ("invoiced", "Least invoiced", "Most invoiced"),
)
SORT_CHOICES = [
    choice for param, up, down in SORT_LABELS for choice in ((f"-{param}", down), (param, up))
]


class ContractFilterSet(django_filters.FilterSet):
    """Needs a queryset from `selectors.contracts.contract_list` (for the money annotations)."""

    q = django_filters.CharFilter(method="search", label="Search")
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.none(), empty_label="All vendors"
    )
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, empty_label="All statuses")
    type = django_filters.ChoiceFilter(
        field_name="contract_type", choices=ContractType.choices, empty_label="All types"
    )
    kind = django_filters.ChoiceFilter(choices=ContractKind.choices, empty_label="All kinds")
    sort = django_filters.OrderingFilter(
        fields=SORTS, choices=SORT_CHOICES, label="Sort", empty_label="Sort: newest"
    )

    class Meta:
        model = Contract
        fields = ["q", "vendor", "status", "type", "kind"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["vendor"].queryset = Vendor.objects.filter(program=program).order_by("name")

    def search(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(contract_search(value))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # A stable order for paging: ties (same vendor, same value) fall back to the key.
        ordering = list(queryset.query.order_by)
        if ordering and all(o.lstrip("-") != "number" for o in ordering):
            queryset = queryset.order_by(*ordering, "-number")
        return queryset
