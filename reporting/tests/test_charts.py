"""The PDF charts: axis arithmetic, and each chart drawn into a real PDF whose text an
independent reader (poppler's pdftotext) finds, in the embedded font."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import subprocess
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reportlab.graphics import renderPDF
from reportlab.pdfgen.canvas import Canvas

from reporting.pdf import charts, theme


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 2_600_000, [0, 1_000_000, 2_000_000, 3_000_000]),
        (0, 95, [0, 25, 50, 75, 100]),
        (-12_000, 120_000, [-50_000, 0, 50_000, 100_000, 150_000]),
        (0, 0, [0, 0.25, 0.5, 0.75, 1.0]),
    ],
)
def test_nice_ticks(low, high, expected):
    assert charts.nice_ticks(low, high) == expected


@given(st.integers(-(10**9), 10**9), st.integers(0, 10**9))  # amounts in whole units
def test_ticks_cover_the_range_evenly(low, extra):
    high = low + extra
    ticks = charts.nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high - 1e-6 * max(1.0, abs(high))
    steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
    assert len(steps) <= 2  # equal steps (floating rounding aside)
    assert 2 <= len(ticks) <= 12


@pytest.mark.parametrize(
    ("value", "text"),
    [(2_600_000, "2.6M"), (1_000_000, "1M"), (350_000, "350k"), (-12_000, "-12k"), (900, "900")],
)
def test_compact_amounts(value, text):
    assert charts.compact_amount(value) == text


def _pdf_text(tmp_path, *drawings) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "charts.pdf"
    theme.register_fonts()
    canvas = Canvas(str(path), initialFontName=theme.SANS)
    for drawing in drawings:
        renderPDF.draw(drawing, canvas, 20, 20)
        canvas.showPage()
    canvas.save()
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and "Helvetica" not in fonts  # embedded, never the base 14
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_line_chart_draws_labels_legend_and_reference(tmp_path):
    drawing = charts.line_chart(
        ["Mar 26", "Apr 26", "May 26"],
        [
            charts.Series("Plan", [D("100000"), D("250000"), D("400000")]),
            charts.Series("Actual", [D("90000"), D("260000"), None], theme.GREEN),
        ],
        width=300,
        height=160,
        references=[(D("400000"), "BAC €400k")],
        today_index=1.5,
    )
    text = _pdf_text(tmp_path, drawing)
    for expected in ("Plan", "Actual", "BAC €400k", "Mar 26", "May 26", "today", "400k"):
        assert expected in text


def test_variance_bars_label_each_row_with_its_signed_amount(tmp_path):
    drawing = charts.variance_bars([("Finance", 45_000), ("Data Migration", -12_000)], width=300)
    text = _pdf_text(tmp_path, drawing)
    assert "Finance" in text and "+45k" in text
    assert "Data Migration" in text and "-12k" in text


def test_heat_map_shows_the_count_in_each_cell(tmp_path):
    drawing = charts.heat_map({(5, 5): 2, (1, 3): 7}, size=160)
    text = _pdf_text(tmp_path, drawing)
    assert "Probability" in text and "Impact" in text
    assert "2" in text and "7" in text


def test_gantt_and_milestones_cut_long_names_and_show_slips(tmp_path):
    today = dt.date(2026, 11, 28)
    gantt = charts.gantt(
        [
            charts.GanttRow(
                "A task whose name is far too long for the label column of a chart",
                today,
                today + dt.timedelta(days=20),
                critical=True,
            ),
            charts.GanttRow("Go-live", dt.date(2027, 2, 1), dt.date(2027, 2, 1), milestone=True),
        ],
        start=today,
        end=today + dt.timedelta(days=90),
        today=today,
        width=400,
    )
    milestones = charts.milestone_chart(
        [charts.MilestoneRow("UAT exit", dt.date(2026, 12, 11), dt.date(2026, 12, 18))],
        width=400,
        today=today,
    )
    text = _pdf_text(tmp_path, gantt, milestones)
    assert "A task whose name" in text and "…" in text and "chart" not in text
    assert "01 Feb" in text and "Dec 2026" in text
    assert "UAT exit" in text and "+7 d" in text


def _cells(drawing) -> dict[tuple[int, int], tuple[str, str]]:
    """Each heat-map cell's (fill, ink) as hex, read from the drawing: cells are the 25 rounded
    rectangles in row-major order from probability 1, the strings centred on them."""
    from reportlab.graphics.shapes import Rect, String

    rects = [s for s in drawing.contents if isinstance(s, Rect) and s.rx][:25]
    strings = [s for s in drawing.contents if isinstance(s, String) and s.textAnchor == "middle"]
    found = {}
    for index, rect in enumerate(rects):
        probability, impact = index // 5 + 1, index % 5 + 1
        centre = (rect.x + rect.width / 2, rect.y + rect.height / 2)
        label = min(strings, key=lambda s: abs(s.x - centre[0]) + abs(s.y - centre[1]))
        found[(probability, impact)] = (
            rect.fillColor.hexval()[2:].lower(),
            label.fillColor.hexval()[2:].lower(),
            label.text,
        )
    return found


@pytest.mark.parametrize(
    ("probability", "impact", "band"),
    [
        (1, 1, "low"),
        (2, 2, "low"),
        (1, 5, "medium"),
        (3, 3, "medium"),
        (2, 5, "high"),
        (4, 4, "high"),
        (4, 5, "critical"),
        (5, 5, "critical"),
    ],
)
def test_heat_map_cells_use_the_raid_logs_score_bands_and_colours(probability, impact, band):
    """Bands as risks.choices.SCORE_BAND_RANGES (low 1-4, medium 5-9, high 10-16, critical
    20-25), colours as the RAID page's static/css/raid.css; empty cells faded like its .45."""
    from risks.choices import score_band

    assert score_band(probability * impact) == band
    fill, ink = theme.BAND_HEX[band]
    cells = _cells(charts.heat_map({(probability, impact): 3}, size=200))
    assert cells[(probability, impact)] == (fill[1:], ink[1:], "3")
    other = next(key for key in cells if key != (probability, impact))
    faded = theme.BAND_HEX[score_band(other[0] * other[1])][0]
    assert cells[other][0] == theme.faded_hex(faded)[1:] and cells[other][2] == "·"


def test_the_band_colours_are_the_raid_pages():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/raid.css").read_text()
    for band, (fill, ink) in theme.BAND_HEX.items():
        assert f".raid-band-{band} {{ --raid-cell: {fill}; --raid-ink: {ink}; }}" in css


def test_heat_map_legend_names_the_bands(tmp_path):
    text = _pdf_text(tmp_path, charts.heat_map({}, size=300, font_size=9))
    for label in ("Low 1–4", "Medium 5–9", "High 10–16", "Critical 20–25"):  # noqa: RUF001
        assert label in text


def test_gantt_darkens_the_done_share_of_the_whole_span_not_of_the_visible_part():
    from reportlab.graphics.shapes import Rect

    start = dt.date(2026, 11, 1)
    today = dt.date(2026, 11, 28)
    drawing = charts.gantt(
        [
            charts.GanttRow(
                "Half done, started a month ago", start, dt.date(2027, 1, 31), percent_complete=40
            )
        ],
        start=today,
        end=today + dt.timedelta(days=90),
        today=today,
        width=400,
    )
    bars = [s for s in drawing.contents if isinstance(s, Rect) and s.fillColor == theme.PRIMARY]
    # 40 % of 92 days from 1 Nov reaches 8 Dec: 10 of the window's 90 days
    (done,) = bars
    plot_left, plot_w = 400 * 0.32 + 4, 400 - 400 * 0.32 - 8
    assert done.x == pytest.approx(plot_left)
    assert done.width == pytest.approx(plot_w * 10 / 90, abs=0.5)


def test_line_chart_month_labels_never_collide_with_the_last_one(tmp_path):
    from reportlab.graphics.shapes import String

    months = ["Mar 26", "Apr 26", "May 26", "Jun 26", "Jul 26", "Aug 26", "Sep 26", "Oct 26",
              "Nov 26", "Dec 26", "Jan 27", "Feb 27"]  # fmt: skip
    drawing = charts.line_chart(months, [charts.Series("Plan", list(range(12)))], width=340,
                                height=150, font_size=10)  # fmt: skip
    labels = sorted((s.x, s.text) for s in drawing.contents
                    if isinstance(s, String) and s.text in months)  # fmt: skip
    assert labels[-1][1] == "Feb 27" and labels[0][1] == "Mar 26"
    for (x0, a), (x1, b) in itertools.pairwise(labels):
        assert x1 - x0 >= charts.stringWidth(a, theme.SANS, 10), (a, b)
