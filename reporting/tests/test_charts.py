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
            charts.GanttRow("A task whose name is far too long for the label column of a chart",
                            today, today + dt.timedelta(days=20), critical=True),
            charts.GanttRow("Go-live", dt.date(2027, 2, 1), dt.date(2027, 2, 1), milestone=True),
        ],
        start=today, end=today + dt.timedelta(days=90), today=today, width=400,
    )  # fmt: skip
    milestones = charts.milestone_chart(
        [charts.MilestoneRow("UAT exit", dt.date(2026, 12, 11), dt.date(2026, 12, 18))],
        width=400,
        today=today,
    )
    text = _pdf_text(tmp_path, gantt, milestones)
    assert "A task whose name" in text and "…" in text and "chart" not in text
    assert "01 Feb" in text and "Dec 2026" in text
    assert "UAT exit" in text and "+7 d" in text
