"""What has been invoiced against a contract: the one place vendors learns it.

Invoices belong to the budgets app (DESIGN.md), which depends on vendors, not the other way round.
Budgets registers a function returning a subquery expression (over `OuterRef("pk")` of a contract)
that sums the invoiced amount; until one is registered nothing has been invoiced. Lists annotate
contracts with it, so remaining value = current value - invoiced is computed in the database with
a query count that does not grow with contracts or invoices.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.db import models
from django.db.models.functions import Coalesce

_source: Callable[[], models.Expression] | None = None


def register_invoiced_source(source: Callable[[], models.Expression] | None) -> None:
    """Set (or with None, clear) the function giving the invoiced-amount subquery."""
    global _source
    _source = source


def invoiced_expression() -> models.Expression:
    """The invoiced amount of the contract in the current row, 0.00 when none."""
    zero = models.Value(
        Decimal("0.00"), output_field=models.DecimalField(max_digits=14, decimal_places=2)
    )
    if _source is None:
        return zero
    return Coalesce(
        _source(), zero, output_field=models.DecimalField(max_digits=14, decimal_places=2)
    )


def with_remaining(queryset: models.QuerySet) -> models.QuerySet:
    """Contracts annotated with `invoiced` and `remaining` (current value - invoiced)."""
    return queryset.annotate(invoiced=invoiced_expression()).annotate(
        remaining=models.ExpressionWrapper(
            models.F("current_value") - models.F("invoiced"),
            output_field=models.DecimalField(max_digits=14, decimal_places=2),
        )
    )
