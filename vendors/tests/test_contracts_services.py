"""Contract services: editing drafts and signed contracts, status steps, deletion, amendments
(value never below zero, change requests of the program, numbered safely under concurrency),
payment milestones within the value, and rate cards with one line per role and unit."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models

from core.audit import history_for_object
from core.versioning import StaleVersionError
from governance.tests.factories_changes import make_cr
from vendors import invoicing
from vendors.models import Amendment, Contract, PaymentMilestone, RateCardEntry
from vendors.services import contracts as services
from vendors.services.errors import Refused
from vendors.tests.contract_factories import (
    amend,
    contract_cast,
    deliverable,
    make_contract,
    make_vendor,
    milestone,
)
from vendors.tests.factories import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db):
    return contract_cast()


@pytest.fixture
def contract(cast):
    return make_contract(cast.program, actor=cast.pm, value=Decimal("100000.00"))


def test_a_draft_is_edited_freely_and_its_current_figures_follow(cast):
    draft = make_contract(cast.program, actor=cast.pm, status="draft")

    updated = services.contract_update(
        actor=cast.pm,
        contract=draft,
        expected_version=draft.version,
        value=Decimal("150000.00"),
        end_date=dt.date(2027, 1, 29),
        title="SOW 1 (revised)",
    )

    assert (updated.value, updated.current_value) == (Decimal("150000.00"), Decimal("150000.00"))
    assert updated.current_end_date == dt.date(2027, 1, 29)
    assert updated.version == draft.version + 1
    entry = history_for_object(updated).order_by("-id").first()
    assert entry.changes["value"] == ["120000.00", "150000.00"]


def test_a_signed_contracts_value_and_dates_are_not_edited_directly(cast, contract):
    for change in (
        {"value": Decimal("1.00")},
        {"end_date": dt.date(2027, 6, 30)},
        {"start_date": dt.date(2026, 2, 2)},
    ):
        with pytest.raises(Refused, match="Record an amendment instead"):
            services.contract_update(
                actor=cast.pm, contract=contract, expected_version=contract.version, **change
            )
    row = fresh(contract)
    assert (row.value, row.end_date, row.version) == (Decimal("100000.00"), contract.end_date, 1)


def test_a_signed_contracts_other_fields_still_change(cast, contract):
    updated = services.contract_update(
        actor=cast.pm,
        contract=contract,
        expected_version=1,
        title="SOW 1: Finance",
        po_number="PO-1",
        value=contract.value,  # unchanged: not an edit of the signed terms
    )
    assert (updated.title, updated.po_number, updated.version) == ("SOW 1: Finance", "PO-1", 2)


def test_update_with_a_stale_version_is_refused(cast, contract):
    services.contract_update(actor=cast.pm, contract=contract, expected_version=1, title="New")
    with pytest.raises(StaleVersionError):
        services.contract_update(actor=cast.pm, contract=contract, expected_version=1, title="X")
    assert fresh(contract).title == "New"


def test_an_end_before_the_start_is_refused_with_a_field_error(cast):
    with pytest.raises(ValidationError) as error:
        make_contract(
            cast.program, actor=cast.pm, start_date=dt.date(2026, 5, 1),
            end_date=dt.date(2026, 4, 1),
        )  # fmt: skip
    assert "end_date" in error.value.message_dict


# --- status ---------------------------------------------------------------------------------


def test_activating_a_draft_needs_its_signature_date(cast):
    draft = make_contract(cast.program, actor=cast.pm, status="draft")
    with pytest.raises(Refused, match="signed"):
        services.contract_set_status(actor=cast.pm, contract=draft, status="active")
    assert fresh(draft).status == "draft"

    active = services.contract_set_status(
        actor=cast.pm, contract=draft, status="active", signed_on=dt.date(2026, 1, 2)
    )
    assert (active.status, active.signed_on) == ("active", dt.date(2026, 1, 2))


def test_on_hold_and_back_then_closed_for_good(cast, contract):
    contract = services.contract_set_status(actor=cast.pm, contract=contract, status="on_hold")
    contract = services.contract_set_status(actor=cast.pm, contract=contract, status="active")
    contract = services.contract_set_status(actor=cast.pm, contract=contract, status="terminated")
    for status in ("active", "on_hold", "completed"):
        with pytest.raises(Refused, match="does not reopen"):
            services.contract_set_status(actor=cast.pm, contract=contract, status=status)
    assert fresh(contract).status == "terminated"


def test_a_draft_is_not_terminated_but_deleted(cast):
    draft = make_contract(cast.program, actor=cast.pm, status="draft")
    with pytest.raises(Refused, match="delete the draft"):
        services.contract_set_status(actor=cast.pm, contract=draft, status="terminated")


def test_completing_needs_every_deliverable_accepted_or_withdrawn(cast, contract):
    open_one = deliverable(contract, cast.pm)
    with pytest.raises(Refused, match=open_one.key):
        services.contract_set_status(actor=cast.pm, contract=contract, status="completed")
    assert fresh(contract).status == "active"
    # terminating ends the work early: open deliverables do not stop it
    assert (
        services.contract_set_status(actor=cast.pm, contract=contract, status="terminated").status
        == "terminated"
    )


def test_a_master_closes_only_after_its_sows(cast):
    vendor = make_vendor(cast.program, actor=cast.pm, name="Fabrikam")
    master = make_contract(cast.program, vendor, actor=cast.pm, kind="master")
    sow = make_contract(cast.program, vendor, actor=cast.pm, parent=master)
    with pytest.raises(Refused, match=sow.key):
        services.contract_set_status(actor=cast.pm, contract=master, status="completed")
    services.contract_set_status(actor=cast.pm, contract=sow, status="completed")
    assert services.contract_set_status(actor=cast.pm, contract=master, status="completed")


# --- delete ---------------------------------------------------------------------------------


def test_only_a_draft_is_deleted_and_its_plan_goes_with_it_audited(cast, contract):
    with pytest.raises(Refused, match="only a draft"):
        services.contract_delete(actor=cast.pm, contract=contract, expected_version=1)
    assert Contract.objects.filter(pk=contract.pk).exists()

    draft = make_contract(cast.program, actor=cast.pm, status="draft")
    plan = milestone(draft, cast.pm)
    rate = services.rate_create(
        actor=cast.pm, contract=draft, role="Consultant", rate=Decimal("1000"), unit="day"
    )
    services.contract_delete(actor=cast.pm, contract=draft, expected_version=draft.version)

    assert not Contract.objects.filter(pk=draft.pk).exists()
    assert not PaymentMilestone.objects.filter(pk=plan.pk).exists()
    for row in (draft, plan, rate):
        assert history_for_object(row).filter(action="delete").count() == 1


def test_a_master_with_sows_is_not_deleted(cast):
    vendor = make_vendor(cast.program, actor=cast.pm, name="Fabrikam")
    master = make_contract(cast.program, vendor, actor=cast.pm, kind="master", status="draft")
    make_contract(cast.program, vendor, actor=cast.pm, parent=master, status="draft")
    with pytest.raises(Refused, match="SOWs sit under it"):
        services.contract_delete(actor=cast.pm, contract=master, expected_version=None)


# --- amendments -----------------------------------------------------------------------------


def test_an_amendment_moves_the_current_value_and_end_and_is_audited_on_both(cast, contract):
    a1 = amend(contract, cast.pm, "25000.00", dt.date(2027, 3, 31), title="More testing")

    row = fresh(contract)
    assert (a1.sequence, a1.label, a1.created_by) == (1, "A1", cast.pm)
    assert (row.value, row.current_value) == (Decimal("100000.00"), Decimal("125000.00"))
    assert (row.end_date, row.current_end_date) == (contract.end_date, dt.date(2027, 3, 31))
    assert row.version == 2
    assert history_for_object(a1).filter(action="create").count() == 1
    last = history_for_object(row).order_by("-id").first()
    assert last.changes["current_value"] == ["100000.00", "125000.00"]


def test_a_reduction_below_zero_is_refused_naming_the_amounts(cast, contract):
    amend(contract, cast.pm, "-40000.00")
    with pytest.raises(ValidationError) as error:
        amend(contract, cast.pm, "-60000.01")

    message = error.value.message_dict["value_change"][0]
    assert "EUR 60,000.00" in message and "EUR -60,000.01" in message
    assert "EUR -0.01" in message
    row = fresh(contract)
    assert (row.current_value, row.version) == (Decimal("60000.00"), 2)
    assert Amendment.objects.filter(contract=contract).count() == 1
    # down to exactly zero is allowed
    amend(contract, cast.pm, "-60000.00")
    assert fresh(contract).current_value == Decimal("0.00")


def test_a_reduction_below_the_milestones_or_the_invoiced_amount_is_refused(cast, contract):
    milestone(contract, cast.pm, "70000.00")
    with pytest.raises(ValidationError, match=r"milestones total EUR 70,000\.00"):
        amend(contract, cast.pm, "-30000.01")
    invoicing.register_invoiced_source(
        lambda: models.Value(
            Decimal("90000.00"), output_field=models.DecimalField(max_digits=14, decimal_places=2)
        )
    )
    try:
        with pytest.raises(ValidationError, match=r"EUR 90,000\.00 has already been invoiced"):
            amend(contract, cast.pm, "-20000.00")
    finally:
        invoicing.register_invoiced_source(None)
    assert fresh(contract).current_value == Decimal("100000.00")


def test_an_amendment_must_change_something_and_not_end_before_the_start(cast, contract):
    with pytest.raises(ValidationError, match="changes the value, the end date or both"):
        amend(contract, cast.pm, "0.00", contract.end_date)
    with pytest.raises(ValidationError) as error:
        amend(contract, cast.pm, "0.00", dt.date(2025, 12, 31))
    assert "new_end_date" in error.value.message_dict
    assert not Amendment.objects.exists()


def test_drafts_and_closed_contracts_are_not_amended(cast, contract):
    draft = make_contract(cast.program, actor=cast.pm, status="draft")
    with pytest.raises(Refused, match="edit its value and dates directly"):
        amend(draft, cast.pm, "10.00")
    closed = services.contract_set_status(actor=cast.pm, contract=contract, status="terminated")
    with pytest.raises(Refused, match="closed contract is not amended"):
        amend(closed, cast.pm, "10.00")


def test_the_change_request_must_be_of_the_program_and_approved_or_implemented(cast, contract):
    other = contract_cast("CRM")
    foreign = make_cr(other.program, other.pm, status="approved", actor_for=other)
    with pytest.raises(ValidationError, match="another program"):
        amend(contract, cast.pm, "10.00", change_request=foreign)
    assessed = make_cr(cast.program, cast.contributor, status="assessed", actor_for=cast)
    with pytest.raises(ValidationError, match="is assessed; only an approved or implemented"):
        amend(contract, cast.pm, "10.00", change_request=assessed)
    assert not Amendment.objects.exists()

    approved = make_cr(cast.program, cast.contributor, status="approved", actor_for=cast)
    implemented = make_cr(cast.program, cast.contributor, status="implemented", actor_for=cast)
    assert amend(contract, cast.pm, "10.00", change_request=approved).change_request == approved
    assert amend(contract, cast.pm, "5.00", change_request=implemented).sequence == 2


def test_an_amendment_based_on_stale_figures_is_refused(cast, contract):
    amend(contract, cast.pm, "10.00")
    with pytest.raises(StaleVersionError):
        amend(contract, cast.pm, "-10.00", expected_version=1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_amendments_get_consecutive_numbers_and_add_up():
    cast = contract_cast("PAR")
    contract = make_contract(cast.program, actor=cast.pm, value=Decimal("1000.00"))
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            for _ in range(3):
                amend(Contract.objects.get(pk=contract.pk), cast.pm, "10.00")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    sequences = sorted(
        Amendment.objects.filter(contract=contract).values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, 13))
    assert fresh(contract).current_value == Decimal("1120.00")


# --- payment milestones and the rate card ---------------------------------------------------


def test_milestones_may_not_exceed_the_current_value(cast, contract):
    milestone(contract, cast.pm, "60000.00")
    with pytest.raises(ValidationError) as error:
        milestone(contract, cast.pm, "40000.01")
    message = error.value.message_dict["amount"][0]
    assert "EUR 100,000.01" in message and "at most EUR 40,000.00" in message
    assert PaymentMilestone.objects.filter(contract=contract).count() == 1
    # an amendment makes room
    amend(contract, cast.pm, "0.01")
    milestone(contract, cast.pm, "40000.01")


def test_an_invoiced_milestone_keeps_its_amount_and_stays(cast, contract):
    row = milestone(contract, cast.pm, "1000.00")
    row = services.milestone_update(
        actor=cast.pm, milestone=row, expected_version=row.version, status="invoiced"
    )
    with pytest.raises(Refused, match="amount is fixed"):
        services.milestone_update(
            actor=cast.pm, milestone=row, expected_version=row.version, amount=Decimal("900")
        )
    with pytest.raises(Refused, match="stays in the payment plan"):
        services.milestone_delete(actor=cast.pm, milestone=row, expected_version=row.version)
    assert fresh(row).amount == Decimal("1000.00")


def test_a_milestone_names_a_deliverable_of_its_own_contract(cast, contract):
    other = make_contract(cast.program, actor=cast.pm, title="Other")
    with pytest.raises(ValidationError) as error:
        milestone(contract, cast.pm, deliverable=deliverable(other, cast.pm))
    assert "deliverable" in error.value.message_dict


def test_a_closed_contracts_plan_is_fixed_but_milestone_statuses_move(cast, contract):
    row = milestone(contract, cast.pm, "1000.00")
    services.contract_set_status(actor=cast.pm, contract=contract, status="terminated")
    with pytest.raises(Refused):
        milestone(contract, cast.pm, "1.00")
    with pytest.raises(Refused):
        services.milestone_update(
            actor=cast.pm, milestone=row, expected_version=row.version, title="Renamed"
        )
    paid = services.milestone_update(
        actor=cast.pm, milestone=row, expected_version=row.version, status="paid"
    )
    assert paid.status == "paid"


def test_one_rate_card_line_per_role_and_unit(cast, contract):
    services.rate_create(
        actor=cast.pm, contract=contract, role="Senior consultant", rate=Decimal("1200"), unit="day"
    )
    with pytest.raises(ValidationError, match="already has senior consultant per day"):
        services.rate_create(
            actor=cast.pm, contract=contract, role="senior consultant", rate=Decimal("1"),
            unit="day",
        )  # fmt: skip
    hourly = services.rate_create(
        actor=cast.pm, contract=contract, role="Senior consultant", rate=Decimal("160"), unit="hour"
    )
    with pytest.raises(ValidationError):
        services.rate_update(
            actor=cast.pm, entry=hourly, expected_version=hourly.version, unit="day"
        )
    assert RateCardEntry.objects.filter(contract=contract).count() == 2


def test_a_contract_recorded_as_signed_needs_its_signature_date(cast):
    vendor = make_vendor(cast.program, actor=cast.pm, name="Fabrikam")
    with pytest.raises(ValidationError) as error:
        services.contract_create(
            actor=cast.pm, program=cast.program, vendor=vendor, title="Hosting",
            value=Decimal("1000.00"), start_date=dt.date(2026, 1, 5),
            end_date=dt.date(2026, 12, 31), status="active",
        )  # fmt: skip
    assert "signed_on" in error.value.message_dict
    assert not Contract.objects.filter(vendor=vendor).exists()
