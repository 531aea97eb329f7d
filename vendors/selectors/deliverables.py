"""Reads of contract deliverables: the filtered list (one FilterSet for the page and the API, the
portal's list scoped to one vendor), status counts, and a deliverable with its whole acceptance
record (criteria, rounds, files, reviews and their per-criterion results) in a fixed number of
queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import django_filters
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from programs.models import Program

from ..models import (
    AcceptanceCriterion,
    Contract,
    CriterionResult,
    Deliverable,
    DeliverableStatus,
    Submission,
    SubmissionFile,
    Vendor,
)
from ..models import deliverables as deliverable_models

S = DeliverableStatus
OPEN_STATUSES = (S.PLANNED, S.REJECTED)  # the vendor owes something: overdue past the due date
DUE_SOON_DAYS = 14
STATUS_COLOURS = deliverable_models.STATUS_COLOURS
STATUS_ICONS = deliverable_models.STATUS_ICONS


def _today() -> dt.date:
    return timezone.localdate()


class DeliverableFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.none(), empty_label="All vendors"
    )
    contract = django_filters.ModelChoiceFilter(
        queryset=Contract.objects.none(), empty_label="All contracts"
    )
    status = django_filters.ChoiceFilter(choices=S.choices, empty_label="All statuses")
    due = django_filters.ChoiceFilter(
        choices=[
            ("overdue", "Overdue"),
            ("soon", f"Due in {DUE_SOON_DAYS} days"),
            ("open", "Open (not accepted or withdrawn)"),
        ],
        method="by_due",
        empty_label="Any due date",
        label="Due",
    )
    sort = django_filters.OrderingFilter(
        fields=(("due_date", "due"), ("number", "key"), ("title", "title"),
                ("vendor__name", "vendor"), ("status", "status"), ("updated_at", "updated")),
        label="Sort",
        empty_label="Sort: due date",
    )  # fmt: skip

    class Meta:
        model = Deliverable
        fields = ["q", "vendor", "contract", "status", "due"]

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["vendor"].queryset = Vendor.objects.filter(program=program).order_by("name")
        self.filters["contract"].queryset = (
            Contract.objects.filter(program=program).select_related("vendor").order_by("number")
        )

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(key__iexact=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(contract__key__iexact=value)
            | Q(vendor__name__icontains=value)
        )

    def by_due(self, queryset, name, value):
        today = _today()
        if value == "overdue":
            return queryset.filter(status__in=OPEN_STATUSES, due_date__lt=today)
        if value == "soon":
            return queryset.filter(
                status__in=OPEN_STATUSES,
                due_date__gte=today,
                due_date__lte=today + dt.timedelta(DUE_SOON_DAYS),
            )
        if value == "open":
            return queryset.exclude(status__in=(S.ACCEPTED, S.WITHDRAWN))
        return queryset


def _not_met_in_last_round() -> Subquery:
    """How many criteria the review of the latest round found not met (0 when none)."""
    return Coalesce(
        Subquery(
            CriterionResult.objects.filter(
                review__submission__deliverable=OuterRef("pk"),
                review__submission__round=OuterRef("rounds"),
                met=False,
            )
            .order_by()
            .values("review__submission__deliverable")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def portal_deliverable_list(*, program: Program, vendor: Vendor) -> QuerySet[Deliverable]:
    """The vendor's deliverables, what it still owes first (by due date), then those with the
    program, then the finished ones."""
    stage = Case(
        When(status__in=OPEN_STATUSES, then=Value(0)),
        When(status=S.SUBMITTED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        deliverable_list(program=program, vendor=vendor)
        .annotate(stage=stage)
        .order_by("stage", "due_date", "number")
    )


def deliverable_list(*, program: Program, vendor: Vendor | None = None) -> QuerySet[Deliverable]:
    """Deliverables of the program (of one vendor for the portal), with what a list row shows:
    contract, vendor, reviewer, WBS item, criteria count, overdue flag, not-met count."""
    queryset = Deliverable.objects.filter(program=program)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    return (
        queryset.select_related("contract", "vendor", "reviewer", "wbs_item")
        .annotate(
            criteria_count=Count("criteria", distinct=True),
            overdue=ExpressionWrapper(
                Q(status__in=OPEN_STATUSES, due_date__lt=_today()), output_field=BooleanField()
            ),
            not_met=_not_met_in_last_round(),
        )
        .order_by("due_date", "number")
    )


def status_counts(*, program: Program, vendor: Vendor | None = None) -> list[dict]:
    """Per status (in life order): value, label, colour, icon and count; plus an `overdue` row."""
    queryset = Deliverable.objects.filter(program=program)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    rows = queryset.aggregate(
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_date__lt=_today())),
        **{value: Count("pk", filter=Q(status=value)) for value in S.values},
    )
    counts = [
        {
            "value": value,
            "label": label,
            "short": deliverable_models.STATUS_SHORT[value],
            "colour": STATUS_COLOURS[value],
            "icon": STATUS_ICONS[value],
            "count": rows[value],
        }
        for value, label in S.choices
    ]
    counts.append(
        {
            "value": "overdue",
            "label": "Overdue",
            "short": "Overdue",
            "colour": "red",
            "icon": "ti-clock-exclamation",
            "count": rows["overdue"],
        }
    )
    return counts


def deliverable_get(*, program: Program, key: str, vendor: Vendor | None = None) -> Deliverable:
    """One deliverable by key (of `vendor` only, for the portal), or 404."""
    queryset = Deliverable.objects.filter(program=program, key=str(key).strip().upper())
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    deliverable = queryset.select_related(
        "program", "contract", "contract__owner", "vendor", "reviewer", "wbs_item"
    ).first()
    if deliverable is None:
        raise Http404("No such deliverable")
    return deliverable


def deliverable_detail(*, program: Program, key: str, vendor: Vendor | None = None) -> Deliverable:
    """A deliverable with its acceptance record prefetched: criteria, and every round (newest
    first) with its submitter, files, review, reviewer and per-criterion results."""
    deliverable = deliverable_get(program=program, key=key, vendor=vendor)
    results = CriterionResult.objects.select_related("criterion").order_by(
        "criterion__position", "criterion_id"
    )
    rounds = (
        Submission.objects.select_related("submitted_by", "review", "review__reviewed_by")
        .prefetch_related(
            Prefetch("files", queryset=SubmissionFile.objects.order_by("id")),
            Prefetch("review__results", queryset=results),
        )
        .order_by("-round")
    )
    criteria = AcceptanceCriterion.objects.order_by("position", "id")
    prefetch_related_objects(
        [deliverable],
        Prefetch("criteria", queryset=criteria),
        Prefetch("submissions", queryset=rounds),
    )
    return deliverable


@dataclass
class RoundView:
    """A round as the timeline shows it: the submission, its files, its review (or None), and
    the review's results numbered as the criteria are."""

    submission: Submission
    files: list[SubmissionFile]
    review: object | None
    results: list[dict]

    @property
    def not_met(self) -> list[dict]:
        return [r for r in self.results if not r["result"].met]


def rounds_of(deliverable: Deliverable) -> list[RoundView]:
    """The rounds of a deliverable from `deliverable_detail` (no further queries)."""
    numbers = {c.pk: i for i, c in enumerate(deliverable.criteria.all(), start=1)}
    rounds = []
    for submission in deliverable.submissions.all():
        review = getattr(submission, "review", None) if _has_review(submission) else None
        results = []
        if review is not None:
            results = [
                {"number": numbers.get(r.criterion_id), "result": r} for r in review.results.all()
            ]
        rounds.append(RoundView(submission, list(submission.files.all()), review, results))
    return rounds


def _has_review(submission: Submission) -> bool:
    try:
        submission.review  # noqa: B018 - the reverse one-to-one raises when there is none
    except Submission.review.RelatedObjectDoesNotExist:
        return False
    return True


def criteria_judged(deliverable: Deliverable) -> set[int]:
    """Ids of the criteria a review has judged (they never change) from `deliverable_detail`."""
    return {r["result"].criterion_id for round_ in rounds_of(deliverable) for r in round_.results}


def submission_file_get(
    *, program: Program, key: str, pk, vendor: Vendor | None = None
) -> SubmissionFile:
    """A file of a deliverable's submission (of `vendor` only, for the portal), or 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404("No such file") from exc
    queryset = SubmissionFile.objects.filter(
        program=program, pk=pk, submission__deliverable__key=str(key).strip().upper()
    )
    if vendor is not None:
        queryset = queryset.filter(submission__deliverable__vendor=vendor)
    found = queryset.select_related("submission__deliverable").first()
    if found is None:
        raise Http404("No such file")
    return found


def next_step(deliverable: Deliverable, *, today: dt.date | None = None) -> dict:
    """What the vendor has to do next: {"text", "colour", "action"} (action: "submit" or "")."""
    today = today or _today()
    days = (deliverable.due_date - today).days
    if deliverable.status == S.PLANNED:
        if days < 0:
            text = f"Overdue by {-days} day{'s' if days != -1 else ''}: submit it now."
            return {"text": text, "colour": "red", "action": "submit"}
        when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        return {"text": f"Submit by the due date ({when}).", "colour": "", "action": "submit"}
    if deliverable.status == S.REJECTED:
        not_met = getattr(deliverable, "not_met", None)
        what = f"{not_met} criteri{'a' if not_met != 1 else 'on'} not met" if not_met else "not met"
        late = f" Overdue by {-days} day{'s' if days != -1 else ''}." if days < 0 else ""
        return {
            "text": f"Resubmit: {what} in round {deliverable.rounds}.{late}",
            "colour": "red" if days < 0 else "orange",
            "action": "submit",
        }
    if deliverable.status == S.SUBMITTED:
        return {
            "text": f"Nothing to do: round {deliverable.rounds} is with the program for review.",
            "colour": "",
            "action": "",
        }
    if deliverable.status == S.ACCEPTED:
        return {"text": "Accepted: nothing more to do.", "colour": "green", "action": ""}
    return {"text": "Withdrawn by the program: nothing to do.", "colour": "", "action": ""}
