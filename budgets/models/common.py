"""What the budgets models share: a month column that can only hold a month's first day."""

from __future__ import annotations

from django.db import models


def month_field(verbose_name: str = "month", **kwargs) -> models.DateField:
    """A calendar month, stored as its first day (budgets.months)."""
    kwargs.setdefault("help_text", "The month's first day.")
    return models.DateField(verbose_name, **kwargs)


def first_of_month(prefix: str, field: str = "month") -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__day": 1}), name=f"{prefix}_{field}_is_first_day"
    )
