"""Reads of defects: the filtered list (one FilterSet for the page and the API), a defect with its
workflow trail, and the numbers a test manager watches: open defects by severity and status,
ageing (days open, in buckets per severity, average and oldest) and mean time to fix. Every read
is a fixed number of queries, whatever the number of defects.

`open_defects_summary(program, release=None)` is the readiness helper's: see its docstring.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import django_filters
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.http import Http404
from django.utils import timezone

from core.models import User
from programs.models import Program, Workstream

from ..models import (
    CLOSED_DEFECT_STATUSES,
    OPEN_DEFECT_STATUSES,
    Defect,
    DefectPriority,
    DefectStatus,
    DefectTransition,
    Release,
    Requirement,
    Severity,
    TestCycle,
)

S = DefectStatus
SEVERITY_COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "secondary"}
SEVERITY_BADGES = {
    1: "bg-red text-red-fg",
    2: "bg-orange-lt",
    3: "bg-yellow-lt",
    4: "bg-secondary-lt",
}
SEVERITY_SHORT = {1: "Critical", 2: "Major", 3: "Minor", 4: "Cosmetic"}
STATUS_COLOURS = {
    S.NEW: "azure",
    S.TRIAGED: "indigo",
    S.IN_PROGRESS: "blue",
    S.FIXED: "teal",
    S.RETEST: "cyan",
    S.REOPENED: "orange",
    S.CLOSED: "green",
    S.REJECTED: "secondary",
    S.DEFERRED: "purple",
}
STATUS_ICONS = {
    S.NEW: "ti-bug",
    S.TRIAGED: "ti-list-check",
    S.IN_PROGRESS: "ti-tool",
    S.FIXED: "ti-circle-check",
    S.RETEST: "ti-repeat",
    S.REOPENED: "ti-arrow-back-up",
    S.CLOSED: "ti-lock",
    S.REJECTED: "ti-circle-x",
    S.DEFERRED: "ti-player-pause",
}
PRIORITY_ORDER = {"urgent": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    low: int  # days open, inclusive
    high: int | None  # inclusive; None: no upper bound


AGE_BUCKETS = (
    Bucket("d0_7", "0–7", 0, 7),  # noqa: RUF001 (an en dash in a range)
    Bucket("d8_14", "8–14", 8, 14),  # noqa: RUF001 (an en dash in a range)
    Bucket("d15_30", "15–30", 15, 30),  # noqa: RUF001 (an en dash in a range)
    Bucket("d31", "> 30", 31, None),
)


def days_open(defect: Defect, now: dt.datetime | None = None) -> int:
    """Whole days from when it was raised to when it left the open set (or now)."""
    end = defect.closed_at or now or timezone.now()
    return max((end - defect.created_at).days, 0)


def bucket_of(days: int) -> Bucket:
    return next(b for b in AGE_BUCKETS if days >= b.low and (b.high is None or days <= b.high))


def _bucket_q(bucket: Bucket, now: dt.datetime) -> Q:
    # days open = floor((now - created_at) / 1 day): it is <= n exactly when created_at is after
    # now - (n + 1) days, and >= n when created_at is at or before now - n days
    q = Q(created_at__lte=now - dt.timedelta(days=bucket.low))
    if bucket.high is not None:
        q &= Q(created_at__gt=now - dt.timedelta(days=bucket.high + 1))
    return q


# --- the list -------------------------------------------------------------------------------


STATE_CHOICES = [("open", "Open"), ("closed", "Closed"), ("all", "All")]


class DefectFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES,
        method="by_state",
        empty_label="Open and closed",
        label="Open or closed",
    )
    status = django_filters.ChoiceFilter(choices=S.choices, empty_label="Any status")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity")
    priority = django_filters.ChoiceFilter(
        choices=DefectPriority.choices, empty_label="Any priority"
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), empty_label="Any owner", method="by_owner"
    )
    workstream = django_filters.ModelChoiceFilter(
        queryset=Workstream.objects.none(), empty_label="Any workstream"
    )
    cycle = django_filters.ModelChoiceFilter(
        field_name="found_in_cycle",
        queryset=TestCycle.objects.none(),
        empty_label="Any test cycle",
        label="Found in cycle",
    )
    release = django_filters.ModelChoiceFilter(
        field_name="target_release",
        queryset=Release.objects.none(),
        empty_label="Any target release",
        label="Target release",
    )
    requirement = django_filters.ModelChoiceFilter(
        queryset=Requirement.objects.none(), empty_label="Any requirement"
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("severity", "severity"),
            ("number", "key"),
            ("created_at", "raised"),
            ("updated_at", "updated"),
            ("status", "status"),
            ("title", "title"),
        ),
        label="Sort",
        empty_label="Sort: severity, then key",
    )

    class Meta:
        model = Defect
        fields = [
            "q", "state", "status", "severity", "priority", "owner", "workstream", "cycle",
            "release", "requirement",
        ]  # fmt: skip

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = User.objects.filter(memberships__program=program).order_by(
            "full_name"
        )
        self.filters["owner"].extra["empty_label"] = "Any owner"
        self.filters["workstream"].queryset = Workstream.objects.filter(program=program).order_by(
            "name"
        )
        self.filters["cycle"].queryset = TestCycle.objects.filter(program=program).order_by(
            "number"
        )
        self.filters["release"].queryset = Release.objects.filter(program=program).order_by(
            "planned_date", "number"
        )
        self.filters["requirement"].queryset = Requirement.objects.filter(program=program).order_by(
            "number"
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(key__iexact=value) | Q(title__icontains=value) | Q(description__icontains=value)
        )

    def by_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_DEFECT_STATUSES)
        if value == "closed":
            return queryset.filter(status__in=CLOSED_DEFECT_STATUSES)
        return queryset

    def by_owner(self, queryset, name, value):
        return queryset.filter(owner=value) if value else queryset


def defect_list(*, program: Program) -> QuerySet[Defect]:
    """The program's defects with what a row shows, worst first."""
    return (
        Defect.objects.filter(program=program)
        .select_related(
            "owner",
            "workstream",
            "target_release",
            "requirement",
            "test_case",
            "found_in_cycle",
        )
        .order_by("severity", "number")
    )


def defect_get(*, program: Program, key: str) -> Defect:
    defect = (
        Defect.objects.filter(program=program, key=key.upper())
        .select_related("program", "owner", "target_release", "test_case")
        .first()
    )
    if defect is None:
        raise Http404("No such defect")
    return defect


def defect_detail(*, program: Program, key: str) -> Defect:
    """A defect with its links and its workflow trail (oldest first)."""
    defect = (
        Defect.objects.filter(program=program, key=key.upper())
        .select_related(
            "program",
            "owner",
            "workstream",
            "found_in_cycle",
            "test_case",
            "requirement",
            "target_release",
            "duplicate_of",
            "test_run__cycle_case__cycle",
            "test_run__executed_by",
        )
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=DefectTransition.objects.select_related("by").order_by("at", "id"),
            ),
            Prefetch(
                "duplicates",
                queryset=Defect.objects.order_by("number").only(
                    "id", "key", "title", "duplicate_of_id", "program_id"
                ),
            ),
        )
        .first()
    )
    if defect is None:
        raise Http404("No such defect")
    return defect


# --- the numbers ------------------------------------------------------------------------------


def _age(now: dt.datetime) -> ExpressionWrapper:
    return ExpressionWrapper(Value(now) - F("created_at"), output_field=DurationField())


def _days(value: dt.timedelta | None) -> float | None:
    if value is None:
        return None
    return round(value.total_seconds() / 86400, 1)


def defect_summary(*, program: Program, now: dt.datetime | None = None) -> dict:
    """Open by severity, counts by status, the ageing table (severity x bucket), the average
    and oldest age of open defects and the mean time to fix: three queries."""
    now = now or timezone.now()
    open_rows = Defect.objects.filter(program=program, status__in=OPEN_DEFECT_STATUSES)
    aggregates = {}
    for severity in Severity.values:
        aggregates[f"s{severity}"] = Count("id", filter=Q(severity=severity))
        for bucket in AGE_BUCKETS:
            aggregates[f"s{severity}_{bucket.key}"] = Count(
                "id", filter=Q(severity=severity) & _bucket_q(bucket, now)
            )
    found = open_rows.aggregate(
        **aggregates, total=Count("id"), average=Avg(_age(now)), first=Min("created_at")
    )
    everything = Defect.objects.filter(program=program).aggregate(
        **{f"st_{status}": Count("id", filter=Q(status=status)) for status in S.values},
        fixed=Count("id", filter=Q(resolved_at__isnull=False)),
        time_to_fix=Avg(
            ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()),
            filter=Q(resolved_at__isnull=False),
        ),
    )
    oldest = (
        open_rows.order_by("created_at", "number")
        .only("key", "title", "created_at", "closed_at")
        .first()
    )
    ageing = []
    for severity in Severity.values:
        cells = [found[f"s{severity}_{b.key}"] for b in AGE_BUCKETS]
        ageing.append(
            {
                "severity": severity,
                "label": Severity(severity).label,
                "short": SEVERITY_SHORT[severity],
                "colour": SEVERITY_COLOURS[severity],
                "badge": SEVERITY_BADGES[severity],
                "cells": cells,
                "total": found[f"s{severity}"],
            }
        )
    bucket_totals = [sum(row["cells"][i] for row in ageing) for i in range(len(AGE_BUCKETS))]
    return {
        "open_total": found["total"],
        "open_by_severity": [
            {
                "severity": row["severity"],
                "label": row["label"],
                "short": row["short"],
                "colour": row["colour"],
                "badge": row["badge"],
                "count": row["total"],
            }
            for row in ageing
        ],
        "by_status": [
            {
                "status": status,
                "label": S(status).label,
                "colour": STATUS_COLOURS[status],
                "count": everything[f"st_{status}"],
                "open": status in OPEN_DEFECT_STATUSES,
            }
            for status in S.values
        ],
        "buckets": AGE_BUCKETS,
        "ageing": ageing,
        "bucket_totals": bucket_totals,
        "average_age_days": _days(found["average"]),
        "oldest": None
        if oldest is None
        else {"key": oldest.key, "title": oldest.title, "days": days_open(oldest, now)},
        "fixed_count": everything["fixed"],
        "mean_time_to_fix_days": _days(everything["time_to_fix"]),
    }


def open_defects_summary(*, program: Program, release: Release | None = None) -> dict:
    """Open defects by severity, for the release readiness check (one query).

    With a release: the open defects targeted at it (`target_release`) or linked to one of the
    requirements in its scope (`requirement` in `release.requirements`), each counted once.
    Without: every open defect of the program. Open means new, triaged, in progress, fixed,
    ready for retest or reopened (closed, rejected and deferred defects do not block).

    Returns {"by_severity": {1: n, 2: n, 3: n, 4: n}, "total": n, "keys": {1: [...], ...}}
    where `keys` lists the defect keys per severity (for the readiness evidence), worst first.
    """
    rows = Defect.objects.filter(program=program, status__in=OPEN_DEFECT_STATUSES)
    if release is not None:
        scope = Release.requirements.through.objects.filter(release=release).values(
            "requirement_id"
        )
        rows = rows.filter(Q(target_release=release) | Q(requirement_id__in=scope))
    by_severity = dict.fromkeys(Severity.values, 0)
    keys: dict[int, list[str]] = {severity: [] for severity in Severity.values}
    for severity, key in rows.order_by("severity", "number").values_list("severity", "key"):
        by_severity[severity] += 1
        keys[severity].append(key)
    return {"by_severity": by_severity, "total": sum(by_severity.values()), "keys": keys}
