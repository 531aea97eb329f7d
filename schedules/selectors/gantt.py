"""Reads for the Gantt page and the milestone charts: compact, JSON-ready, planned queries.

`gantt_data` answers in columns plus row arrays (not one dict per row), so that 5,000 items are
a few hundred kilobytes and one `orjson.dumps`. The number of queries is fixed (schedule,
baseline, items with their baseline dates, links, workstreams, owners), whatever the size.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import FilteredRelation, Q
from django.http import Http404
from django.utils import timezone

from programs.models import Program, Workstream

from ..models import MINUTES_PER_DAY, Baseline, Dependency, ForecastSnapshot, Item, ItemKind
from ..services import program_calendar, schedule_for

GANTT_COLUMNS = (
    "id", "key", "name", "wbs", "depth", "parent", "kind", "start", "finish", "percent",
    "critical", "total_float_days", "version", "workstream", "owner", "baseline_start",
    "baseline_finish", "deadline",
)  # fmt: skip
LINK_COLUMNS = ("pred", "succ", "type", "lag_days")

_ITEM_FIELDS = (
    "id", "key", "name", "wbs", "depth", "parent_id", "kind", "start", "finish",
    "percent_complete", "critical", "total_float_minutes", "version", "workstream_id",
    "owner_id", "bl__start", "bl__finish", "deadline",
)  # fmt: skip
_FLOAT = GANTT_COLUMNS.index("total_float_days")


def baseline_get(*, program: Program, pk: int) -> Baseline:
    """A baseline of this program by id, or 404 (also for ids of other programs)."""
    baseline = Baseline.objects.filter(program=program, pk=pk).first()
    if baseline is None:
        raise Http404("No such baseline")
    return baseline


def baseline_choices(*, program: Program) -> list[dict[str, Any]]:
    """The program's baselines for a picker, newest first."""
    return list(
        Baseline.objects.filter(program=program)
        .order_by("-created_at")
        .values("id", "name", "is_current", "created_at")
    )


def _fetch(queryset) -> list[tuple]:
    """The rows of a `values_list` queryset. On PostgreSQL straight from the cursor: these
    columns need no conversion there, and skipping Django's row iterator takes about half the
    time off 5,000 rows (see bench/bench_gantt.py)."""
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def gantt_data(program: Program, *, baseline: Baseline | None = None) -> dict[str, Any]:
    """Everything the Gantt draws for `program`, against `baseline` (default: the current one).

    Rows come in outline order; `parent` is the parent's id. Dates are ISO strings once
    serialised; floats and lags in working days. `workstreams`/`owners` map ids to names.
    """
    schedule = schedule_for(program)
    if baseline is None:
        baseline = Baseline.objects.filter(program=program, is_current=True).first()
    items = Item.objects.filter(program=program).order_by("outline_path")
    if baseline is not None:
        items = items.annotate(
            bl=FilteredRelation("baseline_items", condition=Q(baseline_items__baseline=baseline))
        )
        fetched = _fetch(items.values_list(*_ITEM_FIELDS))
    else:
        fetched = [
            (*r[:15], None, None, r[15])
            for r in _fetch(items.values_list(*_ITEM_FIELDS[:15], "deadline"))
        ]
    # total float in working days; everything else as fetched (orjson writes tuples as arrays)
    rows = [
        (*r[:_FLOAT], None if r[_FLOAT] is None else round(r[_FLOAT] / MINUTES_PER_DAY, 2),
         *r[_FLOAT + 1 :])
        for r in fetched
    ]  # fmt: skip
    links = [
        [p, s, t, round(lag / MINUTES_PER_DAY, 2)]
        for p, s, t, lag in Dependency.objects.filter(program=program)
        .order_by("id")
        .values_list("predecessor_id", "successor_id", "type", "lag_minutes")
    ]
    workstreams = {
        pk: {"key": key, "name": name}
        for pk, key, name in Workstream.objects.filter(program=program).values_list(
            "id", "key", "name"
        )
    }
    owner_ids = {r[14] for r in rows if r[14] is not None}
    owners = (
        {
            pk: name or email
            for pk, name, email in get_user_model()
            .objects.filter(pk__in=owner_ids)
            .values_list("id", "full_name", "email")
        }
        if owner_ids
        else {}
    )
    starts = [r[7] for r in rows if r[7] is not None]
    return {
        "program": program.code,
        "today": timezone.localdate(),
        "status_date": schedule.status_date,
        "project_start": schedule.project_start or program.start_date,
        "project_finish": schedule.project_finish,
        "computed_at": schedule.computed_at,
        "first_start": min(starts) if starts else None,
        "weekdays": schedule.weekdays,
        "baseline": (
            {"id": baseline.pk, "name": baseline.name, "is_current": baseline.is_current}
            if baseline is not None
            else None
        ),
        "columns": list(GANTT_COLUMNS),
        "rows": rows,
        "link_columns": list(LINK_COLUMNS),
        "links": links,
        "workstreams": workstreams,
        "owners": owners,
    }


# ---------------------------------------------------------------------------------------------
# Milestone chart and trend
# ---------------------------------------------------------------------------------------------


def milestone_chart(program: Program) -> dict[str, Any]:
    """Milestones by workstream: forecast and (current) baseline finish, lateness in work days.

    `late` means the forecast is after the baseline finish or after the deadline.
    """
    baseline = Baseline.objects.filter(program=program, is_current=True).first()
    items = (
        Item.objects.filter(program=program, kind=ItemKind.MILESTONE)
        .order_by("outline_path")
        .select_related("workstream")
    )
    fields = ["id", "key", "name", "wbs", "finish", "deadline", "critical", "percent_complete",
              "version", "workstream__name", "workstream__key"]  # fmt: skip
    if baseline is not None:
        items = items.annotate(
            bl=FilteredRelation("baseline_items", condition=Q(baseline_items__baseline=baseline))
        )
        fields.append("bl__finish")
    cal = program_calendar(program) if items.exists() else None
    milestones = []
    lanes: dict[str, int] = {}
    for row in items.values(*fields):
        lane = row["workstream__name"] or "No workstream"
        base = row.get("bl__finish")
        finish = row["finish"]
        slip = cal.variance_days(base, finish) if cal and base and finish else None
        past_deadline = bool(row["deadline"] and finish and finish > row["deadline"])
        milestones.append(
            {
                "id": row["id"],
                "key": row["key"],
                "name": row["name"],
                "wbs": row["wbs"],
                "workstream": lane,
                "finish": finish,
                "baseline_finish": base,
                "deadline": row["deadline"],
                "slip_days": slip,
                "late": bool(slip and slip > 0) or past_deadline,
                "complete": row["percent_complete"] == 100,
                "critical": row["critical"],
            }
        )
        lanes.setdefault(lane, len(lanes))
    order = sorted(lanes, key=lambda name: (name == "No workstream", name.lower()))
    return {
        "today": timezone.localdate(),
        "baseline": {"id": baseline.pk, "name": baseline.name} if baseline else None,
        "lanes": order,
        "milestones": sorted(
            milestones, key=lambda m: (order.index(m["workstream"]), m["finish"] or dt.date.max)
        ),
    }


def milestone_trend(program: Program) -> dict[str, Any]:
    """Each milestone's forecast finish at every report date, carried forward between snapshots.

    Report dates are the days a snapshot was taken, plus today (the current forecast). Before a
    milestone's first snapshot its value is None.
    """
    today = timezone.localdate()
    milestones = list(
        Item.objects.filter(program=program, kind=ItemKind.MILESTONE)
        .order_by("outline_path")
        .values("id", "key", "name", "finish", "workstream__name", "critical")
    )
    snaps: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for item_id, as_of, finish in (
        ForecastSnapshot.objects.filter(program=program, item__kind=ItemKind.MILESTONE)
        .order_by("item_id", "as_of")
        .values_list("item_id", "as_of", "finish")
    ):
        snaps[item_id].append((as_of, finish))
    dates = sorted({as_of for series in snaps.values() for as_of, _ in series if as_of <= today})
    if milestones and (not dates or dates[-1] != today):
        dates.append(today)
    series = []
    for m in milestones:
        points = [(a, f) for a, f in snaps.get(m["id"], []) if a <= today]
        days = [a for a, _ in points]
        values = []
        for d in dates:
            if d == today and m["finish"] is not None:
                values.append(m["finish"])
                continue
            i = bisect_right(days, d)
            values.append(points[i - 1][1] if i else None)
        first, last = next((v for v in values if v), None), m["finish"]
        drift = (last - first).days if first and last else None
        series.append(
            {
                "id": m["id"],
                "key": m["key"],
                "name": m["name"],
                "workstream": m["workstream__name"] or "",
                "critical": m["critical"],
                "values": values,
                "drift_days": drift,
            }
        )
    return {"today": today, "dates": dates, "milestones": series}
