"""The shared model field helpers, kept here under their old name for the vendors modules."""

from core.fields import MAX_MONEY, KeyedMixin, key_constraints, money_field

__all__ = ["MAX_MONEY", "KeyedMixin", "key_constraints", "money_field"]
