"""Reads of the KPI registry: a card per KPI (latest value, RAG against its target and
thresholds, trend against the previous value, the weekly series for a sparkline) and one KPI's
history.

RAG of a value (`kpi_rag`), by the definition's direction; a threshold holds strictly beyond it
on the bad side (lower-is-better: red above the red threshold, amber above the amber one), as
the form says ("amber beyond this value"):

- red past the red threshold;
- amber past the amber threshold, or, when no amber threshold is set, worse than the target;
- green otherwise (on the target's side of the amber threshold);
- grey ("not rated") without a value, or without a target and thresholds to judge it by.

Trend compares the latest value with the one recorded before it: "up", "down" or "flat";
`better` says whether that move is good by the direction (None when flat or with nothing to
compare).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404

from budgets.selectors.evm import program_today
from programs.models import Program

from ..models import KpiDefinition, KpiDirection, KpiUnit, KpiValue
from ..periods import period_of, shift
from ..rag import Rag

__all__ = [
    "KpiCard",
    "current_period",
    "format_value",
    "kpi_cards",
    "kpi_definitions",
    "kpi_get",
    "kpi_rag",
    "kpi_trend",
    "kpi_values",
    "periods_back",
]


def current_period(program: Program) -> str:
    """The ISO week of today in the program's time zone."""
    return period_of(program_today(program))


def periods_back(program: Program, weeks: int, *, end: str | None = None) -> list[str]:
    """The `weeks` ISO weeks ending with `end` (this week by default), oldest first."""
    last = end or current_period(program)
    return [shift(last, -n) for n in range(weeks - 1, -1, -1)]


def _worse(value: Decimal, limit: Decimal, direction: str) -> bool:
    """`value` is strictly on the bad side of `limit`."""
    return value > limit if direction == KpiDirection.LOWER else value < limit


def kpi_rag(
    value: Decimal | None,
    *,
    direction: str,
    target: Decimal | None = None,
    amber: Decimal | None = None,
    red: Decimal | None = None,
) -> Rag:
    if value is None or (target is None and amber is None and red is None):
        return Rag.GREY
    if red is not None and _worse(value, red, direction):
        return Rag.RED
    if amber is not None and _worse(value, amber, direction):
        return Rag.AMBER
    if amber is None and target is not None and _worse(value, target, direction):
        return Rag.AMBER
    return Rag.GREEN


def kpi_trend(
    latest: Decimal | None, previous: Decimal | None, direction: str
) -> tuple[str, bool | None]:
    """("up" | "down" | "flat", better?)."""
    if latest is None or previous is None or latest == previous:
        return "flat", None
    up = latest > previous
    return ("up" if up else "down"), (up == (direction == KpiDirection.HIGHER))


_UNIT_SUFFIX = {KpiUnit.PERCENT: " %", KpiUnit.DAYS: " days", KpiUnit.RATIO: "", KpiUnit.COUNT: ""}
_PLACES = {KpiUnit.RATIO: Decimal("0.01"), KpiUnit.MONEY: Decimal("0.01")}


def format_value(value: Decimal | None, unit: str, currency: str = "") -> str:
    """A value as people read it: "87.5 %", "0.97", "3.5 days", "4", "EUR 12,500.00"; "—"
    when empty. At most two places with trailing zeros dropped; ratios and money keep two."""
    if value is None:
        return "—"
    places = _PLACES.get(unit)
    if places is not None:
        text = f"{value.quantize(places):,}"
    else:
        text = f"{value.quantize(Decimal('0.01')).normalize():,f}"
    if unit == KpiUnit.MONEY:
        return f"{currency} {text}".strip()
    if unit == KpiUnit.DAYS and text == "1":
        return "1 day"
    return text + _UNIT_SUFFIX.get(unit, "")


RAG_COLOURS = {"green": "green", "amber": "orange", "red": "red", "grey": "secondary"}


@dataclass(frozen=True)
class KpiCard:
    """One KPI as a card, tile or table row shows it."""

    definition: KpiDefinition
    latest: Decimal | None  # the newest recorded value in the window
    previous: Decimal | None  # the value recorded before it
    latest_period: str | None
    series: list[tuple[str, Decimal | None]]  # (period, value), oldest first, every week
    rag: Rag
    trend: str  # "up" | "down" | "flat"
    better: bool | None  # the trend is good (True), bad (False), or neither (None)
    manual: bool  # the latest value was typed in (or the KPI is manual and has none)
    currency: str = ""
    recorded_period: str | None = None  # the newest week recorded, even with nothing measured
    values: list[KpiValue] = field(default_factory=list, repr=False)  # newest first

    @property
    def display(self) -> str:
        return format_value(self.latest, self.definition.unit, self.currency)

    @property
    def previous_display(self) -> str:
        return format_value(self.previous, self.definition.unit, self.currency)

    @property
    def target_display(self) -> str:
        return format_value(self.definition.target, self.definition.unit, self.currency)

    @property
    def colour(self) -> str:
        """The UI kit's colour of the RAG (badge `bg-<colour>-lt`)."""
        return RAG_COLOURS[self.rag.value]

    @property
    def spark(self) -> list[float | None]:
        """The series as numbers for a sparkline (None where the week has no value)."""
        return [None if v is None else float(v) for _p, v in self.series]

    @property
    def spark_text(self) -> str:
        """The series for a `data-` attribute: "1.2,,3" (empty where a week has no value)."""
        return ",".join("" if v is None else f"{v.normalize():f}" for _p, v in self.series)

    @property
    def spark_labels(self) -> list[str]:
        return [p for p, _v in self.series]


def kpi_definitions(*, program: Program, active_only: bool = False) -> QuerySet[KpiDefinition]:
    rows = KpiDefinition.objects.filter(program=program).select_related("owner", "program")
    if active_only:
        rows = rows.filter(active=True)
    return rows.order_by("-active", "number")


def kpi_get(*, program: Program, key: str) -> KpiDefinition:
    """The program's KPI with this key (any case), or 404."""
    found = (
        KpiDefinition.objects.filter(program=program, key=str(key).strip().upper())
        .select_related("owner", "program")
        .first()
    )
    if found is None:
        raise Http404("No such KPI in this program")
    return found


def kpi_values(*, definition: KpiDefinition) -> QuerySet[KpiValue]:
    """The KPI's values, newest first, with who entered the manual ones."""
    return (
        KpiValue.objects.filter(definition=definition)
        .select_related("recorded_by")
        .order_by("-period")
    )


def _card(
    definition: KpiDefinition, values: list[KpiValue], periods: list[str], currency: str
) -> KpiCard:
    """`values`: the definition's values in the window, newest first."""
    by_period = {v.period: v for v in values}
    recorded = [v for v in values if v.value is not None]
    latest = recorded[0] if recorded else None
    previous = recorded[1] if len(recorded) > 1 else None
    latest_value = latest.value if latest else None
    previous_value = previous.value if previous else None
    trend, better = kpi_trend(latest_value, previous_value, definition.direction)
    return KpiCard(
        definition=definition,
        latest=latest_value,
        previous=previous_value,
        latest_period=latest.period if latest else None,
        series=[(p, by_period[p].value if p in by_period else None) for p in periods],
        rag=kpi_rag(
            latest_value,
            direction=definition.direction,
            target=definition.target,
            amber=definition.amber_threshold,
            red=definition.red_threshold,
        ),
        trend=trend,
        better=better,
        manual=latest.manual if latest else definition.is_manual,
        currency=currency,
        recorded_period=values[0].period if values else None,
        values=values,
    )


def kpi_cards(
    program: Program, weeks: int = 12, *, active_only: bool = True, end: str | None = None
) -> list[KpiCard]:
    """A card per KPI of the program (the active ones by default), in key order, over the
    `weeks` ISO weeks ending with `end` (this week). Two queries, whatever the number of KPIs."""
    periods = periods_back(program, weeks, end=end)
    definitions = list(kpi_definitions(program=program, active_only=active_only))
    by_definition: dict[int, list[KpiValue]] = defaultdict(list)
    for value in (
        KpiValue.objects.filter(
            program=program, definition__in=[d.pk for d in definitions], period__in=periods
        )
        .select_related("recorded_by")
        .order_by("-period")
    ):
        by_definition[value.definition_id].append(value)
    return [_card(d, by_definition[d.pk], periods, program.currency) for d in definitions]


def kpi_card(definition: KpiDefinition, weeks: int = 12, *, trim: bool = False) -> KpiCard:
    """One KPI's card over the last `weeks` weeks; `trim` starts the series at its first
    recorded week (keeping at least 12), so a young KPI's chart is not mostly empty."""
    program = definition.program
    periods = periods_back(program, weeks)
    values = list(kpi_values(definition=definition).filter(period__in=periods))
    if trim and values:
        first = min(v.period for v in values)
        periods = periods_back(program, max(sum(1 for p in periods if p >= first), 12))
    return _card(definition, values, periods, program.currency)
