"""Contracts' rows and expectations for the URL walk (merged by vendors/tests/url_walk.py).

The walk's contract is active, so its delete page explains why it cannot be deleted and a POST
there is refused with a message (back to the contract); a payment milestone and a rate-card line
give the routes with `<int:pk>` their rows (a POST without a version deletes them: 302 back).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from vendors.services import contracts as services
from vendors.views import contracts as views


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    contract = base["contract"]
    milestone = services.milestone_create(
        actor=manager,
        contract=contract,
        title="Design signed off",
        due_date=dt.date(2026, 6, 30),
        amount=Decimal("400.00"),
    )
    rate = services.rate_create(
        actor=manager, contract=contract, role="Consultant", rate=Decimal("900.00"), unit="day"
    )
    return {"milestones": {"pk": str(milestone.pk)}, "rates": {"pk": str(rate.pk)}}


def _detail(site, anchor: str = "") -> str:
    key = site.app_values.get("vendors/", {}).get("contracts", {}).get("key", "CTR-1")
    url = reverse("vendors:contract_detail", kwargs={"code": site.program.code, "key": key})
    return f"{url}#{anchor}" if anchor else url


ALLOWED_GET: dict = {}
ALLOWED_POST = {
    views.ContractCreateView: lambda s: (400, None),  # the empty form again, with its errors
    views.ContractEditView: lambda s: (400, None),
    views.ContractStatusView: lambda s: (400, None),
    views.AmendmentCreateView: lambda s: (400, None),
    views.MilestoneCreateView: lambda s: (400, None),
    views.MilestoneEditView: lambda s: (400, None),
    views.RateCreateView: lambda s: (400, None),
    views.RateEditView: lambda s: (400, None),
    views.ContractDeleteView: lambda s: (302, _detail(s)),  # active: refused, with a message
    views.MilestoneDeleteView: lambda s: (302, _detail(s, "milestones")),
    views.RateDeleteView: lambda s: (302, _detail(s, "rates")),
}
