"""Reads for the actuals pages and API: cost entries filtered (one FilterSet shared by the page
and the API) with the total of what is filtered, GL imports, and accruals."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from programs.models import Program, Workstream
from vendors.models import Vendor

from ..models import (
    Accrual,
    AccrualStatus,
    BudgetLine,
    CostCategory,
    CostEntry,
    CostSource,
    GLImport,
)
from ..months import parse_month
from .ledger import ZERO


class MonthField(forms.CharField):
    """A month typed as 2026-03 (what `<input type="month">` sends)."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_month(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class CostEntryFilterSet(django_filters.FilterSet):
    line = django_filters.ModelChoiceFilter(
        queryset=BudgetLine.objects.none(), empty_label="All lines", to_field_name="key"
    )
    workstream = django_filters.ModelChoiceFilter(
        field_name="line__workstream", queryset=Workstream.objects.none(),
        empty_label="All workstreams", to_field_name="key",
    )  # fmt: skip
    category = django_filters.ModelChoiceFilter(
        field_name="line__category", queryset=CostCategory.objects.none(),
        empty_label="All categories",
    )  # fmt: skip
    month_from = MonthFilter(field_name="month", lookup_expr="gte", label="From month")
    month_to = MonthFilter(field_name="month", lookup_expr="lte", label="To month")
    source = django_filters.ChoiceFilter(choices=CostSource.choices, empty_label="All sources")
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.none(), empty_label="All vendors", to_field_name="key"
    )
    q = django_filters.CharFilter(method="search", label="Search")
    gl_import = django_filters.NumberFilter(field_name="gl_import_id", label="GL import")

    class Meta:
        model = CostEntry
        fields: list[str] = []

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        filters = self.filters
        filters["line"].queryset = BudgetLine.objects.filter(program=program).order_by("number")
        filters["workstream"].queryset = Workstream.objects.filter(program=program).order_by("key")
        filters["category"].queryset = CostCategory.objects.filter(program=program)
        filters["vendor"].queryset = Vendor.objects.filter(program=program).order_by("name")
        filters["line"].field.label_from_instance = lambda line: f"{line.key} {line.name}"

    def search(self, queryset, name, value):
        text = value.strip()
        return queryset.filter(
            Q(description__icontains=text) | Q(reference__icontains=text)
        ) if text else queryset  # fmt: skip


def cost_entries(*, program: Program) -> QuerySet[CostEntry]:
    return (
        CostEntry.objects.filter(program=program)
        .select_related("line", "line__workstream", "line__category", "vendor", "accrual")
        .order_by("-month", "-posted_on", "-id")
    )


def cost_entry_totals(queryset: QuerySet[CostEntry]) -> dict:
    totals = queryset.order_by().aggregate(total=Sum("amount"), count=Count("id"))
    return {"total": totals["total"] or ZERO, "count": totals["count"]}


def cost_entry_get(*, program: Program, pk: int) -> CostEntry:
    return get_object_or_404(cost_entries(program=program), pk=pk)


def gl_imports(*, program: Program) -> QuerySet[GLImport]:
    return GLImport.objects.filter(program=program).select_related("imported_by")


class AccrualFilterSet(django_filters.FilterSet):
    month = MonthFilter(field_name="month", label="Month")
    status = django_filters.ChoiceFilter(choices=AccrualStatus.choices, empty_label="All statuses")
    line = django_filters.ModelChoiceFilter(
        queryset=BudgetLine.objects.none(), empty_label="All lines", to_field_name="key"
    )

    class Meta:
        model = Accrual
        fields: list[str] = []

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["line"].queryset = BudgetLine.objects.filter(program=program).order_by(
            "number"
        )
        self.filters["line"].field.label_from_instance = lambda line: f"{line.key} {line.name}"


def accruals(*, program: Program) -> QuerySet[Accrual]:
    return (
        Accrual.objects.filter(program=program)
        .select_related("line", "line__workstream", "contract", "contract__vendor", "created_by")
        .order_by("-month", "-number")
    )


def accrual_totals(queryset: QuerySet[Accrual]) -> dict:
    totals = queryset.order_by().aggregate(
        posted=Sum("amount", filter=Q(status=AccrualStatus.POSTED)), count=Count("id")
    )
    return {"posted": totals["posted"] or ZERO, "count": totals["count"]}


def accrual_get(*, program: Program, key: str) -> Accrual:
    return get_object_or_404(accruals(program=program), key=key.upper())


def accrual_entries(accrual: Accrual) -> list[CostEntry]:
    return list(accrual.entries.select_related("line").order_by("month", "id"))
