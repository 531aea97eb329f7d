"""Finance exports' rows and expectations for the URL walk (merged by budgets/tests/url_walk.py).

The export routes (`exports/`, `export.csv`, `export.xlsx`) take no key, so they need no rows:
GET answers 200 (a page, a streamed CSV, a workbook) to the roles with `budget.export`; they
have no POST (405 for everyone allowed to GET).
"""

from __future__ import annotations


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    return {}


ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {}
