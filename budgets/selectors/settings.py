"""A program's budget settings: the saved row, or an unsaved row holding the defaults."""

from __future__ import annotations

from programs.models import Program

from ..models import BudgetSettings


def budget_settings(program: Program) -> BudgetSettings:
    """The program's BudgetSettings; until someone saves them, an unsaved row with the model's
    defaults (version 1), so every reader sees the same thresholds. Saving creates the row."""
    row = BudgetSettings.objects.filter(program=program).first()
    if row is None:
        row = BudgetSettings(program=program)
    return row
