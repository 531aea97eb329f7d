"""Reads of requirements: the filtered list with its counts (one subquery per count, so the
page's queries do not grow with rows), one requirement with everything it traces to, the latest
result of each linked test case, what a verification still lacks, and the revision history as
word differences."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Length
from django.http import Http404

from core.models import User
from core.permissions import Role
from programs.models import Program, Workstream

from ..models import (
    OPEN_DEFECT_STATUSES,
    CycleCase,
    Defect,
    MoSCoW,
    Requirement,
    RequirementRevision,
    RequirementSource,
    RequirementStatus,
    RequirementType,
    RunResult,
    TestCase,
    TestCaseStatus,
)

INTERNAL_ROLES = [role for role in Role.values if role != Role.VENDOR]
BLOCKING_SEVERITY = 2  # open defects of severity 1 or 2 block verification

STATUS_COLOURS = {
    RequirementStatus.PROPOSED: "azure",
    RequirementStatus.APPROVED: "blue",
    RequirementStatus.IN_DELIVERY: "yellow",
    RequirementStatus.VERIFIED: "teal",
    RequirementStatus.ACCEPTED: "green",
    RequirementStatus.REJECTED: "red",
    RequirementStatus.DEFERRED: "secondary",
}
PRIORITY_COLOURS = {
    MoSCoW.MUST: "red",
    MoSCoW.SHOULD: "orange",
    MoSCoW.COULD: "blue",
    MoSCoW.WONT: "secondary",
}
RESULT_COLOURS = {
    RunResult.PASS: "green",
    RunResult.FAIL: "red",
    RunResult.BLOCKED: "orange",
    RunResult.NOT_RUN: "secondary",
}


def _count(queryset: QuerySet, through: str) -> Coalesce:
    counted = queryset.order_by().values(through).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def requirement_list(*, program: Program) -> QuerySet[Requirement]:
    """The program's requirements with their workstream and owner, and `case_count` (linked
    test cases in use), `open_defects` and `blocking_defects` (open, severity 1-2)."""
    cases = TestCase.requirements.through.objects.filter(requirement=OuterRef("pk")).exclude(
        testcase__status=TestCaseStatus.RETIRED
    )
    defects = Defect.objects.filter(requirement=OuterRef("pk"), status__in=OPEN_DEFECT_STATUSES)
    return (
        Requirement.objects.filter(program=program)
        .select_related("workstream", "owner")
        .annotate(
            case_count=_count(cases, "requirement"),
            open_defects=_count(defects, "requirement"),
            blocking_defects=_count(defects.filter(severity__lte=BLOCKING_SEVERITY), "requirement"),
        )
        .order_by("number")
    )


def requirement_get(*, program: Program, key: str) -> Requirement:
    """One requirement of the program by key (REQ-n, any case), or 404."""
    found = (
        Requirement.objects.filter(program=program, key=str(key).strip().upper())
        .select_related("program", "workstream", "owner")
        .first()
    )
    if found is None:
        raise Http404("No such requirement in this program.")
    return found


def status_counts(*, queryset: QuerySet[Requirement]) -> dict[str, int]:
    counts = dict.fromkeys(RequirementStatus.values, 0)
    for row in queryset.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def internal_members(program: Program) -> QuerySet[User]:
    return (
        User.objects.filter(memberships__program=program, memberships__role__in=INTERNAL_ROLES)
        .distinct()
        .order_by("full_name", "email")
    )


class RequirementFilterSet(django_filters.FilterSet):
    """One filter set for the requirement list page and the API."""

    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(
        choices=RequirementStatus.choices, empty_label="All statuses"
    )
    priority = django_filters.ChoiceFilter(choices=MoSCoW.choices, empty_label="Any priority")
    type = django_filters.ChoiceFilter(choices=RequirementType.choices, empty_label="Any type")
    source = django_filters.ChoiceFilter(
        choices=RequirementSource.choices, empty_label="Any source"
    )
    workstream = django_filters.ModelChoiceFilter(
        queryset=Workstream.objects.none(), empty_label="All workstreams"
    )
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="Any owner")
    sort = django_filters.OrderingFilter(
        fields=(("number", "key"), ("title", "title"), ("priority", "priority"),
                ("status", "status"), ("updated_at", "updated")),
        label="Sort",
        empty_label="Sort: key",
    )  # fmt: skip

    class Meta:
        model = Requirement
        fields = ["q", "status", "priority", "type", "source", "workstream", "owner"]

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["workstream"].queryset = Workstream.objects.filter(program=program)
        self.filters["owner"].queryset = internal_members(program)

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(key__iexact=value)
            | Q(title__icontains=value)
            | Q(statement__icontains=value)
            | Q(source_detail__icontains=value)
        )


# --- tests, defects and verification --------------------------------------------------------------


@dataclass
class CaseResult:
    case: TestCase
    latest: CycleCase | None  # the cycle case of its most recent run, None when never run

    @property
    def result(self) -> str:
        return self.latest.last_result if self.latest else RunResult.NOT_RUN

    @property
    def result_label(self) -> str:
        return RunResult(self.result).label

    @property
    def colour(self) -> str:
        return RESULT_COLOURS[self.result]


def latest_runs(case_ids: list[int]) -> dict[int, CycleCase]:
    """Case id -> the cycle case holding its most recent run across cycles (one query)."""
    latest: dict[int, CycleCase] = {}
    rows = (
        CycleCase.objects.filter(case_id__in=case_ids, last_run_at__isnull=False)
        .select_related("cycle")
        .order_by("case_id", "-last_run_at", "-id")
    )
    for row in rows:
        latest.setdefault(row.case_id, row)
    return latest


def case_results(requirement: Requirement) -> list[CaseResult]:
    """The requirement's test cases in use (not retired) with their latest result."""
    cases = list(requirement.test_cases.exclude(status=TestCaseStatus.RETIRED).order_by("number"))
    latest = latest_runs([case.pk for case in cases])
    return [CaseResult(case=case, latest=latest.get(case.pk)) for case in cases]


def blocking_defects(requirement: Requirement) -> list[Defect]:
    return list(
        requirement.defects.filter(
            status__in=OPEN_DEFECT_STATUSES, severity__lte=BLOCKING_SEVERITY
        ).order_by("severity", "number")
    )


def _list(keys: list[str], limit: int = 5) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def verification_gaps(requirement: Requirement) -> list[str]:
    """What keeps the requirement from being verified: no test case, a linked case whose latest
    result is not a pass (or that never ran), an open severity 1-2 defect. Empty when none."""
    gaps = []
    results = case_results(requirement)
    if not results:
        gaps.append("no test case is linked to it")
    by_result: dict[str, list[str]] = {}
    for item in results:
        if item.result != RunResult.PASS:
            by_result.setdefault(item.result, []).append(item.case.key)
    phrases = {
        RunResult.NOT_RUN: "not run yet",
        RunResult.FAIL: "last failed",
        RunResult.BLOCKED: "last blocked",
    }
    for result in (RunResult.FAIL, RunResult.BLOCKED, RunResult.NOT_RUN):
        keys = by_result.get(result)
        if keys:
            gaps.append(f"{_list(keys)} {phrases[result]}")
    defects = blocking_defects(requirement)
    if defects:
        described = [f"{d.key} (severity {d.severity}, {d.get_status_display().lower()})"
                     for d in defects]  # fmt: skip
        gaps.append(f"open defect{'s' if len(defects) > 1 else ''} {_list(described)}")
    return gaps


# --- revisions ------------------------------------------------------------------------------------

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass
class FieldDiff:
    label: str
    parts: list[tuple[str, str]]  # (equal | insert | delete, text)
    changed: bool
    # for a list field (the criteria): (equal | insert | delete | change, parts) per line
    lines: list[tuple[str, list[tuple[str, str]]]] | None = None


@dataclass
class RevisionView:
    revision: RequirementRevision
    diffs: list[FieldDiff] = field(default_factory=list)  # against the revision before

    @property
    def criteria_list(self) -> list[str]:
        text = self.revision.acceptance_criteria
        return [line.strip() for line in text.splitlines() if line.strip()]


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The words of `new` against `old`, as (equal | insert | delete, text) runs."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    parts: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            parts.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            parts.append(("insert", "".join(b[j1:j2])))
    return [part for part in parts if part[1]]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def line_diff(old: str, new: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Criteria (one per line) of `new` against `old`: kept, added and removed lines, and a line
    reworded in place shown as its word differences."""
    a, b = _lines(old), _lines(new)
    rows: list[tuple[str, list[tuple[str, str]]]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [("equal", [("equal", line)]) for line in a[i1:i2]]
            continue
        olds, news = a[i1:i2], b[j1:j2]
        while olds and news:
            before, after = olds[0], news[0]
            similar = difflib.SequenceMatcher(a=before.split(), b=after.split()).ratio()
            if similar < 0.5:
                break
            rows.append(("change", word_diff(before, after)))
            olds, news = olds[1:], news[1:]
        rows += [("delete", [("delete", line)]) for line in olds]
        rows += [("insert", [("insert", line)]) for line in news]
    return rows


def revision_history(requirement: Requirement) -> list[RevisionView]:
    """Every baselined revision, newest first, each with its word differences to the one before
    (title, statement, acceptance criteria)."""
    revisions = list(
        RequirementRevision.objects.filter(requirement=requirement)
        .select_related("change_request", "created_by")
        .order_by("revision")
    )
    views = []
    previous = None
    for revision in revisions:
        view = RevisionView(revision=revision)
        if previous is not None:
            for name, label in (
                ("title", "Title"),
                ("statement", "Statement"),
                ("acceptance_criteria", "Acceptance criteria"),
            ):
                old, new = getattr(previous, name), getattr(revision, name)
                criteria = name == "acceptance_criteria"
                view.diffs.append(
                    FieldDiff(
                        label=label,
                        parts=[] if criteria else word_diff(old, new),
                        changed=_lines(old) != _lines(new) if criteria else old != new,
                        lines=line_diff(old, new) if criteria else None,
                    )
                )
        views.append(view)
        previous = revision
    return list(reversed(views))


def requirement_links(requirement: Requirement) -> dict:
    """Everything the requirement traces to, each list in key order (a handful of queries)."""
    return {
        "deliverables": list(
            requirement.deliverables.select_related("program").order_by("outline_path", "pk")
        ),
        "change_requests": list(requirement.change_requests.order_by(Length("key"), "key")),
        "defects": list(
            requirement.defects.select_related("owner", "target_release").order_by("number")
        ),
        "backlog_items": list(
            requirement.backlog_items.select_related("workstream", "iteration").order_by("number")
        ),
        "releases": list(requirement.releases.order_by("planned_date", "number")),
    }
