"""FilterSets shared by the WBS grid page and the API, so both filter items the same way."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core.models import User
from programs.models import Workstream
from programs.selectors import member_users

from .models import BaselineItem, Item, ItemKind, ItemStatus


def late_q() -> Q:
    """Items that are late: past their deadline, overdue and not 100% complete, or behind the
    current baseline's finish."""
    behind_baseline = BaselineItem.objects.filter(
        item=OuterRef("pk"), baseline__is_current=True, finish__lt=OuterRef("finish")
    )
    return (
        Q(deadline__isnull=False, finish__gt=F("deadline"))
        # a summary's status is not rolled up, its percent complete is
        | Q(finish__lt=timezone.localdate(), percent_complete__lt=100)
        | Q(Exists(behind_baseline))
    )


class YesNoSelect(forms.NullBooleanSelect):
    """Any / yes / no with our own labels; "any" posts an empty value, not "unknown"."""

    def __init__(self, any_label: str, yes_label: str, no_label: str):
        super().__init__()
        self.choices = [("", any_label), ("true", yes_label), ("false", no_label)]

    def format_value(self, value):
        # A list, as Select expects: a bare string would match "" by substring as well.
        return [{True: "true", False: "false", "true": "true", "false": "false"}.get(value, "")]


class ItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    workstream = django_filters.ModelChoiceFilter(
        queryset=Workstream.objects.none(), empty_label="All workstreams"
    )
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Any owner")
    status = django_filters.ChoiceFilter(choices=ItemStatus.choices, empty_label="All statuses")
    kind = django_filters.ChoiceFilter(choices=ItemKind.choices, empty_label="All kinds")
    critical = django_filters.BooleanFilter(
        field_name="critical",
        label="Critical",
        widget=YesNoSelect("Critical: all", "Critical only", "Not critical"),
    )
    late = django_filters.BooleanFilter(
        method="filter_late",
        label="Late",
        widget=YesNoSelect("Late: all", "Late only", "On time"),
    )

    class Meta:
        model = Item
        fields = ["q", "workstream", "owner", "status", "kind", "critical", "late"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.filters["workstream"].queryset = Workstream.objects.filter(program=program)
        self.filters["owner"].queryset = member_users(program=program)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(key__iexact=value) | Q(name__icontains=value) | Q(description__icontains=value)
        )

    def filter_late(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(late_q()) if value else queryset.exclude(late_q())
