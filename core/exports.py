"""Helpers every CSV and XLSX export shares (DESIGN.md: "Exports are safe")."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula: a leading quote shows the text as
    typed."""
    return "'" + value if value.startswith(FORMULA_START) else value
