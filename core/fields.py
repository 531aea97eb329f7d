"""Model field helpers every domain shares: money to the cent and per-program human keys."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

MAX_MONEY = Decimal("999999999999.99")


def money_field(verbose_name: str, *, signed: bool = False, **kwargs) -> models.DecimalField:
    """A money amount to the cent (Decimal, 14 digits). Unsigned unless `signed`."""
    validators = [MaxValueValidator(MAX_MONEY)]
    validators.append(MinValueValidator(-MAX_MONEY if signed else Decimal("0")))
    return models.DecimalField(
        verbose_name, max_digits=14, decimal_places=2, validators=validators, **kwargs
    )


def key_constraints(prefix: str) -> list:
    return [
        models.UniqueConstraint(fields=["program", "key"], name=f"{prefix}_key_unique"),
        models.UniqueConstraint(fields=["program", "number"], name=f"{prefix}_number_unique"),
    ]


class KeyedMixin(models.Model):
    """A per-program human key (VND-3) and its number, so keys sort numerically."""

    key = models.CharField(max_length=16, editable=False)
    number = models.PositiveIntegerField(editable=False)

    AUDIT_EXCLUDE: tuple[str, ...] = ("number",)

    class Meta:
        abstract = True
