"""What other apps caused by a change request, shown on its page without governance importing
them (domain apps depend on governance, not the other way round).

An app registers a function `(change_request, access) -> list[Outcome]`; the change request's
page lists every outcome under "Decision and outcome". Budgets registers its change orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    kind: str  # e.g. "Change order"
    key: str
    title: str
    url: str | None  # None when the viewer may not open it
    status: str = ""


_sources: list[Callable[..., list[Outcome]]] = []


def register_outcomes(source: Callable[..., list[Outcome]]) -> None:
    if source not in _sources:
        _sources.append(source)


def outcomes_for(change_request, access) -> list[Outcome]:
    return [outcome for source in _sources for outcome in source(change_request, access)]
