"""Moved to core.errors; kept for the vendors modules."""

from core.errors import Refused

__all__ = ["Refused"]
