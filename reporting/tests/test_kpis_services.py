"""KPI definitions, the weekly recording, manual values, and the cards' RAG and trend."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import Refused
from core.models import AuditEntry
from core.tests.factories import UserFactory
from programs.tests.factories import ProgramFactory, manager_of, member
from reporting import kpis as registry
from reporting.models import KpiDefinition, KpiValue
from reporting.periods import shift
from reporting.rag import Rag
from reporting.selectors.kpis import current_period, kpi_cards, kpi_rag, kpi_trend
from reporting.services.kpis import (
    kpi_create,
    kpi_delete,
    kpi_standard_add,
    kpi_update,
    kpi_value_enter,
    record_week,
)
from reporting.tasks_kpis import record_kpis_task
from reporting.tests.factories import make_kpi, make_kpi_value
from risks.tests.factories import make_risk

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def pm(program):
    return manager_of(program)


# --- RAG and trend -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", "green"), ("5", "green"), ("5.1", "amber"), ("15", "amber"), ("15.5", "red"),
     ("-2", "green"), (None, "grey")],
)  # fmt: skip
def test_rag_when_lower_is_better(value, expected):
    rag = kpi_rag(
        None if value is None else D(value), direction="lower", target=D("0"), amber=D("5"),
        red=D("15"),
    )  # fmt: skip
    assert rag is Rag(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.02", "green"), ("0.95", "green"), ("0.94", "amber"), ("0.90", "amber"),
     ("0.89", "red")],
)  # fmt: skip
def test_rag_when_higher_is_better(value, expected):
    rag = kpi_rag(D(value), direction="higher", target=D("1"), amber=D("0.95"), red=D("0.90"))
    assert rag is Rag(expected)


def test_rag_without_an_amber_threshold_is_amber_off_target_and_grey_without_limits():
    assert kpi_rag(D("81"), direction="higher", target=D("80")) is Rag.GREEN
    assert kpi_rag(D("79"), direction="higher", target=D("80")) is Rag.AMBER
    assert kpi_rag(D("59"), direction="higher", target=D("80"), red=D("60")) is Rag.RED
    assert kpi_rag(D("59"), direction="higher") is Rag.GREY


@pytest.mark.parametrize(
    ("latest", "previous", "direction", "trend", "better"),
    [("5", "3", "higher", "up", True), ("5", "3", "lower", "up", False),
     ("2", "3", "higher", "down", False), ("2", "3", "lower", "down", True),
     ("3", "3", "lower", "flat", None), ("3", None, "lower", "flat", None)],
)  # fmt: skip
def test_trend_and_whether_it_is_better(latest, previous, direction, trend, better):
    previous = None if previous is None else D(previous)
    assert kpi_trend(D(latest), previous, direction) == (trend, better)


def test_cards_give_latest_previous_series_rag_and_trend(program):
    week = current_period(program)
    lower = make_kpi(program, direction="lower", unit="days", target=D("10"),
                     amber_threshold=D("15"), red_threshold=D("25"))  # fmt: skip
    higher = make_kpi(program, direction="higher", target=D("90"), amber_threshold=D("80"))
    make_kpi_value(lower, shift(week, -3), D("12"))
    make_kpi_value(lower, shift(week, -1), D("20"))
    make_kpi_value(lower, week, None)  # recorded, nothing to measure this week
    make_kpi_value(higher, shift(week, -1), D("70"), manual=True)
    make_kpi_value(higher, week, D("85"), manual=True)
    old = make_kpi(program, active=False)
    make_kpi_value(old, week, D("1"))
    cards = {c.definition.key: c for c in kpi_cards(program)}
    assert old.key not in cards  # inactive KPIs are left out by default
    low = cards[lower.key]
    assert (low.latest, low.previous, low.latest_period) == (D("20"), D("12"), shift(week, -1))
    assert (low.rag, low.trend, low.better, low.manual) == (Rag.AMBER, "up", False, False)
    assert low.recorded_period == week and low.display == "20 days"
    assert len(low.series) == 12 and low.series[-1] == (week, None)
    assert low.series[-2] == (shift(week, -1), D("20")) and low.series[-3][1] is None
    high = cards[higher.key]
    assert (high.latest, high.rag, high.trend, high.better, high.manual) == (
        D("85"), Rag.GREEN, "up", True, True,
    )  # fmt: skip
    assert high.spark_text.endswith(",70,85")


def test_cards_cost_the_same_queries_for_one_or_three_kpis(program):
    week = current_period(program)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            kpi_cards(program)
        return len(queries)

    make_kpi_value(make_kpi(program), week, D("1"))
    one = count()
    for _ in range(2):
        make_kpi_value(make_kpi(program), week, D("1"))
    assert count() == one == 2


# --- definitions ---------------------------------------------------------------------------------


def test_standard_kpis_are_added_once(program, pm):
    added = kpi_standard_add(actor=pm, program=program)
    assert [k.source for k in added] == list(registry.SOURCES)
    spi = next(k for k in added if k.source == "spi")
    assert (spi.owner, spi.target, spi.amber_threshold, spi.direction) == (
        pm, D("1.00"), D("0.95"), "higher",
    )  # fmt: skip
    assert kpi_standard_add(actor=pm, program=program) == []
    assert KpiDefinition.objects.filter(program=program).count() == len(registry.SOURCES)


def test_a_computed_kpi_takes_its_sources_formula(program, pm):
    kpi = kpi_create(actor=pm, program=program, name="SPI", source="spi", owner=pm, unit="percent")
    assert kpi.formula == registry.SOURCES["spi"].formula and kpi.unit == "ratio"  # the source's
    assert AuditEntry.objects.filter(object_id=str(kpi.pk), action="create").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"source": "nonsense"}, "source"),
     ({"direction": "lower", "target": D("10"), "amber_threshold": D("5")}, "amber_threshold"),
     ({"direction": "lower", "amber_threshold": D("5"), "red_threshold": D("4")}, "red_threshold"),
     ({"direction": "higher", "target": D("80"), "red_threshold": D("90")}, "red_threshold"),
     ({"direction": "higher", "target": D("80"), "amber_threshold": D("85")}, "amber_threshold")],
)  # fmt: skip
def test_bad_definitions_are_refused_with_the_reason(program, pm, fields, field):
    with pytest.raises(ValidationError) as error:
        kpi_create(actor=pm, program=program, name="X", formula="Counted.", **fields)
    assert field in error.value.message_dict
    assert not KpiDefinition.objects.filter(program=program).exists()


def test_the_owner_must_be_a_member(program, pm):
    with pytest.raises(ValidationError) as error:
        kpi_create(actor=pm, program=program, name="X", formula="Counted.", owner=UserFactory())
    assert "owner" in error.value.message_dict
    kpi = kpi_create(actor=pm, program=program, name="X", formula="Counted.",
                     owner=member(program).user)  # fmt: skip
    assert kpi.owner is not None


def test_a_kpi_with_values_keeps_its_source_and_is_not_deleted(program, pm):
    kpi = make_kpi(program, pm)
    make_kpi_value(kpi, current_period(program), D("3"), manual=True)
    with pytest.raises(Refused, match="source cannot change"):
        kpi_update(actor=pm, kpi=kpi, expected_version=kpi.version, source="spi")
    with pytest.raises(Refused, match="deactivate"):
        kpi_delete(actor=pm, kpi=kpi, expected_version=kpi.version)
    kpi.refresh_from_db()
    assert kpi.source == "manual"
    kpi = kpi_update(actor=pm, kpi=kpi, expected_version=kpi.version, active=False, name="Old")
    assert (kpi.active, kpi.name, kpi.version) == (False, "Old", 2)
    fresh = make_kpi(program, pm)
    kpi_delete(actor=pm, kpi=fresh, expected_version=fresh.version)
    assert not KpiDefinition.objects.filter(pk=fresh.pk).exists()


# --- the weekly recording ------------------------------------------------------------------------


def test_record_week_is_idempotent_and_updates_what_changed(program, pm):
    kpi_standard_add(actor=pm, program=program)
    manual = make_kpi(program, pm)
    inactive = kpi_create(actor=pm, program=program, name="Off", source="cpi", active=False)
    week = current_period(program)
    make_risk(program, probability=4, impact_cost=4)
    first = record_week(program, week)
    assert first == {"created": 13, "updated": 0, "unchanged": 0, "failed": 0}
    assert not KpiValue.objects.filter(definition__in=[manual, inactive]).exists()
    exposure = KpiValue.objects.get(definition__source="risk_exposure", period=week)
    assert exposure.value == registry.SOURCES["risk_exposure"].compute(program, week)
    assert not exposure.manual
    assert record_week(program, week) == {
        "created": 0, "updated": 0, "unchanged": 13, "failed": 0,
    }  # fmt: skip
    make_risk(program, probability=5, impact_cost=5)
    again = record_week(program, week)
    assert (again["updated"], again["unchanged"]) == (2, 11)  # exposure and high risks moved
    assert KpiValue.objects.filter(program=program, period=week).count() == 13
    exposure.refresh_from_db()
    assert exposure.value == registry.SOURCES["risk_exposure"].compute(program, week)


def test_a_failing_source_does_not_stop_the_others(program, pm, monkeypatch):
    kpi_standard_add(actor=pm, program=program)

    def broken(m):
        raise RuntimeError("boom")

    broken_source = registry.SOURCES["spi"].__class__(
        **{**registry.SOURCES["spi"].__dict__, "fn": broken}
    )
    monkeypatch.setitem(registry.SOURCES, "spi", broken_source)
    counts = record_week(program, current_period(program))
    assert (counts["failed"], counts["created"]) == (1, 12)
    assert not KpiValue.objects.filter(definition__source="spi").exists()


def test_the_task_records_every_active_program(program, pm):
    kpi_standard_add(actor=pm, program=program)
    other = ProgramFactory(status="closed")
    kpi_standard_add(actor=manager_of(other), program=other)
    totals = record_kpis_task()
    assert totals["failed"] == 0
    assert KpiValue.objects.filter(program=program).count() == 13
    assert not KpiValue.objects.filter(program=other).exists()
    assert record_kpis_task()["created"] == 0  # a second run creates nothing


# --- manual values -------------------------------------------------------------------------------


def test_manual_values_are_entered_marked_and_corrected(program, pm):
    kpi = make_kpi(program, pm, unit="percent")
    week = current_period(program)
    value = kpi_value_enter(actor=pm, kpi=kpi, period=week, value=D("71.5"), note="Survey")
    assert (value.manual, value.recorded_by, value.note, value.value) == (
        True, pm, "Survey", D("71.5"),
    )  # fmt: skip
    fixed = kpi_value_enter(actor=pm, kpi=kpi, period=week, value=D("72"), note="Recounted")
    assert fixed.pk == value.pk and fixed.value == D("72") and fixed.version == 2
    assert KpiValue.objects.filter(definition=kpi).count() == 1


def test_manual_values_are_refused_for_computed_kpis_future_weeks_and_without_a_note(program, pm):
    computed = kpi_create(actor=pm, program=program, name="CPI", source="cpi")
    week = current_period(program)
    with pytest.raises(Refused, match="computed by the system"):
        kpi_value_enter(actor=pm, kpi=computed, period=week, value=D("1"), note="x")
    kpi = make_kpi(program, pm)
    with pytest.raises(ValidationError) as error:
        kpi_value_enter(actor=pm, kpi=kpi, period=shift(week, 1), value=D("1"), note=" ")
    assert set(error.value.message_dict) == {"period", "note"}
    with pytest.raises(ValidationError):
        kpi_value_enter(actor=pm, kpi=kpi, period="2026-48", value=D("1"), note="x")
    assert not KpiValue.objects.filter(program=program).exists()
