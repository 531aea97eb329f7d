"""Moved to core.domain; kept for the vendors modules."""

from core.domain import check_member, check_same_program, create, delete, update

__all__ = ["check_member", "check_same_program", "create", "delete", "update"]
