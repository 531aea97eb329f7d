"""The figures of one status report, frozen: what the briefing, the deck and the report page draw.

A snapshot is built once from the domain apps' selectors (reporting/collect.py) when a report is
generated, stored as JSON with the report, and never recomputed: a published report, its PDFs
and a regenerated PDF for a past period all draw from the same stored figures. It holds plain
data only (str, int, bool, Decimal, date, lists of dataclasses) and round-trips through
`to_json` / `from_json` exactly (Decimals as strings, dates in ISO 8601).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = [
    "BudgetBurn",
    "ChangeLine",
    "CommentaryLine",
    "DecisionLine",
    "GanttLine",
    "MilestoneLine",
    "RagLine",
    "ReleaseLine",
    "RiskLine",
    "Snapshot",
    "from_json",
    "to_json",
]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RagLine:
    dimension: str  # schedule, cost, scope, risk, quality, overall
    rag: str  # green, amber, red, grey
    reason: str
    computed_rag: str = ""  # what the rules said, when a manager overrode it
    override_reason: str = ""


@dataclass(frozen=True)
class MilestoneLine:
    key: str
    name: str
    baseline: dt.date | None
    current: dt.date
    done: bool = False
    workstream: str = ""
    slip_days: int = 0  # working days of the program calendar behind the baseline (0: on time)


@dataclass(frozen=True)
class GanttLine:
    key: str
    name: str
    start: dt.date
    finish: dt.date
    critical: bool = False
    milestone: bool = False
    percent_complete: int = 0
    summary: bool = False


@dataclass(frozen=True)
class BudgetBurn:
    currency: str
    months: list[str] = field(default_factory=list)  # "Mar 26" labels, program months
    plan: list[Decimal | None] = field(default_factory=list)  # cumulative, per month
    actual: list[Decimal | None] = field(default_factory=list)
    forecast: list[Decimal | None] = field(default_factory=list)
    budget: Decimal = Decimal("0")  # current budget (BAC)
    actual_to_date: Decimal = Decimal("0")
    forecast_at_completion: Decimal = Decimal("0")  # EAC (outturn)
    variance_at_completion: Decimal = Decimal("0")  # budget - EAC; negative = overrun
    cpi: Decimal | None = None
    spi: Decimal | None = None
    variance_by_workstream: list[tuple[str, Decimal]] = field(default_factory=list)
    today_index: float | None = None


@dataclass(frozen=True)
class RiskLine:
    key: str
    title: str
    kind: str  # risk or issue
    score: int
    owner: str
    status: str
    due: dt.date | None = None


@dataclass(frozen=True)
class DecisionLine:
    key: str
    title: str
    needed_by: dt.date | None
    owner: str


@dataclass(frozen=True)
class ChangeLine:
    key: str
    title: str
    status: str
    cost_impact: Decimal | None
    schedule_impact_days: int | None
    needed_by: dt.date | None


@dataclass(frozen=True)
class ReleaseLine:
    key: str
    version: str
    name: str
    planned_date: dt.date
    ready: bool
    status: str
    failing: list[str] = field(default_factory=list)  # the failing criteria's evidence


@dataclass(frozen=True)
class CommentaryLine:
    """The workstream lead's word on the period (from the status report), with their own RAG."""

    workstream: str
    rag: str  # a rag.Rag value; "grey" when the lead gave none
    text: str


@dataclass(frozen=True)
class Snapshot:
    program_code: str
    program_name: str
    period: str  # ISO week, e.g. 2026-W48
    period_start: dt.date
    period_end: dt.date
    status_date: dt.date
    generated_at: dt.datetime
    currency: str
    manager: str = ""
    sponsor: str = ""
    rag: list[RagLine] = field(default_factory=list)
    has_baseline: bool = True
    baseline_name: str = ""
    has_budget: bool = True
    milestones_due: list[MilestoneLine] = field(default_factory=list)  # next 30 days
    milestones_slipped: list[MilestoneLine] = field(default_factory=list)
    milestones: list[MilestoneLine] = field(default_factory=list)  # the chart's
    gantt: list[GanttLine] = field(default_factory=list)  # next 90 days
    budget: BudgetBurn | None = None
    heat_map: list[tuple[int, int, int]] = field(default_factory=list)  # probability, impact, n
    risk_exposure: int = 0
    top_risks: list[RiskLine] = field(default_factory=list)
    top_issues: list[RiskLine] = field(default_factory=list)
    decisions_needed: list[DecisionLine] = field(default_factory=list)
    changes_awaiting: list[ChangeLine] = field(default_factory=list)
    releases: list[ReleaseLine] = field(default_factory=list)
    achievements: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    help_needed: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)  # decisions taken this period (narrative)
    commentary: list[CommentaryLine] = field(default_factory=list)
    # "published" (a status report the manager published), "draft" (a report not yet
    # published) or "computed" (no report: figures computed at send time, nobody reviewed them)
    status: str = "computed"
    published_at: dt.datetime | None = None
    published_by: str = ""
    schema: int = SCHEMA_VERSION

    def rag_of(self, dimension: str) -> RagLine | None:
        return next((line for line in self.rag if line.dimension == dimension), None)


# --- JSON ----------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


def to_json(snapshot: Snapshot) -> dict[str, Any]:
    """A JSON-ready dict (for a JSONField)."""
    return _encode(snapshot)


def _decode(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _decode(options[0], value)
    if origin is list:
        (item,) = typing.get_args(kind)
        return [_decode(item, v) for v in value]
    if origin is tuple:
        return tuple(_decode(k, v) for k, v in zip(typing.get_args(kind), value, strict=True))
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{
            f.name: _decode(hints[f.name], value[f.name])
            for f in dataclasses.fields(kind)
            if f.name in value
        })  # fmt: skip
    if kind is Decimal:
        return Decimal(value)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    return value


def from_json(data: dict[str, Any]) -> Snapshot:
    return _decode(Snapshot, data)
