"""Actuals' rows and expectations for the URL walk (merged by budgets/tests/url_walk.py).

A manual cost entry gives the `<int:pk>` routes their row (an empty POST to its delete page
deletes it: 302 back to the list; the walk's transaction is rolled back after each request);
an accrual gives the accrual routes theirs. Empty POSTs to the forms are their 400 re-renders;
cancelling an accrual is POST-only (GET: 405).
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from budgets.services import actuals
from budgets.views import actuals as views


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    entry = actuals.cost_entry_create(
        actor=manager, line=base["line"], month=base["month"], amount=Decimal("12.50"),
        description="Walk entry",
    )  # fmt: skip
    accrual = actuals.accrual_create(
        actor=manager, program=program, line=base["line"], month=base["month"],
        amount=Decimal("40.00"), description="Walk accrual",
    )  # fmt: skip
    return {
        "actuals": {"pk": str(entry.pk)},
        "cost-entries": {"pk": str(entry.pk)},
        "accruals": {"key": accrual.key},
    }


def _list(site) -> str:
    return reverse("budgets:actuals", kwargs={"code": site.program.code})


ALLOWED_GET = {views.AccrualCancelView: lambda s: (405, None)}
ALLOWED_POST = {
    views.CostEntryCreateView: lambda s: (400, None),
    views.CostEntryEditView: lambda s: (400, None),
    views.CostEntryDeleteView: lambda s: (302, _list(s)),
    views.GLImportView: lambda s: (400, None),
    views.AccrualCreateView: lambda s: (400, None),
    views.AccrualCancelView: lambda s: (400, None),
}
