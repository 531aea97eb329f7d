"""FilterSets of the RAID log, one per type, shared by the list pages and the API.

Every list filters by text, state (open / closed items), status, owner, workstream and overdue,
and sorts by its columns (`sort`, e.g. `-score` or `due_date`). Risks add category, score band,
probability, impact and their residual counterparts (the heat map's cells link here), issues
severity, priority and escalation, dependencies the direction, actions escalation and subject.
"""

from __future__ import annotations

import django_filters
from django.db.models import F, Q
from django.utils import timezone

from core.models import User
from programs.models import Workstream
from programs.selectors import member_users

from .choices import (
    RATINGS,
    SCORE_BAND_RANGES,
    ActionStatus,
    AssumptionStatus,
    DependencyDirection,
    DependencyStatus,
    IssueStatus,
    Priority,
    RaidType,
    ResponseStrategy,
    RiskCategory,
    RiskStatus,
    ScoreBand,
    Severity,
)
from .models import Action, Assumption, Dependency, Issue, Risk
from .selectors import DUE_FIELD

STATE_CHOICES = [("open", "Open items"), ("closed", "Closed items"), ("all", "All items")]
RATING_CHOICES = [(r, str(r)) for r in RATINGS]
YES_NO = [("true", "Yes"), ("false", "No")]


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Column sorting where empty dates and names go last whichever the direction, and the key
    breaks ties so that paging is stable."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            if param in ("", None):
                continue
            descending = param.startswith("-")
            field = self.param_map.get(param.lstrip("-"))
            if field is None:
                continue
            expr = F(field)
            ordering.append(expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True))
        if not ordering:
            return qs
        return qs.order_by(*ordering, "number")


class RaidFilterSet(django_filters.FilterSet):
    RAID_TYPE = ""
    ACTIVE: tuple = ()

    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES, method="filter_state", empty_label="All items", label="State"
    )
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Any owner")
    workstream = django_filters.ModelChoiceFilter(
        queryset=Workstream.objects.none(), empty_label="All workstreams"
    )
    overdue = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="filter_overdue",
        empty_label="Overdue: any",
        label="Overdue",
    )

    # subclasses: status = ChoiceFilter(...), sort = NullsLastOrderingFilter(...)

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.filters["owner"].queryset = member_users(program=program)
        self.filters["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )

    SEARCH_FIELDS: tuple[str, ...] = ("title", "description")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = Q(key__iexact=value)
        for field in self.SEARCH_FIELDS:
            q |= Q(**{f"{field}__icontains": value})
        return queryset.filter(q)

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=self.ACTIVE)
        if value == "closed":
            return queryset.exclude(status__in=self.ACTIVE)
        return queryset

    def filter_overdue(self, queryset, name, value):
        if value not in ("true", "false"):
            return queryset
        due = DUE_FIELD[self.RAID_TYPE]
        overdue = Q(**{f"{due}__lt": timezone.localdate(), "status__in": self.ACTIVE})
        return queryset.filter(overdue) if value == "true" else queryset.exclude(overdue)


def _sort(fields: tuple[tuple[str, str], ...], default: str) -> NullsLastOrderingFilter:
    return NullsLastOrderingFilter(fields=fields, label="Sort", empty_label=f"Sort: {default}")


def _escalated_filter() -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        choices=YES_NO,
        method="filter_escalated",
        empty_label="Escalated: any",
        label="Escalated",
    )


def _filter_escalated(self, queryset, name, value):
    if value not in ("true", "false"):
        return queryset
    if value == "true":
        return queryset.filter(escalation_level__gt=0)
    return queryset.filter(escalation_level=0)


COMMON_SORT = (
    ("number", "key"),
    ("title", "title"),
    ("status", "status"),
    ("owner__full_name", "owner"),
    ("workstream__name", "workstream"),
    ("updated_at", "updated"),
)


class RiskFilterSet(RaidFilterSet):
    RAID_TYPE = RaidType.RISK
    ACTIVE = Risk.ACTIVE_STATUSES
    SEARCH_FIELDS = ("title", "description", "cause", "event", "effect")

    status = django_filters.ChoiceFilter(choices=RiskStatus.choices, empty_label="Any status")
    category = django_filters.ChoiceFilter(
        choices=RiskCategory.choices, empty_label="All categories"
    )
    band = django_filters.ChoiceFilter(
        choices=ScoreBand.choices, method="filter_band", empty_label="Any score", label="Score"
    )
    strategy = django_filters.ChoiceFilter(
        field_name="response_strategy",
        choices=ResponseStrategy.choices,
        empty_label="Any response",
        label="Response",
    )
    probability = django_filters.ChoiceFilter(choices=RATING_CHOICES, empty_label="Any probability")
    impact = django_filters.ChoiceFilter(
        choices=RATING_CHOICES, empty_label="Any impact", label="Impact (highest)"
    )
    residual_probability = django_filters.ChoiceFilter(
        choices=RATING_CHOICES, empty_label="Any residual probability"
    )
    residual_impact = django_filters.ChoiceFilter(
        choices=RATING_CHOICES, empty_label="Any residual impact"
    )
    sort = _sort(
        (
            *COMMON_SORT,
            ("category", "category"),
            ("score", "score"),
            ("probability", "probability"),
            ("impact", "impact"),
            ("residual_score", "residual_score"),
            ("proximity_date", "proximity_date"),
            ("review_date", "review_date"),
            ("emv", "emv"),
        ),
        "highest score",
    )

    class Meta:
        model = Risk
        fields = [
            "q", "state", "status", "owner", "workstream", "category", "band", "strategy",
            "probability", "impact", "residual_probability", "residual_impact", "overdue",
        ]  # fmt: skip

    def filter_band(self, queryset, name, value):
        low, high = SCORE_BAND_RANGES[value]
        return queryset.filter(score__gte=low, score__lte=high)


class IssueFilterSet(RaidFilterSet):
    RAID_TYPE = RaidType.ISSUE
    ACTIVE = Issue.ACTIVE_STATUSES

    status = django_filters.ChoiceFilter(choices=IssueStatus.choices, empty_label="Any status")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity")
    priority = django_filters.ChoiceFilter(choices=Priority.choices, empty_label="Any priority")
    escalated = _escalated_filter()
    sort = _sort(
        (
            *COMMON_SORT,
            ("severity", "severity"),
            ("priority", "priority"),
            ("due_date", "due_date"),
            ("escalation_level", "escalation_level"),
        ),
        "key",
    )

    class Meta:
        model = Issue
        fields = [
            "q", "state", "status", "owner", "workstream", "severity", "priority", "escalated",
            "overdue",
        ]  # fmt: skip

    filter_escalated = _filter_escalated


class AssumptionFilterSet(RaidFilterSet):
    RAID_TYPE = RaidType.ASSUMPTION
    ACTIVE = Assumption.ACTIVE_STATUSES

    status = django_filters.ChoiceFilter(choices=AssumptionStatus.choices, empty_label="Any status")
    sort = _sort((*COMMON_SORT, ("validate_by", "validate_by")), "key")

    class Meta:
        model = Assumption
        fields = ["q", "state", "status", "owner", "workstream", "overdue"]


class DependencyFilterSet(RaidFilterSet):
    RAID_TYPE = RaidType.DEPENDENCY
    ACTIVE = Dependency.ACTIVE_STATUSES
    SEARCH_FIELDS = ("title", "description", "giver_external", "receiver_external")

    status = django_filters.ChoiceFilter(choices=DependencyStatus.choices, empty_label="Any status")
    direction = django_filters.ChoiceFilter(
        choices=DependencyDirection.choices, empty_label="Both directions"
    )
    sort = _sort((*COMMON_SORT, ("direction", "direction"), ("needed_by", "needed_by")), "key")

    class Meta:
        model = Dependency
        fields = ["q", "state", "status", "owner", "workstream", "direction", "overdue"]


class ActionFilterSet(RaidFilterSet):
    RAID_TYPE = RaidType.ACTION
    ACTIVE = Action.ACTIVE_STATUSES

    status = django_filters.ChoiceFilter(choices=ActionStatus.choices, empty_label="Any status")
    escalated = _escalated_filter()
    subject = django_filters.CharFilter(
        field_name="subject_key", lookup_expr="iexact", label="Subject key"
    )
    sort = _sort(
        (
            *COMMON_SORT,
            ("due_date", "due_date"),
            ("escalation_level", "escalation_level"),
            ("subject_key", "subject"),
        ),
        "key",
    )

    class Meta:
        model = Action
        fields = ["q", "state", "status", "owner", "workstream", "escalated", "subject", "overdue"]

    filter_escalated = _filter_escalated


class HeatMapFilterSet(django_filters.FilterSet):
    """The heat map's few filters (the page and its API): workstream, owner, category."""

    workstream = django_filters.ModelChoiceFilter(
        queryset=Workstream.objects.none(), empty_label="All workstreams"
    )
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Any owner")
    category = django_filters.ChoiceFilter(
        choices=RiskCategory.choices, empty_label="All categories"
    )

    class Meta:
        model = Risk
        fields = ["workstream", "owner", "category"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = member_users(program=program)
        self.filters["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )


FILTERSETS: dict[str, type[RaidFilterSet]] = {
    RaidType.RISK: RiskFilterSet,
    RaidType.ISSUE: IssueFilterSet,
    RaidType.ASSUMPTION: AssumptionFilterSet,
    RaidType.DEPENDENCY: DependencyFilterSet,
    RaidType.ACTION: ActionFilterSet,
}
# The order each list falls back to without a `sort`.
DEFAULT_ORDER: dict[str, tuple] = {
    RaidType.RISK: (F("score").desc(), "number"),
    RaidType.ISSUE: ("number",),
    RaidType.ASSUMPTION: ("number",),
    RaidType.DEPENDENCY: ("number",),
    RaidType.ACTION: ("number",),
}
