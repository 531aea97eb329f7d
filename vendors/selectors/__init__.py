"""Vendors selectors: reads shaped for a screen or a report, one module per area."""
