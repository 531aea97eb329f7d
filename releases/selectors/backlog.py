"""Reads of the backlog: the filtered list (one filter set for the page and the API), one item
with its dependencies both ways, the grooming view of a workstream (ranked, WSJF, flags,
iteration capacity) and the iterations with their committed points. Each read is planned so its
number of queries does not grow with rows.

Flags on a dependency: `cross_team` when the other item is another workstream's; `later` when
the item depended on is planned into an iteration that starts after its dependant's, or is not
planned at all while its dependant is (and it is not done yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import django_filters
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from core.models import User
from programs.models import Program, Workstream, WorkstreamStatus

from ..models import (
    OPEN_BACKLOG_STATUSES,
    BacklogItem,
    BacklogKind,
    BacklogStatus,
    Iteration,
    IterationStatus,
    MoSCoW,
)

Through = BacklogItem.depends_on.through
POINTS = DecimalField(max_digits=9, decimal_places=1)
STATUS_COLOURS = {
    BacklogStatus.NEW: "secondary",
    BacklogStatus.READY: "azure",
    BacklogStatus.IN_PROGRESS: "blue",
    BacklogStatus.IN_REVIEW: "purple",
    BacklogStatus.DONE: "green",
    BacklogStatus.REMOVED: "dark",
}
PRIORITY_COLOURS = {MoSCoW.MUST: "red", MoSCoW.SHOULD: "orange", MoSCoW.COULD: "azure",
                    MoSCoW.WONT: "secondary"}  # fmt: skip
ITERATION_COLOURS = {IterationStatus.PLANNED: "secondary", IterationStatus.ACTIVE: "blue",
                     IterationStatus.CLOSED: "green"}  # fmt: skip


def can_groom(access, user, workstream: Workstream) -> bool:
    """Reorder and plan a workstream's backlog: backlog.groom roles, or its lead (who may change
    the backlog)."""
    if access.can("backlog.groom"):
        return True
    return workstream.lead_id == user.pk and access.can("backlog.change")


def _cross_team() -> Q:
    outgoing = Through.objects.filter(from_backlogitem_id=OuterRef("pk")).exclude(
        to_backlogitem__workstream_id=OuterRef("workstream_id")
    )
    incoming = Through.objects.filter(to_backlogitem_id=OuterRef("pk")).exclude(
        from_backlogitem__workstream_id=OuterRef("workstream_id")
    )
    return Q(Exists(outgoing)) | Q(Exists(incoming))


def with_links(queryset: QuerySet[BacklogItem]) -> QuerySet[BacklogItem]:
    """Items with their workstream, iteration, assignee, and dependencies both ways (each with
    its workstream and iteration): four queries for any number of rows."""
    linked = BacklogItem.objects.select_related("program", "workstream", "iteration").order_by(
        "number"
    )
    return queryset.select_related(
        "program", "workstream", "iteration", "assignee"
    ).prefetch_related(Prefetch("depends_on", queryset=linked), Prefetch("blocks", queryset=linked))


class BacklogFilterSet(django_filters.FilterSet):
    """One filter set for the backlog page and the API."""

    q = django_filters.CharFilter(method="search", label="Search")
    workstream = django_filters.ModelChoiceFilter(
        queryset=Workstream.objects.none(), empty_label="All workstreams"
    )
    status = django_filters.ChoiceFilter(
        choices=[("open", "Open (not done)"), *BacklogStatus.choices],
        method="by_status",
        empty_label="Any status",
    )
    kind = django_filters.ChoiceFilter(choices=BacklogKind.choices, empty_label="Any type")
    priority = django_filters.ChoiceFilter(
        choices=MoSCoW.choices, empty_label="Any MoSCoW", label="MoSCoW"
    )
    iteration = django_filters.ChoiceFilter(
        method="by_iteration", empty_label="Any iteration", choices=[]
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), empty_label="Anyone", label="Assignee"
    )
    cross_team = django_filters.BooleanFilter(
        method="by_cross_team", label="Cross-team dependencies only"
    )
    sort = django_filters.OrderingFilter(
        fields=(("rank", "rank"), ("number", "key"), ("wsjf", "wsjf"), ("estimate", "estimate"),
                ("status", "status"), ("updated_at", "updated")),
        label="Sort", empty_label="Sort: rank",
    )  # fmt: skip

    class Meta:
        model = BacklogItem
        fields = ["q", "workstream", "status", "kind", "priority", "iteration", "assignee"]

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["workstream"].queryset = Workstream.objects.filter(program=program)
        self.filters["assignee"].queryset = User.objects.filter(
            memberships__program=program
        ).order_by("full_name")
        self.filters["iteration"].extra["choices"] = [
            ("none", "Not planned"),
            *[(str(pk), name) for pk, name in
              Iteration.objects.filter(program=program).values_list("pk", "name")],
        ]  # fmt: skip

    @property
    def form(self):
        form = super().form
        form.fields["workstream"].label_from_instance = lambda ws: ws.name
        return form

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(key__iexact=value)
            | Q(external_key__iexact=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(labels__icontains=value)
        )

    def by_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_BACKLOG_STATUSES)
        return queryset.filter(status=value) if value else queryset

    def by_iteration(self, queryset, name, value):
        if value == "none":
            return queryset.filter(iteration__isnull=True)
        return queryset.filter(iteration_id=value) if value else queryset

    def by_cross_team(self, queryset, name, value):
        return queryset.filter(_cross_team()) if value else queryset


def backlog_list(*, program: Program) -> QuerySet[BacklogItem]:
    return with_links(BacklogItem.objects.filter(program=program)).order_by(
        "workstream__name", "rank", "number"
    )


def item_get(*, program: Program, key: str) -> BacklogItem:
    item = (
        with_links(BacklogItem.objects.filter(program=program, key=key.upper()))
        .prefetch_related("requirements")
        .first()
    )
    if item is None:
        raise Http404(f"No backlog item {key}")
    return item


def iteration_get(*, program: Program, pk) -> Iteration:
    iteration = Iteration.objects.filter(program=program, pk=pk).select_related("workstream")
    found = iteration.first()
    if found is None:
        raise Http404("No such iteration")
    return found


# --- dependency flags ---------------------------------------------------------------------------


@dataclass
class Link:
    item: BacklogItem  # the other item
    cross_team: bool
    later: str = ""  # why the plan is at risk ("" when it is not)
    needs: bool = True  # the item needs the other (False: the other needs the item)


@dataclass
class Links:
    depends_on: list[Link] = field(default_factory=list)
    blocks: list[Link] = field(default_factory=list)

    @property
    def cross_team(self) -> list[Link]:
        return [link for link in (*self.depends_on, *self.blocks) if link.cross_team]

    @property
    def at_risk(self) -> list[Link]:
        """What it needs that is planned too late (flagged on the dependant)."""
        return [link for link in self.depends_on if link.later]

    @property
    def needed_earlier(self) -> list[Link]:
        """Who needs it sooner than it is planned (flagged on the item depended on)."""
        return [link for link in self.blocks if link.later]

    @property
    def other_workstreams(self) -> list[str]:
        return sorted({link.item.workstream.name for link in self.cross_team})


def _later(dependant: BacklogItem, needed: BacklogItem) -> str:
    """Why `needed` will not be ready for `dependant`'s iteration ("" when it should be)."""
    if needed.status not in OPEN_BACKLOG_STATUSES or dependant.iteration is None:
        return ""
    if needed.iteration is None:
        return f"{needed.key} is not planned, but {dependant.key} is in {dependant.iteration}."
    if needed.iteration.start_date > dependant.iteration.start_date:
        return (
            f"{needed.key} is planned into {needed.iteration}, after {dependant.key}'s "
            f"{dependant.iteration}."
        )
    return ""


def links_of(item: BacklogItem) -> Links:
    """The item's dependencies both ways, flagged (uses the prefetched lists of `with_links`)."""
    links = Links()
    for other in item.depends_on.all():
        links.depends_on.append(
            Link(other, other.workstream_id != item.workstream_id, _later(item, other))
        )
    for other in item.blocks.all():
        links.blocks.append(
            Link(other, other.workstream_id != item.workstream_id, _later(other, item), False)
        )
    return links


def annotate_links(items) -> list[BacklogItem]:
    """Each item with `.links` (its flagged dependencies)."""
    items = list(items)
    for item in items:
        item.links = links_of(item)
    return items


# --- iterations and grooming --------------------------------------------------------------------


def iteration_list(*, program: Program) -> QuerySet[Iteration]:
    """Iterations with `committed` (points planned, not removed), `done_points`, `item_count`
    and `open_count`."""
    planned = ~Q(items__status=BacklogStatus.REMOVED)
    return (
        Iteration.objects.filter(program=program)
        .select_related("workstream")
        .annotate(
            committed=Coalesce(Sum("items__estimate", filter=planned), Value(Decimal("0")),
                               output_field=POINTS),
            done_points=Coalesce(Sum("items__estimate",
                                     filter=Q(items__status=BacklogStatus.DONE)),
                                 Value(Decimal("0")), output_field=POINTS),
            item_count=Count("items", filter=planned),
            open_count=Count("items", filter=Q(items__status__in=OPEN_BACKLOG_STATUSES)),
        )
        .order_by("start_date", "name")
    )  # fmt: skip


def with_load(iterations) -> list[Iteration]:
    """Each iteration with `over` (committed above capacity), `over_by` and `load_pct`."""
    iterations = list(iterations)
    for it in iterations:
        capacity = it.capacity
        it.over = capacity is not None and it.committed > capacity
        it.over_by = it.committed - capacity if it.over else Decimal("0")
        it.load_pct = min(100, int(it.committed * 100 / capacity)) if capacity else 0
        it.colour = ITERATION_COLOURS[it.status]
    return iterations


def iterations_for(*, program: Program, workstream: Workstream) -> list[Iteration]:
    """The iterations a workstream's items can be planned into or are in: its own and the
    program-wide ones, with their load."""
    return with_load(
        iteration_list(program=program).filter(
            Q(workstream=workstream) | Q(workstream__isnull=True)
        )
    )


def open_iterations(*, program: Program, workstream: Workstream | None = None):
    rows = Iteration.objects.filter(program=program).exclude(status=IterationStatus.CLOSED)
    if workstream is not None:
        rows = rows.filter(Q(workstream=workstream) | Q(workstream__isnull=True))
    return rows.select_related("workstream").order_by("start_date", "name")


def groomable_workstreams(*, program: Program) -> list[Workstream]:
    """Workstreams with their number of open items, active ones first."""
    rows = (
        Workstream.objects.filter(program=program)
        .select_related("lead")
        .annotate(
            open_items=Count(
                "backlog_items", filter=Q(backlog_items__status__in=OPEN_BACKLOG_STATUSES)
            )
        )
        .order_by("name")
    )
    return sorted(rows, key=lambda ws: ws.status != WorkstreamStatus.ACTIVE)


@dataclass
class Grooming:
    workstream: Workstream
    items: list[BacklogItem]  # open items with `.links`, `.position` (1 first among the open)
    iterations: list[Iteration]  # with load, `.over` when committed > capacity
    finished: int  # done or removed items (not shown)
    order: str  # "rank" or "wsjf"

    @property
    def cross_team_count(self) -> int:
        return sum(1 for item in self.items if item.links.cross_team)

    @property
    def unscored(self) -> int:
        return sum(1 for item in self.items if item.wsjf is None)


def grooming(*, program: Program, workstream: Workstream, order: str = "rank") -> Grooming:
    rows = with_links(BacklogItem.objects.filter(program=program, workstream=workstream)).order_by(
        "rank", "number"
    )
    items = annotate_links(rows)
    open_items = [i for i in items if i.status in OPEN_BACKLOG_STATUSES]
    for position, item in enumerate(open_items, start=1):
        item.position = position
    if order == "wsjf":
        scored = sorted((i for i in open_items if i.wsjf is not None), key=lambda i: -i.wsjf)
        open_items = [*scored, *(i for i in open_items if i.wsjf is None)]
    iterations = iterations_for(program=program, workstream=workstream)
    return Grooming(
        workstream=workstream,
        items=open_items,
        iterations=iterations,
        finished=len(items) - len(open_items),
        order=order,
    )


def status_counts(*, program: Program) -> list[dict]:
    counts = dict(
        BacklogItem.objects.filter(program=program)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        {"value": value, "label": label, "count": counts.get(value, 0),
         "colour": STATUS_COLOURS[value]}
        for value, label in BacklogStatus.choices
    ]  # fmt: skip
