"""SLA, measurement and escalation services: validation, breach detection, period alignment,
escalation rules, versions and the audit trail. Each refusal also checks nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.audit import history_for_object
from core.versioning import StaleVersionError
from programs.tests.factories import ProgramFactory, manager_of
from vendors import periods
from vendors.models import Escalation, SLAMeasurement
from vendors.services import performance as services
from vendors.services.errors import Refused
from vendors.tests.factories import fresh, make_contract, make_vendor
from vendors.tests.performance_factories import make_escalation, make_sla, measure

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    program = ProgramFactory(code="SV")
    vendor = make_vendor(program)
    contract = make_contract(program, vendor)
    return program, vendor, contract


# --- periods (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        ("weekly", dt.date(2026, 3, 19), (dt.date(2026, 3, 16), dt.date(2026, 3, 22))),
        ("weekly", dt.date(2026, 3, 16), (dt.date(2026, 3, 16), dt.date(2026, 3, 22))),
        ("monthly", dt.date(2024, 2, 10), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
        ("quarterly", dt.date(2026, 5, 31), (dt.date(2026, 4, 1), dt.date(2026, 6, 30))),
        ("quarterly", dt.date(2026, 12, 31), (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
    ],
)
def test_sla_periods_are_calendar_aligned(kind, day, expected):
    assert periods.sla_period_containing(kind, day) == expected


def test_scorecard_periods_parse_shift_and_default():
    assert periods.Period.parse("2026-Q4").start == dt.date(2026, 10, 1)
    assert periods.Period.parse("2026-1").slug == "2026-01"
    assert periods.Period.parse("2026-13") is None
    assert periods.Period.parse("nonsense") is None
    assert periods.Period.parse("2026-01").previous().slug == "2025-12"
    assert periods.Period.parse("2026-Q1").previous().slug == "2025-Q4"
    assert periods.Period.default(dt.date(2026, 1, 15)).slug == "2025-12"
    assert [p.slug for p in periods.Period.parse("2026-02").trailing(3)] == [
        "2025-12", "2026-01", "2026-02"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "colour"),
    [("95", "green"), ("94.9", "yellow"), ("85", "yellow"), ("84.9", "red"), (None, None)],
)
def test_colour_thresholds(value, colour):
    assert periods.percent_colour(Decimal(value) if value else None) == colour


# --- SLAs -----------------------------------------------------------------------------------


def test_sla_takes_the_contracts_vendor_and_is_audited(setup):
    program, vendor, contract = setup
    sla = make_sla(program, contract)
    assert sla.vendor == vendor
    assert history_for_object(sla).get().action == "create"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target": Decimal("101"), "unit": "%"}, "target"),
        ({"target": Decimal("-1"), "unit": "hours"}, "target"),
        ({"metric": "  "}, "metric"),
        ({"unit": ""}, "unit"),
        ({"direction": "sideways"}, "direction"),
        ({"period": "daily"}, "period"),
    ],
)
def test_sla_values_are_checked(setup, fields, field):
    program, _vendor, contract = setup
    with pytest.raises(ValidationError) as error:
        make_sla(program, contract, **fields)
    assert field in error.value.message_dict
    assert not contract.service_levels.exists()


def test_sla_needs_a_running_contract_of_the_program(setup):
    program, vendor, _contract = setup
    done = make_contract(program, vendor, title="Old", status="completed")
    with pytest.raises(ValidationError) as error:
        make_sla(program, done)
    assert "contract" in error.value.message_dict
    other = ProgramFactory(code="OT")
    foreign = make_contract(other, make_vendor(other))
    with pytest.raises(ValidationError):
        make_sla(program, foreign)


def test_editing_the_target_keeps_recorded_breaches(setup):
    program, _vendor, contract = setup
    sla = make_sla(program, contract, target=Decimal("99.5"))
    march = measure(sla, dt.date(2026, 3, 1), "99.0")
    assert march.breached is True
    sla = services.service_level_update(
        actor=manager_of(program), service_level=sla, expected_version=1, target=Decimal("98")
    )
    assert (sla.target, sla.version) == (Decimal("98"), 2)
    assert fresh(march).breached is True  # judged against the target of the time
    april = measure(sla, dt.date(2026, 4, 1), "99.0")
    assert april.breached is False  # the new target
    # correcting a value judges it again against today's target
    march = services.measurement_update(
        actor=None, measurement=march, expected_version=1, value=Decimal("98.5")
    )
    assert march.breached is False


def test_sla_period_cannot_change_once_measured_and_versions_are_checked(setup):
    program, _vendor, contract = setup
    sla = make_sla(program, contract)
    measure(sla, dt.date(2026, 3, 1), "99.9")
    with pytest.raises(ValidationError) as error:
        services.service_level_update(
            actor=None, service_level=sla, expected_version=1, period="weekly"
        )
    assert "period" in error.value.message_dict
    with pytest.raises(StaleVersionError):
        services.service_level_update(
            actor=None, service_level=sla, expected_version=7, metric="Other"
        )
    assert fresh(sla).metric == sla.metric and fresh(sla).version == 1


def test_deactivated_sla_refuses_measurements_and_deactivating_twice(setup):
    program, _vendor, contract = setup
    sla = make_sla(program, contract)
    sla = services.service_level_set_active(
        actor=None, service_level=sla, active=False, expected_version=1
    )
    assert sla.is_active is False
    with pytest.raises(Refused):
        services.service_level_set_active(
            actor=None, service_level=sla, active=False, expected_version=None
        )
    with pytest.raises(Refused):
        measure(sla, dt.date(2026, 3, 1), "99.9")
    assert not SLAMeasurement.objects.exists()


# --- measurements ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "target", "value", "breached"),
    [
        ("at_least", "99.5", "99.5", False),
        ("at_least", "99.5", "99.49", True),
        ("at_least", "99.5", "100", False),
        ("at_most", "4", "4", False),
        ("at_most", "4", "4.01", True),
        ("at_most", "4", "0", False),
    ],
)
def test_breach_detection_in_both_directions(setup, direction, target, value, breached):
    program, _vendor, contract = setup
    unit = "%" if direction == "at_least" else "hours"
    sla = make_sla(program, contract, direction=direction, target=Decimal(target), unit=unit)
    assert measure(sla, dt.date(2026, 3, 1), value).breached is breached


@pytest.mark.parametrize(
    ("period", "start", "end", "field"),
    [
        ("monthly", dt.date(2026, 3, 2), None, "period_start"),
        ("monthly", dt.date(2026, 3, 1), dt.date(2026, 3, 30), "period_end"),
        ("weekly", dt.date(2026, 3, 17), None, "period_start"),  # a Tuesday
        ("quarterly", dt.date(2026, 2, 1), None, "period_start"),
    ],
)
def test_misaligned_periods_are_refused_with_the_period_meant(setup, period, start, end, field):
    program, _vendor, contract = setup
    sla = make_sla(program, contract, period=period)
    with pytest.raises(ValidationError) as error:
        services.measurement_record(
            actor=None, service_level=sla, period_start=start, period_end=end, value="99"
        )
    message = error.value.message_dict[field][0]
    assert "Did you mean" in message
    assert not SLAMeasurement.objects.exists()


def test_aligned_periods_get_their_end(setup):
    program, _vendor, contract = setup
    weekly = make_sla(program, contract, period="weekly", metric="Weekly")
    quarterly = make_sla(program, contract, period="quarterly", metric="Quarterly")
    assert measure(weekly, dt.date(2026, 3, 16), "99").period_end == dt.date(2026, 3, 22)
    assert measure(quarterly, dt.date(2026, 4, 1), "99").period_end == dt.date(2026, 6, 30)


def test_one_measurement_per_period_with_a_clear_error(setup):
    program, _vendor, contract = setup
    sla = make_sla(program, contract)
    measure(sla, dt.date(2026, 3, 1), "99.7")
    with pytest.raises(ValidationError) as error:
        measure(sla, dt.date(2026, 3, 1), "99.9")
    assert error.value.message_dict["period_start"] == [
        "March 2026 already has a measurement (99.7 %); correct that one instead."
    ]
    assert SLAMeasurement.objects.count() == 1


@pytest.mark.parametrize("value", ["100.1", "-0.5"])
def test_percentages_lie_between_0_and_100(setup, value):
    program, _vendor, contract = setup
    sla = make_sla(program, contract)
    with pytest.raises(ValidationError) as error:
        measure(sla, dt.date(2026, 3, 1), value)
    assert "value" in error.value.message_dict


def test_periods_outside_the_contract_or_in_the_future_are_refused(setup):
    program, _vendor, contract = setup  # 5 Jan - 18 Dec 2026
    sla = make_sla(program, contract)
    for start in (dt.date(2025, 12, 1), dt.date(2027, 1, 1)):
        with pytest.raises(ValidationError):
            measure(sla, start, "99.9")
    later = make_contract(
        program, contract.vendor, title="Later", start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2040, 1, 1),
    )  # fmt: skip
    future = services.program_today(program).replace(day=1) + dt.timedelta(days=40)
    with pytest.raises(ValidationError) as error:
        measure(make_sla(program, later), future.replace(day=1), "99.9")
    assert error.value.message_dict["period_start"] == ["That period has not started yet."]
    assert not SLAMeasurement.objects.exists()


def test_measurement_delete_is_versioned_and_audited(setup):
    program, _vendor, contract = setup
    m = measure(make_sla(program, contract), dt.date(2026, 3, 1), "99")
    with pytest.raises(StaleVersionError):
        services.measurement_delete(actor=None, measurement=m, expected_version=2)
    services.measurement_delete(actor=None, measurement=m, expected_version=1)
    assert not SLAMeasurement.objects.exists()
    assert history_for_object(m).filter(action="delete").exists()


# --- escalations ----------------------------------------------------------------------------


def test_escalation_goes_up_level_by_level_with_a_recorded_reason(setup):
    program, vendor, contract = setup
    esc = make_escalation(program, vendor, contract=contract)
    assert (esc.key, esc.level, esc.status) == ("ESC-1", 1, "open")
    with pytest.raises(ValidationError):
        services.escalation_escalate(actor=None, escalation=esc, expected_version=1, note=" ")
    for level in (2, 3, 4):
        esc = services.escalation_escalate(
            actor=None, escalation=esc, expected_version=None, note=f"To level {level}"
        )
        assert esc.level == level
    with pytest.raises(Refused):
        services.escalation_escalate(actor=None, escalation=esc, expected_version=None, note="5")
    entry = history_for_object(esc).filter(action="update").order_by("id").first()
    assert entry.changes["level"] == [1, 2]
    assert entry.changes["note"] == [None, "To level 2"]


def test_escalation_contract_must_be_the_vendors(setup):
    program, _vendor, contract = setup
    other = make_vendor(program, name="Other")
    with pytest.raises(ValidationError) as error:
        make_escalation(program, other, contract=contract)
    assert "contract" in error.value.message_dict
    assert not Escalation.objects.exists()


def test_resolve_needs_an_outcome_and_only_open_ones_move(setup):
    program, vendor, _contract = setup
    esc = make_escalation(program, vendor, raised_on=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError) as error:
        services.escalation_resolve(actor=None, escalation=esc, expected_version=1, outcome="")
    assert "outcome" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.escalation_resolve(
            actor=None, escalation=esc, expected_version=1, outcome="Agreed",
            resolved_on=dt.date(2026, 2, 1),
        )  # fmt: skip
    assert fresh(esc).status == "open"
    esc = services.escalation_resolve(
        actor=None, escalation=esc, expected_version=1, outcome="Service credit agreed."
    )
    assert (esc.status, esc.outcome) == ("resolved", "Service credit agreed.")
    assert esc.resolved_on == services.program_today(program)
    for step in (services.escalation_close, services.escalation_resolve):
        with pytest.raises(Refused):
            step(actor=None, escalation=esc, expected_version=None, outcome="Again")
    with pytest.raises(Refused):
        services.escalation_update(actor=None, escalation=esc, expected_version=2, title="New")
    with pytest.raises(Refused):
        services.escalation_escalate(actor=None, escalation=esc, expected_version=2, note="Up")
    assert fresh(esc).version == 2


def test_close_and_reopen(setup):
    program, vendor, _contract = setup
    esc = make_escalation(program, vendor)
    with pytest.raises(Refused):
        services.escalation_reopen(actor=None, escalation=esc, expected_version=1, note="Why")
    esc = services.escalation_close(
        actor=None, escalation=esc, expected_version=1, outcome="Withdrawn by the program."
    )
    assert esc.status == "closed"
    with pytest.raises(StaleVersionError):
        services.escalation_reopen(actor=None, escalation=esc, expected_version=1, note="Again")
    esc = services.escalation_reopen(actor=None, escalation=esc, expected_version=2, note="Again")
    assert (esc.status, esc.outcome, esc.resolved_on, esc.level) == ("open", "", None, 1)
    last = history_for_object(esc).order_by("-id").first()
    assert last.changes["outcome"] == ["Withdrawn by the program.", ""]


def test_escalation_from_a_breach_is_prefilled(setup):
    program, _vendor, contract = setup
    sla = make_sla(program, contract, metric="Availability")
    breach = measure(sla, dt.date(2026, 3, 1), "98.9")
    initial = services.escalation_from_breach_initial(breach)
    assert initial["title"] == "SLA breach: Availability, March 2026"
    assert initial["reason"].startswith("Availability measured 98.9 % for March 2026")
    assert (initial["vendor"], initial["contract"], initial["level"]) == (
        contract.vendor, contract, 1
    )  # fmt: skip
    met = measure(sla, dt.date(2026, 4, 1), "99.9")
    with pytest.raises(Refused):
        services.escalation_from_breach_initial(met)
