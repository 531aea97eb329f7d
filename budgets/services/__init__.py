"""Budgets services: every write with a business rule, one module per area.

`structure` (categories, lines, the plan, change orders, reserves), `forecasts`, `actuals`
(cost entries, the GL import, accruals), `invoices`, `variance` (explanations), `exports`.
Import the area modules directly: `from budgets.services import structure`.
"""
