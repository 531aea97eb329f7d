"""The executive deck PDF, read back with poppler: nine 16:9 slides in order, each with its
figures from the snapshot, fonts embedded, and words instead of charts where data is missing."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from reporting.pdf import deck
from reporting.tests.snapshots import sample

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed"
)

TITLES = ["Summary", "Milestones", "The next 90 days", "Budget", "Risks", "Change requests",
          "Releases and readiness", "Decisions and asks"]  # fmt: skip


def _pages(tmp_path, pdf: bytes) -> tuple[list[str], str]:
    path = tmp_path / "deck.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and "Helvetica" not in fonts
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert round(width / height, 2) == round(16 / 9, 2)
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()], info


def test_the_deck_has_every_slide_in_order_with_its_figures(tmp_path):
    snapshot = sample()
    pages, _ = _pages(tmp_path, deck.render(snapshot))
    assert len(pages) == 9
    assert "ERP Migration to S/4HANA" in pages[0] and "week 2026-W48" in pages[0]
    assert "Sponsor: Daniel Okafor" in pages[0]
    for page, title in zip(pages[1:], TITLES, strict=True):
        assert page.startswith(title), (title, page[:80])
    assert "the rules said" not in pages[1] and "rules: amber" in pages[1]
    assert "UAT exit" in pages[2] and "+5 d" in pages[2] and "+15 d" in pages[2]
    assert "User acceptance test" in pages[3] and "01 Feb" in pages[3]
    for figure in ("EUR 2,600,000.00", "EUR 1,700,000.00", "EUR 2,569,000.00", "1.02 / 0.93"):
        assert figure in pages[4]
    assert "exposure 131" in pages[5] and "RSK-14" in pages[5] and "Sara Ibrahim" in pages[5]
    assert "CR-5" in pages[6] and "EUR 84,000.00" in pages[6]
    assert "Not ready" in pages[7] and "DEF-3" in pages[7]
    assert "DEC-6" in pages[8] and "legacy archive" in pages[8]


def test_missing_data_is_said_in_words(tmp_path):
    snapshot = sample(
        has_baseline=False, has_budget=False, budget=None, gantt=[], releases=[],
        changes_awaiting=[], decisions_needed=[], help_needed=[], top_risks=[], top_issues=[],
    )  # fmt: skip
    pages, _ = _pages(tmp_path, deck.render(snapshot))
    assert "Current plan" in pages[2] and "No baseline yet" in pages[2]
    assert "No work is planned in the next 90 days." in pages[3]
    assert "no budget yet" in pages[4]
    assert "No open risk or issue." in pages[5]
    assert "No change request is waiting for a decision." in pages[6]
    assert "No release is planned." in pages[7]
    assert "No decision or help is needed this week." in pages[8]
