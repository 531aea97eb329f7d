"""FilterSets shared by the HTML lists and the API, so both filter the same way."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from core.models import AuditEntry, User
from core.permissions import Role

from .choices import WorkstreamStatus
from .models import ProgramMembership, Workstream


class WorkstreamFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(
        choices=WorkstreamStatus.choices, empty_label="All statuses"
    )
    lead = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Any lead")
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("key", "key"), ("lead__full_name", "lead"),
                ("status", "status"), ("updated_at", "updated")),
        label="Sort",
        empty_label="Sort: name",
    )  # fmt: skip

    class Meta:
        model = Workstream
        fields = ["q", "status", "lead"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["lead"].queryset = User.objects.filter(memberships__program=program)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(key__iexact=value) | Q(description__icontains=value)
        )


class MembershipFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    role = django_filters.ChoiceFilter(choices=Role.choices, empty_label="All roles")

    class Meta:
        model = ProgramMembership
        fields = ["q", "role"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(user__full_name__icontains=value) | Q(user__email__icontains=value)
        )


class ActivityFilterSet(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Anyone")
    action = django_filters.ChoiceFilter(
        choices=[("create", "Created"), ("update", "Updated"), ("delete", "Deleted")],
        empty_label="Any change",
    )
    object_type = django_filters.CharFilter(method="by_object_type", label="Object type")
    since = django_filters.DateFilter(
        field_name="timestamp", lookup_expr="date__gte", label="Since"
    )

    class Meta:
        model = AuditEntry
        fields = ["actor", "action", "object_type", "since"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["actor"].queryset = User.objects.filter(memberships__program=program)

    def by_object_type(self, queryset, name, value):
        """`app_label.model` (e.g. programs.workstream); a bare model name is accepted too."""
        app_label, _, model = value.lower().rpartition(".")
        queryset = queryset.filter(content_type__model=model)
        return queryset.filter(content_type__app_label=app_label) if app_label else queryset
