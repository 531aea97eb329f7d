"""Charts for the briefing and the deck, drawn with reportlab.graphics from plain data.

Every function takes the figures a snapshot stores (lists, dates, Decimals) and returns a
`Drawing` of the size asked for; nothing here reads the database, so a past report redraws the
same charts from its stored snapshot. Text is in the embedded fonts (theme.register_fonts).

- `line_chart`: cumulative budget burn (plan, actual, forecast) and the EVM S-curve, with
  reference lines (BAC) and a "today" marker.
- `variance_bars`: a signed horizontal bar per workstream or category (over budget is red).
- `heat_map`: the RAID log's 5 x 5 probability x impact grid, in its score bands and colours,
  with the number of risks in each cell.
- `gantt`: bars of the next weeks' work with critical items in red and milestones as diamonds.
- `milestone_chart`: each milestone's baseline date and current date, the slip drawn between.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from . import common, theme

Number = Decimal | float | int

__all__ = [
    "GanttRow",
    "MilestoneRow",
    "Series",
    "compact_amount",
    "fit_text",
    "gantt",
    "heat_map",
    "line_chart",
    "milestone_chart",
    "nice_ticks",
    "variance_bars",
]


# --- helpers -------------------------------------------------------------------------------------


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis ticks (1, 2, 2.5 or 5 x 10^n apart) covering low..high, low included."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    if start > low:  # low / step underflowed to zero (a tiny negative low)
        start -= step
    ticks = [round(start, 10)]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(round(start + step * len(ticks), 10))
    return ticks


def compact_amount(value: float) -> str:
    """Axis labels: 1.2M, 350k, 900 (the currency is in the chart's title)."""
    size = abs(value)
    if size >= 1_000_000:
        text = f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    elif size >= 1_000:
        text = f"{value / 1_000:.0f}k"
    else:
        text = f"{value:.0f}"
    return text


def _text(x, y, text, size=theme.CAPTION, font=None, colour=theme.MUTED, anchor="start"):
    return String(
        x, y, text, fontName=font or theme.SANS, fontSize=size, fillColor=colour, textAnchor=anchor
    )


def _fit(text: str, width: float, size: float, font: str = theme.SANS) -> str:
    """Shorten text with an ellipsis until it fits `width` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


fit_text = _fit


def _drawing(width: float, height: float) -> Drawing:
    theme.register_fonts()
    return Drawing(width, height)


# --- line chart ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number | None]  # one per label; None where the series has no point
    colour: colors.Color = theme.PRIMARY
    dashed: bool = False


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: float,
    height: float,
    references: Sequence[tuple[Number, str]] = (),
    today_index: float | None = None,
    label_every: int | None = None,
    font_size: float = theme.CAPTION,
) -> Drawing:
    """Lines over shared x labels (months), a legend on top, horizontal reference lines."""
    drawing = _drawing(width, height)
    values = [float(v) for s in series for v in s.values if v is not None]
    values += [float(v) for v, _ in references]
    ticks = nice_ticks(min([0.0, *values]), max([1.0, *values]))
    left = max(stringWidth(compact_amount(t), theme.SANS, font_size) for t in ticks) + 6
    legend_h = font_size * 2.2
    bottom = font_size * 2.4
    plot_w, plot_h = width - left - 8, height - bottom - legend_h
    low, high = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return bottom + (value - low) / (high - low) * plot_h

    def x_of(index: float) -> float:
        return left + (index / max(len(labels) - 1, 1)) * plot_w

    for tick in ticks:
        drawing.add(
            Line(
                left, y_of(tick), left + plot_w, y_of(tick), strokeColor=theme.RULE, strokeWidth=0.5
            )
        )
        drawing.add(
            _text(
                left - 4,
                y_of(tick) - font_size / 3,
                compact_amount(tick),
                size=font_size,
                anchor="end",
            )
        )
    every = label_every or max(1, math.ceil(len(labels) / max(plot_w / (font_size * 5), 1)))
    last = len(labels) - 1
    room = stringWidth(max(labels, key=len, default=""), theme.SANS, font_size) + font_size
    for index, label in enumerate(labels):
        # every n-th month and the last one, but none so close to the last that they collide
        crowded = index != last and x_of(last) - x_of(index) < room
        if (index % every == 0 and not crowded) or index == last:
            drawing.add(
                _text(x_of(index), bottom - font_size * 1.4, label, size=font_size, anchor="middle")
            )
    for value, name in references:
        y = y_of(float(value))
        drawing.add(
            Line(
                left,
                y,
                left + plot_w,
                y,
                strokeColor=theme.INK,
                strokeWidth=0.8,
                strokeDashArray=[2, 2],
            )
        )
        drawing.add(
            _text(left + plot_w, y + 2, name, size=font_size, colour=theme.INK, anchor="end")
        )
    if today_index is not None and labels:
        x = x_of(today_index)
        drawing.add(
            Line(
                x,
                bottom,
                x,
                bottom + plot_h,
                strokeColor=theme.MUTED,
                strokeWidth=0.6,
                strokeDashArray=[1, 2],
            )
        )
        drawing.add(_text(x + 2, bottom + plot_h - font_size, "today", size=font_size))
    for item in series:
        run: list[float] = []
        for index, value in enumerate(item.values):
            if value is None:
                _add_run(drawing, run, item)
                run = []
                continue
            run += [x_of(index), y_of(float(value))]
        _add_run(drawing, run, item)
    x = left
    for item in series:
        drawing.add(
            Line(
                x,
                height - font_size,
                x + 14,
                height - font_size,
                strokeColor=item.colour,
                strokeWidth=2,
                strokeDashArray=[3, 2] if item.dashed else None,
            )
        )
        drawing.add(
            _text(x + 18, height - font_size * 1.35, item.name, size=font_size, colour=theme.INK)
        )
        x += 30 + stringWidth(item.name, theme.SANS, font_size)
    return drawing


def _add_run(drawing: Drawing, points: list[float], item: Series) -> None:
    if len(points) >= 4:
        drawing.add(
            PolyLine(
                points,
                strokeColor=item.colour,
                strokeWidth=1.6,
                strokeDashArray=[3, 2] if item.dashed else None,
            )
        )
    elif len(points) == 2:  # a single point: a dot, so it is not lost
        drawing.add(
            Rect(points[0] - 1.5, points[1] - 1.5, 3, 3, fillColor=item.colour, strokeColor=None)
        )


# --- variance bars -------------------------------------------------------------------------------


def variance_bars(
    rows: Sequence[tuple[str, Number]],
    *,
    width: float,
    bar_height: float = 12,
    font_size: float = theme.CAPTION,
) -> Drawing:
    """One bar per (name, variance): positive = over budget (red) to the right of zero,
    negative = under (green) to the left, each labelled with its amount."""
    names = [stringWidth(name, theme.SANS, font_size) for name, _ in rows]
    label_w = min(width * 0.38, max(names or [0]) + 6)
    height = max(len(rows), 1) * (bar_height + 4) + font_size * 2
    drawing = _drawing(width, height)
    amounts = [float(v) for _, v in rows] or [0.0]
    span = max(abs(min(amounts)), abs(max(amounts)), 1.0)
    value_w = stringWidth(compact_amount(-span) + "  ", theme.SANS, font_size)
    plot_left, plot_w = label_w + value_w, width - label_w - 2 * value_w
    under, over = -min(0.0, *amounts), max(0.0, *amounts)
    scale = plot_w / ((under + over) or 1)
    zero = plot_left + under * scale
    top = height - font_size
    for index, (name, value) in enumerate(rows):
        y = top - (index + 1) * (bar_height + 4)
        amount = float(value)
        bar = amount * scale
        colour = theme.RED if amount > 0 else theme.GREEN
        drawing.add(
            _text(
                0,
                y + bar_height / 3,
                _fit(name, label_w - 4, font_size),
                size=font_size,
                colour=theme.INK,
            )
        )
        drawing.add(
            Rect(min(zero, zero + bar), y, abs(bar), bar_height, fillColor=colour, strokeColor=None)
        )
        sign = "+" if amount > 0 else ""
        text_x = zero + bar + (3 if amount >= 0 else -3)
        drawing.add(
            _text(
                text_x,
                y + bar_height / 3,
                sign + compact_amount(amount),
                size=font_size,
                colour=theme.INK,
                anchor="start" if amount >= 0 else "end",
            )
        )
    drawing.add(Line(zero, 0, zero, top, strokeColor=theme.INK, strokeWidth=0.6))
    return drawing


# --- risk heat map -------------------------------------------------------------------------------


def _band_colours(probability: int, impact: int, filled: bool) -> tuple[colors.Color, colors.Color]:
    """A cell's fill and ink in the RAID page's colours for its score band."""
    fill, ink = theme.BAND_HEX[common.band_of(probability * impact)]
    return colors.HexColor(fill if filled else theme.faded_hex(fill)), colors.HexColor(ink)


def heat_map(
    counts: Mapping[tuple[int, int], int],
    *,
    size: float,
    font_size: float = theme.CAPTION,
    legend: bool = True,
) -> Drawing:
    """The RAID log's 5 x 5 grid: probability up the side (5 at the top) and impact along the
    bottom, each cell tinted by its score band as on the RAID page (low 1-4, medium 5-9, high
    10-16, critical 20-25; empty cells faded) with the number of open risks in it, and the
    bands' legend underneath."""
    margin = font_size * 3
    entries, rows, x = [], 1, margin  # the legend wraps onto a second row when it must
    for band, low, high in common.BANDS if legend else ():
        text = f"{theme.BAND_LABELS[band]} {low}–{high}"  # noqa: RUF001
        width = font_size * 1.4 + stringWidth(text, theme.SANS, font_size * 0.9)
        if x + width > size and x > margin:
            rows, x = rows + 1, margin
        entries.append((band, text, x, rows))
        x += width + font_size
    legend_h = (rows * font_size * 1.5 + font_size * 1.2) if legend else 0
    drawing = _drawing(size, size + legend_h)
    cell = (size - margin) / 5
    gap = max(1.5, cell * 0.05)
    base = legend_h + margin
    for probability in range(1, 6):
        for impact in range(1, 6):
            x = margin + (impact - 1) * cell
            y = base + (probability - 1) * cell
            n = counts.get((probability, impact), 0)
            fill, ink = _band_colours(probability, impact, bool(n))
            drawing.add(
                Rect(
                    x + gap / 2,
                    y + gap / 2,
                    cell - gap,
                    cell - gap,
                    rx=2,
                    ry=2,
                    fillColor=fill,
                    strokeColor=None,
                )
            )
            label, font = (str(n), theme.SANS_BOLD) if n else ("·", theme.SANS)
            drawing.add(
                _text(
                    x + cell / 2,
                    y + cell / 2 - font_size * 0.5,
                    label,
                    size=font_size * 1.4,
                    font=font,
                    colour=ink if n else theme.MUTED,
                    anchor="middle",
                )
            )
        drawing.add(
            _text(
                margin - 4,
                base + (probability - 0.5) * cell - font_size / 3,
                str(probability),
                size=font_size,
                anchor="end",
            )
        )
    for impact in range(1, 6):
        drawing.add(
            _text(
                margin + (impact - 0.5) * cell,
                base - font_size * 1.3,
                str(impact),
                size=font_size,
                anchor="middle",
            )
        )
    drawing.add(
        _text(
            margin + 2.5 * cell,
            base - font_size * 2.6,
            "Impact",
            size=font_size,
            colour=theme.INK,
            anchor="middle",
        )
    )
    label = _text(0, 0, "Probability", size=font_size, colour=theme.INK, anchor="middle")
    group = Group(label)
    group.translate(font_size, base + 2.5 * cell)
    group.rotate(90)
    drawing.add(group)
    for band, text, x, row in entries:
        y = (rows - row) * font_size * 1.5 + font_size * 0.2
        drawing.add(
            Rect(
                x,
                y,
                font_size,
                font_size,
                rx=1.5,
                ry=1.5,
                fillColor=colors.HexColor(theme.BAND_HEX[band][0]),
                strokeColor=None,
            )
        )
        drawing.add(_text(x + font_size * 1.4, y + font_size * 0.15, text, size=font_size * 0.9))
    return drawing


# --- time axis charts ----------------------------------------------------------------------------


def _month_ticks(start: dt.date, end: dt.date) -> list[dt.date]:
    ticks = []
    month = start.replace(day=1)
    while month <= end:
        if month >= start:
            ticks.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return ticks


def _week_ticks(start: dt.date, end: dt.date) -> list[dt.date]:
    monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    return [monday + dt.timedelta(weeks=n) for n in range(((end - monday).days // 7) + 1)]


def _done_until(start: dt.date, finish: dt.date, percent: int) -> dt.date:
    span = (finish - start).days + 1
    return start + dt.timedelta(days=round(span * min(percent, 100) / 100))


done_until = _done_until


@dataclass(frozen=True)
class GanttRow:
    name: str
    start: dt.date
    finish: dt.date
    critical: bool = False
    milestone: bool = False
    percent_complete: int = 0
    summary: bool = False


def gantt(
    rows: Sequence[GanttRow],
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    width: float,
    row_height: float = 13,
    font_size: float = theme.CAPTION,
) -> Drawing:
    """Bars from start to finish clipped to the window, done part darker, critical work in red,
    milestones as diamonds, a week grid with month labels and a line at today."""
    header = font_size * 2.2
    height = header + max(len(rows), 1) * row_height + 2
    drawing = _drawing(width, height)
    label_w = width * 0.32
    plot_left, plot_w = label_w + 4, width - label_w - 8
    days = max((end - start).days, 1)

    def x_of(day: dt.date) -> float:
        offset = min(max((day - start).days, 0), days)
        return plot_left + offset / days * plot_w

    top = height - header
    for week in _week_ticks(start, end):
        drawing.add(Line(x_of(week), 0, x_of(week), top, strokeColor=theme.RULE, strokeWidth=0.4))
    for month in _month_ticks(start, end) or [start]:
        drawing.add(
            _text(
                x_of(month) + 2,
                top + font_size * 0.6,
                month.strftime("%b %Y"),
                size=font_size,
                colour=theme.INK,
            )
        )
    for index, row in enumerate(rows):
        y = top - (index + 1) * row_height
        font = theme.SANS_BOLD if row.summary else theme.SANS
        drawing.add(
            _text(
                0,
                y + row_height * 0.3,
                _fit(row.name, label_w - 4, font_size, font),
                size=font_size,
                font=font,
                colour=theme.INK,
            )
        )
        colour = theme.RED if row.critical else (theme.INK if row.summary else theme.PRIMARY)
        if row.milestone:
            cx, cy, r = x_of(row.finish), y + row_height / 2, row_height * 0.36
            if start <= row.finish <= end:
                drawing.add(
                    Polygon(
                        [cx, cy + r, cx + r, cy, cx, cy - r, cx - r, cy],
                        fillColor=colour,
                        strokeColor=None,
                    )
                )
                drawing.add(
                    _text(
                        cx + r + 2,
                        cy - font_size / 3,
                        row.finish.strftime("%d %b"),
                        size=font_size * 0.9,
                    )
                )
            continue
        x0, x1 = x_of(row.start), x_of(row.finish + dt.timedelta(days=1))
        if x1 <= x0:
            continue
        bar_h = row_height * (0.3 if row.summary else 0.55)
        bar_y = y + (row_height - bar_h) / 2
        light = colors.Color(colour.red, colour.green, colour.blue, alpha=0.35)
        drawing.add(Rect(x0, bar_y, x1 - x0, bar_h, fillColor=light, strokeColor=None))
        if row.percent_complete:  # done up to the date that share of the whole span reaches
            done_x = x_of(_done_until(row.start, row.finish, row.percent_complete))
            if done_x > x0:
                drawing.add(
                    Rect(x0, bar_y, min(done_x, x1) - x0, bar_h, fillColor=colour, strokeColor=None)
                )
    if start <= today <= end:
        x = x_of(today)
        drawing.add(
            Line(x, 0, x, top, strokeColor=theme.RED, strokeWidth=0.8, strokeDashArray=[2, 2])
        )
    return drawing


@dataclass(frozen=True)
class MilestoneRow:
    name: str
    baseline: dt.date | None  # None: not in the baseline
    current: dt.date
    done: bool = False
    slip_days: int | None = None  # working days late; None: calendar days between the dates


def milestone_chart(
    rows: Sequence[MilestoneRow],
    *,
    width: float,
    today: dt.date,
    row_height: float = 14,
    font_size: float = theme.CAPTION,
) -> Drawing:
    """Each milestone on a shared time axis: a hollow diamond at its baseline date, a filled one
    at its current date (green when done or on time, amber up to 10 days late, red beyond),
    and a line between them showing the slip."""
    dates = [d for r in rows for d in (r.baseline, r.current) if d] + [today]
    start = min(dates).replace(day=1)
    end = max(dates) + dt.timedelta(days=20)
    header = font_size * 2.2
    height = header + max(len(rows), 1) * row_height + 2
    drawing = _drawing(width, height)
    label_w = width * 0.34
    plot_left, plot_w = label_w + 4, width - label_w - 40
    days = max((end - start).days, 1)

    def x_of(day: dt.date) -> float:
        return plot_left + (day - start).days / days * plot_w

    top = height - header
    free_from = -1.0  # month labels are skipped where the previous one would overlap
    for month in _month_ticks(start, end):
        drawing.add(Line(x_of(month), 0, x_of(month), top, strokeColor=theme.RULE, strokeWidth=0.4))
        label = month.strftime("%b %y")
        if x_of(month) >= free_from:
            drawing.add(_text(x_of(month) + 2, top + font_size * 0.6, label, size=font_size))
            free_from = x_of(month) + stringWidth(label, theme.SANS, font_size) + 8
    for index, row in enumerate(rows):
        y = top - (index + 1) * row_height
        cy, r = y + row_height / 2, row_height * 0.32
        drawing.add(
            _text(
                0,
                y + row_height * 0.3,
                _fit(row.name, label_w - 4, font_size),
                size=font_size,
                colour=theme.INK,
            )
        )
        slip = row.slip_days
        if slip is None:
            slip = (row.current - row.baseline).days if row.baseline else 0
        colour = theme.GREEN if row.done or slip <= 0 else theme.AMBER if slip <= 10 else theme.RED
        if row.baseline and row.baseline != row.current:
            drawing.add(
                Line(
                    x_of(row.baseline),
                    cy,
                    x_of(row.current),
                    cy,
                    strokeColor=colour,
                    strokeWidth=1.2,
                )
            )
        if row.baseline:
            bx = x_of(row.baseline)
            drawing.add(
                Polygon(
                    [bx, cy + r, bx + r, cy, bx, cy - r, bx - r, cy],
                    fillColor=theme.PAPER,
                    strokeColor=theme.MUTED,
                    strokeWidth=0.8,
                )
            )
        cx = x_of(row.current)
        drawing.add(
            Polygon(
                [cx, cy + r, cx + r, cy, cx, cy - r, cx - r, cy], fillColor=colour, strokeColor=None
            )
        )
        if slip > 0:
            drawing.add(
                _text(cx + r + 2, cy - font_size / 3, f"+{slip} d", size=font_size, colour=colour)
            )
    x = x_of(today)
    drawing.add(Line(x, 0, x, top, strokeColor=theme.RED, strokeWidth=0.8, strokeDashArray=[2, 2]))
    return drawing
