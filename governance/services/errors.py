"""Refusals shared by the governance services."""

from __future__ import annotations

from core.errors import Refused


class TransitionRefused(Refused):
    """The object's state does not allow the step (a draft approved, a closed request reopened,
    a superseded decision edited): the project's `Refused`, so what answers those (the API's
    409 with `reason`) answers these. Pages show `reason`."""
