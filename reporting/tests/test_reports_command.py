"""`build_report`: regenerates from the published snapshot, computes (and says so) otherwise,
and refuses a bad program or period with the reason."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from budgets.selectors.evm import program_today
from programs.tests.factories import ProgramFactory, manager_of
from reporting.periods import period_of, shift
from reporting.services import reports as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory(code="CMD", name="Command test")


def _run(*args) -> str:
    out = StringIO()
    call_command("build_report", *args, stdout=out)
    return out.getvalue()


def test_a_published_period_is_regenerated_from_its_stored_snapshot(program, tmp_path):
    manager = manager_of(program)
    week = shift(period_of(program_today(program)), -1)
    report = services.report_open(actor=manager, program=program, period=week)
    services.report_update(actor=manager, report=report, expected_version=1,
                           headline="Frozen words.")  # fmt: skip
    report = services.report_publish(actor=manager, report=report)
    text = _run("--program", "cmd", "--period", week, "--out", str(tmp_path))
    assert "published report's stored snapshot" in text
    assert (tmp_path / f"CMD-{week}-briefing.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / f"CMD-{week}-deck.pdf").read_bytes().startswith(b"%PDF")
    stored = json.loads((tmp_path / f"CMD-{week}-snapshot.json").read_text())
    assert stored == report.snapshot


def test_without_a_report_the_figures_are_computed_and_it_says_so(program, tmp_path):
    week = period_of(program_today(program))
    text = _run("--program", "CMD", "--period", week, "--out", str(tmp_path), "--format", "json")
    assert "computed now: no report exists" in text
    data = json.loads((tmp_path / f"CMD-{week}-snapshot.json").read_text())
    assert data["status"] == "computed"
    assert not (tmp_path / f"CMD-{week}-briefing.pdf").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--program", "NOPE", "--period", "2026-W10"], "no program 'NOPE'"),
        (["--program", "CMD", "--period", "2026-10"], "not an ISO week"),
        (["--program", "CMD", "--period", "2026-W54"], "has no week 54"),
    ],
)
def test_bad_input_is_refused_with_the_reason(program, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
