"""The dashboards' expectations for the URL walk (merged by reporting/tests/url_walk.py).

The program dashboard (/programs/<code>/reports/dashboard/ and its API) needs only the program
code, and the portfolio (/portfolio/, /api/v1/portfolio/) no row at all: every allowed caller
gets a 200 page or JSON, so there are no rows and no special answers.
"""

from __future__ import annotations


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    return {}


ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {}
