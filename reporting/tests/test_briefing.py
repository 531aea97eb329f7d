"""The executive briefing PDF, read back with poppler (pdftotext, pdfinfo, pdffonts): every
figure of the snapshot is on the page, it fits two pages, fonts are embedded, and a program
without a baseline or a budget gets a briefing that says so."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import pytest

from reporting.pdf import briefing
from reporting.snapshot import from_json, to_json
from reporting.tests.snapshots import sample

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed"
)


def _read(tmp_path, pdf: bytes) -> tuple[str, int, str]:
    path = tmp_path / "briefing.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return " ".join(text.split()), pages, fonts


def test_the_briefing_shows_every_figure_of_the_snapshot(tmp_path):
    snapshot = sample()
    text, pages, fonts = _read(tmp_path, briefing.render(snapshot))
    assert pages <= 2
    assert "DejaVuSans" in fonts and "Helvetica" not in fonts
    assert "ERP Migration to S/4HANA" in text and "week 2026-W48" in text
    assert "Overall RED: Risk and quality are red." in text
    for line in snapshot.rag[:-1]:
        assert line.reason.split(" (")[0] in text
    assert "the rules said amber" in text  # the override is disclosed with its reason
    for milestone in snapshot.milestones_slipped:
        assert milestone.name in text and f"+{milestone.slip_days} d" in text
    assert "+5 d" in text and "+15 d" in text
    for figure in ("EUR 2,600,000.00", "EUR 1,700,000.00", "EUR 2,569,000.00",
                   "EUR 31,000.00 under", "1.02 / 0.93"):  # fmt: skip
        assert figure in text
    for risk in [*snapshot.top_risks, *snapshot.top_issues]:
        assert risk.key in text and risk.owner in text
    assert "DEC-6" in text and "CR-5" in text and "EUR 84,000.00" in text


def test_a_program_without_baseline_or_budget_still_gets_a_correct_briefing(tmp_path):
    snapshot = sample(
        has_baseline=False, has_budget=False, budget=None, milestones_slipped=[],
        top_risks=[], top_issues=[], decisions_needed=[], changes_awaiting=[],
    )  # fmt: skip
    text, pages, _ = _read(tmp_path, briefing.render(snapshot))
    assert pages == 1
    assert "no baseline yet" in text
    assert "no budget yet" in text
    assert "No open risk or issue." in text
    assert "No decision is waiting." in text
    assert "No change request is waiting for approval." in text


def test_hostile_text_is_printed_not_interpreted(tmp_path):
    snapshot = sample(help_needed=["<b>bold</b> & <script>x</script> =SUM(A1)"])
    text, _, _ = _read(tmp_path, briefing.render(snapshot))
    assert "<b>bold</b> & <script>x</script> =SUM(A1)" in text


def test_a_snapshot_survives_its_json_round_trip_exactly():
    snapshot = sample()
    restored = from_json(to_json(snapshot))
    assert restored == snapshot
    assert dataclasses.asdict(restored) == dataclasses.asdict(snapshot)
    assert restored.budget.plan[3] == snapshot.budget.plan[3]  # Decimals, not floats
