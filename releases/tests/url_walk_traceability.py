"""The traceability routes for the URL-walking permission test: the page, its CSV and XLSX
downloads and the API take only the program code, so they need no rows of their own, and every
allowed GET answers 200."""

from __future__ import annotations


def rows(program, manager, base) -> dict[str, dict[str, str]]:
    return {}


ALLOWED_GET: dict = {}
ALLOWED_POST: dict = {}
