"""The PowerPoint export, read back with python-pptx: the nine 16:9 slides of the PDF deck as
editable native objects (tables, a chart holding the snapshot's budget figures, shapes), every
run in DejaVu Sans, the same words and colours, and words instead of charts where data is
missing."""

from __future__ import annotations

import io

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Emu

from reporting import pptx
from reporting.pdf import theme
from reporting.tests.snapshots import bare, crowded, sample


def _open(snapshot):
    return Presentation(io.BytesIO(pptx.render(snapshot)))


def _texts(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return " ".join(" ".join(parts).split())


def _shape(slide, name):
    return next(shape for shape in slide.shapes if shape.name == name)


def _table(slide, name) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in _shape(slide, name).table.rows]


def _fill(shape_or_cell) -> str:
    return str(shape_or_cell.fill.fore_color.rgb).lower()


def test_nine_16_9_slides_with_the_decks_titles():
    deck = _open(sample())
    assert len(deck.slides) == 9
    assert deck.slide_width == Emu(12192000) and deck.slide_height == Emu(6858000)  # 13.33 x 7.5"
    for slide, title in zip(list(deck.slides)[1:], pptx.SLIDE_TITLES[1:], strict=True):
        assert _shape(slide, "Title").text_frame.text == title
    assert deck.core_properties.title == "ERP Migration to S/4HANA: executive deck 2026-W48"


def test_every_run_names_dejavu_sans():
    deck = _open(crowded(5))
    fonts = set()
    for slide in deck.slides:
        for shape in slide.shapes:
            frames = [shape.text_frame] if shape.has_text_frame else []
            if shape.has_table:
                frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
            for frame in frames:
                fonts |= {run.font.name for p in frame.paragraphs for run in p.runs}
    assert fonts == {theme.FONT_FAMILY}


def test_title_and_summary_carry_the_status_ratings_and_words():
    snapshot = sample()
    slides = list(_open(snapshot).slides)
    title = _texts(slides[0])
    assert "ERP Migration to S/4HANA" in title and "Sponsor: Daniel Okafor" in title
    assert _shape(slides[0], "Status").text_frame.text == "Published 27 Nov 2026 by Priya Raman"
    assert "RED" in title and "Risk and quality are red." in title
    rows = _table(slides[1], "RAG table")
    assert rows[0] == ["", "Status", "Why"]
    assert [row[:2] for row in rows[1:]] == [
        ["Schedule", "AMBER"],
        ["Cost", "GREEN"],
        ["Scope", "AMBER"],
        ["Risk", "RED"],
        ["Quality", "RED"],
        ["Overall", "RED"],
    ]
    assert rows[4][2].startswith("Red (computed Amber) — The data-archive decision blocks")
    assert "Rules: Risk exposure 131" in rows[4][2]
    table = _shape(slides[1], "RAG table").table
    assert [_fill(table.cell(r, 1)) for r in range(1, 7)] == [
        theme.RAG_HEX[line.rag][1:] for line in snapshot.rag
    ]
    summary = _texts(slides[1])
    for words in [*snapshot.achievements, *snapshot.next_steps]:
        assert words in summary
    for line in snapshot.commentary:
        assert line.workstream in summary and line.text in summary


def test_the_budget_chart_holds_the_snapshots_figures():
    snapshot = sample()
    slide = list(_open(snapshot).slides)[4]
    chart = _shape(slide, "Budget S-curve").chart
    assert list(chart.plots[0].categories) == snapshot.budget.months
    series = {s.name: list(s.values) for s in chart.plots[0].series}
    for name, values in (
        ("Plan", snapshot.budget.plan),
        ("Actual", snapshot.budget.actual),
        ("Forecast", snapshot.budget.forecast),
    ):
        assert series[name] == [None if v is None else float(v) for v in values], name
    assert set(series["Budget"]) == {2_600_000.0}
    figures = dict(_table(slide, "Budget figures")[1:])
    assert figures == {
        "Budget": "EUR 2,600,000.00",
        "Actual to date": "EUR 1,700,000.00",
        "Forecast at completion": "EUR 2,569,000.00",
        "Variance at completion": "EUR 31,000.00 under",
        "CPI / SPI": "1.02 / 0.93",
    }
    bars = _shape(slide, "Variance by workstream").chart.plots[0]
    assert list(bars.series[0].values) == [-45000.0, 76000.0]
    assert [
        str(p.format.fill.fore_color.rgb).lower()
        for p in (bars.series[0].points[0], bars.series[0].points[1])
    ] == ["2fb344", "d63939"]


def test_risks_changes_releases_and_asks_match_the_snapshot():
    snapshot = sample()
    slides = list(_open(snapshot).slides)
    heat = {shape.name: shape for shape in slides[5].shapes if shape.name.startswith("Heat ")}
    assert len(heat) == 25
    for probability, impact, n in snapshot.heat_map:
        cell = heat[f"Heat {probability}x{impact}"]
        assert cell.text_frame.text == str(n)
        band = (
            "critical"
            if probability * impact >= 20
            else "high"
            if probability * impact >= 10
            else "medium"
            if probability * impact >= 5
            else "low"
        )
        assert _fill(cell) == theme.BAND_HEX[band][0][1:]
    assert heat["Heat 1x1"].text_frame.text == "·"
    assert _table(slides[5], "Top risks")[1:] == [
        ["RSK-14", "Legacy archive decision delays mock load 3", "20", "Sara Ibrahim"],
        ["RSK-3", "Key users unavailable during year-end close", "16", "Ana Souza"],
        ["ISS-4", "Bank test system down since 20 Nov", "Critical", "Kenji Tanaka"],
    ]
    assert "exposure 131" in _texts(slides[5])
    assert _table(slides[6], "Change requests")[1] == [
        "CR-5",
        "Extend wave 1 hypercare from four to six weeks",
        "assessed",
        "EUR 84,000.00",
        "none",
        "20 Nov 2026",
    ]
    release = _table(slides[7], "Releases")[1]
    assert release[0] == "1.0 Wave 1: Finance go-live" and release[1] == "01 Feb 2027"
    assert release[3].startswith("Not ready: 1 open severity-1 defect: DEF-3")
    assert _table(slides[8], "Decisions needed")[1] == [
        "DEC-6",
        "Archive or migrate closed legacy years",
        "04 Dec 2026",
        "Daniel Okafor",
    ]
    asks = _texts(slides[8])
    assert snapshot.help_needed[0] in asks and snapshot.decisions[0] in asks


def test_milestones_and_gantt_are_native_shapes():
    snapshot = sample()
    slides = list(_open(snapshot).slides)
    names = [s.name for s in slides[2].shapes]
    for milestone in snapshot.milestones:
        assert f"Milestone {milestone.key}" in names
    assert "+15 d" in _texts(slides[2])
    assert "Bar TSK-96" in [s.name for s in slides[3].shapes]
    autoshapes = [s for s in slides[3].shapes if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
    assert any(_fill(s) == theme.RAG_HEX["red"][1:] for s in autoshapes)  # critical work


def test_a_program_without_baseline_or_budget_says_so():
    slides = list(_open(bare()).slides)
    assert len(slides) == 9
    assert "Figures computed automatically" in _texts(slides[0])
    assert "No baseline yet" in _texts(slides[2])
    assert "The program has no budget yet: cost is not reported." in _texts(slides[4])
    assert not any(shape.has_chart for shape in slides[4].shapes)
    assert "No open risk or issue." in _texts(slides[5])
    assert "No change request is waiting for a decision." in _texts(slides[6])
    assert "No release is planned." in _texts(slides[7])
    assert "No decision or help is needed this week." in _texts(slides[8])


@pytest.mark.parametrize("n", [0, 100])
def test_long_lists_end_in_more_and_shapes_stay_on_the_slide(n):
    deck = _open(crowded(n) if n else bare())
    slides = list(deck.slides)
    for slide in slides:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, shape.name
            assert shape.left + shape.width <= deck.slide_width, shape.name
            assert shape.top + shape.height <= deck.slide_height, shape.name
    if n:
        assert all("DRAFT" in _texts(slide) for slide in slides)
        assert "+ 92 more change requests" in _texts(slides[6])
        assert "+ 96 more decisions" in _texts(slides[8])
        assert "+ 95 more risks · + 97 more issues in the RAID log" in _texts(slides[5])
        assert "more workstreams" in _texts(slides[1])
