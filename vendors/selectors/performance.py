"""Reads for SLAs, escalations and vendor scorecards, with a fixed number of queries.

The four scorecard measures of a vendor for a period (a calendar month, or a quarter), all
counted in the database (conditional `Count`s grouped by vendor and by truncated period):

- **On-time delivery %** = deliverables due in the period (not withdrawn) that were first
  submitted on or before their due date (the submission's date in the program's time zone)
  / deliverables due in the period that were submitted or are overdue (due before today and not
  submitted). A deliverable due later this period and not yet submitted is not counted yet.
- **First-pass acceptance %** = deliverables whose round-1 review accepted them / deliverables
  whose round-1 review took place in the period (review date in the program's time zone).
- **SLA attainment %** = measurements not breached / measurements, counting the measurements
  whose measured period ends in the scorecard period (a quarterly SLA counts in the quarter's
  last month). Measurements of deactivated SLAs still count for the periods they cover.
- **Open escalations** = escalations raised on or before the period's last day and not resolved
  or closed by then.

A measure with nothing to count has no value ("—"). Colours and arrows: `vendors.periods`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncQuarter
from django.shortcuts import get_object_or_404

from programs.models import Program

from .. import periods as P
from ..models import (
    Contract,
    Deliverable,
    DeliverableStatus,
    Escalation,
    EscalationStatus,
    Review,
    ReviewOutcome,
    ServiceLevel,
    SLAMeasurement,
    Vendor,
    VendorStatus,
)

MEASURES = ("on_time", "first_pass", "sla", "escalations")
MEASURE_LABELS = {
    "on_time": "On-time delivery",
    "first_pass": "First-pass acceptance",
    "sla": "SLA attainment",
    "escalations": "Open escalations",
}


@dataclass
class Measure:
    """One measure of one period: the value (a percentage, or a count for escalations), what
    it was computed from, its colour and the movement since the previous period."""

    name: str
    value: Decimal | int | None
    part: int = 0
    whole: int = 0
    colour: str | None = None
    change: dict | None = None

    @property
    def label(self) -> str:
        return MEASURE_LABELS[self.name]

    @property
    def is_percent(self) -> bool:
        return self.name != "escalations"

    def as_json(self) -> dict[str, Any]:
        value = self.value
        return {
            "value": None if value is None else (float(value) if self.is_percent else value),
            "part": self.part,
            "whole": self.whole,
            "colour": self.colour,
            "change": None
            if self.change is None
            else {
                "direction": self.change["direction"],
                "good": self.change["good"],
                "previous": float(self.change["previous"])
                if self.is_percent
                else self.change["previous"],
            },
        }


@dataclass
class Scorecard:
    vendor: Vendor
    period: P.Period
    on_time: Measure
    first_pass: Measure
    sla: Measure
    escalations: Measure

    @property
    def measures(self) -> list[Measure]:
        return [self.on_time, self.first_pass, self.sla, self.escalations]

    @property
    def has_data(self) -> bool:
        return any(m.value not in (None, 0) for m in self.measures) or any(
            m.whole for m in self.measures
        )


def measure_signature(m: Measure) -> tuple:
    """Every value a rendered measure depends on (for fragment cache keys)."""
    change = m.change
    return (
        m.name, m.value, m.part, m.whole, m.colour,
        None if change is None else (change["direction"], change["good"], change["previous"]),
    )  # fmt: skip


def scorecard_signature(card: Scorecard) -> tuple:
    """Every value a scorecard row shows: the vendor's key, name and status, and its measures."""
    vendor = card.vendor
    return (
        vendor.pk, vendor.key, vendor.name, vendor.status,
        *(measure_signature(m) for m in card.measures),
    )  # fmt: skip


def trend_signature(trend: Trend) -> tuple:
    """Every value the trend table and chart show: each period and its measures."""
    return tuple(
        (p.slug, *(measure_signature(row[name]) for name in MEASURES))
        for p, row in zip(trend.periods, trend.rows, strict=True)
    )


@dataclass
class Trend:
    periods: list[P.Period]
    rows: list[dict[str, Measure]] = field(default_factory=list)  # per period, oldest first

    def chart_data(self) -> dict[str, Any]:
        """The series for Chart.js (the page shows the same figures as a table)."""
        data: dict[str, Any] = {"labels": [p.short_label for p in self.periods]}
        for name in MEASURES:
            data[name] = [row[name].as_json()["value"] for row in self.rows]
        return data


def program_zone(program: Program) -> ZoneInfo:
    return ZoneInfo(program.time_zone)


def _day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def _bucket(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _trunc(kind: str, name: str, zone: ZoneInfo | None = None):
    fn = TruncQuarter if kind == P.QUARTER else TruncMonth
    return fn(name, tzinfo=zone) if zone is not None else fn(name)


# --- the counts, grouped by (vendor, period start) ------------------------------------------


def _on_time_counts(program, periods, vendor, today) -> dict[tuple[int, dt.date], tuple[int, int]]:
    zone = program_zone(program)
    first, last = periods[0], periods[-1]
    rows = (
        Deliverable.objects.filter(
            program=program, due_date__gte=first.start, due_date__lte=last.end
        )
        .exclude(status=DeliverableStatus.WITHDRAWN)
        .filter(Q(first_submitted_at__isnull=False) | Q(due_date__lt=today))
        .filter(**({"vendor": vendor} if vendor else {}))
        .annotate(submitted_on=TruncDate("first_submitted_at", tzinfo=zone))
        .values("vendor_id", bucket=_trunc(first.kind, "due_date"))
        .annotate(
            whole=Count("pk"),
            part=Count(
                "pk",
                filter=Q(first_submitted_at__isnull=False, submitted_on__lte=F("due_date")),
            ),
        )
        .order_by()
    )
    return {(r["vendor_id"], _bucket(r["bucket"])): (r["part"], r["whole"]) for r in rows}


def _first_pass_counts(program, periods, vendor) -> dict[tuple[int, dt.date], tuple[int, int]]:
    zone = program_zone(program)
    first, last = periods[0], periods[-1]
    vendor_filter = {"submission__deliverable__vendor": vendor} if vendor else {}
    rows = (
        Review.objects.filter(
            program=program,
            submission__round=1,
            created_at__gte=_day_start(first.start, zone),
            created_at__lt=_day_start(last.end + dt.timedelta(days=1), zone),
            **vendor_filter,
        )
        .values(
            vendor_id=F("submission__deliverable__vendor_id"),
            bucket=_trunc(first.kind, "created_at", zone),
        )
        .annotate(whole=Count("pk"), part=Count("pk", filter=Q(outcome=ReviewOutcome.ACCEPTED)))
        .order_by()
    )
    return {(r["vendor_id"], _bucket(r["bucket"])): (r["part"], r["whole"]) for r in rows}


def _sla_counts(program, periods, vendor) -> dict[tuple[int, dt.date], tuple[int, int]]:
    first, last = periods[0], periods[-1]
    rows = (
        SLAMeasurement.objects.filter(
            program=program, period_end__gte=first.start, period_end__lte=last.end
        )
        .filter(**({"vendor": vendor} if vendor else {}))
        .values("vendor_id", bucket=_trunc(first.kind, "period_end"))
        .annotate(whole=Count("pk"), part=Count("pk", filter=Q(breached=False)))
        .order_by()
    )
    return {(r["vendor_id"], _bucket(r["bucket"])): (r["part"], r["whole"]) for r in rows}


def _open_escalation_counts(program, periods, vendor) -> dict[tuple[int, dt.date], int]:
    """Escalations open at each period's end, counted in one query grouped by vendor and
    period: the escalations of the window (scoped by the ORM) joined to the periods' last days.

    One conditional aggregate per period built by the ORM cost ~0.3 ms of Python each (a
    12-period trend spent more building its query than running it); this costs one small
    derived table whatever the number of periods."""
    first, last = periods[0], periods[-1]
    rows = (
        Escalation.objects.filter(program=program, raised_on__lte=last.end)
        .filter(Q(resolved_on__isnull=True) | Q(resolved_on__gt=first.end))
        .filter(**({"vendor": vendor} if vendor else {}))
        .values("vendor_id", "raised_on", "resolved_on")
        .order_by()
    )
    rows_sql, rows_params = rows.query.sql_with_params()
    ends_sql = " UNION ALL ".join(["SELECT %s AS i, %s AS d"] * len(periods))
    ends_params = [value for i, p in enumerate(periods) for value in (i, p.end)]
    sql = (
        "SELECT e.vendor_id, p.i, COUNT(*) "  # noqa: S608 - the ORM's SQL and placeholders only
        f"FROM ({rows_sql}) e INNER JOIN ({ends_sql}) p "
        "ON e.raised_on <= p.d AND (e.resolved_on IS NULL OR e.resolved_on > p.d) "
        "GROUP BY e.vendor_id, p.i"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*rows_params, *ends_params])
        return {(vendor_id, periods[i].start): n for vendor_id, i, n in cursor.fetchall()}


@dataclass
class _Counts:
    on_time: dict
    first_pass: dict
    sla: dict
    escalations: dict

    @classmethod
    def load(cls, program, periods, vendor, today) -> _Counts:
        return cls(
            _on_time_counts(program, periods, vendor, today),
            _first_pass_counts(program, periods, vendor),
            _sla_counts(program, periods, vendor),
            _open_escalation_counts(program, periods, vendor),
        )

    def measures(self, vendor_id: int, period: P.Period) -> dict[str, Measure]:
        out: dict[str, Measure] = {}
        for name in ("on_time", "first_pass", "sla"):
            part, whole = getattr(self, name).get((vendor_id, period.start), (0, 0))
            value = P.percent(part, whole)
            out[name] = Measure(name, value, part, whole, P.percent_colour(value))
        open_count = self.escalations.get((vendor_id, period.start), 0)
        out["escalations"] = Measure(
            "escalations", open_count, open_count, open_count, P.escalation_colour(open_count)
        )
        return out


def _with_changes(current: dict[str, Measure], previous: dict[str, Measure]) -> dict:
    for name, measure in current.items():
        measure.change = P.change(
            measure.value, previous[name].value, higher_is_better=name != "escalations"
        )
    return current


# --- scorecards -----------------------------------------------------------------------------


def scorecard_vendors(*, program: Program) -> QuerySet[Vendor]:
    """The vendors a scorecard covers: those with a contract in the program (not prospects)."""
    has_contract = Contract.objects.filter(vendor=OuterRef("pk"))
    return (
        Vendor.objects.filter(program=program)
        .exclude(status=VendorStatus.PROSPECT)
        .filter(Exists(has_contract))
        .order_by("name", "id")
    )


def scorecards(
    *, program: Program, period: P.Period, today: dt.date, vendors: QuerySet | None = None
) -> list[Scorecard]:
    """Every vendor's scorecard for `period`, with the movement since the previous period:
    five queries whatever the number of vendors, deliverables, reviews and measurements."""
    vendor_list = list(vendors if vendors is not None else scorecard_vendors(program=program))
    only = vendor_list[0] if vendors is not None and len(vendor_list) == 1 else None
    previous = period.previous()
    counts = _Counts.load(program, [previous, period], only, today)
    cards = []
    for vendor in vendor_list:
        measures = _with_changes(
            counts.measures(vendor.pk, period), counts.measures(vendor.pk, previous)
        )
        cards.append(Scorecard(vendor=vendor, period=period, **measures))
    return cards


def _card(counts: _Counts, vendor: Vendor, period: P.Period) -> Scorecard:
    measures = _with_changes(
        counts.measures(vendor.pk, period), counts.measures(vendor.pk, period.previous())
    )
    return Scorecard(vendor=vendor, period=period, **measures)


def _trend(counts: _Counts, vendor: Vendor, window: list[P.Period]) -> Trend:
    trend = Trend(periods=window)
    previous = None
    for p in window:
        measures = counts.measures(vendor.pk, p)
        if previous is not None:
            _with_changes(measures, previous)
        trend.rows.append(measures)
        previous = measures
    return trend


def scorecard(*, program: Program, vendor: Vendor, period: P.Period, today: dt.date) -> Scorecard:
    """One vendor's scorecard for `period` (four queries)."""
    counts = _Counts.load(program, [period.previous(), period], vendor, today)
    return _card(counts, vendor, period)


def scorecard_trend(
    *, program: Program, vendor: Vendor, period: P.Period, today: dt.date, count: int = 12
) -> Trend:
    """The four measures for the `count` periods ending with `period` (four queries)."""
    window = period.trailing(count)
    return _trend(_Counts.load(program, window, vendor, today), vendor, window)


def scorecard_with_trend(
    *, program: Program, vendor: Vendor, period: P.Period, today: dt.date, count: int = 12
) -> tuple[Scorecard, Trend]:
    """`scorecard` and `scorecard_trend` together in four queries: the trend's window (at
    least two periods) holds the period and the one before it, which is all the card needs;
    each period's counts do not depend on the window they were read with."""
    window = period.trailing(count)
    loaded = window if count >= 2 else [period.previous(), *window]
    counts = _Counts.load(program, loaded, vendor, today)
    return _card(counts, vendor, period), _trend(counts, vendor, window)


def scorecard_vendor_for(*, program: Program, key: str) -> Vendor:
    return get_object_or_404(scorecard_vendors(program=program), key=key.upper())


# --- SLAs -----------------------------------------------------------------------------------


def _measurement_count(**filters) -> Coalesce:
    rows = (
        SLAMeasurement.objects.filter(service_level=OuterRef("pk"), **filters)
        .order_by()
        .values("service_level")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def attainment_window_start(today: dt.date) -> dt.date:
    """The first day of the 12-month window the SLA list's attainment covers."""
    return P.Period.containing(today).shift(-11).start


@functools.lru_cache(maxsize=16)
def _sla_annotations(since: dt.date) -> dict:
    """The last measurement and the attainment counts since `since`, built once per window
    start: `annotate()` resolves a copy of each expression, so they serve every query."""
    last = SLAMeasurement.objects.filter(service_level=OuterRef("pk")).order_by("-period_start")
    return {
        "last_value": Subquery(last.values("value")[:1]),
        "last_period_start": Subquery(last.values("period_start")[:1]),
        "last_breached": Subquery(last.values("breached")[:1]),
        "measured": _measurement_count(period_end__gte=since),
        "breaches": _measurement_count(period_end__gte=since, breached=True),
    }


def service_level_list(
    *,
    program: Program,
    today: dt.date,
    vendor: Vendor | None = None,
    contract: Contract | None = None,
    status: str = "",
    q: str = "",
) -> QuerySet[ServiceLevel]:
    """SLAs with their last measurement and their attainment over the last 12 months (one
    query): `last_value`, `last_period_start`, `last_breached`, `measured`, `met`, `breaches`."""
    rows = (
        ServiceLevel.objects.filter(program=program)
        .select_related("contract", "vendor")
        .annotate(**_sla_annotations(attainment_window_start(today)))
        .annotate(met=F("measured") - F("breaches"))
        .order_by("vendor__name", "contract__number", "metric", "id")
    )
    if vendor is not None:
        rows = rows.filter(vendor=vendor)
    if contract is not None:
        rows = rows.filter(contract=contract)
    if status == "active":
        rows = rows.filter(is_active=True)
    elif status == "inactive":
        rows = rows.filter(is_active=False)
    elif status == "breached":
        rows = rows.filter(last_breached=True)
    if q:
        rows = rows.filter(Q(metric__icontains=q) | Q(contract__key__iexact=q))
    return rows


def with_attainment(sla: ServiceLevel) -> Decimal | None:
    return P.percent(sla.measured - sla.breaches, sla.measured)


def service_level_get(*, program: Program, pk: int, vendor: Vendor | None = None) -> ServiceLevel:
    """One SLA of the program (of `vendor` only, for the portal); 404 otherwise."""
    rows = ServiceLevel.objects.filter(program=program).select_related("contract", "vendor")
    if vendor is not None:
        rows = rows.filter(vendor=vendor)
    return get_object_or_404(rows, pk=pk)


def measurement_list(*, service_level: ServiceLevel) -> QuerySet[SLAMeasurement]:
    return (
        SLAMeasurement.objects.filter(service_level=service_level)
        .select_related("recorded_by")
        .order_by("-period_start")
    )


def measurement_get(*, program: Program, pk: int, vendor: Vendor | None = None) -> SLAMeasurement:
    rows = SLAMeasurement.objects.filter(program=program).select_related(
        "service_level__contract", "service_level__vendor", "service_level__program"
    )
    if vendor is not None:
        rows = rows.filter(vendor=vendor)
    return get_object_or_404(rows, pk=pk)


def measurements_for_vendor(*, vendor: Vendor, since: dt.date) -> QuerySet[SLAMeasurement]:
    """A vendor's measurements of every SLA since `since`, newest first (the portal)."""
    return (
        SLAMeasurement.objects.filter(vendor=vendor, period_end__gte=since)
        .select_related("service_level__contract")
        .order_by("-period_start", "service_level__metric")
    )


def sla_breach_counts(*, program: Program, since: dt.date) -> dict[str, int]:
    """Breaches since `since` and SLAs whose last measurement breached: for list headers."""
    return SLAMeasurement.objects.filter(program=program, period_end__gte=since).aggregate(
        measured=Count("pk"), breaches=Count("pk", filter=Q(breached=True))
    )


# --- escalations ----------------------------------------------------------------------------


def escalation_list(
    *,
    program: Program,
    vendor: Vendor | None = None,
    status: str = "",
    level: int | None = None,
    q: str = "",
) -> QuerySet[Escalation]:
    rows = Escalation.objects.filter(program=program).select_related("vendor", "contract", "owner")
    if vendor is not None:
        rows = rows.filter(vendor=vendor)
    if status in EscalationStatus.values:
        rows = rows.filter(status=status)
    if level:
        rows = rows.filter(level=level)
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(key__iexact=q) | Q(reason__icontains=q))
    return rows.order_by("-number")


def escalation_status_counts(*, queryset: QuerySet[Escalation]) -> dict[str, int]:
    totals = queryset.order_by().aggregate(
        **{s: Count("pk", filter=Q(status=s)) for s in EscalationStatus.values}
    )
    return {s: totals[s] or 0 for s in EscalationStatus.values}


def escalation_get(*, program: Program, key: str) -> Escalation:
    return get_object_or_404(
        Escalation.objects.filter(program=program).select_related("vendor", "contract", "owner"),
        key=key.upper(),
    )


def escalation_level_history(*, escalation: Escalation) -> list[dict[str, Any]]:
    """The level changes and reopenings from the audit trail, oldest first (one query)."""
    from core.audit import history_for_object

    steps = []
    for entry in history_for_object(escalation).order_by("id"):
        changes = entry.changes or {}
        if entry.action == "create":
            steps.append(
                {"when": entry.timestamp, "who": entry.actor_name, "level": escalation_level(
                    changes.get("level", [None, None])[1]), "what": "raised", "note": ""}
            )  # fmt: skip
        elif "level" in changes or "note" in changes or "status" in changes:
            status = changes.get("status", [None, None])[1]
            what = (
                "escalated" if "level" in changes
                else "reopened" if status == EscalationStatus.OPEN
                else status or "updated"
            )  # fmt: skip
            steps.append(
                {"when": entry.timestamp, "who": entry.actor_name,
                 "level": escalation_level(changes.get("level", [None, None])[1]), "what": what,
                 "note": (changes.get("note") or [None, ""])[1]
                 or (changes.get("outcome") or [None, ""])[1] or ""}
            )  # fmt: skip
    return steps


def escalation_level(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
