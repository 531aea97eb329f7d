"""FilterSets shared by the governance pages and the API, so both filter the same way."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from core.models import User
from programs.models import Workstream
from programs.selectors import member_users

from .choices import ApprovalLevel, ChangeKind, ChangeStatus, DecisionStatus
from .models import ChangeRequest, Decision

# --- change control -----------------------------------------------------------------------------


class ChangeRequestFilterSet(django_filters.FilterSet):
    """Needs a queryset from `selectors.changes.change_request_list` (for `approval_level`)."""

    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=ChangeStatus.choices, empty_label="All statuses")
    kind = django_filters.ChoiceFilter(choices=ChangeKind.choices, empty_label="All kinds")
    requester = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Anyone")
    workstream = django_filters.ModelChoiceFilter(
        queryset=Workstream.objects.none(), empty_label="All workstreams"
    )
    approval = django_filters.ChoiceFilter(
        field_name="approval_level",
        choices=ApprovalLevel.choices,
        empty_label="Any approver",
        label="Approver",
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("id", "key"), ("title", "title"), ("status", "status"), ("kind", "kind"),
            ("requester__full_name", "requester"), ("needed_by", "needed_by"),
            ("cost_impact", "cost"), ("schedule_impact_days", "days"), ("updated_at", "updated"),
        ),
        field_labels={
            "id": "Oldest first", "-key": "Newest first", "title": "Title", "-title": "Title (Z-A)",
            "status": "Status", "-status": "Status (reverse)", "kind": "Kind",
            "-kind": "Kind (reverse)", "requester__full_name": "Requester",
            "-requester": "Requester (Z-A)", "needed_by": "Needed by (soonest)",
            "-needed_by": "Needed by (latest)", "cost_impact": "Cost impact (lowest)",
            "-cost": "Cost impact (highest)", "schedule_impact_days": "Schedule impact "
            "(least)", "-days": "Schedule impact (most)",
            "updated_at": "Updated (oldest)", "-updated": "Recently updated",
        },
        label="Sort",
        empty_label="Sort: newest",
    )  # fmt: skip

    class Meta:
        model = ChangeRequest
        fields = ["q", "status", "kind", "requester", "workstream", "approval"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["requester"].queryset = member_users(program=program)
        self.filters["workstream"].queryset = Workstream.objects.filter(program=program)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(key__iexact=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(reason__icontains=value)
        )


# --- the decision log ---------------------------------------------------------------------------


class DecisionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=DecisionStatus.choices, empty_label="All statuses")
    decided_by = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), empty_label="Any decider"
    )
    decided_after = django_filters.DateFilter(
        field_name="decided_on", lookup_expr="gte", label="Decided on or after"
    )
    sort = django_filters.OrderingFilter(
        fields=(("id", "key"), ("title", "title"), ("decided_on", "decided_on"),
                ("status", "status"), ("updated_at", "updated")),
        field_labels={
            "id": "Oldest first", "-key": "Newest first", "title": "Title",
            "-title": "Title (Z-A)", "decided_on": "Decided (earliest)",
            "-decided_on": "Decided (latest)", "status": "Status", "-status": "Status (reverse)",
            "updated_at": "Updated (oldest)", "-updated": "Recently updated",
        },
        label="Sort",
        empty_label="Sort: newest",
    )  # fmt: skip

    class Meta:
        model = Decision
        fields = ["q", "status", "decided_by", "decided_after"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["decided_by"].queryset = member_users(program=program)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(key__iexact=value)
            | Q(title__icontains=value)
            | Q(statement__icontains=value)
            | Q(context__icontains=value)
            | Q(rationale__icontains=value)
        )
