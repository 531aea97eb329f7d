"""Governance pages, one module per area (changes, decisions, RACI, compliance)."""
