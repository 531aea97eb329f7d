"""Words and figures the briefing, the deck and the PowerPoint export all print the same way:
the report's status line, RAG words and overrides, dates, indices, amounts, shortened text and
the choice of milestones a chart has room for. Plain strings only (no reportlab), so the .pptx
export shares them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from core.templatetags.money import money
from risks.choices import SCORE_BAND_RANGES, Severity, score_band

from ..snapshot import MilestoneLine, RagLine, RiskLine, Snapshot

__all__ = [
    "DIMENSION_LABELS",
    "band_of",
    "chart_milestones",
    "date",
    "impact_days",
    "index",
    "money",
    "more",
    "override_text",
    "period_range",
    "rag_word",
    "rating",
    "shorten",
    "status_line",
    "take",
    "variance_text",
]

DIMENSION_LABELS = {
    "schedule": "Schedule",
    "cost": "Cost",
    "scope": "Scope",
    "risk": "Risk",
    "quality": "Quality",
    "overall": "Overall",
}
T = TypeVar("T")
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "Not rated"}
BANDS = tuple((str(band), low, high) for band, (low, high) in SCORE_BAND_RANGES.items())


def rag_word(rag: str) -> str:
    return RAG_WORDS.get(rag, rag.capitalize())


def band_of(score: int) -> str:
    """The RAID log's band of a probability x impact score ("low" ... "critical")."""
    return score_band(score) or ("critical" if score > BANDS[-1][1] else "low")


def rating(line: RiskLine) -> str:
    """A risk's score (probability x impact, "20"); an issue's severity in words ("Critical")."""
    if line.kind == "issue":
        return Severity(line.score).label if line.score in Severity.values else str(line.score)
    return str(line.score)


def date(value: dt.date | None, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt) if value else "—"


def period_range(start: dt.date, end: dt.date) -> str:
    """A week or a span as people write it: 23-29 Nov 2026, 30 Nov - 6 Dec 2026 (en dashes)."""
    if start.year != end.year:
        return f"{start:%-d %b %Y} – {end:%-d %b %Y}"  # noqa: RUF001
    if start.month != end.month:
        return f"{start:%-d %b} – {end:%-d %b %Y}"  # noqa: RUF001
    return f"{start:%-d}–{end:%-d %b %Y}"  # noqa: RUF001


def index(value: Decimal | None) -> str:
    """SPI / CPI as the EVM page prints them: two decimals, a dash when unknown."""
    return "—" if value is None else f"{Decimal(value).quantize(Decimal('0.01'))}"


def variance_text(vac: Decimal, currency: str) -> str:
    """Variance at completion: budget - forecast; negative is an overrun."""
    return money(abs(vac), currency) + (" under" if vac >= 0 else " over")


def impact_days(days: int | None) -> str:
    return "—" if days is None else f"{days:+d} d" if days else "none"


def more(hidden: int, noun: str = "") -> str:
    return f"+ {hidden} more{' ' + noun if noun else ''}"


def shorten(text: str, limit: int) -> str:
    """One paragraph of at most `limit` characters, cut at a word with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


def status_line(snapshot: Snapshot) -> str:
    """Whose word the figures are: published by the manager, a draft, or computed unreviewed."""
    if snapshot.status == "published":
        when = f" {snapshot.published_at:%d %b %Y}" if snapshot.published_at else ""
        who = f" by {snapshot.published_by}" if snapshot.published_by else ""
        return f"Published{when}{who}"
    if snapshot.status == "draft":
        return "DRAFT: not yet published by the program manager; figures may change"
    return "Figures computed automatically, not reviewed by the program manager"


def override_text(line: RagLine) -> str:
    """ "Amber (computed Red) — reason" for a rating the manager set; "" for a computed one."""
    if not line.override_reason and not line.computed_rag:
        return ""
    computed = f" (computed {rag_word(line.computed_rag)})" if line.computed_rag else ""
    reason = f" — {line.override_reason}" if line.override_reason else ""
    return f"{rag_word(line.rag)}{computed}{reason}"


def chart_milestones(snapshot: Snapshot, limit: int) -> tuple[list[MilestoneLine], int]:
    """The milestones a chart has room for, by date: those still open first (nearest first),
    then the most recently done; and how many are left out."""
    lines = list(snapshot.milestones)
    if len(lines) <= limit:
        return lines, 0
    open_ = [m for m in lines if not m.done]
    done = [m for m in lines if m.done]
    chosen = open_[:limit]
    chosen += done[-(limit - len(chosen)) :] if len(chosen) < limit else []
    chosen.sort(key=lambda m: (m.current, m.key))
    return chosen, len(lines) - len(chosen)


def take(items: Sequence[T], limit: int) -> tuple[list[T], int]:
    """The first `limit` items and how many were left out."""
    return list(items[:limit]), max(len(items) - limit, 0)
