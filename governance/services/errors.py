"""Refusals shared by the governance services."""

from __future__ import annotations


class TransitionRefused(Exception):
    """The object's state does not allow the step (a draft approved, a closed request reopened,
    a superseded decision edited). Pages show `reason`; the API answers 409 with it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
