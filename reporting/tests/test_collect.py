"""The snapshot built from the domain apps: every figure equals what the domain's own selector
(the figure on its page) says, on the demo program; a program with no baseline and no budget
gets a snapshot, a RAG and PDFs that say so."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from budgets.selectors.evm import evm_report, program_today
from budgets.selectors.overview import overview_figures
from programs.models import Program
from programs.tests.factories import ProgramFactory
from releases.models import OPEN_DEFECT_STATUSES, Defect
from reporting.collect import collect, period_bounds
from reporting.pdf import briefing, deck
from reporting.snapshot import from_json, to_json
from risks.selectors import risk_exposure
from schedules.selectors.baselines import slipped_milestones

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("period", "monday", "sunday"),
    [
        ("2026-W48", dt.date(2026, 11, 23), dt.date(2026, 11, 29)),
        ("2026-W01", dt.date(2025, 12, 29), dt.date(2026, 1, 4)),
        ("2026-W53", dt.date(2026, 12, 28), dt.date(2027, 1, 3)),
    ],
)
def test_period_bounds_are_the_iso_week(period, monday, sunday):
    assert period_bounds(period) == (monday, sunday)


@pytest.mark.parametrize("bad", ["2026-48", "2026-W7", "W48", "", "2025-W53"])
def test_a_bad_period_is_refused_with_the_reason(bad):
    with pytest.raises(ValueError, match=r"ISO week|has no week"):
        period_bounds(bad)


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _pdf_text(tmp_path, pdf: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    return " ".join(text.split())


def test_a_program_without_baseline_or_budget_gets_a_report_that_says_so(tmp_path):
    program = ProgramFactory(name="Greenfield")
    snapshot = collect(program, period=_week(program_today(program)))
    assert not snapshot.has_baseline and not snapshot.has_budget and snapshot.budget is None
    rag = {line.dimension: line for line in snapshot.rag}
    assert rag["schedule"].rag == "grey" and "No baseline" in rag["schedule"].reason
    assert rag["cost"].rag == "grey" and "No budget" in rag["cost"].reason
    assert rag["overall"].rag == "green"  # scope, risk and quality are rated: nothing open
    assert from_json(to_json(snapshot)) == snapshot
    text = _pdf_text(tmp_path, briefing.render(snapshot))
    assert "no baseline yet" in text and "no budget yet" in text
    assert "no budget yet" in _pdf_text(tmp_path, deck.render(snapshot))


def test_a_budget_without_a_schedule_is_rated_on_its_forecast_not_on_a_cpi_of_zero():
    from budgets.tests import factories as budget

    program = ProgramFactory(name="Budget only", start_date=dt.date(2026, 1, 1))
    line = budget.make_line(program)
    month = dt.date(2026, 1, 1)
    budget.plan(line, month, "1000.00")
    budget.actual(line, month, "400.00")
    snapshot = collect(program, period=_week(program_today(program)))
    assert snapshot.has_budget and snapshot.budget.actual_to_date == Decimal("400.00")
    # nothing is planned in a schedule, so nothing is earned to compare the cost with
    assert snapshot.budget.cpi is None and snapshot.budget.spi is None
    cost = snapshot.rag_of("cost")
    assert cost.rag != "red" and "CPI" not in cost.reason


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def erp(seeded, db) -> Program:
    return Program.objects.get(code="ERP")


def test_the_demo_snapshot_agrees_with_every_domain_page(erp, tmp_path):
    today = program_today(erp)
    snapshot = collect(erp, period=_week(today))
    assert snapshot.status_date == today
    # budget: the budget overview's figures and the EVM page's indices
    figures = overview_figures(erp, today)
    burn = snapshot.budget
    assert snapshot.has_budget and burn is not None
    assert (burn.budget, burn.actual_to_date, burn.forecast_at_completion) == (
        figures.budget, figures.actual, figures.eac,
    )  # fmt: skip
    assert burn.variance_at_completion == figures.budget - figures.eac
    evm = evm_report(erp, status_date=today).total.value
    assert (burn.spi, burn.cpi) == (evm.spi, evm.cpi)
    assert burn.plan[-1] == figures.budget  # the cumulative plan ends at the budget
    # schedule: the slipped milestones of the current baseline, in working days
    slipped = slipped_milestones(erp)
    assert {m.key for m in snapshot.milestones_slipped} == {row["key"] for row in slipped}
    days = {row["key"]: row["days_late"] for row in slipped}
    assert all(m.slip_days == days[m.key] for m in snapshot.milestones_slipped)
    # risks: the heat map's exposure is the RAID log's
    assert snapshot.risk_exposure == risk_exposure(program=erp)["total_exposure"]
    assert sum(n for _p, _i, n in snapshot.heat_map) == risk_exposure(program=erp)["open_count"]
    # quality and releases
    open_sev1 = Defect.objects.filter(program=erp, status__in=OPEN_DEFECT_STATUSES, severity=1)
    quality = next(line for line in snapshot.rag if line.dimension == "quality")
    assert quality.rag == "red" and f"{open_sev1.count()} open severity-1" in quality.reason
    wave1 = next(r for r in snapshot.releases if r.key == "REL-1")
    assert not wave1.ready and any("severity-1" in reason for reason in wave1.failing)
    # the snapshot is stored and read back exactly, and both PDFs print its figures
    assert from_json(to_json(snapshot)) == snapshot
    text = _pdf_text(tmp_path, briefing.render(snapshot))
    assert f"EUR {figures.budget:,.2f}" in text
    assert f"EUR {figures.eac:,.2f}" in text
    slides = _pdf_text(tmp_path, deck.render(snapshot))
    assert f"EUR {figures.actual:,.2f}" in slides
    assert "REL-1" not in slides or "Not ready" in slides
    assert isinstance(burn.budget, Decimal)
