"""Budget settings: defaults until first saved, versioned saves, who may change them; the page
(validation errors keep the input, a stale save is a conflict) and the API (ETag / If-Match)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from budgets.models import BudgetSettings
from budgets.selectors.settings import budget_settings
from budgets.services.settings import budget_settings_update
from core.errors import Refused
from core.permissions import Role
from core.versioning import StaleVersionError
from programs.tests.factories import manager_of, member

from .invoice_factories import finance_of
from .variance_factories import D

pytestmark = pytest.mark.django_db

FORM = {
    "version": "1", "variance_percent": "12.50", "variance_amount": "2500.00",
    "invoice_approval_limit": "40000.00", "monthly_export": "on",
}  # fmt: skip


def test_defaults_until_first_saved(program):
    row = budget_settings(program)
    assert row.pk is None and row.version == 1
    assert (row.variance_percent, row.variance_amount) == (D("10.00"), D("5000.00"))
    assert (row.invoice_approval_limit, row.monthly_export, row.export_bom) == (
        D("50000.00"), True, False,
    )  # fmt: skip
    assert not BudgetSettings.objects.exists()


def test_first_save_creates_the_row_then_versions(program):
    finance = finance_of(program)
    row = budget_settings_update(
        actor=finance, program=program, expected_version=1, variance_amount="2500.00"
    )
    assert (row.variance_amount, row.version) == (D("2500.00"), 2)
    assert budget_settings(program).variance_amount == D("2500.00")
    with pytest.raises(StaleVersionError):
        budget_settings_update(actor=finance, program=program, expected_version=1, export_bom=True)
    assert budget_settings(program).export_bom is False


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.COORDINATOR, Role.EXECUTIVE])
def test_only_manager_or_finance_change_them(program, role):
    with pytest.raises(Refused):
        budget_settings_update(
            actor=member(program, role).user, program=program, expected_version=1,
            export_bom=True,
        )  # fmt: skip
    assert not BudgetSettings.objects.exists()


def test_bad_amount_is_a_field_error(program):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        budget_settings_update(
            actor=manager_of(program), program=program, expected_version=1,
            variance_amount="12.345",
        )  # fmt: skip
    assert "variance_amount" in exc.value.message_dict


def page(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_settings_page_saves_and_keeps_input_on_errors(program):
    path = f"/programs/{program.code}/budget/settings/"
    finance = page(finance_of(program))
    assert finance.get(path).status_code == 200
    bad = finance.post(path, {**FORM, "variance_percent": "-3", "variance_amount": "abc"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'value="-3"' in body and "greater than or equal to 0" in body
    assert not BudgetSettings.objects.exists()
    ok = finance.post(path, FORM)
    assert ok.status_code == 302
    saved = budget_settings(program)
    assert (saved.variance_percent, saved.monthly_export, saved.export_bom) == (
        D("12.50"),
        True,
        False,
    )
    stale = finance.post(path, {**FORM, "variance_percent": "20"})
    assert stale.status_code == 409
    assert "while you were editing" in stale.content.decode()
    assert budget_settings(program).variance_percent == D("12.50")


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.MANAGER, 200), (Role.FINANCE, 200), (Role.CONTRIBUTOR, 403), (Role.VIEWER, 403)],
)
def test_settings_page_roles(program, role, status):
    user = manager_of(program) if role == Role.MANAGER else member(program, role).user
    assert page(user).get(f"/programs/{program.code}/budget/settings/").status_code == status


def test_settings_api(program):
    path = f"/api/v1/programs/{program.code}/budget/settings/"
    viewer = APIClient()
    viewer.force_authenticate(member(program, Role.VIEWER).user)
    read = viewer.get(path)
    assert read.status_code == 200 and read["ETag"] == '"1"'
    assert read.json()["variance_amount"] == "5000.00"
    body = {
        "variance_percent": "15.00", "variance_amount": "1000.00",
        "invoice_approval_limit": "20000.00", "monthly_export": False, "export_bom": True,
    }  # fmt: skip
    assert viewer.put(path, body, format="json").status_code == 403
    finance = APIClient()
    finance.force_authenticate(finance_of(program))
    assert finance.put(path, body, format="json").status_code == 428
    bad = finance.put(path, {**body, "variance_amount": "-1"}, format="json", HTTP_IF_MATCH='"1"')
    assert bad.status_code == 400 and "variance_amount" in bad.json()
    ok = finance.put(path, body, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok["ETag"] == '"2"' and ok.json()["export_bom"] is True
    stale = finance.put(path, body, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412 and stale.json()["current"]["version"] == 2
