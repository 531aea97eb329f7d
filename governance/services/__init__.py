"""Governance writes, one module per area (changes, decisions, RACI, compliance)."""
