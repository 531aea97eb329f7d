"""Red/amber/green status as plain rules: no Django, plain facts in, a rating and a reason out.

A status report rates five dimensions and the program overall:

    schedule  SPI against the current baseline, and milestones that slipped past their baseline
    cost      CPI, and the forecast variance at completion in percent of the budget
    scope     open change requests, and those whose decision date has passed
    risk      total exposure (probability x impact of open risks), and high risks raised this period
    quality   open severity-1 and severity-2 defects

Each dimension is red when any red rule holds, amber when any amber rule holds, green otherwise,
and grey ("not rated") when the program lacks what the dimension is measured against (no
baseline, no budget). The reason is one sentence naming every rule that fired, with the figures,
so an executive reads why without opening the report. Overall is the worst rated dimension; it
is grey only when every dimension is.

Thresholds are per program (`Thresholds`, defaults below); a threshold is met at equality on the
bad side (SPI 0.90 with red below 0.90 is amber, not red), so a boundary never flickers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "Assessment",
    "CostFacts",
    "QualityFacts",
    "Rag",
    "RiskFacts",
    "ScheduleFacts",
    "ScopeFacts",
    "Thresholds",
    "assess",
    "cost",
    "overall",
    "quality",
    "risk",
    "schedule",
    "scope",
]


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"

    @property
    def severity(self) -> int:
        """Worse is higher; grey (not rated) is below green so it never hides a rating."""
        return {"grey": -1, "green": 0, "amber": 1, "red": 2}[self.value]

    @property
    def label(self) -> str:
        return {"grey": "Not rated"}.get(self.value, self.value.capitalize())


@dataclass(frozen=True)
class Thresholds:
    """Where amber and red begin. Indices are ratios (0.95), percentages are points (5 = 5 %)."""

    spi_amber: Decimal = Decimal("0.95")
    spi_red: Decimal = Decimal("0.90")
    slipped_amber: int = 1
    slipped_red: int = 3
    cpi_amber: Decimal = Decimal("0.95")
    cpi_red: Decimal = Decimal("0.90")
    overrun_amber: Decimal = Decimal("5")  # forecast over budget, percent
    overrun_red: Decimal = Decimal("10")
    open_changes_amber: int = 5
    open_changes_red: int = 10
    overdue_changes_amber: int = 1
    overdue_changes_red: int = 3
    exposure_amber: Decimal = Decimal("60")
    exposure_red: Decimal = Decimal("120")
    new_high_risks_amber: int = 1
    new_high_risks_red: int = 3
    sev1_red: int = 1  # open severity-1 defects
    sev2_amber: int = 1
    sev2_red: int = 5


@dataclass(frozen=True)
class Assessment:
    rag: Rag
    reason: str


@dataclass(frozen=True)
class ScheduleFacts:
    has_baseline: bool
    spi: Decimal | None = None  # None when nothing was planned to the status date yet
    slipped_milestones: tuple[str, ...] = ()  # names (or keys) of slipped milestones
    baseline_name: str = ""


@dataclass(frozen=True)
class CostFacts:
    has_budget: bool
    cpi: Decimal | None = None  # None while nothing was spent
    overrun_percent: Decimal | None = None  # (EAC - BAC) / BAC x 100; negative is under budget


@dataclass(frozen=True)
class ScopeFacts:
    open_changes: int = 0
    overdue_changes: tuple[str, ...] = ()  # keys of open requests past their decision date


@dataclass(frozen=True)
class RiskFacts:
    exposure: Decimal = Decimal("0")
    new_high_risks: tuple[str, ...] = ()  # keys raised in the period with a high score


@dataclass(frozen=True)
class QualityFacts:
    open_sev1: tuple[str, ...] = ()
    open_sev2: tuple[str, ...] = ()


@dataclass
class _Rules:
    """Collects the rules that fired; the worst level decides, every fired rule is named."""

    red: list[str] = field(default_factory=list)
    amber: list[str] = field(default_factory=list)

    def check(self, text: str, *, red: bool, amber: bool) -> None:
        if red:
            self.red.append(text)
        elif amber:
            self.amber.append(text)

    def result(self, green_reason: str) -> Assessment:
        if self.red:
            return Assessment(Rag.RED, _sentence(self.red + self.amber))
        if self.amber:
            return Assessment(Rag.AMBER, _sentence(self.amber))
        return Assessment(Rag.GREEN, green_reason)


def _sentence(parts: list[str]) -> str:
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text[0].upper() + text[1:] + "."


def _index(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _listed(keys: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(keys[:limit])
    return f" ({shown}{', …' if len(keys) > limit else ''})" if keys else ""


def schedule(facts: ScheduleFacts, t: Thresholds = Thresholds()) -> Assessment:
    if not facts.has_baseline:
        return Assessment(Rag.GREY, "No baseline yet: the schedule is not rated.")
    rules = _Rules()
    if facts.spi is not None:
        rules.check(
            f"SPI {_index(facts.spi)} is below "
            f"{_index(t.spi_red if facts.spi < t.spi_red else t.spi_amber)}",
            red=facts.spi < t.spi_red,
            amber=facts.spi < t.spi_amber,
        )
    slipped = len(facts.slipped_milestones)
    rules.check(
        f"{_count(slipped, 'milestone')} slipped against the baseline"
        + _listed(facts.slipped_milestones),
        red=slipped >= t.slipped_red,
        amber=slipped >= t.slipped_amber,
    )
    spi = f"SPI {_index(facts.spi)}" if facts.spi is not None else "Nothing planned to date yet"
    return rules.result(f"{spi}; no milestone slipped against the baseline.")


def cost(facts: CostFacts, t: Thresholds = Thresholds()) -> Assessment:
    if not facts.has_budget:
        return Assessment(Rag.GREY, "No budget yet: cost is not rated.")
    rules = _Rules()
    if facts.cpi is not None:
        rules.check(
            f"CPI {_index(facts.cpi)} is below "
            f"{_index(t.cpi_red if facts.cpi < t.cpi_red else t.cpi_amber)}",
            red=facts.cpi < t.cpi_red,
            amber=facts.cpi < t.cpi_amber,
        )
    if facts.overrun_percent is not None:
        over = facts.overrun_percent
        rules.check(
            f"the forecast is {over.quantize(Decimal('0.1'))} % over budget",
            red=over >= t.overrun_red,
            amber=over >= t.overrun_amber,
        )
    parts = []
    if facts.cpi is not None:
        parts.append(f"CPI {_index(facts.cpi)}")
    if facts.overrun_percent is not None:
        over = facts.overrun_percent.quantize(Decimal("0.1"))
        parts.append(
            f"forecast {abs(over)} % {'over' if over > 0 else 'under'} budget"
            if over
            else "forecast on budget"
        )
    text = ", ".join(parts) or "Nothing spent yet"
    return rules.result(text[0].upper() + text[1:] + ".")


def scope(facts: ScopeFacts, t: Thresholds = Thresholds()) -> Assessment:
    rules = _Rules()
    rules.check(
        f"{_count(facts.open_changes, 'change request')} open",
        red=facts.open_changes >= t.open_changes_red,
        amber=facts.open_changes >= t.open_changes_amber,
    )
    overdue = len(facts.overdue_changes)
    rules.check(
        f"{_count(overdue, 'change request')} past {'its' if overdue == 1 else 'their'} "
        "decision date" + _listed(facts.overdue_changes),
        red=overdue >= t.overdue_changes_red,
        amber=overdue >= t.overdue_changes_amber,
    )
    return rules.result(
        f"{_count(facts.open_changes, 'change request')} open, none past its decision date."
    )


def risk(facts: RiskFacts, t: Thresholds = Thresholds()) -> Assessment:
    rules = _Rules()
    exposure = facts.exposure.quantize(Decimal("1"))
    limit = t.exposure_red if facts.exposure >= t.exposure_red else t.exposure_amber
    rules.check(
        f"risk exposure {exposure} is at or above {limit.quantize(Decimal('1'))}",
        red=facts.exposure >= t.exposure_red,
        amber=facts.exposure >= t.exposure_amber,
    )
    new = len(facts.new_high_risks)
    rules.check(
        f"{_count(new, 'new high risk')}" + _listed(facts.new_high_risks),
        red=new >= t.new_high_risks_red,
        amber=new >= t.new_high_risks_amber,
    )
    return rules.result(f"Risk exposure {exposure}; no new high risk.")


def quality(facts: QualityFacts, t: Thresholds = Thresholds()) -> Assessment:
    rules = _Rules()
    sev1, sev2 = len(facts.open_sev1), len(facts.open_sev2)
    rules.check(
        f"{_count(sev1, 'open severity-1 defect')}" + _listed(facts.open_sev1),
        red=sev1 >= t.sev1_red,
        amber=False,
    )
    rules.check(
        f"{_count(sev2, 'open severity-2 defect')}" + _listed(facts.open_sev2),
        red=sev2 >= t.sev2_red,
        amber=sev2 >= t.sev2_amber,
    )
    return rules.result("No open severity-1 or severity-2 defect.")


DIMENSIONS = ("schedule", "cost", "scope", "risk", "quality")


def overall(assessments: Iterable[tuple[str, Assessment]]) -> Assessment:
    """The worst rated dimension, naming the dimensions at that level."""
    rated = [(name, a) for name, a in assessments if a.rag is not Rag.GREY]
    if not rated:
        return Assessment(Rag.GREY, "No dimension could be rated yet.")
    worst = max(a.rag.severity for _, a in rated)
    level = next(a.rag for _, a in rated if a.rag.severity == worst)
    names = [name for name, a in rated if a.rag is level]
    if level is Rag.GREEN:
        return Assessment(Rag.GREEN, "Every rated dimension is green.")
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return Assessment(
        level, f"{listed.capitalize()} {'is' if len(names) == 1 else 'are'} {level.value}."
    )


def assess(
    schedule_facts: ScheduleFacts,
    cost_facts: CostFacts,
    scope_facts: ScopeFacts,
    risk_facts: RiskFacts,
    quality_facts: QualityFacts,
    thresholds: Thresholds = Thresholds(),
) -> dict[str, Assessment]:
    """Every dimension and `overall`, in DIMENSIONS order."""
    ratings = {
        "schedule": schedule(schedule_facts, thresholds),
        "cost": cost(cost_facts, thresholds),
        "scope": scope(scope_facts, thresholds),
        "risk": risk(risk_facts, thresholds),
        "quality": quality(quality_facts, thresholds),
    }
    ratings["overall"] = overall(ratings.items())
    return ratings
