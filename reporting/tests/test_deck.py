"""The executive deck PDF, read back with poppler and pypdf: nine 16:9 slides in order, each with
its figures from the snapshot, fonts embedded, words instead of charts where data is missing,
and with a hundred items in every list still nothing overlapping or running off a slide."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from reporting.pdf import deck
from reporting.snapshot import MilestoneLine
from reporting.tests import pdf_reader as read
from reporting.tests.pdf_reader import needs_poppler
from reporting.tests.snapshots import bare, crowded, sample

TITLES = [
    "Summary",
    "Milestones",
    "The next 90 days",
    "Budget",
    "Risks",
    "Change requests",
    "Releases and readiness",
    "Decisions and asks",
]


def test_nine_embedded_font_16_9_slides_without_poppler():
    pdf = deck.render(sample())
    assert read.page_count(pdf) == 9
    width, height = read.page_size(pdf)
    assert round(width / height, 2) == round(16 / 9, 2)
    fonts = read.pypdf_fonts(pdf)
    assert fonts and all(fonts.values()) and all("DejaVuSans" in name for name in fonts), fonts


@needs_poppler
def test_the_deck_has_every_slide_in_order_with_its_figures():
    snapshot = sample()
    pdf = deck.render(snapshot)
    pages = read.pages_text(pdf)
    assert len(pages) == 9
    assert not any("Helvetica" in name or not embedded for name, embedded in read.fonts(pdf))
    assert "ERP Migration to S/4HANA" in pages[0] and "week 2026-W48" in pages[0]
    assert "Sponsor: Daniel Okafor" in pages[0]
    assert "Published 27 Nov 2026 by Priya Raman" in pages[0]
    for page, title in zip(pages[1:], TITLES, strict=True):
        assert page.startswith(title), (title, page[:80])
    summary = read.pages_text(pdf, layout=False)[1]  # two columns: read each down
    assert "Red (computed Amber) — The data-archive decision blocks mock load 3." in summary
    for words in [*snapshot.achievements, *snapshot.next_steps]:
        assert words in summary
    for line in snapshot.commentary:
        assert line.workstream in summary and line.rag.upper() in summary
    assert "UAT exit" in pages[2] and "+5 d" in pages[2] and "+15 d" in pages[2]
    assert "User acceptance test" in pages[3] and "01 Feb" in pages[3]
    for figure in (
        "EUR 2,600,000.00",
        "EUR 1,700,000.00",
        "EUR 2,569,000.00",
        "EUR 31,000.00 under",
        "1.02 / 0.93",
        "-45k",
        "+76k",
    ):
        assert figure in pages[4]
    assert "exposure 131" in pages[5] and "RSK-14" in pages[5] and "Sara Ibrahim" in pages[5]
    assert "Low 1–4 Medium 5–9 High 10–16" in pages[5] and "Critical 20–25" in pages[5]  # noqa: RUF001
    assert "ISS-4 Bank test system down since 20 Nov Critical Kenji Tanaka" in pages[5]
    assert "CR-5 Extend wave 1 hypercare" in pages[6] and "EUR 84,000.00" in pages[6]
    assert "Not ready" in pages[7] and "DEF-3" in pages[7]
    assert "DEC-6" in pages[8] and "legacy archive" in pages[8]
    assert snapshot.decisions[0] in pages[8]


@needs_poppler
def test_missing_data_is_said_in_words():
    pages = read.pages_text(deck.render(bare()))
    assert len(pages) == 9
    assert "Figures computed automatically, not reviewed by the program manager" in pages[0]
    assert "Current plan" in pages[2] and "No baseline yet" in pages[2]
    assert "No work is planned in the next 90 days." in pages[3]
    assert "The program has no budget yet: cost is not reported." in pages[4]
    assert (
        "Figure Value" not in pages[4] and "Plan Actual Forecast" not in pages[4]
    )  # no empty chart
    assert "No open risk or issue." in pages[5]
    assert "No change request is waiting for a decision." in pages[6]
    assert "No release is planned." in pages[7]
    assert "No decision or help is needed this week." in pages[8]


@needs_poppler
def test_a_draft_is_marked_on_every_slide():
    pages = read.pages_text(deck.render(sample(status="draft", published_at=None)))
    assert all("DRAFT" in page for page in pages)
    assert "Published" not in " ".join(pages)


@needs_poppler
@pytest.mark.parametrize("n", [1, 100])
def test_nothing_overlaps_or_runs_off_a_slide(n):
    snapshot = crowded(n)
    pdf = deck.render(snapshot)
    pages = read.pages_text(pdf)
    assert len(pages) == 9
    assert read.overlaps(pdf) == []
    assert read.outside(pdf, margin=5) == []
    if n == 100:
        assert "+ 86 more milestones" in pages[2]
        assert "+ 82 more items" in pages[3]
        assert len(re.findall(r"\+ \d+ more", pages[1])) == 3  # achievements, steps, workstreams
        assert "more workstreams" in pages[4]
        assert "+ 95 more risks · + 97 more issues in the RAID log" in pages[5]
        assert "more change requests" in pages[6] and "more releases" in pages[7]
        assert "more decisions" in pages[8]


@needs_poppler
def test_keys_never_wrap_on_the_asks_and_change_slides():
    pdf = deck.render(crowded(30))
    lines = read.raw_lines(pdf)
    for key in ("DEC-10", "DEC-11", "CR-12", "CR-13", "RSK-100"):
        assert any(key in line for line in lines), key
    words = {w.text for w in read.words(pdf)[0]}
    assert "DEC-" not in words and "CR-" not in words


@needs_poppler
def test_the_milestones_a_full_chart_shows_are_the_open_ones_nearest_first():
    day = dt.date(2026, 11, 2)
    milestones = [
        MilestoneLine(
            f"TSK-{i}",
            f"Milestone {i:02d}",
            day + dt.timedelta(days=7 * i),
            day + dt.timedelta(days=7 * i),
            done=i < 8,
        )
        for i in range(30)
    ]
    pages = read.pages_text(deck.render(sample(milestones=milestones)))
    shown = re.findall(r"Milestone (\d\d)", pages[2])
    assert shown == [f"{i:02d}" for i in range(8, 22)]  # 14 open ones from the nearest
    assert "+ 16 more milestones (done earlier or due later)" in pages[2]
