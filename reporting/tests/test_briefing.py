"""The executive briefing PDF, read back with independent readers (poppler's pdftotext and
pdffonts, and pypdf): every figure of the snapshot is on the page as the app prints it, it fits
two A4 pages whatever the snapshot holds, nothing overlaps or runs off the page, fonts are
embedded, and a program without a baseline or a budget gets a briefing that says so."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

from reportlab.pdfgen.canvas import Canvas

from reporting.pdf import briefing, theme
from reporting.snapshot import RagLine, from_json, to_json
from reporting.tests import pdf_reader as read
from reporting.tests.pdf_reader import needs_poppler
from reporting.tests.snapshots import bare, crowded, sample


def test_fonts_are_embedded_and_it_is_a4_without_poppler():
    pdf = briefing.render(sample())
    fonts = read.pypdf_fonts(pdf)
    assert fonts and all(fonts.values()), fonts
    assert all("DejaVuSans" in name for name in fonts), fonts  # never Helvetica
    assert [round(v) for v in read.page_size(pdf)] == [595, 842]
    assert 1 <= read.page_count(pdf) <= 2


@needs_poppler
def test_the_briefing_shows_every_figure_of_the_snapshot():
    snapshot = sample()
    pdf = briefing.render(snapshot)
    text = " ".join(read.pages_text(pdf))
    assert read.page_count(pdf) == 2
    assert all(embedded for _, embedded in read.fonts(pdf))
    assert not any("Helvetica" in name for name, _ in read.fonts(pdf))
    assert "ERP Migration to S/4HANA" in text and "week 2026-W48 (23–29 Nov 2026)" in text  # noqa: RUF001
    assert "Published 27 Nov 2026 by Priya Raman" in text
    assert "Overall RED: Risk and quality are red." in text
    for line in snapshot.rag[:-1]:
        assert line.reason.split(" (")[0] in text
    # the manager's override, with what the rules said and why
    assert "Red (computed Amber) — The data-archive decision blocks mock load 3." in text
    for milestone in [*snapshot.milestones_slipped, *snapshot.milestones_due]:
        assert milestone.name in text and milestone.key in text
        assert milestone.current.strftime("%d %b %Y") in text
    assert "UAT exit TSK-97 11 Dec 2026 18 Dec 2026 +5 d" in text
    assert "Go-live wave 1 TSK-120 11 Jan 2027 01 Feb 2027 +15 d" in text
    for figure in (
        "EUR 2,600,000.00",
        "EUR 1,700,000.00",
        "EUR 2,569,000.00",
        "EUR 31,000.00 under",
        "1.02 / 0.93",
    ):
        assert figure in text
    for risk in [*snapshot.top_risks, *snapshot.top_issues]:
        assert risk.key in text and risk.owner in text
    assert "RSK-14 Legacy archive decision delays mock load 3 20 Sara Ibrahim" in text
    assert "ISS-4 Bank test system down since 20 Nov Critical Kenji Tanaka" in text
    assert "DEC-6 Archive or migrate closed legacy years 04 Dec 2026 Daniel Okafor" in text
    assert "CR-5" in text and "EUR 84,000.00" in text
    for words in [
        *snapshot.achievements,
        *snapshot.next_steps,
        *snapshot.decisions,
        *snapshot.help_needed,
    ]:
        assert words in text
    for line in snapshot.commentary:
        assert line.workstream.split()[0] in text and line.text.split(";")[0] in text
    assert "Data Migration AMBER Mock load 3 waits" in text and "GREEN Design is frozen" in text
    assert "Testing RED Bank test system down" in text


@needs_poppler
def test_a_draft_is_marked_and_computed_figures_say_nobody_reviewed_them():
    draft = " ".join(read.pages_text(briefing.render(sample(status="draft", published_at=None))))
    assert "DRAFT: not yet published by the program manager" in draft
    assert "· DRAFT" in draft  # in every page's footer too
    assert "Published" not in draft
    computed = " ".join(read.pages_text(briefing.render(bare())))
    assert "Figures computed automatically, not reviewed by the program manager" in computed
    assert "DRAFT" not in computed


@needs_poppler
def test_a_program_without_baseline_or_budget_still_gets_a_correct_briefing():
    pdf = briefing.render(bare())
    text = " ".join(read.pages_text(pdf))
    assert read.page_count(pdf) == 1
    assert "The schedule has no baseline yet, so slips cannot be measured" in text
    assert "The program has no budget yet: cost is not reported." in text
    assert "Budget (current)" not in text and "Plan Actual Forecast" not in text  # no empty chart
    assert "No milestone is due in the next 30 days and none has slipped." in text
    assert "No open risk or issue." in text
    assert "No decision is waiting." in text
    assert "No change request is waiting for approval." in text
    assert "NOT RATED" in text
    assert not read.overlaps(pdf)


@needs_poppler
def test_a_budget_without_a_baseline_says_spi_cannot_be_measured():
    snapshot = sample(has_baseline=False, budget=dataclasses.replace(sample().budget, spi=None))
    text = " ".join(read.pages_text(briefing.render(snapshot)))
    assert "1.02 / —" in text
    assert "No schedule baseline: SPI cannot be measured." in text


@needs_poppler
def test_a_hundred_items_everywhere_still_fit_two_pages_without_overlap():
    snapshot = crowded(100)
    pdf = briefing.render(snapshot)
    pages = read.pages_text(pdf)
    text = " ".join(pages)
    assert len(pages) == 2
    assert read.overlaps(pdf) == []
    assert read.outside(pdf, margin=10) == []
    assert "+ 98 more" in text  # the lists say how much was left out
    assert "more workstreams" in text
    # keys never wrap: each is whole on one line
    lines = "\n".join(read.raw_lines(pdf))
    for key in ("DEC-10", "DEC-11", "CR-12", "CR-13", "RSK-100", "ISS-100"):
        assert key in lines
    assert "DRAFT" in text


@needs_poppler
def test_a_crowded_snapshot_keeps_every_section_on_the_pages():
    pdf = briefing.render(crowded(30))
    text = " ".join(read.pages_text(pdf))
    for title in (
        "Status by dimension",
        "Achievements this period",
        "Next steps",
        "Workstream commentary",
        "Milestones",
        "Budget burn",
        "Top risks and issues",
        "Decisions needed",
        "Decisions taken this period",
        "Change requests awaiting approval",
        "Help needed",
    ):
        assert title in text, title


@needs_poppler
def test_an_overridden_overall_rating_is_disclosed_in_the_headline():
    rag = [
        *sample().rag[:-1],
        RagLine(
            "overall",
            "amber",
            "Risk and quality are red.",
            computed_rag="red",
            override_reason="Recovery plan agreed.",
        ),
    ]
    text = " ".join(read.pages_text(briefing.render(sample(rag=rag))))
    assert "Overall AMBER: Risk and quality are red." in text
    assert "Amber (computed Red) — Recovery plan agreed." in text


@needs_poppler
def test_hostile_text_is_printed_not_interpreted():
    snapshot = sample(help_needed=["<b>bold</b> & <script>x</script> =SUM(A1)"])
    text = " ".join(read.pages_text(briefing.render(snapshot)))
    assert "<b>bold</b> & <script>x</script> =SUM(A1)" in text


@needs_poppler
def test_the_overlap_reader_finds_overlapping_words():
    """The overlap check the tests above rely on can fail."""
    theme.register_fonts()
    import io

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.setFont(theme.SANS, 12)
    canvas.drawString(100, 700, "Overlapping")
    canvas.drawString(110, 702, "words")
    canvas.drawString(100, 600, "Apart")
    canvas.save()
    pairs = read.overlaps(buffer.getvalue())
    assert [(a.text, b.text) for a, b in pairs] in (
        [("Overlapping", "words")],
        [("words", "Overlapping")],
    )


def test_a_snapshot_survives_its_json_round_trip_exactly():
    for snapshot in (sample(), crowded(5), bare()):
        restored = from_json(to_json(snapshot))
        assert restored == snapshot
        assert dataclasses.asdict(restored) == dataclasses.asdict(snapshot)
    assert from_json(to_json(sample())).budget.plan[3] == D("610000")  # Decimals, not floats
    assert from_json(to_json(sample())).published_at == dt.datetime(
        2026, 11, 27, 16, 30, tzinfo=dt.UTC
    )
