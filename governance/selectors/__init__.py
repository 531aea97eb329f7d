"""Governance reads, one module per area (changes, decisions, RACI, compliance)."""
