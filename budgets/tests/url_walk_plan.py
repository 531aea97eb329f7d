"""The budget structure's rows and expectations for the URL walk (merged by
budgets/tests/url_walk.py): a draft change order on the walk's line and a contingency reserve.

Empty POSTs to the forms re-render them with their errors (400); the walk's category is used by
its line, so deleting it is refused with a message (302 back to the list); a decision without a
choice goes back to the change order, and so does deleting the draft (a reserve movement cites it).
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from budgets.models import BudgetLine
from budgets.services import structure
from budgets.views import change_orders, lines, plan
from programs.models import Program


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    order = structure.change_order_create(
        actor=manager,
        program=program,
        title="Second SIT team",
        reason="SIT cycle 1 is behind.",
        amounts=[(base["line"], base["month"], Decimal("250.00"))],
    )
    reserve = structure.reserve_set(
        actor=manager, program=program, kind="contingency", amount=Decimal("1000.00")
    )
    structure.reserve_movement_create(
        actor=manager, reserve=reserve, amount=Decimal("-100.00"), on=base["month"],
        reason="Draw for the second SIT team.", change_order=order,
    )  # fmt: skip
    return {"change-orders": {"key": order.key}, "reserves": {"key": "contingency"}}


def _url(site, name: str, **kwargs) -> str:
    return reverse(f"budgets:{name}", kwargs={"code": site.program.code, **kwargs})


def _order_key(site) -> str:
    return site.app_values.get("budget/", {}).get("change-orders", {}).get("key", "CO-1")


def _line_delete(site):
    """Refused (back to the line) when another area booked something on the walk's line."""
    key = site.app_values.get("budget/", {}).get("lines", {}).get("key", "BL-1")
    if not isinstance(site.program, Program):  # collection time: no database
        return 302, _url(site, "line_list")
    line = BudgetLine.objects.filter(program=site.program, key=key).first()
    if line is not None and structure.line_dependants(line):
        return 302, _url(site, "line_detail", key=key)
    return 302, _url(site, "line_list")


ALLOWED_GET = {
    plan.CategoryCreateView: lambda s: (302, _url(s, "category_list")),
    plan.MovementCreateView: lambda s: (302, _url(s, "reserves")),
}
ALLOWED_POST = {
    plan.PlanRowView: lambda s: (400, None),  # no version: the row again, with the error
    plan.CategoryCreateView: lambda s: (400, None),
    plan.CategoryEditView: lambda s: (400, None),
    plan.CategoryDeleteView: lambda s: (302, _url(s, "category_list")),  # in use: refused
    plan.ReserveEditView: lambda s: (400, None),
    plan.MovementCreateView: lambda s: (400, None),
    lines.LineCreateView: lambda s: (400, None),
    lines.LineEditView: lambda s: (400, None),
    lines.LineDeleteView: _line_delete,
    change_orders.ChangeOrderCreateView: lambda s: (400, None),
    change_orders.ChangeOrderEditView: lambda s: (400, None),
    # the walk's reserve movement cites the draft: refused, back to the change order
    change_orders.ChangeOrderDeleteView: lambda s: (
        302,
        _url(s, "change_order_detail", key=_order_key(s)),
    ),
    change_orders.ChangeOrderDecideView: lambda s: (
        302,
        _url(s, "change_order_detail", key=_order_key(s)),
    ),
}
