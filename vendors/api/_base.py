"""Moved to core.api.refusals; kept for the vendors API modules."""

from core.api.refusals import REFUSED, RefusedConflict, optional_version, refusals_as_409

__all__ = ["REFUSED", "RefusedConflict", "optional_version", "refusals_as_409"]
