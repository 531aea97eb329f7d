"""Refusals every domain service shares."""

from __future__ import annotations


class Refused(Exception):
    """The object's state does not allow the step (reviewing an accepted deliverable, submitting
    to a withdrawn one, editing a submitted evaluation). Pages show `reason`; the API answers 409.
    Bad field values are ValidationError (400), as everywhere."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
