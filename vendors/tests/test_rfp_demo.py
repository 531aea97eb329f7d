"""The RFP demo: its numbers are the ones its rationale quotes, and it goes through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.permissions import Role
from governance.models import Decision
from programs.tests.factories import ProgramFactory, manager_of, member
from vendors import demo_rfp
from vendors.models import Evaluation
from vendors.selectors.rfp import rfp_comparison
from vendors.tests.factories import make_vendor

pytestmark = pytest.mark.django_db


def test_demo_builds_a_decided_rfp_and_one_in_evaluation():
    program = ProgramFactory(code="ERP")
    pm = manager_of(program)
    pm.email = "pm@example.com"
    pm.save()
    member(program, Role.CONTRIBUTOR, email="k.tanaka@example.com", full_name="Kenji Tanaka")
    member(program, Role.FINANCE, email="finance@example.com", full_name="Fatima Khan")
    member(program, Role.COORDINATOR, email="coordinator@example.com", full_name="Marcus Lee")
    names = {"tailspin": "Tailspin Integration", "adatum": "Adatum Systems",
             "northwind": "Northwind Consulting", "contoso": "Contoso Data Services"}  # fmt: skip
    vendors = {slug: make_vendor(program, name=name) for slug, name in names.items()}
    ctx = {"manager": pm, "vendors": vendors, "contracts": {}}

    assert demo_rfp.build(program, ctx) == {"rfps": 2, "rfp_decisions": 1}

    ipaas, testing = ctx["rfps"]["ipaas"], ctx["rfps"]["testing"]
    comparison, _ = rfp_comparison(rfp=ipaas)
    assert [(r.response.name, r.rank, r.total, r.spread) for r in comparison.results] == [
        ("Tailspin Integration", 1, Decimal("80.00"), Decimal("5.00")),
        ("Northwind Consulting", 2, Decimal("72.67"), Decimal("33.00")),
        ("Adatum Systems", 3, Decimal("71.67"), Decimal("13.00")),
    ]
    assert (ipaas.status, ipaas.selected_response.vendor.name) == (
        "decided",
        "Tailspin Integration",
    )
    decision = Decision.objects.get()
    assert ipaas.decision == decision and "80.00%" in decision.rationale
    assert "33 points" in decision.rationale
    assert testing.status == "evaluation"
    states = sorted(
        Evaluation.objects.filter(response__rfp=testing).values_list("status", flat=True)
    )
    assert states == ["draft", "submitted", "submitted", "submitted", "submitted"]


def test_demo_skips_quietly_without_the_demo_people():
    program = ProgramFactory(code="ERP")
    assert demo_rfp.build(program, {"manager": manager_of(program), "vendors": {}}) == {}
