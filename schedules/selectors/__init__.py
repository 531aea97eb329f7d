"""Reads that shape schedule data for screens, the API and reports (one module per area)."""
