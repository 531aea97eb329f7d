"""The foundation every vendors area builds on: keys, the contract's stored values, the portal
binding, and the invoiced-amount hook that budgets plugs into."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from core.permissions import Role
from programs.tests.factories import ProgramFactory, member
from vendors import invoicing
from vendors.models import Contract
from vendors.selectors.portal import portal_vendor_for
from vendors.tests.factories import make_contract, make_portal_user, make_vendor

pytestmark = pytest.mark.django_db


def test_vendor_and_contract_get_keys_and_the_contract_starts_at_its_value():
    program = ProgramFactory(currency="GBP")
    vendor = make_vendor(program)
    contract = make_contract(program, vendor, value=Decimal("5000.50"))
    assert (vendor.key, contract.key) == ("VND-1", "CTR-1")
    assert contract.currency == "GBP"
    assert contract.current_value == Decimal("5000.50")
    assert contract.current_end_date == contract.end_date


def test_a_sow_must_sit_under_a_master_agreement_of_its_own_vendor():
    program = ProgramFactory()
    master = make_contract(program, make_vendor(program, name="A"), kind="master")
    with pytest.raises(ValidationError) as error:
        make_contract(program, make_vendor(program, name="B"), parent=master)
    assert "parent" in error.value.message_dict


def test_portal_binding_only_for_vendor_role_members_and_one_vendor_each():
    program = ProgramFactory()
    vendor = make_vendor(program)
    binding = make_portal_user(program, vendor)
    assert portal_vendor_for(program=program, user=binding.membership.user) == vendor
    with pytest.raises(ValidationError):
        make_portal_user(program, make_vendor(program, name="Other"), user=binding.membership.user)
    contributor = member(program, Role.CONTRIBUTOR).user
    with pytest.raises(ValidationError):
        make_portal_user(program, vendor, user=contributor)
    assert portal_vendor_for(program=program, user=contributor) is None


def test_remaining_value_uses_the_registered_invoiced_source():
    program = ProgramFactory()
    contract = make_contract(program, value=Decimal("1000.00"))
    row = invoicing.with_remaining(Contract.objects.filter(pk=contract.pk)).get()
    assert (row.invoiced, row.remaining) == (Decimal("0.00"), Decimal("1000.00"))
    invoicing.register_invoiced_source(
        lambda: models.Value(Decimal("250.25"), output_field=models.DecimalField(14, 2))
    )
    try:
        row = invoicing.with_remaining(Contract.objects.filter(pk=contract.pk)).get()
    finally:
        invoicing.register_invoiced_source(None)
    assert row.remaining == Decimal("749.75")
