"""Reads shaped for budgets' pages, reports and exports (one module per area)."""
