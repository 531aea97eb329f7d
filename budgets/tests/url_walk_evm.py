"""Earned value's rows and expectations for the URL walk (merged by budgets/tests/url_walk.py).

The page and the API take no path segments of their own and answer every internal role 200
(the walk's plan month is enough for a report); they are read-only, so no POST expectations.
"""

from __future__ import annotations


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    return {}


ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {}
