"""The vendor portal's home: only the bound vendor's contracts and deliverables, a clear refusal
for an unbound vendor user, and the program home sending vendor users to the portal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.permissions import Role
from programs.tests.factories import member
from vendors.tests.factories import make_contract, make_portal_user, make_vendor

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def portal_url(code: str = "ERP") -> str:
    return reverse("vendors:portal_home", kwargs={"code": code})


@pytest.fixture
def two_vendors(program):
    northwind = make_vendor(program, name="Northwind Consulting")
    contoso = make_vendor(program, name="Contoso Data Services")
    mine = make_contract(
        program, northwind, title="SOW 1: Finance build", value=Decimal("1840000.00")
    )
    theirs = make_contract(
        program, contoso, title="Data migration mock loads", value=Decimal("615000.00")
    )
    draft = make_contract(program, northwind, title="SOW 2: Hypercare (draft)", status="draft")
    binding = make_portal_user(program, northwind)
    return {"user": binding.membership.user, "mine": mine, "theirs": theirs, "draft": draft}


def test_portal_home_shows_only_the_bound_vendors_signed_contracts(program, two_vendors):
    response = logged_in(two_vendors["user"]).get(portal_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Northwind Consulting" in html
    assert two_vendors["mine"].key in html and "SOW 1: Finance build" in html
    assert "1,840,000.00" in html
    assert two_vendors["theirs"].key not in html
    assert "Data migration mock loads" not in html
    assert "Contoso" not in html
    assert "SOW 2: Hypercare (draft)" not in html  # drafts stay internal until signed
    assert [c.key for c in response.context["summary"]["contracts"]] == [two_vendors["mine"].key]
    assert response.context["summary"]["totals"]["remaining"] == Decimal("1840000.00")


def test_portal_home_counts_only_the_vendors_open_deliverables(program, two_vendors):
    from vendors.services import deliverables as deliverable_services

    manager = program.memberships.get(role=Role.MANAGER).user
    for contract, title, due in [
        (two_vendors["mine"], "Blueprint", dt.date(2026, 2, 27)),
        (two_vendors["mine"], "Build sign-off", dt.date(2026, 6, 30)),
        (two_vendors["theirs"], "Mapping spec", dt.date(2026, 1, 30)),
    ]:
        deliverable_services.deliverable_create(
            actor=manager, program=program, contract=contract, title=title, due_date=due,
            criteria=["Reviewed by the workstream lead"],
        )  # fmt: skip

    response = logged_in(two_vendors["user"]).get(portal_url())

    summary = response.context["summary"]
    assert summary["open_deliverables"] == 2
    assert summary["next_deliverable"].title == "Blueprint"
    assert "Mapping spec" not in response.content.decode()


def test_an_unbound_vendor_user_gets_a_clear_403(program):
    user = member(program, Role.VENDOR).user

    response = logged_in(user).get(portal_url())

    assert response.status_code == 403
    assert "not linked to a vendor yet" in response.content.decode()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER])
def test_internal_members_do_not_use_the_portal(program, role):
    assert logged_in(member(program, role).user).get(portal_url()).status_code == 403


def test_program_home_sends_vendor_users_to_their_portal(program, two_vendors, manager):
    home = reverse("programs:program_home", kwargs={"code": "ERP"})

    vendor_answer = logged_in(two_vendors["user"]).get(home)
    manager_answer = logged_in(manager).get(home)

    assert (vendor_answer.status_code, vendor_answer["Location"]) == (302, portal_url())
    assert manager_answer.status_code == 200
