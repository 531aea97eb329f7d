"""Budget change orders caused by a change request, for its page in governance
(governance.outcomes)."""

from __future__ import annotations

from django.urls import reverse

from governance.outcomes import Outcome

from .models import ChangeOrder


def change_orders_of(change_request, access) -> list[Outcome]:
    orders = ChangeOrder.objects.filter(
        program_id=change_request.program_id, change_request=change_request
    ).order_by("number")
    can_view = access.can("budget.view")
    code = change_request.program.code
    return [
        Outcome(
            kind="Change order",
            key=order.key,
            title=order.title,
            url=reverse("budgets:change_order_detail", kwargs={"code": code, "key": order.key})
            if can_view
            else None,
            status=order.get_status_display(),
        )
        for order in orders
    ]
