"""Reads for the WBS grid and the item pages: outline rows, one item with its links and baseline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, QuerySet, Subquery
from django.http import Http404

from programs.models import Program

from ..filtersets import late_q
from ..models import Baseline, BaselineItem, Dependency, Item


def item_grid_rows(*, program: Program) -> QuerySet[Item]:
    """Every item of the program in outline order, with what a grid row shows.

    The current baseline's dates and the late flag come as annotations, so a page of rows is
    one query whatever its length.
    """
    current = BaselineItem.objects.filter(item=OuterRef("pk"), baseline__is_current=True)
    return (
        Item.objects.filter(program=program)
        .select_related("workstream", "owner")
        .annotate(
            baseline_start=Subquery(current.values("start")[:1]),
            baseline_finish=Subquery(current.values("finish")[:1]),
            is_late=ExpressionWrapper(late_q(), output_field=BooleanField()),
        )
        .order_by("outline_path")
    )


def item_get(*, program: Program, key: str) -> Item:
    """One item of this program by its key (case-insensitive), or 404."""
    item = (
        item_grid_rows(program=program)
        .select_related("parent", "accepted_by", "program")
        .filter(key__iexact=key)
        .first()
    )
    if item is None:
        raise Http404("No such item in this program")
    return item


def link_get(*, program: Program, pk: int) -> Dependency:
    link = (
        Dependency.objects.filter(program=program, pk=pk)
        .select_related("predecessor", "successor", "program")
        .first()
    )
    if link is None:
        raise Http404("No such link in this program")
    return link


def item_links(*, item: Item) -> tuple[list[Dependency], list[Dependency]]:
    """(predecessor links, successor links) of the item, each with the other item loaded."""
    predecessors = list(
        Dependency.objects.filter(successor=item)
        .select_related("predecessor")
        .order_by("predecessor__outline_path")
    )
    successors = list(
        Dependency.objects.filter(predecessor=item)
        .select_related("successor")
        .order_by("successor__outline_path")
    )
    return predecessors, successors


def descendant_count(*, item: Item) -> int:
    """How many items are below this one (all levels): outline paths share its prefix."""
    return Item.objects.filter(
        program_id=item.program_id, outline_path__startswith=item.outline_path + "."
    ).count()


def parent_choices(*, program: Program, moving: Item | None = None) -> QuerySet[Item]:
    """Items another can go under: all of them except, when moving, the item and its own line."""
    qs = Item.objects.filter(program=program).order_by("outline_path")
    if moving is not None:
        qs = qs.exclude(pk=moving.pk).exclude(outline_path__startswith=moving.outline_path + ".")
    return qs.only("pk", "key", "name", "wbs", "depth", "outline_path")


def link_candidates(*, program: Program) -> QuerySet[Item]:
    return (
        Item.objects.filter(program=program)
        .order_by("outline_path")
        .only("pk", "key", "name", "wbs", "outline_path")
    )


def current_baseline(*, program: Program) -> Baseline | None:
    return Baseline.objects.filter(program=program, is_current=True).first()


@dataclass(frozen=True)
class BaselineDates:
    baseline: Baseline
    start: dt.date | None
    finish: dt.date | None
    duration_minutes: int
    start_variance: int | None
    finish_variance: int | None


def item_baseline(*, item: Item, calendar) -> BaselineDates | None:
    """The item's dates in the current baseline and the variance in working days."""
    row = (
        BaselineItem.objects.filter(item=item, baseline__is_current=True)
        .select_related("baseline")
        .first()
    )
    if row is None:
        return None
    return BaselineDates(
        baseline=row.baseline,
        start=row.start,
        finish=row.finish,
        duration_minutes=row.duration_minutes,
        start_variance=calendar.variance_days(row.start, item.start),
        finish_variance=calendar.variance_days(row.finish, item.finish),
    )


def with_summary_spans(items, *, calendar) -> list[Item]:
    """Give each summary on the page `span_days`: the working days its dates cover (a summary's
    own duration is not stored; it spans the items below it)."""
    rows = list(items)
    for item in rows:
        item.span_days = None
        if item.kind == "summary" and item.start and item.finish:
            item.span_days = calendar.working_days(item.start, item.finish)
    return rows
